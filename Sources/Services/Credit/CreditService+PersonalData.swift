import Domain
import Foundation
import Persistence

extension CreditService {
    /// Carries every stored personal-data digest made under an earlier part of the configured key
    /// chain forward to the whole chain (`CreditPersonalData`: rotation by chaining), in batches
    /// of `batchSize` accounts, one transaction each, so a large book never holds one long lock.
    /// Safe to run again and beside a second copy (rows another run holds are skipped, and a
    /// rehashed row no longer carries an old key id). Returns how many accounts were rehashed.
    public func rehashPersonalData(batchSize: Int = 1_000) async throws -> Int {
        let logger = self.logger
        let personalData = self.personalData
        var total = 0
        for (index, previousID) in personalData.previousKeyIDs.enumerated() {
            while true {
                let moved = try await database.transaction { c in
                    let rows = try await CreditStore.lockAccountDigests(keyID: previousID, limit: batchSize, on: c, logger: logger)
                    guard !rows.isEmpty else { return 0 }
                    let upgraded = rows.map {
                        StoredPersonalDigests(accountID: $0.accountID,
                                              nationalID: personalData.upgrade($0.nationalID, fromPrevious: index),
                                              phone: personalData.upgrade($0.phone, fromPrevious: index))
                    }
                    try await CreditStore.replaceAccountDigests(upgraded, keyID: personalData.keyID, on: c, logger: logger)
                    return rows.count
                }
                total += moved
                if moved < batchSize { break }
            }
        }
        logger.info("personal-data digests rehashed", metadata: ["accounts": "\(total)", "key_id": "\(personalData.keyID)"])
        return total
    }
}
