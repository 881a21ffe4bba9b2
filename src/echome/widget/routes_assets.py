"""The widget's script (`/widget.js`, what sellers embed) and the hosted chat page (`/chat/{slug}`).

`widget.js` is one file of ours with its stylesheet inside (applied in the widget's shadow root, so the
host page's CSS and ours never meet); it is served gzip-compressed when the browser accepts it. The
hosted page is the same widget opened full page, under a Content-Security-Policy with no inline
script or style and `frame-ancestors` limited to the persona's allowed sites.
"""

from __future__ import annotations

import gzip
import hashlib
import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from starlette.exceptions import HTTPException

from echome.widget.origins import frame_ancestors
from echome.widget.personas import find_public_persona
from echome.widget.routes_public import get_widget

HERE = Path(__file__).parent
STATIC = HERE / "static"
CSS_MARK = '"__ECHOME_WIDGET_CSS__"'
router = APIRouter(include_in_schema=False)
_ENV = Environment(
    loader=FileSystemLoader(HERE / "templates"),
    autoescape=select_autoescape(["html"]),
    undefined=StrictUndefined,
)


@dataclass(frozen=True)
class Asset:
    body: bytes
    gzipped: bytes
    etag: str
    media_type: str

    @property
    def version(self) -> str:
        return self.etag.strip('"')[:10]


def _asset(body: bytes, media_type: str) -> Asset:
    digest = hashlib.sha256(body).hexdigest()[:16]
    return Asset(body, gzip.compress(body, compresslevel=9, mtime=0), f'"{digest}"', media_type)


@lru_cache(maxsize=1)
def widget_script() -> Asset:
    """widget.js with widget.css inlined (as a JSON string literal)."""
    script = (STATIC / "widget.js").read_text(encoding="utf-8")
    css = (STATIC / "widget.css").read_text(encoding="utf-8")
    if CSS_MARK not in script:
        raise RuntimeError("widget.js lost its stylesheet mark")
    return _asset(script.replace(CSS_MARK, json.dumps(css)).encode(), "text/javascript; charset=utf-8")


@lru_cache(maxsize=1)
def page_stylesheet() -> Asset:
    return _asset((STATIC / "page.css").read_bytes(), "text/css; charset=utf-8")


def _send(request: Request, asset: Asset, cache: str) -> Response:
    headers = {
        "ETag": asset.etag,
        "Cache-Control": cache,
        "Vary": "Accept-Encoding",
        "Cross-Origin-Resource-Policy": "cross-origin",  # shops' pages load it
    }
    if request.headers.get("if-none-match") == asset.etag:
        return Response(status_code=304, headers=headers)
    if "gzip" in request.headers.get("accept-encoding", ""):
        return Response(
            asset.gzipped, media_type=asset.media_type, headers={**headers, "Content-Encoding": "gzip"}
        )
    return Response(asset.body, media_type=asset.media_type, headers=headers)


def _cache_for(request: Request) -> str:
    # The embed line has no version in it: browsers check back every few minutes. The hosted page
    # names the version, so that copy never changes.
    return "public, max-age=31536000, immutable" if request.query_params.get("v") else "public, max-age=300"


@router.get("/widget.js")
def widget_js(request: Request) -> Response:
    return _send(request, widget_script(), _cache_for(request))


@router.get("/widget/page.css")
def page_css(request: Request) -> Response:
    return _send(request, page_stylesheet(), _cache_for(request))


def page_policy(origins: tuple[str, ...]) -> str:
    return "; ".join(
        [
            "default-src 'none'",
            "script-src 'self'",
            "style-src 'self'",
            "connect-src 'self'",
            "media-src 'self' blob:",
            "img-src 'self' data:",
            "base-uri 'none'",
            "form-action 'none'",
            frame_ancestors(origins),
        ]
    )


@router.get("/chat/{slug}", response_class=HTMLResponse)
def hosted_page(request: Request, slug: str) -> HTMLResponse:
    ctx = get_widget(request)
    with ctx.sessions() as db:
        persona = find_public_persona(db, slug[:200])
    if persona is None:
        raise HTTPException(404)
    html = _ENV.get_template("chat.html").render(
        name=persona.name,
        persona=persona.ref,
        script=f"/widget.js?v={widget_script().version}",
        stylesheet=f"/widget/page.css?v={page_stylesheet().version}",
    )
    return HTMLResponse(
        html,
        headers={
            "Content-Security-Policy": page_policy(persona.allowed_origins),
            "Referrer-Policy": "no-referrer",
            "Cache-Control": "no-cache",
        },
    )
