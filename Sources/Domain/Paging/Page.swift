import Foundation

/// Where a page of a list ends: the sort key of its last item (text, compared by the store in the
/// list's own order) and that item's id as the tie-breaker. Opaque to API callers.
public struct PageCursor: Sendable, Hashable {
    public let key: String
    public let id: UUID

    public init(key: String, id: UUID) {
        self.key = key
        self.id = id
    }

    /// A key of several sort columns (a date and a kind, say), none of which contains "/".
    public init(parts: [String], id: UUID) {
        self.init(key: parts.joined(separator: PageCursor.separator), id: id)
    }

    /// The sort columns of a key made by `init(parts:id:)`.
    public var parts: [String] { Self.parts(of: key) }

    public static func parts(of key: String) -> [String] {
        key.split(separator: separator, omittingEmptySubsequences: false).map(String.init)
    }

    static let separator = "/"
}

/// What a caller asks of a list: at most `limit` items after `after`.
public struct PageRequest: Sendable {
    public static let defaultLimit = 50
    public static let limits = 1...500

    public let limit: Int
    public let after: PageCursor?

    public init(limit: Int = PageRequest.defaultLimit, after: PageCursor? = nil) {
        self.limit = limit
        self.after = after
    }

    /// How many rows a store fetches: one more than the page, to know whether another page follows.
    public var fetchLimit: Int { limit + 1 }
}

/// One page of a list, the same way for every list: the items, and the cursor of the next page
/// when there is one (the store fetched `limit + 1` rows and found the extra one).
public struct Page<Item: Sendable>: Sendable {
    public let items: [Item]
    public let next: PageCursor?

    public init(items: [Item], next: PageCursor?) {
        self.items = items
        self.next = next
    }

    /// From `fetched` (up to `request.fetchLimit` rows, each with its cursor).
    public init(fetched: [(Item, PageCursor)], request: PageRequest) {
        let page = fetched.prefix(request.limit)
        self.items = page.map(\.0)
        self.next = fetched.count > request.limit ? page.last?.1 : nil
    }

    public func map<T: Sendable>(_ transform: (Item) throws -> T) rethrows -> Page<T> {
        Page<T>(items: try items.map(transform), next: next)
    }
}
