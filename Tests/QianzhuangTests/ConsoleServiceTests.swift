import Domain
import Foundation
import HTTPAPI
import HummingbirdTesting
import Persistence
import QianzhuangClient
import Services
import Testing

/// The small service reads the console added (issue 18): each lists what the page needs, in the
/// order it shows it, through the service, on real PostgreSQL.
@Suite("Service reads for the operator console")
struct ConsoleServiceTests {
    static func actor(_ api: TestAPI) async throws -> Actor {
        let principal = try #require(try await api.deps.services.access.principal(forKey: api.operatorKey))
        return Actor(principal: principal, requestID: "test")
    }

    @Test("the financing review queue lists requests in review only, oldest first; a decline keeps its reason on the audit record")
    func financingQueue() async throws {
        try await withTestDatabase { db in
            let api = try await TestAPI.make(db)
            try await api.withClient { client in
                let world = FinancingWorld(api: api, client: client)
                let supplier = try await world.createSupplier(ceiling: "1000.00")
                let key = try await api.supplierKey(try #require(UUID(uuidString: supplier)))
                var ids: [String] = []
                for face in ["5000.00", "6000.00", "500.00"] {
                    let r = try await world.createReceivable(supplier: supplier, face: face, dueInDays: 60)
                    ids.append(try await world.finance([r], key: key).decode(Schemas.FinancingRequest.self).id)
                }
                let finance = api.deps.services.supplierFinance
                let queue = try await finance.financingRequestsInReview()
                #expect(queue.map { $0.id.uuidString.lowercased() } == Array(ids.prefix(2)), "the 400.00 advance is below the ceiling: approved at once")
                let actor = try await Self.actor(api)
                let bySupplier = try await finance.financingRequests(supplierID: try #require(UUID(uuidString: supplier)), for: actor.principal)
                #expect(bySupplier.map { $0.id.uuidString.lowercased() } == ids.reversed(), "the supplier's requests, newest first")
                let declined = try await finance.decideFinancingRequest(id: queue[0].id, approve: false, reason: "duplicate invoice", actor: actor)
                #expect(declined.status == "rejected")
                #expect(try await finance.financingRequestsInReview().map(\.id) == [queue[1].id])
                let audit = try await api.deps.services.access.auditEvents(actor: nil, objectType: "financing_request",
                                                                          objectID: ids[0], action: "financing.rejected", before: nil, limit: 10)
                #expect(audit.count == 1 && audit[0].detail.contains("duplicate invoice") && audit[0].actor == actor.principal.actor)
                await #expect(throws: ServiceError.self) {
                    _ = try await finance.decideFinancingRequest(id: queue[1].id, approve: false, reason: String(repeating: "x", count: 501),
                                                                 actor: actor)
                }
            }
        }
    }

    @Test("an account's ledger entries come newest first with all their lines, and page on without repeats")
    func accountEntries() async throws {
        try await withTestDatabase { db in
            let api = try await TestAPI.make(db)
            try await api.withClient { client in
                let world = FinancingWorld(api: api, client: client)
                let supplier = try await world.createSupplier()
                for face in ["1000.00", "2000.00", "3000.00"] {
                    _ = try await world.createReceivable(supplier: supplier, face: face, dueInDays: 30)
                }
                let ledger = api.deps.services.ledger
                let code = "supplier.\(supplier).payable.cny"
                let first = try await ledger.entries(accountCode: code, before: nil, limit: 2)
                #expect(first.count == 2 && first.allSatisfy { $0.lines.count >= 2 })
                #expect(first[0].createdAt >= first[1].createdAt)
                let rest = try await ledger.entries(accountCode: code, before: (first[1].createdAt, first[1].id), limit: 2)
                #expect(rest.count == 1 && !first.map(\.id).contains(rest[0].id))
                let amounts = (first + rest).flatMap(\.lines).filter { $0.accountCode == code }.map(\.amount.minorUnits).sorted()
                #expect(amounts == [-300_000, -200_000, -100_000])
                await #expect(throws: ServiceError.self) { _ = try await ledger.entries(accountCode: "no.such.account", before: nil, limit: 5) }
            }
        }
    }

    @Test("keys created and revoked through the service are audited; the audit log filters by actor, object and action prefix")
    func keysAndAudit() async throws {
        try await withTestDatabase { db in
            let api = try await TestAPI.make(db)
            let access = api.deps.services.access
            let actor = try await Self.actor(api)
            let created = try await access.createKey(role: .insurer, supplierID: nil, label: "partner", actor: actor)
            #expect(created.key.hasPrefix("qz_"))
            await #expect(throws: ServiceError.self) { _ = try await access.createKey(role: .supplier, supplierID: nil, label: "", actor: actor) }
            try await access.revokeKey(id: created.id, actor: actor)
            await #expect(throws: ServiceError.self) { try await access.revokeKey(id: created.id, actor: actor) }
            #expect(try await access.keys(includeRevoked: false).allSatisfy { $0.id != created.id })
            #expect(try await access.keys(includeRevoked: true).contains { $0.id == created.id && $0.revokedAt != nil })
            let mine = try await access.auditEvents(actor: actor.principal.actor, objectType: nil, objectID: nil, action: "api_key.",
                                                    before: nil, limit: 50)
            #expect(mine.map(\.action) == ["api_key.revoked", "api_key.created"])
            let older = try await access.auditEvents(actor: nil, objectType: "api_key", objectID: created.id.uuidString.lowercased(),
                                                     action: nil, before: mine[0].id, limit: 50)
            #expect(older.map(\.action) == ["api_key.created"])
        }
    }

    @Test("nightly runs newest first; accounts per delinquency bucket; an account's plans")
    func runsBucketsPlans() async throws {
        try await withTestDatabase { db in
            let api = try await TestAPI.make(db)
            try await api.withClient { client in
                let account = try await CreditAPI.openAccount(client, api)
                _ = try await CreditAPI.purchase(client, api, account: account, order: "ORD-C1", amount: "600.00")
                _ = try await CreditAPI.purchase(client, api, account: account, order: "ORD-C2", amount: "300.00", tenor: 6)
                let plans = try await api.deps.services.credit.plans(accountID: try #require(UUID(uuidString: account)), limit: 10)
                #expect(plans.count == 2 && plans.allSatisfy { !$0.installments.isEmpty })
                #expect(Set(plans.map(\.principal.minorUnits)) == [60_000, 30_000])
            }
            let buckets = try await api.deps.services.credit.bucketCounts()
            #expect(buckets.map(\.bucket) == DelinquencyBucket.allCases)
            #expect(buckets.first { $0.bucket == .current }?.accounts == 1 && buckets.map(\.accounts).reduce(0, +) == 1)
            let yesterday = BusinessCalendar.shanghai.businessDate(at: Date()).adding(days: -1)
            let twoDaysAgo = yesterday.adding(days: -1)
            for date in [twoDaysAgo, yesterday] {
                _ = try await api.deps.nightly.run(date: date, force: false, triggeredBy: "test", onRunRecorded: { _ in })
            }
            let runs = try await api.deps.nightly.runs(PageRequest(limit: 10)).items
            #expect(runs.map(\.businessDate) == [yesterday, twoDaysAgo])
            #expect(try await api.deps.nightly.runs(PageRequest(limit: 1)).items.count == 1)
            // Each night's ageing records the buckets (every bucket, zero included), oldest first.
            let history = try await api.deps.services.credit.bucketHistory(days: 30)
            #expect(history.map(\.date) == [twoDaysAgo, yesterday])
            #expect(history.allSatisfy { $0.counts.count == DelinquencyBucket.allCases.count && $0.counts[.current] == 1 })
            #expect(try await api.deps.services.credit.bucketHistory(days: 1).map(\.date) == [yesterday])
        }
    }
}
