import Domain
import Foundation
import Logging
import PostgresNIO

/// A payment order row. `creditor` is nil while the payee's bank details are unknown.
public struct PaymentOrderRecord: Sendable {
    public let id: UUID
    public let endToEndID: String
    public let sourceType: PaymentSourceType
    public let sourceID: String
    public let creditorType: PayeeType
    public let creditorRef: String
    public let creditor: CreditorAccount?
    public let amount: Money
    public let requestedExecutionDate: BusinessDate
    public let purpose: String
    public let remittance: String
    public let status: PaymentOrderStatus
    public let batchID: UUID?
    public let entryID: UUID
    public let returnReason: String?
    public let businessDate: BusinessDate
    public let createdAt: Date
    public let updatedAt: Date
}

/// A payment order about to be written next to its ledger entry.
public struct NewPaymentOrder: Sendable {
    public let id: UUID
    public let endToEndID: String
    public let sourceType: PaymentSourceType
    public let sourceID: String
    public let creditorRef: String
    public let amount: Money
    public let requestedExecutionDate: BusinessDate
    public let remittance: String
    /// The journal entry that moved the money, found by its idempotency reference, or named by
    /// `entryID` when the entry is itself still waiting to be written (`CreditLedgerBatch.hold`).
    public let entryIdempotencyRef: String
    public var entryID: UUID?
    public let entryReferenceType: String
    public let entryReferenceID: String
    public let businessDate: BusinessDate

    public init(id: UUID, endToEndID: String, sourceType: PaymentSourceType, sourceID: String, creditorRef: String, amount: Money,
                requestedExecutionDate: BusinessDate, remittance: String, entryIdempotencyRef: String, entryReferenceType: String,
                entryReferenceID: String, businessDate: BusinessDate) {
        self.id = id
        self.endToEndID = endToEndID
        self.sourceType = sourceType
        self.sourceID = sourceID
        self.creditorRef = creditorRef
        self.amount = amount
        self.requestedExecutionDate = requestedExecutionDate
        self.remittance = remittance
        self.entryIdempotencyRef = entryIdempotencyRef
        self.entryReferenceType = entryReferenceType
        self.entryReferenceID = entryReferenceID
        self.businessDate = businessDate
    }
}

/// A batch row (without its file bytes, which `batchFile` reads).
public struct PaymentBatchRecord: Sendable {
    public let id: UUID
    public let messageID: String
    public let debtorAccount: String
    public let currency: Currency
    public let executionDate: BusinessDate
    public let businessDate: BusinessDate
    public let orderCount: Int
    public let controlSum: Money
    public let status: String
    public let fileSHA256: String
    public let createdBy: String
    public let createdAt: Date
    public let sentAt: Date?
}

/// Filters of the order list.
public struct PaymentOrderFilter: Sendable {
    public var status: PaymentOrderStatus?
    public var sourceType: PaymentSourceType?
    public var currency: String?
    public var creditorType: PayeeType?
    public var creditorRef: String?
    public var batchID: UUID?

    public init() {}
}

public enum PaymentOrderStore {
    static let orderColumns = """
        o.id, o.end_to_end_id, o.source_type, o.source_id, o.creditor_type, o.creditor_ref, o.creditor_name, o.creditor_iban,
        o.creditor_account_number, o.creditor_bank_code, o.amount, o.currency::text, o.requested_execution_date::text, o.purpose,
        o.remittance, o.status, o.batch_id, o.entry_id, o.return_reason, o.business_date::text, o.created_at, o.updated_at
        """

