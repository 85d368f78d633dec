import Foundation
import Logging
import PostgresNIO

/// Stored personal-data digests, for carrying them forward to a new key chain
/// (see `CreditPersonalData`: rotation by chaining).
public struct StoredPersonalDigests: Sendable {
    public let accountID: UUID
    public let nationalID: [UInt8]
    public let phone: [UInt8]

    public init(accountID: UUID, nationalID: [UInt8], phone: [UInt8]) {
        self.accountID = accountID
        self.nationalID = nationalID
        self.phone = phone
    }
}

extension CreditStore {
    /// Up to `limit` accounts whose digests were made under `keyID`, locked; rows another rehash holds are skipped.
    public static func lockAccountDigests(
        keyID: String, limit: Int, on connection: PostgresConnection, logger: Logger
    ) async throws -> [StoredPersonalDigests] {
        let rows = try await connection.query("""
            SELECT id, encode(national_id_hmac, 'hex') AS n, encode(phone_hmac, 'hex') AS p
            FROM credit_accounts WHERE pii_key_id = \(keyID)
            ORDER BY id LIMIT \(limit) FOR UPDATE SKIP LOCKED
            """, logger: logger)
        var out: [StoredPersonalDigests] = []
        for try await (id, n, p) in rows.decode((UUID, String, String).self) {
            guard let national = bytes(hex: n), let phone = bytes(hex: p) else { throw CreditStoreError.corruptRow("credit_accounts \(id)") }
            out.append(StoredPersonalDigests(accountID: id, nationalID: national, phone: phone))
        }
        return out
    }

    /// Replaces the digests of `rows` (and the national-ID uniqueness claim that quotes the digest)
    /// and marks them as made under `keyID`.
    public static func replaceAccountDigests(
        _ rows: [StoredPersonalDigests], keyID: String, on connection: PostgresConnection, logger: Logger
    ) async throws {
        let ids = rows.map(\.accountID)
        let national = rows.map { hex($0.nationalID) }
        let phone = rows.map { hex($0.phone) }
        try await connection.query("""
            WITH u AS (SELECT * FROM unnest(\(ids)::uuid[], \(national)::text[], \(phone)::text[]) AS u(id, n, p)),
            refs AS (
                UPDATE credit_unique_refs r SET ref = u.n FROM u
                WHERE r.kind = 'national_id' AND r.credit_account_id = u.id)
            UPDATE credit_accounts a
            SET national_id_hmac = decode(u.n, 'hex'), phone_hmac = decode(u.p, 'hex'), pii_key_id = \(keyID)
            FROM u WHERE a.id = u.id
            """, logger: logger)
    }

    /// Whether any account's national-ID claim quotes one of `refs` (hex digests).
    public static func nationalIDClaimed(anyOf refs: [String], on connection: PostgresConnection, logger: Logger) async throws -> Bool {
        let rows = try await connection.query("""
            SELECT EXISTS (SELECT 1 FROM credit_unique_refs WHERE kind = 'national_id' AND ref = ANY(\(refs)::text[]))
            """, logger: logger)
        for try await exists in rows.decode(Bool.self) { return exists }
        return false
    }

    /// Lower-case hex, as the national-ID claim stores a digest.
    public static func hex(_ bytes: [UInt8]) -> String {
        bytes.map { String(format: "%02x", $0) }.joined()
    }

    static func bytes(hex: String) -> [UInt8]? {
        let utf8 = Array(hex.utf8)
        guard utf8.count % 2 == 0 else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(utf8.count / 2)
        var index = 0
        while index < utf8.count {
            guard let byte = UInt8(String(decoding: utf8[index..<index + 2], as: UTF8.self), radix: 16) else { return nil }
            out.append(byte)
            index += 2
        }
        return out
    }
}
