"""Schemathesis hooks for .ci/fuzz.

1. A fresh Idempotency-Key per request. A real client sends a new key for each operation it means to
   perform and the same key only to retry the same request. Schemathesis draws header values from the
   schema, so its coverage phase sends the same boundary key ("0") with different bodies and the
   server rightly answers 422 "already used with a different request"; that tests nothing about the
   contract. The replay rules have their own tests (IdempotencyTransactionTests, Tests/fault).

2. Hostile text in every free-text field (#12). Every request body field the contract declares as free
   text (a string whose pattern is `\\S`) gets quotes, a backslash, markup characters and CJK in front
   of the generated value. The `text_round_trips` check then holds the server to it: an accepted
   request that echoes such a field at the same place in its response echoes it unchanged (trimmed,
   and compared without case where the server normalises case). A 4xx is fine; a 5xx is caught by
   not_a_server_error.
"""
import json
import os
import urllib.request
import uuid

import schemathesis

HOSTILE = '錢"\\\'<&> '
_spec = None
_sent = {}


def _document():
    global _spec
    if _spec is None:
        with urllib.request.urlopen(os.environ["QZ_FUZZ_SPEC"]) as response:
            _spec = json.load(response)
    return _spec


def _resolve(node):
    while isinstance(node, dict) and "$ref" in node:
        target = _document()
        for part in node["$ref"].lstrip("#/").split("/"):
            target = target[part]
        node = target
    return node


def _free_text(schema):
    schema = _resolve(schema)
    return isinstance(schema, dict) and schema.get("type") == "string" and schema.get("pattern") == "\\S"


def _poison(schema, value, path, out):
    """Prefix HOSTILE to every free-text string in `value`; record (path, sent) pairs in `out`."""
    schema = _resolve(schema)
    if isinstance(value, dict) and isinstance(schema, dict):
        for key, sub in schema.get("properties", {}).items():
            if key not in value:
                continue
            if _free_text(sub) and isinstance(value[key], str):
                limit = _resolve(sub).get("maxLength", 200)
                if not value[key].startswith(HOSTILE):   # a replayed case is not poisoned twice
                    value[key] = (HOSTILE + value[key])[:limit]
                out.append((path + (key,), value[key]))
            else:
                _poison(sub, value[key], path + (key,), out)


@schemathesis.hook
def before_call(ctx, case, **kwargs):
    _sent.pop(id(case), None)
    if case.headers is not None and "Idempotency-Key" in case.headers:
        case.headers["Idempotency-Key"] = f"fuzz-{uuid.uuid4()}"
    if not os.environ.get("QZ_FUZZ_SPEC") or not isinstance(case.body, dict):
        return
    operation = _document()["paths"].get(case.path, {}).get(case.method.lower(), {})
    media = operation.get("requestBody", {}).get("content", {}).get("application/json")
    if media:
        sent = []
        _poison(media.get("schema", {}), case.body, (), sent)
        _sent[id(case)] = (case.method, case.path, sent)


def _record(label):
    """Which fields were compared, for the artifacts (`round-trips.txt`: one line per field)."""
    directory = os.environ.get("QZ_FUZZ_ARTIFACTS")
    if directory and label not in _recorded:
        _recorded.add(label)
        with open(os.path.join(directory, "round-trips.txt"), "a", encoding="utf-8") as f:
            f.write(label + "\n")


_recorded = set()


@schemathesis.check
def text_round_trips(ctx, response, case):
    method, path, sent = _sent.get(id(case), (None, None, None))
    if method != case.method or path != case.path:   # ids of collected cases are reused
        return None
    if not sent or not 200 <= response.status_code < 300:
        return None
    try:
        body = response.json()
    except ValueError:
        return None
    for fields, value in sent:
        echoed = body
        for key in fields:
            echoed = echoed.get(key) if isinstance(echoed, dict) else None
        if isinstance(echoed, str):
            _record(f"{case.method} {case.path} {'.'.join(fields)}")
            expected = value.strip(" \t")
            if echoed != expected and echoed.upper() != expected.upper():
                raise AssertionError(f"{'.'.join(fields)} was sent as {value!r} and came back as {echoed!r}")
    return None
