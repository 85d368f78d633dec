import Domain
import Testing

@Suite("Return events")
struct InsuranceReturnEventTests {
    @Test("events in order advance the return one stage at a time")
    func inOrder() throws {
        #expect(try ReturnStage.none.applying(.requested) == .advanced(to: .requested))
        #expect(try ReturnStage.requested.applying(.shipped) == .advanced(to: .shipped))
        #expect(try ReturnStage.shipped.applying(.deliveredToSeller) == .advanced(to: .deliveredToSeller))
    }

    @Test("repeating the current stage's event is a no-op reported as already recorded", arguments: [
        (ReturnStage.requested, ReturnEvent.requested),
        (.shipped, .shipped),
        (.deliveredToSeller, .deliveredToSeller),
    ])
    func repeatedEvent(stage: ReturnStage, event: ReturnEvent) throws {
        #expect(try stage.applying(event) == .alreadyRecorded(current: stage))
    }

    @Test("a late redelivery of an earlier event is also already recorded, not an error", arguments: [
        (ReturnStage.shipped, ReturnEvent.requested),
        (.deliveredToSeller, .requested),
        (.deliveredToSeller, .shipped),
    ])
    func staleEvent(stage: ReturnStage, event: ReturnEvent) throws {
        #expect(try stage.applying(event) == .alreadyRecorded(current: stage))
    }

    @Test("an event that skips a stage is out of order and names the current stage", arguments: [
        (ReturnStage.none, ReturnEvent.shipped),
        (.none, .deliveredToSeller),
        (.requested, .deliveredToSeller),
    ])
    func outOfOrder(stage: ReturnStage, event: ReturnEvent) {
        #expect(throws: ReturnEventOrderError(current: stage, event: event)) { try stage.applying(event) }
    }

    @Test("the out-of-order error reads with snake_case stage names")
    func errorMessage() {
        let error = ReturnEventOrderError(current: .requested, event: .deliveredToSeller)
        #expect(error.description == "return event delivered_to_seller is out of order: the return is at requested")
    }

    @Test("only the event that brings the return to the seller raises a claim")
    func raisesClaim() throws {
        #expect(try ReturnStage.shipped.applying(.deliveredToSeller).raisesClaim)
        #expect(try !ReturnStage.deliveredToSeller.applying(.deliveredToSeller).raisesClaim)
        #expect(try !ReturnStage.none.applying(.requested).raisesClaim)
        #expect(try !ReturnStage.requested.applying(.shipped).raisesClaim)
    }

    @Test("stages and events have stable snake_case codes")
    func codes() {
        #expect(ReturnStage.allCases.map(\.code) == ["none", "requested", "shipped", "delivered_to_seller"])
        #expect(ReturnEvent.allCases.map(\.rawValue) == ["requested", "shipped", "delivered_to_seller"])
        #expect(ReturnStage(code: "delivered_to_seller") == .deliveredToSeller)
        #expect(ReturnStage(code: "lost") == nil)
    }
}
