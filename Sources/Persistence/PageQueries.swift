import Domain
import Foundation
import Logging
import PostgresNIO

/// Lists paged newest first by a timestamp column and id (keyset: `(ts, id) < (cursor)`), the
/// cursor's key being the timestamp in UTC to the microsecond, so it compares exactly.
enum NewestFirst {
    /// The page key of `column`, as selected next to a row.
    static func keyColumn(_ column: String) -> String {
        "to_char(\(column) AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US') AS page_key"
    }

    static func cursor(_ r: PostgresRandomAccessRow, id: UUID) throws -> PageCursor {
        PageCursor(key: try r["page_key"].decode(String.self), id: id)
    }

    /// The page's cursor key as a UTC timestamp, nil on the first page.
    static func key(_ page: PageRequest) -> String? { page.after.map { $0.key + "+00" } }

    /// Each row decoded, with the cursor that continues after it.
    static func decode<T>(
        _ rows: PostgresRowSequence, id: KeyPath<T, UUID>, _ decode: (PostgresRandomAccessRow) throws -> T
    ) async throws -> [(T, PageCursor)] {
        var out: [(T, PageCursor)] = []
        for try await row in rows {
            let r = row.makeRandomAccess()
            let item = try decode(r)
            out.append((item, try cursor(r, id: item[keyPath: id])))
        }
        return out
    }
}

extension FinancingStore {
    /// Suppliers, newest first.
    public static func suppliers(_ page: PageRequest, on c: PostgresConnection, logger: Logger) async throws -> [(SupplierRecord, PageCursor)] {
        let key = NewestFirst.key(page)
        let rows = try await c.query("""
            SELECT \(unescaped: supplierColumns), \(unescaped: NewestFirst.keyColumn("created_at")) FROM suppliers
            WHERE \(key)::timestamptz IS NULL OR (created_at, id) < (\(key)::timestamptz, \(page.after?.id)::uuid)
            ORDER BY created_at DESC, id DESC LIMIT \(page.fetchLimit)
            """, logger: logger)
        return try await NewestFirst.decode(rows, id: \.id) { try decodeSupplier($0, at: 0) }
    }
}

extension CreditStore {
    /// Credit accounts, newest first, optionally of one status.
    public static func accounts(
        status: CreditAccountStatus?, _ page: PageRequest, on c: PostgresConnection, logger: Logger
    ) async throws -> [(CreditAccountRecord, PageCursor)] {
        let key = NewestFirst.key(page)
        let rows = try await c.query("""
            SELECT \(unescaped: accountColumns), \(unescaped: NewestFirst.keyColumn("a.created_at")) FROM \(unescaped: CreditStore.accountFrom)
            WHERE (\(status?.rawValue)::text IS NULL OR a.status = \(status?.rawValue))
              AND (\(key)::timestamptz IS NULL OR (a.created_at, a.id) < (\(key)::timestamptz, \(page.after?.id)::uuid))
            ORDER BY a.created_at DESC, a.id DESC LIMIT \(page.fetchLimit)
            """, logger: logger)
        return try await NewestFirst.decode(rows, id: \.id) { try decodeAccount($0) }
    }
}
