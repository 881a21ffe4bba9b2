"""Request dependencies as Annotated aliases: services, DB session, the signed-in seller."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Path, Query, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from echome.accounts.users import user_for_token
from echome.app.browser_auth import UNSAFE_METHODS, CsrfRefused, SignedIn, check_csrf, signed_in
from echome.app.errors import ApiError
from echome.bootstrap import Services
from echome.db.models import User

# Integers from the URL are bounded so no value reaches the database outside its column's range
# (SQLite binds at most 64 bits, PostgreSQL's INTEGER 32): beyond these a 422, never a 500.
MAX_OFFSET = 1_000_000
MAX_VERSION = 2**31 - 1
Offset = Annotated[int, Query(ge=0, le=MAX_OFFSET, description="Items to skip")]
VersionNumber = Annotated[int, Path(ge=1, le=MAX_VERSION, description="A saved version's number")]


def get_services(request: Request) -> Services:
    return request.app.state.services  # type: ignore[no-any-return]


ServicesDep = Annotated[Services, Depends(get_services)]


def get_db(services: ServicesDep) -> Iterator[Session]:
    # Routes commit explicitly; anything not committed is rolled back on close.
    with services.sessions() as session:
        yield session


# Closed when the route returns, before its response is sent (see web/deps.py's PageDb).
DbSession = Annotated[Session, Depends(get_db, scope="function")]


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def limit_ip(request: Request, services: ServicesDep) -> None:
    limit = services.settings.rate_limit_ip_per_minute
    if limit <= 0:
        return
    decision = services.ratelimiter.hit(f"ip:{client_ip(request)}", limit=limit)
    if not decision.allowed:
        raise ApiError(
            429, "too many requests from this address", headers={"Retry-After": str(decision.retry_after)}
        )


def _limit_user(services: Services, user_id: str) -> None:
    limit = services.settings.rate_limit_user_per_minute
    if limit <= 0:
        return
    decision = services.ratelimiter.hit(f"user:{user_id}", limit=limit)
    if not decision.allowed:
        raise ApiError(
            429, "too many requests for this account", headers={"Retry-After": str(decision.retry_after)}
        )


def require_csrf(request: Request, browser: SignedIn) -> None:
    """A write authenticated by the session cookie must prove it comes from our own page."""
    try:
        check_csrf(request, browser)
    except CsrfRefused as exc:
        raise ApiError(403, str(exc), error="csrf_failed") from None


# Declares bearer auth in the OpenAPI spec; the header is read (and a browser session accepted) below.
_bearer = HTTPBearer(auto_error=False, description="An API token: `echome tokens create` or /api/auth/tokens")


def current_user(
    request: Request,
    services: ServicesDep,
    db: DbSession,
    _token: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)] = None,
) -> User:
    auth = request.headers.get("authorization")
    user: User | None
    if auth:
        scheme, _, token = auth.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise ApiError(
                401, "expected 'Authorization: Bearer <token>'", headers={"WWW-Authenticate": "Bearer"}
            )
        user = user_for_token(db, token.strip())
        if user is None:
            raise ApiError(401, "invalid, revoked or expired token", headers={"WWW-Authenticate": "Bearer"})
        db.commit()  # last_used_at
    else:
        browser = signed_in(request, db)
        if browser is None:
            raise ApiError(401, "not signed in", headers={"WWW-Authenticate": "Bearer"})
        if request.method in UNSAFE_METHODS:
            require_csrf(request, browser)
        user = browser.user
    request.scope.setdefault("state", {})["user_id"] = user.id
    _limit_user(services, user.id)
    return user


CurrentUser = Annotated[User, Depends(current_user)]
