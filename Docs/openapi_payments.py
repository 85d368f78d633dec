"""Adds the payment-order operations and schemas (issue 17, money out) to the OpenAPI contract.

Usage: python3 Docs/openapi_payments.py Sources/HTTPAPI/openapi.yaml

Idempotent: run it again on a file that already has them and nothing changes. Kept for merges: when another
branch appended its own paths at the same place, take that branch's openapi.yaml and run this on it instead of
resolving interleaved YAML by hand. It loads and dumps the whole document (yaml.safe_dump, sort_keys=False,
width=120) and puts the /metrics example back as the block scalar it is written as."""
import yaml, sys
path = sys.argv[1]
d = yaml.safe_load(open(path))
P = lambda: {"$ref": "#/components/responses/Problem"}
def errs(*codes):
    out = {str(c): P() for c in codes}
    out["500"] = {"$ref": "#/components/responses/InternalError"}
    out["503"] = P()
    return dict(sorted(out.items()))
def ok(schema, example, status="200", description="OK"):
    return {status: {"description": description, "content": {"application/json": {
        "schema": {"$ref": f"#/components/schemas/{schema}"}, "examples": {"recorded": {"summary": "From the API test suite", "value": example}}}}}}
uuid_path = lambda name="id": {"in": "path", "name": name, "required": True, "schema": {"type": "string", "format": "uuid"}}
S = d["components"]["schemas"]
money = lambda a, c="CNY": {"amount": a, "currency": c}

bank_example_full = {"name": "Hanse Textil GmbH", "scheme": "iban", "account": "DE89370400440532013000", "bank_code": None, "masked": False}
bank_example_domestic = {"name": "深圳市某某贸易有限公司", "scheme": "domestic", "account": "6222020200001234567", "bank_code": "102584000002", "masked": False}
bank_example_masked = {"name": "深圳市某某贸易有限公司", "scheme": "domestic", "account": "****4567", "bank_code": "102584000002", "masked": True}
order_example = {
    "id": "5f0c1f7e-3b0e-4d7c-9a43-3f1f7d8f2a11", "end_to_end_id": "QZ261130K3M9T2XQ7HB4VN1C", "status": "settled",
    "source_type": "financing_advance", "source_id": "2b9d2f8e-5a43-4e0b-8d6f-6c1d9e7b3a20", "creditor_type": "supplier",
    "creditor_ref": "ed91f2d5-aeea-4080-b947-37a958df68fb", "creditor": bank_example_domestic, "awaiting_creditor_details": False,
    "amount": money("7909.16"), "requested_execution_date": "2026-11-30", "purpose": "LOAN",
    "remittance": "Financing advance 2b9d2f8e-5a43-4e0b-8d6f-6c1d9e7b3a20", "batch_id": "9c4f5e2a-1d3b-4a6c-8e7f-0b1a2c3d4e5f",
    "return_reason": None, "business_date": "2026-11-30", "created_at": "2026-11-30T10:01:23Z", "updated_at": "2026-11-30T16:05:09Z"}
batch_example = {
    "id": "9c4f5e2a-1d3b-4a6c-8e7f-0b1a2c3d4e5f", "message_id": "QZB261130K3M9T2XQ7HB4VN", "status": "written",
    "debtor_account": "102100099996:0200000000000000001", "currency": "CNY", "execution_date": "2026-11-30",
    "business_date": "2026-11-30", "order_count": 2, "control_sum": money("8992.26"),
    "file_sha256": "3f5a0c9d1e2b4a6c8e0f1a3b5c7d9e1f2a4b6c8d0e2f4a6b8c0d2e4f6a8b0c2d", "created_at": "2026-11-30T16:05:09Z", "sent_at": None}

S["BankDetails"] = {
    "type": "object", "description": "Where a payee is paid. `account` is the IBAN or the domestic account number in full only to an "
    "operator reading one payee; elsewhere it is masked (`****1234`, `masked: true`). `bank_code` is the CNAPS code or BIC of a domestic account.",
    "additionalProperties": False, "required": ["name", "scheme", "account", "bank_code", "masked"],
    "properties": {"name": {"type": "string"}, "scheme": {"enum": ["iban", "domestic"]}, "account": {"type": "string"},
                   "bank_code": {"type": ["string", "null"]}, "masked": {"type": "boolean"}}}
