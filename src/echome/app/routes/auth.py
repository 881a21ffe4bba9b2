"""Local accounts: sign up, sign in (session cookie), sign out, API tokens."""

from __future__ import annotations

from datetime import datetime, timedelta

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field
from sqlalchemy import select

from echome.accounts import users
from echome.app.deps import SESSION_USER, CurrentUser, DbSession, ServicesDep
from echome.app.errors import ApiError, error_docs, not_found
from echome.db.models import AccessToken, User
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


def sign_in(request: Request, user: User) -> None:
    request.session.clear()
    request.session[SESSION_USER] = user.id
    request.session["at"] = int(utcnow().timestamp())


@router.post("/signup", status_code=201, response_model=UserOut, responses=error_docs(403, 409, 429))
def signup(body: SignUp, request: Request, db: DbSession, services: ServicesDep) -> UserOut:
    if not services.settings.allow_signup:
        raise ApiError(403, "sign-up is disabled on this server")
    try:
        user = users.create_user(db, email=body.email, password=body.password, display_name=body.display_name)
    except users.Conflict as exc:
        raise ApiError(409, str(exc)) from None
    except users.AccountError as exc:
        raise ApiError(422, str(exc)) from None
    db.commit()
    sign_in(request, user)
    return UserOut.of(user)


@router.post("/login", response_model=UserOut, responses=error_docs(401, 429))
def login(body: Credentials, request: Request, db: DbSession, services: ServicesDep) -> UserOut:
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
    sign_in(request, user)
    return UserOut.of(user)


@router.post("/logout", status_code=204)
def logout(request: Request) -> None:
    request.session.clear()


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
