"""The OpenAPI spec with every error a route can answer, all in the one `ErrorOut` schema.

FastAPI documents only the success response and its own 422 (whose body shape is not ours). The
statuses that follow from an operation's shape are added here, so a new route is documented without
anyone remembering to: authentication (401, 429 per account; 403 for a cookie-authenticated write
from another site), path ids (404), parameters and bodies (422), bodies (413; 400 for one that does not
parse). Statuses that come from elsewhere are declared where they arise: the per-address limit
(429) on the router that applies it, a route's own 409/415/503 with `error_docs(...)` on the route."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from pydantic.json_schema import models_json_schema

from echome.app.errors import DESCRIPTIONS, ErrorOut

REF_PREFIX = "#/components/schemas/"
_UNSAFE = {"post", "put", "patch", "delete"}
_METHODS = {"get", "head", "options", "trace", *_UNSAFE}


def implied_errors(method: str, operation: dict[str, Any]) -> set[int]:
    """The error statuses an operation can answer because of its shape."""
    codes: set[int] = set()
    if operation.get("security"):
        codes |= {401, 429}
        if method in _UNSAFE:
            codes.add(403)  # a browser session's write from another origin
    params = operation.get("parameters", [])
    if any(p.get("in") == "path" for p in params):
        codes.add(404)
    if params:
        codes.add(422)
    if operation.get("requestBody") is not None:
        codes |= {400, 413, 422}  # 400: JSON that does not parse, a broken multipart body
    return codes


def error_response(code: int) -> dict[str, Any]:
    return {
        "description": DESCRIPTIONS.get(code, "Error"),
        "content": {"application/json": {"schema": {"$ref": REF_PREFIX + "ErrorOut"}}},
    }


def document_errors(schema: dict[str, Any]) -> dict[str, Any]:
    """Add the implied error responses to `schema` and make every 422 the `ErrorOut` shape."""
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    _, defs = models_json_schema([(ErrorOut, "serialization")], ref_template=REF_PREFIX + "{model}")
    components.update(defs.get("$defs", {}))
    for item in schema.get("paths", {}).values():
        for method, operation in item.items():
            if method not in _METHODS:
                continue
            responses = operation.setdefault("responses", {})
            for code in sorted(implied_errors(method, operation)):
                responses.setdefault(str(code), error_response(code))
            if _is_fastapi_validation(responses.get("422", {})):
                responses["422"] = error_response(422)
    for name in ("HTTPValidationError", "ValidationError"):
        components.pop(name, None)
    return schema


def _is_fastapi_validation(response: dict[str, Any]) -> bool:
    content = response.get("content", {}).get("application/json", {})
    return str(content.get("schema", {}).get("$ref", "")).endswith("/HTTPValidationError")


def install_openapi(app: FastAPI) -> None:
    """Make `app.openapi()` (so /openapi.json) the spec with every error documented."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = document_errors(generate())
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
