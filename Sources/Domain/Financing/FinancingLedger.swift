/// The supplier-financing accounts and the one posting template per money movement.
///
/// - Confirming a receivable: the platform owes the supplier (purchases / payable to supplier).
/// - Dilution (a return or credit note): the payable shrinks by the adjustment.
/// - Disbursement: the financing asset grows by the advance; the fee is income at once (discount
///   taken up front); the net is paid out of platform cash.
/// - Maturity settlement: the platform's payment clears the payable; it repays the financing
///   first, the remainder is paid to the supplier in cash; a shortfall becomes recourse owed by
///   the supplier.
public enum FinancingLedger {
    public static func payable(supplier: String, _ c: Currency) -> LedgerAccountSpec {
        LedgerAccountSpec(code: "supplier.\(supplier).payable.\(c.code.lowercased())", name: "Payable to supplier \(supplier)",
                          type: .liability, currency: c, owner: .supplier(supplier))
    }

    public static func financing(supplier: String, _ c: Currency) -> LedgerAccountSpec {
        LedgerAccountSpec(code: "supplier.\(supplier).financing.\(c.code.lowercased())", name: "Financing advanced to supplier \(supplier)",
                          type: .asset, currency: c, owner: .supplier(supplier))
    }

    public static func recourse(supplier: String, _ c: Currency) -> LedgerAccountSpec {
        LedgerAccountSpec(code: "supplier.\(supplier).recourse.\(c.code.lowercased())", name: "Recourse owed by supplier \(supplier)",
                          type: .asset, currency: c, owner: .supplier(supplier))
    }

    public static func purchases(_ c: Currency) -> LedgerAccountSpec {
        .perCurrency("platform.purchases", "Goods purchased from suppliers", .expense, c)
    }

    public static func feeIncome(_ c: Currency) -> LedgerAccountSpec {
        .perCurrency("platform.financing_fee_income", "Supplier financing discount fees", .income, c)
    }

    public static func receivableConfirmed(
        supplier: String, receivable: String, face: Money, on date: BusinessDate
    ) throws(LedgerError) -> JournalEntry {
        try .transfer(kind: "receivable.confirmed", businessDate: date, referenceType: "receivable", referenceID: receivable,
                      idempotencyRef: "receivable-confirmed:\(receivable)",
                      amount: face, debit: purchases(face.currency), credit: payable(supplier: supplier, face.currency))
    }

    public static func receivableDiluted(
        supplier: String, receivable: String, adjustment: String, amount: Money, on date: BusinessDate
    ) throws(LedgerError) -> JournalEntry {
        try .transfer(kind: "receivable.diluted", businessDate: date, referenceType: "receivable", referenceID: receivable,
                      idempotencyRef: "receivable-diluted:\(adjustment)",
                      amount: amount, debit: payable(supplier: supplier, amount.currency), credit: purchases(amount.currency))
    }

    public static func disbursement(
        supplier: String, request: String, advance: Money, fee: Money, net: Money, on date: BusinessDate
    ) throws(LedgerError) -> JournalEntry {
        let c = advance.currency
        return try JournalEntry(kind: "financing.disbursed", businessDate: date, referenceType: "financing_request", referenceID: request,
                                idempotencyRef: "financing-disbursed:\(request)",
                                lines: [.debit(financing(supplier: supplier, c), advance), .credit(feeIncome(c), fee),
                                        .credit(PlatformAccounts.cash(c), net)])
    }

    /// `payment` is what the platform pays on the receivable (its outstanding after dilution).
    public static func maturitySettlement(
        supplier: String, receivable: String, payment: Money, split: SettlementSplit, on date: BusinessDate
    ) throws(LedgerError) -> JournalEntry {
        let c = payment.currency
        return try JournalEntry(
            kind: "receivable.settled", businessDate: date, referenceType: "receivable", referenceID: receivable,
            idempotencyRef: "receivable-settled:\(receivable)",
            lines: [.debit(payable(supplier: supplier, c), payment),
                    .debit(recourse(supplier: supplier, c), split.recourse),
                    .credit(financing(supplier: supplier, c), split.advanceOutstanding),
                    .credit(PlatformAccounts.cash(c), split.toSupplier)])
    }
}