    static func decodeOrder(_ r: PostgresRandomAccessRow) throws -> PaymentOrderRecord {
        let id = try r[0].decode(UUID.self)
        guard let source = PaymentSourceType(rawValue: try r[2].decode(String.self)),
              let creditorType = PayeeType(rawValue: try r[4].decode(String.self)),
              let ccy = Currency(code: try r[11].decode(String.self)),
              let requested = BusinessDate(try r[12].decode(String.self)),
              let status = PaymentOrderStatus(rawValue: try r[15].decode(String.self)),
              let business = BusinessDate(try r[19].decode(String.self)) else {
            throw LedgerStoreError.corruptRow("payment_orders \(id)")
        }
        let creditor = try account(name: try r[6].decode(String?.self), iban: try r[7].decode(String?.self),
                                   number: try r[8].decode(String?.self), bank: try r[9].decode(String?.self))
        return PaymentOrderRecord(
            id: id, endToEndID: try r[1].decode(String.self), sourceType: source, sourceID: try r[3].decode(String.self),
            creditorType: creditorType, creditorRef: try r[5].decode(String.self), creditor: creditor,
            amount: Money(minorUnits: try r[10].decode(Int64.self), currency: ccy), requestedExecutionDate: requested,
            purpose: try r[13].decode(String.self), remittance: try r[14].decode(String.self), status: status,
            batchID: try r[16].decode(UUID?.self), entryID: try r[17].decode(UUID.self), returnReason: try r[18].decode(String?.self),
            businessDate: business, createdAt: try r[20].decode(Date.self), updatedAt: try r[21].decode(Date.self))
    }

    /// Stored details back as a `CreditorAccount` (they were validated on the way in).
    static func account(name: String?, iban: String?, number: String?, bank: String?) throws -> CreditorAccount? {
        guard let name else { return nil }
        do {
            return try CreditorAccount(name: name, iban: iban, accountNumber: number, bankCode: bank)
        } catch {
            // Never the details themselves in an error: they are a payee's account.
            throw LedgerStoreError.corruptRow("stored bank details fail validation at \(error.field)")
        }
    }

    /// The bank columns of a validated account: (iban, account number, bank code), "" for none.
    static func columns(_ a: CreditorAccount?) -> (name: String, iban: String, number: String, bank: String) {
        guard let a else { return ("", "", "", "") }
        switch a.account {
        case .iban(let iban): return (a.name, iban, "", "")
        case .domestic(let number, let bank): return (a.name, "", number, bank.text)
        }
    }

    // MARK: Payee details

    /// The payee's current bank details: a supplier's on its row, anyone else's in `payee_details`.
    public static func payee(type: PayeeType, ref: String, on c: PostgresConnection, logger: Logger) async throws -> CreditorAccount? {
        let rows: PostgresRowSequence
        if type == .supplier {
            guard let id = UUID(uuidString: ref) else { return nil }
            rows = try await c.query("""
                SELECT payee_name, payee_iban, payee_account_number, payee_bank_code FROM suppliers WHERE id = \(id)
                """, logger: logger)
        } else {
            rows = try await c.query("""
                SELECT name, iban, account_number, bank_code FROM payee_details WHERE party_type = \(type.rawValue) AND party_ref = \(ref)
                """, logger: logger)
        }
        for try await (name, iban, number, bank) in rows.decode((String?, String?, String?, String?).self) {
            return try account(name: name, iban: iban, number: number, bank: bank)
        }
        return nil
    }

    /// The bank details of those of `ids` that have them.
    public static func supplierPayees(_ ids: [UUID], on c: PostgresConnection, logger: Logger) async throws -> [UUID: CreditorAccount] {
        var out: [UUID: CreditorAccount] = [:]
        for try await (id, name, iban, number, bank) in try await c.query("""
            SELECT id, payee_name, payee_iban, payee_account_number, payee_bank_code FROM suppliers
            WHERE id = ANY(\(ids)::uuid[]) AND payee_name IS NOT NULL
            """, logger: logger).decode((UUID, String?, String?, String?, String?).self) {
            out[id] = try account(name: name, iban: iban, number: number, bank: bank)
        }
        return out
    }

