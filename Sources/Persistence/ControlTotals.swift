import Foundation
import Logging
import PostgresNIO

/// A control-total check: two SQL sums that must agree (both in minor units, one currency world).
public struct ControlQuery: Sendable {
    public let name: String
    public let subLedger: PostgresQuery
    public let control: PostgresQuery

    /// Receivables outstanding = payables to suppliers; live financing advances = financing accounts.
    public static let financing: [ControlQuery] = [
        ControlQuery(
            name: "receivables_outstanding",
            // GREATEST(face − adjusted, 0) must agree with `Receivable.outstanding(face:adjusted:)`.
            subLedger: "SELECT COALESCE(sum(GREATEST(face_amount - adjusted_amount, 0)), 0)::numeric::text FROM receivables WHERE status IN ('open', 'financed', 'disputed')",
            control: "SELECT COALESCE(-sum(balance), 0)::numeric::text FROM ledger_accounts WHERE code LIKE 'supplier.%.payable.%'"),
        ControlQuery(
            name: "financing_outstanding",
            subLedger: "SELECT COALESCE(sum(advance), 0)::numeric::text FROM financing_items WHERE status = 'active'",
            control: "SELECT COALESCE(sum(balance), 0)::numeric::text FROM ledger_accounts WHERE code LIKE 'supplier.%.financing.%'"),
        ControlQuery(
            name: "supplier_recourse",
            subLedger: "SELECT COALESCE(sum(recourse_owed), 0)::numeric::text FROM suppliers",
            control: "SELECT COALESCE(sum(balance), 0)::numeric::text FROM ledger_accounts WHERE code LIKE 'supplier.%.recourse.%'"),
    ]

    /// Claims paid to sellers, less what payment orders already sent them (0019) = what the ledger owes sellers on claims.
    public static let insurance: [ControlQuery] = [
        ControlQuery(
            name: "claims_payable",
            subLedger: """
                SELECT (COALESCE((SELECT sum(amount) FROM insurance_claims WHERE status = 'paid'), 0)
                        - COALESCE((SELECT sum(amount) FROM payment_orders
                                    WHERE source_type = 'claim_payout' AND status IN ('sent', 'settled', 'returned')), 0))::numeric::text
                """,
            control: "SELECT COALESCE(-sum(balance), 0)::numeric::text FROM ledger_accounts WHERE code LIKE 'insurance.claims_payable.%'"),
    ]

    /// Consumer loans: open principal plus unpaid late fees = the consumers' loan receivables.
    public static let credit: [ControlQuery] = [
        ControlQuery(
            name: "consumer_loans_outstanding",
            subLedger: """
                SELECT COALESCE(sum(principal - principal_paid + late_fee - late_fee_paid), 0)::numeric::text
                FROM credit_installments WHERE status = 'open'
                """,
            control: "SELECT COALESCE(sum(balance), 0)::numeric::text FROM ledger_accounts WHERE code LIKE 'credit.%.receivable'"),
    ]

    public static var all: [ControlQuery] { financing + insurance + credit }
}

extension ControlQuery {
    /// The sub-ledger's total in minor units, exactly (`numeric`, which may pass Int64).
    public func subLedgerTotal(on connection: PostgresConnection, logger: Logger) async throws -> Decimal {
        try await Self.total(subLedger, on: connection, logger: logger)
    }

    /// The control accounts' total in minor units, exactly.
    public func controlTotal(on connection: PostgresConnection, logger: Logger) async throws -> Decimal {
        try await Self.total(control, on: connection, logger: logger)
    }

    static func total(_ query: PostgresQuery, on connection: PostgresConnection, logger: Logger) async throws -> Decimal {
        let text = try await connection.query(query, logger: logger).all(String.self).first ?? "0"
        guard let value = Decimal(string: text, locale: Locale(identifier: "en_US_POSIX")) else {
            throw ControlTotalError.notANumber(text)
        }
        return value
    }
}

/// A control query answered something that is not a number (a broken query, not bad data).
public enum ControlTotalError: Error, Equatable {
    case notANumber(String)
}
