import Domain
import Foundation

/// Where payments leave from and how long the bank may take, from the environment:
/// `QZ_DEBTOR_NAME`; `QZ_DEBTOR_IBAN` (with optional `QZ_DEBTOR_BIC`) or `QZ_DEBTOR_ACCOUNT` with
/// `QZ_DEBTOR_BANK_CODE` (CNAPS or BIC); `QZ_PAYMENT_SETTLE_DAYS` (business days after the
/// execution date before an unsettled order is an exception, default 3).
public struct PaymentSettings: Sendable {
    public let debtor: DebtorAccount
    public let settleWithinBusinessDays: Int
    /// Why the configured debtor account was refused; batches are not written while it is set.
    public let configurationError: String?

    /// The embedded default debtor: the platform's CNY account at ICBC's head office (CNAPS 102100099996).
    public static let defaultDebtor = DebtorAccount(
        name: "Qianzhuang Platform Ltd", account: .domestic(account: "0200000000000000001", bank: .cnaps("102100099996")))

    public init(debtor: DebtorAccount = PaymentSettings.defaultDebtor, settleWithinBusinessDays: Int = 3, configurationError: String? = nil) {
        self.debtor = debtor
        self.settleWithinBusinessDays = settleWithinBusinessDays
        self.configurationError = configurationError
    }

    public static func fromEnvironment(_ env: [String: String] = ProcessInfo.processInfo.environment) -> PaymentSettings {
        let days = env["QZ_PAYMENT_SETTLE_DAYS"].flatMap { Int($0) }.map { min(max($0, 0), 60) } ?? 3
        let name = env["QZ_DEBTOR_NAME"].flatMap { $0.isEmpty ? nil : $0 }
        let iban = env["QZ_DEBTOR_IBAN"].flatMap { $0.isEmpty ? nil : $0 }
        let account = env["QZ_DEBTOR_ACCOUNT"].flatMap { $0.isEmpty ? nil : $0 }
        guard name != nil || iban != nil || account != nil else { return PaymentSettings(settleWithinBusinessDays: days) }
        do {
            let parsed = try CreditorAccount(name: name ?? defaultDebtor.name, iban: iban, accountNumber: account,
                                             bankCode: env["QZ_DEBTOR_BANK_CODE"])
            let bic = try env["QZ_DEBTOR_BIC"].flatMap { $0.isEmpty ? nil : $0 }.map { text throws(BankDetailsError) -> String in
                guard case .bic(let b) = try BankCode(validating: text, field: "QZ_DEBTOR_BIC") else {
                    throw BankDetailsError.invalid(field: "QZ_DEBTOR_BIC", "must be a BIC")
                }
                return b
            }
            return PaymentSettings(debtor: DebtorAccount(name: parsed.name, account: parsed.account, bic: bic), settleWithinBusinessDays: days)
        } catch {
            return PaymentSettings(settleWithinBusinessDays: days, configurationError: "debtor account: \(error.field) \(error.description)")
        }
    }
}
