import Foundation

/// The account the platform pays from, with the bank that holds it.
public struct DebtorAccount: Hashable, Sendable {
    public let name: String
    public let account: BankAccountNumber
    /// The debtor bank's BIC when the account is an IBAN (optional: `NOTPROVIDED` is written without it).
    public let bic: String?

    public init(name: String, account: BankAccountNumber, bic: String? = nil) {
        self.name = name
        self.account = account
        self.bic = bic
    }

    /// The key batches are grouped by: the account as the bank knows it.
    public var key: String {
        switch account {
        case .iban(let iban): iban
        case .domestic(let number, let bank): "\(bank.text):\(number)"
        }
    }
}

/// One credit transfer of a pain.001 file.
public struct CreditTransfer: Hashable, Sendable {
    public let endToEndID: String
    public let amount: Money
    public let creditor: CreditorAccount
    /// ISO 20022 ExternalPurpose1Code (1–4 characters).
    public let purposeCode: String
    /// Unstructured remittance information (at most 140 characters; longer text is cut).
    public let remittance: String

    public init(endToEndID: String, amount: Money, creditor: CreditorAccount, purposeCode: String, remittance: String) {
        self.endToEndID = endToEndID
        self.amount = amount
        self.creditor = creditor
        self.purposeCode = purposeCode
        self.remittance = remittance
    }
}

/// A customer credit transfer initiation (pain.001.001.09): one message, its transfers grouped
/// into one `PmtInf` per (debtor account, currency, requested execution date).
public struct Pain001Message: Sendable {
    public let messageID: String
    public let createdAt: Date
    public let debtor: DebtorAccount
    public let executionDate: BusinessDate
    public let transfers: [CreditTransfer]

    public init(messageID: String, createdAt: Date, debtor: DebtorAccount, executionDate: BusinessDate, transfers: [CreditTransfer]) {
        self.messageID = messageID
        self.createdAt = createdAt
        self.debtor = debtor
        self.executionDate = executionDate
        self.transfers = transfers
    }

    /// One payment information block.
    public struct Group: Sendable {
        public let id: String
        public let currency: Currency
        public let transfers: [CreditTransfer]
        public var controlSum: String { Pain001Writer.sum(transfers.map(\.amount)) }
    }

    /// The transfers by currency (codes in order), transfers in end-to-end id order: the same
    /// orders give the same file whatever order they were read in. With one currency the block's
    /// id is the message id, so a bank booking the batch as one entry quotes either.
    public var groups: [Group] {
        let byCurrency = Dictionary(grouping: transfers, by: \.amount.currency.code)
        let codes = byCurrency.keys.sorted()
        return codes.enumerated().map { n, code in
            let items = (byCurrency[code] ?? []).sorted { $0.endToEndID < $1.endToEndID }
            return Group(id: codes.count == 1 ? messageID : "\(messageID)-\(n + 1)", currency: items[0].amount.currency, transfers: items)
        }
    }

    public var controlSum: String { Pain001Writer.sum(transfers.map(\.amount)) }
}

/// Writes pain.001.001.09 XML: deterministic bytes for the same message.
public enum Pain001Writer {
    public static let namespace = "urn:iso:std:iso:20022:tech:xsd:pain.001.001.09"

