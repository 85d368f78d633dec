import Foundation

/// RFC 3339 UTC timestamps to the second (`2026-11-30T23:59:59Z`), as the API writes every instant.
public enum Timestamp {
    /// The instant's UTC calendar second (a fraction is dropped, as Foundation's ISO 8601 style
    /// drops it), written by integer arithmetic: every response and event writes several, and a
    /// format style costs microseconds each. `TimestampTests` holds it to Foundation's output.
    /// Before 1583 Foundation's calendar is Julian, so such an instant is left to Foundation.
    public static func rfc3339(_ date: Date) -> String {
        let seconds = Int64(date.timeIntervalSince1970.rounded(.down))
        guard seconds >= firstGregorianYear else {
            return date.formatted(.iso8601.year().month().day().time(includingFractionalSeconds: false).timeZone(separator: .omitted))
                .replacingOccurrences(of: "+0000", with: "Z")
        }
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let secondOfDay = seconds - days * 86_400
        let (year, month, day) = civil(daysSinceEpoch: days)
        var out = [UInt8]()
        out.reserveCapacity(20)
        func digits(_ value: Int64, _ width: Int) {
            var text = Array(String(value).utf8)
            while text.count < width { text.insert(UInt8(ascii: "0"), at: 0) }
            out.append(contentsOf: text)
        }
        digits(year, 4)
        out.append(UInt8(ascii: "-")); digits(month, 2)
        out.append(UInt8(ascii: "-")); digits(day, 2)
        out.append(UInt8(ascii: "T")); digits(secondOfDay / 3600, 2)
        out.append(UInt8(ascii: ":")); digits(secondOfDay / 60 % 60, 2)
        out.append(UInt8(ascii: ":")); digits(secondOfDay % 60, 2)
        out.append(UInt8(ascii: "Z"))
        return String(decoding: out, as: UTF8.self)
    }

    /// 1583-01-01T00:00:00Z, the first whole year of the Gregorian calendar.
    static let firstGregorianYear: Int64 = -12_212_553_600

    /// Proleptic Gregorian year, month and day of a day count from 1970-01-01 (H. Hinnant's
    /// `civil_from_days`).
    static func civil(daysSinceEpoch: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let z = daysSinceEpoch + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }
}
