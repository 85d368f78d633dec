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

    public init(database: Database, migrator: Migrator, calendar: BusinessCalendar,
                personalData: CreditPersonalData = .fromEnvironment()) {
        access = AccessService(database: database, migrator: migrator)
        ledger = LedgerService(database: database)
        credit = CreditService(database: database, calendar: calendar, personalData: personalData)
        insurance = InsuranceService(database: database, calendar: calendar)
        supplierFinance = SupplierFinanceService(database: database, calendar: calendar)
        operations = OperationsService(database: database)
        webhooks = WebhookService(database: database)
        payments = PaymentOrderService(database: database, calendar: calendar)
        orders = OrderService(database: database, calendar: calendar, credit: credit, finance: supplierFinance, insurance: insurance)
    }
}