S["BankDetailsRequest"] = {
    "type": "object", "description": "A payee's bank details: `name` and either `iban` (ISO 13616, check digits verified; the IBAN names its bank, so no `bank_code`) "
    "or `account_number` (8–30 digits) with `bank_code` (a 12-digit CNAPS code or an 8/11-character BIC). A bad value is a 422 naming the field.",
    "additionalProperties": False, "required": ["name"],
    "properties": {"name": {"type": "string", "minLength": 1, "maxLength": 140, "pattern": "\\S"},
                   "iban": {"type": "string", "minLength": 5, "maxLength": 42, "pattern": "^[A-Za-z]{2}[0-9]{2}[A-Za-z0-9 ]+$"},
                   "account_number": {"type": "string", "minLength": 8, "maxLength": 40, "pattern": "^[0-9 ]+$"},
                   "bank_code": {"type": "string", "minLength": 8, "maxLength": 12, "pattern": "^[A-Za-z0-9]+$"}}}
S["PaymentOrder"] = {
    "type": "object", "description": "An instruction to pay money out, created in the same transaction as the ledger entry that moved it "
    "(unique per source movement: nothing is paid twice). Lifecycle pending → batched → sent → settled | returned | failed, each step audited. "
    "`creditor` is null (and `awaiting_creditor_details` true) while the payee's bank details are unknown; such an order is not batched until "
    "an operator sets them. Details are copied in at batching and frozen from then on.",
    "additionalProperties": False,
    "required": ["id", "end_to_end_id", "status", "source_type", "source_id", "creditor_type", "creditor_ref", "creditor",
                 "awaiting_creditor_details", "amount", "requested_execution_date", "purpose", "remittance", "batch_id", "return_reason",
                 "business_date", "created_at", "updated_at"],
    "properties": {
        "id": {"type": "string", "format": "uuid"},
        "end_to_end_id": {"type": "string", "pattern": "^[A-Z0-9]{1,35}$", "description": "Our pain.001 EndToEndId; the bank quotes it back"},
        "status": {"enum": ["pending", "batched", "sent", "settled", "returned", "failed"]},
        "source_type": {"enum": ["financing_advance", "supplier_remainder", "claim_payout", "merchant_payable", "consumer_refund"]},
        "source_id": {"type": "string", "description": "The financing request, receivable, claim, checkout or refund paid"},
        "creditor_type": {"enum": ["supplier", "seller", "merchant", "consumer"]},
        "creditor_ref": {"type": "string", "description": "Supplier id, seller or merchant reference, or the consumer's credit account id"},
        "creditor": {"oneOf": [{"$ref": "#/components/schemas/BankDetails"}, {"type": "null"}]},
        "awaiting_creditor_details": {"type": "boolean"},
        "amount": {"$ref": "#/components/schemas/Money"},
        "requested_execution_date": {"type": "string", "format": "date"},
        "purpose": {"type": "string", "description": "ISO 20022 purpose code (LOAN, SUPP, INPC, GDDS, REFU)"},
        "remittance": {"type": "string"},
        "batch_id": {"type": ["string", "null"], "format": "uuid"},
        "return_reason": {"type": ["string", "null"], "description": "The bank's return reason code (camt.053 RtrInf/Rsn/Cd)"},
        "business_date": {"type": "string", "format": "date"},
        "created_at": {"type": "string", "format": "date-time"},
        "updated_at": {"type": "string", "format": "date-time"},
        "steps": {"type": "array", "description": "Only on GET /v1/payment-orders/{id}: every status step, oldest first",
                  "items": {"$ref": "#/components/schemas/PaymentOrderStep"}}}}
S["PaymentOrderStep"] = {
    "type": "object", "additionalProperties": False, "required": ["from", "to", "actor", "detail", "at"],
    "properties": {"from": {"type": ["string", "null"]}, "to": {"type": "string"}, "actor": {"type": "string"},
                   "detail": {"type": "string"}, "at": {"type": "string", "format": "date-time"}}}
