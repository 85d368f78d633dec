import Foundation
import Jobs
import Persistence
import Services
import Testing

@Suite("Background services wait for the schema")
struct StartGateTests {
    @Test("the webhook worker touches no table before the gate opens, and starts once it does")
    func workerWaitsForSchema() async throws {
        try await withTestDatabase(migrated: false) { plain in
            let sink = CreditLogSink()
            let db = Database(client: plain.client, logger: sink.logger)
            let gate = StartGate()
            let worker = WebhookWorker(database: db, policy: WebhookTests.fast, targets: WebhookTargetPolicy(allowPrivateNetworks: true),
                                       pollInterval: .milliseconds(50), clock: .live(.shanghai), ready: gate, logger: sink.logger)
            try await WebhookTests.withWorker(worker) {
                // Ten polls' worth on a database with no tables: a worker that did not wait fails a pass at once.
                try await Task.sleep(for: .milliseconds(500))
                #expect(!sink.text.contains("webhook worker"), "\(sink.text)")
                try await repositoryMigrator().migrate(db)
                gate.open()
                try await WebhookTests.waitUntil("the worker to start", timeout: .seconds(30)) { sink.text.contains("webhook worker on") }
                try await Task.sleep(for: .milliseconds(300))
            }
            #expect(!sink.text.contains("webhook worker pass failed"), "\(sink.text)")
        }
    }

    @Test("a wait at a closed gate ends when its task is cancelled (a shutdown while migrating)")
    func cancelledWait() async throws {
        let gate = StartGate()
        let waiter = Task { try await gate.wait() }
        waiter.cancel()
        await #expect(throws: CancellationError.self) { try await waiter.value }
        #expect(StartGate.alreadyOpen !== gate)
        try await StartGate.alreadyOpen.wait()   // returns at once
    }
}
