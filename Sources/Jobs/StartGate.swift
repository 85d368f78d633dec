import Synchronization

/// Opened once the database's schema is current: `serve` opens it after its migrations. The background
/// services that read or write tables (the webhook worker, the nightly scheduler) start with the server,
/// while the migrations still run, and wait here first; without it a first start or an upgrade ran the
/// webhook worker against tables that did not exist yet, and it logged a failed pass every half second.
public final class StartGate: Sendable {
    private let isOpen: Atomic<Bool>

    public init() { isOpen = Atomic(false) }

    private init(opened: Bool) { isOpen = Atomic(opened) }

    /// A gate that is open from the start, for callers that migrate before they start a service.
    public static let alreadyOpen = StartGate(opened: true)

    public func open() { isOpen.store(true, ordering: .releasing) }

    /// Returns once the gate is open; throws `CancellationError` when the task is cancelled first
    /// (a shutdown while the migrations run, or because they failed).
    public func wait(poll: Duration = .milliseconds(50)) async throws {
        while !isOpen.load(ordering: .acquiring) { try await Task.sleep(for: poll) }
    }
}
