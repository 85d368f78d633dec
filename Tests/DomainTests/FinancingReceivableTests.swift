import Domain
import Testing

@Suite("Receivable lifecycle and dilution")
struct FinancingReceivableTests {
    typealias F = FinancingFixtures

    /// The lifecycle table written out independently of `ReceivableStatus.successors`.
    /// (disputed → open / financed depends on where the dispute came from; tested separately.)
    static let allowed: Set<[ReceivableStatus]> = [
        [.open, .financed], [.financed, .settled],
        [.open, .disputed], [.financed, .disputed],
        [.open, .cancelled],
    ]

    static func receivable(in status: ReceivableStatus) -> Receivable {
        switch status {
        case .disputed: F.receivable(status: .disputed, statusBeforeDispute: .open)
        default: F.receivable(status: status)
        }
    }

    @Test("only the lifecycle table's transitions are allowed from open, financed, settled and cancelled")
    func transitionTable() throws {
        for from in ReceivableStatus.allCases where from != .disputed {
            for to in ReceivableStatus.allCases {
                let receivable = Self.receivable(in: from)
                if Self.allowed.contains([from, to]) {
                    let next = try receivable.transitioned(to: to)
                    #expect(next.status == to)
                } else {
                    #expect(throws: ReceivableTransitionError(from: from, to: to)) {
                        try receivable.transitioned(to: to)
                    }
                }
            }
        }
    }

    @Test("settled and cancelled are final")
    func finalStatuses() {
        #expect(ReceivableStatus.settled.isFinal)
        #expect(ReceivableStatus.cancelled.isFinal)
        #expect(!ReceivableStatus.open.isFinal && !ReceivableStatus.financed.isFinal && !ReceivableStatus.disputed.isFinal)
        #expect(throws: ReceivableTransitionError(from: .settled, to: .open)) {
            try F.receivable(status: .settled).transitioned(to: .open)
        }
    }

    @Test("the illegal-transition error names both statuses")
    func errorNamesFromAndTo() {
        let error = ReceivableTransitionError(from: .cancelled, to: .financed)
        #expect(error.description == "a receivable cannot go from cancelled to financed")
    }

    @Test("a dispute on an open receivable resolves back to open")
    func disputeOnOpenResolvesToOpen() throws {
        let disputed = try F.receivable().disputed()
        #expect(disputed.status == .disputed)
        #expect(disputed.statusBeforeDispute == .open)
        let resolved = try disputed.disputeResolved()
        #expect(resolved.status == .open)
        #expect(resolved.statusBeforeDispute == nil)
        #expect(throws: ReceivableTransitionError(from: .disputed, to: .financed, statusBeforeDispute: .open)) {
            try disputed.transitioned(to: .financed)
        }
    }

    @Test("a dispute on a financed receivable resolves back to financed, never to open")
    func disputeOnFinancedResolvesToFinanced() throws {
        let disputed = try F.receivable().financed().disputed()
        #expect(disputed.statusBeforeDispute == .financed)
        #expect(try disputed.disputeResolved().status == .financed)
        // Going back to open would make it financeable a second time.
        #expect(throws: ReceivableTransitionError(from: .disputed, to: .open, statusBeforeDispute: .financed)) {
            try disputed.transitioned(to: .open)
        }
        #expect(throws: ReceivableTransitionError(from: .disputed, to: .settled)) {
            try disputed.transitioned(to: .settled)
        }
    }

    @Test("resolving a dispute on a receivable that is not disputed is refused")
    func resolveWithoutDispute() {
        #expect(throws: ReceivableTransitionError(from: .financed, to: .open)) {
            try F.receivable(status: .financed).disputeResolved()
        }
    }

    @Test("the full happy path open → financed → settled")
    func happyPath() throws {
        let settled = try F.receivable().financed().settled()
        #expect(settled.status == .settled)
        #expect(throws: ReceivableTransitionError(from: .settled, to: .disputed)) { try settled.disputed() }
        #expect(try F.receivable().cancelled().status == .cancelled)
    }

    @Test("a disputed receivable must know where the dispute came from, others must not")
    func disputeOriginIsConsistent() {
        #expect(throws: ReceivableError.inconsistentDisputeOrigin(status: .disputed, statusBeforeDispute: nil)) {
            try Receivable(id: "r", face: F.cny("1.00"), issueDate: F.date("2026-01-01"), dueDate: F.date("2026-02-01"),
                           status: .disputed)
        }
        #expect(throws: ReceivableError.inconsistentDisputeOrigin(status: .disputed, statusBeforeDispute: .settled)) {
            try Receivable(id: "r", face: F.cny("1.00"), issueDate: F.date("2026-01-01"), dueDate: F.date("2026-02-01"),
                           status: .disputed, statusBeforeDispute: .settled)
        }
        #expect(throws: ReceivableError.inconsistentDisputeOrigin(status: .open, statusBeforeDispute: .financed)) {
            try Receivable(id: "r", face: F.cny("1.00"), issueDate: F.date("2026-01-01"), dueDate: F.date("2026-02-01"),
                           status: .open, statusBeforeDispute: .financed)
        }
    }

    @Test("outstanding is face minus adjustments")
    func outstandingAfterDilution() throws {
        let receivable = F.receivable(face: F.cny("10000.00"), dilution: [F.cny("1200.50"), F.cny("299.50")])
        #expect(receivable.totalAdjustments == F.cny("1500.00"))
        #expect(receivable.outstanding == F.cny("8500.00"))
        let more = try receivable.adjusted(by: ReceivableAdjustment(kind: .creditNote, amount: F.cny("0.01"), reference: "cn_1"))
        #expect(more.outstanding == F.cny("8499.99"))
        #expect(more.adjustments.count == 3)
        #expect(receivable.adjustments.count == 2)  // values: the original is unchanged
    }

    @Test("outstanding never goes below zero when dilution exceeds the face")
    func outstandingFloorsAtZero() {
        let receivable = F.receivable(face: F.cny("100.00"), dilution: [F.cny("80.00"), F.cny("30.00")])
        #expect(receivable.totalAdjustments == F.cny("110.00"))
        #expect(receivable.outstanding == F.cny("0.00"))
        let exact = F.receivable(face: F.cny("100.00"), dilution: [F.cny("100.00")])
        #expect(exact.outstanding.isZero)
    }

    @Test("adjustments must be positive, in the receivable's currency, and not on a final receivable")
    func adjustmentRules() throws {
        #expect(throws: ReceivableError.nonPositiveAdjustment) {
            try ReceivableAdjustment(kind: .goodsReturned, amount: F.cny("0.00"), reference: "x")
        }
        #expect(throws: ReceivableError.nonPositiveAdjustment) {
            try ReceivableAdjustment(kind: .goodsReturned, amount: F.cny("-1.00"), reference: "x")
        }
        let dollars = try ReceivableAdjustment(kind: .creditNote, amount: F.usd("1.00"), reference: "x")
        #expect(throws: ReceivableError.adjustmentCurrencyMismatch(receivable: "CNY", adjustment: "USD")) {
            try F.receivable().adjusted(by: dollars)
        }
        let fen = try ReceivableAdjustment(kind: .creditNote, amount: F.cny("0.01"), reference: "x")
        #expect(throws: ReceivableError.adjustmentOnFinalReceivable(.settled)) {
            try F.receivable(status: .settled).adjusted(by: fen)
        }
        #expect(try F.receivable(status: .financed).adjusted(by: fen).outstanding == F.cny("9999.99"))
    }

    @Test("a receivable needs a positive face and a due date on or after its issue date")
    func receivableValidation() {
        #expect(throws: ReceivableError.nonPositiveFace) {
            try Receivable(id: "r", face: F.cny("0.00"), issueDate: F.date("2026-01-01"), dueDate: F.date("2026-02-01"))
        }
        #expect(throws: ReceivableError.dueBeforeIssue) {
            try Receivable(id: "r", face: F.cny("1.00"), issueDate: F.date("2026-02-01"), dueDate: F.date("2026-01-31"))
        }
    }
}
