"""A form that creates something is done once, however often it is sent.

A double click, a reload that posts again, or a retry of a slow upload sends the same form twice.
Each create form carries a one-time nonce (the hidden `form_nonce` field, new on every render). The
first post claims it in a server-side store, atomically, and records what it made; a later post
with the same nonce waits for that record and shows the first one's result (the page it led to,
the token it made) instead of making a second one. A post that made nothing (its input was wrong,
or it failed) gives the nonce back, so the corrected form can be sent.

Two stores, as for rate limits: Redis when the server has one (several web processes share it),
the process's memory otherwise (the embedded server is one process). A form without a nonce (a
page rendered before this existed, a hand-made request) is served as before, unprotected.
"""

from __future__ import annotations

import asyncio
import json
import re
import secrets
import threading
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, Protocol

NONCE_FIELD = "form_nonce"
RECEIPT_SECONDS = 24 * 3600  # how long a nonce stays used (and its result remembered)
WAIT_SECONDS = 30.0  # a second post waits this long for the first one to finish
_POLL_SECONDS = 0.1
_PENDING = "pending"
_NONCE = re.compile(r"[A-Za-z0-9_-]{16,64}")


def new_nonce() -> str:
    """A fresh nonce for one rendering of a form."""
    return secrets.token_urlsafe(18)


class FormReceipts(Protocol):
    """Where used nonces and their results are kept."""

    def claim(self, key: str, *, ttl: int) -> bool:
        """True for the first claim of `key`; False while it is claimed or done."""
        ...

    def finish(self, key: str, result: dict[str, Any], *, ttl: int) -> None: ...

    def release(self, key: str) -> None: ...

    def state(self, key: str) -> dict[str, Any] | str | None:
        """The result, "pending" while the first post is at work, or None (free)."""
        ...


class MemoryFormReceipts:
    def __init__(self, *, max_keys: int = 100_000) -> None:
        self._lock = threading.Lock()
        self._items: dict[str, tuple[float, dict[str, Any] | str]] = {}
        self._max_keys = max_keys

    def _live(self, key: str, now: float) -> dict[str, Any] | str | None:
        item = self._items.get(key)
        if item is None:
            return None
        if item[0] <= now:
            del self._items[key]
            return None
        return item[1]

    def claim(self, key: str, *, ttl: int) -> bool:
        now = time.monotonic()
        with self._lock:
            if self._live(key, now) is not None:
                return False
            if len(self._items) >= self._max_keys:
                self._items = {k: v for k, v in self._items.items() if v[0] > now}
            self._items[key] = (now + ttl, _PENDING)
            return True

    def finish(self, key: str, result: dict[str, Any], *, ttl: int) -> None:
        with self._lock:
            self._items[key] = (time.monotonic() + ttl, dict(result))

    def release(self, key: str) -> None:
        with self._lock:
            self._items.pop(key, None)

    def state(self, key: str) -> dict[str, Any] | str | None:
        with self._lock:
            value = self._live(key, time.monotonic())
            return dict(value) if isinstance(value, dict) else value


class RedisFormReceipts:
    def __init__(self, client: Any, *, namespace: str) -> None:
        self.client = client
        self.namespace = namespace

    def _key(self, key: str) -> str:
        return f"{self.namespace}:{key}"

    def claim(self, key: str, *, ttl: int) -> bool:
        return bool(self.client.set(self._key(key), _PENDING, nx=True, ex=ttl))

    def finish(self, key: str, result: dict[str, Any], *, ttl: int) -> None:
        self.client.set(self._key(key), json.dumps(result), ex=ttl)

    def release(self, key: str) -> None:
        self.client.delete(self._key(key))

    def state(self, key: str) -> dict[str, Any] | str | None:
        raw = self.client.get(self._key(key))
        if raw is None:
            return None
        text = raw.decode() if isinstance(raw, bytes) else str(raw)
        if text == _PENDING:
            return _PENDING
        try:
            value = json.loads(text)
        except ValueError:
            return None
        return value if isinstance(value, dict) else None


def form_receipts(redis_client: Any | None, *, namespace: str) -> FormReceipts:
    """The store for this server: Redis when it has one, else this process's memory."""
    if redis_client is not None:
        return RedisFormReceipts(redis_client, namespace=namespace)
    return MemoryFormReceipts()


class StillSending(Exception):
    """The same form's first post is still at work (shown as a page: web/mount.py)."""

    title = "This form is still being sent"
    message = (
        "You sent this form twice, and the first one is still being worked on, so the second was "
        "not sent again. Wait a moment, then open the page again to see the result."
    )


@dataclass
class FormOnce:
    """One post of a create form. `earlier` is the result of the first post of the same form (this
    post must then only show it); otherwise the route does its work and calls `done()`."""

    receipts: FormReceipts
    key: str | None
    earlier: dict[str, Any] | None = None
    _finished: bool = field(default=False, repr=False)

    def done(self, result: dict[str, Any]) -> None:
        """What this post made, for a repeat of it to show (JSON-serialisable, no secrets in clear)."""
        if self.key is not None:
            self.receipts.finish(self.key, result, ttl=RECEIPT_SECONDS)
        self._finished = True


def _key(user_id: str, form: str, nonce: str | None) -> str | None:
    if not nonce or not _NONCE.fullmatch(nonce):
        return None
    return f"{user_id}:{form}:{nonce}"


@asynccontextmanager
async def form_once(
    receipts: FormReceipts,
    *,
    user_id: str,
    form: str,
    nonce: str | None,
    idle: Callable[[], None] | None = None,
    wait_seconds: float = WAIT_SECONDS,
) -> AsyncIterator[FormOnce]:
    """Claim the form's nonce for this post (or find the first post's result). Leaving the block
    without `done()` (bad input, an error) frees the nonce again.

    `idle` is called before this post waits for the first one: it must end the request's database
    transaction (the page's `db.commit`). A transaction held across the wait would keep the first
    post from finishing: on SQLite the process has one write lock, and the first post, blocked on
    it on the event loop, could never let this one wake up (a 30 s stall, then "database is locked")."""
    key = _key(user_id, form, nonce)
    once = FormOnce(receipts, key)
    if key is not None:
        deadline = time.monotonic() + wait_seconds
        idled = False
        # Claimed by an earlier post: wait for its result. Should it give the nonce back meanwhile
        # (its input was wrong), this post claims it and goes ahead.
        while not receipts.claim(key, ttl=RECEIPT_SECONDS):
            state = receipts.state(key)
            if isinstance(state, dict):
                once.earlier = state
                break
            if time.monotonic() >= deadline:
                raise StillSending()
            if idle is not None and not idled:
                idle()
                idled = True
            await asyncio.sleep(_POLL_SECONDS)
    try:
        yield once
    finally:
        if key is not None and once.earlier is None and not once._finished:
            receipts.release(key)
