#!/usr/bin/env python3
"""The contract as swift-openapi-generator 1.x reads it: Sources/HTTPAPI/openapi.yaml, restated where the
generator would otherwise lose a field or its type; the contract itself stays as written.

- Every operation gets an operationId (the generator skips operations without one; the contract names none):
  derived from method and path, e.g. GET /v1/credit-accounts/{id}/bills -> getCreditAccountsByIdBills.
- An `enum` or `const` without `type` gets the type of its values (else the generator types it as any JSON value).
- A property `oneOf: [{$ref: X}, {type: 'null'}]` becomes `$ref: X`, optional (the generator skips the null
  branch and then the whole property, and its strict decoder would reject the field as unknown). The generator
  renders every nullable property, `type: [string, 'null']` included, as an Optional in the same way.

Usage: openapi_for_generator.py IN.yaml OUT.json"""
import json
import re
import sys

import yaml

METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


def camel(text):
    return "".join(part[:1].upper() + part[1:] for part in re.split(r"[^A-Za-z0-9]+", text) if part)


def operation_id(method, path):
    words = []
    for segment in path.strip("/").split("/"):
        if segment == "v1" or not segment:
            continue
        words.append("By" + camel(segment[1:-1]) if segment.startswith("{") else camel(segment))
    return method + "".join(words)


JSON_TYPES = ((bool, "boolean"), (int, "integer"), (float, "number"), (str, "string"))


def json_type(value):
    if value is None:
        return "null"
    return next(name for kind, name in JSON_TYPES if isinstance(value, kind))


def is_null(schema):
    return isinstance(schema, dict) and schema.get("type") == "null" and len(schema) == 1


def restate(node):
    """Applies the schema rewrites in the module docstring to every schema under node."""
    if isinstance(node, list):
        for item in node:
            restate(item)
        return
    if not isinstance(node, dict):
        return
    if "type" not in node and ("enum" in node or "const" in node):
        values = node["enum"] if "enum" in node else [node["const"]]
        types = sorted({json_type(value) for value in values}, key=lambda t: t == "null")
        node["type"] = types[0] if len(types) == 1 else types
    properties = node.get("properties")
    if isinstance(properties, dict):
        for name, schema in properties.items():
            branches = schema.get("oneOf") if isinstance(schema, dict) else None
            if branches and len(branches) == 2 and any(map(is_null, branches)) and set(schema) <= {"oneOf", "description"}:
                (kept,) = [branch for branch in branches if not is_null(branch)]
                properties[name] = kept
                if name in node.get("required", []):
                    node["required"] = [other for other in node["required"] if other != name]
    for value in node.values():
        restate(value)


def main(source, target):
    with open(source, encoding="utf-8") as f:
        document = yaml.safe_load(f)
    seen = set()
    for path, item in document["paths"].items():
        for method in METHODS:
            if method in item:
                name = item[method].setdefault("operationId", operation_id(method, path))
                if name in seen:
                    sys.exit(f"duplicate operationId {name} ({method.upper()} {path})")
                seen.add(name)
    restate(document["paths"])
    restate(document["components"])
    with open(target, "w", encoding="utf-8") as f:
        json.dump(document, f, indent=1, ensure_ascii=False, sort_keys=False)
        f.write("\n")


if __name__ == "__main__":
    main(*sys.argv[1:])
