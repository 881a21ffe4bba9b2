"""`/api/auth/google/*`: browser redirects of the Google sign-in flow."""

from __future__ import annotations

import logging

import httpx
from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse
from starlette.concurrency import run_in_threadpool

from echome.accounts.google import user_from_claims
from echome.accounts.users import AccountError
from echome.app.browser_auth import start_session
from echome.app.deps import DbSession, ServicesDep
from echome.app.errors import ApiError, error_docs

router = APIRouter(prefix="/api/auth/google", tags=["auth"])
log = logging.getLogger("echome.auth")


def _client(request: Request):  # type: ignore[no-untyped-def]
    oauth = getattr(request.app.state, "oauth", None)
    if oauth is None:
        raise ApiError(404, "Google sign-in is not configured (set ECHOME_GOOGLE_CLIENT_ID)")
    return oauth.google


def _safe_next(value: str | None) -> str:
    if value and value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value
    return "/"


@router.get(
    "/login",
    summary="Start Google sign-in (redirects to Google)",
    response_class=RedirectResponse,
    status_code=302,
    responses={302: {"description": "To Google's sign-in page"}, **error_docs(404, 502)},
)
async def google_login(
    request: Request,
    services: ServicesDep,
    next: str | None = Query(default=None, max_length=2000, description="Where to go once signed in"),
) -> RedirectResponse:
    client = _client(request)
    base = services.settings.public_url
    redirect_uri = (
        base.rstrip("/") + "/api/auth/google/callback" if base else str(request.url_for("google_callback"))
    )
    request.session["oauth_next"] = _safe_next(next)
    try:
        return await client.authorize_redirect(request, redirect_uri)  # type: ignore[no-any-return]
    except httpx.HTTPError:
        raise ApiError(502, "the identity provider cannot be reached") from None


@router.get(
    "/callback",
    name="google_callback",
    summary="Google redirects back here",
    response_class=RedirectResponse,
    status_code=303,
    responses={
        303: {"description": "Signed in: to the page sign-in started from"},
        **error_docs(400, 404, 502),
    },
)
async def google_callback(request: Request, db: DbSession, services: ServicesDep) -> RedirectResponse:
    from authlib.common.errors import AuthlibBaseError
    from authlib.jose.errors import JoseError

    client = _client(request)
    if "error" in request.query_params:
        raise ApiError(
            400, f"sign-in was not completed: {request.query_params['error'][:100]}", error="oauth_error"
        )
    if "code" not in request.query_params or "state" not in request.query_params:
        raise ApiError(400, "the callback is missing its code or state", error="oauth_error")
    try:
        token = await client.authorize_access_token(request)
    except (AuthlibBaseError, JoseError, ValueError, KeyError) as exc:
        # Replayed callbacks (state already used), forged state, reused codes, bad ID tokens.
        log.info("oauth callback refused", extra={"reason": type(exc).__name__})
        raise ApiError(
            400, "invalid or expired sign-in response; please start again", error="oauth_error"
        ) from None
    except httpx.HTTPError:
        raise ApiError(502, "the identity provider cannot be reached") from None
    claims = token.get("userinfo") or {}
    if not claims:
        raise ApiError(400, "the identity provider returned no ID token", error="oauth_error")
    target = request.session.pop("oauth_next", "/")
    response = RedirectResponse(_safe_next(target), status_code=303)

    def sign_in() -> None:  # on a worker thread: never database work on the event loop
        try:
            user = user_from_claims(db, dict(claims), allow_signup=services.settings.allow_signup)
        except AccountError as exc:
            raise ApiError(400, str(exc), error="oauth_error") from None
        db.commit()
        start_session(request, response, db, user)

    await run_in_threadpool(sign_in)
    return response
