"""Pure ASGI middleware: request ids, security headers and the access log; the request body size limit."""

from __future__ import annotations

import json
import logging
import re
import time
import uuid
from collections.abc import Callable
from typing import Any

from fastapi import HTTPException

from echome.logs import request_id_var

log = logging.getLogger("echome.access")
_RID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")

Scope = dict[str, Any]


# On every response, whoever made it (a route, an error handler, the body limit, a crash); each
# only when the response has none of its own: a page meant to be framed (a chat widget) sends its own
# Content-Security-Policy, whose frame-ancestors browsers then follow instead of X-Frame-Options.
# Such a page that allows any frame-ancestors gets no X-Frame-Options at all: browsers without CSP
# would follow DENY and refuse to show it inside the sites the page allows.
SECURITY_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"x-content-type-options", b"nosniff"),  # a stored file is never run as script or HTML
    (b"content-security-policy", b"frame-ancestors 'none'"),  # no page of ours inside another site's
    (b"x-frame-options", b"DENY"),  # the same for browsers without CSP frame-ancestors
    (b"referrer-policy", b"no-referrer"),  # OAuth codes and ids in our URLs stay here
)
INTERNAL_ERROR_BODY = json.dumps(
    {
        "error": "internal_error",
        "detail": "internal error; the request id in X-Request-ID identifies it in the logs",
    }
).encode()


def _frames_allowed(headers: list[tuple[bytes, bytes]]) -> bool:
    """Whether the response's own Content-Security-Policy lets some site frame it."""
    for name, value in headers:
        if name.lower() != b"content-security-policy":
            continue
        for directive in value.decode("latin-1").split(";"):
            words = directive.lower().split()
            if words and words[0] == "frame-ancestors":
                return words[1:] not in ([], ["'none'"])
    return False


class RequestIdMiddleware:
    """Request id (X-Request-ID in and out), security headers, one access-log line per request."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = dict(scope.get("headers") or []).get(b"x-request-id", b"").decode("latin-1")
        rid = incoming if _RID.match(incoming) else uuid.uuid4().hex
        token = request_id_var.set(rid)
        start = time.perf_counter()
        status: dict[str, Any] = {"code": 500, "started": False}

        async def send_with_id(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                status["code"], status["started"] = message["status"], True
                headers = list(message.get("headers") or [])
                present = {name.lower() for name, _ in headers}
                if _frames_allowed(headers):
                    present.add(b"x-frame-options")
                headers += [(k, v) for k, v in SECURITY_HEADERS if k not in present]
                message["headers"] = [*headers, (b"x-request-id", rid.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception:
            # Starlette's error middleware sits outside this one and would answer through the bare
            # `send`; answering here gives a 500 the request id and the headers above too.
            if not status["started"]:
                await send_with_id(
                    {
                        "type": "http.response.start",
                        "status": 500,
                        "headers": [
                            (b"content-type", b"application/json"),
                            (b"content-length", str(len(INTERNAL_ERROR_BODY)).encode()),
                        ],
                    }
                )
                await send({"type": "http.response.body", "body": INTERNAL_ERROR_BODY})
            raise
        finally:
            log.info(
                "%s %s %s",
                scope.get("method"),
                scope.get("path"),
                status["code"],
                extra={
                    "method": scope.get("method"),
                    "path": scope.get("path"),
                    "status": status["code"],
                    "duration_ms": round((time.perf_counter() - start) * 1000, 2),
                    "client": (scope.get("client") or ("", 0))[0],
                    "user_id": scope.get("state", {}).get("user_id"),
                },
            )
            request_id_var.reset(token)


class BodyLimitMiddleware:
    """413 for bodies over the limit, whether announced by Content-Length or streamed chunked."""

    def __init__(
        self,
        app: Any,
        *,
        max_bytes: int,
        large_paths: tuple[str, ...] = (),
        large_max_bytes: int = 0,
        page: Callable[[Scope, int], Any | None] | None = None,
    ) -> None:
        self.app = app
        # For a browser posting a form: the refusal as a page (an ASGI response), or None for JSON.
        self.page = page
        self.default_max = max_bytes
        # Media uploads (recordings of the seller) are far larger than any other request.
        self.large_paths = large_paths
        self.large_max = max(large_max_bytes, max_bytes)

    def _limit(self, scope: Scope) -> int:
        path = scope.get("path", "")
        return self.large_max if any(path.endswith(p) for p in self.large_paths) else self.default_max

    async def _reject(self, scope: Scope, receive: Any, send: Any, limit: int) -> None:
        page = self.page(scope, limit) if self.page is not None else None
        if page is not None:
            await page(scope, receive, send)
            return
        body = json.dumps(
            {"error": "payload_too_large", "detail": f"request body exceeds {limit} bytes"}
        ).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self._limit(scope)
        length = dict(scope.get("headers") or []).get(b"content-length")
        if length is not None:
            try:
                too_big = int(length) > limit
            except ValueError:
                too_big = True
            if too_big:
                await self._reject(scope, receive, send, limit)
                return
        seen = 0
        started = False

        async def limited_receive() -> dict[str, Any]:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise _TooLarge(413, f"request body exceeds {limit} bytes")
            return message

        async def tracking_send(message: dict[str, Any]) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except _TooLarge:
            if not started:
                await self._reject(scope, receive, send, limit)


class _TooLarge(HTTPException):
    """An HTTPException so FastAPI's body parsing re-raises it instead of turning it into a 400."""
