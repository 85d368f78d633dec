import Foundation

/// RFC 3339 UTC timestamps to the second (`2026-11-30T23:59:59Z`), as the API writes every instant.
public enum Timestamp {
    public static func rfc3339(_ date: Date) -> String {
        date.formatted(.iso8601.year().month().day().time(includingFractionalSeconds: false).timeZone(separator: .omitted))
            .replacingOccurrences(of: "+0000", with: "Z")
    }
}
