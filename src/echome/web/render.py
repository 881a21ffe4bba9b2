"""Rendering pages: the Jinja2 environment, asset URLs and the headers every page carries."""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from echome.web.form_once import new_nonce
from echome.web.icons import ICONS
from echome.web.text import ago, device

HERE = Path(__file__).parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"
STATIC_URL = "/static/app"

# No inline script or style anywhere, no on* handlers: every script and stylesheet is a file of
# ours under STATIC_URL. htmx is told (meta htmx-config) not to inject its indicator styles and not
# to evaluate attribute code, so it needs neither 'unsafe-inline' nor 'unsafe-eval'.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "media-src 'self' blob:",
        "connect-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "object-src 'none'",
    ]
)
PAGE_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    # Not the API's no-referrer: with it browsers send `Origin: null` on form posts, and the CSRF
    # check needs the real origin. Other sites still get no referrer from our pages.
    "Referrer-Policy": "same-origin",
    # Pages show a seller's data: never kept by shared caches or offered from the back button after
    # sign-out.
    "Cache-Control": "no-store",
}


@lru_cache(maxsize=256)
def _fingerprint(path: str) -> str:
    return hashlib.sha256((STATIC / path).read_bytes()).hexdigest()[:10]


def asset(path: str) -> str:
    """The URL of a static file with its content's fingerprint, so browsers may cache it forever."""
    return f"{STATIC_URL}/{path}?v={_fingerprint(path)}"


def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,  # a misspelt variable is an error in tests, not an empty string
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals["asset"] = asset
    env.globals["ICONS"] = ICONS
    env.globals["new_nonce"] = new_nonce  # a create form's one-time nonce (form_once.py)
    env.filters["ago"] = ago
    env.filters["device"] = device
    return env


ENV = _environment()


def render(request: Request, template: str, *, status_code: int = 200, **context: Any) -> HTMLResponse:
    """A full page (or an htmx fragment) from a template; `context` adds to what every page gets."""
    values: dict[str, Any] = {
        "request": request,
        "path": request.url.path,
        "csrf": None,
        "user": None,
        "toast_message": None,
        "toast_tone": "success",
    }
    values.update(getattr(request.state, "page_context", {}))
    values.update(context)
    html = ENV.get_template(template).render(values)
    return HTMLResponse(html, status_code=status_code, headers=dict(PAGE_HEADERS))
