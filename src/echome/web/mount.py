"""Mounting the web app into the FastAPI app: routes, static files, and errors shown as pages."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.gzip import GZipMiddleware
from starlette.staticfiles import StaticFiles

from echome.app.browser_auth import SESSION_COOKIE
from echome.logs import request_id_var
from echome.web import (
    routes_account,
    routes_app,
    routes_catalog,
    routes_channels,
    routes_channels_handoff,
    routes_chat,
    routes_conversations,
    routes_handoff,
    routes_jobs,
    routes_onboarding,
    routes_persona,
    routes_public,
    routes_settings,
    routes_voice,
)
from echome.web.context import WebContext
from echome.web.deps import PageError, SignInRequired, sign_in_url
from echome.web.form_once import StillSending
from echome.web.render import STATIC, STATIC_URL, render

log = logging.getLogger("echome.web")

# Paths whose errors stay JSON whatever the client accepts.
_NOT_PAGES = ("/api/", "/webhook/", "/static/", "/docs", "/redoc", "/openapi.json")
_STATUS_TEXT = {
    404: (
        "Page not found",
        "There is nothing at this address. It may have moved, or the link is incomplete.",
    ),
    405: ("Not available", "This address cannot be opened this way. Use the links and buttons on the page."),
}


class _Cached:
    """Static files under a content fingerprint (`?v=`) never change: browsers keep them a year."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        fingerprinted = b"v=" in scope.get("query_string", b"")

        async def send_with_cache(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start" and message["status"] == 200:
                value = b"public, max-age=31536000, immutable" if fingerprinted else b"no-cache"
                message["headers"] = [*message.get("headers", []), (b"cache-control", value)]
            await send(message)

        await self.app(scope, receive, send_with_cache)


def is_page_request(request: Request) -> bool:
    path = request.url.path
    if any(path.startswith(p) for p in _NOT_PAGES):
        return False
    return "text/html" in request.headers.get("accept", "")


def error_page(request: Request, status: int, title: str, message: str) -> Response:
    signed_in = bool(getattr(request.state, "page_context", {}).get("user"))
    return render(
        request,
        "pages/error.html",
        status_code=status,
        status=status,
        title=title,
        message=message,
        back_href="/app" if signed_in else "/",
        back_label="Back to your Home" if signed_in else "Back to the start page",
        request_id=request_id_var.get(None),
    )


def too_large_page(scope: dict[str, Any], limit: int) -> Response | None:
    """A page for a browser whose form sent more than the server reads (a 2 GB video with
    JavaScript off; with it, the page checks the size first): None for API clients (JSON)."""
    request = Request(scope)
    if not is_page_request(request):
        return None
    size = f"{limit / 1024**3:.1f} GB" if limit >= 1024**3 else f"{limit // 1024**2} MB"
    return error_page(
        request,
        413,
        "That file is too large",
        f"Files up to {size} can be sent here, and nothing was uploaded. Go back and choose a "
        "smaller file: a shorter recording, or the catalog split into parts.",
    )


def _sign_in_redirect(request: Request, exc: SignInRequired) -> Response:
    target = sign_in_url(exc.next_url, expired=exc.expired)
    if request.headers.get("hx-request"):
        # htmx follows HX-Redirect with a full page load instead of swapping the sign-in page in.
        return Response(status_code=204, headers={"HX-Redirect": target})
    response = RedirectResponse(target, status_code=303)
    if exc.expired:
        response.delete_cookie(SESSION_COOKIE, path="/")
    return response


def install_web(app: FastAPI, context: WebContext) -> None:
    app.state.web = context
    static = _Cached(GZipMiddleware(StaticFiles(directory=STATIC), minimum_size=500))
    app.mount(STATIC_URL, static, name="web-static")
    for module in (routes_public, routes_app, routes_account, routes_catalog):
        app.include_router(module.router)
    for module in (routes_chat, routes_conversations, routes_handoff):  # Test chat, Conversations
        app.include_router(module.router)
    for module in (routes_persona, routes_voice):  # Persona, Voice
        app.include_router(module.router)
    for module in (routes_settings, routes_channels, routes_channels_handoff):  # Settings, Channels
        app.include_router(module.router)
    for module in (routes_onboarding, routes_jobs):  # the guided setup, Jobs
        app.include_router(module.router)

    @app.exception_handler(SignInRequired)
    async def _sign_in(request: Request, exc: SignInRequired) -> Response:
        return _sign_in_redirect(request, exc)

    @app.exception_handler(PageError)
    async def _page_error(request: Request, exc: PageError) -> Response:
        return error_page(request, exc.status, exc.title, exc.message)

    @app.exception_handler(StillSending)
    async def _still_sending(request: Request, exc: StillSending) -> Response:
        return error_page(request, 409, exc.title, exc.message)

    # The API's handlers answer JSON; a browser opening a page address gets a page instead.
    json_http = app.exception_handlers[StarletteHTTPException]
    json_crash = app.exception_handlers[Exception]

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        if is_page_request(request):
            title, message = _STATUS_TEXT.get(
                exc.status_code, ("Something is not right", "This request could not be completed.")
            )
            return error_page(request, exc.status_code, title, message)
        return await json_http(request, exc)  # type: ignore[no-any-return]

    @app.exception_handler(Exception)
    async def _crash(request: Request, exc: Exception) -> Response:
        if is_page_request(request):
            log.exception("unhandled error on a page", extra={"path": request.url.path})
            return error_page(
                request,
                500,
                "Something went wrong on our side",
                "Nothing you did caused this, and nothing you entered was lost on our side. Reload the "
                "page to try again; if it keeps happening, give the reference below to whoever runs "
                "this Echo Me.",
            )
        return await json_crash(request, exc)  # type: ignore[no-any-return]
