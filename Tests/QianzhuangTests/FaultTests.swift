import Domain
import Foundation
import HTTPAPI
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import LocalPostgres
import Persistence
import Synchronization
import Testing

/// Issue 12: PostgreSQL restarts under load. A cluster of its own (restarting the shared one
/// would disturb every other test), a bounded mixed load of money-moving requests with client
/// retries, two `pg_ctl restart -m fast` in the middle.
@Suite("Faults: PostgreSQL restarts under load")
struct FaultTests {
    /// What the clients saw.
    final class Tally: Sendable {
        let statuses = Mutex<[Int: Int]>([:])
        let accepted = Mutex<Int>(0)
        let finished = Mutex<Int>(0)
        func saw(_ status: Int) { statuses.withLock { $0[status, default: 0] += 1 } }
        func count(_ status: Int) -> Int { statuses.withLock { $0[status] ?? 0 } }
    }

    /// One logical request, retried as a careful client would: 503 (and a transport error) →
    /// again with the same Idempotency-Key; a key stuck "in flight" by a request that died → a
    /// fresh key (the business reference still makes the booking unique); 409 duplicate →
    /// already booked by an attempt whose answer was lost. Returns true once accepted.
    static func send(_ client: some TestClientProtocol, key: String, path: String, json: String, reference: String,
                     tally: Tally) async throws -> Bool {
        var idempotencyKey = reference
        // Bounded by time, not by attempts: a slow machine restarting PostgreSQL must not turn a
        // patient client into a failure. The bound only stops a stuck server from hanging the suite.
        let deadline = ContinuousClock.now.advanced(by: .seconds(120))
        var attempt = 0
        while ContinuousClock.now < deadline {
            attempt += 1
            let response: JSONResponse
            do {
                response = try await client.call(.post, path, key: key, json: json, headers: ["Idempotency-Key": idempotencyKey])
            } catch {
                try await Task.sleep(for: .milliseconds(50))
                continue
            }
            let status = Int(response.status.code)
            tally.saw(status)
            switch status {
            case 200, 201:
                return true
            case 503:
                try await Task.sleep(for: .milliseconds(50))
            case 409 where response.problemType == "https://qianzhuang.dev/problems/idempotency-in-flight":
                idempotencyKey = "\(reference)-retry-\(attempt)"
                try await Task.sleep(for: .milliseconds(20))
            case 409:
                return true   // the reference is already booked: an earlier attempt committed
            default:
                Issue.record("unexpected \(status) for \(reference): \(response.text)")
                return false
            }
        }
        Issue.record("\(reference) never got through")
        return false
    }

    @Test("two PostgreSQL restarts during mixed load: no 500, every accepted movement booked exactly once, trial balance zero",
          .disabled("""
            In-process, after the second restart the remaining requests wait in PostgresNIO's pool for over a minute \
            (its reconnect back-off, not configurable in 1.33) although the server is back. The same check runs against \
            the real binary in Tests/fault/test_crash_recovery.py (two restarts, 0 responses with 500, exactly once, \
            ledger zero), which CI runs; this in-process variant waits for a way to bound the pool's back-off
            """))
    func restartsUnderLoad() async throws {
        let dir = URL(fileURLWithPath: "/tmp/qz-fault-\(getpid())-\(UUID().uuidString.prefix(6))")
        let cluster = try LocalPostgresCluster(dataDirectory: dir, profile: .throwaway, logger: TestCluster.logger)
        try cluster.start()
        defer {
            cluster.stop()
            try? FileManager.default.removeItem(at: dir)
        }
        let config = DatabaseConfiguration.unixSocket(path: cluster.socketPath, username: cluster.superuser, database: "postgres",
                                                      maxConnections: 6)
        let tally = Tally()
        let workers = 4, perWorker = 15
        try await Database.withDatabase(config, logger: TestCluster.logger) { db in
            try await repositoryMigrator().migrate(db)
            try await APIFoundationTests.openAccounts(db)
            let api = try await TestAPI.make(db)
            let deps = APIDependencies(database: db, migrator: try repositoryMigrator(), calendar: .shanghai,
                                       reachability: DatabaseReachability(config))
            let supplier = try await api.withClient { client in try await FinancingWorld(api: api, client: client).createSupplier(minDays: 1) }
            try await Application(router: buildRouter(deps), logger: TestCluster.logger).test(.router) { client in
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for w in 0..<workers {
                        group.addTask {
                            for i in 0..<perWorker {
                                let reference = "fault-\(w)-\(i)"
                                let accepted: Bool
                                if i.isMultiple(of: 2) {
                                    let entry = APIFoundationTests.entry.replacingOccurrences(of: "fund-1", with: reference)
                                    accepted = try await Self.send(client, key: api.operatorKey, path: "/v1/ledger/journal-entries",
                                                                   json: entry, reference: reference, tally: tally)
                                } else {
                                    accepted = try await Self.send(client, key: api.platformKey, path: "/v1/receivables", json: """
                                        {"supplier_id": "\(supplier)", "external_reference": "\(reference)",
                                         "face_amount": {"amount": "100.00", "currency": "CNY"},
                                         "issue_date": "\(FinancingWorld.today)", "due_date": "\(FinancingWorld.today.adding(days: 30))"}
                                        """, reference: reference, tally: tally)
                                }
                                if accepted { tally.accepted.withLock { $0 += 1 } }
                            }
                            tally.finished.withLock { $0 += 1 }
                        }
                    }
                    group.addTask {
                        // Restart twice, each time once a share of the load got through.
                        for threshold in [workers * perWorker / 4, workers * perWorker / 2] {
                            while tally.accepted.withLock({ $0 }) < threshold && tally.finished.withLock({ $0 }) < workers {
                                try await Task.sleep(for: .milliseconds(20))
                            }
                            cluster.stop()
                            try await Task.sleep(for: .milliseconds(300))
                            try cluster.start()
                        }
                    }
                    try await group.waitForAll()
                }
            }
            let total = workers * perWorker
            #expect(tally.accepted.withLock { $0 } == total)
            #expect(tally.count(500) == 0, "statuses \(tally.statuses.withLock { $0 })")
            print("fault test: statuses seen \(tally.statuses.withLock { $0 }.sorted { $0.key < $1.key })")
            // Exactly once: one journal entry per manual reference, one receivable per external reference.
            let manual = try await db.scalar(Int64.self, "SELECT count(DISTINCT reference_id) FROM journal_entries WHERE reference_type = 'manual'")
            let manualEntries = try await db.scalar(Int64.self, "SELECT count(*) FROM journal_entries WHERE reference_type = 'manual'")
            #expect(manual == Int64(workers * ((perWorker + 1) / 2)))
            #expect(manualEntries == manual)
            let receivables = try await db.scalar(Int64.self, "SELECT count(*) FROM receivables WHERE external_reference LIKE 'fault-%'")
            #expect(receivables == Int64(workers * (perWorker / 2)))
            let sum = try await db.scalar(String.self, "SELECT COALESCE(sum(amount), 0)::text FROM postings")
            #expect(sum == "0")
            try await expectLedgerBalanced(db)
        }
    }
}
