import Domain
import Foundation
import Logging
import Persistence

/// Reading the ledger, and operators' manual adjustments.
public struct LedgerService: Sendable {
    let database: Database

    public init(database: Database) { self.database = database }

    public func account(code: String) async throws -> LedgerAccountRecord {
        let logger = database.logger
        guard let account = try await database.withConnection({ try await LedgerStore.account(code: code, on: $0, logger: logger) }) else {
            throw ServiceError.notFound(resource: "ledger account", id: code)
        }
        return account
    }

    /// The entries posting to an account, newest first, each with all its lines (the console's drill-down).
    public func entries(accountCode: String, before: (createdAt: Date, id: UUID)?, limit: Int) async throws -> [LedgerEntryRecord] {
        _ = try await account(code: accountCode)
        let logger = database.logger
        return try await database.withConnection {
            try await OrderStore.entries(accountCode: accountCode, before: before, limit: min(max(limit, 1), 500), on: $0, logger: logger)
        }
    }

    public func trialBalance(asOf: BusinessDate?) async throws -> [TrialBalanceRow] {
        let logger = database.logger
        return try await database.withConnection { try await LedgerStore.trialBalance(asOf: asOf, on: $0, logger: logger) }
    }

    public func integrityViolations() async throws -> [String] {
        let logger = database.logger
        return try await database.withConnection { try await LedgerStore.integrityViolations(on: $0, logger: logger) }
    }

    /// One line of a manual entry as the operator states it.
    public struct ManualLine: Sendable {
        public let accountCode: String
        public let amount: Money
        public let side: NormalSide
        public init(accountCode: String, amount: Money, side: NormalSide) {
            self.accountCode = accountCode
            self.amount = amount
            self.side = side
        }
    }

    /// Posts an operator's balanced adjustment on existing accounts; returns the entry id.
    public func postManualEntry(
        businessDate: BusinessDate, description: String, reference: String, lines: [ManualLine], actor: Actor
    ) async throws -> UUID {
        let logger = database.logger
        return try await database.transaction { connection in
            var postingLines: [PostingLine] = []
            for (index, line) in lines.enumerated() {
                guard let account = try await LedgerStore.account(code: line.accountCode, on: connection, logger: logger) else {
                    throw ServiceError.invalid("postings[\(index)].account_code", "no ledger account with this code")
                }
                guard account.currency == line.amount.currency else {
                    throw ServiceError.invalid("postings[\(index)].amount.currency", "account is booked in \(account.currency.code)")
                }
                let spec = LedgerAccountSpec(code: account.code, name: account.name, type: account.type, currency: account.currency,
                                             owner: .platform)
                postingLines.append(line.side == .debit ? .debit(spec, line.amount) : .credit(spec, line.amount))
            }
            let entry: JournalEntry
            do {
                entry = try JournalEntry(kind: "manual_adjustment", businessDate: businessDate, referenceType: "manual",
                                         referenceID: reference, idempotencyRef: "manual:\(reference)",
                                         description: description, lines: postingLines)
            } catch let error as LedgerError {
                throw ServiceError.invalid("postings", Self.message(for: error))
            }
            let outcome = try await LedgerStore.post(entry, on: connection, logger: logger)
            guard case .posted(let id) = outcome else {
                throw ServiceError.conflict(code: "duplicate_reference", detail: "a manual entry with reference \(reference) is already posted")
            }
            try await AuditStore.record(actor: actor.principal.actor, action: "ledger.manual_entry", objectType: "journal_entry",
                                        objectID: id.uuidString.lowercased(), requestID: actor.requestID, on: connection, logger: logger)
            return id
        }
    }

    static func message(for error: LedgerError) -> String {
        switch error {
        case .unbalanced(let currency, let sum): "debits and credits differ by \(sum) minor units of \(currency)"
        case .tooFewPostings: "at least two non-zero postings are required"
        case .currencyMismatch(let a, let p): "posting currency \(p) differs from account currency \(a)"
        case .overflow: "amounts overflow"
        }
    }
}
