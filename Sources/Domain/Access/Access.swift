/// What a caller may do, per API.md.
public enum Role: String, Sendable, Codable, CaseIterable {
    case `operator`, platform, supplier, insurer
}

/// An authenticated caller: the key's id and role, and for a supplier key the supplier it is bound to.
public struct Principal: Sendable, Hashable {
    public let keyID: UUIDString
    public let role: Role
    public let supplierID: UUIDString?

    public init(keyID: UUIDString, role: Role, supplierID: UUIDString?) {
        self.keyID = keyID
        self.role = role
        self.supplierID = supplierID
    }

    /// How the audit trail names this caller.
    public var actor: String { "\(role.rawValue):\(keyID)" }
}

/// A UUID in its canonical lower-case string form.
public typealias UUIDString = String
