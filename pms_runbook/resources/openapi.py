"""The API's /openapi.json as the quick-reference checks read it: whether a path is there, and the enum a
response or request field carries (a `Literal` in the backend: BookingStatus, BillingUnit)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pms_runbook.resources.answer import BadAnswer, excerpt_of, expect_object, load_json, total

ENDPOINT = "GET /openapi.json"


@dataclass(frozen=True)
class OpenApi:
    paths: frozenset[str]
    doc: dict

    def enum_of(self, schema: str, field: str) -> frozenset[str] | None:
        """The values of `schema`.`field` (inline, through a $ref, or an anyOf with null); None when absent."""
        props = ((self.doc.get("components") or {}).get("schemas") or {}).get(schema, {}).get("properties") or {}
        return self._enum(props.get(field))

    def _enum(self, node: Any, depth: int = 0) -> frozenset[str] | None:
        if not isinstance(node, dict) or depth > 5:
            return None
        if isinstance(node.get("enum"), list):
            return frozenset(str(v) for v in node["enum"] if v is not None)
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/components/schemas/"):
            return self._enum(self.doc["components"]["schemas"].get(ref.rsplit("/", 1)[1]), depth + 1)
        for key in ("anyOf", "oneOf", "allOf"):
            for sub in node.get(key) or []:
                found = self._enum(sub, depth + 1)
                if found:
                    return found
        return None

    def response_schema(self, path: str, method: str = "get") -> str | None:
        """The component name of a path's 200/201 JSON response (an array's items for a list)."""
        op = ((self.doc.get("paths") or {}).get(path) or {}).get(method) or {}
        for code in ("200", "201"):
            schema = ((((op.get("responses") or {}).get(code) or {}).get("content") or {})
                      .get("application/json") or {}).get("schema") or {}
            schema = schema.get("items", schema) if schema.get("type") == "array" else schema
            ref = schema.get("$ref")
            if isinstance(ref, str):
                return ref.rsplit("/", 1)[1]
        return None


@total(ENDPOINT)
def parse_openapi(body: Any) -> OpenApi:
    doc = expect_object(load_json(body, endpoint=ENDPOINT), ENDPOINT, body)
    paths = doc.get("paths")
    if not isinstance(paths, dict):
        raise BadAnswer(ENDPOINT, "no `paths` object: not an OpenAPI document", excerpt_of(body))
    return OpenApi(frozenset(paths), doc)
