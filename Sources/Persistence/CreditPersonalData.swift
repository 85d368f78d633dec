import Crypto
import Domain
import Foundation

/// Keyed digests of consumers' personal data, so duplicates can be refused without ever storing
/// the national ID or the phone number in clear. HMAC-SHA256 rather than a plain hash: the national
/// ID space is small enough (18 digits with a check character and a birth date inside) that an
/// unkeyed hash could be reversed by enumeration; without the key the digest reveals nothing.
public struct CreditPersonalData: Sendable {
    private let key: SymmetricKey
    /// True when no `QZ_PII_KEY` was configured and the development key is in use.
    public let usesDevelopmentKey: Bool

    /// The development default. Production must set `QZ_PII_KEY` (at least 32 characters) and never change it:
    /// a new key makes earlier digests unmatchable, so duplicate accounts would no longer be detected.
    public static let developmentKey = "qianzhuang-development-pii-key-do-not-use-in-production"

    public init(key: String) {
        self.key = SymmetricKey(data: Data(key.utf8))
        self.usesDevelopmentKey = key == Self.developmentKey
    }

    /// The key from the environment variable `QZ_PII_KEY`, else the development default.
    public static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment) -> CreditPersonalData {
        guard let key = environment["QZ_PII_KEY"], !key.isEmpty else { return CreditPersonalData(key: developmentKey) }
        return CreditPersonalData(key: key)
    }

    public func digest(_ id: NationalID) -> [UInt8] { mac("national_id:" + id.normalized) }

    public func digest(_ phone: MobilePhone) -> [UInt8] { mac("phone:" + phone.digits) }

    private func mac(_ text: String) -> [UInt8] {
        Array(HMAC<SHA256>.authenticationCode(for: Data(text.utf8), using: key))
    }
}
