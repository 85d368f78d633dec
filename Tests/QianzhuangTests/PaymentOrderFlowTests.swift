import Domain
import Foundation
import HTTPAPI
import HummingbirdTesting
import Jobs
import Persistence
import QianzhuangClient
import Services
import Testing

/// Money out (issue 17): payment orders next to their ledger entries, pain.001 batches, the statement closing the loop.
@Suite("Payment orders and pain.001 batches")
struct PaymentOrderFlowTests {
    static var today: BusinessDate { BusinessCalendar.shanghai.businessDate(at: Date()) }

    /// A camt.053.001.08 statement of one account and currency on `date`: `(amount, reference, kind)` per
    /// entry, a leading `-` for a debit; kind `.single` quotes the end-to-end id, `.returned(code)` adds
    /// `RtrInf/Rsn/Cd`, `.batch` books a whole batch as one entry naming only its PmtInfId.
    enum Line { case single, returned(String), batch }
    static func camt(id: String, currency: String, date: BusinessDate, entries: [(String, String, Line)]) -> String {
        func minor(_ a: String) -> Int64 { Int64(a.replacingOccurrences(of: "-", with: "").replacingOccurrences(of: ".", with: "")) ?? 0 }
        let net = entries.reduce(Int64(0)) { $0 + ($1.0.hasPrefix("-") ? -minor($1.0) : minor($1.0)) }
        let opening = Int64(100_000_000)
        let closing = Money(minorUnits: opening + net, currency: Currency(code: currency) ?? .cny).decimalString
        let open = Money(minorUnits: opening, currency: Currency(code: currency) ?? .cny).decimalString
        var xml = """
            <?xml version="1.0" encoding="UTF-8"?>
            <Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"><BkToCstmrStmt>
            <GrpHdr><MsgId>\(id)</MsgId><CreDtTm>\(date)T23:00:00+08:00</CreDtTm></GrpHdr>
            <Stmt><Id>\(id)</Id><CreDtTm>\(date)T23:00:00+08:00</CreDtTm>
            <Acct><Id><Othr><Id>0200000000000000001</Id></Othr></Id><Ccy>\(currency)</Ccy></Acct>
            <Bal><Tp><CdOrPrtry><Cd>OPBD</Cd></CdOrPrtry></Tp><Amt Ccy="\(currency)">\(open)</Amt><CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>\(date)</Dt></Dt></Bal>
            <Bal><Tp><CdOrPrtry><Cd>CLBD</Cd></CdOrPrtry></Tp><Amt Ccy="\(currency)">\(closing)</Amt><CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>\(date)</Dt></Dt></Bal>

            """
        for (amount, ref, kind) in entries {
            let debit = amount.hasPrefix("-")
            xml += "<Ntry><Amt Ccy=\"\(currency)\">\(debit ? String(amount.dropFirst()) : amount)</Amt><CdtDbtInd>\(debit ? "DBIT" : "CRDT")</CdtDbtInd>"
            xml += "<Sts><Cd>BOOK</Cd></Sts><BookgDt><Dt>\(date)</Dt></BookgDt>"
            switch kind {
            case .single:
                xml += "<NtryDtls><TxDtls><Refs><EndToEndId>\(ref)</EndToEndId></Refs></TxDtls></NtryDtls>"
            case .returned(let code):
                xml += "<NtryDtls><TxDtls><Refs><EndToEndId>\(ref)</EndToEndId></Refs><RtrInf><Rsn><Cd>\(code)</Cd></Rsn></RtrInf></TxDtls></NtryDtls>"
            case .batch:
                xml += "<NtryDtls><Btch><PmtInfId>\(ref)</PmtInfId></Btch></NtryDtls>"
            }
            xml += "</Ntry>\n"
        }
        return xml + "</Stmt></BkToCstmrStmt></Document>\n"
    }

