import Foundation
import Hummingbird
import Services

/// Health, readiness, metrics and the API contract: no key needed.
struct SystemRoutes {
    let deps: APIDependencies

    private func contract(_ form: KeyPath<OpenAPIDocument.Loaded, [UInt8]>, contentType: String) throws -> Response {
        let document = try OpenAPIDocument.load()
        var headers = HTTPFields()
        headers[.contentType] = contentType
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: document[keyPath: form])))
    }

    func addRoutes(to router: Routes) {
        router.get("/healthz") { _, _ in
            try JSONBody.response(["status": "ok"])
        }
        router.get("/readyz") { _, _ in
            // Unreachable is 503 at once (a socket probe); a database that accepts connections but does
            // not answer is 503 after 5 s (not 1: a busy but healthy database must not look unready).
            let reachable = await deps.reachability?.isReachable() ?? true
            let ready = reachable ? ((try? await withTimeout(.seconds(5), "not ready within 5 s") {
                await deps.services.access.isReady()
            }) ?? false) : false
            return try JSONBody.response(["status": ready ? "ready" : "not_ready"], status: ready ? .ok : .serviceUnavailable)
        }
        router.get("/metrics") { _, _ in
            await deps.businessMetrics.refresh(operations: deps.services.operations)
            var headers = HTTPFields()
            headers[.contentType] = "text/plain; version=0.0.4; charset=utf-8"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: deps.registry.emitToBuffer())))
        }
        router.get("/openapi.json") { _, _ in try contract(\.json, contentType: "application/json") }
        router.get("/openapi.yaml") { _, _ in try contract(\.yaml, contentType: "application/yaml; charset=utf-8") }
    }
}