S["PaymentOrderPage"] = {
    "type": "object", "description": "A page of payment orders, newest first. Follow next_cursor (null on the last page) with the same filters.",
    "additionalProperties": False, "required": ["data", "next_cursor"],
    "properties": {"data": {"type": "array", "items": {"$ref": "#/components/schemas/PaymentOrder"}},
                   "next_cursor": {"type": ["string", "null"], "description": "Pass as cursor for the next page"}}}
S["PaymentBatch"] = {
    "type": "object", "description": "A pain.001.001.09 file of pending orders of one debtor account and currency, executed on `execution_date`. "
    "Immutable once written (its bytes and their SHA-256 are stored; a trigger refuses changes); only `status` moves from written to sent. "
    "`message_id` is also the file's one PmtInfId, so a bank booking the batch as one entry may quote either.",
    "additionalProperties": False,
    "required": ["id", "message_id", "status", "debtor_account", "currency", "execution_date", "business_date", "order_count", "control_sum",
                 "file_sha256", "created_at", "sent_at"],
    "properties": {
        "id": {"type": "string", "format": "uuid"}, "message_id": {"type": "string"}, "status": {"enum": ["written", "sent"]},
        "debtor_account": {"type": "string"}, "currency": {"type": "string", "pattern": "^[A-Z]{3}$"},
        "execution_date": {"type": "string", "format": "date"}, "business_date": {"type": "string", "format": "date"},
        "order_count": {"type": "integer", "minimum": 1}, "control_sum": {"$ref": "#/components/schemas/Money"},
        "file_sha256": {"type": "string", "pattern": "^[0-9a-f]{64}$"}, "created_at": {"type": "string", "format": "date-time"},
        "sent_at": {"type": ["string", "null"], "format": "date-time"}}}
S["PaymentBatchPage"] = {
    "type": "object", "description": "A page of payment batches, newest first.", "additionalProperties": False, "required": ["data", "next_cursor"],
    "properties": {"data": {"type": "array", "items": {"$ref": "#/components/schemas/PaymentBatch"}},
                   "next_cursor": {"type": ["string", "null"], "description": "Pass as cursor for the next page"}}}
S["PaymentBatchesWritten"] = {
    "type": "object", "description": "The batches this call wrote (none when no order was due with known creditor details).",
    "additionalProperties": False, "required": ["data"],
    "properties": {"data": {"type": "array", "items": {"$ref": "#/components/schemas/PaymentBatch"}}}}
S["PaymentOrderFailureRequest"] = {
    "type": "object", "additionalProperties": False, "required": ["reason"],
    "properties": {"reason": {"type": "string", "minLength": 1, "maxLength": 500, "pattern": "\\S"}}}
S["PaymentBatchRequest"] = {
    "type": "object", "additionalProperties": False, "required": [],
    "properties": {"business_date": {"type": "string", "format": "date", "description": "Orders due by this date; default today"}}}
S["Supplier"]["properties"]["bank_details"] = {
    "$ref": "#/components/schemas/BankDetails",
    "description": "Where the supplier is paid, when set (PUT /v1/suppliers/{id}/bank-details): in full only to an operator reading this supplier, masked otherwise"}

ex = lambda v: {"recorded": {"summary": "From the API test suite", "value": v}}
enum_q = lambda name, values, desc: {"in": "query", "name": name, "required": False, "description": desc, "schema": {"enum": values}}
paths = d["paths"]
paths["/v1/payment-orders"] = {"get": {
    "tags": ["payments"], "summary": "Payment orders, newest first, paged and filtered (operator); creditor accounts masked",
    "parameters": [{"$ref": "#/components/parameters/Limit"}, {"$ref": "#/components/parameters/Cursor"},
                   enum_q("status", ["pending", "batched", "sent", "settled", "returned", "failed"], "only this status"),
                   enum_q("source_type", ["financing_advance", "supplier_remainder", "claim_payout", "merchant_payable", "consumer_refund"], "only this source"),
                   {"in": "query", "name": "currency", "required": False, "schema": {"type": "string", "pattern": "^[A-Z]{3}$", "maxLength": 3}},
                   enum_q("creditor_type", ["supplier", "seller", "merchant", "consumer"], "only this kind of creditor"),
                   {"in": "query", "name": "creditor_ref", "required": False, "description": "only this creditor (with creditor_type)",
                    "schema": {"type": "string", "minLength": 1, "maxLength": 200}},
                   {"in": "query", "name": "batch_id", "required": False, "schema": {"type": "string", "format": "uuid"}}],
    "responses": {**ok("PaymentOrderPage", {"data": [dict(order_example, creditor=bank_example_masked)], "next_cursor": None}), **errs(401, 403, 422)}}}
