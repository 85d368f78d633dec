import Domain
import Foundation
import Hummingbird
import Persistence
import Services

/// `/v1/events` (operator, platform) and `/v1/webhook-endpoints`, `/v1/webhook-deliveries` (operator).
struct EventRoutes {
    let webhooks: WebhookService

    func addRoutes(to group: Routes) {
        group.get("/events") { request, context in
            try context.require(.operator, .platform)
            let q = request.uri.queryParameters
            let types: [String] = q.getAll("type").flatMap { (value: String) -> [String] in
                String(value).split(separator: ",", omittingEmptySubsequences: true).map { String($0) }
            }
            let objectType = try q.get("object_type").map { try Field.nonEmpty(String($0), "object_type", max: 64) }
            let objectID = try q.get("object_id").map { try Field.nonEmpty(String($0), "object_id", max: 200) }
            let page = try await webhooks.events(types: types, objectType: objectType, objectID: objectID, try Paging.request(request, key: .sequence))
            return try EventBody.list(page)
        }
        group.get("/events/{id}") { _, context in
            try context.require(.operator, .platform)
            let event = try await webhooks.event(id: try Field.uuid(try Field.path(context, "id"), "id"))
            return EventBody.response(event.body)
        }
        group.post("/webhook-endpoints") { request, context in
            let principal = try context.require(.operator)
            let body = try await JSONBody.decode(WebhookEndpointRequest.self, from: request, context: context)
            let created = try await webhooks.createEndpoint(url: body.url, eventTypes: body.eventTypes, description: body.description,
                                                            actor: Actor(principal: principal, requestID: context.requestID))
            return try JSONBody.response(WebhookEndpointBody(created.endpoint, secret: created.secret), status: .created)
        }
        group.get("/webhook-endpoints") { request, context in
            try context.require(.operator)
            return try JSONBody.response(ListBody(try await webhooks.endpoints(try Paging.request(request))) { WebhookEndpointBody($0) })
        }
        group.get("/webhook-endpoints/{id}") { _, context in
            try context.require(.operator)
            return try JSONBody.response(WebhookEndpointBody(try await webhooks.endpoint(id: try Field.uuid(try Field.path(context, "id"), "id"))))
        }
        group.patch("/webhook-endpoints/{id}") { request, context in
            let principal = try context.require(.operator)
            let id = try Field.uuid(try Field.path(context, "id"), "id")
            let body = try await JSONBody.decodePatch(WebhookEndpointPatch.self, from: request, context: context)
            let enabled = try body.status.map { status -> Bool in
                guard status == "enabled" || status == "disabled" else { throw Problem.validation("status", "must be enabled or disabled") }
                return status == "enabled"
            }
            let updated = try await webhooks.updateEndpoint(id: id, url: body.url, eventTypes: body.eventTypes, description: body.description,
                                                            enabled: enabled, actor: Actor(principal: principal, requestID: context.requestID))
            return try JSONBody.response(WebhookEndpointBody(updated))
        }
        group.delete("/webhook-endpoints/{id}") { _, context in
            let principal = try context.require(.operator)
            try await webhooks.deleteEndpoint(id: try Field.uuid(try Field.path(context, "id"), "id"),
                                              actor: Actor(principal: principal, requestID: context.requestID))
            return Response(status: .noContent)
        }
        group.get("/webhook-endpoints/{id}/deliveries") { request, context in
            try context.require(.operator)
            let id = try Field.uuid(try Field.path(context, "id"), "id")
            return try JSONBody.response(ListBody(try await webhooks.deliveries(endpointID: id, try Paging.request(request))) {
                WebhookDeliveryBody($0, attempts: nil)
            })
        }
        group.get("/webhook-deliveries/{id}") { _, context in
            try context.require(.operator)
            let (delivery, attempts) = try await webhooks.delivery(id: try Field.uuid(try Field.path(context, "id"), "id"))
            return try JSONBody.response(WebhookDeliveryBody(delivery, attempts: attempts))
        }
        group.post("/webhook-deliveries/{id}/redeliver") { _, context in
            let principal = try context.require(.operator)
            let delivery = try await webhooks.redeliver(id: try Field.uuid(try Field.path(context, "id"), "id"),
                                                        actor: Actor(principal: principal, requestID: context.requestID))
            return try JSONBody.response(WebhookDeliveryBody(delivery, attempts: nil), status: .accepted)
        }
    }
}

