/// The camt.053 (BankToCustomerStatement) message versions the parser reads: .001.02 to .001.08.
public enum Camt053Version: Int, Hashable, Sendable, CaseIterable, Comparable, CustomStringConvertible {
    case v02 = 2, v03, v04, v05, v06, v07, v08

    static let namespacePrefix = "urn:iso:std:iso:20022:tech:xsd:camt.053.001."

    /// The version for an XML namespace such as `urn:iso:std:iso:20022:tech:xsd:camt.053.001.08`, or nil.
    public init?(namespace: String) {
        guard namespace.hasPrefix(Self.namespacePrefix) else { return nil }
        let suffix = namespace.dropFirst(Self.namespacePrefix.count)
        guard suffix.count == 2, suffix.allSatisfy(\.isASCII), let number = Int(suffix),
              let version = Camt053Version(rawValue: number) else { return nil }
        self = version
    }

    /// The message's XML namespace.
    public var namespace: String { Self.namespacePrefix + (rawValue < 10 ? "0" : "") + String(rawValue) }

    /// `camt.053.001.08` and so on.
    public var description: String { "camt.053.001." + (rawValue < 10 ? "0" : "") + String(rawValue) }

    public static func < (lhs: Camt053Version, rhs: Camt053Version) -> Bool { lhs.rawValue < rhs.rawValue }
}
