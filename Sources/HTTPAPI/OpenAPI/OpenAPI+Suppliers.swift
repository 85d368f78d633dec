extension OpenAPIFragments {
    static let suppliers = #"""
{
 "paths": {
  "/v1/suppliers": {
   "post": {
    "summary": "Create a supplier with its financing line (operator); the unified social credit code is validated with its check character",
    "tags": [
     "suppliers"
    ],
    "responses": {
     "201": {
      "description": "Created",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Supplier"
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
        "$ref": "#/components/schemas/SupplierRequest"
       }
      }
     }
    }
   }
  },
  "/v1/suppliers/{id}": {
   "get": {
    "summary": "A supplier, its line, committed financing, free limit and recourse owed (operator, or the supplier itself)",
    "tags": [
     "suppliers"
    ],
    "responses": {
     "200": {
      "description": "The supplier",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Supplier"
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
   },
   "patch": {
    "summary": "Change name, status (pending → active → suspended/closed) or line (operator)",
    "tags": [
     "suppliers"
    ],
    "responses": {
     "200": {
      "description": "Updated",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Supplier"
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
        "$ref": "#/components/schemas/SupplierPatch"
       }
      }
     }
    }
   }
  },
  "/v1/receivables": {
   "post": {
    "summary": "Confirm a receivable the platform owes a supplier (platform)",
    "tags": [
     "receivables"
    ],
    "responses": {
     "201": {
      "description": "Created",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Receivable"
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
        "$ref": "#/components/schemas/ReceivableRequest"
       }
      }
     }
    }
   },
   "get": {
    "summary": "List receivables (a supplier sees only its own)",
    "tags": [
     "receivables"
    ],
    "responses": {
     "200": {
      "description": "A page",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/ReceivableList"
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
      "name": "supplier_id",
      "in": "query",
      "schema": {
       "type": "string",
       "format": "uuid"
      }
     },
     {
      "name": "status",
      "in": "query",
      "schema": {
       "enum": [
        "open",
        "financed",
        "settled",
        "disputed",
        "cancelled"
       ]
      }
     },
     {
      "name": "due_from",
      "in": "query",
      "schema": {
       "type": "string",
       "format": "date"
      }
     },
     {
      "name": "due_to",
      "in": "query",
      "schema": {
       "type": "string",
       "format": "date"
      }
     },
     {
      "$ref": "#/components/parameters/Limit"
     },
     {
      "$ref": "#/components/parameters/Cursor"
     }
    ]
   }
  },
  "/v1/receivables/{id}": {
   "get": {
    "summary": "A receivable with its adjustments",
    "tags": [
     "receivables"
    ],
    "responses": {
     "200": {
      "description": "The receivable",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Receivable"
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
  "/v1/receivables/{id}/adjustments": {
   "post": {
    "summary": "Dilute a receivable by a return or credit note (platform)",
    "tags": [
     "receivables"
    ],
    "responses": {
     "201": {
      "description": "Adjusted",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Receivable"
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
    ],
    "requestBody": {
     "required": true,
     "content": {
      "application/json": {
       "schema": {
        "$ref": "#/components/schemas/AdjustmentRequest"
       }
      }
     }
    }
   }
  },
  "/v1/receivables/{id}/status": {
   "post": {
    "summary": "Dispute, resolve a dispute, or cancel a receivable (platform)",
    "tags": [
     "receivables"
    ],
    "responses": {
     "200": {
      "description": "Changed",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Receivable"
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
    ],
    "requestBody": {
     "required": true,
     "content": {
      "application/json": {
       "schema": {
        "$ref": "#/components/schemas/StatusRequest"
       }
      }
     }
    }
   }
  },
  "/v1/receivables/{id}/payments": {
   "post": {
    "summary": "The platform pays a receivable at maturity: financing first, the rest to the supplier, any shortfall becomes recourse (platform)",
    "tags": [
     "receivables"
    ],
    "responses": {
     "201": {
      "description": "Settled",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Settlement"
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
    ],
    "requestBody": {
     "required": true,
     "content": {
      "application/json": {
       "schema": {
        "$ref": "#/components/schemas/PaymentRequest"
       }
      }
     }
    }
   }
  }
 },
 "components": {
  "schemas": {
   "FinancingLine": {
    "type": "object",
    "additionalProperties": false,
    "required": [
     "limit",
     "advance_rate",
     "annual_discount_rate",
     "min_days_to_maturity",
     "max_days_to_maturity",
     "auto_approval_ceiling"
    ],
    "properties": {
     "limit": {
      "$ref": "#/components/schemas/Money"
     },
     "advance_rate": {
      "type": "string",
      "examples": [
       "0.80"
      ]
     },
     "annual_discount_rate": {
      "type": "string",
      "examples": [
       "0.0730"
      ]
     },
     "min_days_to_maturity": {
      "type": "integer",
      "minimum": 1
     },
     "max_days_to_maturity": {
      "type": "integer"
     },
     "auto_approval_ceiling": {
      "$ref": "#/components/schemas/Money"
     },
     "day_count": {
      "enum": [
       "ACT/360",
       "ACT/365F",
       "30/360"
      ]
     }
    }
   },
   "FinancingLinePatch": {
    "type": "object",
    "additionalProperties": false,
    "properties": {
     "limit": {
      "$ref": "#/components/schemas/Money"
     },
     "advance_rate": {
      "type": "string",
      "examples": [
       "0.80"
      ]
     },
     "annual_discount_rate": {
      "type": "string",
      "examples": [
       "0.0730"
      ]
     },
     "min_days_to_maturity": {
      "type": "integer",
      "minimum": 1
     },
     "max_days_to_maturity": {
      "type": "integer"
     },
     "auto_approval_ceiling": {
      "$ref": "#/components/schemas/Money"
     },
     "day_count": {
      "enum": [
       "ACT/360",
       "ACT/365F",
       "30/360"
      ]
     }
    }
   },
   "SupplierRequest": {
    "type": "object",
    "additionalProperties": false,
    "required": [
     "name",
     "unified_social_credit_code",
     "financing_line"
    ],
    "properties": {
     "name": {
      "type": "string"
     },
     "unified_social_credit_code": {
      "type": "string",
      "minLength": 18,
      "maxLength": 18,
      "examples": [
       "91350100M000100Y43"
      ]
     },
     "financing_line": {
      "$ref": "#/components/schemas/FinancingLine"
     }
    }
   },
   "SupplierPatch": {
    "type": "object",
    "additionalProperties": false,
    "properties": {
     "name": {
      "type": "string"
     },
     "status": {
      "enum": [
       "pending",
       "active",
       "suspended",
       "closed"
      ]
     },
     "financing_line": {
      "description": "Fields left out (or the whole object null) keep their value.",
      "oneOf": [
       {
        "$ref": "#/components/schemas/FinancingLinePatch"
       },
       {
        "type": "null"
       }
      ]
     }
    }
   },
   "Supplier": {
    "type": "object",
    "properties": {
     "id": {
      "type": "string",
      "format": "uuid"
     },
     "name": {
      "type": "string"
     },
     "unified_social_credit_code": {
      "type": "string"
     },
     "status": {
      "type": "string"
     },
     "financing_line": {
      "$ref": "#/components/schemas/FinancingLine"
     },
     "financing_committed": {
      "$ref": "#/components/schemas/Money"
     },
     "free_limit": {
      "$ref": "#/components/schemas/Money"
     },
     "recourse_owed": {
      "$ref": "#/components/schemas/Money"
     }
    }
   },
   "ReceivableRequest": {
    "type": "object",
    "additionalProperties": false,
    "required": [
     "supplier_id",
     "external_reference",
     "face_amount",
     "issue_date",
     "due_date"
    ],
    "properties": {
     "supplier_id": {
      "type": "string",
      "format": "uuid"
     },
     "external_reference": {
      "type": "string"
     },
     "face_amount": {
      "$ref": "#/components/schemas/Money"
     },
     "issue_date": {
      "type": "string",
      "format": "date"
     },
     "due_date": {
      "type": "string",
      "format": "date"
     },
     "order_ref": {
      "type": "string"
     }
    }
   },
   "Receivable": {
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
     "external_reference": {
      "type": "string"
     },
     "face_amount": {
      "$ref": "#/components/schemas/Money"
     },
     "outstanding": {
      "$ref": "#/components/schemas/Money"
     },
     "issue_date": {
      "type": "string",
      "format": "date"
     },
     "due_date": {
      "type": "string",
      "format": "date"
     },
     "status": {
      "enum": [
       "open",
       "financed",
       "settled",
       "disputed",
       "cancelled"
      ]
     },
     "financing_request_id": {
      "type": [
       "string",
       "null"
      ]
     },
     "order_ref": {
      "type": [
       "string",
       "null"
      ]
     },
     "adjustments": {
      "type": "array",
      "items": {
       "type": "object",
       "properties": {
        "id": {
         "type": "string"
        },
        "kind": {
         "enum": [
          "goods_returned",
          "credit_note"
         ]
        },
        "amount": {
         "$ref": "#/components/schemas/Money"
        },
        "reference": {
         "type": "string"
        },
        "created_at": {
         "type": "string",
         "format": "date-time"
        }
       }
      }
     }
    }
   },
   "ReceivableList": {
    "type": "object",
    "properties": {
     "data": {
      "type": "array",
      "items": {
       "$ref": "#/components/schemas/Receivable"
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
   "AdjustmentRequest": {
    "type": "object",
    "additionalProperties": false,
    "required": [
     "kind",
     "amount",
     "reference"
    ],
    "properties": {
     "kind": {
      "enum": [
       "goods_returned",
       "credit_note"
      ]
     },
     "amount": {
      "$ref": "#/components/schemas/Money"
     },
     "reference": {
      "type": "string"
     }
    }
   },
   "StatusRequest": {
    "type": "object",
    "additionalProperties": false,
    "required": [
     "status"
    ],
    "properties": {
     "status": {
      "enum": [
       "disputed",
       "open",
       "financed",
       "cancelled"
      ]
     }
    }
   },
   "PaymentRequest": {
    "type": "object",
    "additionalProperties": false,
    "required": [
     "amount"
    ],
    "properties": {
     "amount": {
      "$ref": "#/components/schemas/Money"
     }
    }
   },
   "Settlement": {
    "type": "object",
    "properties": {
     "receivable": {
      "$ref": "#/components/schemas/Receivable"
     },
     "payment": {
      "$ref": "#/components/schemas/Money"
     },
     "to_financing": {
      "$ref": "#/components/schemas/Money"
     },
     "to_supplier": {
      "$ref": "#/components/schemas/Money"
     },
     "recourse": {
      "$ref": "#/components/schemas/Money"
     },
     "journal_entry_id": {
      "type": "string",
      "format": "uuid"
     }
    }
   }
  }
 }
}
"""#
}
