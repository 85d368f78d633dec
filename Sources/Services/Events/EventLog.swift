import Domain
import Foundation
import Logging
import Persistence
import Synchronization

/// A resource an event carries, as the service knows it. The HTTP layer renders it exactly as the
/// API returns that resource (`EventRendering`), so an event's `data` and a `GET` of the same
/// object at that moment are the same document.
public enum EventResource: Sendable {
    case checkout(CheckoutRecord)
    case creditAccount(CreditAccountRecord)
    case installmentPlan(InstallmentPlanRecord)
    case claim(InsuranceClaimRecord)
    case policy(PolicyDetails)
    case financingRequest(FinancingRequestView)
    case receivable(ReceivableView)
    case nightlyRun(NightlyRunRecord, steps: [NightlyStepRecord])
    case reconciliationException(ExceptionRecord, today: BusinessDate)
    case paymentOrder(PaymentOrderRecord)

    /// The object's type name in the API (`object.type` of the event).
    public var objectType: String {
        switch self {
        case .checkout: "checkout"
        case .creditAccount: "credit_account"
        case .installmentPlan: "installment_plan"
        case .claim: "claim"
        case .policy: "shipping_policy"
        case .financingRequest: "financing_request"
        case .receivable: "receivable"
        case .nightlyRun: "nightly_run"
        case .reconciliationException: "reconciliation_exception"
        case .paymentOrder: "payment_order"
        }
    }
}

/// Renders a resource as the API returns it (JSON bytes). Implemented by the HTTP layer and handed
/// to the services at start-up, so services record events without knowing the wire format.
public protocol EventRendering: Sendable {
    func render(_ resource: EventResource) throws -> [UInt8]
}

/// The event types, versioned: a consumer reads `type` and `version`; a new field in `data` keeps
/// the version, a changed or removed one raises it.
public enum EventType: String, Sendable, CaseIterable {
    case checkoutAuthorized = "checkout.authorized"
    case checkoutDeclined = "checkout.declined"
    case checkoutCaptured = "checkout.captured"
    case checkoutVoided = "checkout.voided"
    case installmentOverdue = "installment.overdue"
    case planRepaid = "installment_plan.repaid"
    case planRefunded = "installment_plan.refunded"
    case accountFrozen = "credit_account.frozen"
    case accountChargedOff = "credit_account.charged_off"
    case accountReinstated = "credit_account.reinstated"
    case policyCreated = "shipping_policy.created"
    case claimRaised = "claim.raised"
    case claimPaid = "claim.paid"
    case claimRejected = "claim.rejected"
    case receivableConfirmed = "receivable.confirmed"
    case receivableDiluted = "receivable.diluted"
    case receivableSettled = "receivable.settled"
    case financingRequested = "financing.requested"
    case financingDisbursed = "financing.disbursed"
    case financingDeclined = "financing.declined"
    case financingRejected = "financing.rejected"
    case nightlyRunCompleted = "nightly_run.completed"
    case nightlyRunFailed = "nightly_run.failed"
    case reconciliationExceptionRaised = "reconciliation_exception.raised"
    case paymentOrderSent = "payment_order.sent"
    case paymentOrderSettled = "payment_order.settled"
    case paymentOrderReturned = "payment_order.returned"
    case paymentOrderFailed = "payment_order.failed"

    /// The payload version of every type today.
    public static let version = 1
}

/// Records events in the caller's transaction: one row per event in the outbox, its JSON text
/// fixed at that moment (envelope + the rendered resource).
///
/// The renderer is process-wide configuration, bootstrapped once at start-up by whoever owns the
/// wire format (the HTTP layer), the way logging is: every service records through it without
/// carrying it. Recording before bootstrap throws, so a wiring mistake cannot write an event whose
/// `data` differs from the API's resource.
public enum EventLog {
    private static let renderer = Mutex<(any EventRendering)?>(nil)

    /// Installs the renderer (idempotent: a second call replaces it with an equivalent one).
    public static func bootstrap(_ rendering: any EventRendering) {
        renderer.withLock { $0 = rendering }
    }

