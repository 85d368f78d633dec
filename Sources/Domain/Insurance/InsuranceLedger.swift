/// The ledger accounts of return shipping insurance and its two money movements, in one place.
///
/// The platform sells the policy on the insurer's behalf: the seller's premium is netted from its
/// settlement (a receivable until then), the insurer's share is owed to the insurer and the platform
/// keeps its commission. A claim is paid out of the insurer's funds the platform holds and is owed
/// to the seller (paid with its next settlement). So `insurance.insurer_payable` is the insurer's net
/// position: premiums less claims; a debit balance means claims exceeded premiums and the insurer owes.
public enum InsuranceLedger {
    /// Premiums the seller owes the platform, netted from its next settlement.
    public static func premiumReceivable(_ seller: SellerRef, _ c: Currency) -> LedgerAccountSpec {
        .perCurrency("insurance.premium_receivable.\(seller.rawValue)", "Shipping insurance premiums due from seller \(seller.rawValue)",
                     .asset, c, owner: .seller(seller.rawValue))
    }

    /// Claims owed to the seller, paid with its next settlement.
    public static func claimsPayable(_ seller: SellerRef, _ c: Currency) -> LedgerAccountSpec {
        .perCurrency("insurance.claims_payable.\(seller.rawValue)", "Shipping insurance claims owed to seller \(seller.rawValue)",
                     .liability, c, owner: .seller(seller.rawValue))
    }

    /// The insurer's share of premiums less the claims paid from it.
    public static func insurerPayable(_ c: Currency) -> LedgerAccountSpec {
        .perCurrency("insurance.insurer_payable", "Shipping insurance owed to the insurer", .liability, c, owner: .insurer)
    }

    /// The platform's commission on premiums.
    public static func commissionIncome(_ c: Currency) -> LedgerAccountSpec {
        .perCurrency("insurance.commission_income", "Shipping insurance commission income", .income, c)
    }

    /// Buying a policy: the seller owes the premium; the insurer is owed its share; the platform earns its commission.
    /// Booked once per policy (`policy-premium:<policy id>`).
    public static func premiumPurchase(
        policyID: String, seller: SellerRef, quote: PremiumQuote, businessDate: BusinessDate
    ) throws(LedgerError) -> JournalEntry {
        let c = quote.premium.currency
        return try JournalEntry(
            kind: "insurance.premium", businessDate: businessDate, referenceType: "shipping_policy", referenceID: policyID,
            idempotencyRef: "policy-premium:\(policyID)", description: "Return shipping insurance premium",
            lines: [
                .debit(premiumReceivable(seller, c), quote.premium),
                .credit(insurerPayable(c), quote.insurerShare),
                .credit(commissionIncome(c), quote.commission),
            ])
    }

    /// Paying a claim: out of the insurer's funds, owed to the seller. Booked once per claim (`claim-payout:<claim id>`).
    public static func claimPayout(
        claimID: String, seller: SellerRef, amount: Money, businessDate: BusinessDate
    ) throws(LedgerError) -> JournalEntry {
        try .transfer(
            kind: "insurance.claim_payout", businessDate: businessDate, referenceType: "insurance_claim", referenceID: claimID,
            idempotencyRef: "claim-payout:\(claimID)", description: "Return shipping insurance claim payout",
            amount: amount, debit: insurerPayable(amount.currency), credit: claimsPayable(seller, amount.currency))
    }
}
