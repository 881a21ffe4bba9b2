"""One customer's messages are answered one at a time, so a quick second message sees the first
one's answer in the conversation and the replies go out in the order they were asked.

`LocalChatLocks` serves one process (embedded mode: every job thread is in `echome serve`);
`RedisChatLocks` serves any number of `echome worker` processes on any machines.
"""

from __future__ import annotations

import contextlib
import threading
import weakref
from collections.abc import Iterator
from typing import Any, Protocol


class ChatBusy(RuntimeError):
    """The chat stayed locked longer than the wait allowed (its other message is still being answered)."""


class ChatLocks(Protocol):
    name: str

    def hold(self, key: str) -> contextlib.AbstractContextManager[None]:
        """Hold the chat `key` for the duration of the block; raises ChatBusy after waiting too long."""
        ...


class _Lock:
    __slots__ = ("__weakref__", "lock")

    def __init__(self) -> None:
        self.lock = threading.Lock()


class LocalChatLocks:
    """In-process locks. A chat's lock lives only while someone holds or waits for it (weak values),
    so the table is bounded by the chats being answered right now."""

    name = "local"

    def __init__(self, *, wait_seconds: float = 120.0) -> None:
        self.wait_seconds = wait_seconds
        self._locks: weakref.WeakValueDictionary[str, _Lock] = weakref.WeakValueDictionary()
        self._guard = threading.Lock()

    @contextlib.contextmanager
    def hold(self, key: str) -> Iterator[None]:
        with self._guard:
            entry = self._locks.get(key)
            if entry is None:
                entry = self._locks[key] = _Lock()
        if not entry.lock.acquire(timeout=self.wait_seconds):
            raise ChatBusy(f"chat {key} is busy")
        try:
            yield
        finally:
            entry.lock.release()

    def __len__(self) -> int:
        return len(self._locks)


class RedisChatLocks:
    """A Redis lock per chat, shared by every worker process. The lock has a lease that a holder
    renews while it works, so a worker that dies (even `kill -9`) frees the chat within `lease_seconds`."""

    name = "redis"

    def __init__(
        self, redis: Any, *, namespace: str, lease_seconds: float = 30.0, wait_seconds: float = 120.0
    ) -> None:
        self.redis = redis
        self.namespace = namespace
        self.lease_seconds = lease_seconds
        self.wait_seconds = wait_seconds

    @contextlib.contextmanager
    def hold(self, key: str) -> Iterator[None]:
        lock = self.redis.lock(
            f"{self.namespace}:{key}",
            timeout=self.lease_seconds,
            blocking_timeout=self.wait_seconds,
            thread_local=False,
        )
        if not lock.acquire():
            raise ChatBusy(f"chat {key} is busy")
        stop = threading.Event()
        renew = threading.Thread(target=self._renew, args=(lock, stop), name="chat-lock", daemon=True)
        renew.start()
        try:
            yield
        finally:
            stop.set()
            renew.join(timeout=5)
            with contextlib.suppress(Exception):  # expired: another holder may have it now
                lock.release()

    def _renew(self, lock: Any, stop: threading.Event) -> None:
        while not stop.wait(self.lease_seconds / 3):
            try:
                lock.reacquire()
            except Exception:  # lost it (expired while Redis was unreachable): nothing to renew
                return
