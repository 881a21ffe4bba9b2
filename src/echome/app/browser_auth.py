"""The browser's sign-in, for the API and the web pages alike: the session cookie (a random token
of a server-side session), and CSRF checks on cookie-authenticated writes.

A write made with the session cookie must
- not come from another site's page (`Origin`, when the browser sends one, is ours), and
- carry the session's CSRF token: the `X-CSRF-Token` header (the pages' scripts and htmx send it)
  or, for an HTML form, its hidden `csrf_token` field.
SameSite=Lax on the cookie is a third layer, never the only one.

Before sign-in there is no session: the sign-in and sign-up forms carry a token kept in the short
signed "sign-in" cookie (Starlette's SessionMiddleware, which also holds Google sign-in's state).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from fastapi import Request, Response
from sqlalchemy.orm import Session

from echome.accounts import sessions
from echome.db.models import BrowserSession, User

SESSION_COOKIE = "echome_session"
SIGNIN_COOKIE = "echome_signin"  # signed, short-lived: OAuth state and the sign-in forms' token
CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf_token"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_PRE_KEY = "csrf"


@dataclass(frozen=True)
class SessionPolicy:
    """How browser sessions are kept; built once by the app factory from the settings."""

    max_age_seconds: int
    cookie_secure: bool
    csrf_secret: bytes

    @classmethod
    def from_secret(cls, server_secret: str, *, max_age_seconds: int, cookie_secure: bool) -> SessionPolicy:
        key = hmac.new(server_secret.encode(), b"echome csrf key", hashlib.sha256).digest()
        return cls(max_age_seconds=max_age_seconds, cookie_secure=cookie_secure, csrf_secret=key)


@dataclass(frozen=True)
class SignedIn:
    user: User
    session: BrowserSession
    csrf: str


class CsrfRefused(Exception):
    """A cookie-authenticated write without proof it came from our own page; message for people."""


def policy_of(request: Request) -> SessionPolicy:
    return request.app.state.session_policy  # type: ignore[no-any-return]


def signed_in(request: Request, db: Session) -> SignedIn | None:
    """The browser session the request's cookie names, if it is live (looked up once per request)."""
    cache = request.scope.setdefault("state", {})
    if "echome_signed_in" in cache:
        return cache["echome_signed_in"]  # type: ignore[no-any-return]
    token = request.cookies.get(SESSION_COOKIE)
    found = sessions.session_for_token(db, token) if token else None
    result = None
    if found is not None:
        record, user = found
        result = SignedIn(user, record, sessions.csrf_token(policy_of(request).csrf_secret, record.id))
        db.commit()  # last_seen_at
    cache["echome_signed_in"] = result
    return result


def has_session_cookie(request: Request) -> bool:
    return SESSION_COOKIE in request.cookies


def _client(request: Request) -> str | None:
    return request.client.host if request.client else None


def start_session(request: Request, response: Response, db: Session, user: User) -> SignedIn:
    """Sign `user` in on this browser: a new session (any earlier one of this browser is ended, so
    a planted cookie cannot be carried into the account) and its cookie. Commits."""
    policy = policy_of(request)
    previous = signed_in(request, db)
    if previous is not None:
        sessions.revoke_session(db, previous.session)
    issued = sessions.issue_session(
        db,
        user=user,
        max_age=timedelta(seconds=policy.max_age_seconds),
        user_agent=request.headers.get("user-agent"),
        ip=_client(request),
    )
    db.commit()
    if "session" in request.scope:
        request.session.clear()  # the sign-in handshake is over
    response.set_cookie(
        SESSION_COOKIE,
        issued.token,
        max_age=policy.max_age_seconds,
        path="/",
        httponly=True,
        secure=policy.cookie_secure,
        samesite="lax",
    )
    result = SignedIn(user, issued.record, sessions.csrf_token(policy.csrf_secret, issued.record.id))
    request.scope.setdefault("state", {})["echome_signed_in"] = result
    return result


def end_session_cookie(request: Request, response: Response) -> None:
    policy = policy_of(request)
    response.delete_cookie(
        SESSION_COOKIE, path="/", httponly=True, secure=policy.cookie_secure, samesite="lax"
    )


# -- CSRF -------------------------------------------------------------------------------------
def same_origin(request: Request) -> bool:
    """False when the browser says the request comes from another site's page (or an opaque one)."""
    origin = request.headers.get("origin")
    if origin is None:
        return True  # not every client sends it; the token below still has to match
    if origin == "null":
        return False
    return origin.split("://", 1)[-1] == request.headers.get("host", "")


def check_csrf(request: Request, who: SignedIn, submitted: str | None = None) -> None:
    """Raise CsrfRefused unless this cookie-authenticated write is from one of our own pages.
    `submitted` is a form's hidden field; the header is read here."""
    if not same_origin(request):
        raise CsrfRefused("cross-site request refused")
    token = submitted or request.headers.get(CSRF_HEADER)
    if not token:
        raise CsrfRefused(
            "missing CSRF token: pages send it for you; API clients using the session cookie "
            "send the X-CSRF-Token header (GET /api/auth/session gives it)"
        )
    if not sessions.csrf_matches(policy_of(request).csrf_secret, who.session.id, token):
        raise CsrfRefused("wrong CSRF token for this session: reload the page and try again")


# -- before sign-in: the sign-in and sign-up forms ---------------------------------------------
def pre_session_token(request: Request) -> str:
    """The token the sign-in forms carry, kept in the signed sign-in cookie (made on first use)."""
    store: dict[str, Any] = request.session
    token = store.get(_PRE_KEY)
    if not isinstance(token, str):
        token = secrets.token_urlsafe(24)
        store[_PRE_KEY] = token
    return token


def check_pre_session(request: Request, submitted: str | None) -> None:
    if not same_origin(request):
        raise CsrfRefused("cross-site request refused")
    expected = request.session.get(_PRE_KEY) if "session" in request.scope else None
    if not isinstance(expected, str) or not submitted or not hmac.compare_digest(expected, submitted):
        raise CsrfRefused("this form has expired: it was opened too long ago or in another browser")
