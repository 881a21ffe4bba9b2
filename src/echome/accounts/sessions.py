"""Server-side browser sessions: a random token in the cookie, its SHA-256 in `browser_sessions`.

Signing out revokes the row, so a copied cookie stops working at once; "sign out everywhere" and a
password change revoke the account's other rows. Each session also has a CSRF token derived from
its id under a server secret: forms and script requests of that session must echo it back.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session

from echome.db.models import BrowserSession, User
from echome.db.types import utcnow

TOKEN_BYTES = 32
# Rows revoked or expired longer ago than this are deleted when the account next signs in.
KEEP_ENDED = timedelta(days=7)
# `last_seen_at` is written at most this often (a write per request would serialise SQLite).
TOUCH_EVERY = timedelta(minutes=1)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class IssuedSession:
    token: str  # goes into the cookie, never stored
    record: BrowserSession


def issue_session(
    db: Session,
    *,
    user: User,
    max_age: timedelta,
    user_agent: str | None = None,
    ip: str | None = None,
    now: datetime | None = None,
) -> IssuedSession:
    now = now or utcnow()
    db.execute(
        delete(BrowserSession).where(
            BrowserSession.user_id == user.id,
            or_(BrowserSession.expires_at < now - KEEP_ENDED, BrowserSession.revoked_at < now - KEEP_ENDED),
        )
    )
    token = secrets.token_urlsafe(TOKEN_BYTES)
    record = BrowserSession(
        user_id=user.id,
        token_hash=_digest(token),
        created_at=now,
        last_seen_at=now,
        expires_at=now + max_age,
        user_agent=(user_agent or "")[:300] or None,
        ip=(ip or "")[:64] or None,
    )
    db.add(record)
    db.flush()
    return IssuedSession(token, record)


def session_for_token(
    db: Session, token: str, *, now: datetime | None = None
) -> tuple[BrowserSession, User] | None:
    """The live session a cookie's token names and its active user; None when unknown, revoked,
    expired or the account is disabled."""
    if not token or len(token) > 200:
        return None
    now = now or utcnow()
    record = db.scalar(select(BrowserSession).where(BrowserSession.token_hash == _digest(token)))
    if record is None or record.revoked_at is not None or record.expires_at <= now:
        return None
    user = db.get(User, record.user_id)
    if user is None or not user.is_active:
        return None
    if now - record.last_seen_at > TOUCH_EVERY:
        record.last_seen_at = now
    return record, user


def revoke_session(db: Session, record: BrowserSession, *, now: datetime | None = None) -> None:
    if record.revoked_at is None:
        record.revoked_at = now or utcnow()


def revoke_user_sessions(
    db: Session, *, user_id: str, keep: str | None = None, now: datetime | None = None
) -> int:
    """Revoke every live session of the account but `keep` (a session id); returns how many."""
    stmt = update(BrowserSession).where(
        BrowserSession.user_id == user_id, BrowserSession.revoked_at.is_(None)
    )
    if keep is not None:
        stmt = stmt.where(BrowserSession.id != keep)
    result = db.execute(stmt.values(revoked_at=now or utcnow()).execution_options(synchronize_session=False))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def live_sessions(db: Session, *, user_id: str, now: datetime | None = None) -> list[BrowserSession]:
    now = now or utcnow()
    return list(
        db.scalars(
            select(BrowserSession)
            .where(
                BrowserSession.user_id == user_id,
                BrowserSession.revoked_at.is_(None),
                BrowserSession.expires_at > now,
            )
            .order_by(BrowserSession.last_seen_at.desc())
        )
    )


def csrf_token(secret: bytes, session_id: str) -> str:
    """The session's CSRF token: stable for the session's life, useless for any other session."""
    mac = hmac.new(secret, b"csrf:" + session_id.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).rstrip(b"=").decode()


def csrf_matches(secret: bytes, session_id: str, submitted: str | None) -> bool:
    if not submitted or len(submitted) > 200:
        return False
    return hmac.compare_digest(csrf_token(secret, session_id), submitted)
