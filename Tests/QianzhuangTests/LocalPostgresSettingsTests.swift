import Foundation
import Testing
@testable import LocalPostgres

@Suite("The embedded database's settings")
struct LocalPostgresSettingsTests {
    @Test("shared_buffers is an eighth of the memory, from 128 MB to 2 GB; max_wal_size is 8 GB")
    func sizing() {
        let gb: UInt64 = 1 << 30
        #expect(LocalPostgresCluster.durableMemorySettings(physicalMemory: gb / 2) == ["shared_buffers = 128MB", "max_wal_size = 8GB"])
        #expect(LocalPostgresCluster.durableMemorySettings(physicalMemory: 8 * gb) == ["shared_buffers = 1GB", "max_wal_size = 8GB"])
        #expect(LocalPostgresCluster.durableMemorySettings(physicalMemory: 24 * gb) == ["shared_buffers = 2GB", "max_wal_size = 8GB"])
        #expect(LocalPostgresCluster.durableMemorySettings(physicalMemory: 12 * gb)[0] == "shared_buffers = 1536MB")
        #expect(LocalPostgresCluster.availableMemory() <= ProcessInfo.processInfo.physicalMemory)
    }

    @Test("a new durable cluster starts with them (a value PostgreSQL refused would stop the embedded default)")
    func durableClusterStarts() throws {
        let dir = URL(fileURLWithPath: "/tmp/qz-durable-\(getpid())-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(at: dir) }
        let cluster = try LocalPostgresCluster(dataDirectory: dir, profile: .durable, logger: TestCluster.logger)
        #expect(try cluster.start())
        defer { cluster.stop() }
        #expect(cluster.isRunning())
        // `postgres -C` prints base units: megabytes for max_wal_size, 8 kB pages for shared_buffers.
        let postgres = cluster.binDirectory.appendingPathComponent("postgres").path
        let wal = try cluster.run(postgres, ["-D", cluster.clusterDirectory.path, "-C", "max_wal_size"])
        #expect(wal.trimmingCharacters(in: .whitespacesAndNewlines) == "8192")
        let pages = try cluster.run(postgres, ["-D", cluster.clusterDirectory.path, "-C", "shared_buffers"])
        let mb = LocalPostgresCluster.sharedBuffersMB(physicalMemory: LocalPostgresCluster.availableMemory())
        #expect(pages.trimmingCharacters(in: .whitespacesAndNewlines) == String(mb * 128))
    }
}
