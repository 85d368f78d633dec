"""The contract file is valid, complete and strict, and every response the Swift API tests saw conforms.

Run after `QZ_CONTRACT_LOG=<dir> swift test` (`.ci/run` does): every exchange the tests made through
their HTTP client is held to the contract. Without the log only the static checks run.
"""
import collections
import glob
import json
import os

import pytest
from openapi_spec_validator import validate

from contract import CONTRACT, Contract, load

DOCUMENT = load()
CONTRACT_ = Contract(DOCUMENT)


def test_the_file_is_a_valid_openapi_31_document():
    validate(DOCUMENT)


def test_every_operation_has_an_example():
    missing = []
    for method, path, op in CONTRACT_.operations():
        texts = json.dumps(op)
        if '"example"' not in texts and '"examples"' not in texts:
            missing.append(f"{method.upper()} {path}")
    assert not missing, f"operations without an example: {missing}"


def _response_object_schemas():
    """Every object schema reachable from a 2xx response, with where it was reached from."""
    seen, out = set(), []

    def walk(schema, where):
        if not isinstance(schema, dict):
            return
        if "$ref" in schema:
            name = schema["$ref"]
            if name in seen:
                return
            seen.add(name)
            walk(CONTRACT_.resolve(schema), name)
            return
        if schema.get("type") == "object" or "properties" in schema:
            out.append((where, schema))
        for key in ("properties",):
            for prop, sub in schema.get(key, {}).items():
                walk(sub, f"{where}.{prop}")
        for key in ("items", "additionalProperties"):
            walk(schema.get(key), f"{where}[]")
        for key in ("oneOf", "anyOf", "allOf"):
            for sub in schema.get(key, []):
                walk(sub, where)

    for method, path, op in CONTRACT_.operations():
        for status, response in op.get("responses", {}).items():
            if not status.startswith("2"):
                continue
            for media in CONTRACT_.resolve(response).get("content", {}).values():
                walk(media.get("schema"), f"{method.upper()} {path} {status}")
    return out


def test_every_response_object_lists_required_and_forbids_unknown_properties():
    loose = [where for where, schema in _response_object_schemas()
             if schema.get("properties") and (schema.get("additionalProperties") is not False or "required" not in schema)]
    assert not loose, f"response objects without `required` or with unknown properties allowed: {sorted(set(loose))}"


def _exchanges():
    directory = os.environ.get("QZ_CONTRACT_LOG")
    if not directory:
        return None
    out = []
    for name in sorted(glob.glob(os.path.join(directory, "exchanges-*.jsonl"))):
        with open(name, encoding="utf-8") as f:
            out.extend(json.loads(line) for line in f if line.strip())
    return out


def test_every_response_the_api_tests_saw_conforms_to_the_contract():
    exchanges = _exchanges()
    if exchanges is None:
        pytest.skip("QZ_CONTRACT_LOG is not set: run `QZ_CONTRACT_LOG=<dir> swift test` first (.ci/run does)")
    assert exchanges, "no exchanges recorded"
    problems = collections.Counter()
    for e in exchanges:
        for operation, message in CONTRACT_.check(e["method"], e["uri"], e["status"], e["content_type"], e["response"]):
            problems[f"{operation}: {message}"] += 1
    report = "\n".join(f"{count:5d} × {text}" for text, count in sorted(problems.items()))
    assert not problems, f"{len(problems)} kinds of response that break the contract:\n{report}"


EVENT_OBJECT_SCHEMAS = {
    "checkout": "Checkout", "credit_account": "CreditAccount", "installment_plan": "InstallmentPlan", "claim": "Claim",
    "shipping_policy": "ShippingPolicy", "receivable": "Receivable", "financing_request": "FinancingRequest",
    "nightly_run": "NightlyRun", "reconciliation_exception": "ReconciliationException", "payment_order": "PaymentOrder",
}


def test_every_event_carries_its_object_as_the_api_returns_it():
    """An event's `data` is the object exactly as the API returns it: it validates against that object's schema."""
    exchanges = _exchanges()
    if exchanges is None:
        pytest.skip("QZ_CONTRACT_LOG is not set")
    events = []
    for e in exchanges:
        if e["method"] == "GET" and e["uri"].split("?")[0].startswith("/v1/events") and e["status"] == 200:
            body = json.loads(e["response"])
            events.extend(body["data"] if "data" in body and "object" not in body else [body])
    assert events, "no API test read /v1/events"
    problems, seen = collections.Counter(), set()
    for event in events:
        kind = event["object"]["type"]
        seen.add(kind)
        schema = {"$ref": f"#/components/schemas/{EVENT_OBJECT_SCHEMAS[kind]}"}
        for error in CONTRACT_.validator(schema).iter_errors(event["data"]):
            problems[f"{event['type']}: {error.json_path}: {error.message}"] += 1
        assert event["object"]["id"] == event["data"]["id"], event["type"]
    report = "\n".join(f"{count:5d} × {text}" for text, count in sorted(problems.items()))
    assert not problems, f"events whose data is not the API's object:\n{report}"
    assert {"checkout", "claim", "receivable", "nightly_run"} <= seen, seen