    /// Sets (or, with nil, clears) a payee's bank details. Returns false when a supplier does not exist.
    @discardableResult
    public static func setPayee(type: PayeeType, ref: String, _ details: CreditorAccount?, by actor: String,
                                on c: PostgresConnection, logger: Logger) async throws -> Bool {
        let (name, iban, number, bank) = columns(details)
        if type == .supplier {
            guard let id = UUID(uuidString: ref) else { return false }
            return try await c.query("""
                UPDATE suppliers SET payee_name = NULLIF(\(name), ''), payee_iban = NULLIF(\(iban), ''),
                       payee_account_number = NULLIF(\(number), ''), payee_bank_code = NULLIF(\(bank), ''), updated_at = now()
                WHERE id = \(id) RETURNING 1
                """, logger: logger).all(Int.self).count == 1
        }
        guard details != nil else {
            try await c.query("DELETE FROM payee_details WHERE party_type = \(type.rawValue) AND party_ref = \(ref)", logger: logger)
            return true
        }
        try await c.query("""
            INSERT INTO payee_details (party_type, party_ref, name, iban, account_number, bank_code, updated_by)
            VALUES (\(type.rawValue), \(ref), \(name), NULLIF(\(iban), ''), NULLIF(\(number), ''), NULLIF(\(bank), ''), \(actor))
            ON CONFLICT (party_type, party_ref) DO UPDATE SET name = EXCLUDED.name, iban = EXCLUDED.iban,
                account_number = EXCLUDED.account_number, bank_code = EXCLUDED.bank_code, updated_by = EXCLUDED.updated_by, updated_at = now()
            """, logger: logger)
        return true
    }

    // MARK: Orders

    /// Writes the order with the payee's bank details as known now, in one statement. Its first
    /// audited step (created, pending) is the row itself: `created_by`, `created_at` and
    /// `source_type` (see `steps`). A second order for the same source movement is not written.
    /// Inside a request transaction the insert waits for the request's last statement
    /// (`WaitingWrites`): nothing in a request reads an order it has just created.
    public static func insert(_ o: NewPaymentOrder, actor: String, on c: PostgresConnection, logger: Logger) async throws {
        try await WaitingWrites.write(OrderInsert(order: o, actor: actor), on: c, logger: logger)
    }

    /// The order's insert as a data-modifying CTE.
    struct OrderInsert: DeferredInsert {
        let order: NewPaymentOrder
        let actor: String

        func appendCTE(named name: String, to s: inout PreparedSQL.StringInterpolation) {
            let o = order
            let supplierID = o.sourceType.creditorType == .supplier ? o.creditorRef : ""
            s.appendLiteral("\(name) AS (\n")
            s.appendLiteral("""
                INSERT INTO payment_orders (id, end_to_end_id, source_type, source_id, creditor_type, creditor_ref, creditor_name,
                                            creditor_iban, creditor_account_number, creditor_bank_code, amount, currency,
                                            requested_execution_date, purpose, remittance, entry_id, entry_reference_type,
                                            entry_reference_id, business_date, created_by)
                SELECT
                """)
            for (index, value) in [o.id.uuidString.lowercased(), o.endToEndID, o.sourceType.rawValue, o.sourceID,
                                   o.sourceType.creditorType.rawValue, o.creditorRef].enumerated() {
                s.appendLiteral(index == 0 ? " " : ", ")
                s.appendInterpolation(value)
                if index == 0 { s.appendLiteral("::uuid") }
            }
            s.appendLiteral(", p.name, p.iban, p.account_number, p.bank_code, ")
            s.appendInterpolation(o.amount.minorUnits); s.appendLiteral(", ")
            s.appendInterpolation(o.amount.currency.code); s.appendLiteral(", ")
            s.appendInterpolation(o.requestedExecutionDate.description); s.appendLiteral("::date, ")
            s.appendInterpolation(o.sourceType.purposeCode); s.appendLiteral(", ")
            s.appendInterpolation(o.remittance)
            if let entryID = o.entryID {
                // The entry is written by the same held-back statement: no row to look up yet.
                s.appendLiteral(", "); s.appendInterpolation(entryID); s.appendLiteral(", ")
            } else {
                s.appendLiteral(", (SELECT id FROM journal_entries WHERE idempotency_ref = ")
                s.appendInterpolation(o.entryIdempotencyRef); s.appendLiteral("), ")
            }
            s.appendInterpolation(o.entryReferenceType); s.appendLiteral(", ")
            s.appendInterpolation(o.entryReferenceID); s.appendLiteral(", ")
            s.appendInterpolation(o.businessDate.description); s.appendLiteral("::date, ")
            s.appendInterpolation(actor)
            // The payee's bank details as known now: the supplier's own, or the party's registered ones.
            s.appendLiteral("""

                FROM (SELECT 1) one LEFT JOIN (
                    SELECT payee_name AS name, payee_iban AS iban, payee_account_number AS account_number, payee_bank_code AS bank_code
                    FROM suppliers WHERE id = NULLIF(
                """)
            s.appendInterpolation(supplierID)
            s.appendLiteral("""
                , '')::uuid
                    UNION ALL
                    SELECT name, iban, account_number, bank_code FROM payee_details WHERE party_type =
                """)
            s.appendLiteral(" ")
            s.appendInterpolation(o.sourceType.creditorType.rawValue)
            s.appendLiteral(" AND party_ref = ")
            s.appendInterpolation(o.creditorRef)
            s.appendLiteral("""

                    LIMIT 1
                ) p ON true
                ON CONFLICT (source_type, source_id) DO NOTHING
            )
            """)
        }
    }

