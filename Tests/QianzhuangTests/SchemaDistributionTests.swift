import Foundation
import Persistence
import Testing

/// ARCHITECTURE.md "Scaling past one machine": every hot table carries its owner key in its
/// primary key and in every unique constraint, so it can be distributed on that key (Citus).
@Suite("Schema is distributable by owner key")
struct SchemaDistributionTests {
    /// Hot tables and their distribution column. Extend this map with every new owner-keyed table.
    static let ownerKeyed: [String: String] = [
        "suppliers": "id",
        "receivables": "supplier_id",
        "receivable_adjustments": "supplier_id",
        "financing_requests": "supplier_id",
        "financing_items": "supplier_id",
        "shipping_policies": "id",
        "insurance_return_events": "policy_id",
        "insurance_claims": "policy_id",
        "credit_accounts": "id",
        "credit_checkouts": "credit_account_id",
        "credit_plans": "credit_account_id",
        "credit_installments": "credit_account_id",
        "credit_repayments": "credit_account_id",
        "credit_refunds": "credit_account_id",
        "credit_recoveries": "credit_account_id",
        "credit_bills": "credit_account_id",
        "credit_bill_lines": "credit_account_id",
    ]

    /// Small tables replicated to every node (reference tables), global lookups keyed by their
    /// natural key (one row per order or code, pointing to the owner), and the ledger / run
    /// records, which SCALING.md keeps on the coordinator for now. Anything else must be listed above.
    static let notOwnerKeyed: Set<String> = [
        "schema_migrations", "api_keys", "idempotency_keys", "audit_events",
        "ledger_accounts", "journal_entries", "postings",
        "supplier_credit_codes", "shipping_policy_orders",
        "insurance_category_rates", "insurance_route_norms",
        "credit_products", "credit_product_tenors", "credit_unique_refs",
        "nightly_runs", "nightly_steps", "statements", "statement_lines", "reconciliation_exceptions",
        "reconciled_items", "matching_rules", "reconciliation_run_items", "reconciliation_run_lines",
        "console_sessions",
        // A platform-wide aggregate per business date (delinquency over time), not any owner's row.
        "credit_bucket_history",
        // The platform's outbox and its webhook plumbing: one stream for the platform, read in
        // sequence order, kept with the ledger on the coordinator.
        "events", "webhook_endpoints", "webhook_deliveries", "webhook_attempts",
        // Payments out (0019): the platform's own instructions to its bank, batched across owners and
        // looked up by end-to-end id; payee details are keyed by the payee's natural key.
        "payment_orders", "payment_order_steps", "payment_batches", "payee_details",
    ]

    @Test("every owner-keyed table has its owner column in the primary key and in every unique index")
    func ownerKeyInEveryUniqueIndex() async throws {
        try await withTestDatabase { db in
            let rows = try await db.client.query("""
                SELECT c.relname::text, i.indisprimary, ARRAY(SELECT a.attname::text FROM unnest(i.indkey) k
                       JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = k)
                FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid JOIN pg_namespace n ON n.oid = c.relnamespace
                WHERE n.nspname = 'public' AND (i.indisunique OR i.indisprimary)
                """, logger: db.logger)
            var primaryKeys: [String: [String]] = [:]
            var violations: [String] = []
            for try await (table, primary, columns) in rows.decode((String, Bool, [String]).self) {
                guard let owner = Self.ownerKeyed[table] else { continue }
                if primary { primaryKeys[table] = columns }
                if !columns.contains(owner) { violations.append("\(table): unique index on \(columns) lacks \(owner)") }
            }
            #expect(violations.isEmpty, "\(violations)")
            for (table, owner) in Self.ownerKeyed {
                #expect(primaryKeys[table]?.contains(owner) == true, "\(table) primary key \(primaryKeys[table] ?? []) lacks \(owner)")
            }
        }
    }

    @Test("every table is classified: owner-keyed, or knowingly not")
    func everyTableClassified() async throws {
        try await withTestDatabase { db in
            let tables = try await db.client.query("SELECT tablename::text FROM pg_tables WHERE schemaname = 'public'", logger: db.logger).all(String.self)
            let unclassified = tables.filter { Self.ownerKeyed[$0] == nil && !Self.notOwnerKeyed.contains($0) }.sorted()
            #expect(unclassified.isEmpty, "classify these tables in SchemaDistributionTests: \(unclassified)")
        }
    }
}
