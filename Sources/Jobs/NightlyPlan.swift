import Domain
import Foundation
import Logging
import Persistence
import PostgresNIO
import Services
import Synchronization

/// The standard close of business. Each product area's step calls that area's service; nothing
/// here re-implements a business rule.
///
/// Two lanes run side by side, then the closing steps:
/// - **credit:** expire authorizations → age accounts → issue bills;
/// - **cash:** settle receivables → pay approved claims → write payment batches → check statements →
///   process payment returns → match statements → check unsettled payments;
/// - then prove the ledger (after both lanes), sweep idempotency keys, write the report.
///
/// The lanes share no rows: the credit lane books late fees and charge-offs on credit accounts
/// and writes no payment orders (a capture's or refund's order is written by its request); the cash
/// lane settles financing, insurance and payment orders and matches cash. A step with no `after`
/// follows the one listed before it.
public enum NightlyPlan {
    /// The system actor the nightly run books as.
    public static let actor = Actor(
        principal: Principal(keyID: "00000000-0000-0000-0000-000000000000", role: .operator, supplierID: nil), requestID: nil)

    /// The run that is running `date` (the runner records it before any step).
    static func currentRun(_ date: BusinessDate, _ database: Database) async throws -> UUID {
        let logger = database.logger
        guard let run = try await database.client.withConnection({ try await NightlyStore.latestRun(for: date, on: $0, logger: logger) }) else {
            throw NightlyStepFailure(step: "reconciliation", message: "no run recorded for \(date)")
        }
        return run.id
    }

    public static func standard(services: ServiceRegistry, database: Database, reportDirectory: URL, clock: BusinessClock,
                                logger: Logger) -> [NightlyStep] {
        let reconciliation = ReconciliationService(database: database)
        let proofs = ProvenLedgers()
        return [
            NightlyStep("expire_credit_authorizations", after: []) { date in
                ["expired": Int64(try await services.credit.expireAuthorizations(businessDate: date))]
            },
            NightlyStep("settle_receivables", after: []) { date in
                let s = try await services.supplierFinance.settleDueReceivables(on: date, actor: actor)
                return ["settled": Int64(s.settled), "paid_minor": s.paidMinorUnits, "recourse_minor": s.recourseMinorUnits]
            },
            NightlyStep("pay_approved_claims") { date in
                let run = try await services.insurance.payApprovedClaims(businessDate: date)
                return ["claims_paid": Int64(run.paidClaimIDs.count), "paid_minor": run.totals.reduce(0) { $0 + $1.minorUnits }]
            },
            NightlyStep("age_credit_accounts", after: ["expire_credit_authorizations"]) { date in
                let r = try await services.credit.ageAccounts(businessDate: date)
                return ["accounts_aged": Int64(r.accountsAged), "late_fees": Int64(r.lateFeesCharged),
                        "late_fee_minor": r.lateFeeTotalMinorUnits, "frozen": Int64(r.accountsFrozen),
                        "charged_off": Int64(r.accountsChargedOff)]
            },
            // After ageing, so each bill shows the late fees charged up to its statement date.
            NightlyStep("issue_credit_bills", after: ["age_credit_accounts"]) { date in
                let b = try await services.credit.issueBills(businessDate: date)
                return ["bills": b.bills, "lines": b.lines, "total_due_minor": b.totalDueMinorUnits]
            },
            // After every step that pays out: the day's orders leave in tonight's files.
            NightlyStep("write_payment_batches", after: ["pay_approved_claims"]) { date in
                let batches = try await services.payments.writeBatches(businessDate: date, actor: actor)
                return ["batches": Int64(batches.count), "orders": Int64(batches.reduce(0) { $0 + $1.orderCount })]
            },
            NightlyStep("check_statements") { date in
                let s = try await reconciliation.raiseStatementVerdicts(businessDate: date, runID: try await currentRun(date, database))
                return ["statements": Int64(s.statements), "unbalanced": Int64(s.unbalanced), "exceptions_raised": Int64(s.exceptionsRaised)]
            },
            // Before matching: a returned payment's reversal entry is what its statement line matches.
            NightlyStep("process_payment_returns") { date in
                ["returned": Int64(try await services.payments.processReturns(businessDate: date))]
            },
            NightlyStep("match_statements") { date in
                let m = try await reconciliation.match(businessDate: date, runID: try await currentRun(date, database))
                return ["expected": Int64(m.expected), "statement_lines": Int64(m.actual), "matched": Int64(m.matched),
                        "exceptions_raised": Int64(m.exceptionsRaised), "exceptions_closed": Int64(m.exceptionsClosed),
                        "partitions": Int64(m.partitions)]
            },
            NightlyStep("check_unsettled_payments") { date in
                ["exceptions_raised": Int64(try await services.payments.raiseUnsettled(businessDate: date))]
            },
            NightlyStep("prove_ledger", after: ["check_unsettled_payments", "issue_credit_bills"]) { date in
                let proof = try await reconciliation.proveLedger()
                proofs.keep(proof, for: date)
                if !proof.holds {
                    logger.error("ledger proof failed", metadata: ["violations": "\(proof.violations.prefix(20))",
                                                                   "controls": "\(proof.controls.filter { !$0.balanced })"])
                }
                return ["violations": Int64(proof.violations.count), "controls": Int64(proof.controls.count),
                        "controls_failed": Int64(proof.controls.filter { !$0.balanced }.count)]
            },
            NightlyStep("sweep_idempotency_keys") { _ in
                let cutoff = clock.now().addingTimeInterval(-TimeInterval(IdempotencyStore.retention.components.seconds))
                return ["deleted": Int64(try await IdempotencyStore.sweep(olderThan: cutoff, database: database))]
            },
            NightlyStep("write_report") { date in
                let path = try await NightlyReport.write(date: date, database: database, reconciliation: reconciliation, directory: reportDirectory,
                                                         proof: proofs.take(for: date))
                logger.info("nightly report written", metadata: ["path": "\(path)"])
                return ["report_written": 1]
            },
        ]
    }
}

/// The proof the `prove_ledger` step of this process reached for a date, handed to that date's
/// report, which shows it instead of proving the ledger a second time (two scans of every posting:
/// about 7 s of PostgreSQL time at a million lines). A report with nothing handed over (its run
/// resumed in another process after the proof step completed) proves the ledger itself.
final class ProvenLedgers: Sendable {
    private let proofs = Mutex<[BusinessDate: ReconciliationService.LedgerProof]>([:])

    func keep(_ proof: ReconciliationService.LedgerProof, for date: BusinessDate) {
        proofs.withLock { $0[date] = proof }
    }

    /// The kept proof for `date`, once.
    func take(for date: BusinessDate) -> ReconciliationService.LedgerProof? {
        proofs.withLock { $0.removeValue(forKey: date) }
    }
}