    /// Many orders in one statement (order not kept; unknown ids skipped).
    public static func orders(ids: [UUID], on c: PostgresConnection, logger: Logger) async throws -> [PaymentOrderRecord] {
        guard !ids.isEmpty else { return [] }
        return try await c.query(
            "SELECT \(unescaped: orderColumns) FROM payment_orders o WHERE o.id = ANY(\(ids)::uuid[])", logger: logger
        ).all(decodeOrder)
    }

    public static func order(id: UUID, on c: PostgresConnection, logger: Logger) async throws -> PaymentOrderRecord? {
        for try await row in try await c.query("SELECT \(unescaped: orderColumns) FROM payment_orders o WHERE o.id = \(id)", logger: logger) {
            return try decodeOrder(row.makeRandomAccess())
        }
        return nil
    }

    public static func order(sourceType: PaymentSourceType, sourceID: String, on c: PostgresConnection, logger: Logger) async throws -> PaymentOrderRecord? {
        for try await row in try await c.query("""
            SELECT \(unescaped: orderColumns) FROM payment_orders o WHERE o.source_type = \(sourceType.rawValue) AND o.source_id = \(sourceID)
            """, logger: logger) {
            return try decodeOrder(row.makeRandomAccess())
        }
        return nil
    }

    /// Orders, newest first, filtered.
    public static func orders(_ f: PaymentOrderFilter, _ page: PageRequest, on c: PostgresConnection, logger: Logger) async throws
        -> [(PaymentOrderRecord, PageCursor)] {
        let key = page.after.map { $0.key + "+00" }
        let rows = try await c.query("""
            SELECT \(unescaped: orderColumns), \(unescaped: NewestFirst.keyColumn("o.created_at")) FROM payment_orders o
            WHERE (\(f.status?.rawValue)::text IS NULL OR o.status = \(f.status?.rawValue))
              AND (\(f.sourceType?.rawValue)::text IS NULL OR o.source_type = \(f.sourceType?.rawValue))
              AND (\(f.currency)::text IS NULL OR o.currency = \(f.currency))
              AND (\(f.creditorType?.rawValue)::text IS NULL OR o.creditor_type = \(f.creditorType?.rawValue))
              AND (\(f.creditorRef)::text IS NULL OR o.creditor_ref = \(f.creditorRef))
              AND (\(f.batchID)::uuid IS NULL OR o.batch_id = \(f.batchID))
              AND (\(key)::timestamptz IS NULL OR (o.created_at, o.id) < (\(key)::timestamptz, \(page.after?.id)::uuid))
            ORDER BY o.created_at DESC, o.id DESC LIMIT \(page.fetchLimit)
            """, logger: logger)
        var out: [(PaymentOrderRecord, PageCursor)] = []
        for try await row in rows {
            let r = row.makeRandomAccess()
            let order = try decodeOrder(r)
            out.append((order, try NewestFirst.cursor(r, id: order.id)))
        }
        return out
    }

