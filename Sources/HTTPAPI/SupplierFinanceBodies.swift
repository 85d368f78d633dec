import Domain
import Foundation
import Persistence
import Services

struct FinancingLineBody: Codable {
    let limit: MoneyBody
    let advanceRate: String
    let annualDiscountRate: String
    let minDaysToMaturity: Int
    let maxDaysToMaturity: Int
    let autoApprovalCeiling: MoneyBody
    let dayCount: String?

    func line(field: String) throws -> FinancingLine {
        let limit = try limit.money(field: "\(field).limit")
        let ceiling = try autoApprovalCeiling.money(field: "\(field).auto_approval_ceiling")
        let rate = try Rate.parse(advanceRate, "\(field).advance_rate", scale: RatePrecision.financingScale)
        let discount = try Rate.parse(annualDiscountRate, "\(field).annual_discount_rate", scale: RatePrecision.financingScale)
        let dayCount: DayCount = try Field.oneOf(dayCount ?? "ACT/360", "\(field).day_count", "must be ACT/360, ACT/365F or 30/360")
        do {
            return try FinancingLine(limit: limit, advanceRate: rate, annualDiscountRate: discount, minDaysToMaturity: minDaysToMaturity,
                                     maxDaysToMaturity: maxDaysToMaturity, autoApprovalCeiling: ceiling, dayCount: dayCount)
        } catch {
            let sub: String = switch error {
            case .advanceRateOutOfRange: "advance_rate"
            case .negativeDiscountRate: "annual_discount_rate"
            case .invalidTenorRange: "max_days_to_maturity"
            case .currencyMismatch, .negativeAutoApprovalCeiling: "auto_approval_ceiling"
            default: "limit"
            }
            throw Problem.validation("\(field).\(sub)", error.description)
        }
    }
}

/// A partial financing line: fields left out keep their value.
struct FinancingLinePatch: Codable {
    let limit: MoneyBody?
    let advanceRate: String?
    let annualDiscountRate: String?
    let minDaysToMaturity: Int?
    let maxDaysToMaturity: Int?
    let autoApprovalCeiling: MoneyBody?
    let dayCount: String?

    /// Checks each present field's format up front so a bad value is a 422 naming it.
    func validated() throws -> Bool {
        _ = try limit?.money(field: "financing_line.limit")
        _ = try autoApprovalCeiling?.money(field: "financing_line.auto_approval_ceiling")
        _ = try advanceRate.map { try Rate.parse($0, "financing_line.advance_rate", scale: RatePrecision.financingScale) }
        _ = try annualDiscountRate.map { try Rate.parse($0, "financing_line.annual_discount_rate", scale: RatePrecision.financingScale) }
        if let dayCount, DayCount(rawValue: dayCount) == nil {
            throw Problem.validation("financing_line.day_count", "must be ACT/360, ACT/365F or 30/360")
        }
        return true
    }

    func apply(to current: FinancingLine) throws -> FinancingLine {
        let merged = FinancingLineBody(
            limit: limit ?? MoneyBody(current.limit), advanceRate: advanceRate ?? current.advanceRate.description,
            annualDiscountRate: annualDiscountRate ?? current.annualDiscountRate.description,
            minDaysToMaturity: minDaysToMaturity ?? current.minDaysToMaturity, maxDaysToMaturity: maxDaysToMaturity ?? current.maxDaysToMaturity,
            autoApprovalCeiling: autoApprovalCeiling ?? MoneyBody(current.autoApprovalCeiling), dayCount: dayCount ?? current.dayCount.rawValue)
        return try merged.line(field: "financing_line")
    }
}

/// In an extension, so the body keeps its memberwise initializer (a patch merges into one).
extension FinancingLineBody {
    init(_ line: FinancingLine) {
        limit = MoneyBody(line.limit)
        advanceRate = line.advanceRate.description
        annualDiscountRate = line.annualDiscountRate.description
        minDaysToMaturity = line.minDaysToMaturity
        maxDaysToMaturity = line.maxDaysToMaturity
        autoApprovalCeiling = MoneyBody(line.autoApprovalCeiling)
        dayCount = line.dayCount.rawValue
    }
}

