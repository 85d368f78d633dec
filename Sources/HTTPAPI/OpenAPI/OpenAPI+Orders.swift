extension OpenAPIFragments {
    static let orders = #"""
{
 "paths": {
  "/v1/orders/{order_ref}": {
   "get": {
    "summary": "One order's story: checkout and plan, the seller's receivable, the shipping policy and claim, and every ledger entry that belongs to them in time order (operator, platform)",
    "tags": [
     "orders"
    ],
    "parameters": [
     {
      "name": "order_ref",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string"
      }
     }
    ],
    "responses": {
     "200": {
      "description": "The story",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/OrderStory"
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
   }
  },
  "/v1/orders/{order_ref}/returns": {
   "post": {
    "summary": "The return reached the seller: in one transaction refund the consumer's plan, dilute the seller's receivable and raise the shipping claim — each exactly once (platform)",
    "tags": [
     "orders"
    ],
    "parameters": [
     {
      "name": "order_ref",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string"
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
        "$ref": "#/components/schemas/OrderReturnRequest"
       }
      }
     }
    },
    "responses": {
     "201": {
      "description": "Completed",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/OrderReturn"
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
    }
   }
  }
 },
 "components": {
  "schemas": {
   "OrderReturnRequest": {
    "type": "object",
    "additionalProperties": false,
    "required": [
     "return_ref",
     "amount",
     "delivered_at"
    ],
    "properties": {
     "return_ref": {
      "type": "string",
      "minLength": 1,
      "maxLength": 193,
      "description": "At most 193 characters (code points): the refund and adjustment it books are referenced as return:<return_ref>, at most 200."
     },
     "amount": {
      "$ref": "#/components/schemas/Money"
     },
     "delivered_at": {
      "type": "string",
      "format": "date-time"
     },
     "buyer_ref": {
      "type": "string"
     },
     "shipping": {
      "type": "object",
      "additionalProperties": false,
      "required": [
       "carrier",
       "tracking_number",
       "cost"
      ],
      "properties": {
       "carrier": {
        "type": "string"
       },
       "tracking_number": {
        "type": "string"
       },
       "cost": {
        "$ref": "#/components/schemas/Money"
       }
      }
     }
    }
   },
   "OrderReturn": {
    "type": "object",
    "properties": {
     "order_ref": {
      "type": "string"
     },
     "return_ref": {
      "type": "string"
     },
     "refund": {
      "type": [
       "object",
       "null"
      ],
      "additionalProperties": {
       "type": "string"
      }
     },
     "refund_already_booked": {
      "type": "boolean"
     },
     "receivable": {
      "oneOf": [
       {
        "$ref": "#/components/schemas/Receivable"
       },
       {
        "type": "null"
       }
      ]
     },
     "claim": {
      "type": [
       "object",
       "null"
      ],
      "additionalProperties": {
       "type": "string"
      }
     }
    }
   },
   "OrderStory": {
    "type": "object",
    "properties": {
     "order_ref": {
      "type": "string"
     },
     "checkout": {
      "type": [
       "object",
       "null"
      ],
      "additionalProperties": {
       "type": "string"
      }
     },
     "installment_plan": {
      "type": [
       "object",
       "null"
      ],
      "additionalProperties": {
       "type": "string"
      }
     },
     "receivables": {
      "type": "array",
      "items": {
       "$ref": "#/components/schemas/Receivable"
      }
     },
     "shipping_policy": {
      "type": [
       "object",
       "null"
      ],
      "additionalProperties": {
       "type": "string"
      }
     },
     "claim": {
      "type": [
       "object",
       "null"
      ],
      "additionalProperties": {
       "type": "string"
      }
     },
     "ledger_entries": {
      "type": "array",
      "items": {
       "type": "object",
       "properties": {
        "id": {
         "type": "string"
        },
        "created_at": {
         "type": "string",
         "format": "date-time"
        },
        "business_date": {
         "type": "string",
         "format": "date"
        },
        "kind": {
         "type": "string"
        },
        "reference_type": {
         "type": "string"
        },
        "reference_id": {
         "type": "string"
        },
        "postings": {
         "type": "array",
         "items": {
          "type": "object",
          "properties": {
           "account_code": {
            "type": "string"
           },
           "amount": {
            "$ref": "#/components/schemas/Money"
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