    /// One audited status step of an order.
    public struct Step: Sendable {
        public let from: String?
        public let to: String
        public let actor: String
        public let detail: String
        public let at: Date
    }

    /// An order's audited steps, oldest first.
    public static func steps(orderID: UUID, on c: PostgresConnection, logger: Logger) async throws -> [Step] {
        var out: [Step] = []
        // The first step of an order written since migration 0020 is the order row itself.
        for try await (from, to, actor, detail, at, _) in try await c.query("""
            SELECT NULL::text, 'pending', created_by, source_type, created_at, 0::bigint AS n
            FROM payment_orders WHERE id = \(orderID) AND created_by IS NOT NULL
            UNION ALL
            SELECT from_status, to_status, actor, detail, at, id FROM payment_order_steps WHERE order_id = \(orderID)
            ORDER BY n
            """, logger: logger).decode((String?, String, String, String, Date, Int64).self) {
            out.append(Step(from: from, to: to, actor: actor, detail: detail, at: at))
        }
        return out
    }

    /// Moves orders from one status to another and records each step. Returns the ids moved.
    @discardableResult
    public static func move(ids: [UUID], from: PaymentOrderStatus, to: PaymentOrderStatus, actor: String, detail: String,
                            on c: PostgresConnection, logger: Logger) async throws -> [UUID] {
        guard !ids.isEmpty else { return [] }
        guard from.canMove(to: to) else { throw PaymentOrderError.illegalTransition(from: from, to: to) }
        return try await c.query("""
            WITH moved AS (
                UPDATE payment_orders SET status = \(to.rawValue), updated_at = now()
                WHERE id = ANY(\(ids)::uuid[]) AND status = \(from.rawValue) RETURNING id
            ), steps AS (
                INSERT INTO payment_order_steps (order_id, from_status, to_status, actor, detail)
                SELECT id, \(from.rawValue), \(to.rawValue), \(actor), \(detail) FROM moved
            )
            SELECT id FROM moved
            """, logger: logger).all(UUID.self)
    }

    // MARK: Batching

    /// Serialises batch writers across replicas for the rest of the transaction.
    public static func lockBatching(on c: PostgresConnection, logger: Logger) async throws {
        try await c.query("SELECT pg_advisory_xact_lock(hashtext('qianzhuang.payment_batching'))", logger: logger)
    }

    /// Copies current payee details into every pending order (latest details win until the order
    /// is batched), then returns the pending orders due by `date` that have details, locked.
    public static func lockBatchable(dueBy date: BusinessDate, on c: PostgresConnection, logger: Logger) async throws -> [PaymentOrderRecord] {
        try await c.query("""
            UPDATE payment_orders o SET creditor_name = p.name, creditor_iban = p.iban, creditor_account_number = p.account_number,
                   creditor_bank_code = p.bank_code, updated_at = now()
            FROM (SELECT 'supplier' AS party_type, id::text AS party_ref, payee_name AS name, payee_iban AS iban,
                         payee_account_number AS account_number, payee_bank_code AS bank_code
                  FROM suppliers WHERE payee_name IS NOT NULL
                  UNION ALL
                  SELECT party_type, party_ref, name, iban, account_number, bank_code FROM payee_details) p
            WHERE o.status = 'pending' AND p.party_type = o.creditor_type AND p.party_ref = o.creditor_ref
              AND (o.creditor_name, o.creditor_iban, o.creditor_account_number, o.creditor_bank_code)
                  IS DISTINCT FROM (p.name, p.iban, p.account_number, p.bank_code)
            """, logger: logger)
        return try await c.query("""
            SELECT \(unescaped: orderColumns) FROM payment_orders o
            WHERE o.status = 'pending' AND o.requested_execution_date <= \(date.description)::date AND o.creditor_name IS NOT NULL
            ORDER BY o.currency, o.end_to_end_id FOR UPDATE
            """, logger: logger).all(decodeOrder)
    }