/// Events are served as stored: the same bytes every reader and every delivery gets.
enum EventBody {
    static func response(_ body: String) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: body)))
    }

    static func list(_ page: Page<EventRecord>) throws -> Response {
        let next = try page.next.map { String(decoding: try WireJSON.encode(Paging.encode($0)), as: UTF8.self) } ?? "null"
        return response("{\"data\":[" + page.items.map(\.body).joined(separator: ",") + "],\"next_cursor\":" + next + "}")
    }
}

struct WebhookEndpointRequest: Codable {
    let url: String
    let eventTypes: [String]
    let description: String?
}

struct WebhookEndpointPatch: Codable {
    let url: String?
    let eventTypes: [String]?
    let description: String?
    let status: String?
}

struct WebhookEndpointBody: Encodable {
    // Optional members are written as null (the shape never changes), except the secret.
    let id: String
    let url: String
    let eventTypes: [String]
    let description: Nullable<String>
    let status: String
    let disabledReason: Nullable<String>
    /// `healthy`, or `failing` while attempts fail without a success in between.
    let health: String
    let consecutiveFailures: Int
    let failingSince: Nullable<String>
    let lastSuccessAt: Nullable<String>
    let createdAt: String
    /// Only in the creation answer: shown once (absent otherwise).
    let secret: String?

    init(_ e: WebhookEndpointRecord, secret: String? = nil) {
        id = e.id.uuidString.lowercased()
        url = e.url
        eventTypes = e.eventTypes
        description = Nullable(e.description)
        status = e.status
        disabledReason = Nullable(e.disabledReason)
        health = e.failingSince == nil ? "healthy" : "failing"
        consecutiveFailures = e.consecutiveFailures
        failingSince = Nullable(e.failingSince.map(Timestamp.rfc3339))
        lastSuccessAt = Nullable(e.lastSuccessAt.map(Timestamp.rfc3339))
        createdAt = Timestamp.rfc3339(e.createdAt)
        self.secret = secret
    }
}

struct WebhookDeliveryBody: Encodable {
    struct Attempt: Encodable {
        let attemptedAt: String
        let statusCode: Nullable<Int>
        let latencyMs: Int
        let error: Nullable<String>
        let responseBody: Nullable<String>
    }
    let id: String
    let endpointId: String
    let eventId: String
    let eventType: String
    let status: String
    let attempts: Int
    let nextAttemptAt: Nullable<String>
    let lastStatus: Nullable<Int>
    let lastError: Nullable<String>
    let createdAt: String
    let completedAt: Nullable<String>
    /// Every attempt, on the single delivery only (absent in lists).
    let attemptLog: [Attempt]?

    init(_ d: WebhookDeliveryRecord,
         attempts log: [(attemptedAt: Date, statusCode: Int?, latencyMilliseconds: Int, error: String?, response: String?)]?) {
        id = d.id.uuidString.lowercased()
        endpointId = d.endpointID.uuidString.lowercased()
        eventId = d.eventID.uuidString.lowercased()
        eventType = d.eventType
        status = d.status
        attempts = d.attempts
        nextAttemptAt = Nullable(d.nextAttemptAt.map(Timestamp.rfc3339))
        lastStatus = Nullable(d.lastStatus)
        lastError = Nullable(d.lastError)
        createdAt = Timestamp.rfc3339(d.createdAt)
        completedAt = Nullable(d.completedAt.map(Timestamp.rfc3339))
        attemptLog = log.map { $0.map { Attempt(attemptedAt: Timestamp.rfc3339($0.attemptedAt), statusCode: Nullable($0.statusCode),
                                                 latencyMs: $0.latencyMilliseconds, error: Nullable($0.error),
                                                 responseBody: Nullable($0.response)) } }
    }
}
