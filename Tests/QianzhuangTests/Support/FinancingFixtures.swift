import Domain
import Foundation
import HummingbirdTesting
import QianzhuangClient
import Testing

/// Builds suppliers and receivables through the API, as the platform would.
struct FinancingWorld: Sendable {
    let api: TestAPI
    let client: any TestClientProtocol
    static var today: BusinessDate { BusinessCalendar.shanghai.businessDate(at: Date()) }

    /// Valid unified social credit codes (check characters computed independently, see the domain tests).
    static let codes = ["91350100M000100Y43", "91440300708461136T", "91110108551385082Q"]

    func createSupplier(code: String = codes[0], limit: String = "100000.00", ceiling: String = "50000.00",
                        rate: String = "0.80", discount: String = "0.0730", minDays: Int = 7, maxDays: Int = 180,
                        activate: Bool = true) async throws -> String {
        let created = try await client.call(.post, "/v1/suppliers", key: api.operatorKey, json: """
            {"name": "Supplier \(code.suffix(4))", "unified_social_credit_code": "\(code)",
             "financing_line": {"limit": {"amount": "\(limit)", "currency": "CNY"}, "advance_rate": "\(rate)",
               "annual_discount_rate": "\(discount)", "min_days_to_maturity": \(minDays), "max_days_to_maturity": \(maxDays),
               "auto_approval_ceiling": {"amount": "\(ceiling)", "currency": "CNY"}}}
            """)
        #expect(created.status == .created, "\(created.text)")
        let id = try created.decode(Schemas.Supplier.self).id
        if activate {
            let patched = try await client.call(.patch, "/v1/suppliers/\(id)", key: api.operatorKey, json: #"{"status": "active"}"#)
            #expect(patched.status == .ok, "\(patched.text)")
        }
        return id
    }

    func createReceivable(supplier: String, face: String, dueInDays: Int, reference: String = UUID().uuidString) async throws -> String {
        let response = try await client.call(.post, "/v1/receivables", key: api.platformKey, json: """
            {"supplier_id": "\(supplier)", "external_reference": "\(reference)", "face_amount": {"amount": "\(face)", "currency": "CNY"},
             "issue_date": "\(Self.today.adding(days: -5))", "due_date": "\(Self.today.adding(days: dueInDays))"}
            """)
        #expect(response.status == .created, "\(response.text)")
        return try response.decode(Schemas.Receivable.self).id
    }

    func finance(_ receivables: [String], key: String) async throws -> JSONResponse {
        let ids = receivables.map { "\"\($0)\"" }.joined(separator: ",")
        return try await client.call(.post, "/v1/financing-requests", key: key, json: #"{"receivable_ids": [\#(ids)]}"#)
    }

    /// The generated client as the operator.
    var operatorClient: Client { client.typed(api.operatorKey) }

    func receivable(_ id: String) async throws -> Schemas.Receivable {
        try await operatorClient.getReceivablesById(path: .init(id: id)).ok.body.json
    }

    func supplier(_ id: String) async throws -> Schemas.Supplier {
        try await operatorClient.getSuppliersById(path: .init(id: id)).ok.body.json
    }

    func ledgerAccount(_ code: String) async throws -> Schemas.LedgerAccount {
        try await operatorClient.getLedgerAccountsByCode(path: .init(code: code)).ok.body.json
    }
}

/// The ledger sums to zero, every entry balances, cached balances equal the postings, and every
/// product's sub-ledger agrees with its control accounts (the nightly proof).
func expectLedgerBalanced(_ db: Persistence.Database, sourceLocation: SourceLocation = #_sourceLocation) async throws {
    let proof = try await ReconciliationService(database: db).proveLedger()
    #expect(proof.violations.isEmpty, "\(proof.violations)", sourceLocation: sourceLocation)
    #expect(proof.controls.filter { !$0.balanced }.isEmpty, "\(proof.controls.filter { !$0.balanced })", sourceLocation: sourceLocation)
    let total = try await db.scalar(Int64.self, "SELECT COALESCE(sum(amount), 0)::bigint FROM postings")
    #expect(total == 0, sourceLocation: sourceLocation)
}

import Persistence
import Services
