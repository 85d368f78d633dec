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


def test_every_operation_is_exercised_by_the_api_tests():
    exchanges = _exchanges()
    if exchanges is None:
        pytest.skip("QZ_CONTRACT_LOG is not set")
    seen = {f"{e['method'].upper()} {CONTRACT_.template_for(e['uri'].split('?')[0])}" for e in exchanges if e["status"] < 300}
    untested = [f"{m.upper()} {p}" for m, p, _ in CONTRACT_.operations() if f"{m.upper()} {p}" not in seen]
    assert not untested, f"operations no API test calls successfully: {untested}"
