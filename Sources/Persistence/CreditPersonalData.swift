import Crypto
import Domain
import Foundation

/// Keyed digests of consumers' personal data, so duplicates can be refused without ever storing
/// the national ID or the phone number in clear. HMAC-SHA256 rather than a plain hash: the national
/// ID space is small enough (18 digits with a check character and a birth date inside) that an
/// unkeyed hash could be reversed by enumeration; without the key the digest reveals nothing.
///
/// **Rotation.** A digest cannot be recomputed under a new key without the clear value, which is
/// never stored. So a key is rotated by *chaining*: the new digest is HMAC(new key, old digest).
/// The process is configured with its current key (`QZ_PII_KEY`) and, oldest first, the keys it
/// replaced (`QZ_PII_PREVIOUS_KEYS`, comma-separated); a digest is the HMAC chain over all of them.
/// `qianzhuang pii rehash` moves stored digests made under any earlier part of the chain to the
/// whole chain, so the database never again holds a digest that the old keys alone can reverse
/// (a leaked or published old key, like the development key, is harmless once it is rehashed).
public struct CreditPersonalData: Sendable {
    /// The chain, oldest key first; the last one is the current key.
    private let keys: [SymmetricKey]
    /// True when no `QZ_PII_KEY` was configured and the development key is in use.
    public let usesDevelopmentKey: Bool
    /// A public name for the chain (not derivable into it), stored next to every digest so digests
    /// made under another key or chain — above all the published development key — can be found.
    /// A chain of one key has the id that key has always had.
    public let keyID: String
    /// The ids of the chain's proper prefixes, longest first: digests stored under these can be
    /// carried forward to `keyID` by `upgrade(_:fromPrefix:)`.
    public let previousKeyIDs: [String]

    /// The development default. Production must set `QZ_PII_KEY` (at least 32 characters); to change it,
    /// list the old key in `QZ_PII_PREVIOUS_KEYS` and run `qianzhuang pii rehash` (see the type's comment).
    public static let developmentKey = "qianzhuang-development-pii-key-do-not-use-in-production"

    public init(key: String, previousKeys: [String] = []) {
        let chain = previousKeys + [key]
        self.keys = chain.map { SymmetricKey(data: Data($0.utf8)) }
        self.usesDevelopmentKey = key == Self.developmentKey && previousKeys.isEmpty
        self.keyID = Self.chainID(chain)
        self.previousKeyIDs = (1..<chain.count).reversed().map { Self.chainID(Array(chain.prefix($0))) }
    }

    /// "k" and 12 hex digits of SHA-256 over the chain's keys (one key: the id it always had).
    private static func chainID(_ chain: [String]) -> String {
        "k" + SHA256.hash(data: Data(("qianzhuang-pii-key-id:" + chain.joined(separator: "\u{0}")).utf8)).prefix(6)
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
        let previous = previousKeys(environment)
        if let key = environment["QZ_PII_KEY"], !key.isEmpty {
            if production && key == developmentKey { throw .developmentKeyInProduction }
            guard key.count >= 32 || key == developmentKey else { throw .tooShort }
            return CreditPersonalData(key: key, previousKeys: previous)
        }
        guard !production, let dataDirectory else { throw .missingInProduction }
        return CreditPersonalData(key: try keyFile(in: dataDirectory), previousKeys: previous)
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
        return CreditPersonalData(key: key, previousKeys: previousKeys(environment))
    }

    /// `QZ_PII_PREVIOUS_KEYS`: the keys the current one replaced, oldest first, comma-separated.
    static func previousKeys(_ environment: [String: String]) -> [String] {
        (environment["QZ_PII_PREVIOUS_KEYS"] ?? "").split(separator: ",")
            .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    public func digest(_ id: NationalID) -> [UInt8] { mac("national_id:" + id.normalized) }

    /// The national ID's digests under each earlier part of the chain (none without previous keys):
    /// during a rotation, accounts not yet rehashed still quote these.
    public func previousDigests(_ id: NationalID) -> [[UInt8]] {
        let text = Array(("national_id:" + id.normalized).utf8)
        return (1..<keys.count).map { chain(text, keys.prefix($0)) }
    }

    public func digest(_ phone: MobilePhone) -> [UInt8] { mac("phone:" + phone.digits) }

    private func mac(_ text: String) -> [UInt8] {
        chain(Array(text.utf8), keys)
    }

    /// Carries a digest stored under `previousKeyIDs[index]` forward to the whole chain: the same
    /// value `digest(_:)` gives today for the clear value behind it.
    public func upgrade(_ digest: [UInt8], fromPrevious index: Int) -> [UInt8] {
        let prefixLength = keys.count - 1 - index
        return chain(digest, keys[prefixLength...])
    }

    private func chain(_ bytes: [UInt8], _ keys: some Sequence<SymmetricKey>) -> [UInt8] {
        keys.reduce(bytes) { Array(HMAC<SHA256>.authenticationCode(for: $0, using: $1)) }
    }
}
