/// The five account types of double-entry bookkeeping.
public enum AccountType: String, Sendable, Codable, CaseIterable {
    case asset, liability, equity, income, expense

    /// The side on which the account normally carries its balance.
    public var normalSide: NormalSide {
        switch self {
        case .asset, .expense: .debit
        case .liability, .equity, .income: .credit
        }
    }
}

/// Debit or credit.
public enum NormalSide: String, Sendable, Codable {
    case debit, credit
}

/// Whose account it is. The owner id is what the ledger is distributed by at scale.
public enum AccountOwner: Hashable, Sendable {
    case platform
    case supplier(String)
    case creditAccount(String)
    case insurer
    case seller(String)

    public var ownerType: String {
        switch self {
        case .platform: "platform"
        case .supplier: "supplier"
        case .creditAccount: "credit_account"
        case .insurer: "insurer"
        case .seller: "seller"
        }
    }

    public var ownerID: String? {
        switch self {
        case .platform, .insurer: nil
        case .supplier(let id), .creditAccount(let id), .seller(let id): id
        }
    }
}

/// A ledger account as it is opened: a stable code names it everywhere.
public struct LedgerAccountSpec: Hashable, Sendable {
    public let code: String
    public let name: String
    public let type: AccountType
    public let currency: Currency
    public let owner: AccountOwner

    public init(code: String, name: String, type: AccountType, currency: Currency, owner: AccountOwner) {
        self.code = code
        self.name = name
        self.type = type
        self.currency = currency
        self.owner = owner
    }

    /// One of a family of accounts kept per currency: the code and the name end in the currency
    /// (`platform.cash.cny`, "Platform cash CNY").
    public static func perCurrency(
        _ code: String, _ name: String, _ type: AccountType, _ currency: Currency, owner: AccountOwner = .platform
    ) -> LedgerAccountSpec {
        LedgerAccountSpec(code: "\(code).\(currency.code.lowercased())", name: "\(name) \(currency.code)", type: type, currency: currency,
                          owner: owner)
    }
}

/// One line of a journal entry: a signed amount on one account (debit positive, credit negative).
public struct PostingLine: Hashable, Sendable {
    public let account: LedgerAccountSpec
    public let amount: Money

    public static func debit(_ account: LedgerAccountSpec, _ amount: Money) -> PostingLine {
        PostingLine(account: account, amount: amount)
    }

    public static func credit(_ account: LedgerAccountSpec, _ amount: Money) -> PostingLine {
        PostingLine(account: account, amount: amount.negated)
    }

    init(account: LedgerAccountSpec, amount: Money) {
        self.account = account
        self.amount = amount
    }
}

/// Why a journal entry could not be formed.
public enum LedgerError: Error, Equatable, Sendable {
    case unbalanced(currency: String, sum: Int64)
    case tooFewPostings
    case currencyMismatch(account: String, posting: String)
    case overflow
}

/// A balanced journal entry ready to post. It cannot be constructed unbalanced.
public struct JournalEntry: Sendable {
    public let kind: String
    public let businessDate: BusinessDate
    public let referenceType: String
    public let referenceID: String
    /// Business-level uniqueness: the same movement is never booked twice.
    public let idempotencyRef: String?
    public let description: String
    /// Lines with a zero amount are dropped; the rest keep their order.
    public let lines: [PostingLine]

    /// A two-line entry: one amount debited to one account and credited to another.
    public static func transfer(
        kind: String, businessDate: BusinessDate, referenceType: String, referenceID: String, idempotencyRef: String?,
        description: String = "", amount: Money, debit: LedgerAccountSpec, credit: LedgerAccountSpec
    ) throws(LedgerError) -> JournalEntry {
        try JournalEntry(
            kind: kind, businessDate: businessDate, referenceType: referenceType, referenceID: referenceID,
            idempotencyRef: idempotencyRef, description: description, lines: [.debit(debit, amount), .credit(credit, amount)])
    }

    public init(
        kind: String, businessDate: BusinessDate, referenceType: String, referenceID: String,
        idempotencyRef: String?, description: String = "", lines: [PostingLine]
    ) throws(LedgerError) {
        let kept = lines.filter { !$0.amount.isZero }
        guard kept.count >= 2 else { throw .tooFewPostings }
        var sums: [String: Int64] = [:]
        for line in kept {
            guard line.account.currency == line.amount.currency else {
                throw .currencyMismatch(account: line.account.currency.code, posting: line.amount.currency.code)
            }
            let (value, overflow) = sums[line.amount.currency.code, default: 0].addingReportingOverflow(line.amount.minorUnits)
            guard !overflow else { throw .overflow }
            sums[line.amount.currency.code] = value
        }
        if let bad = sums.sorted(by: { $0.key < $1.key }).first(where: { $0.value != 0 }) {
            throw .unbalanced(currency: bad.key, sum: bad.value)
        }
        self.kind = kind
        self.businessDate = businessDate
        self.referenceType = referenceType
        self.referenceID = referenceID
        self.idempotencyRef = idempotencyRef
        self.description = description
        self.lines = kept
    }
}

/// The platform's own accounts, one per currency. Area-specific accounts live with their area.
public enum PlatformAccounts {
    /// Money the platform holds at its bank / payment channels.
    public static func cash(_ c: Currency) -> LedgerAccountSpec {
        .perCurrency("platform.cash", "Platform cash", .asset, c)
    }

    /// Capital the platform put into the lending business.
    public static func equity(_ c: Currency) -> LedgerAccountSpec {
        .perCurrency("platform.equity", "Platform funding equity", .equity, c)
    }
}
