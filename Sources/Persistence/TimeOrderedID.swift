import Foundation

/// Time-ordered ids (UUID version 7, RFC 9562 §5.7) for rows a night writes by the hundred
/// thousand: reconciliation exceptions and events.
///
/// A random (version 4) id lands on a random leaf of every index that holds it, so each insert
/// reads and dirties another page. A time-ordered id lands at the right-hand edge, where
/// PostgreSQL's B-tree appends to the page it appended to last. At 1M lines (400,000 of each) the
/// exception insert took 22.5 s instead of 28.5 s and the event insert 23.3 s instead of 27.5 s of
/// PostgreSQL time (Benchmarks/nightly/README.md, session 14). The ids stay opaque to clients; they
/// reveal only when the row was made, which its `created_at` says anyway.
///
/// Layout: 48 bits of Unix milliseconds, the version (7), then a 30-bit counter (the 12 bits of
/// `rand_a` and the first 18 of `rand_b`: RFC 9562 §6.2 method 1, "fixed-length dedicated counter"),
/// the variant, and 44 random bits. A batch counts up from zero within its millisecond, so its ids
/// are strictly increasing in PostgreSQL's `uuid` order (bytewise); two batches in one millisecond
/// interleave, but stay unique by their random bits.
public enum TimeOrderedID {
    /// The largest batch whose ids are strictly increasing (the counter's range).
    public static let batchLimit = 1 << 30

    /// `count` ids for `date`, strictly increasing (for `count` up to `batchLimit`).
    public static func batch(_ count: Int, at date: Date) -> [UUID] {
        var rng = SystemRandomNumberGenerator()
        return batch(count, at: date, using: &rng)
    }

    public static func batch<R: RandomNumberGenerator>(_ count: Int, at date: Date, using rng: inout R) -> [UUID] {
        // Before 1970 or after the year 10889 the 48 bits cannot say it: clamp rather than wrap.
        let ms = (date.timeIntervalSince1970 * 1000).rounded(.down)
        let millis: UInt64 = ms <= 0 ? 0 : ms >= 281_474_976_710_655 ? 281_474_976_710_655 : UInt64(ms)
        var out: [UUID] = []
        out.reserveCapacity(count)
        for n in 0..<count {
            let counter = UInt64(n % batchLimit)
            let random = rng.next()
            out.append(make(millis: millis, counter: counter, random: random))
        }
        return out
    }

    static func make(millis: UInt64, counter: UInt64, random: UInt64) -> UUID {
        // hi: 48 ms | 4 version | 12 counter (high). lo: 2 variant | 18 counter (low) | 44 random.
        let hi = (millis << 16) | (0x7 << 12) | ((counter >> 18) & 0xFFF)
        let lo = (UInt64(0b10) << 62) | ((counter & 0x3FFFF) << 44) | (random & 0xFFF_FFFF_FFFF)
        return UUID(uuid: (
            UInt8(truncatingIfNeeded: hi >> 56), UInt8(truncatingIfNeeded: hi >> 48), UInt8(truncatingIfNeeded: hi >> 40),
            UInt8(truncatingIfNeeded: hi >> 32), UInt8(truncatingIfNeeded: hi >> 24), UInt8(truncatingIfNeeded: hi >> 16),
            UInt8(truncatingIfNeeded: hi >> 8), UInt8(truncatingIfNeeded: hi),
            UInt8(truncatingIfNeeded: lo >> 56), UInt8(truncatingIfNeeded: lo >> 48), UInt8(truncatingIfNeeded: lo >> 40),
            UInt8(truncatingIfNeeded: lo >> 32), UInt8(truncatingIfNeeded: lo >> 24), UInt8(truncatingIfNeeded: lo >> 16),
            UInt8(truncatingIfNeeded: lo >> 8), UInt8(truncatingIfNeeded: lo)))
    }
}
