"""Every error leaves as JSON `{"error": code, "detail": text}` with the right status."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy.exc import DataError
from starlette.exceptions import HTTPException as StarletteHTTPException

log = logging.getLogger("echome.http")

_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "invalid_request",
    429: "rate_limited",
    500: "internal_error",
    503: "unavailable",
}


# What each documented error status means, as the OpenAPI spec describes it.
DESCRIPTIONS = {
    400: "Malformed request (a body that does not parse, a sign-in callback without its code)",
    401: "Not signed in, or the bearer token is invalid, revoked or expired",
    403: "Not allowed (a cross-site write, a disabled feature, a wrong secret)",
    404: "No such resource among yours",
    409: "Conflicts with the current state (a duplicate, an ambiguous name, not ready yet)",
    413: "Request body or file too large",
    415: "Unsupported file type",
    422: "Invalid input; `fields` says which",
    429: "Too many requests; see Retry-After",
    502: "An upstream service failed",
    503: "A component this needs is unavailable; try again later",
}


class FieldError(BaseModel):
    loc: list[str] = Field(description="Where: body / query / path / header, then the field")
    msg: str
    type: str


class ErrorOut(BaseModel):
    """Every error response's body."""

    error: str = Field(description="Stable machine-readable code, e.g. not_found, invalid_request")
    detail: str = Field(description="What went wrong, for people")
    fields: list[FieldError] | None = Field(
        default=None, description="Validation errors (422 only): one per invalid field"
    )


def error_docs(*codes: int) -> dict[int | str, dict[str, Any]]:
    """`responses=` for a route: these error statuses, each with the one error schema."""
    return {code: {"model": ErrorOut, "description": DESCRIPTIONS[code]} for code in codes}


class ApiError(Exception):
    def __init__(
        self, status: int, detail: str, *, error: str | None = None, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.error = error or _CODES.get(status, "error")
        self.headers = headers


def not_found(what: str) -> ApiError:
    return ApiError(404, f"{what} not found")


def error_response(
    status: int, detail: Any, error: str | None = None, headers: dict[str, str] | None = None
) -> JSONResponse:
    return JSONResponse(
        {"error": error or _CODES.get(status, "error"), "detail": detail}, status_code=status, headers=headers
    )


def _clean_validation(errors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    # Never echo the submitted values back: they may be passwords or provider keys.
    out = []
    for e in errors:
        loc = [str(p) for p in e.get("loc", ())]
        out.append({"loc": loc, "msg": e.get("msg", "invalid"), "type": e.get("type", "value_error")})
    return out


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api_error(_: Request, exc: ApiError) -> JSONResponse:
        return error_response(exc.status, exc.detail, exc.error, exc.headers)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        detail = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
        if exc.status_code == 404 and detail == "Not Found":
            detail = "no such endpoint"
        return error_response(exc.status_code, detail, headers=getattr(exc, "headers", None))

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = _clean_validation(list(exc.errors()))
        if any(e["type"] == "json_invalid" for e in errors):
            return error_response(400, "request body is not valid JSON", "invalid_json")
        summary = "; ".join(f"{'.'.join(e['loc'][1:]) or e['loc'][0]}: {e['msg']}" for e in errors[:5])
        return JSONResponse(
            {"error": "invalid_request", "detail": summary, "fields": errors}, status_code=422
        )

    @app.exception_handler(DataError)
    async def _data_error(request: Request, exc: DataError) -> JSONResponse:
        # The database refused a value (a NUL in text on PostgreSQL, a number out of its range):
        # input the route's own validation let through. The caller gets a 422, the logs the route.
        log.warning(
            "database refused a value", extra={"path": request.url.path, "reason": type(exc.orig).__name__}
        )
        return error_response(422, "a value is out of range or has characters that cannot be stored")

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error", extra={"path": request.url.path})
        return error_response(500, "internal error; the request id in X-Request-ID identifies it in the logs")