    /// Writes a batch with its file, and moves its orders to `batched`.
    public static func insertBatch(id: UUID, messageID: String, debtorAccount: String, currency: Currency, executionDate: BusinessDate,
                                   businessDate: BusinessDate, orderIDs: [UUID], controlSum: Money, file: Data, createdAt: Date,
                                   actor: String, on c: PostgresConnection, logger: Logger) async throws {
        try await c.query("""
            INSERT INTO payment_batches (id, message_id, debtor_account, currency, execution_date, business_date, order_count,
                                         control_sum, status, file, file_sha256, created_by, created_at)
            VALUES (\(id), \(messageID), \(debtorAccount), \(currency.code), \(executionDate.description)::date,
                    \(businessDate.description)::date, \(orderIDs.count), \(controlSum.minorUnits), 'written', \(ByteBuffer(bytes: file)),
                    encode(sha256(\(ByteBuffer(bytes: file))), 'hex'), \(actor), \(createdAt))
            """, logger: logger)
        try await c.query("""
            WITH moved AS (
                UPDATE payment_orders SET status = 'batched', batch_id = \(id), updated_at = now()
                WHERE id = ANY(\(orderIDs)::uuid[]) AND status = 'pending' RETURNING id
            )
            INSERT INTO payment_order_steps (order_id, from_status, to_status, actor, detail)
            SELECT id, 'pending', 'batched', \(actor), \(messageID) FROM moved
            """, logger: logger)
    }

    static let batchColumns = """
        id, message_id, debtor_account, currency::text, execution_date::text, business_date::text, order_count, control_sum, status,
        file_sha256, created_by, created_at, sent_at
        """

    static func decodeBatch(_ r: PostgresRandomAccessRow) throws -> PaymentBatchRecord {
        let id = try r[0].decode(UUID.self)
        guard let ccy = Currency(code: try r[3].decode(String.self)), let exec = BusinessDate(try r[4].decode(String.self)),
              let business = BusinessDate(try r[5].decode(String.self)) else { throw LedgerStoreError.corruptRow("payment_batches \(id)") }
        return PaymentBatchRecord(
            id: id, messageID: try r[1].decode(String.self), debtorAccount: try r[2].decode(String.self), currency: ccy,
            executionDate: exec, businessDate: business, orderCount: try r[6].decode(Int.self),
            controlSum: Money(minorUnits: try r[7].decode(Int64.self), currency: ccy), status: try r[8].decode(String.self),
            fileSHA256: try r[9].decode(String.self), createdBy: try r[10].decode(String.self), createdAt: try r[11].decode(Date.self),
            sentAt: try r[12].decode(Date?.self))
    }

    public static func batch(id: UUID, forUpdate: Bool = false, on c: PostgresConnection, logger: Logger) async throws -> PaymentBatchRecord? {
        let lock = forUpdate ? " FOR UPDATE" : ""
        for try await row in try await c.query("SELECT \(unescaped: batchColumns) FROM payment_batches WHERE id = \(id)\(unescaped: lock)",
                                               logger: logger) {
            return try decodeBatch(row.makeRandomAccess())
        }
        return nil
    }

    /// The batch's file as written.
    public static func batchFile(id: UUID, on c: PostgresConnection, logger: Logger) async throws -> Data? {
        for try await bytes in try await c.query("SELECT file FROM payment_batches WHERE id = \(id)", logger: logger).decode(ByteBuffer.self) {
            return Data(bytes.readableBytesView)
        }
        return nil
    }

