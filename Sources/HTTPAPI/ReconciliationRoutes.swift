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
    let clock: BusinessClock
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
            case "camt054": format = .camt054
            case "mt940", "text/plain", "application/x-swift-mt940": format = .mt940
            case "settlement_csv", "text/csv": format = .settlementCSV
            default:
                throw Problem(status: .unsupportedMediaType, type: "unsupported-media-type", title: "Unsupported media type",
                              detail: "send a camt.053 or camt.054 file as application/xml, an MT940 file as text/plain or a settlement file as text/csv (or ?format=camt053|camt054|mt940|settlement_csv)")
            }
            let channel = try q.get("channel").map { try Field.nonEmpty(String($0), "channel", max: 50) } ?? "channel"
            let file = FileManager.default.temporaryDirectory.appendingPathComponent("qz-statement-\(UUID().uuidString)")
            defer { try? FileManager.default.removeItem(at: file) }
            try await Self.spool(request.body, to: file)
            let result = try await statements.importFile(file, format: format, channel: channel,
                                                         actor: context.actor(principal))
            return try JSONBody.response(StatementImportBody(result), status: result.alreadyImported ? .ok : .created)
        }
        group.get("/statements") { request, context in
            try context.require(.operator)
            return try JSONBody.response(ListBody(try await statements.statements(try Paging.request(request)), StatementBody.init))
        }
        group.get("/statements/{id}") { _, context in
            try context.require(.operator)
            let id = try context.pathID()
            return try JSONBody.response(StatementBody(try await statements.statement(id: id)))
        }
        group.post("/nightly-runs") { request, context in
            let principal = try context.require(.operator)
            let body = try await JSONBody.decode(NightlyRunRequest.self, from: request, context: context)
            let date = try Field.date(body.businessDate, "business_date")
            try runner.checkClosable(date)
            return try await start(date: date, force: body.force ?? false, by: principal.actor)
        }
        group.get("/nightly-runs") { request, context in
            try context.require(.operator)
            let page = try await runner.runs(try Paging.request(request, key: .parts(.date, .sequence)))
            return try JSONBody.response(ListBody(page) { NightlyRunBody($0, steps: nil) })
        }
        group.get("/nightly-runs/{id}") { _, context in
            try context.require(.operator)
            let id = try context.pathID()
            guard let run = try await runner.run(id: id) else { throw Problem.notFound("no nightly run \(id.uuidString.lowercased())") }
            return try JSONBody.response(NightlyRunBody(run, steps: try await runner.steps(of: id)))
        }
        group.get("/nightly-runs/{id}/exceptions") { request, context in
            try context.require(.operator)
            let id = try context.pathID()
            guard let run = try await runner.run(id: id) else { throw Problem.notFound("no nightly run \(id.uuidString.lowercased())") }
            var (filter, page) = try Self.exceptionFilter(Self.query(request), dates: false)
            filter.dateFrom = run.businessDate
            filter.dateTo = run.businessDate
            return try await exceptionPage(filter, page)
        }
        group.get("/reconciliation-exceptions") { request, context in
            try context.require(.operator)
            let (filter, page) = try Self.exceptionFilter(Self.query(request), dates: true)
            return try await exceptionPage(filter, page)
        }
        group.get("/matching-rules") { _, context in
            try context.require(.operator)
            return try JSONBody.response(ListBody(data: try await reconciliation.matchingRules().map(MatchingRuleBody.init), nextCursor: nil))
        }
        group.get("/matching-rules/{source}") { _, context in
            try context.require(.operator)
            let source = try Field.nonEmpty(try Field.path(context, "source"), "source", max: 100)
            guard let rule = try await reconciliation.matchingRules(source: source).first else {
                throw Problem.notFound("no matching rules for source \(source); the default (*) applies")
            }
            return try JSONBody.response(MatchingRuleBody(rule))
        }
        group.patch("/matching-rules/{source}") { request, context in
            let principal = try context.require(.operator)
            let source = try Field.nonEmpty(try Field.path(context, "source"), "source", max: 100)
            let body = try await JSONBody.decodePatch(MatchingRuleRequest.self, from: request, context: context)
            let rule = try await reconciliation.setMatchingRule(
                source: source, amountToleranceMinor: body.amountToleranceMinor, dateWindowDays: body.dateWindowDays,
                oneToMany: body.oneToMany, manyToOne: body.manyToOne, at: clock.now(), actor: context.actor(principal))
            return try JSONBody.response(MatchingRuleBody(rule))
        }
        group.post("/reconciliation-exceptions/{id}/acknowledge") { _, context in
            let principal = try context.require(.operator)
            let id = try context.pathID()
            let row = try await reconciliation.advanceException(id: id, resolveWith: nil, on: clock.today,
                                                                actor: context.actor(principal))
            return try JSONBody.response(ExceptionBody(row, today: clock.today))
        }
        group.post("/reconciliation-exceptions/{id}/resolve") { request, context in
            let principal = try context.require(.operator)
            let id = try context.pathID()
            let body = try await JSONBody.decode(ResolveRequest.self, from: request, context: context)
            let row = try await reconciliation.advanceException(id: id, resolveWith: body.note, on: clock.today,
                                                                actor: context.actor(principal))
            return try JSONBody.response(ExceptionBody(row, today: clock.today))
        }
    }

    static func query(_ request: Request) -> [String: String] {
        Dictionary(request.uri.queryParameters.map { (String($0.key), String($0.value)) }, uniquingKeysWith: { first, _ in first })
    }

    /// `limit`, `cursor`, `kind`, `state`, `source` and (when `dates`) `date`, `date_from`, `date_to`.
    static func exceptionFilter(_ q: [String: String], dates: Bool) throws -> (ExceptionFilter, PageRequest) {
        let page = try Paging.request(limit: q["limit"], cursor: q["cursor"], key: exceptionKey)
        var filter = ExceptionFilter()
        if let kind = q["kind"] {
            guard ReconciliationException.Kind(rawValue: kind) != nil else {
                throw Problem.validation("kind", "must be one of \(ReconciliationException.Kind.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            filter.kind = kind
        }
        if let state = q["state"] {
            guard ReconciliationException.State(rawValue: state) != nil else { throw Problem.validation("state", "must be open, acknowledged or resolved") }
            filter.state = state
        }
        filter.source = try q["source"].map { try Field.nonEmpty($0, "source", max: 100) }
        if dates {
            if let date = q["date"] {
                filter.dateFrom = try Field.date(date, "date")
                filter.dateTo = filter.dateFrom
            }
            if let from = q["date_from"] { filter.dateFrom = try Field.date(from, "date_from") }
            if let to = q["date_to"] { filter.dateTo = try Field.date(to, "date_to") }
        }
        return (filter, page)
    }

    /// An exception list's cursor key: the business date and the kind of the page's last row.
    static let exceptionKey = PageKey.parts(.date, .text)

    func exceptionPage(_ filter: ExceptionFilter, _ request: PageRequest) async throws -> Response {
        let page = try await reconciliation.exceptions(filter, request)
        let today = clock.today
        return try JSONBody.response(ListBody(page) { ExceptionBody($0, today: today) })
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

/// A change to one source's rules; absent fields keep the source's current value (a source
/// without its own rules starts from the default `*`).
struct MatchingRuleRequest: Codable {
    let amountToleranceMinor: Int64?
    let dateWindowDays: Int?
    let oneToMany: Bool?
    let manyToOne: Bool?
}

struct MatchingRuleBody: Encodable {
    let source: String
    let amountToleranceMinor: Int64
    let dateWindowDays: Int
    let oneToMany: Bool
    let manyToOne: Bool
    let updatedBy: String
    let updatedAt: String

    init(_ r: ReconciliationStore.MatchingRuleRecord) {
        source = r.source
        amountToleranceMinor = r.amountToleranceMinor
        dateWindowDays = r.dateWindowDays
        oneToMany = r.oneToMany
        manyToOne = r.manyToOne
        updatedBy = r.updatedBy
        updatedAt = Timestamp.rfc3339(r.updatedAt)
    }
}

struct ResolveRequest: Codable {
    let note: String
}

struct StatementBody: Encodable {
    let id: String
    let format: String
    let statementRef: String
    // Always present (null when the statement has none), as the contract requires.
    let account: Nullable<String>
    let currency: String
    let openingBalance: Nullable<String>
    let closingBalance: Nullable<String>
    let credits: String
    let debits: String
    let computedClosing: Nullable<String>
    let balanceVerdict: String
    let entryCount: Int
    let importedAt: String

    init(_ s: StatementRecord) {
        let ccy = Currency(code: s.currency)
        func fmt(_ v: Int64?) -> String? { v.map { m in ccy.map { Money(minorUnits: m, currency: $0).decimalString } ?? String(m) } }
        id = s.id.uuidString.lowercased()
        format = s.format
        statementRef = s.statementRef
        account = Nullable(s.account)
        currency = s.currency
        openingBalance = Nullable(fmt(s.opening))
        closingBalance = Nullable(fmt(s.closing))
        credits = fmt(s.credits) ?? "0"
        debits = fmt(s.debits) ?? "0"
        computedClosing = Nullable(fmt(s.computedClosing))
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
    /// Nil in the run list (`NightlyRunSummary`): the list leaves out steps and report.
    let steps: [Step]?
    let report: JSONValue?

    init(_ r: NightlyRunRecord, steps: [NightlyStepRecord]?) {
        id = r.id.uuidString.lowercased()
        businessDate = r.businessDate.description
        attempt = r.attempt
        status = r.status
        triggeredBy = r.triggeredBy
        startedAt = Timestamp.rfc3339(r.startedAt)
        finishedAt = r.finishedAt.map(Timestamp.rfc3339)
        reportPath = r.reportPath
        self.steps = steps?.map { s in
            Step(position: s.position, step: s.step, status: s.status,
                 counts: (try? JSONDecoder().decode([String: Int64].self, from: Data(s.countsJSON.utf8))) ?? [:], error: s.error)
        }
        report = steps == nil ? nil : r.reportJSON.flatMap { try? JSONDecoder().decode(JSONValue.self, from: Data($0.utf8)) }
    }
}

struct ExceptionBody: Encodable {
    let id: String
    let businessDate: String
    let kind: String
    // Always present (null when there is none): the shape of an exception never changes with its kind.
    let reference: Nullable<String>
    let expectedAmount: Nullable<String>
    let actualAmount: Nullable<String>
    let currency: Nullable<String>
    let detail: String
    let state: String
    let acknowledgedBy: String?
    let resolvedBy: String?
    let resolutionNote: String?
    let ageDays: Int
    let source: Nullable<String>
    let counterpartyRef: Nullable<String>
    let resolvedByRun: String?

    /// `today` is the platform's business date (its configured time zone), for the age.
    init(_ e: ExceptionRecord, today: BusinessDate) {
        let ccy = e.currency.flatMap(Currency.init(code:))
        func fmt(_ v: Int64?) -> String? { v.map { m in ccy.map { Money(minorUnits: m, currency: $0).decimalString } ?? String(m) } }
        id = e.id.uuidString.lowercased()
        businessDate = e.businessDate.description
        kind = e.kind
        reference = Nullable(e.reference)
        expectedAmount = Nullable(fmt(e.expectedAmount))
        actualAmount = Nullable(fmt(e.actualAmount))
        currency = Nullable(e.currency)
        detail = e.detail
        state = e.state
        acknowledgedBy = e.acknowledgedBy
        resolvedBy = e.resolvedBy
        resolutionNote = e.resolutionNote
        let end = e.resolvedOn ?? today
        ageDays = max(0, e.businessDate.days(until: end))
        source = Nullable(e.source)
        counterpartyRef = Nullable(e.counterpartyRef)
        resolvedByRun = e.resolvedByRun?.uuidString.lowercased()
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
