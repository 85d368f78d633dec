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
        let date = BusinessDate(daysSinceEpoch: Int(days))
        var out = [UInt8]()
        out.reserveCapacity(20)
        func digits(_ value: Int64, _ width: Int) {
            var text = Array(String(value).utf8)
            while text.count < width { text.insert(UInt8(ascii: "0"), at: 0) }
            out.append(contentsOf: text)
        }
        digits(Int64(date.year), 4)
        out.append(UInt8(ascii: "-")); digits(Int64(date.month), 2)
        out.append(UInt8(ascii: "-")); digits(Int64(date.day), 2)
        out.append(UInt8(ascii: "T")); digits(secondOfDay / 3600, 2)
        out.append(UInt8(ascii: ":")); digits(secondOfDay / 60 % 60, 2)
        out.append(UInt8(ascii: ":")); digits(secondOfDay % 60, 2)
        out.append(UInt8(ascii: "Z"))
        return String(decoding: out, as: UTF8.self)
    }

    /// 1583-01-01T00:00:00Z, the first whole year of the Gregorian calendar.
    static let firstGregorianYear: Int64 = -12_212_553_600
}
