import Domain
import Hummingbird
import Services

/// `/v1/credit-accounts`, `/v1/checkouts`, `/v1/installment-plans`, `/v1/repayments`, `/v1/refunds` (issue 4).
struct CreditRoutes {
    let credit: CreditService

    func addRoutes(to group: Routes) {}
}