    static func importStatement(_ api: TestAPI, _ xml: String) async throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("qz-pay-\(UUID().uuidString).xml")
        try xml.write(to: url, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: url) }
        _ = try await api.deps.statements.importFile(url, format: .camt053, actor: NightlyPlan.actor)
    }

    static func orders(_ client: some TestClientProtocol, _ api: TestAPI, _ query: String = "") async throws -> [Schemas.PaymentOrder] {
        let page = try await client.call(.get, "/v1/payment-orders?limit=100\(query)", key: api.operatorKey)
        #expect(page.status == .ok, "\(page.text)")
        return try page.decode(Schemas.PaymentOrderPage.self).data
    }

    /// An event's `data` (a free-form object in the contract) read as the API type it carries.
    static func payload<T: Decodable>(_ event: Schemas.Event, as type: T.Type) throws -> T {
        try decodeContract(T.self, from: try JSONEncoder().encode(event.data))
    }

    static func eurSupplier(_ client: some TestClientProtocol, _ api: TestAPI, code: String) async throws -> String {
        let created = try await client.call(.post, "/v1/suppliers", key: api.operatorKey, json: """
            {"name": "Hanse Textil GmbH", "unified_social_credit_code": "\(code)",
             "financing_line": {"limit": {"amount": "100000.00", "currency": "EUR"}, "advance_rate": "0.80",
               "annual_discount_rate": "0.0500", "min_days_to_maturity": 7, "max_days_to_maturity": 180,
               "auto_approval_ceiling": {"amount": "50000.00", "currency": "EUR"}}}
            """)
        let id = try created.decode(Schemas.Supplier.self).id
        _ = try await client.call(.patch, "/v1/suppliers/\(id)", key: api.operatorKey, json: #"{"status": "active"}"#)
        return id
    }

    @Test("several suppliers and currencies: orders next to their entries, XSD-valid batches, a statement settles all but one returned order")
    func fullLoop() async throws {
        try await withTestDatabase { db in
            let api = try await TestAPI.make(db)
            try await api.withClient { client in
                let f = FinancingWorld(api: api, client: client)
                let a = try await f.createSupplier(code: FinancingWorld.codes[0])
                let b = try await Self.eurSupplier(client, api, code: FinancingWorld.codes[1])
                let c = try await f.createSupplier(code: FinancingWorld.codes[2])
                let setA = try await client.call(.put, "/v1/suppliers/\(a)/bank-details", key: api.operatorKey, json: """
                    {"name": "深圳市某某贸易有限公司", "account_number": "6222 0202 0000 1234 567", "bank_code": "102584000002"}
                    """)
                #expect(setA.status == .ok, "\(setA.text)")
                #expect(try setA.decode(Schemas.BankDetails.self).account == "6222020200001234567")
                let setB = try await client.call(.put, "/v1/suppliers/\(b)/bank-details", key: api.operatorKey,
                                                 json: #"{"name": "Hanse Textil GmbH", "iban": "DE89 3704 0044 0532 0130 00"}"#)
                #expect(setB.status == .ok, "\(setB.text)")

                let r1 = try await f.createReceivable(supplier: a, face: "10000.00", dueInDays: 30)
                let r2 = try await f.createReceivable(supplier: a, face: "500.00", dueInDays: 30)
                let r4 = try await f.createReceivable(supplier: c, face: "1000.00", dueInDays: 30)
                let eur = try await client.call(.post, "/v1/receivables", key: api.platformKey, json: """
                    {"supplier_id": "\(b)", "external_reference": "EU-1", "face_amount": {"amount": "2000.00", "currency": "EUR"},
                     "issue_date": "\(FinancingWorld.today.adding(days: -5))", "due_date": "\(FinancingWorld.today.adding(days: 30))"}
                    """)
                let r3 = try eur.decode(Schemas.Receivable.self).id
                for (supplier, receivable) in [(a, r1), (b, r3), (c, r4)] {
                    let financed = try await f.finance([receivable], key: try await api.supplierKey(try #require(UUID(uuidString: supplier))))
                    #expect(try financed.decode(Schemas.FinancingRequest.self).status == .approved, "\(financed.text)")
                }
                let paid = try await client.call(.post, "/v1/receivables/\(r2)/payments", key: api.platformKey,
                                                 json: #"{"amount": {"amount": "500.00", "currency": "CNY"}}"#)
                #expect(paid.status == .created, "\(paid.text)")

                // Four orders, one per movement; C's waits for its bank details; lists mask accounts.
                let all = try await Self.orders(client, api)
                #expect(all.count == 4)
                #expect(Set(all.map(\.sourceType)) == [.financingAdvance, .supplierRemainder])
                let waiting = all.filter(\.awaitingCreditorDetails)
                #expect(waiting.count == 1 && waiting.first?.creditorRef == c)
                #expect(all.compactMap { $0.creditor?.account }.allSatisfy { $0.hasPrefix("****") })
                #expect(all.compactMap(\.creditor).count == 3)
                let eurOrders = try await Self.orders(client, api, "&currency=EUR&status=pending&source_type=financing_advance&creditor_type=supplier")
                #expect(eurOrders.count == 1)
                let remainder = try #require(try await Self.orders(client, api, "&source_type=supplier_remainder").first)
                #expect(remainder.amount.amount == "500.00")
                #expect(remainder.purpose == "SUPP")
                let operatorClient = client.typed(api.operatorKey)
                let one = try await operatorClient.getPaymentOrdersById(path: .init(id: remainder.id)).ok.body.json
                #expect(one.creditor?.account == "6222020200001234567")
                #expect(try await client.call(.get, "/v1/payment-orders/\(UUID())", key: api.operatorKey).status == .notFound)
                #expect(try await client.call(.get, "/v1/payment-orders", key: api.platformKey).status == .forbidden)
                #expect(try await client.call(.get, "/v1/payment-orders?status=lost", key: api.operatorKey).problemFields == ["status"])

                // One batch per currency; C's order stays pending.
                let written = try await client.call(.post, "/v1/payment-batches", key: api.operatorKey, json: "{}",
                                                    headers: ["Idempotency-Key": "batch-\(UUID())"])
                #expect(written.status == .created, "\(written.text)")
                let batches = try written.decode(Schemas.PaymentBatchesWritten.self).data
                #expect(batches.map(\.currency).sorted() == ["CNY", "EUR"])
                let cnyBatch = try #require(batches.first { $0.currency == "CNY" })
                let eurBatch = try #require(batches.first { $0.currency == "EUR" })
                #expect(cnyBatch.orderCount == 2)
                let cnyID = cnyBatch.id, eurID = eurBatch.id
                #expect(try await Self.orders(client, api, "&status=pending").count == 1)
                #expect(try await Self.orders(client, api, "&batch_id=\(cnyID)").count == 2)

                // The file: the same bytes every time, its hash as stored, valid against the official XSD.
                let file = try await client.call(.get, "/v1/payment-batches/\(cnyID)/file", key: api.operatorKey)
                #expect(file.status == .ok && file.contentType == "application/xml")
                let again = try await client.call(.get, "/v1/payment-batches/\(cnyID)/file", key: api.operatorKey)
                #expect(file.text == again.text)
                #expect(file.text.contains("<MsgId>\(cnyBatch.messageId)</MsgId>"))
                #expect(file.text.contains("<NbOfTxs>2</NbOfTxs>"))
                let validation = try Pain001Schema.validate(Data(file.text.utf8))
                #expect(validation.valid, "\(validation.output)")
                let eurFile = try await client.call(.get, "/v1/payment-batches/\(eurID)/file", key: api.operatorKey)
                #expect(eurFile.text.contains("<IBAN>DE89370400440532013000</IBAN>") && eurFile.text.contains("<InstdAmt Ccy=\"EUR\">"))
                #expect(try Pain001Schema.validate(Data(eurFile.text.utf8)).valid)
                let sha = try await db.scalar(String.self, "SELECT encode(sha256(file), 'hex') FROM payment_batches WHERE id = \(UUID(uuidString: cnyID))")
                #expect(sha == cnyBatch.fileSha256)

                // Written batches are immutable.
                await #expect(throws: (any Error).self) {
                    try await db.client.query("UPDATE payment_batches SET file = 'x'::bytea WHERE id = \(UUID(uuidString: cnyID))", logger: db.logger)
                }
                let listed = try await operatorClient.getPaymentBatches(query: .init(limit: 1)).ok.body.json
                #expect(listed.data.count == 1 && listed.nextCursor != nil)
                #expect(try await operatorClient.getPaymentBatchesById(path: .init(id: eurID)).ok.body.json.orderCount == 1)

                // Sent: the orders go with it.
                for id in [cnyID, eurID] {
                    let sent = try await client.call(.post, "/v1/payment-batches/\(id)/sent", key: api.operatorKey)
                    #expect(try sent.status == .ok && sent.decode(Schemas.PaymentBatch.self).status == .sent, "\(sent.text)")
                }
                #expect(try await Self.orders(client, api, "&status=sent").count == 3)

                // The bank's statements: the CNY orders one by one, the remainder then returned (AC04, less 0.50 charges);
                // the EUR batch booked as one debit naming its PmtInfId.
                let cnyOrders = try await Self.orders(client, api, "&batch_id=\(cnyID)")
                let advanceA = try #require(cnyOrders.first { $0.sourceType == .financingAdvance })
                let e2eAdvance = advanceA.endToEndId
                let e2eRemainder = remainder.endToEndId
                let advanceAmount = advanceA.amount.amount
                let advanceMinor = try #require(Int64(advanceAmount.replacingOccurrences(of: ".", with: "")))
                #expect(cnyBatch.controlSum.amount == Money(minorUnits: advanceMinor + 50_000, currency: .cny).decimalString)
                try await Self.importStatement(api, Self.camt(id: "PAY-CNY-1", currency: "CNY", date: Self.today, entries: [
                    ("-\(advanceAmount)", e2eAdvance, .single), ("-500.00", e2eRemainder, .single), ("499.50", e2eRemainder, .returned("AC04")),
                ]))
                let eurAmount = eurBatch.controlSum.amount
                try await Self.importStatement(api, Self.camt(id: "PAY-EUR-1", currency: "EUR", date: Self.today, entries: [
                    ("-\(eurAmount)", eurBatch.messageId, .batch),
                ]))
                #expect(try await api.deps.services.payments.processReturns(businessDate: Self.today) == 1)
                #expect(try await api.deps.services.payments.processReturns(businessDate: Self.today) == 0)
                let matched = try await api.deps.reconciliation.match(businessDate: Self.today)
                // Only C's advance, booked from cash but not yet paid (no bank details), is missing from the statement.
                #expect(matched.exceptionsRaised == 1, "\(matched)")

                let settled = try await Self.orders(client, api, "&status=settled")
                #expect(Set(settled.map(\.endToEndId)).contains(e2eAdvance))
                #expect(settled.count == 2, "\(settled.map(\.endToEndId))")
                let returned = try await Self.orders(client, api, "&status=returned")
                #expect(returned.count == 1 && returned.first?.endToEndId == e2eRemainder)
                #expect(returned.first?.returnReason == "AC04")
                let returns = try await db.client.withConnection {
                    try await LedgerStore.balance(code: PaymentLedger.paymentReturns(.cny).code, asOf: nil, on: $0, logger: db.logger)
                }
                #expect(returns == -50_000)   // still owed to the supplier in full
                let charges = try await db.client.withConnection {
                    try await LedgerStore.balance(code: PaymentLedger.returnCharges(.cny).code, asOf: nil, on: $0, logger: db.logger)
                }
                #expect(charges == 50)        // the banks kept 0.50
                let raised = try await operatorClient.getReconciliationExceptions(query: .init(kind: .paymentReturned)).ok.body.json.data
                #expect(raised.count == 1 && raised.first?.reference == e2eRemainder, "\(raised)")
                let steps = try await db.client.withConnection {
                    try await PaymentOrderStore.steps(orderID: try #require(UUID(uuidString: remainder.id)), on: $0, logger: db.logger)
                }
                #expect(steps.map(\.to) == ["pending", "batched", "sent", "returned"])
                let shown = try await operatorClient.getPaymentOrdersById(path: .init(id: remainder.id)).ok.body.json
                #expect(shown.steps?.map(\.to) == ["pending", "batched", "sent", "returned"])
                #expect(shown.steps?.last?.detail == "reason AC04")
                // The news went out with the change: sent and settled orders, the returned one (its account
                // masked: no bank account in clear in any event), and the exception it raised.
                let platformClient = client.typed(api.platformKey)
                let returnedEvents = try await platformClient.getEvents(query: .init(_type: "payment_order.returned")).ok.body.json.data
                #expect(returnedEvents.count == 1, "\(returnedEvents)")
                // An event's `data` is the object as the API shows it: here a PaymentOrder.
                let order = try returnedEvents.first.map { try Self.payload($0, as: Schemas.PaymentOrder.self) }
                #expect(order?.endToEndId == e2eRemainder && order?.status == .returned)
                #expect((order?.creditor?.account ?? "").hasPrefix("****"))
                for type in ["payment_order.sent", "payment_order.settled", "reconciliation_exception.raised"] {
                    let some = try await platformClient.getEvents(query: .init(_type: type, limit: 1)).ok.body.json
                    #expect(!some.data.isEmpty, "no \(type) event")
                }

                // C's details arrive: the order joins the next batch, which is never on a statement.
                _ = try await client.call(.put, "/v1/suppliers/\(c)/bank-details", key: api.operatorKey,
                                          json: #"{"name": "Supplier C", "account_number": "12345678901", "bank_code": "ICBKCNBJ"}"#)
                let late = try await api.deps.services.payments.writeBatches(businessDate: Self.today, actor: NightlyPlan.actor)
                #expect(late.count == 1 && late.first?.orderCount == 1)
                #expect(try await api.deps.services.payments.raiseUnsettled(businessDate: Self.today.adding(days: 1)) == 0)
                #expect(try await api.deps.services.payments.raiseUnsettled(businessDate: Self.today.adding(days: 8)) == 1)
                #expect(try await api.deps.services.payments.raiseUnsettled(businessDate: Self.today.adding(days: 9)) == 0)
            }
            try await expectLedgerBalanced(db)
        }
    }

    @Test("claims, merchant purchases and refunds to consumers become orders; their payables clear when the batch is sent")
    func payablesAndPayees() async throws {
        try await withTestDatabase { db in
            let api = try await TestAPI.make(db)
            try await api.withClient { client in
                let account = try await C.openAccount(client, api)
                for (type, ref, body) in [("seller", "shop-1", #"{"name": "Shop One", "iban": "GB82 WEST 1234 5698 7654 32"}"#),
                                          ("merchant", "m-100", #"{"name": "Merchant 100", "account_number": "6222020200009999", "bank_code": "102100099996"}"#),
                                          ("consumer", account, #"{"name": "张三", "account_number": "6222020200007777", "bank_code": "102100099996"}"#)] {
                    let put = try await client.call(.put, "/v1/payees/\(type)/\(ref)/bank-details", key: api.operatorKey, json: body)
                    #expect(put.status == .ok, "\(put.text)")
                }
                let shop = try await client.typed(api.operatorKey)
                    .getPayeesByPartyTypeByPartyRefBankDetails(path: .init(partyType: .seller, partyRef: "shop-1")).ok.body.json
                #expect(shop.account == "GB82WEST12345698765432" && shop.scheme == .iban)
                #expect(try await client.call(.get, "/v1/payees/seller/shop-2/bank-details", key: api.operatorKey).status == .notFound)
                #expect(try await client.call(.put, "/v1/payees/supplier/x/bank-details", key: api.operatorKey,
                                              json: #"{"name": "x", "iban": "DE89370400440532013000"}"#).problemFields == ["party_type"])

                // A claim paid to shop-1 (insurance clock: 2026-11-20).
                let insurance = InsuranceFixture(db)
                let policy = try await insurance.buy(order: "o-claim").policy.id
                #expect(try await insurance.returnGoods(policy, cost: "10.00").claim?.status == .paid)
                // A credit purchase at merchant m-100, part repaid, refunded in full: 200.00 back to the consumer.
                let (_, plan) = try await C.purchase(client, api, account: account, order: "if", amount: "500.00", plan: "interest_free", tenor: nil)
                _ = try await client.call(.post, "/v1/repayments", key: api.platformKey, json: """
                    {"plan_id": "\(plan)", "external_ref": "if-pay", "amount": {"amount": "200.00", "currency": "CNY"}}
                    """)
                let refund = try await client.call(.post, "/v1/refunds", key: api.platformKey, json: """
                    {"order_ref": "if", "external_ref": "rf-4", "amount": {"amount": "500.00", "currency": "CNY"}}
                    """)
                #expect(try refund.decode(Schemas.Refund.self).returnedToConsumer.amount == "200.00", "\(refund.text)")

                let orders = try await Self.orders(client, api)
                let bySource = Dictionary(orders.map { ($0.sourceType, $0) }, uniquingKeysWith: { first, _ in first })
                #expect(orders.count == 3)
                #expect(bySource[.claimPayout]?.amount.amount == "10.00" && bySource[.claimPayout]?.creditorRef == "shop-1")
                #expect(bySource[.merchantPayable]?.amount.amount == "500.00" && bySource[.merchantPayable]?.creditorRef == "m-100")
                #expect(bySource[.consumerRefund]?.amount.amount == "200.00" && bySource[.consumerRefund]?.creditorRef == account)
                #expect(orders.allSatisfy { !$0.awaitingCreditorDetails })

                let claimsPayable = InsuranceLedger.claimsPayable(try #require(SellerRef(rawValue: "shop-1")), .cny)
                #expect(try await insurance.balance(claimsPayable) == -1000)
                let batches = try await api.deps.services.payments.writeBatches(businessDate: Self.today, actor: NightlyPlan.actor)
                let batch = try #require(batches.first)
                #expect(batches.count == 1 && batch.orderCount == 3 && batch.controlSum == Money(minorUnits: 71_000, currency: .cny))
                let file = try await api.deps.services.payments.batchFile(id: batch.id)
                #expect(try Pain001Schema.validate(file).valid)
                // Not yet sent: the debts are still owed.
                #expect(try await insurance.balance(claimsPayable) == -1000)
                _ = try await api.deps.services.payments.markSent(batchID: batch.id, actor: NightlyPlan.actor)
                _ = try await api.deps.services.payments.markSent(batchID: batch.id, actor: NightlyPlan.actor)
                #expect(try await insurance.balance(claimsPayable) == 0)
                // Captured 500.00 (owed), refunded 500.00 (no longer owed), paid out 500.00: the merchant owes it back.
                #expect(try await insurance.balance(CreditLedger.merchantPayable(merchantID: "m-100", .cny)) == 50_000)
                #expect(try await Self.orders(client, api, "&status=sent").count == 3)

                // The bank books the whole batch as one debit quoting its message id: every order in it settles.
                try await Self.importStatement(api, Self.camt(id: "PAY-CNY-2", currency: "CNY", date: Self.today, entries: [
                    ("-710.00", batch.messageID, .single),
                ]))
                let matched = try await api.deps.reconciliation.match(businessDate: Self.today)
                // The one exception is the consumer's 200.00 repayment, money in that this statement does not show.
                #expect(matched.matched == 1 && matched.exceptionsRaised == 1, "\(matched)")
                #expect(try await db.scalar(Int64.self, """
                    SELECT expected_amount FROM reconciliation_exceptions WHERE state = 'open' AND kind = 'missing_from_statement'
                    """) == 20_000)
                #expect(try await Self.orders(client, api, "&status=settled").count == 3)
            }
            try await expectLedgerBalanced(db)
        }
    }

    @Test("bank details: operator only, validated field by field, audited, masked in lists and for the supplier itself")
    func supplierBankDetails() async throws {
        try await withTestDatabase { db in
            let api = try await TestAPI.make(db)
            try await api.withClient { client in
                let f = FinancingWorld(api: api, client: client)
                let id = try await f.createSupplier()
                let path = "/v1/suppliers/\(id)/bank-details"
                for (body, field) in [(#"{"name": "A", "iban": "DE88370400440532013000"}"#, "iban"),
                                      (#"{"name": "A", "account_number": "1234567", "bank_code": "102584000002"}"#, "account_number"),
                                      (#"{"name": "A", "account_number": "12345678"}"#, "bank_code"),
                                      (#"{"name": "A", "account_number": "12345678", "bank_code": "1025840000"}"#, "bank_code"),
                                      (#"{"name": " ", "iban": "DE89370400440532013000"}"#, "name"),
                                      (#"{"name": "A"}"#, "iban"),
                                      (#"{"name": "A", "iban": "DE89370400440532013000", "bic": "X"}"#, "bic"),
                                      (#"{"name": "A", "iban": "DE89370400440532013000", "bank_code": "COBADEFFXXX"}"#, "bank_code")] {
                    let refused = try await client.call(.put, path, key: api.operatorKey, json: body)
                    #expect(refused.status == .unprocessableContent && refused.problemFields == [field], "\(body): \(refused.text)")
                }
                #expect(try await client.call(.put, path, key: api.platformKey, json: #"{"name": "A", "iban": "DE89370400440532013000"}"#).status == .forbidden)
                #expect(try await client.call(.put, "/v1/suppliers/\(UUID())/bank-details", key: api.operatorKey,
                                              json: #"{"name": "A", "iban": "DE89370400440532013000"}"#).status == .notFound)
                let set = try await client.call(.put, path, key: api.operatorKey,
                                                json: #"{"name": "Acme", "iban": "de89 3704 0044 0532 0130 00"}"#)
                #expect(set.status == .ok, "\(set.text)")
                let operatorClient = client.typed(api.operatorKey)
                let full = try await operatorClient.getSuppliersById(path: .init(id: id)).ok.body.json
                #expect(full.bankDetails?.account == "DE89370400440532013000")
                let list = try await operatorClient.getSuppliers().ok.body.json
                let row = list.data.first { $0.id == id }
                #expect(row?.bankDetails?.account == "****3000")
                let supplierClient = client.typed(try await api.supplierKey(try #require(UUID(uuidString: id))))
                let own = try await supplierClient.getSuppliersById(path: .init(id: id)).ok.body.json
                #expect(own.bankDetails?.masked == true)
                let audited = try await db.scalar(String.self, """
                    SELECT detail->>'account' FROM audit_events WHERE action = 'payee.bank_details.set' AND object_id = \(id)
                    """)
                #expect(audited == "****3000")
            }
        }
    }

    @Test("the nightly run batches the day's orders whose payees have bank details (step write_payment_batches)")
    func nightlyWritesBatches() async throws {
        try await withTestDatabase { db in
            let api = try await TestAPI.make(db)
            try await api.withClient { client in
                let put = try await client.call(.put, "/v1/payees/seller/shop-1/bank-details", key: api.operatorKey,
                                                json: #"{"name": "Shop One", "iban": "GB82 WEST 1234 5698 7654 32"}"#)
                #expect(put.status == .ok, "\(put.text)")
            }
            let insurance = InsuranceFixture(db)
            for (order, tracking) in [("o-night-1", "SF0001"), ("o-night-2", "SF0002")] {
                let policy = try await insurance.buy(order: order).policy.id
                #expect(try await insurance.returnGoods(policy, tracking: tracking).claim?.status == .paid)
            }
            guard case .completed(let run) = try await api.deps.nightly.run(date: InsuranceFixture.today, triggeredBy: "test") else {
                throw TestFailure("the night did not complete")
            }
            let step = try #require(try await api.deps.nightly.steps(of: run.id).first { $0.step == "write_payment_batches" })
            #expect(step.status == "completed" && step.countsJSON.replacingOccurrences(of: " ", with: "").contains("\"orders\":2"), "\(step.countsJSON)")
            #expect(try await db.scalar(Int64.self, "SELECT count(*) FROM payment_orders WHERE status = 'batched'") == 2)
            // Closed after the fact: the file asks the bank to execute today, not on the past business date.
            #expect(try await db.scalar(Int64.self, """
                SELECT count(*) FROM payment_batches WHERE business_date = '2026-11-20' AND execution_date = \(Self.today.description)::date
                """) == 1)
            try await expectLedgerBalanced(db)
        }
    }

    @Test("an operator fails a pending order (its cash comes back, owed again, and leaves reconciliation); a batched one is refused")
    func failure() async throws {
        try await withTestDatabase { db in
            let api = try await TestAPI.make(db)
            try await api.withClient { client in
                let f = FinancingWorld(api: api, client: client)
                var orderIDs: [String] = []
                for (n, code) in FinancingWorld.codes.prefix(2).enumerated() {
                    let supplier = try await f.createSupplier(code: code)
                    if n == 1 {
                        _ = try await client.call(.put, "/v1/suppliers/\(supplier)/bank-details", key: api.operatorKey,
                                                  json: #"{"name": "B", "account_number": "12345678901", "bank_code": "102100099996"}"#)
                    }
                    let receivable = try await f.createReceivable(supplier: supplier, face: "1000.00", dueInDays: 30)
                    _ = try await f.finance([receivable], key: try await api.supplierKey(try #require(UUID(uuidString: supplier))))
                    let order = try #require(try await Self.orders(client, api, "&creditor_ref=\(supplier)").first)
                    orderIDs.append(order.id)
                }
                _ = try await api.deps.services.payments.writeBatches(businessDate: Self.today, actor: NightlyPlan.actor)
                let refused = try await client.call(.post, "/v1/payment-orders/\(orderIDs[1])/failure", key: api.operatorKey,
                                                    json: #"{"reason": "cancelled"}"#)
                #expect(refused.status == .conflict, "\(refused.text)")
                #expect(try await client.call(.post, "/v1/payment-orders/\(orderIDs[0])/failure", key: api.operatorKey,
                                              json: #"{"reason": " "}"#).problemFields == ["reason"])
                let failed = try await client.call(.post, "/v1/payment-orders/\(orderIDs[0])/failure", key: api.operatorKey,
                                                   json: #"{"reason": "supplier closed its account"}"#, headers: ["Idempotency-Key": "fail-1"])
                #expect(try failed.status == .ok && failed.decode(Schemas.PaymentOrder.self).status == .failed, "\(failed.status) \(failed.text)")
                let amount = try failed.decode(Schemas.PaymentOrder.self).amount.amount
                let returns = try await db.client.withConnection {
                    try await LedgerStore.balance(code: PaymentLedger.paymentReturns(.cny).code, asOf: nil, on: $0, logger: db.logger)
                }
                #expect(Money(minorUnits: -returns, currency: .cny).decimalString == amount)
                let again = try await client.call(.post, "/v1/payment-orders/\(orderIDs[0])/failure", key: api.operatorKey,
                                                  json: #"{"reason": "twice"}"#)
                #expect(again.status == .conflict)
                // The failed advance and its reversal are not expected at the bank; the batched one still is.
                let matched = try await api.deps.reconciliation.match(businessDate: Self.today)
                #expect(matched.expected == 1 && matched.exceptionsRaised == 1, "\(matched)")
            }
            try await expectLedgerBalanced(db)
        }
    }

    @Test("nothing is paid twice; a zero amount makes no order")
    func oncePerMovement() async throws {
        try await withTestDatabase { db in
            let date = Self.today
            let entry = try PaymentLedger.returned(orderID: "probe", amount: Money(minorUnits: 100, currency: .cny),
                                                   received: Money(minorUnits: 100, currency: .cny), on: date)
            try await db.transaction { c in
                try await LedgerStore.post(entry, on: c, logger: db.logger)
                for _ in 0..<3 {
                    try await PaymentOrders.create(.consumerRefund, sourceID: "refund-1", creditorRef: UUID().uuidString.lowercased(),
                                                   amount: Money(minorUnits: 100, currency: .cny), entry: entry, remittance: "r", on: c, logger: db.logger)
                }
                try await PaymentOrders.create(.consumerRefund, sourceID: "refund-2", creditorRef: "x", amount: .zero(.cny), entry: entry,
                                               remittance: "r", on: c, logger: db.logger)
            }
            #expect(try await db.scalar(Int64.self, "SELECT count(*) FROM payment_orders") == 1)
            // One creation step: the order row itself (migration 0020), not one per attempt.
            let order = try #require(try await db.scalar(UUID.self, "SELECT id FROM payment_orders"))
            let steps = try await db.client.withConnection { try await PaymentOrderStore.steps(orderID: order, on: $0, logger: db.logger) }
            #expect(steps.map(\.to) == ["pending"])
            #expect(steps.first?.from == nil)
            #expect(steps.first?.detail == "consumer_refund")
            #expect(try await db.scalar(Int64.self, "SELECT count(*) FROM payment_order_steps") == 0)
        }
    }
}

private typealias C = CreditAPI
