import Domain
import Testing

@Suite("Payment orders: lifecycle, end-to-end ids, creditor accounts")
struct PaymentOrderTests {
    @Test("the lifecycle allows pending → batched → sent → settled | returned | failed, and a settled order may come back")
    func lifecycle() throws {
        #expect(try PaymentOrderStatus.pending.moving(to: .batched) == .batched)
        #expect(try PaymentOrderStatus.batched.moving(to: .sent) == .sent)
        for end in [PaymentOrderStatus.settled, .returned, .failed] { #expect(PaymentOrderStatus.sent.canMove(to: end)) }
        #expect(PaymentOrderStatus.settled.canMove(to: .returned))
    }

    @Test("illegal transitions are refused")
    func illegal() {
        let refused: [(PaymentOrderStatus, PaymentOrderStatus)] = [
            (.pending, .sent), (.pending, .settled), (.batched, .settled), (.batched, .pending), (.sent, .batched),
            (.settled, .sent), (.settled, .failed), (.returned, .settled), (.returned, .sent), (.failed, .pending), (.sent, .sent),
        ]
        for (from, to) in refused {
            #expect(throws: PaymentOrderError.illegalTransition(from: from, to: to)) { try from.moving(to: to) }
        }
        #expect(PaymentOrderStatus.returned.isFinal && PaymentOrderStatus.failed.isFinal && !PaymentOrderStatus.settled.isFinal)
    }

    @Test("end-to-end ids are short, pain.001-safe, dated and unique")
    func endToEndIDs() throws {
        let date = try #require(BusinessDate("2026-11-30"))
        let ids = (0..<5_000).map { _ in EndToEndID.generate(on: date).value }
        #expect(Set(ids).count == ids.count)
        for id in ids.prefix(100) {
            #expect(id.count == 24 && id.count <= 35)
            #expect(id.hasPrefix("QZ261130"))
            #expect(EndToEndID.isWellFormed(id))
        }
        #expect(EndToEndID("qz-lower") == nil)
        #expect(EndToEndID(String(repeating: "A", count: 36)) == nil)
    }

    static let validIBANs = [
        "DE89 3704 0044 0532 0130 00", "GB82 WEST 1234 5698 7654 32", "FR14 2004 1010 0505 0001 3M02 606",
        "NL91 ABNA 0417 1643 00", "CH93 0076 2011 6238 5295 7", "BE68 5390 0754 7034", "KW81 CBKU 0000 0000 0000 1234 5601 01",
        "BH67 BMAG 0000 1299 1234 56",
    ]

    @Test("published example IBANs pass (ISO 13616 mod 97, country length)", arguments: validIBANs)
    func validIBAN(iban: String) throws {
        let parsed = try IBAN.validate(iban)
        #expect(parsed == iban.replacingOccurrences(of: " ", with: ""))
    }

    @Test("broken IBANs are refused, naming the field")
    func brokenIBANs() {
        for (text, why) in [("DE88 3704 0044 0532 0130 00", "check digits"), ("GB82 WEST 1234 5698 7654 23", "check digits"),
                            ("DE89 3704 0044 0532 0130 0", "characters"), ("XX89 3704 0044 0532 0130 00", "unknown IBAN country"),
                            ("DE89-3704-0044", "letters and digits")] {
            do {
                _ = try IBAN.validate(text)
                Issue.record("\(text) passed")
            } catch {
                #expect(error.field == "iban")
                #expect(error.description.contains(why), "\(error.description)")
            }
        }
        // A lower-case IBAN is the same IBAN.
        #expect(throws: Never.self) { try IBAN.validate("de89370400440532013000") }
    }

    @Test("a domestic account needs 8–30 digits and a CNAPS code or a BIC")
    func domestic() throws {
        let cnaps = try CreditorAccount(name: "深圳市某某贸易有限公司", iban: nil, accountNumber: "6222 0202 0000 1234 567", bankCode: "102584000002")
        #expect(cnaps.account == .domestic(account: "6222020200001234567", bank: .cnaps("102584000002")))
        #expect(cnaps.account.masked == "****4567")
        let bic = try CreditorAccount(name: "Acme", iban: nil, accountNumber: "12345678", bankCode: "icbkcnbjszn")
        #expect(bic.account == .domestic(account: "12345678", bank: .bic("ICBKCNBJSZN")))
        let refusals: [(String, String?, String?, String?, String)] = [
            ("Acme", nil, "1234567", "102584000002", "account_number"),
            ("Acme", nil, "12345678901234567890123456789012", "102584000002", "account_number"),
            ("Acme", nil, "1234567A", "102584000002", "account_number"),
            ("Acme", nil, "12345678", nil, "bank_code"),
            ("Acme", nil, "12345678", "10258400000", "bank_code"),
            ("Acme", nil, "12345678", "ICBK1NBJ", "bank_code"),
            ("", nil, "12345678", "102584000002", "name"),
            (String(repeating: "n", count: 141), nil, "12345678", "102584000002", "name"),
            ("Acme", nil, nil, nil, "iban"),
            ("Acme", "DE89370400440532013000", "12345678", "102584000002", "account_number"),
        ]
        for (name, iban, number, bank, field) in refusals {
            #expect(throws: BankDetailsError.self) { try CreditorAccount(name: name, iban: iban, accountNumber: number, bankCode: bank) }
            do { _ = try CreditorAccount(name: name, iban: iban, accountNumber: number, bankCode: bank) } catch {
                #expect(error.field == field, "\(name.prefix(5)) \(number ?? "-") \(bank ?? "-"): \(error)")
            }
        }
    }

    @Test("a return books what came back to cash, the whole amount as owed again, the banks' charges as an expense")
    func returnEntry() throws {
        let date = try #require(BusinessDate("2026-11-30"))
        let entry = try PaymentLedger.returned(orderID: "o1", amount: Money(minorUnits: 50_000, currency: .cny),
                                               received: Money(minorUnits: 49_950, currency: .cny), on: date)
        #expect(entry.lines.map(\.account.code) == ["platform.cash.cny", "platform.payment_return_charges.cny", "platform.payment_returns.cny"])
        #expect(entry.lines.map(\.amount.minorUnits) == [49_950, 50, -50_000])
        let full = try PaymentLedger.returned(orderID: "o2", amount: Money(minorUnits: 100, currency: .jpy),
                                              received: Money(minorUnits: 100, currency: .jpy), on: date)
        #expect(full.lines.count == 2)   // no charge line
        #expect(PaymentLedger.payableClearedOnSending(.claimPayout, creditorRef: "shop-1", .cny)?.code == "insurance.claims_payable.shop-1.cny")
        #expect(PaymentLedger.payableClearedOnSending(.financingAdvance, creditorRef: "x", .cny) == nil)
    }

    @Test("orders not settled N business days after execution are overdue; weekends do not count")
    func deadline() throws {
        let friday = try #require(BusinessDate("2026-11-27"))
        #expect(SettlementDeadline.isBusinessDay(friday))
        #expect(!SettlementDeadline.isBusinessDay(friday.adding(days: 1)))
        #expect(SettlementDeadline.businessDays(after: friday, through: friday.adding(days: 3)) == 1)   // Monday
        #expect(!SettlementDeadline.isOverdue(executedOn: friday, asOf: friday.adding(days: 5), days: 3))   // Wednesday: 3
        #expect(SettlementDeadline.isOverdue(executedOn: friday, asOf: friday.adding(days: 6), days: 3))    // Thursday: 4
    }
}

@Suite struct EndToEndIDGenerationTests {
    @Test("the date is yyMMdd for any year, and every position draws from all 32 characters")
    func datesAndSpread() throws {
        #expect(EndToEndID.generate(on: try #require(BusinessDate("2005-01-09"))).value.hasPrefix("QZ050109"))
        #expect(EndToEndID.generate(on: try #require(BusinessDate("2100-12-31"))).value.hasPrefix("QZ001231"))
        let date = try #require(BusinessDate("2026-11-30"))
        var seen = [Set<Character>](repeating: [], count: 16)
        for _ in 0..<2_000 {
            for (i, ch) in EndToEndID.generate(on: date).value.dropFirst(8).enumerated() { seen[i].insert(ch) }
        }
        #expect(seen.allSatisfy { $0.count == 32 })
    }
}
