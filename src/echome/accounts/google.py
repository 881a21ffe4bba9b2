"""Google sign-in: OpenID Connect authorization-code flow with PKCE, state and nonce (authlib)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from echome.accounts.users import AccountError, create_user, normalize_email
from echome.db.models import User


@dataclass(frozen=True)
class GoogleConfig:
    client_id: str
    client_secret: str
    discovery_url: str


def make_oauth(config: GoogleConfig) -> Any:
    from authlib.integrations.starlette_client import OAuth

    oauth = OAuth()
    oauth.register(
        name="google",
        client_id=config.client_id,
        client_secret=config.client_secret,
        server_metadata_url=config.discovery_url,
        client_kwargs={"scope": "openid email profile", "code_challenge_method": "S256"},
    )
    return oauth


def user_from_claims(session: Session, claims: dict[str, Any], *, allow_signup: bool) -> User:
    """Find or create the seller an ID token speaks for.

    An existing password account is linked only when the provider says the email is verified;
    otherwise anyone controlling an unverified address could take the account over."""
    sub = claims.get("sub")
    if not isinstance(sub, str) or not sub:
        raise AccountError("the identity token has no subject")
    user = session.scalar(select(User).where(User.google_sub == sub))
    if user is not None:
        if not user.is_active:
            raise AccountError("this account is disabled")
        return user
    email_claim = claims.get("email")
    if not isinstance(email_claim, str):
        raise AccountError("the identity provider did not share an email address")
    email = normalize_email(email_claim)
    existing = session.scalar(select(User).where(User.email == email))
    if existing is not None:
        if claims.get("email_verified") is not True:
            raise AccountError("an account with this email exists; sign in with your password to link Google")
        existing.google_sub = sub
        return existing
    if not allow_signup:
        raise AccountError("sign-up is disabled on this server")
    name = claims.get("name") if isinstance(claims.get("name"), str) else None
    return create_user(session, email=email, google_sub=sub, display_name=name)
