import Foundation

/// Who a statement is, whatever the bytes of the file that carried it: the account, the bank's
/// statement number (its electronic sequence number, else `Stmt/Id`) and the period (the closing
/// balance's date, else the creation date). A re-sent copy (new message id, other line endings)
/// has the same identity and the same content; a different statement under the same identity is
/// a conflict an operator must look at.
public struct StatementIdentity: Hashable, Sendable, CustomStringConvertible {
    public let account: String
    public let number: String
    public let period: BusinessDate?

    public init(account: String, number: String, period: BusinessDate?) {
        self.account = account
        self.number = number
        self.period = period
    }

    public init(_ summary: StatementSummary) {
        self.init(account: summary.account?.identifier ?? "-",
                  number: summary.electronicSequenceNumber ?? summary.id,
                  period: summary.closingBalance?.date ?? summary.creationDate)
    }

    /// The stored key.
    public var key: String { "\(account)|\(number)|\(period?.description ?? "-")" }

    public var description: String { "account \(account), statement \(number), period \(period?.description ?? "undated")" }

    /// The electronic sequence number as a number, when it is one.
    public static func sequenceNumber(_ summary: StatementSummary) -> Int64? {
        summary.electronicSequenceNumber.flatMap { Int64($0) }
    }
}

/// What a statement says about its place after the previous statement of the same account.
public enum StatementContinuity: Hashable, Sendable, CustomStringConvertible {
    /// Sequence numbers skip: `expected` was due, `found` arrived.
    case sequenceGap(expected: Int64, found: Int64)
    /// The opening balance is not the previous statement's closing balance.
    case balanceDiscontinuity(previousClosing: Money, opening: Money)

    /// The kind of exception this raises.
    public var kind: ReconciliationException.Kind {
        switch self {
        case .sequenceGap: .sequenceGap
        case .balanceDiscontinuity: .balanceDiscontinuity
        }
    }

    public var description: String {
        switch self {
        case .sequenceGap(let expected, let found):
            "statement number \(found) follows \(expected - 1): \(found - expected) statement(s) missing"
        case .balanceDiscontinuity(let previous, let opening):
            "opening balance \(opening) differs from the previous statement's closing balance \(previous)"
        }
    }

    /// Findings between the previous statement of the account (its sequence number and closing
    /// balance) and this one. Nothing is found when there is no previous statement.
    public static func check(previousSequence: Int64?, previousClosing: Money?, sequence: Int64?, opening: Money?) -> [StatementContinuity] {
        var out: [StatementContinuity] = []
        if let previousSequence, let sequence, sequence > previousSequence + 1 {
            out.append(.sequenceGap(expected: previousSequence + 1, found: sequence))
        }
        if let previousClosing, let opening, previousClosing != opening {
            out.append(.balanceDiscontinuity(previousClosing: previousClosing, opening: opening))
        }
        return out
    }
}
