import Domain
import Foundation
import Hummingbird
import Jobs
import NIOCore
import Persistence
import Services

/// `/v1/statements`, `/v1/nightly-runs`, `/v1/reconciliation-exceptions` (operator).
struct ReconciliationRoutes {
    let statements: StatementService
    let reconciliation: ReconciliationService
    let runner: NightlyRunner
    let calendar: BusinessCalendar
    /// Statement files can be large; they are streamed to a temporary file, never held in memory.
    static let maxStatementBytes = 1 << 30

    func addRoutes(to group: Routes) {
        group.post("/statements") { request, context in
            let principal = try context.require(.operator)
            let q = request.uri.queryParameters
            let contentType = request.headers[.contentType]?.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? ""
            let format: StatementFormat
            switch q.get("format").map({ String($0) }) ?? contentType {
            case "camt053", "application/xml", "text/xml": format = .camt053
            case "settlement_csv", "text/csv": format = .settlementCSV
            default:
                throw Problem(status: .unsupportedMediaType, type: "unsupported-media-type", title: "Unsupported media type",
                              detail: "send a camt.053 file as application/xml or a settlement file as text/csv (or ?format=camt053|settlement_csv)")
            }
            let channel = try q.get("channel").map { try Field.nonEmpty(String($0), "channel", max: 50) } ?? "channel"
            let file = FileManager.default.temporaryDirectory.appendingPathComponent("qz-statement-\(UUID().uuidString)")
            defer { try? FileManager.default.removeItem(at: file) }
            try await Self.spool(request.body, to: file)
            let result = try await statements.importFile(file, format: format, channel: channel,
                                                         actor: Actor(principal: principal, requestID: context.requestID))
            return try JSONBody.response(StatementImportBody(result), status: result.alreadyImported ? .ok : .created)
        }
        group.get("/statements/{id}") { _, context in
            try context.require(.operator)
            let id = try Field.uuid(try Field.path(context, "id"), "id")
            return try JSONBody.response(StatementBody(try await statements.statement(id: id)))
        }
        group.post("/nightly-runs") { request, context in
            let principal = try context.require(.operator)
            let body = try await JSONBody.decode(NightlyRunRequest.self, from: request, context: context)
            let date = try Field.date(body.businessDate, "business_date")
            if date >= calendar.businessDate(at: Date()) {
                throw Problem.validation("business_date", "must be a business date that has ended")
            }
            return try await start(date: date, force: body.force ?? false, by: principal.actor)
        }
        group.get("/nightly-runs/{id}") { _, context in
            try context.require(.operator)
            let id = try Field.uuid(try Field.path(context, "id"), "id")
            guard let run = try await runner.run(id: id) else { throw Problem.notFound("no nightly run \(id.uuidString.lowercased())") }
            return try JSONBody.response(NightlyRunBody(run, steps: try await runner.steps(of: id)))
        }
        group.get("/nightly-runs/{id}/exceptions") { _, context in
            try context.require(.operator)
            let id = try Field.uuid(try Field.path(context, "id"), "id")
            guard let run = try await runner.run(id: id) else { throw Problem.notFound("no nightly run \(id.uuidString.lowercased())") }
            let rows = try await reconciliation.exceptions(businessDate: run.businessDate)
            return try JSONBody.response(ListBody(data: rows.map(ExceptionBody.init), nextCursor: nil))
        }
        group.post("/reconciliation-exceptions/{id}/acknowledge") { _, context in
            let principal = try context.require(.operator)
            let id = try Field.uuid(try Field.path(context, "id"), "id")
            let row = try await reconciliation.advanceException(id: id, resolveWith: nil, on: calendar.businessDate(at: Date()),
                                                                actor: Actor(principal: principal, requestID: context.requestID))
            return try JSONBody.response(ExceptionBody(row))
        }
        group.post("/reconciliation-exceptions/{id}/resolve") { request, context in
            let principal = try context.require(.operator)
            let id = try Field.uuid(try Field.path(context, "id"), "id")
            let body = try await JSONBody.decode(ResolveRequest.self, from: request, context: context)
            let row = try await reconciliation.advanceException(id: id, resolveWith: body.note, on: calendar.businessDate(at: Date()),
                                                                actor: Actor(principal: principal, requestID: context.requestID))
            return try JSONBody.response(ExceptionBody(row))
        }
    }

    /// Starts the run in the background and answers as soon as the run is recorded (202), or at
    /// once when the date is finished (200) or another runner holds it (409).
    func start(date: BusinessDate, force: Bool, by actor: String) async throws -> Response {
        let (events, continuation) = AsyncStream<StartEvent>.makeStream()
        let runner = self.runner
        Task {
            do {
                let outcome = try await runner.run(date: date, force: force, triggeredBy: actor, onRunRecorded: { continuation.yield(.recorded($0)) })
                continuation.yield(.outcome(outcome))
            } catch {
                continuation.yield(.failed(String(describing: error)))
            }
            continuation.finish()
        }
        for await event in events {
            switch event {
            case .recorded(let run):
                return try JSONBody.response(NightlyRunBody(run, steps: []), status: .accepted)
            case .outcome(.alreadyCompleted(let run)):
                return try JSONBody.response(NightlyRunBody(run, steps: try await runner.steps(of: run.id)))
            case .outcome(.busy(let run)):
                throw Problem.conflict("nightly-run-busy", "another runner is running \(date) (run \(run?.id.uuidString.lowercased() ?? "starting"))")
            case .outcome(.completed(let run)):
                return try JSONBody.response(NightlyRunBody(run, steps: try await runner.steps(of: run.id)))
            case .failed(let message):
                throw Problem(status: .internalServerError, type: "nightly-run-failed", title: "Nightly run failed", detail: message)
            }
        }
        throw Problem(status: .internalServerError, type: "nightly-run-failed", title: "Nightly run failed", detail: "the run ended without a record")
    }

