import Domain
import Foundation
import HTTPAPI
import Hummingbird
import HummingbirdTesting
import Logging
import Persistence
import QianzhuangClient
import PostgresNIO
import Services
import Testing

/// Shorthands for the credit API tests (namespaced so they cannot clash with other suites).
enum CreditAPI {
    /// Valid resident identity numbers (check characters computed by GB 11643) and mobile numbers.
    static let nationalIDs = ["11010519491231002X", "440524188001010014", "110101199003074477", "310101198506150032", "320102199001011232", "440304198511112224",
                              "510104199202023334", "330106198808084443"]
    static let phone = "13812345678"

    /// Noon in Shanghai on `date`, so the business date is `date` whatever the host's zone.
    static func noon(_ date: String) -> Date {
        guard let day = BusinessDate(date) else { fatalError("bad test date \(date)") }
        return Date(timeIntervalSince1970: TimeInterval(day.daysSinceEpoch * 86_400 + 4 * 3_600))
    }

    static func date(_ text: String) -> BusinessDate {
        guard let date = BusinessDate(text) else { fatalError("bad test date \(text)") }
        return date
    }

    /// Runs `body` with the clock pinned to noon on `date`.
    static func on<T: Sendable>(_ date: String, _ body: () async throws -> T) async rethrows -> T {
        try await BusinessClock.$pinned.withValue(noon(date)) { try await body() }
    }

    /// Features that score 820 (limit 50,000.00) under the standard scorecard.
    static let goodFeatures = """
        {"account_age_months": 60, "orders_last_year": 30, "spend_last_year": {"amount": "25000.00", "currency": "CNY"},
         "return_rate": "0.02", "distinct_delivery_addresses": 2, "on_time_repayment_ratio": "0.96", "prior_overdue_count": 0}
        """

    /// Features that score 610 (limit 3,000.00), held down by no repayment history and prior overdue.
    static let thinFeatures = """
        {"account_age_months": 12, "orders_last_year": 6, "spend_last_year": {"amount": "2000.00", "currency": "CNY"},
         "return_rate": "0.06", "distinct_delivery_addresses": 4, "on_time_repayment_ratio": null, "prior_overdue_count": 1}
        """

    static func openAccount(
        _ client: some TestClientProtocol, _ api: TestAPI, nationalID: String = nationalIDs[0], phone: String = phone,
        features: String = goodFeatures, productID: String? = nil, repaymentDay: Int? = nil
    ) async throws -> String {
        // An interest-free purchase falls due on the repayment day of the next bill (statement day 1 by default):
        // tests that pin a timeline name the repayment day that keeps it.
        let product = (productID.map { #", "product_id": "\#($0)""# } ?? "")
            + (repaymentDay.map { #", "statement_day": 1, "repayment_day": \#($0)"# } ?? "")
        let response = try await client.call(.post, "/v1/credit-accounts", key: api.platformKey, json: """
            {"national_id": "\(nationalID)", "phone": "\(phone)", "features": \(features)\(product)}
            """)
        guard response.status == .created else {
            throw TestFailure("opening an account failed: \(response.status) \(response.text)")
        }
        return try response.decode(Schemas.CreditAccount.self).id
    }

    static func checkoutJSON(account: String, order: String, amount: String, plan: String = "installments", tenor: Int? = 3,
                             merchant: String = "m-100") -> String {
        let tenorPart = tenor.map { #", "tenor": \#($0)"# } ?? ""
        return """
            {"credit_account_id": "\(account)", "order_ref": "\(order)", "merchant_id": "\(merchant)",
             "amount": {"amount": "\(amount)", "currency": "CNY"}, "plan": "\(plan)"\(tenorPart)}
            """
    }

    /// Authorizes and captures in full; returns (checkout id, plan id).
    static func purchase(
        _ client: some TestClientProtocol, _ api: TestAPI, account: String, order: String, amount: String,
        plan: String = "installments", tenor: Int? = 3
    ) async throws -> (checkout: String, plan: String) {
        let auth = try await client.call(.post, "/v1/checkouts", key: api.platformKey,
                                         json: checkoutJSON(account: account, order: order, amount: amount, plan: plan, tenor: tenor))
        guard auth.status == .created, case let authorized = try auth.decode(Schemas.Checkout.self), authorized.status == .authorized else {
            throw TestFailure("authorization failed: \(auth.status) \(auth.text)")
        }
        let capture = try await client.call(.post, "/v1/checkouts/\(authorized.id)/capture", key: api.platformKey)
        guard capture.status == .ok, let planID = try capture.decode(Schemas.Checkout.self).planId else {
            throw TestFailure("capture failed: \(capture.status) \(capture.text)")
        }
        return (authorized.id, planID)
    }

    /// The ledger proof every scenario ends with: no integrity violations and postings summing to zero.
    static func expectLedgerBalanced(_ db: Database, sourceLocation: SourceLocation = #_sourceLocation) async throws {
        try await QianzhuangTests.expectLedgerBalanced(db, sourceLocation: sourceLocation)
    }

    /// The account's cached amounts agree with its rows: held = live holds, outstanding = open principal,
    /// and the receivable in the ledger = open principal + unpaid late fees.
    static func expectAccountConsistent(_ db: Database, _ account: String, sourceLocation: SourceLocation = #_sourceLocation) async throws {
        guard let id = UUID(uuidString: account) else { throw TestFailure("bad id \(account)") }
        let held = try await db.scalar(Int64.self, "SELECT held FROM credit_accounts WHERE id = \(id)")
        let holds = try await db.scalar(Int64.self, """
            SELECT COALESCE(sum(amount), 0)::bigint FROM credit_checkouts WHERE credit_account_id = \(id) AND status = 'authorized'
            """)
        #expect(held == holds, "held", sourceLocation: sourceLocation)
        let outstanding = try await db.scalar(Int64.self, "SELECT principal_outstanding FROM credit_accounts WHERE id = \(id)")
        let open = try await db.scalar(Int64.self, """
            SELECT COALESCE(sum(principal - principal_paid), 0)::bigint FROM credit_installments
            WHERE credit_account_id = \(id) AND status = 'open'
            """)
        #expect(outstanding == open, "outstanding", sourceLocation: sourceLocation)
        let owed = try await db.scalar(Int64.self, """
            SELECT COALESCE(sum(principal - principal_paid + late_fee - late_fee_paid), 0)::bigint FROM credit_installments
            WHERE credit_account_id = \(id) AND status = 'open'
            """)
        let receivable = try await db.client.withConnection {
            try await LedgerStore.balance(code: "credit.\(account).receivable", asOf: nil, on: $0, logger: db.logger)
        }
        #expect(receivable == owed, "receivable", sourceLocation: sourceLocation)
    }
}
