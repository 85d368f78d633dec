/// How far a buyer's return has got: none → requested → shipped → delivered_to_seller.
public enum ReturnStage: Int, Sendable, CaseIterable, Comparable, CustomStringConvertible {
    case none = 0
    case requested
    case shipped
    case deliveredToSeller

    /// Stable snake_case name for storage and the API.
    public var code: String {
        switch self {
        case .none: "none"
        case .requested: "requested"
        case .shipped: "shipped"
        case .deliveredToSeller: "delivered_to_seller"
        }
    }

    /// The stage for a stored code, or nil.
    public init?(code: String) {
        guard let stage = Self.allCases.first(where: { $0.code == code }) else { return nil }
        self = stage
    }

    public static func < (lhs: ReturnStage, rhs: ReturnStage) -> Bool { lhs.rawValue < rhs.rawValue }

    public var description: String { code }

    /// Applies an event from the platform.
    ///
    /// The next event in order advances the stage. An event for this stage or an earlier one was
    /// recorded already: the platform delivers at least once and may redeliver late, so that is a
    /// no-op reported as `.alreadyRecorded`, never an error. An event that skips a stage is out of
    /// order and throws, naming the current stage.
    public func applying(_ event: ReturnEvent) throws(ReturnEventOrderError) -> ReturnEventOutcome {
        let target = event.stage
        if target <= self { return .alreadyRecorded(current: self) }
        guard target.rawValue == rawValue + 1 else { throw ReturnEventOrderError(current: self, event: event) }
        return .advanced(to: target)
    }
}

/// A return event reported by the platform.
public enum ReturnEvent: String, Sendable, Codable, CaseIterable, CustomStringConvertible {
    case requested
    case shipped
    case deliveredToSeller = "delivered_to_seller"

    /// The stage this event moves a return to.
    public var stage: ReturnStage {
        switch self {
        case .requested: .requested
        case .shipped: .shipped
        case .deliveredToSeller: .deliveredToSeller
        }
    }

    public var description: String { rawValue }
}

/// What applying a return event did.
public enum ReturnEventOutcome: Hashable, Sendable {
    /// The return moved to this stage. Reaching `.deliveredToSeller` is when a claim is raised.
    case advanced(to: ReturnStage)
    /// The event was recorded before; nothing changed.
    case alreadyRecorded(current: ReturnStage)

    /// True exactly when this event brought the return to the seller, so a claim should be raised now.
    public var raisesClaim: Bool { self == .advanced(to: .deliveredToSeller) }
}

/// A return event that skips a stage (e.g. `delivered_to_seller` before `shipped`).
public struct ReturnEventOrderError: Error, Equatable, Sendable, CustomStringConvertible {
    public let current: ReturnStage
    public let event: ReturnEvent

    public init(current: ReturnStage, event: ReturnEvent) {
        self.current = current
        self.event = event
    }

    public var description: String {
        "return event \(event) is out of order: the return is at \(current)"
    }
}
