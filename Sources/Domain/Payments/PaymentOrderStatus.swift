/// Where a payment order is in its life: created `pending`, written into a batch file (`batched`),
/// handed to the bank (`sent`), then confirmed by the bank statement (`settled`), sent back by
/// the creditor's bank (`returned`) or refused (`failed`).
public enum PaymentOrderStatus: String, Sendable, Codable, CaseIterable {
    case pending, batched, sent, settled, returned, failed

    /// The steps the lifecycle allows. A return usually arrives after the debit was booked, so a
    /// settled order may still come back; nothing leaves `returned` or `failed`.
    public func canMove(to next: PaymentOrderStatus) -> Bool {
        switch (self, next) {
        case (.pending, .batched), (.pending, .failed),
             (.batched, .sent), (.batched, .failed),
             (.sent, .settled), (.sent, .returned), (.sent, .failed),
             (.settled, .returned):
            true
        default:
            false
        }
    }

    /// `next`, or `PaymentOrderError.illegalTransition`.
    public func moving(to next: PaymentOrderStatus) throws(PaymentOrderError) -> PaymentOrderStatus {
        guard canMove(to: next) else { throw .illegalTransition(from: self, to: next) }
        return next
    }

    /// No further step is possible.
    public var isFinal: Bool { self == .returned || self == .failed }
}

/// The money movement a payment order pays out; with the movement's id it is unique, so nothing is paid twice.
public enum PaymentSourceType: String, Sendable, Codable, CaseIterable {
    /// The net advance of a financing request, to the supplier.
    case financingAdvance = "financing_advance"
    /// The supplier's remainder when the platform pays a receivable at maturity.
    case supplierRemainder = "supplier_remainder"
    /// An insurance claim paid to the seller.
    case claimPayout = "claim_payout"
    /// A captured credit purchase, owed to the merchant.
    case merchantPayable = "merchant_payable"
    /// The part of a refund that exceeds what the consumer owed, given back to the consumer.
    case consumerRefund = "consumer_refund"

    /// Who is paid.
    public var creditorType: PayeeType {
        switch self {
        case .financingAdvance, .supplierRemainder: .supplier
        case .claimPayout: .seller
        case .merchantPayable: .merchant
        case .consumerRefund: .consumer
        }
    }

    /// The ISO 20022 purpose code written into the file (ExternalPurpose1Code).
    public var purposeCode: String {
        switch self {
        case .financingAdvance: "LOAN"
        case .supplierRemainder: "SUPP"
        case .claimPayout: "INPC"
        case .merchantPayable: "GDDS"
        case .consumerRefund: "REFU"
        }
    }
}

/// The kinds of party the platform pays.
public enum PayeeType: String, Sendable, Codable, CaseIterable {
    case supplier, seller, merchant, consumer
}

/// Why a payment order operation was refused.
public enum PaymentOrderError: Error, Equatable, Sendable, CustomStringConvertible {
    case illegalTransition(from: PaymentOrderStatus, to: PaymentOrderStatus)

    public var description: String {
        switch self {
        case .illegalTransition(let from, let to): "a \(from.rawValue) payment order cannot become \(to.rawValue)"
        }
    }
}

/// When an order that left in a batch should have shown up on the statement.
public enum SettlementDeadline {
    /// Monday to Friday; 1970-01-01 was a Thursday.
    public static func isBusinessDay(_ d: BusinessDate) -> Bool { ((d.daysSinceEpoch % 7) + 7 + 3) % 7 < 5 }

    /// Business days after `start` up to and including `end` (0 when `end` is not after `start`).
    public static func businessDays(after start: BusinessDate, through end: BusinessDate) -> Int {
        guard end > start else { return 0 }
        var n = 0
        var d = start.adding(days: 1)
        while d <= end {
            if isBusinessDay(d) { n += 1 }
            d = d.adding(days: 1)
        }
        return n
    }

    /// More than `days` business days have passed since the execution date.
    public static func isOverdue(executedOn: BusinessDate, asOf: BusinessDate, days: Int) -> Bool {
        businessDays(after: executedOn, through: asOf) > days
    }
}
