extension OpenAPIFragments {
    static let reconciliation = #"""
{
 "paths": {
  "/v1/statements": {
   "post": {
    "summary": "Import a bank statement (ISO 20022 camt.053 .001.02–.08, several statements per message) or a payment-channel settlement CSV, streamed; the same file twice is one import (operator)",
    "tags": [
     "reconciliation"
    ],
    "responses": {
     "201": {
      "description": "OK",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/StatementImport"
        }
       }
      }
     },
     "200": {
      "$ref": "#/components/responses/Problem"
     },
     "401": {
      "$ref": "#/components/responses/Problem"
     },
     "403": {
      "$ref": "#/components/responses/Problem"
     },
     "413": {
      "$ref": "#/components/responses/Problem"
     },
     "415": {
      "$ref": "#/components/responses/Problem"
     },
     "422": {
      "$ref": "#/components/responses/Problem"
     }
    },
    "parameters": [
     {
      "name": "format",
      "in": "query",
      "schema": {
       "enum": [
        "camt053",
        "settlement_csv"
       ]
      }
     },
     {
      "name": "channel",
      "in": "query",
      "schema": {
       "type": "string"
      }
     }
    ],
    "requestBody": {
     "required": true,
     "content": {
      "application/xml": {
       "schema": {
        "type": "string"
       }
      },
      "text/csv": {
       "schema": {
        "type": "string",
        "description": "Header row: channel_txn_id,our_reference,amount,currency,fee,settled_at,type"
       }
      }
     }
    }
   }
  },
  "/v1/statements/{id}": {
   "get": {
    "summary": "A statement with its balance verdict (opening + credits − debits = closing) (operator)",
    "tags": [
     "reconciliation"
    ],
    "responses": {
     "200": {
      "description": "OK",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Statement"
        }
       }
      }
     },
     "401": {
      "$ref": "#/components/responses/Problem"
     },
     "403": {
      "$ref": "#/components/responses/Problem"
     },
     "404": {
      "$ref": "#/components/responses/Problem"
     }
    },
    "parameters": [
     {
      "name": "id",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string",
       "format": "uuid"
      }
     }
    ]
   }
  },
  "/v1/nightly-runs": {
   "post": {
    "summary": "Run the close of business for an ended business date; answers 202 once the run is recorded, 200 when the date already finished (pass force to re-run), 409 while another runner holds it (operator)",
    "tags": [
     "reconciliation"
    ],
    "responses": {
     "202": {
      "description": "OK",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/NightlyRun"
        }
       }
      }
     },
     "200": {
      "description": "The date had already finished: the finished run with its steps",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/NightlyRun"
        }
       }
      }
     },
     "400": {
      "$ref": "#/components/responses/Problem"
     },
     "401": {
      "$ref": "#/components/responses/Problem"
     },
     "403": {
      "$ref": "#/components/responses/Problem"
     },
     "409": {
      "$ref": "#/components/responses/Problem"
     },
     "415": {
      "$ref": "#/components/responses/Problem"
     },
     "422": {
      "$ref": "#/components/responses/Problem"
     }
    },
    "parameters": [
     {
      "$ref": "#/components/parameters/IdempotencyKey"
     }
    ],
    "requestBody": {
     "required": true,
     "content": {
      "application/json": {
       "schema": {
        "$ref": "#/components/schemas/NightlyRunRequest"
       }
      }
     }
    }
   }
  },
  "/v1/nightly-runs/{id}": {
   "get": {
    "summary": "A run: steps with counts, the report (totals, ledger proof, exceptions) (operator)",
    "tags": [
     "reconciliation"
    ],
    "responses": {
     "200": {
      "description": "OK",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/NightlyRun"
        }
       }
      }
     },
     "401": {
      "$ref": "#/components/responses/Problem"
     },
     "403": {
      "$ref": "#/components/responses/Problem"
     },
     "404": {
      "$ref": "#/components/responses/Problem"
     }
    },
    "parameters": [
     {
      "name": "id",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string",
       "format": "uuid"
      }
     }
    ]
   }
  },
  "/v1/nightly-runs/{id}/exceptions": {
   "get": {
    "summary": "The run's reconciliation exceptions (operator)",
    "tags": [
     "reconciliation"
    ],
    "responses": {
     "200": {
      "description": "OK",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/ExceptionList"
        }
       }
      }
     },
     "401": {
      "$ref": "#/components/responses/Problem"
     },
     "403": {
      "$ref": "#/components/responses/Problem"
     },
     "404": {
      "$ref": "#/components/responses/Problem"
     }
    },
    "parameters": [
     {
      "name": "id",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string",
       "format": "uuid"
      }
     }
    ]
   }
  },
  "/v1/reconciliation-exceptions/{id}/acknowledge": {
   "post": {
    "summary": "Acknowledge an open exception (operator)",
    "tags": [
     "reconciliation"
    ],
    "responses": {
     "200": {
      "description": "OK",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/ReconciliationException"
        }
       }
      }
     },
     "401": {
      "$ref": "#/components/responses/Problem"
     },
     "403": {
      "$ref": "#/components/responses/Problem"
     },
     "404": {
      "$ref": "#/components/responses/Problem"
     },
     "409": {
      "$ref": "#/components/responses/Problem"
     }
    },
    "parameters": [
     {
      "name": "id",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string",
       "format": "uuid"
      }
     }
    ]
   }
  },
  "/v1/reconciliation-exceptions/{id}/resolve": {
   "post": {
    "summary": "Resolve an exception with a note (operator)",
    "tags": [
     "reconciliation"
    ],
    "responses": {
     "200": {
      "description": "OK",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/ReconciliationException"
        }
       }
      }
     },
     "400": {
      "$ref": "#/components/responses/Problem"
     },
     "401": {
      "$ref": "#/components/responses/Problem"
     },
     "403": {
      "$ref": "#/components/responses/Problem"
     },
     "404": {
      "$ref": "#/components/responses/Problem"
     },
     "409": {
      "$ref": "#/components/responses/Problem"
     },
     "415": {
      "$ref": "#/components/responses/Problem"
     },
     "422": {
      "$ref": "#/components/responses/Problem"
     }
    },
    "parameters": [
     {
      "name": "id",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string",
       "format": "uuid"
      }
     }
    ],
    "requestBody": {
     "required": true,
     "content": {
      "application/json": {
       "schema": {
        "$ref": "#/components/schemas/ResolveRequest"
       }
      }
     }
    }
   }
  }
 },
 "components": {
  "schemas": {
   "Statement": {
    "type": "object",
    "properties": {
     "id": {
      "type": "string",
      "format": "uuid"
     },
     "format": {
      "enum": [
       "camt053",
       "settlement_csv"
      ]
     },
     "statement_ref": {
      "type": "string"
     },
     "account": {
      "type": [
       "string",
       "null"
      ]
     },
     "currency": {
      "type": "string"
     },
     "opening_balance": {
      "type": [
       "string",
       "null"
      ]
     },
     "closing_balance": {
      "type": [
       "string",
       "null"
      ]
     },
     "credits": {
      "type": "string"
     },
     "debits": {
      "type": "string"
     },
     "computed_closing": {
      "type": [
       "string",
       "null"
      ]
     },
     "balance_verdict": {
      "enum": [
       "balanced",
       "unbalanced",
       "not_checkable"
      ]
     },
     "entry_count": {
      "type": "integer"
     },
     "imported_at": {
      "type": "string",
      "format": "date-time"
     }
    }
   },
   "StatementImport": {
    "type": "object",
    "properties": {
     "already_imported": {
      "type": "boolean"
     },
     "statements": {
      "type": "array",
      "items": {
       "$ref": "#/components/schemas/Statement"
      }
     }
    }
   },
   "NightlyRunRequest": {
    "type": "object",
    "additionalProperties": false,
    "required": [
     "business_date"
    ],
    "properties": {
     "business_date": {
      "type": "string",
      "format": "date"
     },
     "force": {
      "type": "boolean"
     }
    }
   },
   "NightlyRun": {
    "type": "object",
    "properties": {
     "id": {
      "type": "string",
      "format": "uuid"
     },
     "business_date": {
      "type": "string",
      "format": "date"
     },
     "attempt": {
      "type": "integer"
     },
     "status": {
      "enum": [
       "running",
       "completed",
       "failed"
      ]
     },
     "triggered_by": {
      "type": "string"
     },
     "started_at": {
      "type": "string",
      "format": "date-time"
     },
     "finished_at": {
      "type": [
       "string",
       "null"
      ]
     },
     "report_path": {
      "type": [
       "string",
       "null"
      ]
     },
     "steps": {
      "type": "array",
      "items": {
       "type": "object",
       "properties": {
        "position": {
         "type": "integer"
        },
        "step": {
         "type": "string"
        },
        "status": {
         "type": "string"
        },
        "counts": {
         "type": "object",
         "additionalProperties": {
          "type": "integer"
         }
        },
        "error": {
         "type": [
          "string",
          "null"
         ]
        }
       }
      }
     },
     "report": {
      "type": [
       "object",
       "null"
      ]
     }
    }
   },
   "ReconciliationException": {
    "type": "object",
    "properties": {
     "id": {
      "type": "string",
      "format": "uuid"
     },
     "business_date": {
      "type": "string",
      "format": "date"
     },
     "kind": {
      "enum": [
       "missing_from_statement",
       "missing_from_ledger",
       "amount_mismatch",
       "date_mismatch",
       "duplicate",
       "unbalanced_statement"
      ]
     },
     "reference": {
      "type": [
       "string",
       "null"
      ]
     },
     "expected_amount": {
      "type": [
       "string",
       "null"
      ]
     },
     "actual_amount": {
      "type": [
       "string",
       "null"
      ]
     },
     "currency": {
      "type": [
       "string",
       "null"
      ]
     },
     "detail": {
      "type": "string"
     },
     "state": {
      "enum": [
       "open",
       "acknowledged",
       "resolved"
      ]
     },
     "acknowledged_by": {
      "type": [
       "string",
       "null"
      ]
     },
     "resolved_by": {
      "type": [
       "string",
       "null"
      ]
     },
     "resolution_note": {
      "type": [
       "string",
       "null"
      ]
     },
     "age_days": {
      "type": "integer"
     }
    }
   },
   "ExceptionList": {
    "type": "object",
    "properties": {
     "data": {
      "type": "array",
      "items": {
       "$ref": "#/components/schemas/ReconciliationException"
      }
     },
     "next_cursor": {
      "type": [
       "string",
       "null"
      ]
     }
    }
   },
   "ResolveRequest": {
    "type": "object",
    "additionalProperties": false,
    "required": [
     "note"
    ],
    "properties": {
     "note": {
      "type": "string",
      "minLength": 1
     }
    }
   }
  }
 }
}
"""#
}
