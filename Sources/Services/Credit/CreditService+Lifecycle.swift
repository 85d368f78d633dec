import Domain
import Foundation
import Logging
import Persistence

extension CreditService {
    /// An operator raises or lowers an account's limit for a stated reason (issue 13). A decrease never
    /// goes below what is outstanding and held; a charged-off or declined account is not changed.
    /// One transaction: the account row is locked, the limit written and the change audited
    /// (`credit.limit.increased` / `credit.limit.decreased`, with from, to and the reason code).
    public func changeLimit(
        accountID: UUID, to newLimit: Money, reason: LimitChangeReason, actor: Actor
    ) async throws -> CreditAccountRecord {
        let (_, today) = clock.read()
        return try await database.transaction { c in
            let (account, _) = try await lockAccount(accountID, today: today, on: c)
            guard account.status == .active || account.status == .frozen else {
                throw ServiceError.conflict(code: "account_not_open", detail: "the account is \(account.status.rawValue)")
            }
            let change = try Self.domain(field: "new_limit.amount") { () throws(CreditError) in
                try CreditLimitChange(from: account.limit, to: newLimit, reason: reason, outstanding: account.principalOutstanding,
                                      held: account.held)
            }
            try await CreditStore.setLimit(accountID: account.id, limit: change.to, on: c, logger: logger)
            try await AuditStore.record(
                actor: actor.principal.actor, action: change.isIncrease ? "credit.limit.increased" : "credit.limit.decreased",
                objectType: "credit_account", objectID: account.id.uuidString.lowercased(),
                detail: ["from": change.from.decimalString, "to": change.to.decimalString,
                                       "reason_code": change.reason.rawValue],
                requestID: actor.requestID, on: c, logger: logger)
            return try await CreditStore.account(id: account.id, on: c, logger: logger).orNotFound("credit account", id: account.id)
        }
    }

    /// Closes an account that owes nothing and holds nothing (no open installment, no live authorization).
    /// It keeps its history and takes no new purchases (`account_closed`); the change is audited.
    public func closeAccount(accountID: UUID, actor: Actor) async throws -> CreditAccountRecord {
        let (_, today) = clock.read()
        return try await database.transaction { c in
            let (account, _) = try await lockAccount(accountID, today: today, on: c)
            guard account.status == .active || account.status == .frozen || account.status == .declined else {
                throw ServiceError.conflict(code: "account_not_open", detail: "the account is \(account.status.rawValue)")
            }
            let openInstallments = try await CreditStore.openInstallmentCount(accountID: account.id, on: c, logger: logger)
            guard account.held.isZero, account.principalOutstanding.isZero, openInstallments == 0 else {
                throw ServiceError.conflict(code: "account_in_use",
                                            detail: "an account can be closed only when nothing is owed or held")
            }
            try await CreditStore.updateDelinquency(accountID: account.id, daysPastDue: 0, bucket: .current, status: .closed,
                                                    on: c, logger: logger)
            try await AuditStore.record(
                actor: actor.principal.actor, action: "credit.account.closed", objectType: "credit_account",
                objectID: account.id.uuidString.lowercased(), detail: ["from": account.status.rawValue],
                requestID: actor.requestID, on: c, logger: logger)
            return try await CreditStore.account(id: account.id, on: c, logger: logger).orNotFound("credit account", id: account.id)
        }
    }

    /// Books cash recovered on a charged-off account to its own income account (never the receivable,
    /// which was written off), up to what was written off less earlier recoveries; audited.
    public func recover(
        accountID: UUID, amount: Money, externalRef: String, actor: Actor
    ) async throws -> RecoveryResult {
        let (_, today) = clock.read()
        let id = UUID()
        do {
            return try await database.transaction { c in
                let (account, _) = try await lockAccount(accountID, today: today, on: c)
                guard account.status == .chargedOff else {
                    throw ServiceError.conflict(code: "not_charged_off", detail: "the account is \(account.status.rawValue)")
                }
                let standing = try await CreditStore.recoveryStanding(accountID: account.id, on: c, logger: logger)
                let writtenOff = Money(minorUnits: standing.writtenOff, currency: account.currency)
                let before = Money(minorUnits: standing.recovered, currency: account.currency)
                try Self.domain(field: "amount.amount") { () throws(CreditError) in
                    try ChargeOffRecovery.check(amount: amount, writtenOff: writtenOff, recoveredBefore: before)
                }
                try await CreditStore.insertRecovery(accountID: account.id, id: id, externalRef: externalRef, amount: amount,
                                                     businessDate: today, on: c, logger: logger)
                try await AuditStore.record(
                    actor: actor.principal.actor, action: "credit.recovery.booked", objectType: "credit_account",
                    objectID: account.id.uuidString.lowercased(),
                    detail: ["recovery_id": id.uuidString.lowercased(), "amount": amount.decimalString],
                    requestID: actor.requestID, on: c, logger: logger)
                try await CreditLedgerBatch.post([try Self.ledger {
                    try CreditLedger.recovery(recoveryID: id.uuidString.lowercased(), creditAccountID: account.id.uuidString.lowercased(),
                                              amount: amount, businessDate: today)
                }], on: c, logger: logger)
                return RecoveryResult(id: id, creditAccountID: account.id, externalRef: externalRef, amount: amount,
                                      businessDate: today, writtenOff: writtenOff,
                                      recovered: Money(minorUnits: before.minorUnits + amount.minorUnits, currency: account.currency))
            }
        } catch let error where DatabaseFailure.isUniqueViolation(error) {
            throw ServiceError.conflict(code: "duplicate_external_ref", detail: "recovery \(externalRef) was already booked")
        }
    }
}

/// A recovery as booked, with the account's totals after it.
public struct RecoveryResult: Sendable {
    public let id: UUID
    public let creditAccountID: UUID
    public let externalRef: String
    public let amount: Money
    public let businessDate: BusinessDate
    public let writtenOff: Money
    public let recovered: Money
}