paths["/v1/payment-orders/{id}"] = {"get": {
    "tags": ["payments"], "summary": "One payment order with the creditor's account in full (operator)",
    "parameters": [uuid_path()], "responses": {**ok("PaymentOrder", dict(order_example, steps=[
        {"from": None, "to": "pending", "actor": "system", "detail": "financing_advance", "at": "2026-11-30T10:01:23Z"},
        {"from": "pending", "to": "batched", "actor": "00000000-0000-0000-0000-000000000000", "detail": "QZB261130K3M9T2XQ7HB4VN", "at": "2026-11-30T16:05:09Z"},
        {"from": "batched", "to": "sent", "actor": "3b1f0a52-3c1e-4a8e-9a57-2c7d5f0e9b11", "detail": "batch sent", "at": "2026-11-30T16:10:00Z"},
        {"from": "sent", "to": "settled", "actor": "reconciliation", "detail": "matched on the bank statement", "at": "2026-12-01T02:03:04Z"}])),
        **errs(401, 403, 404, 422)}}}
paths["/v1/payment-orders/{id}/failure"] = {"post": {
    "tags": ["payments"], "summary": "Mark an order failed: cancelled while pending, or rejected by the bank after it was sent (operator)",
    "description": "A batched order is refused (409 payment_order_not_failable): its file may still reach the bank. When the amount had "
    "already left cash in the ledger it comes back against platform.payment_returns.<ccy> (the creditor is still owed) and neither entry "
    "is expected on a statement any more. The reason is kept on the order's last step.",
    "parameters": [uuid_path(), {"$ref": "#/components/parameters/IdempotencyKey"}],
    "requestBody": {"required": True, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/PaymentOrderFailureRequest"},
                                                                        "examples": ex({"reason": "rejected by the bank: AC01 incorrect account number"})}}},
    "responses": {**ok("PaymentOrder", dict(order_example, status="failed")), **errs(400, 401, 403, 404, 409, 415, 422)}}}
paths["/v1/payment-batches"] = {
    "get": {"tags": ["payments"], "summary": "Payment batches, newest first, paged (operator)",
            "parameters": [{"$ref": "#/components/parameters/Limit"}, {"$ref": "#/components/parameters/Cursor"}],
            "responses": {**ok("PaymentBatchPage", {"data": [batch_example], "next_cursor": None}), **errs(401, 403, 422)}},
    "post": {"tags": ["payments"], "summary": "Write pain.001.001.09 batches of the pending orders due (operator)",
             "description": "Groups the pending orders due by `business_date` whose creditor details are known per debtor account and currency, "
             "writes one file each and marks the orders batched, in one transaction. The nightly run does the same (step write_payment_batches).",
             "parameters": [{"$ref": "#/components/parameters/IdempotencyKey"}],
             "requestBody": {"required": True, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/PaymentBatchRequest"},
                                                                                 "examples": ex({"business_date": "2026-11-30"})}}},
             "responses": {**ok("PaymentBatchesWritten", {"data": [batch_example]}, status="201", description="Batches written"),
                           **errs(400, 401, 403, 409, 415, 422)}}}
paths["/v1/payment-batches/{id}"] = {"get": {
    "tags": ["payments"], "summary": "One payment batch (operator)",
    "parameters": [uuid_path()], "responses": {**ok("PaymentBatch", batch_example), **errs(401, 403, 404, 422)}}}
