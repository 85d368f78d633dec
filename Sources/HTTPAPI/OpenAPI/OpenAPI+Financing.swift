extension OpenAPIFragments {
    static let financing = #"""
{
 "paths": {
  "/v1/financing-requests": {
   "post": {
    "summary": "Request early payment against receivables; decided straight through (supplier for itself, or operator)",
    "tags": [
     "financing"
    ],
    "responses": {
     "201": {
      "description": "Decided (approved and disbursed, pending_review, or declined with reasons)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/FinancingRequest"
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
      "$ref": "#/components/parameters/IdempotencyKey"
     }
    ],
    "requestBody": {
     "required": true,
     "content": {
      "application/json": {
       "schema": {
        "$ref": "#/components/schemas/FinancingRequestBody"
       }
      }
     }
    }
   }
  },
  "/v1/financing-requests/{id}": {
   "get": {
    "summary": "A financing request and its decision",
    "tags": [
     "financing"
    ],
    "responses": {
     "200": {
      "description": "The request",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/FinancingRequest"
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
  "/v1/financing-requests/{id}/approve": {
   "post": {
    "summary": "Approve and disburse a request in review (operator)",
    "description": "Disbursed today; a fee quoted for an earlier date is re-priced (same day count) for the days actually left, the quote kept as quoted_fee. Past the decision's valid_until (and so always after maturity) it is a 409 quote_expired.",
    "tags": [
     "financing"
    ],
    "responses": {
     "200": {
      "description": "Approved",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/FinancingRequest"
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
     },
     {
      "$ref": "#/components/parameters/IdempotencyKey"
     }
    ]
   }
  },
  "/v1/financing-requests/{id}/reject": {
   "post": {
    "summary": "Reject a request in review, releasing its receivables (operator)",
    "tags": [
     "financing"
    ],
    "responses": {
     "200": {
      "description": "Rejected",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/FinancingRequest"
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
     },
     {
      "$ref": "#/components/parameters/IdempotencyKey"
     }
    ]
   }
  }
 },
 "components": {
  "schemas": {
   "FinancingRequestBody": {
    "type": "object",
    "additionalProperties": false,
    "required": [
     "receivable_ids"
    ],
    "properties": {
     "supplier_id": {
      "type": "string",
      "format": "uuid",
      "description": "Required for an operator; a supplier key finances for itself."
     },
     "receivable_ids": {
      "type": "array",
      "minItems": 1,
      "maxItems": 100,
      "items": {
       "type": "string",
       "format": "uuid"
      }
     },
     "disbursement_date": {
      "type": "string",
      "format": "date"
     }
    }
   },
   "FinancingRequest": {
    "type": "object",
    "properties": {
     "id": {
      "type": "string",
      "format": "uuid"
     },
     "supplier_id": {
      "type": "string",
      "format": "uuid"
     },
     "status": {
      "enum": [
       "approved",
       "pending_review",
       "declined",
       "rejected"
      ]
     },
     "created_at": {
      "type": "string",
      "format": "date-time"
     },
     "decision": {
      "type": "object",
      "properties": {
       "status": {
        "type": "string"
       },
       "reasons": {
        "type": "array",
        "items": {
         "$ref": "#/components/schemas/Reason"
        }
       },
       "currency": {
        "type": "string"
       },
       "advance": {
        "type": "string"
       },
       "fee": {
        "type": "string"
       },
       "net_disbursement": {
        "type": "string"
       },
       "free_limit": {
        "type": "string"
       },
       "disbursement_date": {
        "type": "string",
        "format": "date"
       },
       "valid_until": {
        "type": "string",
        "format": "date",
        "description": "The last disbursement date this quote holds: every receivable still at least min_days_to_maturity days from its due date. An approval after it is a 409 quote_expired."
       },
       "quoted_fee": {
        "type": "string",
        "description": "Present when a late approval re-priced the fee (ACT/360 over the days actually left): the fee quoted at request time."
       },
       "lines": {
        "type": "array",
        "items": {
         "type": "object",
         "properties": {
          "receivable_id": {
           "type": "string"
          },
          "eligible": {
           "type": "boolean"
          },
          "outstanding": {
           "type": [
            "string",
            "null"
           ]
          },
          "advance": {
           "type": [
            "string",
            "null"
           ]
          },
          "fee": {
           "type": [
            "string",
            "null"
           ]
          },
          "net_disbursement": {
           "type": [
            "string",
            "null"
           ]
          },
          "days_to_maturity": {
           "type": [
            "integer",
            "null"
           ]
          },
          "fee_days": {
           "type": [
            "integer",
            "null"
           ]
          },
          "reasons": {
           "type": "array",
           "items": {
            "$ref": "#/components/schemas/Reason"
           }
          }
         }
        }
       }
      }
     }
    }
   }
  }
 }
}
"""#
}
