import Foundation

/// A parsed ISO 8601 / RFC 3339 timestamp (`2026-11-26T17:30:05.25+08:00`), kept exact as written.
///
/// Parsed by hand rather than with `ISO8601DateFormatter` so that the accepted grammar is the same
/// on Linux and Darwin and the calendar date as written is never shifted by a formatter's zone.
struct ReconciliationTimestamp: Hashable, Sendable {
    /// The calendar date as written, in the timestamp's own offset.
    let date: BusinessDate
    let secondsOfDay: Int
    /// Fraction digits after the seconds as written (`"25"` for `.25`), empty when absent.
    let fractionDigits: String
    /// Offset from UTC in seconds, or nil for a local time without offset (allowed by ISO 20022).
    let offsetSeconds: Int?

    /// Parses `YYYY-MM-DDThh:mm:ss[.f…][Z|±hh:mm]`. With `requireOffset`, the zone is mandatory (RFC 3339).
    init?(_ text: String, requireOffset: Bool) {
        let b = Array(text.utf8)
        guard b.count >= 19, let date = BusinessDate(String(decoding: b[0..<10], as: UTF8.self)) else { return nil }
        let separator = b[10]
        guard separator == UInt8(ascii: "T") || separator == UInt8(ascii: "t") else { return nil }
        guard b[13] == UInt8(ascii: ":"), b[16] == UInt8(ascii: ":"),
              let hour = Self.number(b, 11, 2), let minute = Self.number(b, 14, 2), let second = Self.number(b, 17, 2),
              hour < 24, minute < 60, second <= 60
        else { return nil }
        var i = 19
        var fraction = ""
        if i < b.count, b[i] == UInt8(ascii: ".") {
            i += 1
            let start = i
            while i < b.count, Self.isDigit(b[i]) { i += 1 }
            guard i > start else { return nil }
            fraction = String(decoding: b[start..<i], as: UTF8.self)
        }
        var offset: Int?
        if i < b.count {
            let sign = b[i]
            if sign == UInt8(ascii: "Z") || sign == UInt8(ascii: "z") {
                offset = 0
                i += 1
            } else if sign == UInt8(ascii: "+") || sign == UInt8(ascii: "-") {
                guard b.count - i == 6, b[i + 3] == UInt8(ascii: ":"),
                      let oh = Self.number(b, i + 1, 2), let om = Self.number(b, i + 4, 2), oh < 24, om < 60
                else { return nil }
                offset = (sign == UInt8(ascii: "-") ? -1 : 1) * (oh * 3600 + om * 60)
                i += 6
            } else {
                return nil
            }
        }
        guard i == b.count else { return nil }
        if requireOffset && offset == nil { return nil }
        self.date = date
        // A leap second (…:60) is folded into the next second; instants are what matter downstream.
        self.secondsOfDay = hour * 3600 + minute * 60 + second
        self.fractionDigits = fraction
        self.offsetSeconds = offset
    }

    /// The instant, when the timestamp names its offset. Floating point is fine here: it is time, not money.
    var instant: Date? {
        guard let offset = offsetSeconds else { return nil }
        let whole = date.daysSinceEpoch * 86_400 + secondsOfDay - offset
        var fraction = 0.0
        if !fractionDigits.isEmpty, let digits = Double("0." + fractionDigits) { fraction = digits }
        return Date(timeIntervalSince1970: TimeInterval(whole) + fraction)
    }

    /// The business date in `calendar` when an offset is known, else the date as written.
    func businessDate(in calendar: BusinessCalendar) -> BusinessDate {
        guard let instant else { return date }
        return calendar.businessDate(at: instant)
    }

    private static func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }

    private static func number(_ bytes: [UInt8], _ start: Int, _ count: Int) -> Int? {
        guard start + count <= bytes.count else { return nil }
        var value = 0
        for byte in bytes[start..<(start + count)] {
            guard isDigit(byte) else { return nil }
            value = value * 10 + Int(byte - UInt8(ascii: "0"))
        }
        return value
    }
}
