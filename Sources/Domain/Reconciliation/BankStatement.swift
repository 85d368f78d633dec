/// Whether an amount on a bank statement adds to (credit) or takes from (debit) the account.
public enum CreditDebit: String, Hashable, Sendable, Codable {
    case credit = "CRDT"
    case debit = "DBIT"

    /// `amount` with this indicator's sign: credits positive, debits negative.
    public func signed(_ amount: Money) -> Money { self == .credit ? amount : amount.negated }
}

/// The booking status of a statement entry (ISO 20022 `Sts`, a code in every version).
public enum EntryStatus: Hashable, Sendable {
    /// `BOOK`: booked; the only status that moves booked balances.
    case booked
    /// `PDNG`: pending.
    case pending
    /// `INFO`: for information only.
    case information
    /// `FUTR`: a future booking (camt.053.001.08).
    case future
    /// Any other code or proprietary status, as written.
    case other(String)

    /// The status for an ISO code (`BOOK`, `PDNG`, `INFO`, `FUTR`) or a proprietary value.
    public init(code: String) {
        switch code {
        case "BOOK": self = .booked
        case "PDNG": self = .pending
        case "INFO": self = .information
        case "FUTR": self = .future
        default: self = .other(code)
        }
    }

    /// The code as written in the file.
    public var code: String {
        switch self {
        case .booked: "BOOK"
        case .pending: "PDNG"
        case .information: "INFO"
        case .future: "FUTR"
        case .other(let code): code
        }
    }
}

/// The account a statement is for: an IBAN or another scheme's identifier (`Acct/Id/Othr/Id`).
public enum StatementAccount: Hashable, Sendable, CustomStringConvertible {
    case iban(String)
    case other(String)

    /// The identifier, whichever scheme it is in.
    public var identifier: String {
        switch self {
        case .iban(let value), .other(let value): value
        }
    }

    public var description: String { identifier }
}

/// One balance line of a statement (`Bal`): its type code, signed amount and date.
public struct StatementBalance: Hashable, Sendable {
    /// The ISO balance type code (`OPBD`, `PRCD`, `CLBD`, `ITBD`, `CLAV`, …) or a proprietary type.
    public let typeCode: String
    /// The balance, negative when the file says `DBIT` (an overdrawn account).
    public let amount: Money
    /// The balance date (`Dt/Dt`, or the calendar date of `Dt/DtTm` as written).
    public let date: BusinessDate?

    /// Opening booked balance, or the previous statement's closing balance used as the opening.
    public var isOpening: Bool { typeCode == "OPBD" || typeCode == "PRCD" }
    /// Closing booked balance.
    public var isClosing: Bool { typeCode == "CLBD" }
}

/// One underlying transaction of an entry (`NtryDtls/TxDtls`); a batch entry has several.
public struct TransactionDetail: Hashable, Sendable {
    /// `Refs/EndToEndId`: the originator's reference, carried end to end (may be `NOTPROVIDED`).
    public var endToEndId: String?
    /// `Refs/AcctSvcrRef`: the bank's reference for this transaction.
    public var accountServicerReference: String?
    /// `Refs/InstrId`: the instructing party's reference.
    public var instructionId: String?
    /// `Refs/TxId`: the interbank transaction id.
    public var transactionId: String?
    /// `Refs/PmtInfId`: the payment information (batch) id of the originating instruction.
    public var paymentInformationId: String?
    /// `Refs/MsgId`: the originating message id.
    public var messageId: String?
    /// The transaction amount: `TxDtls/Amt` (.001.03+), else `AmtDtls/TxAmt/Amt`; unsigned.
    public var amount: Money?
    /// `TxDtls/CdtDbtInd` when given (.001.03+); otherwise the entry's indicator applies.
    public var creditDebit: CreditDebit?
    /// `RmtInf/Ustrd` lines, in order.
    public var remittanceInformation: [String]
    /// `RtrInf/Rsn/Cd` (or `Prtry`): the transaction returns an earlier payment, for this reason (e.g. `AC04`).
    public var returnReason: String?

    public init(
        endToEndId: String? = nil, accountServicerReference: String? = nil, instructionId: String? = nil,
        transactionId: String? = nil, paymentInformationId: String? = nil, messageId: String? = nil,
        amount: Money? = nil, creditDebit: CreditDebit? = nil, remittanceInformation: [String] = []
    ) {
        self.endToEndId = endToEndId
        self.accountServicerReference = accountServicerReference
        self.instructionId = instructionId
        self.transactionId = transactionId
        self.paymentInformationId = paymentInformationId
        self.messageId = messageId
        self.amount = amount
        self.creditDebit = creditDebit
        self.remittanceInformation = remittanceInformation
    }

    /// The end-to-end id, unless it is absent or the `NOTPROVIDED` placeholder banks write.
    public var meaningfulEndToEndId: String? {
        guard let endToEndId, !endToEndId.isEmpty, endToEndId != "NOTPROVIDED" else { return nil }
        return endToEndId
    }
}