    public static func write(_ m: Pain001Message) -> Data {
        var x = XMLText()
        x.raw("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n")
        x.open("Document", attributes: [("xmlns", namespace)])
        x.open("CstmrCdtTrfInitn")
        x.open("GrpHdr")
        x.leaf("MsgId", m.messageID)
        x.leaf("CreDtTm", timestamp(m.createdAt))
        x.leaf("NbOfTxs", String(m.transfers.count))
        x.leaf("CtrlSum", m.controlSum)
        x.open("InitgPty"); x.leaf("Nm", clip(m.debtor.name)); x.close("InitgPty")
        x.close("GrpHdr")
        for group in m.groups {
            x.open("PmtInf")
            x.leaf("PmtInfId", group.id)
            x.leaf("PmtMtd", "TRF")
            x.leaf("BtchBookg", "true")
            x.leaf("NbOfTxs", String(group.transfers.count))
            x.leaf("CtrlSum", group.controlSum)
            x.open("ReqdExctnDt"); x.leaf("Dt", m.executionDate.description); x.close("ReqdExctnDt")
            x.open("Dbtr"); x.leaf("Nm", clip(m.debtor.name)); x.close("Dbtr")
            x.open("DbtrAcct"); account(&x, m.debtor.account); x.leaf("Ccy", group.currency.code); x.close("DbtrAcct")
            x.open("DbtrAgt")
            switch m.debtor.account {
            case .domestic(_, let bank): agent(&x, bank)
            case .iban: agent(&x, m.debtor.bic.map(BankCode.bic))
            }
            x.close("DbtrAgt")
            for t in group.transfers {
                x.open("CdtTrfTxInf")
                x.open("PmtId"); x.leaf("EndToEndId", t.endToEndID); x.close("PmtId")
                x.open("Amt"); x.leaf("InstdAmt", t.amount.decimalString, attributes: [("Ccy", t.amount.currency.code)]); x.close("Amt")
                if case .domestic(_, let bank) = t.creditor.account {
                    x.open("CdtrAgt"); agent(&x, bank); x.close("CdtrAgt")
                }
                x.open("Cdtr"); x.leaf("Nm", clip(t.creditor.name)); x.close("Cdtr")
                x.open("CdtrAcct"); account(&x, t.creditor.account); x.close("CdtrAcct")
                x.open("Purp"); x.leaf("Cd", t.purposeCode); x.close("Purp")
                if !t.remittance.isEmpty { x.open("RmtInf"); x.leaf("Ustrd", clip(t.remittance)); x.close("RmtInf") }
                x.close("CdtTrfTxInf")
            }
            x.close("PmtInf")
        }
        x.close("CstmrCdtTrfInitn")
        x.close("Document")
        return Data(x.text.utf8)
    }

    private static func account(_ x: inout XMLText, _ a: BankAccountNumber) {
        x.open("Id")
        switch a {
        case .iban(let iban): x.leaf("IBAN", iban)
        case .domestic(let number, _): x.open("Othr"); x.leaf("Id", number); x.close("Othr")
        }
        x.close("Id")
    }

    private static func agent(_ x: inout XMLText, _ bank: BankCode?) {
        x.open("FinInstnId")
        switch bank {
        case .bic(let bic)?: x.leaf("BICFI", bic)
        case .cnaps(let code)?:
            x.open("ClrSysMmbId"); x.open("ClrSysId"); x.leaf("Cd", "CNAPS"); x.close("ClrSysId"); x.leaf("MmbId", code); x.close("ClrSysMmbId")
        case nil:
            x.open("Othr"); x.leaf("Id", "NOTPROVIDED"); x.close("Othr")
        }
        x.close("FinInstnId")
    }

    /// Max140Text: at most 140 characters.
    static func clip(_ s: String) -> String { String(s.prefix(140)) }

    /// UTC, whole seconds: `2026-11-30T16:05:09Z`.
    static func timestamp(_ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC") ?? .gmt
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        func two(_ v: Int?) -> String { let s = String(v ?? 0); return s.count < 2 ? "0" + s : s }
        return "\(c.year ?? 1970)-\(two(c.month))-\(two(c.day))T\(two(c.hour)):\(two(c.minute)):\(two(c.second))Z"
    }

    /// The exact sum of amounts that may differ in currency (a control sum counts units, not value),
    /// written with the most minor digits among them.
    static func sum(_ amounts: [Money]) -> String {
        let digits = amounts.map(\.currency.minorDigits).max() ?? 0
        let total = amounts.reduce(Decimal(0)) { $0 + Decimal($1.minorUnits) * Money.powerOfTen(digits - $1.currency.minorDigits) }
        return Money.decimalString(minorUnits: total, currency: Currency(uncheckedCode: "XXX", minorDigits: digits))
    }
}

/// A small XML builder: two-space indentation, escaped text and attributes.
struct XMLText {
    var text = ""
    private var depth = 0

    mutating func raw(_ s: String) { text += s }

    mutating func open(_ name: String, attributes: [(String, String)] = []) {
        text += indent + "<" + name + Self.attributes(attributes) + ">\n"
        depth += 1
    }

    mutating func close(_ name: String) {
        depth -= 1
        text += indent + "</" + name + ">\n"
    }

    mutating func leaf(_ name: String, _ value: String, attributes: [(String, String)] = []) {
        text += indent + "<" + name + Self.attributes(attributes) + ">" + Self.escape(value) + "</" + name + ">\n"
    }

    private var indent: String { String(repeating: "  ", count: depth) }

    private static func attributes(_ list: [(String, String)]) -> String {
        list.map { " \($0.0)=\"\(escape($0.1))\"" }.joined()
    }

    static func escape(_ s: String) -> String {
        var out = ""
        for ch in s {
            switch ch {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            default: out.append(ch)
            }
        }
        return out
    }
}
