/// Whether a statement's balances add up: opening + booked credits − booked debits == closing.
public enum StatementBalanceCheck: Hashable, Sendable {
    /// The entries explain the movement from opening to closing exactly.
    case balanced(opening: Money, closing: Money)
    /// They do not: `computedClosing` is what the entries imply, `statedClosing` what the bank wrote.
    case unbalanced(opening: Money, computedClosing: Money, statedClosing: Money)
    /// The check could not be made; the reason says why.
    case notCheckable(Reason)

    /// Why a statement's balance could not be checked.
    public enum Reason: Hashable, Sendable {
        case missingOpeningBalance
        case missingClosingBalance
        /// Balances or entries in more than one currency (statement currency, the other one).
        case mixedCurrencies(String, String)
        case overflow
    }

    public var isBalanced: Bool {
        if case .balanced = self { return true }
        return false
    }

    /// Stated minus computed closing balance, when unbalanced.
    public var difference: Money? {
        guard case .unbalanced(_, let computed, let stated) = self else { return nil }
        return try? stated.subtracting(computed)
    }

    /// The verdict for an opening balance, booked credit and debit totals (both positive) and a closing balance.
    public static func evaluate(opening: Money?, credits: Money, debits: Money, closing: Money?) -> StatementBalanceCheck {
        guard let opening else { return .notCheckable(.missingOpeningBalance) }
        guard let closing else { return .notCheckable(.missingClosingBalance) }
        for other in [closing, credits, debits] where other.currency != opening.currency {
            return .notCheckable(.mixedCurrencies(opening.currency.code, other.currency.code))
        }
        do {
            let computed = try opening.adding(credits).subtracting(debits)
            return computed == closing
                ? .balanced(opening: opening, closing: closing)
                : .unbalanced(opening: opening, computedClosing: computed, statedClosing: closing)
        } catch {
            return .notCheckable(.overflow)
        }
    }
}
