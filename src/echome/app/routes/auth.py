"""Local accounts: sign up, sign in (a server-side session behind the cookie), sign out (this
browser or everywhere), password change, API tokens."""

from __future__ import annotations

from datetime import datetime, timedelta

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, Field
from sqlalchemy import select

from echome.accounts import sessions, users
from echome.app.browser_auth import end_session_cookie, signed_in, start_session
from echome.app.deps import CurrentUser, DbSession, ServicesDep, require_csrf
from echome.app.errors import ApiError, error_docs, not_found
from echome.db.models import AccessToken, BrowserSession, User
from echome.db.types import utcnow

router = APIRouter(prefix="/api/auth", tags=["auth"])
LOGIN_ATTEMPTS_PER_MINUTE = 10


class Credentials(BaseModel):
    email: str = Field(max_length=320)
    password: str = Field(min_length=1, max_length=1024)


class SignUp(Credentials):
    display_name: str | None = Field(default=None, max_length=200)


class UserOut(BaseModel):
    id: str
    email: str
    display_name: str | None
    is_owner: bool
    has_password: bool
    google_linked: bool
    created_at: datetime

    @classmethod
    def of(cls, u: User) -> UserOut:
        return cls(
            id=u.id,
            email=u.email,
            display_name=u.display_name,
            is_owner=u.is_owner,
            has_password=u.password_hash is not None,
            google_linked=u.google_sub is not None,
            created_at=u.created_at,
        )


class TokenCreate(BaseModel):
    name: str = Field(default="api", min_length=1, max_length=100)
    ttl_days: int | None = Field(default=None, ge=1, le=3650)


class TokenOut(BaseModel):
    id: str
    name: str
    prefix: str
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None


class TokenIssued(TokenOut):
    token: str = Field(description="Shown once; store it now.")


class PasswordChange(BaseModel):
    current_password: str | None = Field(
        default=None, max_length=1024, description="Required when the account has a password"
    )
    new_password: str = Field(min_length=1, max_length=1024)


class BrowserSessionOut(BaseModel):
    id: str
    created_at: datetime
    last_seen_at: datetime
    expires_at: datetime
    user_agent: str | None
    ip: str | None
    current: bool


class SessionInfo(BaseModel):
    user: UserOut
    csrf_token: str = Field(description="Send as X-CSRF-Token on writes made with the session cookie")
    expires_at: datetime


CSRF_RESPONSE_HEADER = "X-CSRF-Token"


def _signed_in(request: Request, response: Response, db: DbSession, user: User) -> UserOut:
    browser = start_session(request, response, db, user)
    response.headers[CSRF_RESPONSE_HEADER] = browser.csrf
    return UserOut.of(user)


@router.post("/signup", status_code=201, response_model=UserOut, responses=error_docs(403, 409, 429))
def signup(
    body: SignUp, request: Request, response: Response, db: DbSession, services: ServicesDep
) -> UserOut:
    """Create an account and sign this browser in (the session's CSRF token is in X-CSRF-Token)."""
    if not services.settings.allow_signup:
        raise ApiError(403, "sign-up is disabled on this server")
    try:
        user = users.create_user(db, email=body.email, password=body.password, display_name=body.display_name)
    except users.Conflict as exc:
        raise ApiError(409, str(exc)) from None
    except users.AccountError as exc:
        raise ApiError(422, str(exc)) from None
    db.commit()
    return _signed_in(request, response, db, user)


@router.post("/login", response_model=UserOut, responses=error_docs(401, 429))
def login(
    body: Credentials, request: Request, response: Response, db: DbSession, services: ServicesDep
) -> UserOut:
    """Sign this browser in (the session's CSRF token is in the X-CSRF-Token response header)."""
    # Password guessing against one account is limited whatever addresses it comes from.
    # Counted under the address sign-in resolves to: every equivalent spelling shares one budget.
    attempt = services.ratelimiter.hit(
        f"login:{users.identity_key(body.email)}", limit=LOGIN_ATTEMPTS_PER_MINUTE
    )
    if not attempt.allowed:
        raise ApiError(
            429,
            "too many sign-in attempts for this account",
            headers={"Retry-After": str(attempt.retry_after)},
        )
    user = users.authenticate(db, email=body.email, password=body.password)
    if user is None:
        raise ApiError(401, "wrong email or password")
    db.commit()
    return _signed_in(request, response, db, user)