struct SupplierRequest: Codable {
    let name: String
    let unifiedSocialCreditCode: String
    let financingLine: FinancingLineBody
}

struct SupplierPatch: Codable {
    let name: String?
    let status: String?
    let financingLine: FinancingLinePatch?
}

struct SupplierBody: Encodable {
    let id: String
    let name: String
    let unifiedSocialCreditCode: String
    let status: String
    let financingLine: FinancingLineBody
    let financingCommitted: MoneyBody
    let freeLimit: MoneyBody
    let recourseOwed: MoneyBody
    /// Where the supplier is paid (`PaymentRoutes`): in full only to an operator reading this one supplier.
    var bankDetails: BankDetailsBody?

    init(_ s: SupplierRecord) {
        id = s.id.uuidString.lowercased()
        name = s.name
        unifiedSocialCreditCode = s.creditCode
        status = s.status.rawValue
        financingLine = FinancingLineBody(s.line)
        financingCommitted = MoneyBody(s.financingCommitted)
        freeLimit = MoneyBody(Money(minorUnits: max(0, s.line.limit.minorUnits - s.financingCommitted.minorUnits), currency: s.line.currency))
        recourseOwed = MoneyBody(s.recourseOwed)
    }
}

struct ReceivableRequest: Codable {
    let supplierId: String
    let externalReference: String
    let faceAmount: MoneyBody
    let issueDate: String
    let dueDate: String
    let orderRef: String?
}

struct AdjustmentRequest: Codable {
    let kind: String
    let amount: MoneyBody
    let reference: String
}

struct StatusRequest: Codable {
    let status: String
}

struct PaymentRequest: Codable {
    let amount: MoneyBody
}

struct ReceivableBody: Encodable {
    struct Adjustment: Encodable {
        let id: String
        let kind: String
        let amount: MoneyBody
        let reference: String
        let createdAt: String
    }
    let id: String
    let supplierId: String
    let externalReference: String
    let faceAmount: MoneyBody
    let outstanding: MoneyBody
    let issueDate: String
    let dueDate: String
    let status: String
    let financingRequestId: String?
    let orderRef: String?
    let adjustments: [Adjustment]

    init(_ v: ReceivableView) {
        let r = v.record
        id = r.id.uuidString.lowercased()
        supplierId = r.supplierID.uuidString.lowercased()
        externalReference = r.externalReference
        faceAmount = MoneyBody(r.face)
        outstanding = MoneyBody(r.outstanding)
        issueDate = r.issueDate.description
        dueDate = r.dueDate.description
        status = r.status.rawValue
        financingRequestId = r.financingRequestID?.uuidString.lowercased()
        orderRef = r.orderRef
        adjustments = v.adjustments.map {
            Adjustment(id: $0.id.uuidString.lowercased(), kind: $0.kind.rawValue, amount: MoneyBody($0.amount), reference: $0.reference,
                       createdAt: Timestamp.rfc3339($0.createdAt))
        }
    }
}

struct SettlementBody: Encodable {
    let receivable: ReceivableBody
    let payment: MoneyBody
    let toFinancing: MoneyBody
    let toSupplier: MoneyBody
    let recourse: MoneyBody
    let journalEntryId: String?

    init(_ s: SettlementView) {
        receivable = ReceivableBody(ReceivableView(record: s.receivable, adjustments: []))
        payment = MoneyBody(s.payment)
        toFinancing = MoneyBody(s.toFinancing)
        toSupplier = MoneyBody(s.toSupplier)
        recourse = MoneyBody(s.recourse)
        journalEntryId = s.entryID?.uuidString.lowercased()
    }
}

struct FinancingRequestBody: Codable {
    let supplierId: String?
    let receivableIds: [String]
    let disbursementDate: String?
}

struct FinancingResponse: Encodable {
    let id: String
    let supplierId: String
    let status: String
    let createdAt: String
    let decision: FinancingDecisionDocument

    init(_ v: FinancingRequestView) {
        id = v.id.uuidString.lowercased()
        supplierId = v.supplierID.uuidString.lowercased()
        status = v.status
        createdAt = Timestamp.rfc3339(v.createdAt)
        decision = v.decision
    }
}
