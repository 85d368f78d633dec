import ArgumentParser
import Domain
import Foundation
import HTTPAPI
import Jobs
import Persistence
import Services
import Synchronization

/// Seeds a small, realistic marketplace and runs the close of business over a few dates, so a
/// newcomer sees every product working in about a minute. Everything goes through the same
/// services the API calls; nothing is written behind their backs.
struct Demo: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Seed a demo marketplace and run the nightly close for a few business dates.")
    @OptionGroup var database: DatabaseOptions
    @OptionGroup var platform: PlatformOptions
    @OptionGroup var pool: PoolOptions
    @OptionGroup var report: ReportOptions
    @Option(help: "How many orders to place.") var orders: Int = 300
    @Option(help: "How many nightly runs (business dates from today on).") var days: Int = 3
    @Option(help: "Seed for the pseudo-random marketplace (same seed, same marketplace).") var seed: UInt64 = 2016

    func run() async throws {
        _ = bootstrapProcess
        let logger = makeLogger("qianzhuang.demo")
        let calendar = try platform.calendar()
        let target = try await DatabaseTarget.resolve(database, poolSize: pool.poolSize, logger: logger)
        defer { target.stopIfStarted() }
        let migrator = try Migrator(directory: Migrator.locateDirectory(explicit: database.migrations))
        let reportURL = report.reportURL
        let (orders, days, seed) = (self.orders, self.days, self.seed)
        let personalData = try target.personalData(database)
        try await Database.withDatabase(target.configuration, logger: logger) { db in
            try await migrator.migrate(db)
            // The marketplace trades at the system time; then the demo simulates nights that have not happened
            // yet, so its clock moves to just after the last one.
            let live = BusinessClock.live(calendar)
            let simulated = Mutex<Date?>(nil)
            let deps = APIDependencies(database: db, migrator: migrator, calendar: calendar, reportDirectory: reportURL,
                                       now: { simulated.withLock { $0 } ?? live.now() }, personalData: personalData)
            try await DemoMarketplace(deps: deps, seed: seed, nightsBegin: {
                let afterLastNight = live.now().addingTimeInterval(Double(days + 1) * 86_400)
                simulated.withLock { $0 = afterLastNight }
            }).run(orders: orders, days: days)
        }
    }
}

/// A deterministic generator (SplitMix64), so the demo is the same every time for a seed.
struct DemoRandom {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func int(_ range: ClosedRange<Int>) -> Int { range.lowerBound + Int(next() % UInt64(range.count)) }
    mutating func chance(_ percent: Int) -> Bool { int(1...100) <= percent }
}

struct DemoMarketplace {
    let deps: APIDependencies
    let seed: UInt64
    /// Moves the clock past the simulated nights.
    let nightsBegin: @Sendable () -> Void
    var services: ServiceRegistry { deps.services }
    static let actor = NightlyPlan.actor

