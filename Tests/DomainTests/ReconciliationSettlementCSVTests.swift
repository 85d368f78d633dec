import Foundation
import Testing
import Domain

@Suite("settlement CSV decoding")
struct ReconciliationSettlementCSVTests {
    static let header = "channel_txn_id,our_reference,amount,currency,fee,settled_at,type"

    private func cny(_ minorUnits: Int64) -> Money { Money(minorUnits: minorUnits, currency: .cny) }

    private func decode(_ text: String) throws(SettlementCSVError) -> [SettlementLine] {
        try SettlementCSVDecoder.decodeAll(Data(text.utf8), calendar: .shanghai)
    }

    private func error(_ text: String) -> SettlementCSVError? {
        do {
            _ = try decode(text)
            return nil
        } catch {
            return error
        }
    }

    @Test("a valid file decodes every column, quoting and both line endings included")
    func validFile() throws {
        let text = Self.header + "\r\n"
            + "T1,ORD-1,1083.10,CNY,6.50,2026-11-26T10:00:00+08:00,payment\r\n"
            + "\"T2\",\"ORD,2\",20,CNY,0,2026-11-26,refund\n"
            + "T3,\"ORD \"\"3\"\"\nsecond line\",5,JPY,0,2026-11-26T17:30:00Z,chargeback\n"
            + "\n"
            + "T4,,1.00,CNY,0,2026-11-27,fee"
        let lines = try decode(text)
        try #require(lines.count == 4)
        #expect(lines.map(\.line) == [2, 3, 4, 7])
        #expect(lines[0].channelTransactionId == "T1")
        #expect(lines[0].ourReference == "ORD-1")
        #expect(lines[0].amount == cny(108_310))
        #expect(lines[0].fee == cny(650))
        #expect(lines[0].type == .payment)
        #expect(lines[0].signedAmount == cny(108_310))
        #expect(lines[0].netAmount == cny(107_660))
        #expect(lines[0].settlementDate == BusinessDate("2026-11-26"))
        #expect(lines[0].settledAt == Date(timeIntervalSince1970: 1_795_658_400))
        #expect(lines[1].ourReference == "ORD,2")
        #expect(lines[1].signedAmount == cny(-2_000))
        #expect(lines[1].settledAt == nil)
        #expect(lines[2].ourReference == "ORD \"3\"\nsecond line")
        #expect(lines[2].amount.currency == .jpy)
        #expect(lines[2].amount.minorUnits == 5)
        // 17:30 UTC is 01:30 the next day in Shanghai.
        #expect(lines[2].settlementDate == BusinessDate("2026-11-27"))
        #expect(lines[3].ourReference == nil)
        #expect(lines[3].netAmount == cny(-100))
    }

    @Test("a JPY amount with decimals is refused, naming line and column")
    func jpyAmountWithDecimals() {
        let text = Self.header + "\nT1,ORD-1,5.50,JPY,0,2026-11-26,payment\n"
        #expect(error(text) == SettlementCSVError(line: 2, column: "amount", problem: .invalidAmount(.tooManyFractionDigits(allowed: 0))))
    }

    @Test("chunk boundaries anywhere give the same lines as one chunk")
    func chunkBoundaries() throws {
        let text = "\u{FEFF}" + Self.header + "\r\n"
            + "T1,\"ORD\r\n1\",1.00,CNY,0.10,2026-11-26,payment\r\n"
            + "T2,ORD-2,2.00,CNY,0,2026-11-26T23:59:59.5+08:00,refund\r\n"
        let bytes = Array(text.utf8)
        let whole = try decode(text)
        #expect(whole.count == 2)
        #expect(whole.first?.ourReference == "ORD\r\n1")
        #expect(whole.map(\.line) == [2, 4])
        for size in [1, 2, 3, 7, 64] {
            var decoder = SettlementCSVDecoder(calendar: .shanghai)
            var lines: [SettlementLine] = []
            var start = 0
            while start < bytes.count {
                let end = min(bytes.count, start + size)
                try decoder.decode(Array(bytes[start..<end])) { lines.append($0) }
                start = end
            }
            try decoder.finish { lines.append($0) }
            #expect(lines == whole, "chunk size \(size)")
        }
    }

