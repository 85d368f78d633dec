extension OpenAPIFragments {
    static let system = #"""
    {
      "paths": {
        "/healthz": {"get": {"summary": "Process is up", "security": [], "tags": ["system"],
          "responses": {"200": {"description": "Up", "content": {"application/json": {"schema": {"type": "object"}}}}}}},
        "/readyz": {"get": {"summary": "Database reachable and migrations current", "security": [], "tags": ["system"],
          "responses": {"200": {"description": "Ready"}, "503": {"description": "Not ready"}}}},
        "/metrics": {"get": {"summary": "Prometheus metrics (request counts and latency histograms per route)", "security": [], "tags": ["system"],
          "responses": {"200": {"description": "Prometheus text format", "content": {"text/plain": {"schema": {"type": "string"}}}}}}},
        "/openapi.json": {"get": {"summary": "This document", "security": [], "tags": ["system"],
          "responses": {"200": {"description": "OpenAPI 3.1", "content": {"application/json": {"schema": {"type": "object"}}}}}}}
      }
    }
    """#
}
