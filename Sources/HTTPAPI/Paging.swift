import Domain
import Foundation
import Hummingbird

/// Cursor paging, the same for every list: `limit` (default 50, 1…500) and an opaque base64url
/// cursor of "<key>|<id>" (`PageCursor`); the answer is `ListBody` (`{"data": [...], "next_cursor": …}`).
enum Paging {
    static func limit(_ text: String?) throws -> Int {
        guard let text else { return PageRequest.defaultLimit }
        guard let n = Int(text), PageRequest.limits.contains(n) else { throw Problem.validation("limit", "must be an integer from 1 to 500") }
        return n
    }

    static func encode(_ text: String) -> String {
        Data(text.utf8).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    /// `limit` and `cursor` of a list; `key` says what the list's sort key looks like, so a cursor
    /// issued by another list (or made up) is a 422 naming `cursor`, never a database error.
    static func request(_ request: Request, key: PageKey = .timestamp) throws -> PageRequest {
        let q = request.uri.queryParameters
        return try Self.request(limit: q.get("limit").map { String($0) }, cursor: q.get("cursor").map { String($0) }, key: key)
    }

    static func request(limit text: String?, cursor: String?, key: PageKey) throws -> PageRequest {
        let limit = try Self.limit(text)
        guard let cursor else { return PageRequest(limit: limit) }
        let parts = try decode(cursor).split(separator: "|", maxSplits: 1).map(String.init)
        guard parts.count == 2, parts[0].count <= 60, key.accepts(parts[0]), let id = UUID(uuidString: parts[1]) else {
            throw Problem.validation("cursor", "is not a cursor this API issued")
        }
        return PageRequest(limit: limit, after: PageCursor(key: parts[0], id: id))
    }

    static func encode(_ cursor: PageCursor) -> String { encode("\(cursor.key)|\(cursor.id.uuidString.lowercased())") }

    static func decode(_ cursor: String) throws -> String {
        var base64 = cursor.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.count % 4 != 0 { base64 += "=" }
        guard let data = Data(base64Encoded: base64) else { throw Problem.validation("cursor", "is not a cursor this API issued") }
        return String(decoding: data, as: UTF8.self)
    }
}

/// What a list's cursor key looks like (the sort key of the page's last item, as text).
struct PageKey: Sendable {
    let accepts: @Sendable (String) -> Bool

    /// A UTC timestamp to the microsecond, `YYYY-MM-DDTHH:MM:SS.ffffff` (lists newest first by a timestamp).
    static let timestamp = PageKey { key in
        let halves = key.split(separator: "T", omittingEmptySubsequences: false)
        guard halves.count == 2, BusinessDate(String(halves[0])) != nil else { return false }
        let time = halves[1].split(separator: ":", omittingEmptySubsequences: false)
        let seconds = time.last?.split(separator: ".", omittingEmptySubsequences: false) ?? []
        guard time.count == 3, seconds.count == 2, seconds[1].count == 6, Int(seconds[1]) != nil,
              let h = Int(time[0]), let m = Int(time[1]), let s = Int(seconds[0]) else { return false }
        return (0..<24).contains(h) && (0..<60).contains(m) && (0..<60).contains(s)
    }

    /// A business date, `YYYY-MM-DD`.
    static let date = PageKey { BusinessDate($0) != nil }

    /// A non-negative sequence number.
    static let sequence = PageKey { Int64($0).map { $0 >= 0 } ?? false }

    /// Several sort columns joined by `PageCursor(parts:id:)`, each checked by its own key.
    static func parts(_ keys: PageKey...) -> PageKey {
        PageKey { text in
            let parts = PageCursor.parts(of: text)
            return parts.count == keys.count && zip(keys, parts).allSatisfy { $0.accepts($1) }
        }
    }

    /// Any non-empty text (compared as text, so no value can break the query).
    static let text = PageKey { !$0.isEmpty }
}

struct ListBody<T: Encodable>: Encodable {
    let data: [T]
    let nextCursor: String?

    init(data: [T], nextCursor: String?) {
        self.data = data
        self.nextCursor = nextCursor
    }

    /// The wire form of a `Page`: `{"data": [...], "next_cursor": "…" | null}`.
    init<Item>(_ page: Page<Item>, _ body: (Item) throws -> T) rethrows {
        self.data = try page.items.map(body)
        self.nextCursor = page.next.map(Paging.encode)
    }

    // Encode next_cursor as null explicitly: the list shape always has it.
    enum CodingKeys: String, CodingKey { case data, nextCursor }
    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(data, forKey: .data)
        try c.encode(nextCursor, forKey: .nextCursor)
    }
}