    /// Batches, newest first.
    public static func batches(_ page: PageRequest, on c: PostgresConnection, logger: Logger) async throws -> [(PaymentBatchRecord, PageCursor)] {
        let key = page.after.map { $0.key + "+00" }
        let rows = try await c.query("""
            SELECT \(unescaped: batchColumns), \(unescaped: NewestFirst.keyColumn("created_at")) FROM payment_batches
            WHERE \(key)::timestamptz IS NULL OR (created_at, id) < (\(key)::timestamptz, \(page.after?.id)::uuid)
            ORDER BY created_at DESC, id DESC LIMIT \(page.fetchLimit)
            """, logger: logger)
        var out: [(PaymentBatchRecord, PageCursor)] = []
        for try await row in rows {
            let r = row.makeRandomAccess()
            let batch = try decodeBatch(r)
            out.append((batch, try NewestFirst.cursor(r, id: batch.id)))
        }
        return out
    }

    /// Marks a written batch sent (the file went to the bank) and its batched orders sent; returns those orders.
    @discardableResult
    public static func markBatchSent(id: UUID, actor: String, on c: PostgresConnection, logger: Logger) async throws -> [PaymentOrderRecord] {
        try await c.query("""
            UPDATE payment_batches SET status = 'sent', sent_by = \(actor), sent_at = now() WHERE id = \(id) AND status = 'written'
            """, logger: logger)
        let ids = try await c.query("SELECT id FROM payment_orders WHERE batch_id = \(id) AND status = 'batched'", logger: logger)
            .all(UUID.self)
        let moved = try await move(ids: ids, from: .batched, to: .sent, actor: actor, detail: "batch sent", on: c, logger: logger)
        return try await c.query("""
            SELECT \(unescaped: orderColumns) FROM payment_orders o WHERE o.id = ANY(\(moved)::uuid[]) ORDER BY o.end_to_end_id
            """, logger: logger).all(decodeOrder)
    }

    // MARK: Closing the loop

    /// Orders whose cash entry a reconciliation run matched (the entry named like the order's
    /// `entry_reference_*`): batched or sent orders become settled (a batched order the bank
    /// executed was evidently sent). Returns the orders settled.
    @discardableResult
    public static func settle(entryIDs: [UUID], actor: String, on c: PostgresConnection, logger: Logger) async throws -> [UUID] {
        guard !entryIDs.isEmpty else { return [] }
        var matched: [(UUID, String)] = []
        for try await row in try await c.query("""
            SELECT o.id, o.status FROM payment_orders o
            JOIN journal_entries e ON e.reference_type = o.entry_reference_type AND e.reference_id = o.entry_reference_id
            WHERE e.id = ANY(\(entryIDs)::uuid[]) AND o.status IN ('batched', 'sent')
            """, logger: logger).decode((UUID, String).self) { matched.append(row) }
        let batched = matched.filter { $0.1 == "batched" }.map(\.0)
        try await move(ids: batched, from: .batched, to: .sent, actor: actor, detail: "seen on the bank statement", on: c, logger: logger)
        let sent = matched.map(\.0)
        return try await move(ids: sent, from: .sent, to: .settled, actor: actor, detail: "matched on the bank statement", on: c, logger: logger)
    }

    /// A statement line that returns one of our payments: money in, quoting the order's end-to-end id, with a reason.
    public struct ReturnLine: Sendable {
        public let statementID: UUID
        public let lineNo: Int
        /// What came back (at most the order's amount: banks may deduct charges).
        public let received: Money
        public let reason: String
        public let valueDate: BusinessDate
        public let order: PaymentOrderRecord
    }

