import Foundation

/// A calendar date with no time of day ("2026-11-26"), as business days are booked.
public struct BusinessDate: Hashable, Sendable, Comparable, CustomStringConvertible {
    public let year: Int
    public let month: Int
    public let day: Int

    /// A valid Gregorian date, or nil.
    public init?(year: Int, month: Int, day: Int) {
        guard (1...9999).contains(year), (1...12).contains(month),
              (1...BusinessDate.daysIn(month: month, year: year)).contains(day) else { return nil }
        self.year = year
        self.month = month
        self.day = day
    }

    /// Parses exactly `YYYY-MM-DD`.
    public init?(_ text: String) {
        let bytes = Array(text.utf8)
        guard bytes.count == 10, bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-") else { return nil }
        func number(_ range: Range<Int>) -> Int? {
            var value = 0
            for b in bytes[range] {
                guard b >= UInt8(ascii: "0"), b <= UInt8(ascii: "9") else { return nil }
                value = value * 10 + Int(b - UInt8(ascii: "0"))
            }
            return value
        }
        guard let y = number(0..<4), let m = number(5..<7), let d = number(8..<10) else { return nil }
        self.init(year: y, month: m, day: d)
    }

    /// Days since 1970-01-01 (negative before it). Howard Hinnant's days_from_civil.
    public var daysSinceEpoch: Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146097 + doe - 719468
    }

    /// The date `days` after 1970-01-01. Hinnant's civil_from_days.
    public init(daysSinceEpoch z0: Int) {
        let z = z0 + 719468
        let era = (z >= 0 ? z : z - 146096) / 146097
        let doe = z - era * 146097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        self.year = yoe + era * 400 + (m <= 2 ? 1 : 0)
        self.month = m
        self.day = d
    }

    public func adding(days: Int) -> BusinessDate { BusinessDate(daysSinceEpoch: daysSinceEpoch + days) }

    /// Calendar days from `self` to `other` (positive when `other` is later).
    public func days(until other: BusinessDate) -> Int { other.daysSinceEpoch - daysSinceEpoch }

    /// The same day-of-month `months` later; a day past the target month's end becomes its last day
    /// (Jan 31 + 1 month = Feb 28/29). This is the month-end rule for installment due dates.
    public func adding(months: Int) -> BusinessDate {
        let index = year * 12 + (month - 1) + months
        let y = index / 12
        let m = index % 12 + 1
        let d = Swift.min(day, BusinessDate.daysIn(month: m, year: y))
        return BusinessDate(year: y, month: m, day: d) ?? self
    }

    public var isLastDayOfMonth: Bool { day == BusinessDate.daysIn(month: month, year: year) }

    public static func isLeap(_ year: Int) -> Bool { (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 }

    public static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: isLeap(year) ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    public static func < (lhs: BusinessDate, rhs: BusinessDate) -> Bool { lhs.daysSinceEpoch < rhs.daysSinceEpoch }

    public var description: String {
        func pad(_ v: Int, _ width: Int) -> String {
            let s = String(v)
            return String(repeating: "0", count: Swift.max(0, width - s.count)) + s
        }
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))"
    }
}

/// Turns instants into business dates in the platform's time zone (default Asia/Shanghai).
public struct BusinessCalendar: Sendable {
    public let timeZone: TimeZone

    public init(timeZone: TimeZone) { self.timeZone = timeZone }

    /// Asia/Shanghai, the platform default.
    public static let shanghai = BusinessCalendar(timeZone: TimeZone(identifier: "Asia/Shanghai") ?? .gmt)

    /// The business date that `instant` falls on in this calendar's time zone.
    public func businessDate(at instant: Date) -> BusinessDate {
        let offset = timeZone.secondsFromGMT(for: instant)
        let seconds = Int(instant.timeIntervalSince1970.rounded(.down)) + offset
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        return BusinessDate(daysSinceEpoch: days)
    }
}

/// Why a business date may not be closed (run through the nightly close of business).
public enum CloseOfBusinessDateError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The date has not ended yet in the platform time zone (today or later).
    case notEnded(date: BusinessDate, today: BusinessDate)
    /// The date is older than any business the platform can have booked.
    case tooOld(date: BusinessDate, earliest: BusinessDate)

    public var description: String {
        switch self {
        case .notEnded(let date, let today):
            "\(date) has not ended yet (today is \(today) in the platform time zone); only past business dates can be closed"
        case .tooOld(let date, let earliest):
            "\(date) is too far in the past; the earliest business date that can be closed is \(earliest)"
        }
    }
}

extension BusinessCalendar {
    /// How far back a close of business may go: ten years of 366 days, generous for any
    /// catch-up or re-run, and far from absurd dates such as 0001-01-01.
    public static let closableDays = 3_660

    /// The one rule for which business dates the nightly run accepts, used by the API, the CLI
    /// and the runner itself: a date that has ended in this calendar's time zone, and not older
    /// than `closableDays`.
    public func checkClosable(_ date: BusinessDate, at instant: Date) throws(CloseOfBusinessDateError) {
        let today = businessDate(at: instant)
        guard date < today else { throw .notEnded(date: date, today: today) }
        let earliest = today.adding(days: -Self.closableDays)
        guard date >= earliest else { throw .tooOld(date: date, earliest: earliest) }
    }
}
