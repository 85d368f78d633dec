import Domain
import Hummingbird
import Services

/// `/v1/shipping-policies`, `/v1/return-events`, `/v1/claims` (issue 5).
struct InsuranceRoutes {
    let insurance: InsuranceService

    func addRoutes(to group: Routes) {}
}
