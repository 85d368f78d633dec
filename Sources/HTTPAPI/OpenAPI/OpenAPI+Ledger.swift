extension OpenAPIFragments {
    static let ledger = #"""
    {
      "paths": {
        "/v1/ledger/accounts/{code}": {"get": {
          "summary": "A ledger account with its balance (operator)", "tags": ["ledger"],
          "parameters": [{"name": "code", "in": "path", "required": true, "schema": {"type": "string"}}],
          "responses": {"200": {"description": "The account", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/LedgerAccount"}}}},
                        "401": {"$ref": "#/components/responses/Problem"}, "403": {"$ref": "#/components/responses/Problem"},
                        "404": {"$ref": "#/components/responses/Problem"}}}},
        "/v1/ledger/trial-balance": {"get": {
          "summary": "Every account's debit or credit balance, with totals per currency (operator)", "tags": ["ledger"],
          "parameters": [{"name": "as_of", "in": "query", "required": false, "schema": {"type": "string", "format": "date"}}],
          "responses": {"200": {"description": "The trial balance", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/TrialBalance"}}}},
                        "401": {"$ref": "#/components/responses/Problem"}, "403": {"$ref": "#/components/responses/Problem"},
                        "422": {"$ref": "#/components/responses/Problem"}}}},
        "/v1/ledger/journal-entries": {"post": {
          "summary": "Post a manual balanced adjustment on existing accounts (operator)", "tags": ["ledger"],
          "parameters": [{"$ref": "#/components/parameters/IdempotencyKey"}],
          "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ManualEntryRequest"}}}},
          "responses": {"201": {"description": "Posted", "content": {"application/json": {"schema": {"type": "object",
                          "properties": {"id": {"type": "string", "format": "uuid"}, "reference": {"type": "string"}}}}}},
                        "400": {"$ref": "#/components/responses/Problem"}, "401": {"$ref": "#/components/responses/Problem"},
                        "403": {"$ref": "#/components/responses/Problem"}, "409": {"$ref": "#/components/responses/Problem"},
                        "413": {"$ref": "#/components/responses/Problem"}, "415": {"$ref": "#/components/responses/Problem"},
                        "422": {"$ref": "#/components/responses/Problem"}}}}
      },
      "components": {"schemas": {
        "LedgerAccount": {"type": "object", "properties": {
          "code": {"type": "string"}, "name": {"type": "string"},
          "type": {"enum": ["asset", "liability", "equity", "income", "expense"]}, "currency": {"type": "string"},
          "owner_type": {"type": "string"}, "owner_id": {"type": ["string", "null"]}, "normal_side": {"enum": ["debit", "credit"]},
          "balance": {"$ref": "#/components/schemas/Money"}, "normal_balance": {"$ref": "#/components/schemas/Money"}}},
        "TrialBalance": {"type": "object", "properties": {
          "as_of": {"type": ["string", "null"], "format": "date"},
          "accounts": {"type": "array", "items": {"type": "object", "properties": {
            "code": {"type": "string"}, "type": {"type": "string"},
            "debit": {"$ref": "#/components/schemas/Money"}, "credit": {"$ref": "#/components/schemas/Money"}}}},
          "totals": {"type": "array", "items": {"type": "object", "properties": {
            "currency": {"type": "string"}, "debits": {"type": "string"}, "credits": {"type": "string"}, "balanced": {"type": "boolean"}}}}}},
        "ManualEntryRequest": {"type": "object", "additionalProperties": false, "required": ["business_date", "reference", "postings"],
          "properties": {
            "business_date": {"type": "string", "format": "date"}, "reference": {"type": "string"}, "description": {"type": "string"},
            "postings": {"type": "array", "minItems": 2, "items": {"type": "object", "additionalProperties": false,
              "required": ["account_code", "side", "amount"], "properties": {
                "account_code": {"type": "string"}, "side": {"enum": ["debit", "credit"]},
                "amount": {"$ref": "#/components/schemas/Money"}}}}}}
      }}
    }
    """#
}
