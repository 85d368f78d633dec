import Domain
import Foundation
import HTTPAPI
import Hummingbird
import HummingbirdTesting
import Persistence
import Services
import Testing

/// Issue 12: personal-data digests carry a key id, so the key can be rotated. A digest cannot be
/// recomputed without the clear value, so rotation chains: HMAC(new key, old digest).
@Suite("Personal-data key rotation")
struct PersonalDataRotationTests {
    static let newKey = String(repeating: "n", count: 40)
    static let rotated = CreditPersonalData(key: newKey, previousKeys: [CreditPersonalData.developmentKey])

    @Test("a chain of one key keeps the id and digests it always had; a chain is a different key")
    func chainOfOne() throws {
        let single = CreditPersonalData(key: Self.newKey)
        let id = try #require(NationalID(CreditAPI.nationalIDs[0]))
        #expect(CreditPersonalData(key: Self.newKey, previousKeys: []).digest(id) == single.digest(id))
        #expect(Self.rotated.keyID != single.keyID && Self.rotated.keyID != CreditPersonalData.developmentKeyID)
        #expect(Self.rotated.previousKeyIDs == [CreditPersonalData.developmentKeyID])
        let development = CreditPersonalData(key: CreditPersonalData.developmentKey)
        #expect(Self.rotated.upgrade(development.digest(id), fromPrevious: 0) == Self.rotated.digest(id))
        #expect(Self.rotated.previousDigests(id) == [development.digest(id)])
        let env = ["QZ_PII_KEY": Self.newKey, "QZ_PII_PREVIOUS_KEYS": " \(CreditPersonalData.developmentKey) ,"]
        #expect(try CreditPersonalData.resolve(environment: env, production: true, dataDirectory: nil).keyID == Self.rotated.keyID)
    }

    @Test("rehash moves development-key digests to the new chain: production starts, duplicates are still refused")
    func rehashDevelopmentDigests() async throws {
        try await withTestDatabase { db in
            let api = try await TestAPI.make(db)   // the published development key
            try await api.withClient { client in
                _ = try await CreditAPI.openAccount(client, api, nationalID: CreditAPI.nationalIDs[0])
                _ = try await CreditAPI.openAccount(client, api, nationalID: CreditAPI.nationalIDs[1])
            }
            let service = CreditService(database: db, clock: .live(.shanghai), personalData: Self.rotated)
            await #expect(throws: PersonalDataKeyMismatch.self) { try await service.checkPersonalDataKey(production: true) }

            // Mid-rotation (not yet rehashed), the same person cannot open a second account under the new chain.
            let deps = APIDependencies(database: db, migrator: try repositoryMigrator(), calendar: .shanghai, personalData: Self.rotated)
            let key = try await deps.services.access.createKey(role: .platform, supplierID: nil, label: "rotation")
            let app = Application(router: buildRouter(deps), logger: TestCluster.logger)
            func open(_ nationalID: String) async throws -> JSONResponse {
                try await app.test(.router) { client in
                    try await client.call(.post, "/v1/credit-accounts", key: key, json: """
                        {"national_id": "\(nationalID)", "phone": "\(CreditAPI.phone)", "features": \(CreditAPI.goodFeatures)}
                        """)
                }
            }
            let early = try await open(CreditAPI.nationalIDs[0])
            #expect(early.status == .conflict && early.text.contains("duplicate_account"), "\(early.text)")

            #expect(try await service.rehashPersonalData(batchSize: 1) == 2)
            #expect(try await service.rehashPersonalData() == 0)   // nothing left under the old key
            try await service.checkPersonalDataKey(production: true)
            #expect(try await db.scalar(Int64.self, "SELECT count(*) FROM credit_accounts WHERE pii_key_id = \(Self.rotated.keyID)") == 2)

            let id = try #require(NationalID(CreditAPI.nationalIDs[0]))
            let expected = CreditStore.hex(Self.rotated.digest(id))
            #expect(try await db.scalar(String.self, "SELECT encode(national_id_hmac, 'hex') FROM credit_accounts WHERE national_id_last4 = '002X'") == expected)
            #expect(try await db.scalar(Int64.self, "SELECT count(*) FROM credit_unique_refs WHERE kind = 'national_id' AND ref = \(expected)") == 1)
            // The published key alone no longer reproduces anything stored.
            let devHex = CreditStore.hex(CreditPersonalData(key: CreditPersonalData.developmentKey).digest(id))
            #expect(try await db.scalar(Int64.self, "SELECT count(*) FROM credit_unique_refs WHERE ref = \(devHex)") == 0)

            let again = try await open(CreditAPI.nationalIDs[0])
            #expect(again.status == .conflict && again.text.contains("duplicate_account"), "\(again.text)")
            let fresh = try await open(CreditAPI.nationalIDs[2])
            #expect(fresh.status == .created, "\(fresh.text)")
            #expect(try await db.scalar(String.self, "SELECT pii_key_id FROM credit_accounts WHERE national_id_last4 = \(String(CreditAPI.nationalIDs[2].suffix(4)))") == Self.rotated.keyID)
        }
    }
}
