import Domain
import Foundation
import Logging
import Persistence

extension CreditService {
    /// Nightly step for `businessDate`: ages every open installment past its due date.
    ///
    /// Per installment: days past due; once past the grace days a daily late fee
    /// (`LateFee.accrue` for the days not charged yet, up to the cap) booked in the ledger under
    /// `latefee:<plan>:<installment>:<date>`. Per account: days past due of its oldest unpaid
    /// installment, the delinquency bucket, frozen while anything is overdue, and charged off at
    /// 180 days past due (its whole receivable written off in the ledger).
    ///
    /// Works in batches of `batchSize` credit accounts in id order, one transaction per batch, so
    /// memory stays flat over millions of installments and a killed run resumes where it stopped.
    /// Idempotent per business date: installments aged for `businessDate` are skipped, and every
    /// ledger entry carries an idempotency reference, so running the same date twice books nothing twice.
    @discardableResult
    public func ageAccounts(businessDate: BusinessDate, batchSize: Int = 500) async throws -> CreditAgeingReport {
        var report = CreditAgeingReport(businessDate: businessDate)
        var after: UUID?
        while true {
            let cursor = after
            let ids = try await read { c in
                try await CreditNightlyStore.accountsToAge(businessDate: businessDate, after: cursor, limit: batchSize,
                                                           on: c, logger: logger)
            }
            guard let last = ids.last else { break }
            after = last
            let batch = try await database.transaction { c in
                try await ageBatch(ids, businessDate: businessDate, on: c)
            }
            report.batches += 1
            report.accountsAged += batch.accountsAged
            report.installmentsAged += batch.installmentsAged
            report.lateFeesCharged += batch.lateFeesCharged
            report.lateFeeTotalMinorUnits += batch.lateFeeTotalMinorUnits
            report.accountsFrozen += batch.accountsFrozen
            report.accountsChargedOff += batch.accountsChargedOff
        }
        try await database.transaction { c in try await CreditStore.recordBucketHistory(businessDate: businessDate, on: c, logger: logger) }
        logger.info("credit accounts aged", metadata: [
            "business_date": "\(businessDate)", "accounts": "\(report.accountsAged)", "installments": "\(report.installmentsAged)",
            "late_fees": "\(report.lateFeesCharged)", "frozen": "\(report.accountsFrozen)", "charged_off": "\(report.accountsChargedOff)",
        ])
        return report
    }

