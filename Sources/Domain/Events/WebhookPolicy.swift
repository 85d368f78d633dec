import Foundation

/// How deliveries are retried and when an endpoint is given up on.
///
/// A failed attempt n (1-based) is retried after `base · 2^(n-1)`, capped at `cap`, with "equal
/// jitter": half the delay fixed, the other half uniformly random, so receivers that failed together
/// are not all retried in the same second. Attempts continue while the delivery is younger than
/// `window` (3 days by default); an endpoint that has failed without a single success for
/// `disableAfter` (3 days) is disabled, and the operator sees why.
public struct WebhookPolicy: Sendable, Equatable {
    public var base: Duration
    public var cap: Duration
    public var window: Duration
    public var disableAfter: Duration
    /// An attempt that takes longer than this fails (and the delivery lease is this long).
    public var attemptTimeout: Duration

    public init(base: Duration = .seconds(30), cap: Duration = .seconds(6 * 3600), window: Duration = .seconds(3 * 86_400),
                disableAfter: Duration = .seconds(3 * 86_400), attemptTimeout: Duration = .seconds(10)) {
        self.base = base
        self.cap = cap
        self.window = window
        self.disableAfter = disableAfter
        self.attemptTimeout = attemptTimeout
    }

    public static let standard = WebhookPolicy()

    /// The delay before attempt `attempts + 1`, given a uniform random `unit` in [0, 1).
    public func delay(afterAttempt attempts: Int, unit: Double) -> Duration {
        let exponent = min(max(attempts - 1, 0), 30)
        let raw = base * (1 << exponent)
        let capped = raw > cap ? cap : raw
        return capped / 2 + (capped / 2) * min(max(unit, 0), 1)
    }

    /// When to try again after a failed attempt `attempts`, or nil when the window has closed.
    public func retryAt(afterAttempt attempts: Int, createdAt: Date, now: Date, unit: Double) -> Date? {
        let next = now.addingTimeInterval(Self.seconds(delay(afterAttempt: attempts, unit: unit)))
        return next < createdAt.addingTimeInterval(Self.seconds(window)) ? next : nil
    }

    static func seconds(_ d: Duration) -> TimeInterval {
        TimeInterval(d.components.seconds) + TimeInterval(d.components.attoseconds) / 1e18
    }
}
