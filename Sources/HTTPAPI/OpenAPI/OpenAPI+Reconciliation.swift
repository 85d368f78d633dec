extension OpenAPIFragments {
    static let reconciliation = #"""
{
 "paths": {
  "/v1/statements": {
   "post": {
    "summary": "Import a bank statement (ISO 20022 camt.053 .001.02–.08, several statements per message, a camt.054 debit/credit notification, or a SWIFT MT940 statement as text/plain) or a payment-channel settlement CSV, streamed; the same file twice is one import (operator)",
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
        "camt054",
        "mt940",
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
      },
      "text/plain": {
       "schema": {
        "type": "string",
        "description": "a SWIFT MT940 customer statement (:20:, :25:, :28C:, :60F:, :61:, :86:, :62F:)"
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
    "summary": "The exceptions raised for the run's business date, paged in (kind, id) order, filtered by kind, state and source (operator)",
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
     },
     {
      "$ref": "#/components/parameters/Limit"
     },
     {
      "$ref": "#/components/parameters/Cursor"
     },
     {
      "$ref": "#/components/parameters/ExceptionKind"
     },
     {
      "$ref": "#/components/parameters/ExceptionState"
     },
     {
      "$ref": "#/components/parameters/ExceptionSource"
     }
    ]
   }
  },
  "/v1/reconciliation-exceptions": {
   "get": {
    "summary": "Every reconciliation exception, paged in (business date, kind, id) order, filtered by kind, state, source and business date (operator)",
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
     "422": {
      "$ref": "#/components/responses/Problem"
     }
    },
    "parameters": [
     {
      "$ref": "#/components/parameters/Limit"
     },
     {
      "$ref": "#/components/parameters/Cursor"
     },
     {
      "$ref": "#/components/parameters/ExceptionKind"
     },
     {
      "$ref": "#/components/parameters/ExceptionState"
     },
     {
      "$ref": "#/components/parameters/ExceptionSource"
     },
     {
      "name": "date",
      "in": "query",
      "required": false,
      "description": "raised for this business date",
      "schema": {
       "type": "string",
       "format": "date"
      }
     },
     {
      "name": "date_from",
      "in": "query",
      "required": false,
      "description": "raised on or after",
      "schema": {
       "type": "string",
       "format": "date"
      }
     },
     {
      "name": "date_to",
      "in": "query",
      "required": false,
      "description": "raised on or before",
      "schema": {
       "type": "string",
       "format": "date"
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
  },
  "/v1/matching-rules": {
   "get": {
    "summary": "Matching rules per source; * is the default for sources without their own (operator)",
    "tags": [
     "reconciliation"
    ],
    "responses": {
     "200": {
      "description": "OK",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/MatchingRuleList"
        }
       }
      }
     },
     "401": {
      "$ref": "#/components/responses/Problem"
     },
     "403": {
      "$ref": "#/components/responses/Problem"
     }
    }
   }
  },
  "/v1/matching-rules/{source}": {
   "get": {
    "summary": "One source's matching rules (operator)",
    "tags": [
     "reconciliation"
    ],
    "parameters": [
     {
      "name": "source",
      "in": "path",
      "required": true,
      "description": "a bank account as bank:<account>, a channel as channel:<name>, or * for the default",
      "schema": {
       "type": "string",
       "minLength": 1,
       "maxLength": 100
      }
     }
    ],
    "responses": {
     "200": {
      "description": "OK",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/MatchingRule"
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
    }
   },
   "patch": {
    "summary": "Change one source's matching rules; absent fields keep their value (a new source starts from *); audited (operator)",
    "tags": [
     "reconciliation"
    ],
    "parameters": [
     {
      "name": "source",
      "in": "path",
      "required": true,
      "description": "a bank account as bank:<account>, a channel as channel:<name>, or * for the default",
      "schema": {
       "type": "string",
       "minLength": 1,
       "maxLength": 100
      }
     }
    ],
    "requestBody": {
     "required": true,
     "content": {
      "application/json": {
       "schema": {
        "$ref": "#/components/schemas/MatchingRuleChange"
       }
      }
     }
    },
    "responses": {
     "200": {
      "description": "OK",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/MatchingRule"
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
     "422": {
      "$ref": "#/components/responses/Problem"
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
       "camt054",
       "mt940",
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
       "unbalanced_statement",
       "currency_mismatch",
       "sequence_gap",
       "balance_discontinuity"
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
     },
     "source": {
      "type": [
       "string",
       "null"
      ],
      "description": "bank account or channel:<name> the exception comes from"
     },
     "counterparty_ref": {
      "type": [
       "string",
       "null"
      ],
      "description": "the reference the bank or channel quoted"
     },
     "resolved_by_run": {
      "type": [
       "string",
       "null"
      ],
      "format": "uuid",
      "description": "the nightly run that closed it by a later match"
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
   },
   "MatchingRuleChange": {
    "allOf": [
     {
      "$ref": "#/components/schemas/MatchingRuleFields"
     }
    ],
    "unevaluatedProperties": false
   },
   "MatchingRule": {
    "allOf": [
     {
      "$ref": "#/components/schemas/MatchingRuleFields"
     },
     {
      "type": "object",
      "properties": {
       "source": {
        "type": "string"
       },
       "updated_by": {
        "type": "string"
       },
       "updated_at": {
        "type": "string",
        "format": "date-time"
       }
      }
     }
    ]
   },
   "MatchingRuleList": {
    "type": "object",
    "properties": {
     "data": {
      "type": "array",
      "items": {
       "$ref": "#/components/schemas/MatchingRule"
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
   "MatchingRuleFields": {
    "type": "object",
    "properties": {
     "amount_tolerance_minor": {
      "type": "integer",
      "minimum": 0,
      "maximum": 100000000,
      "description": "how many minor units an amount may differ and still match (0 = exact)"
     },
     "date_window_days": {
      "type": "integer",
      "minimum": 0,
      "maximum": 31,
      "description": "how many days apart an item and its line may be"
     },
     "one_to_many": {
      "type": "boolean",
      "description": "one line may settle several items (a batch, one transfer for several items of a reference)"
     },
     "many_to_one": {
      "type": "boolean",
      "description": "several lines may settle one item (a split payment)"
     }
    }
   }
  },
  "parameters": {
   "ExceptionKind": {
    "name": "kind",
    "in": "query",
    "required": false,
    "description": "only this kind",
    "schema": {
     "enum": [
      "missing_from_statement",
      "missing_from_ledger",
      "amount_mismatch",
      "date_mismatch",
      "duplicate",
      "unbalanced_statement",
      "currency_mismatch",
      "sequence_gap",
      "balance_discontinuity"
     ]
    }
   },
   "ExceptionState": {
    "name": "state",
    "in": "query",
    "required": false,
    "description": "only this state",
    "schema": {
     "enum": [
      "open",
      "acknowledged",
      "resolved"
     ]
    }
   },
   "ExceptionSource": {
    "name": "source",
    "in": "query",
    "required": false,
    "description": "only this source: a bank account or channel:<name>",
    "schema": {
     "type": "string"
    }
   }
  }
 }
}
"""#
}
