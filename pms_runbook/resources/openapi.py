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
        return self._enum(_at(self.doc, "components", "schemas", schema, "properties", field))

    def _enum(self, node: Any, depth: int = 0) -> frozenset[str] | None:
        if not isinstance(node, dict) or depth > 5:
            return None
        if isinstance(node.get("enum"), list):
            return frozenset(str(v) for v in node["enum"] if v is not None)
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/components/schemas/"):
            return self._enum(_at(self.doc, "components", "schemas", ref.rsplit("/", 1)[1]), depth + 1)
        for key in ("anyOf", "oneOf", "allOf"):
            subs = node.get(key)
            for sub in subs if isinstance(subs, list) else []:
                found = self._enum(sub, depth + 1)
                if found:
                    return found
        return None

    def response_schema(self, path: str, method: str = "get") -> str | None:
        """The component name of a path's 200/201 JSON response (an array's items for a list)."""
        for code in ("200", "201"):
            schema = _at(self.doc, "paths", path, method, "responses", code, "content", "application/json", "schema")
            if isinstance(schema, dict) and schema.get("type") == "array":
                schema = schema.get("items")
            ref = schema.get("$ref") if isinstance(schema, dict) else None
            if isinstance(ref, str):
                return ref.rsplit("/", 1)[1]
        return None


def _at(node: Any, *keys: str) -> Any:
    """node[k1][k2]... through objects only; None where a key or an object is missing."""
    for key in keys:
        if not isinstance(node, dict):
            return None
        node = node.get(key)
    return node


@total(ENDPOINT)
def parse_openapi(body: Any) -> OpenApi:
    doc = expect_object(load_json(body, endpoint=ENDPOINT), ENDPOINT, body)
    paths = doc.get("paths")
    if not isinstance(paths, dict):
        raise BadAnswer(ENDPOINT, "no `paths` object: not an OpenAPI document", excerpt_of(body))
    return OpenApi(frozenset(paths), doc)
