"""The OpenAPI contract (Sources/HTTPAPI/openapi.yaml) as data, and response validation against it.

Validation is JSON Schema 2020-12 (what OpenAPI 3.1 schemas are) with the `jsonschema` package; a
`$ref` resolves inside the document. An operation is found by matching the request path against
the documented path templates, literal segments before `{parameters}`, as the router does.
"""
import json
import pathlib
import re
import urllib.parse

import yaml
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

ROOT = pathlib.Path(__file__).resolve().parents[2]
CONTRACT = ROOT / "Sources" / "HTTPAPI" / "openapi.yaml"
METHODS = ("get", "post", "put", "patch", "delete")
URI = "urn:qianzhuang:openapi"


def load(path=CONTRACT):
    with open(path, encoding="utf-8") as f:
        return yaml.safe_load(f)


class Contract:
    def __init__(self, document):
        self.document = document
        self.registry = Registry().with_resource(URI, Resource(contents=document, specification=DRAFT202012))
        self.templates = []
        for path, item in document["paths"].items():
            segments = path.strip("/").split("/")
            pattern = "^/" + "/".join("[^/]+" if s.startswith("{") else re.escape(s) for s in segments) + "$"
            literal = sum(0 if s.startswith("{") else 1 for s in segments)
            self.templates.append((re.compile(pattern), -literal, path))
        self.templates.sort(key=lambda t: (t[1], t[2]))

    def operations(self):
        for path, item in self.document["paths"].items():
            for method in METHODS:
                if method in item:
                    yield method, path, item[method]

    def template_for(self, raw_path):
        for pattern, _, path in self.templates:
            if pattern.match(raw_path):
                return path
        return None

    def resolve(self, node):
        while isinstance(node, dict) and "$ref" in node:
            ref = node["$ref"]
            node = self.document
            for part in ref.lstrip("#/").split("/"):
                node = node[part]
        return node

    def validator(self, schema):
        """A validator for `schema`, whose local references (`#/components/…`) point into the document."""
        def anchor(node):
            if isinstance(node, dict):
                return {k: (f"{URI}{v}" if k == "$ref" and isinstance(v, str) and v.startswith("#") else anchor(v))
                        for k, v in node.items()}
            if isinstance(node, list):
                return [anchor(v) for v in node]
            return node
        return Draft202012Validator(anchor(schema), registry=self.registry)

    def check_request(self, method, uri, body):
        """The ways an accepted request breaks its operation's request schema or parameter schemas."""
        split = urllib.parse.urlsplit(uri)
        path = self.template_for(split.path)
        if path is None or method.lower() not in self.document["paths"][path]:
            return []
        operation = self.document["paths"][path][method.lower()]
        name = f"{method.upper()} {path}"
        out = []
        parameters = {}
        for parameter in operation.get("parameters", []) + self.document["paths"][path].get("parameters", []):
            parameter = self.resolve(parameter)
            parameters[(parameter["in"], parameter["name"])] = parameter
        for key, values in urllib.parse.parse_qs(split.query, keep_blank_values=True).items():
            parameter = parameters.get(("query", key))
            if parameter is None:
                out.append((name, f"query parameter {key!r} is not documented"))
                continue
            schema = parameter.get("schema", {})
            for value in values:
                instance = int(value) if schema.get("type") == "integer" and re.fullmatch(r"-?[0-9]+", value) else value
                out += [(name, f"query {key}={value!r}: {e.message}") for e in self.validator(schema).iter_errors(instance)]
        segments, template = split.path.strip("/").split("/"), path.strip("/").split("/")
        for segment, part in zip(segments, template):
            if part.startswith("{"):
                parameter = parameters.get(("path", part[1:-1]))
                if parameter is not None:
                    value = urllib.parse.unquote(segment)
                    out += [(name, f"path {part}={value!r}: {e.message}")
                            for e in self.validator(parameter.get("schema", {})).iter_errors(value)]
        media = operation.get("requestBody", {}).get("content", {}).get("application/json")
        if media is not None and body is not None:
            try:
                instance = json.loads(body)
            except ValueError:
                return out + [(name, "request body is not JSON")]
            out += [(name, f"request {'/'.join(str(p) for p in e.absolute_path) or '(root)'}: {e.message}")
                    for e in self.validator(media["schema"]).iter_errors(instance)]
        return out

    def check(self, method, uri, status, content_type, body):
        """The problems with one exchange, as (operation, message) pairs; none when it conforms."""
        raw_path = urllib.parse.urlsplit(uri).path
        path = self.template_for(raw_path)
        if path is None:
            return []   # a path the router does not serve either (a 404 test); the route test covers routes
        operation = self.document["paths"][path].get(method.lower())
        name = f"{method.upper()} {path}"
        if operation is None:
            return []   # 405 from the router
        responses = operation.get("responses", {})
        response = responses.get(str(status)) or responses.get(f"{str(status)[0]}XX") or responses.get("default")
        if response is None:
            return [(name, f"status {status} is not documented")]
        response = self.resolve(response)
        content = response.get("content")
        if not content:
            return []
        media = (content_type or "").split(";")[0].strip()
        if media not in content:
            return [(name, f"{status}: content type {media!r} is not documented (documented: {sorted(content)})")]
        schema = content[media].get("schema")
        if schema is None or not media.endswith("json"):
            return []
        try:
            instance = json.loads(body)
        except ValueError:
            return [(name, f"{status}: the body is not JSON")]
        return [(name, f"{status}: {'/'.join(str(p) for p in e.absolute_path) or '(root)'}: {e.message}")
                for e in self.validator(schema).iter_errors(instance)]