    @Test("the header is required and must name every column once")
    func headerRules() {
        #expect(error("") == SettlementCSVError(line: 1, column: nil, problem: .missingHeader))
        #expect(error("channel_txn_id,our_reference,amount,currency,fee,settled_at\n")
            == SettlementCSVError(line: 1, column: nil, problem: .missingColumn("type")))
        #expect(error(Self.header + ",amount\n")
            == SettlementCSVError(line: 1, column: "amount", problem: .duplicateColumn("amount")))
        // Column order is free and extra columns are ignored.
        let reordered = "type,extra,settled_at,fee,currency,amount,our_reference,channel_txn_id\npayment,x,2026-11-26,0,CNY,3.00,ORD,T9\n"
        #expect((try? decode(reordered))?.first?.amount == cny(300))
    }

    @Test("field errors name the line number and the column")
    func fieldErrors() {
        let cases: [(String, SettlementCSVError)] = [
            ("T1,ORD,10.001,CNY,0,2026-11-26,payment", .init(line: 3, column: "amount", problem: .invalidAmount(.tooManyFractionDigits(allowed: 2)))),
            ("T1,ORD,-10,CNY,0,2026-11-26,payment", .init(line: 3, column: "amount", problem: .invalidAmount(.negativeNotAllowed))),
            ("T1,ORD, 10,CNY,0,2026-11-26,payment", .init(line: 3, column: "amount", problem: .invalidAmount(.notADecimal))),
            ("T1,ORD,10,XXX,0,2026-11-26,payment", .init(line: 3, column: "currency", problem: .unknownCurrency("XXX"))),
            ("T1,ORD,10,CNY,,2026-11-26,payment", .init(line: 3, column: "fee", problem: .invalidAmount(.empty))),
            ("T1,ORD,10,CNY,0,2026-11-26 10:00,payment", .init(line: 3, column: "settled_at", problem: .invalidTimestamp("2026-11-26 10:00"))),
            ("T1,ORD,10,CNY,0,2026-11-26T10:00:00,payment", .init(line: 3, column: "settled_at", problem: .invalidTimestamp("2026-11-26T10:00:00"))),
            ("T1,ORD,10,CNY,0,2026-02-30,payment", .init(line: 3, column: "settled_at", problem: .invalidTimestamp("2026-02-30"))),
            ("T1,ORD,10,CNY,0,2026-11-26,Payment", .init(line: 3, column: "type", problem: .invalidType("Payment"))),
            ("T1,,10,CNY,0,2026-11-26,payment", .init(line: 3, column: "our_reference", problem: .empty)),
            (",ORD,10,CNY,0,2026-11-26,payment", .init(line: 3, column: "channel_txn_id", problem: .empty)),
            ("T1,ORD,10,CNY,0,2026-11-26", .init(line: 3, column: nil, problem: .wrongFieldCount(expected: 7, found: 6))),
        ]
        for (row, expected) in cases {
            let text = Self.header + "\nT0,ORD-0,1.00,CNY,0,2026-11-26,payment\n" + row + "\n"
            #expect(error(text) == expected, "row \(row)")
        }
        let message = SettlementCSVError(line: 3, column: "amount", problem: .invalidAmount(.tooManyFractionDigits(allowed: 2))).description
        #expect(message == "line 3, column amount: must have at most 2 fraction digits")
    }

    @Test("broken quoting is refused at the line it happens on")
    func brokenQuoting() {
        #expect(error(Self.header + "\nT1,OR\"D,1,CNY,0,2026-11-26,payment\n")
            == SettlementCSVError(line: 2, column: nil, problem: .quoteInUnquotedField(field: 2)))
        #expect(error(Self.header + "\nT1,\"ORD\"x,1,CNY,0,2026-11-26,payment\n")
            == SettlementCSVError(line: 2, column: nil, problem: .textAfterClosingQuote(field: 2)))
        #expect(error(Self.header + "\nT0,ORD,1,CNY,0,2026-11-26,payment\nT1,\"ORD\n\n,1,CNY,0,2026-11-26,payment\n")
            == SettlementCSVError(line: 3, column: nil, problem: .unterminatedQuote(field: 2)))
        var invalid = Array((Self.header + "\nT1,ORD").utf8)
        invalid += [0xFF]
        invalid += Array(",1,CNY,0,2026-11-26,payment\n".utf8)
        #expect(throws: SettlementCSVError(line: 2, column: nil, problem: .invalidUTF8(field: 2))) {
            try SettlementCSVDecoder.decodeAll(Data(invalid), calendar: .shanghai)
        }
    }

    @Test("a file on disk streams through a FileHandle in small chunks")
    func fileStreams() throws {
        var text = Self.header + "\n"
        for i in 0..<2_000 {
            let cents = i % 100 < 10 ? "0\(i % 100)" : "\(i % 100)"
            text += "T\(i),ORD-\(i),\(i).\(cents),CNY,0.01,2026-11-26,payment\n"
        }
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("recon-settlement-\(UUID().uuidString).csv")
        try Data(text.utf8).write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        var count = 0
        var net: Int64 = 0
        try SettlementCSVDecoder.decodeFile(at: url, calendar: .shanghai, chunkSize: 1_000) { line in
            #expect(line.line == count + 2)
            count += 1
            net += line.netAmount.minorUnits
        }
        #expect(count == 2_000)
        var expected: Int64 = 0
        for i in 0..<2_000 { expected += Int64(i) * 100 + Int64(i % 100) - 1 }
        #expect(net == expected)
    }

    @Test("an async source of byte chunks decodes line by line and reports errors with their line")
    func asyncChunks() async throws {
        let text = Self.header + "\nT1,ORD-1,1.00,CNY,0,2026-11-26,payment\nT2,ORD-2,2.00,CNY,0,2026-11-26,refund\n"
        let bytes = Array(text.utf8)
        let chunks = AsyncStream<[UInt8]> { continuation in
            for start in stride(from: 0, to: bytes.count, by: 10) {
                continuation.yield(Array(bytes[start..<min(bytes.count, start + 10)]))
            }
            continuation.finish()
        }
        var references: [String?] = []
        try await SettlementCSVDecoder.decode(chunks: chunks, calendar: .shanghai) { references.append($0.ourReference) }
        #expect(references == ["ORD-1", "ORD-2"])

        let bad = AsyncStream<[UInt8]> { continuation in
            continuation.yield(Array((Self.header + "\nT1,ORD-1,1.00,CNY,0,2026-11-26,gift\n").utf8))
            continuation.finish()
        }
        await #expect(throws: SettlementCSVError(line: 2, column: "type", problem: .invalidType("gift"))) {
            try await SettlementCSVDecoder.decode(chunks: bad, calendar: .shanghai) { _ in }
        }
    }

    @Test("settlement lines convert to matching items on the chosen amount basis")
    func conversions() throws {
        let line = try #require(try decode(Self.header + "\nT1,ORD-1,100.00,CNY,0.60,2026-11-26,payment\n").first)
        let gross = line.actualLine(channel: "alipay")
        #expect(gross.reference == "ORD-1")
        #expect(gross.id == "T1")
        #expect(gross.amount == cny(10_000))
        #expect(gross.source == .channelSettlement(channel: "alipay"))
        #expect(line.actualLine(channel: "alipay", basis: .net).amount == cny(9_940))
        let expected = line.expectedItem(batchReference: "PAYOUT-7")
        #expect(expected.amount == cny(9_940))
        #expect(expected.reference == "T1")
        #expect(expected.kind == "settlement.payment")
        #expect(expected.batchReference == "PAYOUT-7")
    }
}