@router.post("/logout", status_code=204, responses=error_docs(403))
def logout(
    request: Request,
    response: Response,
    db: DbSession,
    everywhere: bool = Query(default=False, description="End every browser session of the account"),
) -> None:
    """End this browser's session (its cookie is refused from now on), or with `everywhere` all of
    the account's browser sessions. API tokens are not affected."""
    browser = signed_in(request, db)
    if browser is not None:
        require_csrf(request, browser)
        if everywhere:
            sessions.revoke_user_sessions(db, user_id=browser.user.id)
        else:
            sessions.revoke_session(db, browser.session)
        db.commit()
    end_session_cookie(request, response)


@router.get("/session", response_model=SessionInfo, responses=error_docs(401))
def session_info(request: Request, db: DbSession) -> SessionInfo:
    """This browser's session: who is signed in and the CSRF token its writes must send."""
    browser = signed_in(request, db)
    if browser is None:
        raise ApiError(401, "not signed in with a browser session")
    return SessionInfo(
        user=UserOut.of(browser.user), csrf_token=browser.csrf, expires_at=browser.session.expires_at
    )


def _session_out(row: BrowserSession, current_id: str | None) -> BrowserSessionOut:
    return BrowserSessionOut(
        id=row.id,
        created_at=row.created_at,
        last_seen_at=row.last_seen_at,
        expires_at=row.expires_at,
        user_agent=row.user_agent,
        ip=row.ip,
        current=row.id == current_id,
    )


@router.get("/sessions", response_model=list[BrowserSessionOut])
def list_sessions(request: Request, user: CurrentUser, db: DbSession) -> list[BrowserSessionOut]:
    """The account's signed-in browsers."""
    browser = signed_in(request, db)
    current = browser.session.id if browser is not None else None
    return [_session_out(r, current) for r in sessions.live_sessions(db, user_id=user.id)]


@router.delete("/sessions", status_code=204)
def revoke_sessions(request: Request, response: Response, user: CurrentUser, db: DbSession) -> None:
    """Sign out everywhere: end every browser session of the account (this one too)."""
    sessions.revoke_user_sessions(db, user_id=user.id)
    db.commit()
    end_session_cookie(request, response)


@router.post("/password", status_code=204, responses=error_docs(422))
def change_password(body: PasswordChange, request: Request, user: CurrentUser, db: DbSession) -> None:
    """Change the password; every other browser session of the account is ended."""
    try:
        users.change_password(user, current=body.current_password, new=body.new_password)
    except users.AccountError as exc:
        raise ApiError(422, str(exc)) from None
    browser = signed_in(request, db)
    sessions.revoke_user_sessions(db, user_id=user.id, keep=browser.session.id if browser else None)
    db.commit()


@router.get("/me", response_model=UserOut)
def me(user: CurrentUser) -> UserOut:
    return UserOut.of(user)


def _token_out(t: AccessToken) -> dict:
    return {
        "id": t.id,
        "name": t.name,
        "prefix": t.prefix,
        "created_at": t.created_at,
        "expires_at": t.expires_at,
        "last_used_at": t.last_used_at,
    }


@router.post("/tokens", status_code=201, response_model=TokenIssued)
def create_token(body: TokenCreate, user: CurrentUser, db: DbSession, services: ServicesDep) -> TokenIssued:
    days = body.ttl_days or services.settings.token_ttl_days
    issued = users.issue_token(db, user=user, name=body.name, ttl=timedelta(days=days))
    db.commit()
    return TokenIssued(token=issued.token, **_token_out(issued.record))


@router.get("/tokens", response_model=list[TokenOut])
def list_tokens(user: CurrentUser, db: DbSession) -> list[TokenOut]:
    rows = db.scalars(
        select(AccessToken)
        .where(AccessToken.user_id == user.id, AccessToken.revoked_at.is_(None))
        .order_by(AccessToken.created_at.desc())
    )
    return [TokenOut(**_token_out(t)) for t in rows]


@router.delete("/tokens/{token_id}", status_code=204)
def revoke_token(token_id: str, user: CurrentUser, db: DbSession) -> None:
    row = db.scalar(select(AccessToken).where(AccessToken.id == token_id, AccessToken.user_id == user.id))
    if row is None or row.revoked_at is not None:
        raise not_found("token")
    row.revoked_at = utcnow()
    db.commit()
