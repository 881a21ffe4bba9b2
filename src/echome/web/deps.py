"""Page dependencies: the database session, the signed-in seller, their persona, CSRF on forms."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from typing import Annotated, TypeVar
from urllib.parse import quote

from fastapi import Depends, Request
from sqlalchemy import select
from sqlalchemy.orm import Session

from echome.app.browser_auth import CsrfRefused, SignedIn, check_csrf, has_session_cookie, signed_in
from echome.db.models import Persona
from echome.web.context import WebContext

PERSONA_COOKIE = "echome_persona"  # the persona last opened, so /app returns to it


class SignInRequired(Exception):
    """No live session: the page redirects to sign-in (and back here afterwards)."""

    def __init__(self, next_url: str, *, expired: bool) -> None:
        super().__init__(next_url)
        self.next_url = next_url
        self.expired = expired


class PageError(Exception):
    """An error shown as a page of ours (not found, refused), never as JSON or a stack trace."""

    def __init__(self, status: int, title: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.title = title
        self.message = message


def web_context(request: Request) -> WebContext:
    return request.app.state.web  # type: ignore[no-any-return]


Web = Annotated[WebContext, Depends(web_context)]


def get_db(web: Web) -> Iterator[Session]:
    with web.sessions() as session:
        yield session


# Closed when the route returns, before its response is sent: on SQLite the session holds the
# process's write lock (db/session.py) until it closes, and sending needs the event loop, which a
# route waiting for that lock on the loop would block: the whole server stalled for 30 s.
PageDb = Annotated[Session, Depends(get_db, scope="function")]


def safe_next(value: str | None, default: str = "/app") -> str:
    """Only a path on this site (no scheme, no `//host`, no backslash tricks, no whitespace or
    control characters, which browsers drop: a tab between two slashes would make `//host`) is followed."""
    if (
        value
        and value.startswith("/")
        and not value.startswith("//")
        and "\\" not in value
        and not any(c.isspace() or ord(c) < 32 or ord(c) == 127 for c in value)
    ):
        return value[:2000]
    return default


def sign_in_url(next_url: str, *, expired: bool = False) -> str:
    url = "/signin?next=" + quote(safe_next(next_url), safe="/")
    return url + "&expired=1" if expired else url


def require_seller(request: Request, db: PageDb) -> SignedIn:
    browser = signed_in(request, db)
    if browser is None:
        here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise SignInRequired(here, expired=has_session_cookie(request))
    request.scope.setdefault("state", {})["user_id"] = browser.user.id  # the access log's user
    request.state.page_context = {"user": browser.user, "csrf": browser.csrf}
    return browser


Seller = Annotated[SignedIn, Depends(require_seller)]


def csrf_refused() -> PageError:
    return PageError(
        403,
        "This request was refused",
        "We could not confirm that this form came from your own Echo Me page (its security token "
        "is missing or out of date), so nothing was changed. Go back, reload the page and try again.",
    )


def check_form(request: Request, seller: SignedIn, submitted: str | None) -> None:
    """A form post of a signed-in seller must carry its session's token (or the htmx header)."""
    try:
        check_csrf(request, seller, submitted)
    except CsrfRefused:
        raise csrf_refused() from None


def personas_of(db: Session, user_id: str) -> list[Persona]:
    return list(db.scalars(select(Persona).where(Persona.user_id == user_id).order_by(Persona.created_at)))


def persona_of(db: Session, user_id: str, persona_id: str) -> Persona:
    """The seller's persona; another seller's (or none) is a 404 page, as in the API."""
    persona = (
        db.scalar(select(Persona).where(Persona.id == persona_id, Persona.user_id == user_id))
        if len(persona_id) <= 64
        else None
    )
    if persona is None:
        raise PageError(404, "Persona not found", "There is no persona with this address among yours.")
    return persona


T = TypeVar("T")


# SQLite's write lock is one per process (db/session.py): taken at a transaction's BEGIN, reads
# too, and given back when the session's connection returns to its pool. Two rules keep a page from
# stalling the whole server on it:
# - never wait for it on the event loop: the loop stops, and a request that holds the lock until its
#   session closes (after its response is sent, which needs the loop) can never give it back: 30 s,
#   then "database is locked" (two posts of the token form at once did this);
# - end the transaction before the response leaves, so no request holds the lock while it waits
#   for the loop to send its page.
def ended(db: Session, work: Callable[[], T]) -> T:
    """`work()` with the session's transaction ended after it: committed when it returns (every
    change of a page using it is committed by then: this ends a read), closed when it raises."""
    try:
        result = work()
    except BaseException:
        db.close()  # rolls back and gives the connection (and the lock) back; loaded rows stay readable
        raise
    db.commit()
    return result


async def off_loop(db: Session, work: Callable[[], T]) -> T:
    """A route's database work on a worker thread, its transaction ended before this returns."""
    return await asyncio.to_thread(ended, db, work)