/// One booked (or pending) movement on a statement (`Ntry`).
public struct StatementEntry: Hashable, Sendable {
    /// The `Stmt/Id` of the statement this entry belongs to.
    public let statementId: String
    /// Zero-based position of the entry within its statement.
    public let index: Int
    /// The amount as written (never negative); see `signedAmount`.
    public let amount: Money
    public let creditDebit: CreditDebit
    public let status: EntryStatus
    /// `RvslInd`: the entry reverses an earlier one. The indicator already gives the direction.
    public let isReversal: Bool
    public let bookingDate: BusinessDate?
    public let valueDate: BusinessDate?
    /// `NtryRef`.
    public let entryReference: String?
    /// `AcctSvcrRef`: the bank's unique reference for the entry.
    public let accountServicerReference: String?
    /// `NtryDtls/Btch/PmtInfId`: the batch this entry books, when the bank says so.
    public let batchPaymentInformationId: String?
    /// `AddtlNtryInf`.
    public let additionalInformation: String?
    /// The underlying transactions; more than one for a batch booking.
    public let transactions: [TransactionDetail]

    public init(
        statementId: String, index: Int, amount: Money, creditDebit: CreditDebit, status: EntryStatus,
        isReversal: Bool = false, bookingDate: BusinessDate?, valueDate: BusinessDate?,
        entryReference: String? = nil, accountServicerReference: String? = nil,
        batchPaymentInformationId: String? = nil, additionalInformation: String? = nil,
        transactions: [TransactionDetail] = []
    ) {
        self.statementId = statementId
        self.index = index
        self.amount = amount
        self.creditDebit = creditDebit
        self.status = status
        self.isReversal = isReversal
        self.bookingDate = bookingDate
        self.valueDate = valueDate
        self.entryReference = entryReference
        self.accountServicerReference = accountServicerReference
        self.batchPaymentInformationId = batchPaymentInformationId
        self.additionalInformation = additionalInformation
        self.transactions = transactions
    }

    /// Credits positive, debits negative.
    public var signedAmount: Money { creditDebit.signed(amount) }

    /// Whether this is a batch booking (several underlying transactions).
    public var isBatch: Bool { transactions.count > 1 }
}

/// Everything about one statement except its entries, delivered when `</Stmt>` is reached.
///
/// Totals and the balance verdict are computed while entries stream past, so a caller that
/// processes entries one by one never has to hold them all.
public struct StatementSummary: Hashable, Sendable {
    /// `Stmt/Id`.
    public let id: String
    /// Zero-based position of the statement within the message.
    public let sequence: Int
    public let account: StatementAccount?
    /// `Acct/Ccy`, else the currency of the first balance or entry.
    public let currency: Currency
    /// `CreDtTm` exactly as written.
    public let creationDateTime: String?
    /// The calendar date of `CreDtTm` as written.
    public let creationDate: BusinessDate?
    /// `ElctrncSeqNb`: the bank's running statement number (gaps mean a missing statement).
    public let electronicSequenceNumber: String?
    /// All balances, in file order.
    public let balances: [StatementBalance]
    public let entryCount: Int
    /// Sum of booked credit entries in the statement currency.
    public let bookedCredits: Money
    /// Sum of booked debit entries in the statement currency (positive).
    public let bookedDebits: Money
    public let balanceCheck: StatementBalanceCheck

    public init(
        id: String, sequence: Int, account: StatementAccount?, currency: Currency, creationDateTime: String?,
        creationDate: BusinessDate?, electronicSequenceNumber: String?, balances: [StatementBalance],
        entryCount: Int, bookedCredits: Money, bookedDebits: Money, balanceCheck: StatementBalanceCheck
    ) {
        self.id = id
        self.sequence = sequence
        self.account = account
        self.currency = currency
        self.creationDateTime = creationDateTime
        self.creationDate = creationDate
        self.electronicSequenceNumber = electronicSequenceNumber
        self.balances = balances
        self.entryCount = entryCount
        self.bookedCredits = bookedCredits
        self.bookedDebits = bookedDebits
        self.balanceCheck = balanceCheck
    }

    /// The first `OPBD` balance, else the first `PRCD`.
    public var openingBalance: StatementBalance? {
        balances.first { $0.typeCode == "OPBD" } ?? balances.first { $0.typeCode == "PRCD" }
    }

    /// The first `CLBD` balance.
    public var closingBalance: StatementBalance? { balances.first { $0.isClosing } }
}

/// A statement with its entries, as collected by `Camt053Parser.parseMessage`.
public struct BankStatement: Hashable, Sendable {
    public let summary: StatementSummary
    public let entries: [StatementEntry]

    public init(summary: StatementSummary, entries: [StatementEntry]) {
        self.summary = summary
        self.entries = entries
    }

    public var id: String { summary.id }
    public var balanceCheck: StatementBalanceCheck { summary.balanceCheck }
}

/// The message-level facts of a camt.053 file (`GrpHdr`) and how many statements it held.
public struct Camt053MessageHeader: Hashable, Sendable {
    public let version: Camt053Version
    /// `GrpHdr/MsgId`.
    public let messageId: String?
    /// `GrpHdr/CreDtTm` exactly as written.
    public let creationDateTime: String?
    public let statementCount: Int
}

/// A whole camt.053 message held in memory: the header and every statement with its entries.
public struct Camt053Message: Hashable, Sendable {
    public let header: Camt053MessageHeader
    public let statements: [BankStatement]

    public init(header: Camt053MessageHeader, statements: [BankStatement]) {
        self.header = header
        self.statements = statements
    }
}
