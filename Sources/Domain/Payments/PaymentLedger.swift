/// The ledger side of payment orders, in one place.
///
/// Most movements that leave the platform already credit `platform.cash` when they are booked
/// (a financing advance, a supplier's remainder, a refund's excess to the consumer); their order is
/// created next to that entry. Two only record a debt: a claim owed to the seller and a credit
/// purchase owed to the merchant. Their order is created next to that entry too, and paying it
/// is a movement of its own (`payout`, payable against cash), booked when the batch holding the
/// order goes to the bank: until then the debt is still owed, and the control totals say so.
///
/// A payment the creditor's bank sends back (`returned`) puts the cash back and holds the amount
/// in `platform.payment_returns.<ccy>`, a liability: the creditor is still owed and an operator
/// decides how to pay again.
public enum PaymentLedger {
    public static func paymentReturns(_ c: Currency) -> LedgerAccountSpec {
        LedgerAccountSpec(code: "platform.payment_returns.\(c.code.lowercased())",
                          name: "Outgoing payments returned by the creditor's bank \(c.code)",
                          type: .liability, currency: c, owner: .platform)
    }

    /// The payable an order of `source` clears when it is sent, for the sources that only booked a debt.
    public static func payableClearedOnSending(_ source: PaymentSourceType, creditorRef: String, _ c: Currency) -> LedgerAccountSpec? {
        switch source {
        case .claimPayout: SellerRef(rawValue: creditorRef).map { InsuranceLedger.claimsPayable($0, c) }
        case .merchantPayable: CreditLedger.merchantPayable(merchantID: creditorRef, c)
        case .financingAdvance, .supplierRemainder, .consumerRefund: nil
        }
    }

    /// Paying out a payable from cash. Booked once per order (`payment-order-payout:<order id>`).
    public static func payout(orderID: String, payable: LedgerAccountSpec, amount: Money, on date: BusinessDate) throws(LedgerError) -> JournalEntry {
        try .transfer(kind: "payment_order.payout", businessDate: date, referenceType: "payment_order", referenceID: orderID,
                      idempotencyRef: "payment-order-payout:\(orderID)", description: "payment order to the creditor",
                      amount: amount, debit: payable, credit: PlatformAccounts.cash(amount.currency))
    }

    /// An order that failed after its cash was booked out (the bank rejected it, or it was cancelled):
    /// the cash is back and the creditor still owed. Booked once per order.
    public static func failed(orderID: String, amount: Money, on date: BusinessDate) throws(LedgerError) -> JournalEntry {
        try .transfer(kind: "payment_order.failed", businessDate: date, referenceType: "payment_order_failure", referenceID: orderID,
                      idempotencyRef: "payment-order-failed:\(orderID)", description: "payment order failed",
                      amount: amount, debit: PlatformAccounts.cash(amount.currency), credit: paymentReturns(amount.currency))
    }

    /// Whether an order of `source` in `status` has already taken its amount out of cash in the ledger:
    /// from its creation, or (a payable) once its batch was sent.
    public static func cashBookedOut(_ source: PaymentSourceType, status: PaymentOrderStatus) -> Bool {
        switch source {
        case .claimPayout, .merchantPayable: status != .pending && status != .batched
        case .financingAdvance, .supplierRemainder, .consumerRefund: true
        }
    }

    /// What banks kept of a returned payment (their charges), an expense of the platform.
    public static func returnCharges(_ c: Currency) -> LedgerAccountSpec {
        LedgerAccountSpec(code: "platform.payment_return_charges.\(c.code.lowercased())",
                          name: "Bank charges deducted from returned payments \(c.code)", type: .expense, currency: c, owner: .platform)
    }

    /// A returned payment: `received` (at most `amount`, banks may deduct charges) back in cash, the
    /// whole `amount` owed again to the creditor, the difference a charge. Booked once per order.
    public static func returned(orderID: String, amount: Money, received: Money, on date: BusinessDate) throws(LedgerError) -> JournalEntry {
        let charges = Money(minorUnits: amount.minorUnits - received.minorUnits, currency: amount.currency)
        return try JournalEntry(
            kind: "payment_order.returned", businessDate: date, referenceType: "payment_order_return", referenceID: orderID,
            idempotencyRef: "payment-order-returned:\(orderID)", description: "payment returned by the creditor's bank",
            lines: [.debit(PlatformAccounts.cash(received.currency), received), .debit(returnCharges(amount.currency), charges),
                    .credit(paymentReturns(amount.currency), amount)])
    }
}
