"""Rate limits per key (user, IP, account): Redis when configured, in-process otherwise.

Sliding-window counters: a hit is judged on this window's count plus the previous window's,
weighted by how much of it still overlaps the last `window` seconds. A fixed window would let a
burst straddling a boundary through at twice the limit (ten password guesses at 12:00:59 and ten
more at 12:01:00)."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any, Protocol


@dataclass(frozen=True)
class Decision:
    allowed: bool
    remaining: int
    retry_after: int  # seconds until a hit would be allowed again


def decide(previous: int, current: int, *, now: float, window: int, limit: int) -> Decision:
    """Judge a hit already counted in `current` (refused hits count too: hammering keeps the door
    shut), with `previous` hits in the window before."""
    frac = (now % window) / window  # how far into the current window
    used = previous * (1 - frac) + current
    allowed = used <= limit
    return Decision(
        allowed,
        max(int(limit - used), 0),
        1 if allowed else _retry_after(previous, current, frac, window, limit),
    )


def _retry_after(previous: int, current: int, frac: float, window: int, limit: int) -> int:
    """Seconds until one more hit fits under the limit."""
    waits = [2.0 * window - frac * window]  # two windows on, nothing is left
    if current + 1 <= limit and previous:  # later in this window, as the previous one fades
        waits.append(max(0.0, (1 - (limit - current - 1) / previous) - frac) * window)
    if current:  # in the next window, as this one fades
        waits.append((1 - frac) * window + max(0.0, 1 - (limit - 1) / current) * window)
    else:
        waits.append((1 - frac) * window)
    return max(1, int(min(waits)) + 1)


class RateLimiter(Protocol):
    name: str

    def hit(self, key: str, *, limit: int, window: int = 60) -> Decision: ...

    def check(self) -> None: ...


class MemoryRateLimiter:
    name = "memory"

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: dict[str, dict[int, int]] = {}  # key -> {window index: hits}

    def hit(self, key: str, *, limit: int, window: int = 60) -> Decision:
        now = time.time()
        idx = int(now // window)
        with self._lock:
            counts = self._counts.get(key, {})
            current = counts.get(idx, 0) + 1
            previous = counts.get(idx - 1, 0)
            self._counts[key] = {idx - 1: previous, idx: current} if previous else {idx: current}
            if len(self._counts) > 100_000:  # forget keys with nothing in the last two windows
                self._counts = {k: v for k, v in self._counts.items() if max(v) >= idx - 1}
        return decide(previous, current, now=now, window=window, limit=limit)

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
        pipe.expire(rkey, 2 * window + 1)  # read again as "the previous window"
        pipe.get(f"{self.namespace}:{key}:{idx - 1}")
        current, _, previous = pipe.execute()
        return decide(int(previous or 0), int(current), now=now, window=window, limit=limit)

    def check(self) -> None:
        self.client.ping()
