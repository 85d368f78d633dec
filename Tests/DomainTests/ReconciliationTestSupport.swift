import Foundation
import Domain
import Testing

/// Fixture paths and synthetic camt.053 documents for the reconciliation tests.
enum ReconciliationFixture {
    /// `../shared/fixtures/` next to the package root: public third-party files, never copied into the project.
    static func shared(filePath: String = #filePath) -> URL {
        URL(fileURLWithPath: filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
            .appendingPathComponent("shared")
            .appendingPathComponent("fixtures")
    }

    /// True when the shared fixtures folder is present (tests that need it are skipped otherwise).
    static var sharedAvailable: Bool {
        FileManager.default.fileExists(atPath: shared().appendingPathComponent("camt053").path)
    }

    static let sharedMissing: Comment = "skipped: ../shared/fixtures/ (third-party bank files) is absent on this machine"

    /// A public third-party camt.053 file in `../shared/fixtures/camt053/`.
    static func camt053(_ name: String) -> URL {
        shared().appendingPathComponent("camt053").appendingPathComponent(name)
    }

    /// A synthetic entry for `statementXML`.
    struct Entry {
        var amount: String
        var currency: String
        var direction: String = "CRDT"
        var status: String = "BOOK"
        var bookingDate: String = "2026-11-26"
        /// Underlying transactions (end-to-end id, amount); several make a batch entry.
        var transactions: [(endToEndId: String, amount: String)] = []
    }

    /// One `Stmt` with the given balances and entries, shaped for `version` (Sts and TxDtls/Amt differ).
    static func statementXML(
        id: String, currency: String, opening: (String, String)?, closing: (String, String)?,
        entries: [Entry], version: Int
    ) -> String {
        var xml = """
        <Stmt><Id>\(id)</Id><CreDtTm>2026-11-26T23:10:00+08:00</CreDtTm>
        <Acct><Id><Othr><Id>6222-0001</Id></Othr></Id><Ccy>\(currency)</Ccy></Acct>

        """
        for (code, balance) in [("OPBD", opening), ("CLBD", closing)] {
            guard let (amount, direction) = balance else { continue }
            xml += """
            <Bal><Tp><CdOrPrtry><Cd>\(code)</Cd></CdOrPrtry></Tp><Amt Ccy="\(currency)">\(amount)</Amt>
            <CdtDbtInd>\(direction)</CdtDbtInd><Dt><Dt>2026-11-26</Dt></Dt></Bal>

            """
        }
        for entry in entries {
            let status = version >= 8 ? "<Sts><Cd>\(entry.status)</Cd></Sts>" : "<Sts>\(entry.status)</Sts>"
            var details = ""
            for (endToEndId, amount) in entry.transactions {
                let amountXML = version >= 3
                    ? "<Amt Ccy=\"\(entry.currency)\">\(amount)</Amt><CdtDbtInd>\(entry.direction)</CdtDbtInd>"
                    : "<AmtDtls><TxAmt><Amt Ccy=\"\(entry.currency)\">\(amount)</Amt></TxAmt></AmtDtls>"
                details += "<TxDtls><Refs><EndToEndId>\(endToEndId)</EndToEndId></Refs>\(amountXML)"
                    + "<RmtInf><Ustrd>for \(endToEndId)</Ustrd></RmtInf></TxDtls>"
            }
            xml += """
            <Ntry><Amt Ccy="\(entry.currency)">\(entry.amount)</Amt><CdtDbtInd>\(entry.direction)</CdtDbtInd>
            \(status)<BookgDt><DtTm>\(entry.bookingDate)T10:00:00+08:00</DtTm></BookgDt>
            <ValDt><Dt>\(entry.bookingDate)</Dt></ValDt><AcctSvcrRef>BANK-\(entry.amount)</AcctSvcrRef>
            <NtryDtls>\(details)</NtryDtls></Ntry>

            """
        }
        return xml + "</Stmt>\n"
    }

    /// A whole document around `statements` in the namespace of camt.053.001.`version`.
    static func documentXML(version: Int, statements: [String]) -> String {
        let number = version < 10 ? "0\(version)" : "\(version)"
        return """
        <?xml version="1.0" encoding="UTF-8"?>
        <Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.\(number)">
        <BkToCstmrStmt><GrpHdr><MsgId>SYN-\(number)</MsgId><CreDtTm>2026-11-26T23:10:00+08:00</CreDtTm></GrpHdr>
        \(statements.joined())</BkToCstmrStmt>
        </Document>

        """
    }

    static func data(_ text: String) -> Data { Data(text.utf8) }
}
