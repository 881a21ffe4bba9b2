"""What the pages need from the composition root, handed in by the app factory."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session, sessionmaker

from echome.ratelimit import RateLimiter


@dataclass(frozen=True)
class WebContext:
    sessions: sessionmaker[Session]
    ratelimiter: RateLimiter
    allow_signup: bool
    google_enabled: bool
    login_attempts_per_minute: int  # per account, shared with the API's sign-in
    ip_limit_per_minute: int  # form posts per client address (0 = off)