    func run(orders orderCount: Int, days: Int) async throws {
        var rng = DemoRandom(state: seed)
        let (now, today) = deps.clock.read()
        // A tag keeps a second demo in the same database from colliding with the first.
        var tagSource = DemoRandom(state: UInt64(now.timeIntervalSince1970.rounded()))
        let tag = String(format: "%04x", Int(tagSource.next() % 0xFFFF))
        say("Qianzhuang demo: \(orderCount) orders, \(days) nightly runs (business dates from \(today))")

        // Suppliers with financing lines; each is also a seller that insures its returns.
        var suppliers: [(id: UUID, key: String)] = []
        for i in 0..<6 {
            let digits11 = String(tagSource.next() % 99_999_999_999)
            let first17 = "913501" + String(repeating: "0", count: 11 - digits11.count) + digits11
            let code = try UnifiedSocialCreditCode(validating: first17 + String(UnifiedSocialCreditCode.checkCharacter(forFirst17: first17)))
            let line = try FinancingLine(limit: Money(minorUnits: 50_000_000, currency: .cny), advanceRate: Decimal(string: "0.8") ?? 0,
                                         annualDiscountRate: Decimal(string: "0.073") ?? 0, minDaysToMaturity: 1, maxDaysToMaturity: 180,
                                         autoApprovalCeiling: Money(minorUnits: 10_000_000, currency: .cny))
            let supplier = try await services.supplierFinance.createSupplier(name: "Demo supplier \(i + 1)", creditCode: code, line: line, actor: Self.actor)
            _ = try await services.supplierFinance.updateSupplier(id: supplier.id, change: .init(status: .active), actor: Self.actor)
            let key = try await services.access.createKey(role: .supplier, supplierID: supplier.id, label: "demo supplier \(i + 1)")
            suppliers.append((supplier.id, key))
        }
        say("  \(suppliers.count) suppliers onboarded with financing lines")

        // Consumers with credit accounts scored from their shopping behaviour.
        var consumers: [UUID] = []
        for n in 0..<40 {
            // A resident identity number: region 110105, born 1990-01-01, a sequence, and its GB 11643 check character.
            var digits: [Int] = [1, 1, 0, 1, 0, 5, 1, 9, 9, 0, 0, 1, 0, 1]
            for _ in 0..<3 { digits.append(rng.int(0...9)) }
            let weights: [Int] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
            var sum = 0
            for (d, w) in zip(digits, weights) { sum += d * w }
            let check: Character = Array("10X98765432")[sum % 11]
            guard let id = NationalID(digits.map(String.init).joined() + String(check)),
                  let phone = MobilePhone("139\(rng.int(10_000_000...99_999_999))") else { continue }
            let features = CreditFeatures(
                accountAgeMonths: rng.int(6...96), orders12m: rng.int(3...80), spend12m: Money(minorUnits: Int64(rng.int(100_000...5_000_000)), currency: .cny),
                returnRate: Decimal(rng.int(0...20)) / 100, distinctDeliveryAddresses: rng.int(1...6),
                onTimeRepaymentRatio: rng.chance(70) ? Decimal(rng.int(80...100)) / 100 : nil, priorOverdueCount: rng.int(0...2))
            do {
                let opened = try await services.credit.openAccount(CreditApplication(nationalID: id, phone: phone, features: features, productID: nil),
                                                                   actor: Self.actor)
                if opened.account.limit.isPositive { consumers.append(opened.account.id) }
            } catch ServiceError.conflict {
                continue  // the same identity drawn twice
            } catch {
                if n == 0 { throw error }
            }
        }
        say("  \(consumers.count) consumers with credit lines")

        var financed = 0, insured = 0, onCredit = 0, returned = 0, declined = 0
        for n in 0..<orderCount {
            let orderRef = "DEMO-\(tag)-\(String(format: "%05d", n))"
            let supplier = suppliers[rng.int(0...(suppliers.count - 1))]
            let price = Money(minorUnits: Int64(rng.int(30...2_000)) * 100 + Int64(rng.int(0...99)), currency: .cny)
            if !consumers.isEmpty, rng.chance(80) {
                let account = consumers[rng.int(0...(consumers.count - 1))]
                let plan: PurchasePlan = rng.chance(40) ? .interestFree : .installments([3, 6, 12][rng.int(0...2)])
                let outcome = try await services.credit.authorize(CheckoutRequest(creditAccountID: account, orderRef: orderRef,
                                                                                  merchantID: supplier.id.uuidString.lowercased(), amount: price, plan: plan),
                                                                  actor: Self.actor)
                if outcome.checkout.status == CheckoutStatus.authorized {
                    _ = try await services.credit.capture(checkoutID: outcome.checkout.id, amount: nil, actor: Self.actor)
                    onCredit += 1
                } else {
                    declined += 1
                }
            }
            let receivable = try await services.supplierFinance.createReceivable(
                supplierID: supplier.id, externalReference: "PO-\(orderRef)", face: price, issueDate: today,
                dueDate: today.adding(days: rng.chance(30) ? rng.int(1...days) : rng.int(30...90)), orderRef: orderRef, actor: Self.actor)
            if rng.chance(35) {
                let supplierActor = Actor(principal: Principal(keyID: Self.actor.principal.keyID, role: .supplier,
                                                               supplierID: supplier.id.uuidString.lowercased()), requestID: nil)
                let decision = try await services.supplierFinance.requestFinancing(supplierID: supplier.id, receivableIDs: [receivable.record.id],
                                                                                  disbursementDate: nil, actor: supplierActor)
                if decision.status == "approved" { financed += 1 }
            }
            if rng.chance(60), let seller = SellerRef(rawValue: supplier.id.uuidString.lowercased()) {
                _ = try await services.insurance.buyPolicy(ShippingPolicyTerms(
                    orderRef: orderRef, seller: seller, category: ProductCategory(["apparel", "electronics", "home"][rng.int(0...2)]),
                    shipFromRegion: "CN-35", shipToRegion: ["CN-31", "CN-11", "CN-44"][rng.int(0...2)],
                    coverageCap: Money(minorUnits: 1_500, currency: .cny), coverageStart: today, coverageEnd: today.adding(days: 14)), actor: Self.actor)
                insured += 1
            }
            if rng.chance(10) {
                let partial = rng.chance(40)
                let amount = partial ? Money(minorUnits: price.minorUnits / 3, currency: .cny) : price
                _ = try await services.orders.completeReturn(OrderReturn(
                    orderRef: orderRef, returnRef: "RET-\(orderRef)", amount: amount, deliveredAt: deps.clock.now(), buyerRef: "buyer-\(rng.int(1...200))",
                    carrier: "SF Express", trackingNumber: "SF\(tag)\(100_000_000 + n)",
                    shippingCost: Money(minorUnits: Int64(rng.int(800...1_400)), currency: .cny)), actor: Self.actor)
                returned += 1
            }
        }
        say("  \(orderCount) orders: \(onCredit) on credit (\(declined) declined), \(financed) receivables financed, \(insured) insured, \(returned) returned")

        var lastReport = "-"
        nightsBegin()
        for d in 0..<days {
            let date = today.adding(days: d)
            try await importSettlement(for: date)
            let outcome = try await deps.nightly.run(date: date, force: true, triggeredBy: "demo")
            if let run = outcome.run {
                let steps = try await deps.nightly.steps(of: run.id)
                let settled = steps.first { $0.step == "settle_receivables" }?.countsJSON ?? "{}"
                say("  nightly \(date): \(run.status); settle_receivables \(settled)")
                lastReport = run.reportPath ?? lastReport
            }
        }
        let proof = try await ReconciliationService(database: deps.database).proveLedger()
        say("  ledger proof: \(proof.holds ? "holds" : "FAILED") (\(proof.controls.map { "\($0.name) \($0.balanced ? "ok" : "DIFFERS")" }.joined(separator: ", ")))")

        let op = try await services.access.createKey(role: .operator, supplierID: nil, label: "demo operator")
        let pf = try await services.access.createKey(role: .platform, supplierID: nil, label: "demo platform")
        let ins = try await services.access.createKey(role: .insurer, supplierID: nil, label: "demo insurer")
        let sampleOrder = "DEMO-\(tag)-00000"
        printNow("""

            Keys (shown once):
              operator  \(op)
              platform  \(pf)
              insurer   \(ins)
              supplier  \(suppliers[0].key)  (supplier \(suppliers[0].id.uuidString.lowercased()))
            Report:     \(lastReport)
            Start the API (same data directory) and look around:
              swift run qianzhuang serve
              curl -s -H "Authorization: Bearer \(op)" http://127.0.0.1:8080/v1/orders/\(sampleOrder)
              curl -s -H "Authorization: Bearer \(op)" "http://127.0.0.1:8080/v1/ledger/trial-balance"
              curl -s -H "Authorization: Bearer \(ins)" "http://127.0.0.1:8080/v1/claims?status=paid"
              curl -s -H "Authorization: Bearer \(suppliers[0].key)" "http://127.0.0.1:8080/v1/receivables?status=financed"
            """)
    }