    func ageBatch(_ ids: [UUID], businessDate: BusinessDate, on c: DatabaseConnection) async throws -> CreditAgeingReport {
        var report = CreditAgeingReport(businessDate: businessDate)
        let statuses = try await CreditNightlyStore.lockAccounts(ids, on: c, logger: logger)
        let rows = try await CreditNightlyStore.pastDue(accountIDs: ids, businessDate: businessDate, on: c, logger: logger)
        var installmentUpdates: [CreditNightlyStore.InstallmentAgeing] = []
        var accountUpdates: [CreditNightlyStore.AccountAgeing] = []
        var entries: [JournalEntry] = []
        var chargeOffs: [UUID] = []
        var newlyOverdue: [(account: UUID, plan: UUID)] = []

        for (accountID, group) in Self.grouped(rows) {
            guard let first = group.first, let status = statuses[accountID], status == .active || status == .frozen else { continue }
            let product = try await product(id: first.productID, on: c).terms
            var worst = 0
            var overdue = false
            for row in group {
                let aged = DelinquencyStatus(dueDate: row.dueDate, asOf: businessDate, product: product)
                worst = max(worst, aged.daysPastDue)
                overdue = overdue || aged.isOverdue
                let wasOverdue = row.agedThrough.map { DelinquencyStatus(dueDate: row.dueDate, asOf: $0, product: product).isOverdue } ?? false
                if aged.isOverdue, !wasOverdue, !row.alreadyAged, newlyOverdue.last?.plan != row.planID {
                    newlyOverdue.append((accountID, row.planID))
                }
                var fee = Money.zero(row.principalOwed.currency)
                var days = row.lateFeeDays
                if !row.alreadyAged, aged.lateFeeDays > row.lateFeeDays {
                    fee = try Self.domain { () throws(CreditError) in
                        try LateFee.accrue(overduePrincipal: row.principalOwed, daysOverdue: aged.lateFeeDays - row.lateFeeDays,
                                           product: product, alreadyCharged: row.lateFeeCharged)
                    }
                    days = aged.lateFeeDays
                }
                installmentUpdates.append(.init(creditAccountID: accountID, planID: row.planID, number: row.number,
                                                lateFeeAdded: fee.minorUnits, lateFeeDays: days, daysPastDue: aged.daysPastDue))
                if fee.isPositive {
                    report.lateFeesCharged += 1
                    report.lateFeeTotalMinorUnits += fee.minorUnits
                    entries.append(try Self.ledger {
                        try CreditLedger.lateFee(planID: row.planID.uuidString.lowercased(), installment: row.number,
                                                 creditAccountID: accountID.uuidString.lowercased(), amount: fee,
                                                 businessDate: businessDate)
                    })
                }
            }
            let newStatus: CreditAccountStatus = overdue ? .frozen : .active
            if newStatus == .frozen && status == .active { report.accountsFrozen += 1 }
            accountUpdates.append(.init(creditAccountID: accountID, daysPastDue: worst,
                                        bucket: DelinquencyBucket(daysPastDue: worst), status: newStatus))
            if DelinquencyBucket.shouldChargeOff(daysPastDue: worst) { chargeOffs.append(accountID) }
            report.accountsAged += 1
            report.installmentsAged += group.count
        }

        try await CreditNightlyStore.applyAgeing(installmentUpdates, businessDate: businessDate, on: c, logger: logger)
        try await CreditLedgerBatch.post(entries, on: c, logger: logger)
        try await CreditNightlyStore.applyAccountAgeing(accountUpdates, actor: Self.nightlyActor, on: c, logger: logger)
        let written = try await CreditNightlyStore.chargeOff(accountIDs: chargeOffs, businessDate: businessDate,
                                                             actor: Self.nightlyActor, on: c, logger: logger)
        let writeOffs = try written.filter { $0.owed.isPositive }.map { item in
            try Self.ledger {
                try CreditLedger.chargeOff(creditAccountID: item.creditAccountID.uuidString.lowercased(), balance: item.owed,
                                           businessDate: businessDate)
            }
        }
        try await CreditLedgerBatch.post(writeOffs, on: c, logger: logger)
        report.accountsChargedOff = written.count
        // News of each account whose standing changed tonight, in this batch's transaction.
        var changes: [(EventType, UUID)] = accountUpdates.compactMap { u in
            switch (statuses[u.creditAccountID], u.status) {
            case (.active?, .frozen): (.accountFrozen, u.creditAccountID)
            case (.frozen?, .active): (.accountReinstated, u.creditAccountID)
            default: nil
            }
        }
        changes += written.map { (.accountChargedOff, $0.creditAccountID) }
        // In bulk: a night ages hundreds of thousands of accounts (one read per kind, one insert per type).
        let plans = try await CreditPlanStore.plans(keys: newlyOverdue.map { ($0.account, $0.plan) }, on: c, logger: logger)
        try await EventLog.record(.installmentOverdue, plans.map { (resource: EventResource.installmentPlan($0), objectID: $0.id.uuidString.lowercased()) },
                                  businessDate: businessDate, on: c, logger: logger)
        let accounts = Dictionary(try await CreditStore.accounts(ids: Array(Set(changes.map(\.1))), on: c, logger: logger).map { ($0.id, $0) },
                                  uniquingKeysWith: { first, _ in first })
        for type in [EventType.accountFrozen, .accountReinstated, .accountChargedOff] {
            let items = changes.filter { $0.0 == type }.compactMap { accounts[$0.1] }
            try await EventLog.record(type, items.map { (resource: EventResource.creditAccount($0), objectID: $0.id.uuidString.lowercased()) },
                                      businessDate: businessDate, on: c, logger: logger)
        }
        return report
    }

    /// Rows are ordered by account; groups keep that order.
    static func grouped(_ rows: [CreditNightlyStore.PastDueRow]) -> [(UUID, [CreditNightlyStore.PastDueRow])] {
        var out: [(UUID, [CreditNightlyStore.PastDueRow])] = []
        for row in rows {
            if out.last?.0 == row.creditAccountID {
                out[out.count - 1].1.append(row)
            } else {
                out.append((row.creditAccountID, [row]))
            }
        }
        return out
    }
}