def test_every_operation_is_exercised_by_the_api_tests():
    exchanges = _exchanges()
    if exchanges is None:
        pytest.skip("QZ_CONTRACT_LOG is not set")
    seen = {f"{e['method'].upper()} {CONTRACT_.template_for(e['uri'].split('?')[0])}" for e in exchanges if e["status"] < 300}
    untested = [f"{m.upper()} {p}" for m, p, _ in CONTRACT_.operations() if f"{m.upper()} {p}" not in seen]
    assert not untested, f"operations no API test calls successfully: {untested}"


def test_every_request_the_server_accepted_is_valid_against_the_contract():
    """The request schemas are no stricter than the server: whatever a test sent and got a 2xx for
    (body, query and path parameters) validates. With the fuzz stage, which sends only schema-valid
    requests, this pins the two together from both sides."""
    exchanges = _exchanges()
    if exchanges is None:
        pytest.skip("QZ_CONTRACT_LOG is not set")
    problems = collections.Counter()
    for e in exchanges:
        if 200 <= e["status"] < 300:
            for operation, message in CONTRACT_.check_request(e["method"], e["uri"], e.get("request")):
                problems[f"{operation}: {message}"] += 1
    report = "\n".join(f"{count:5d} × {text}" for text, count in sorted(problems.items()))
    assert not problems, f"{len(problems)} kinds of accepted request the contract calls invalid:\n{report}"


def _request_schemas():
    """(where, schema) for every schema reachable from a request body or a parameter."""
    seen, out = set(), []

    def walk(schema, where, closed=False):
        """`closed`: reached through the allOf of a schema with `unevaluatedProperties: false`."""
        if not isinstance(schema, dict):
            return
        if "$ref" in schema:
            if schema["$ref"] in seen:
                return
            seen.add(schema["$ref"])
            walk(CONTRACT_.resolve(schema), schema["$ref"].split("/")[-1], closed)
            return
        out.append((where, dict(schema, additionalProperties=False) if closed else schema))
        for prop, sub in schema.get("properties", {}).items():
            walk(sub, f"{where}.{prop}")
        walk(schema.get("items"), f"{where}[]")
        for key in ("oneOf", "anyOf", "allOf"):
            for sub in schema.get(key, []):
                walk(sub, where, closed or schema.get("unevaluatedProperties") is False)

    for method, path, op in CONTRACT_.operations():
        for parameter in op.get("parameters", []):
            parameter = CONTRACT_.resolve(parameter)
            walk(parameter.get("schema"), f"{method.upper()} {path} {parameter['in']}:{parameter['name']}")
        json_body = op.get("requestBody", {}).get("content", {}).get("application/json")
        if json_body:   # a statement file (CSV, XML, MT940) is bounded by the body size limit instead
            walk(json_body.get("schema"), f"{method.upper()} {path} body")
    return out


def test_every_request_value_is_bounded_as_the_server_bounds_it():
    """What the server refuses, the contract says: every string has a length or a shape, every integer
    a range, money a request shape (MoneyIn: not negative, at most 10^15 minor units, a booked currency),
    every object refuses unknown fields."""
    loose = []
    for where, schema in _request_schemas():
        kind = schema.get("type")
        if kind == "string" and "maxLength" not in schema and not {"enum", "format", "const"} & schema.keys():
            loose.append(f"{where}: string without maxLength")
        if kind == "string" and "format" not in schema and "enum" not in schema and not (schema.get("minLength") or schema.get("pattern")):
            loose.append(f"{where}: string that may be empty or blank")
        if kind == "integer" and not {"minimum", "maximum"} <= schema.keys():
            loose.append(f"{where}: integer without a range")
        if kind == "object" and schema.get("properties") and schema.get("additionalProperties") is not False:
            loose.append(f"{where}: object that accepts unknown fields")
    request_refs = json.dumps([s for _, s in _request_schemas()])
    if '"#/components/schemas/Money"' in request_refs:
        loose.append("a request uses the response type Money instead of MoneyIn/PositiveMoneyIn")
    assert not loose, "\n".join(sorted(set(loose)))
