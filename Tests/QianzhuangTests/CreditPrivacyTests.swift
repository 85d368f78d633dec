import Domain
import Foundation
import HTTPAPI
import Hummingbird
import HummingbirdTesting
import Logging
import Persistence
import PostgresNIO
import QianzhuangClient
import Services
import Synchronization
import Testing

private typealias C = CreditAPI

/// Collects every log line (message and metadata) at every level.
final class CreditLogSink: Sendable {
    let lines = Mutex<[String]>([])

    var logger: Logger {
        var logger = Logger(label: "qianzhuang.credit.capture") { label in CreditCapturingHandler(sink: self, label: label) }
        logger.logLevel = .trace
        return logger
    }

    var text: String { lines.withLock { $0.joined(separator: "\n") } }
}

struct CreditCapturingHandler: LogHandler {
    let sink: CreditLogSink
    let label: String
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let merged = metadata.merging(event.metadata ?? [:]) { $1 }
        let error = event.error.map { " error=\(String(reflecting: $0))" } ?? ""
        sink.lines.withLock { $0.append("\(event.level) \(label) \(event.message) \(merged)\(error)") }
    }
}

@Suite("Credit personal data stays out of the database and the logs")
struct CreditPrivacyTests {
    @Test("national ID and phone are absent in clear from every table and every log line; duplicates are still refused")
    func personalData() async throws {
        let nationalID = "11010519491231002X"
        let phone = "13912345678"
        try await withTestDatabase { plain in
            let sink = CreditLogSink()
            let db = Database(client: plain.client, logger: sink.logger)
            let deps = APIDependencies(database: db, migrator: try repositoryMigrator(), calendar: .shanghai)
            let key = try await deps.services.access.createKey(role: .platform, supplierID: nil, label: "privacy")
            let app = Application(router: buildRouter(deps), logger: sink.logger)
            try await app.test(.router) { client in
                let opened = try await client.call(.post, "/v1/credit-accounts", key: key, json: """
                    {"national_id": "\(nationalID)", "phone": "+86 \(phone)", "features": \(C.goodFeatures)}
                    """, headers: ["Idempotency-Key": "open-1"])
                #expect(opened.status == .created, "\(opened.text)")
                let openedAccount = try opened.decode(Schemas.CreditAccount.self)
                #expect(openedAccount.phoneMasked == "139****5678")
                #expect(openedAccount.nationalIdLast4 == "002X")
                #expect(!opened.text.contains(phone))
                #expect(!opened.text.contains(nationalID))
                let account = openedAccount.id
                // The same person with a lower-case check character is the same person.
                let duplicate = try await client.call(.post, "/v1/credit-accounts", key: key, json: """
                    {"national_id": "\(nationalID.lowercased())", "phone": "13700000000", "features": \(C.goodFeatures)}
                    """)
                #expect(duplicate.status == .conflict)
                #expect(!duplicate.text.contains(nationalID))
                let invalid = try await client.call(.post, "/v1/credit-accounts", key: key, json: """
                    {"national_id": "110105194912310021", "phone": "\(phone)", "features": \(C.goodFeatures)}
                    """)
                #expect(invalid.problemFields == ["national_id"])
                #expect(!invalid.text.contains("110105194912310021"))
                let read = try await client.call(.get, "/v1/credit-accounts/\(account)", key: key)
                #expect(!read.text.contains(phone))
                _ = try await client.call(.post, "/v1/checkouts", key: key,
                                          json: C.checkoutJSON(account: account, order: "p-1", amount: "10.00"))
            }

            // Every row of every table, as text (bytea decoded where it may hold JSON), has neither value.
            let tables = try await plain.client.query(
                "SELECT tablename::text FROM pg_tables WHERE schemaname = 'public' ORDER BY 1", logger: plain.logger).all(String.self)
            #expect(tables.contains("credit_accounts"))
            for table in tables {
                let rows = try await plain.client.query(
                    PostgresQuery(unsafeSQL: "SELECT t::text FROM \(table) t"), logger: plain.logger).all(String.self)
                for row in rows {
                    #expect(!row.contains(phone), "phone in \(table)")
                    #expect(!row.contains(nationalID) && !row.contains(nationalID.lowercased()), "national id in \(table)")
                    #expect(!row.contains(String(nationalID.prefix(17))), "national id digits in \(table)")
                }
            }
            let stored = try await plain.client.query(
                "SELECT convert_from(response_body, 'UTF8') FROM idempotency_keys WHERE response_body IS NOT NULL",
                logger: plain.logger).all(String.self)
            #expect(!stored.isEmpty)
            #expect(stored.allSatisfy { !$0.contains(phone) && !$0.contains(nationalID) })

            // The stored digest is the keyed HMAC (checked with Python's hmac), not a plain hash.
            let digest = try await plain.scalar(String.self, "SELECT encode(national_id_hmac, 'hex') FROM credit_accounts")
            let script = """
                import hashlib, hmac, sys
                key, msg = sys.argv[1].encode(), sys.argv[2].encode()
                print(hmac.new(key, msg, hashlib.sha256).hexdigest(), hashlib.sha256(msg).hexdigest())
                """
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = ["python3", "-c", script, CreditPersonalData.developmentKey, "national_id:" + nationalID]
            let out = Pipe()
            process.standardOutput = out
            try process.run()
            let printed = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).split(separator: " ")
            process.waitUntilExit()
            #expect(printed.count == 2)
            #expect(digest == printed.first.map(String.init))
            #expect(digest != printed.last.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) })

            let logs = sink.text
            #expect(logs.contains("credit account opened"), "the capture must see the service's logs")
            #expect(!logs.contains(phone))
            #expect(!logs.contains(nationalID) && !logs.contains(nationalID.lowercased()))
            #expect(!logs.contains(String(nationalID.prefix(17))))
            #expect(!logs.contains("110105194912310021"))
        }
    }
}
