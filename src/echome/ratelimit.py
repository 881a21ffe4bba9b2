"""Fixed-window rate limits per key (user or IP): Redis when configured, in-process otherwise."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any, Protocol


@dataclass(frozen=True)
class Decision:
    allowed: bool
    remaining: int
    retry_after: int  # seconds until the window resets


class RateLimiter(Protocol):
    name: str

    def hit(self, key: str, *, limit: int, window: int = 60) -> Decision: ...

    def check(self) -> None: ...


class MemoryRateLimiter:
    name = "memory"

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: dict[str, tuple[int, int]] = {}  # key -> (window index, count)

    def hit(self, key: str, *, limit: int, window: int = 60) -> Decision:
        now = time.time()
        idx = int(now // window)
        with self._lock:
            w, count = self._counts.get(key, (idx, 0))
            if w != idx:
                count = 0
            count += 1
            self._counts[key] = (idx, count)
            if len(self._counts) > 100_000:  # forget finished windows
                self._counts = {k: v for k, v in self._counts.items() if v[0] == idx}
        reset = int((idx + 1) * window - now) + 1
        return Decision(count <= limit, max(limit - count, 0), reset)

    def check(self) -> None:
        return None


class RedisRateLimiter:
    name = "redis"

    def __init__(self, client: Any, *, namespace: str = "echome:rl") -> None:
        self.client = client
        self.namespace = namespace

    def hit(self, key: str, *, limit: int, window: int = 60) -> Decision:
        now = time.time()
        idx = int(now // window)
        rkey = f"{self.namespace}:{key}:{idx}"
        pipe = self.client.pipeline()
        pipe.incr(rkey)
        pipe.expire(rkey, window + 1)
        count, _ = pipe.execute()
        reset = int((idx + 1) * window - now) + 1
        return Decision(int(count) <= limit, max(limit - int(count), 0), reset)

    def check(self) -> None:
        self.client.ping()