xml_example = ('<?xml version="1.0" encoding="UTF-8"?>\n<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.001.001.09">\n'
               '  <CstmrCdtTrfInitn>\n    <GrpHdr>\n      <MsgId>QZB261130K3M9T2XQ7HB4VN</MsgId>\n      <CreDtTm>2026-11-30T16:05:09Z</CreDtTm>\n'
               '      <NbOfTxs>2</NbOfTxs>\n      <CtrlSum>8992.26</CtrlSum>\n')
paths["/v1/payment-batches/{id}/file"] = {"get": {
    "tags": ["payments"], "summary": "The batch's pain.001.001.09 file, the same bytes every time (operator)",
    "description": "The bytes stored when the batch was written; `ETag` is their SHA-256. `qianzhuang payment-batch export <id>` writes the same file.",
    "parameters": [uuid_path()],
    "responses": {"200": {"description": "The file", "content": {"application/xml": {"schema": {"type": "string"},
                                                                                      "examples": {"head": {"summary": "The start of a file", "value": xml_example}}}}},
                  **errs(401, 403, 404, 422)}}}
paths["/v1/payment-batches/{id}/sent"] = {"post": {
    "tags": ["payments"], "summary": "Mark a batch sent to the bank: its orders become sent (operator)",
    "description": "Idempotent: a batch already sent is returned unchanged. Orders paying a claim or a merchant clear their payable against cash now.",
    "parameters": [uuid_path(), {"$ref": "#/components/parameters/IdempotencyKey"}],
    "responses": {**ok("PaymentBatch", dict(batch_example, status="sent", sent_at="2026-11-30T16:10:00Z")), **errs(401, 403, 404, 422)}}}
paths["/v1/suppliers/{id}/bank-details"] = {"put": {
    "tags": ["suppliers"], "summary": "Set a supplier's bank details (operator, audited with the account masked)",
    "parameters": [uuid_path()],
    "requestBody": {"required": True, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/BankDetailsRequest"},
        "examples": ex({"name": "深圳市某某贸易有限公司", "account_number": "6222020200001234567", "bank_code": "102584000002"})}}},
    "responses": {**ok("BankDetails", bank_example_domestic), **errs(400, 401, 403, 404, 415, 422)}}}
party_params = [{"in": "path", "name": "party_type", "required": True, "schema": {"enum": ["seller", "merchant", "consumer"]}},
                {"in": "path", "name": "party_ref", "required": True, "description": "seller or merchant reference, or a consumer's credit account id",
                 "schema": {"type": "string", "minLength": 1, "maxLength": 200}}]
paths["/v1/payees/{party_type}/{party_ref}/bank-details"] = {
    "get": {"tags": ["payments"], "summary": "A seller's, merchant's or consumer's bank details, in full (operator)",
            "parameters": party_params, "responses": {**ok("BankDetails", bank_example_full), **errs(401, 403, 404, 422)}},
    "put": {"tags": ["payments"], "summary": "Set a seller's, merchant's or consumer's bank details (operator, audited)",
            "description": "Pending orders to this payee pick them up when they are batched.",
            "parameters": party_params,
            "requestBody": {"required": True, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/BankDetailsRequest"},
                "examples": ex({"name": "Hanse Textil GmbH", "iban": "DE89 3704 0044 0532 0130 00"})}}},
            "responses": {**ok("BankDetails", bank_example_full), **errs(400, 401, 403, 415, 422)}}}

kinds = d["components"]["parameters"]["ExceptionKind"]["schema"]["enum"]
for k in ["payment_returned", "payment_unsettled"]:
    if k not in kinds: kinds.append(k)
kind_prop = S["ReconciliationException"]["properties"]["kind"]
for k in ["payment_returned", "payment_unsettled"]:
    if k not in kind_prop["enum"]: kind_prop["enum"].append(k)

text = yaml.safe_dump(d, sort_keys=False, allow_unicode=True, width=120)
broken = """                  value: '# TYPE http_requests_total counter

                    http_requests_total{method="GET",route="/v1/ledger/trial-balance",status="200"} 3

                    '
"""
fixed = """                  value: |
                    # TYPE http_requests_total counter
                    http_requests_total{method="GET",route="/v1/ledger/trial-balance",status="200"} 3
"""
assert broken in text, "metrics block not found"
text = text.replace(broken, fixed)
open(path, "w").write(text)