    /// Appends `type` about `resource` on `c` (the use case's transaction). `objectID` is the
    /// resource's id as the API spells it.
    public static func record(
        _ type: EventType, _ resource: EventResource, objectID: String, businessDate: BusinessDate,
        on c: DatabaseConnection, logger: Logger
    ) async throws {
        try await record(type, [(resource, objectID)], businessDate: businessDate, on: c, logger: logger)
    }

    /// Appends one `type` event per resource, in one statement (a night raises thousands).
    public static func record(
        _ type: EventType, _ resources: [(resource: EventResource, objectID: String)], businessDate: BusinessDate,
        on c: DatabaseConnection, logger: Logger
    ) async throws {
        guard !resources.isEmpty else { return }
        guard let rendering = renderer.withLock({ $0 }) else { throw EventLogNotBootstrapped() }
        let now = BusinessClock.systemNow()
        // Time-ordered ids (the events' unique index takes them at its right-hand edge), one per resource.
        let ids = TimeOrderedID.batch(resources.count, at: now)
        let items = zip(resources, ids).map { (resource: $0.resource, objectID: $0.objectID, id: $1) }
        let make = { @Sendable (item: Item) throws -> NewEvent in
            let objectType = item.resource.objectType
            return NewEvent(id: item.id, type: type.rawValue, objectType: objectType, objectID: item.objectID, businessDate: businessDate,
                            createdAt: now, body: envelope(id: item.id, type: type, objectType: objectType, objectID: item.objectID,
                                                           businessDate: businessDate, createdAt: now,
                                                           data: try rendering.render(item.resource)))
        }
        try await EventStore.append(try await renderedInParallel(items, make), on: c, logger: logger)
    }

    /// Read once: `activeProcessorCount` reads the cgroup's CPU quota from files on every call.
    private static let cores = ProcessInfo.processInfo.activeProcessorCount

    /// One event to render: its resource, the resource's id on the wire, and the event's own id.
    typealias Item = (resource: EventResource, objectID: String, id: UUID)

    /// A night renders tens of thousands of events in one call: spread them over the cores (the
    /// order of the result is the order of `items`). Small batches render inline.
    static func renderedInParallel(
        _ items: [Item], _ make: @escaping @Sendable (Item) throws -> NewEvent
    ) async throws -> [NewEvent] {
        // Small batches (a request's one or two events) render inline, without asking how many cores there are.
        guard items.count >= 512 else { return try items.map(make) }
        let lanes = min(cores, items.count / 256)
        guard lanes > 1 else { return try items.map(make) }
        let size = (items.count + lanes - 1) / lanes
        return try await withThrowingTaskGroup(of: (Int, [NewEvent]).self) { group in
            for lane in 0..<lanes {
                let slice = Array(items[(lane * size)..<min(items.count, (lane + 1) * size)])
                group.addTask { (lane, try slice.map(make)) }
            }
            var parts = [[NewEvent]](repeating: [], count: lanes)
            for try await (lane, part) in group { parts[lane] = part }
            return parts.flatMap { $0 }
        }
    }

    /// `{"id", "type", "version", "created_at", "business_date", "object": {"type", "id"}, "data"}`.
    /// Every string is escaped by `JSONString` (as the API's encoder escapes it); `data` is the renderer's document as it is.
    static func envelope(id: UUID, type: EventType, objectType: String, objectID: String, businessDate: BusinessDate,
                         createdAt: Date, data: [UInt8]) -> String {
        let quoted = JSONString.quoted
        return "{\"id\":\(quoted(id.uuidString.lowercased())),\"type\":\(quoted(type.rawValue)),\"version\":\(EventType.version),"
            + "\"created_at\":\(quoted(Timestamp.rfc3339(createdAt))),\"business_date\":\(quoted(businessDate.description)),"
            + "\"object\":{\"type\":\(quoted(objectType)),\"id\":\(quoted(objectID))},\"data\":"
            + String(decoding: data, as: UTF8.self) + "}"
    }
}

/// `EventLog.record` ran before `EventLog.bootstrap`.
public struct EventLogNotBootstrapped: Error, CustomStringConvertible {
    public var description: String { "EventLog.bootstrap was not called: events cannot be rendered" }
}
