import Domain
import Persistence

/// Every use-case service, wired to one database.
public struct ServiceRegistry: Sendable {
    public let access: AccessService
    public let ledger: LedgerService
    public let credit: CreditService
    public let insurance: InsuranceService
    public let supplierFinance: SupplierFinanceService
    public let orders: OrderService
    public let operations: OperationsService
    public let webhooks: WebhookService
    public let payments: PaymentOrderService

    public init(database: Database, migrator: Migrator, clock: BusinessClock,
                personalData: CreditPersonalData = .fromEnvironment()) {
        access = AccessService(database: database, migrator: migrator)
        ledger = LedgerService(database: database)
        credit = CreditService(database: database, clock: clock, personalData: personalData)
        insurance = InsuranceService(database: database, clock: clock)
        supplierFinance = SupplierFinanceService(database: database, clock: clock)
        operations = OperationsService(database: database)
        webhooks = WebhookService(database: database)
        payments = PaymentOrderService(database: database, clock: clock)
        orders = OrderService(database: database, clock: clock, credit: credit, finance: supplierFinance, insurance: insurance)
    }
}
