import Foundation
import NIOCore
import NIOPosix
import PostgresNIO
import Synchronization

/// Whether the database server accepts connections at all, answered fast. While PostgreSQL is
/// down, the pool keeps requests queued until its circuit breaker trips (about 15 s); the API asks
/// this instead and refuses at once with 503 + Retry-After. The probe is a bare TCP / Unix-socket
/// connect (no login, no pool connection, so a busy pool never looks like an outage), done at most
/// once per `interval` and shared by every caller in between.
public final class DatabaseReachability: Sendable {
    enum Address: Sendable {
        case unixSocket(String)
        case host(String, Int)
    }

    let address: Address?
    let interval: Duration
    let timeout: TimeAmount
    private let state = Mutex<(reachable: Bool, checkedAt: ContinuousClock.Instant?)>((true, nil))

    /// `interval` bounds how stale an answer is; `timeout` how long one probe may take.
    public init(configuration: PostgresClient.Configuration, interval: Duration = .milliseconds(250),
                timeout: Duration = .milliseconds(500)) {
        if let path = configuration.unixSocketPath {
            address = .unixSocket(path)
        } else if let host = configuration.host {
            address = .host(host, configuration.port ?? 5432)
        } else {
            address = nil
        }
        self.interval = interval
        self.timeout = .nanoseconds(Int64(timeout.components.seconds) * 1_000_000_000 + timeout.components.attoseconds / 1_000_000_000)
    }

    public convenience init(_ configuration: DatabaseConfiguration) {
        self.init(configuration: configuration.postgres)
    }

    /// The last answer when it is fresh, else a new probe's.
    public func isReachable() async -> Bool {
        let now = ContinuousClock.now
        if let cached = state.withLock({ s -> Bool? in
            guard let at = s.checkedAt, now - at < interval else { return nil }
            return s.reachable
        }) {
            return cached
        }
        // Claim the probe so concurrent callers use the previous answer meanwhile.
        state.withLock { $0.checkedAt = now }
        let reachable = await probe()
        state.withLock { s in
            s.reachable = reachable
            s.checkedAt = ContinuousClock.now
        }
        return reachable
    }

    func probe() async -> Bool {
        guard let address else { return true }
        let bootstrap = ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton).connectTimeout(timeout)
        do {
            let channel: any Channel
            switch address {
            case .unixSocket(let path): channel = try await bootstrap.connect(unixDomainSocketPath: path).get()
            case .host(let host, let port): channel = try await bootstrap.connect(host: host, port: port).get()
            }
            try? await channel.close()
            return true
        } catch {
            return false
        }
    }
}