    enum StartEvent: Sendable {
        case recorded(NightlyRunRecord)
        case outcome(NightlyOutcome)
        case failed(String)
    }

    /// Writes the request body to `file` chunk by chunk.
    static func spool(_ body: RequestBody, to file: URL) async throws {
        FileManager.default.createFile(atPath: file.path, contents: nil)
        let handle = try FileHandle(forWritingTo: file)
        defer { try? handle.close() }
        var total = 0
        for try await buffer in body {
            total += buffer.readableBytes
            guard total <= maxStatementBytes else {
                throw Problem(status: .contentTooLarge, type: "too-large", title: "Statement too large", detail: "statement files are limited to 1 GiB")
            }
            try handle.write(contentsOf: Data(buffer.readableBytesView))
        }
        guard total > 0 else { throw Problem.validation("body", "the statement file is empty") }
    }
}

struct NightlyRunRequest: Codable {
    let businessDate: String
    let force: Bool?
}

struct ResolveRequest: Codable {
    let note: String
}

struct StatementBody: Encodable {
    let id: String
    let format: String
    let statementRef: String
    let account: String?
    let currency: String
    let openingBalance: String?
    let closingBalance: String?
    let credits: String
    let debits: String
    let computedClosing: String?
    let balanceVerdict: String
    let entryCount: Int
    let importedAt: String

    init(_ s: StatementRecord) {
        let ccy = Currency(code: s.currency)
        func fmt(_ v: Int64?) -> String? { v.map { m in ccy.map { Money(minorUnits: m, currency: $0).decimalString } ?? String(m) } }
        id = s.id.uuidString.lowercased()
        format = s.format
        statementRef = s.statementRef
        account = s.account
        currency = s.currency
        openingBalance = fmt(s.opening)
        closingBalance = fmt(s.closing)
        credits = fmt(s.credits) ?? "0"
        debits = fmt(s.debits) ?? "0"
        computedClosing = fmt(s.computedClosing)
        balanceVerdict = s.verdict
        entryCount = s.entryCount
        importedAt = Timestamp.rfc3339(s.importedAt)
    }
}

struct StatementImportBody: Encodable {
    let alreadyImported: Bool
    let statements: [StatementBody]

    init(_ i: StatementImport) {
        alreadyImported = i.alreadyImported
        statements = i.statements.map(StatementBody.init)
    }
}

struct NightlyRunBody: Encodable {
    struct Step: Encodable {
        let position: Int
        let step: String
        let status: String
        let counts: [String: Int64]
        let error: String?
    }
    let id: String
    let businessDate: String
    let attempt: Int
    let status: String
    let triggeredBy: String
    let startedAt: String
    let finishedAt: String?
    let reportPath: String?
    let steps: [Step]
    let report: JSONValue?

    init(_ r: NightlyRunRecord, steps: [NightlyStepRecord]) {
        id = r.id.uuidString.lowercased()
        businessDate = r.businessDate.description
        attempt = r.attempt
        status = r.status
        triggeredBy = r.triggeredBy
        startedAt = Timestamp.rfc3339(r.startedAt)
        finishedAt = r.finishedAt.map(Timestamp.rfc3339)
        reportPath = r.reportPath
        self.steps = steps.map { s in
            Step(position: s.position, step: s.step, status: s.status,
                 counts: (try? JSONDecoder().decode([String: Int64].self, from: Data(s.countsJSON.utf8))) ?? [:], error: s.error)
        }
        report = r.reportJSON.flatMap { try? JSONDecoder().decode(JSONValue.self, from: Data($0.utf8)) }
    }
}

struct ExceptionBody: Encodable {
    let id: String
    let businessDate: String
    let kind: String
    let reference: String?
    let expectedAmount: String?
    let actualAmount: String?
    let currency: String?
    let detail: String
    let state: String
    let acknowledgedBy: String?
    let resolvedBy: String?
    let resolutionNote: String?
    let ageDays: Int

    init(_ e: ExceptionRecord) {
        let ccy = e.currency.flatMap(Currency.init(code:))
        func fmt(_ v: Int64?) -> String? { v.map { m in ccy.map { Money(minorUnits: m, currency: $0).decimalString } ?? String(m) } }
        id = e.id.uuidString.lowercased()
        businessDate = e.businessDate.description
        kind = e.kind
        reference = e.reference
        expectedAmount = fmt(e.expectedAmount)
        actualAmount = fmt(e.actualAmount)
        currency = e.currency
        detail = e.detail
        state = e.state
        acknowledgedBy = e.acknowledgedBy
        resolvedBy = e.resolvedBy
        resolutionNote = e.resolutionNote
        let end = e.resolvedOn ?? BusinessCalendar.shanghai.businessDate(at: Date())
        ageDays = max(0, e.businessDate.days(until: end))
    }
}

/// Any JSON value, to pass a stored report through unchanged.
enum JSONValue: Codable {
    case string(String), number(Double), bool(Bool), object([String: JSONValue]), array([JSONValue]), null

    init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { self = .null }
        else if let b = try? c.decode(Bool.self) { self = .bool(b) }
        else if let n = try? c.decode(Double.self) { self = .number(n) }
        else if let s = try? c.decode(String.self) { self = .string(s) }
        else if let a = try? c.decode([JSONValue].self) { self = .array(a) }
        else { self = .object(try c.decode([String: JSONValue].self)) }
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .string(let s): try c.encode(s)
        case .number(let n): try c.encode(n)
        case .bool(let b): try c.encode(b)
        case .object(let o): try c.encode(o)
        case .array(let a): try c.encode(a)
        case .null: try c.encodeNil()
        }
    }
}