    /// Writes and imports the bank's settlement file for `date` the way a channel would send it:
    /// every cash movement of the day under a reference the channel knows, mostly matching, with a
    /// few deliberate breaks — one movement missing, one amount off by a fen, one payment split in
    /// two parts, one line nobody booked — so the night's report shows a realistic reconciliation.
    func importSettlement(for date: BusinessDate) async throws {
        let logger = deps.database.logger
        let items = try await deps.database.client.withConnection { c in
            // Movements of the day, and those of the night before that no file has shown yet (the
            // settlements booked by the previous run arrive a day later, across the night boundary).
            try await ReconciliationStore.expectedCashItems(from: date.adding(days: -1), to: date, on: c, logger: logger)
        }.sorted { $0.id < $1.id }
        var rows = ["channel_txn_id,our_reference,amount,currency,fee,settled_at,type"]
        var breaks = 0
        for (n, item) in items.enumerated() {
            let reference = item.alternateReferences.first ?? item.reference
            let type = item.amount.minorUnits >= 0 ? "payment" : "refund"
            let magnitude = item.amount.minorUnits.magnitude
            func row(_ suffix: String, _ minor: UInt64) -> String {
                let amount = Money(minorUnits: Int64(minor), currency: item.amount.currency).decimalString
                return "DEMO-\(date)-\(n)\(suffix),\(reference),\(amount),\(item.amount.currency.code),0,\(date),\(type)"
            }
            // Every seventh movement is a break of the next kind, three at most; a split still matches (as a group).
            switch n % 7 == 3 && breaks < 3 ? breaks : -1 {
            case 0: breaks += 1  // the channel never reports this one
            case 1: breaks += 1; rows.append(row("", magnitude + 1))
            case 2 where magnitude > 1: breaks += 1; rows.append(row("a", magnitude / 2)); rows.append(row("b", magnitude - magnitude / 2))
            default: rows.append(row("", magnitude))
            }
        }
        rows.append("DEMO-\(date)-X,UNKNOWN-\(date),88.00,CNY,0,\(date),payment")
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("qz-demo-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("settlement-\(date).csv")
        try (rows.joined(separator: "\n") + "\n").write(to: file, atomically: true, encoding: .utf8)
        let imported = try await deps.statements.importFile(file, format: .settlementCSV, channel: "demo-pay", actor: Self.actor)
        say("  settlement \(date): \(imported.statements.map(\.entryCount).reduce(0, +)) lines for \(items.count) cash movements (\(breaks) deliberate breaks + 1 unknown line)")
    }

    func say(_ line: String) { FileHandle.standardError.write(Data((line + "\n").utf8)) }
}