    /// Unmatched return lines (money in, with a return reason) that quote a sent or settled order's
    /// end-to-end id for at most its amount; the orders locked.
    public static func returnLines(on c: PostgresConnection, logger: Logger) async throws -> [ReturnLine] {
        var out: [ReturnLine] = []
        for try await row in try await c.query("""
            SELECT \(unescaped: orderColumns), l.statement_id, l.line_no, l.return_reason, l.value_date::text, l.amount
            FROM statement_lines l JOIN payment_orders o ON o.end_to_end_id = l.reference
            WHERE l.return_reason IS NOT NULL AND l.matched_by IS NULL AND l.amount > 0 AND l.amount <= o.amount
              AND l.currency = o.currency AND o.status IN ('sent', 'settled', 'batched')
            ORDER BY l.statement_id, l.line_no
            FOR UPDATE OF o
            """, logger: logger) {
            let r = row.makeRandomAccess()
            guard let date = BusinessDate(try r[25].decode(String.self)) else { continue }
            let order = try decodeOrder(r)
            out.append(ReturnLine(statementID: try r[22].decode(UUID.self), lineNo: try r[23].decode(Int.self),
                                  received: Money(minorUnits: try r[26].decode(Int64.self), currency: order.amount.currency),
                                  reason: try r[24].decode(String.self), valueDate: date, order: order))
        }
        return out
    }

    /// The order, locked.
    public static func lockOrder(id: UUID, on c: PostgresConnection, logger: Logger) async throws -> PaymentOrderRecord? {
        for try await row in try await c.query("SELECT \(unescaped: orderColumns) FROM payment_orders o WHERE o.id = \(id) FOR UPDATE",
                                               logger: logger) {
            return try decodeOrder(row.makeRandomAccess())
        }
        return nil
    }

    /// The cash entry that paid an order out: the payout booked on sending, else its source entry.
    public static func cashEntryID(of order: PaymentOrderRecord, on c: PostgresConnection, logger: Logger) async throws -> UUID {
        let ref = "payment-order-payout:" + order.id.uuidString.lowercased()
        let payout = try await c.query("SELECT id FROM journal_entries WHERE idempotency_ref = \(ref)", logger: logger).all(UUID.self).first
        return payout ?? order.entryID
    }

    /// Records an order's failure: status, reason, one audited step.
    public static func markFailed(_ order: PaymentOrderRecord, reason: String, actor: String, on c: PostgresConnection, logger: Logger) async throws {
        try await c.query("""
            WITH moved AS (
                UPDATE payment_orders SET status = 'failed', failure_reason = \(reason), updated_at = now()
                WHERE id = \(order.id) AND status = \(order.status.rawValue) RETURNING id
            )
            INSERT INTO payment_order_steps (order_id, from_status, to_status, actor, detail)
            SELECT id, \(order.status.rawValue), 'failed', \(actor), \(reason) FROM moved
            """, logger: logger)
    }

    /// Records the return of an order: status, reason, the entry that booked it, one audited step.
    public static func markReturned(_ order: PaymentOrderRecord, from: PaymentOrderStatus, reason: String, entryID: UUID, actor: String,
                                    on c: PostgresConnection, logger: Logger) async throws {
        try await c.query("""
            WITH moved AS (
                UPDATE payment_orders SET status = 'returned', return_reason = \(reason), return_entry_id = \(entryID), updated_at = now()
                WHERE id = \(order.id) AND status = \(from.rawValue) RETURNING id
            )
            INSERT INTO payment_order_steps (order_id, from_status, to_status, actor, detail)
            SELECT id, \(from.rawValue), 'returned', \(actor), \("reason " + reason) FROM moved
            """, logger: logger)
    }

    /// Batched or sent orders whose batch executes on or before `date`, with that date: candidates for "not settled in time".
    public static func unsettled(executedBy date: BusinessDate, on c: PostgresConnection, logger: Logger) async throws
        -> [(order: PaymentOrderRecord, executionDate: BusinessDate)] {
        var out: [(order: PaymentOrderRecord, executionDate: BusinessDate)] = []
        for try await row in try await c.query("""
            SELECT \(unescaped: orderColumns), b.execution_date::text FROM payment_orders o JOIN payment_batches b ON b.id = o.batch_id
            WHERE o.status IN ('batched', 'sent') AND b.execution_date <= \(date.description)::date
            ORDER BY o.end_to_end_id
            """, logger: logger) {
            let r = row.makeRandomAccess()
            guard let executed = BusinessDate(try r[22].decode(String.self)) else { continue }
            out.append((try decodeOrder(r), executed))
        }
        return out
    }
}
