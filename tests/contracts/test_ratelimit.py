"""One rate-limiter contract for the in-process and the Redis limiter."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from echome.ratelimit import MemoryRateLimiter, RateLimiter, RedisRateLimiter


@pytest.fixture(params=["memory", "redis"])
def limiter(request: pytest.FixtureRequest) -> Any:
    if request.param == "memory":
        yield MemoryRateLimiter()
        return
    import redis

    client = redis.Redis.from_url(request.getfixturevalue("redis_url"))
    yield RedisRateLimiter(client, namespace=f"test-rl-{uuid.uuid4().hex[:8]}")
    client.close()


def test_allows_up_to_the_limit_then_refuses(limiter: RateLimiter) -> None:
    decisions = [limiter.hit("user:a", limit=3, window=60) for _ in range(5)]
    assert [d.allowed for d in decisions] == [True, True, True, False, False]
    assert [d.remaining for d in decisions[:3]] == [2, 1, 0]
    assert 1 <= decisions[-1].retry_after <= 121  # within two windows, whatever was refused


def test_keys_are_independent(limiter: RateLimiter) -> None:
    for _ in range(3):
        limiter.hit("user:a", limit=3)
    assert not limiter.hit("user:a", limit=3).allowed
    assert limiter.hit("user:b", limit=3).allowed


def test_window_resets(limiter: RateLimiter) -> None:
    import time

    assert limiter.hit("ip:1", limit=1, window=1).allowed
    second = limiter.hit("ip:1", limit=1, window=1)
    if second.allowed:  # crossed a window boundary between the two hits
        return
    time.sleep(second.retry_after + 0.05)
    assert limiter.hit("ip:1", limit=1, window=1).allowed


def test_shared_between_processes_through_redis(request: pytest.FixtureRequest) -> None:
    """Two web processes (two clients) share one budget when Redis backs the limiter."""
    import redis

    url = request.getfixturevalue("redis_url")
    ns = f"test-rl-{uuid.uuid4().hex[:8]}"
    a = RedisRateLimiter(redis.Redis.from_url(url), namespace=ns)
    b = RedisRateLimiter(redis.Redis.from_url(url), namespace=ns)
    assert a.hit("user:x", limit=2).allowed and b.hit("user:x", limit=2).allowed
    assert not a.hit("user:x", limit=2).allowed


def test_a_burst_across_a_window_boundary_is_still_limited() -> None:
    """Ten guesses at the end of one minute and ten at the start of the next: the second ten are
    refused (a fixed window would let twenty through), and Retry-After says when one more fits."""
    from echome.ratelimit import decide

    end_of_minute = [decide(0, n, now=59.0, window=60, limit=10) for n in range(1, 11)]
    assert all(d.allowed for d in end_of_minute)
    start = decide(10, 1, now=60.5, window=60, limit=10)
    assert not start.allowed and 10 <= start.retry_after <= 13
    later = decide(10, 2, now=60.5 + start.retry_after, window=60, limit=10)  # that one more hit
    assert later.allowed
    assert decide(0, 4, now=10, window=60, limit=3).retry_after == 81  # 4 x (1 - 0.5) + 1 = 3 at 90 s
