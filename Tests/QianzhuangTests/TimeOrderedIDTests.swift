import Foundation
import Persistence
import PostgresNIO
import Testing

/// Ids a night writes by the hundred thousand are time-ordered (UUID version 7), so the indexes
/// that hold them are appended to at their right-hand edge.
@Suite("Time-ordered ids")
struct TimeOrderedIDTests {
    static func bytes(_ id: UUID) -> [UInt8] { withUnsafeBytes(of: id.uuid) { Array($0) } }

    @Test("a batch is version 7 with the RFC 9562 variant, says its millisecond, and increases strictly in PostgreSQL's uuid order (bytewise)")
    func batchShape() throws {
        let at = Date(timeIntervalSince1970: 1_796_000_000.123_9)
        let ids = TimeOrderedID.batch(5_000, at: at)
        #expect(Set(ids).count == 5_000)
        for id in ids {
            let b = Self.bytes(id)
            #expect(b[6] >> 4 == 7, "version of \(id)")
            #expect(b[8] >> 6 == 0b10, "variant of \(id)")
            let millis = b[0..<6].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
            #expect(millis == 1_796_000_000_123)
        }
        #expect(zip(ids, ids.dropFirst()).allSatisfy { Self.bytes($0).lexicographicallyPrecedes(Self.bytes($1)) })
        // A later millisecond sorts after the whole batch; two batches in one millisecond never collide.
        let later = TimeOrderedID.batch(1, at: at.addingTimeInterval(0.001))[0]
        #expect(Self.bytes(ids.last!).lexicographicallyPrecedes(Self.bytes(later)))
        #expect(Set(ids + TimeOrderedID.batch(5_000, at: at)).count == 10_000)
    }

    @Test("the counter carries across its 12 and 18 bits: ids 2^18 - 1 and 2^18 of a batch are in order")
    func counterCarries() throws {
        var rng = SystemRandomNumberGenerator()
        let ids = TimeOrderedID.batch((1 << 18) + 1, at: Date(timeIntervalSince1970: 1_796_000_000), using: &rng)
        let a = Self.bytes(ids[(1 << 18) - 1]), b = Self.bytes(ids[1 << 18])
        #expect(a.lexicographicallyPrecedes(b))
        #expect(b[7] & 0x01 == 1 && b[8] & 0x3F == 0, "\(b)")
    }

    @Test("dates outside what 48 bits of milliseconds can say clamp, never trap")
    func clamps() throws {
        let early = Self.bytes(TimeOrderedID.batch(1, at: Date(timeIntervalSince1970: -1))[0])
        #expect(early[0..<6].allSatisfy { $0 == 0 })
        let late = Self.bytes(TimeOrderedID.batch(1, at: .distantFuture.addingTimeInterval(1e15))[0])
        #expect(late[0..<6].allSatisfy { $0 == 0xFF })
    }

    @Test("PostgreSQL orders a stored batch as it was made")
    func postgresOrder() async throws {
        try await withTestDatabase { db in
            let ids = TimeOrderedID.batch(2_000, at: Date())
            let sorted = try await db.transaction { c in
                try await c.query("""
                    SELECT array_agg(i ORDER BY i)::text[] FROM unnest(\(ids.shuffled())::uuid[]) AS t(i)
                    """, logger: db.logger).all([String].self).first ?? []
            }
            #expect(sorted == ids.map { $0.uuidString.lowercased() })
        }
    }
}
