/// The installment-credit area's ledger accounts and its one posting template per money movement.
///
/// Accounts:
/// - `credit.<account id>.receivable` (asset, owned by the credit account): principal captured and
///   late fees charged, less what was repaid, refunded or written off.
/// - `credit.merchant.<merchant id>.payable` (liability, owned by the merchant): what the platform owes
///   a merchant for purchases financed on credit, less refunds of returned goods. One per merchant so
///   concurrent captures for different merchants never queue on one ledger row.
/// - `credit.fee_income.<ccy>` (income): installment fees and interest, recognised when paid (cash
///   basis), so a fee waived at early payoff or cancellation was never booked and needs no reversal.
/// - `credit.late_fee_income.<ccy>` (income): late fees, recognised as the nightly run charges them.
/// - `credit.write_off.<ccy>` (expense): receivables charged off at 180 days past due.
/// - `platform.cash.<ccy>`: repayments received and refund excess returned to the consumer.
///
/// Holds (authorizations) are not money movements and never touch the ledger.
public enum CreditLedger {
    public static func receivable(creditAccountID: String, _ currency: Currency) -> LedgerAccountSpec {
        LedgerAccountSpec(
            code: "credit.\(creditAccountID).receivable", name: "Consumer loan receivable \(creditAccountID)",
            type: .asset, currency: currency, owner: .creditAccount(creditAccountID))
    }

    /// `merchantID` must already be a valid ledger code fragment (lower case, `[a-z0-9_.-]`).
    public static func merchantPayable(merchantID: String, _ currency: Currency) -> LedgerAccountSpec {
        LedgerAccountSpec(
            code: "credit.merchant.\(merchantID).payable.\(currency.code.lowercased())",
            name: "Payable to merchant \(merchantID) for credit purchases", type: .liability, currency: currency,
            owner: .seller(merchantID))
    }

    public static func feeIncome(_ currency: Currency) -> LedgerAccountSpec {
        .perCurrency("credit.fee_income", "Installment fee income", .income, currency)
    }

    public static func lateFeeIncome(_ currency: Currency) -> LedgerAccountSpec {
        .perCurrency("credit.late_fee_income", "Late fee income", .income, currency)
    }

    public static func writeOffExpense(_ currency: Currency) -> LedgerAccountSpec {
        .perCurrency("credit.write_off", "Consumer credit write-offs", .expense, currency)
    }

    /// Money recovered on accounts already charged off (its own income account, so write-offs stay gross).
    public static func recoveryIncome(_ currency: Currency) -> LedgerAccountSpec {
        .perCurrency("credit.recoveries", "Recoveries on charged-off consumer credit", .income, currency)
    }

    /// Cash recovered after a charge-off: the receivable is already written off, so it is income of its own.
    public static func recovery(
        recoveryID: String, creditAccountID: String, amount: Money, businessDate: BusinessDate
    ) throws(LedgerError) -> JournalEntry {
        try .transfer(
            kind: "credit.recovery", businessDate: businessDate, referenceType: "credit_account", referenceID: creditAccountID,
            idempotencyRef: "recovery:\(recoveryID)", description: "recovery after charge-off",
            amount: amount, debit: PlatformAccounts.cash(amount.currency), credit: recoveryIncome(amount.currency))
    }

    /// Capture of a checkout: the consumer now owes the principal; the platform owes the merchant.
    public static func capture(
        checkoutID: String, creditAccountID: String, merchantID: String, principal: Money, businessDate: BusinessDate
    ) throws(LedgerError) -> JournalEntry {
        try JournalEntry(
            kind: "credit.capture", businessDate: businessDate, referenceType: "checkout", referenceID: checkoutID,
            idempotencyRef: "capture:\(checkoutID)", description: "credit purchase captured",
            lines: [
                .debit(receivable(creditAccountID: creditAccountID, principal.currency), principal),
                .credit(merchantPayable(merchantID: merchantID, principal.currency), principal),
            ])
    }

    /// A repayment received in cash: principal and late fees reduce the receivable; fees are income.
    public static func repayment(
        repaymentID: String, creditAccountID: String, principal: Money, fees: Money, lateFees: Money,
        businessDate: BusinessDate
    ) throws(LedgerError) -> JournalEntry {
        let currency = principal.currency
        let cleared = try sum(principal, lateFees)
        return try JournalEntry(
            kind: "credit.repayment", businessDate: businessDate, referenceType: "repayment", referenceID: repaymentID,
            idempotencyRef: "repayment:\(repaymentID)", description: "installment repayment",
            lines: [
                .debit(PlatformAccounts.cash(currency), try sum(cleared, fees)),
                .credit(receivable(creditAccountID: creditAccountID, currency), cleared),
                .credit(feeIncome(currency), fees),
            ])
    }

    /// A merchant refund for returned goods: the merchant payable shrinks by the refund, which clears
    /// principal (and, on a cancelling refund, late fees and due fees); any excess goes back to the consumer.
    public static func refund(
        refundID: String, creditAccountID: String, merchantID: String, principal: Money, lateFees: Money, fees: Money,
        returnedToConsumer: Money, businessDate: BusinessDate
    ) throws(LedgerError) -> JournalEntry {
        let currency = principal.currency
        let cleared = try sum(principal, lateFees)
        let total = try sum(try sum(cleared, fees), returnedToConsumer)
        return try JournalEntry(
            kind: "credit.refund", businessDate: businessDate, referenceType: "refund", referenceID: refundID,
            idempotencyRef: "refund:\(refundID)", description: "merchant refund of a credit purchase",
            lines: [
                .debit(merchantPayable(merchantID: merchantID, currency), total),
                .credit(receivable(creditAccountID: creditAccountID, currency), cleared),
                .credit(feeIncome(currency), fees),
                .credit(PlatformAccounts.cash(currency), returnedToConsumer),
            ])
    }

    /// The idempotency reference of one installment's late fee for one business date.
    public static func lateFeeReference(planID: String, installment: Int, businessDate: BusinessDate) -> String {
        "latefee:\(planID):\(installment):\(businessDate)"
    }

    /// A late fee charged by the nightly run on one installment for one business date.
    public static func lateFee(
        planID: String, installment: Int, creditAccountID: String, amount: Money, businessDate: BusinessDate
    ) throws(LedgerError) -> JournalEntry {
        try .transfer(
            kind: "credit.late_fee", businessDate: businessDate, referenceType: "installment_plan", referenceID: planID,
            idempotencyRef: lateFeeReference(planID: planID, installment: installment, businessDate: businessDate),
            description: "late fee on installment \(installment)",
            amount: amount, debit: receivable(creditAccountID: creditAccountID, amount.currency), credit: lateFeeIncome(amount.currency))
    }

    /// Charge-off: the account's whole receivable (principal and late fees owed) is written off.
    public static func chargeOff(
        creditAccountID: String, balance: Money, businessDate: BusinessDate
    ) throws(LedgerError) -> JournalEntry {
        try .transfer(
            kind: "credit.charge_off", businessDate: businessDate, referenceType: "credit_account", referenceID: creditAccountID,
            idempotencyRef: "chargeoff:\(creditAccountID)", description: "charged off at 180 days past due",
            amount: balance, debit: writeOffExpense(balance.currency), credit: receivable(creditAccountID: creditAccountID, balance.currency))
    }

    private static func sum(_ a: Money, _ b: Money) throws(LedgerError) -> Money {
        do {
            return try a.adding(b)
        } catch .currencyMismatch(let expected, let found) {
            throw .currencyMismatch(account: expected, posting: found)
        } catch {
            throw .overflow
        }
    }
}
