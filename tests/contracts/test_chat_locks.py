"""ChatLocks contract: in-process and Redis locks keep one chat to one answerer at a time."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from echome.channels.chat_order import ChatBusy, LocalChatLocks, RedisChatLocks


@pytest.fixture(params=["local", "redis"])
def locks(request: pytest.FixtureRequest) -> Iterator[Any]:
    if request.param == "local":
        yield LocalChatLocks(wait_seconds=0.5)
        return
    import redis

    url = request.getfixturevalue("redis_url")
    client = redis.Redis.from_url(url)
    yield RedisChatLocks(
        client, namespace=f"test-chat-{uuid.uuid4().hex[:8]}", lease_seconds=1.0, wait_seconds=0.5
    )
    client.close()


def test_one_chat_is_held_by_one_answerer_at_a_time(locks: Any) -> None:
    inside, most = [0], [0]
    guard = threading.Lock()

    def answer() -> None:
        with locks.hold("persona:42"):
            with guard:
                inside[0] += 1
                most[0] = max(most[0], inside[0])
            time.sleep(0.05)
            with guard:
                inside[0] -= 1

    threads = [threading.Thread(target=answer) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert most[0] == 1


def test_other_chats_are_not_held_up_and_a_long_wait_gives_up(locks: Any) -> None:
    with locks.hold("persona:1"):
        with locks.hold("persona:2"):  # another customer: no wait
            pass
        got: list[BaseException] = []

        def waiter() -> None:
            try:
                with locks.hold("persona:1"):
                    pass
            except ChatBusy as exc:
                got.append(exc)

        t = threading.Thread(target=waiter)
        t.start()
        t.join(timeout=5)
        assert got and "busy" in str(got[0])
    with locks.hold("persona:1"):  # free again once released
        pass


def test_a_held_redis_lock_outlives_its_lease_while_its_holder_works(request: pytest.FixtureRequest) -> None:
    import redis

    client = redis.Redis.from_url(request.getfixturevalue("redis_url"))
    locks = RedisChatLocks(
        client, namespace=f"test-chat-{uuid.uuid4().hex[:8]}", lease_seconds=0.6, wait_seconds=0.2
    )
    with locks.hold("persona:7"):
        time.sleep(1.5)  # more than two leases: renewed, so still ours
        with pytest.raises(ChatBusy), locks.hold("persona:7"):
            pass
    with locks.hold("persona:7"):
        pass
    client.close()


def test_local_locks_are_forgotten_once_released() -> None:
    locks = LocalChatLocks()
    for i in range(1000):
        with locks.hold(f"persona:{i}"):
            pass
    assert len(locks) == 0
