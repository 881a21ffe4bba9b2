"""Users, passwords (argon2) and bearer tokens (only their SHA-256 is stored)."""

from __future__ import annotations

import hashlib
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from email_validator import EmailNotValidError, validate_email
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from echome.db.models import AccessToken, User
from echome.db.types import utcnow

_hasher = PasswordHasher()
TOKEN_PREFIX = "em_"
MIN_PASSWORD = 8


class AccountError(ValueError):
    """Bad account input; the message is safe to show to the user."""


class Conflict(AccountError):
    pass


def fold_identity(text: str) -> str:
    """Unicode-equivalent spellings of an identifier made one: NFKC (fullwidth and other
    compatibility forms), case folded (not just lowered: 'ß' and 'ss', final and medial sigma),
    NFKC again (folding can leave a non-normal form), whitespace trimmed."""
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", text).casefold()).strip()


def normalize_email(email: str) -> str:
    """The one stored and looked-up form of an address (raises AccountError when it is none).

    Sign-up, sign-in, the sign-in limiter (through `identity_key`), CLI `--user`, tokens and
    Google sign-in all go through here, so no equivalent spelling is another account or another
    budget."""
    email = fold_identity(email)
    if email.endswith("@localhost"):  # the embedded owner account has no real domain
        local = email.split("@", 1)[0]
        if 0 < len(local) <= 64 and local.replace(".", "").replace("-", "").replace("_", "").isalnum():
            return email
    try:
        normalized = validate_email(email, check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise AccountError(f"invalid email address: {exc}") from None
    return fold_identity(normalized)


def identity_key(email: str) -> str:
    """What per-account limits count: the normalized address, or for a string that is no address
    its folded form (never an error: a limiter must count garbage too)."""
    try:
        return normalize_email(email)
    except AccountError:
        return fold_identity(email)


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"password must have at least {MIN_PASSWORD} characters")
    return _hasher.hash(password)


def verify_password(user: User, password: str) -> bool:
    if not user.password_hash:
        return False
    try:
        return _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def get_user_by_email(session: Session, email: str) -> User | None:
    try:
        email = normalize_email(email)
    except AccountError:
        return None
    return session.scalar(select(User).where(User.email == email))


def create_user(
    session: Session,
    *,
    email: str,
    password: str | None = None,
    display_name: str | None = None,
    is_owner: bool = False,
    google_sub: str | None = None,
) -> User:
    email = normalize_email(email)
    if session.scalar(select(User.id).where(User.email == email)):
        raise Conflict(f"a user with email {email} already exists")
    user = User(
        email=email,
        display_name=display_name,
        password_hash=hash_password(password) if password else None,
        is_owner=is_owner,
        google_sub=google_sub,
    )
    session.add(user)
    try:
        with session.begin_nested():  # a concurrent sign-up with the same address
            session.flush()
    except IntegrityError:
        raise Conflict(f"a user with email {email} already exists") from None
    return user


def authenticate(session: Session, *, email: str, password: str) -> User | None:
    user = get_user_by_email(session, email)
    if user is None or not user.is_active:
        # Hash anyway so a missing account takes as long as a wrong password.
        _hasher.hash(password or "x")
        return None
    if not verify_password(user, password):
        return None
    if _hasher.check_needs_rehash(user.password_hash or ""):
        user.password_hash = _hasher.hash(password)
    return user


def change_password(user: User, *, current: str | None, new: str) -> None:
    """Set a new password. An account that has one must give it; a Google-only account sets its
    first. Raises AccountError (safe to show) for a wrong current or a too short new password."""
    if user.password_hash and not verify_password(user, current or ""):
        raise AccountError("the current password is wrong")
    if current and new == current:
        raise AccountError("the new password is the same as the current one")
    user.password_hash = hash_password(new)


# -- bearer tokens ----------------------------------------------------------------------------
def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class IssuedToken:
    token: str  # shown once
    record: AccessToken


def issue_token(session: Session, *, user: User, name: str, ttl: timedelta | None) -> IssuedToken:
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    record = AccessToken(
        user_id=user.id,
        name=name[:100] or "token",
        token_hash=_digest(raw),
        prefix=raw[:10],
        expires_at=(utcnow() + ttl) if ttl else None,
    )
    session.add(record)
    session.flush()
    return IssuedToken(raw, record)


def user_for_token(session: Session, token: str, *, now: datetime | None = None) -> User | None:
    """The active user a token belongs to, or None when it is unknown, revoked or expired."""
    if not token.startswith(TOKEN_PREFIX):
        return None
    now = now or utcnow()
    record = session.scalar(select(AccessToken).where(AccessToken.token_hash == _digest(token)))
    if record is None or record.revoked_at is not None:
        return None
    if record.expires_at is not None and record.expires_at <= now:
        return None
    user = session.get(User, record.user_id)
    if user is None or not user.is_active:
        return None
    # Writing on every request would serialise SQLite; once a minute is precise enough.
    if record.last_used_at is None or now - record.last_used_at > timedelta(minutes=1):
        record.last_used_at = now
    return user


def ensure_owner(session: Session, *, email: str) -> tuple[User, str | None]:
    """The embedded owner account; returns a generated password the first time only."""
    owner = session.scalar(select(User).where(User.is_owner.is_(True)).order_by(User.created_at))
    if owner is not None:
        return owner, None
    password = secrets.token_urlsafe(12)
    existing = get_user_by_email(session, email)
    if existing is not None:
        existing.is_owner = True
        return existing, None
    return create_user(session, email=email, password=password, is_owner=True, display_name="Owner"), password
