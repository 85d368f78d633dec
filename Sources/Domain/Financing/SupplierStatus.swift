/// A supplier's lifecycle: pending until an operator activates it; active and suspended may swap;
/// any of them may close, and closed is final. Only an active supplier may draw financing.
public enum SupplierStatus: String, Sendable, Hashable, Codable, CaseIterable {
    case pending
    case active
    case suspended
    case closed

    /// Whether a supplier in this status may be moved to `next` (staying put is always allowed).
    public func canBecome(_ next: SupplierStatus) -> Bool {
        switch (self, next) {
        case _ where next == self: true
        case (.pending, .active), (.active, .suspended), (.suspended, .active): true
        case (.pending, .closed), (.active, .closed), (.suspended, .closed): true
        default: false
        }
    }

    /// Whether the supplier may request financing.
    public var mayFinance: Bool { self == .active }
}
