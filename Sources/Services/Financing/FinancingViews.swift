import Domain
import Foundation
import Persistence

/// The decision as answered and stored: machine-readable, with every reason.
public struct FinancingDecisionDocument: Codable, Sendable, Equatable {
    public struct Reason: Codable, Sendable, Equatable {
        public let code: String
        public let detail: String
    }
    public struct Line: Codable, Sendable, Equatable {
        public let receivableId: String
        public let eligible: Bool
        public let outstanding: String?
        public let advance: String?
        public let fee: String?
        public let netDisbursement: String?
        public let daysToMaturity: Int?
        public let feeDays: Int?
        public let reasons: [Reason]
    }
    public let status: String
    public let reasons: [Reason]
    public let currency: String
    public let advance: String
    public internal(set) var fee: String
    public internal(set) var netDisbursement: String
    public let freeLimit: String
    public internal(set) var disbursementDate: String
    public internal(set) var lines: [Line]
    /// The last disbursement date the quote holds (issue 13); absent on requests decided before it existed.
    public internal(set) var validUntil: String?
    /// The fee quoted at request time, when a late approval re-priced it for the days actually left.
    public internal(set) var quotedFee: String?

    init(_ d: FinancingDecision, validUntil: BusinessDate? = nil) {
        self.validUntil = validUntil?.description
        quotedFee = nil
        func reasons(_ r: [FinancingReason]) -> [Reason] { r.map { Reason(code: $0.code, detail: $0.detail) } }
        status = d.status.rawValue
        self.reasons = reasons(d.reasons)
        currency = d.eligibleTotals.advance.currency.code
        advance = d.eligibleTotals.advance.decimalString
        fee = d.eligibleTotals.fee.decimalString
        netDisbursement = d.eligibleTotals.netDisbursement.decimalString
        freeLimit = d.freeLimit.decimalString
        disbursementDate = d.disbursementDate.description
        lines = d.lines.map { line in
            switch line.outcome {
            case .eligible(let a):
                Line(receivableId: line.receivableID, eligible: true, outstanding: a.outstanding.decimalString,
                     advance: a.advance.decimalString, fee: a.fee.decimalString, netDisbursement: a.netDisbursement.decimalString,
                     daysToMaturity: a.daysToMaturity, feeDays: a.feeDays, reasons: [])
            case .refused(let r):
                Line(receivableId: line.receivableID, eligible: false, outstanding: nil, advance: nil, fee: nil, netDisbursement: nil,
                     daysToMaturity: nil, feeDays: nil, reasons: reasons(r))
            }
        }
    }

    static let encoder: JSONEncoder = {
        let e = JSONEncoder()
        e.keyEncodingStrategy = .convertToSnakeCase
        e.outputFormatting = [.sortedKeys]
        return e
    }()

    static let decoder: JSONDecoder = {
        let d = JSONDecoder()
        d.keyDecodingStrategy = .convertFromSnakeCase
        return d
    }()

    func json() throws -> String { String(decoding: try Self.encoder.encode(self), as: UTF8.self) }
}

/// A financing request as the API shows it.
public struct FinancingRequestView: Sendable {
    public let id: UUID
    public let supplierID: UUID
    public let status: String
    public let createdAt: Date
    public let decision: FinancingDecisionDocument
}

/// A receivable with its adjustments, as the API shows it.
public struct ReceivableView: Sendable {
    public let record: ReceivableRecord
    public let adjustments: [AdjustmentRecord]

    public init(record: ReceivableRecord, adjustments: [AdjustmentRecord]) {
        self.record = record
        self.adjustments = adjustments
    }
}

/// What a maturity settlement did.
public struct SettlementView: Sendable {
    public let receivable: ReceivableRecord
    public let payment: Money
    public let toFinancing: Money
    public let toSupplier: Money
    public let recourse: Money
    /// Nil when nothing moved (a receivable diluted to zero and never financed).
    public let entryID: UUID?
}

/// The nightly step's tally.
public struct SettlementRunSummary: Sendable, Equatable {
    public var settled: Int = 0
    public var paidMinorUnits: Int64 = 0
    public var recourseMinorUnits: Int64 = 0
    public init() {}
}
