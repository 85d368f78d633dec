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
    /// A public name for the key (not derivable into it), stored next to every digest so digests
    /// made under another key — above all the published development key — can be found.
    public let keyID: String

    /// The development default. Production must set `QZ_PII_KEY` (at least 32 characters) and never change it:
    /// a new key makes earlier digests unmatchable, so duplicate accounts would no longer be detected.
    public static let developmentKey = "qianzhuang-development-pii-key-do-not-use-in-production"

    public init(key: String) {
        self.key = SymmetricKey(data: Data(key.utf8))
        self.usesDevelopmentKey = key == Self.developmentKey
        self.keyID = "k" + SHA256.hash(data: Data(("qianzhuang-pii-key-id:" + key).utf8)).prefix(6)
            .map { String(format: "%02x", $0) }.joined()
    }

    /// The id of the published development key.
    public static var developmentKeyID: String { CreditPersonalData(key: developmentKey).keyID }

    /// Why no key could be settled on.
    public enum KeyError: Error, Equatable, CustomStringConvertible {
        case missingInProduction
        case developmentKeyInProduction
        case tooShort
        case keyFile(String)

        public var description: String {
            switch self {
            case .missingInProduction:
                "QZ_PII_KEY must be set when running against an external database (--database-url): personal-data digests need a secret key"
            case .developmentKeyInProduction: "QZ_PII_KEY is the published development key; set a secret one"
            case .tooShort: "QZ_PII_KEY must be at least 32 characters"
            case .keyFile(let message): "personal-data key file: \(message)"
            }
        }
    }

    /// The process's key. `QZ_PII_KEY` when set (at least 32 characters; never the development key
    /// in production). Otherwise production (an external database) refuses to start, and the
    /// embedded default uses a random key created on first start in `dataDirectory/pii.key`
    /// (mode 0600) and kept with the cluster it belongs to.
    public static func resolve(
        environment: [String: String] = ProcessInfo.processInfo.environment, production: Bool, dataDirectory: URL?
    ) throws(KeyError) -> CreditPersonalData {
        if let key = environment["QZ_PII_KEY"], !key.isEmpty {
            if production && key == developmentKey { throw .developmentKeyInProduction }
            guard key.count >= 32 || key == developmentKey else { throw .tooShort }
            return CreditPersonalData(key: key)
        }
        guard !production, let dataDirectory else { throw .missingInProduction }
        return CreditPersonalData(key: try keyFile(in: dataDirectory))
    }

    static let keyFileName = "pii.key"

    /// Reads the key file, creating it (32 random bytes, hex, mode 0600) when absent.
    static func keyFile(in directory: URL) throws(KeyError) -> String {
        let file = directory.appendingPathComponent(keyFileName)
        let fm = FileManager.default
        if let data = fm.contents(atPath: file.path) {
            let key = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            guard key.count >= 32 else { throw .keyFile("\(file.path) holds no key of at least 32 characters") }
            return key
        }
        var rng = SystemRandomNumberGenerator()
        let key = (0..<32).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &rng)) }.joined()
        do {
            try fm.createDirectory(at: directory, withIntermediateDirectories: true)
        } catch {
            throw .keyFile("cannot create \(directory.path)")
        }
        guard fm.createFile(atPath: file.path, contents: Data((key + "\n").utf8), attributes: [.posixPermissions: 0o600]) else {
            throw .keyFile("cannot write \(file.path)")
        }
        return key
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
