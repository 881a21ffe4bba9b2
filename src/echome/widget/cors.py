"""CORS for the widget's API: the routes decide (the persona's allowed origins), this adds the headers.

A route that accepted a cross-site request leaves the origin in the request state (`CORS_STATE`);
every response to it, errors included (a 429 the widget must be able to read), then carries
`Access-Control-Allow-Origin` for exactly that origin. A refused origin gets no such header, so the
browser gives the page nothing. Preflights are answered by `preflight` below.
"""

from __future__ import annotations

from typing import Any

from echome.widget.visitors import HEADER

PREFIX = "/api/widget/"
CORS_STATE = "widget_cors_origin"
ALLOWED_METHODS = ("GET", "POST", "DELETE")
ALLOWED_HEADERS = ("content-type", HEADER.lower())
EXPOSED_HEADERS = "Retry-After, X-Request-ID"
PREFLIGHT_MAX_AGE = 600


def allow_headers(origin: str) -> dict[str, str]:
    return {
        "Access-Control-Allow-Origin": origin,
        "Access-Control-Expose-Headers": EXPOSED_HEADERS,
        "Vary": "Origin",
    }


def preflight_headers(origin: str) -> dict[str, str]:
    return {
        **allow_headers(origin),
        "Access-Control-Allow-Methods": ", ".join(ALLOWED_METHODS),
        "Access-Control-Allow-Headers": ", ".join(ALLOWED_HEADERS),
        "Access-Control-Max-Age": str(PREFLIGHT_MAX_AGE),
    }


def preflight_problem(method: str | None, headers: str | None) -> str | None:
    """Why a preflight asks for more than the widget's API allows, or None."""
    if (method or "").upper() not in ALLOWED_METHODS:
        return f"method {method!r} is not allowed here"
    asked = {h.strip().lower() for h in (headers or "").split(",") if h.strip()}
    extra = asked - set(ALLOWED_HEADERS)
    if extra:
        return "headers not allowed here: " + ", ".join(sorted(extra))
    return None


class WidgetCorsMiddleware:
    """Pure ASGI (the answer streams through untouched): adds CORS headers to /api/widget/ responses."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http" or not scope.get("path", "").startswith(PREFIX):
            await self.app(scope, receive, send)
            return

        async def send_with_cors(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers") or [])
                present = {name.lower() for name, _ in headers}
                origin = (scope.get("state") or {}).get(CORS_STATE)
                extra = allow_headers(origin) if origin else {"Vary": "Origin"}
                headers += [
                    (k.lower().encode(), v.encode("latin-1"))
                    for k, v in extra.items()
                    if k.lower().encode() not in present
                ]
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_cors)
