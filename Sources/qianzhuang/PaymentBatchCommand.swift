import ArgumentParser
import Domain
import Foundation
import Jobs
import Persistence
import Services

struct PaymentBatch: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "payment-batch", abstract: "Payment batch files (pain.001.001.09).", subcommands: [Export.self])

    struct Export: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write a batch's pain.001 file (the bytes stored when it was written) and mark the batch sent.")
        @OptionGroup var database: DatabaseOptions
        @OptionGroup var platform: PlatformOptions
        @Argument(help: "The batch id.") var id: String
        @Option(name: .long, help: "Where to write the file (default: standard output).") var output: String?

        func run() async throws {
            _ = bootstrapProcess
            let logger = makeLogger("qianzhuang.payment-batch")
            guard let batchID = UUID(uuidString: id) else { throw ValidationError("the batch id must be a UUID") }
            let clock = try platform.clock()
            let target = try await DatabaseTarget.resolve(database, logger: logger)
            defer { target.stopIfStarted() }
            let migrator = try Migrator(directory: Migrator.locateDirectory(explicit: database.migrations))
            let (batch, file) = try await Database.withDatabase(target.configuration, logger: logger) { db in
                try await migrator.migrate(db)
                let payments = PaymentOrderService(database: db, clock: clock)
                let file = try await payments.batchFile(id: batchID)
                return (try await payments.markSent(batchID: batchID, actor: NightlyPlan.actor), file)
            }
            if let output {
                try file.write(to: URL(fileURLWithPath: output), options: .atomic)
                printNow("\(batch.id.uuidString.lowercased())  \(batch.messageID)  \(batch.orderCount) orders  \(batch.controlSum)  sha256 \(batch.fileSHA256)  -> \(output)")
            } else {
                FileHandle.standardOutput.write(file)
            }
        }
    }
}
