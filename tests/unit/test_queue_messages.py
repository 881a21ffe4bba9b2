"""Queue messages are JSON naming a task and its job id. A pickle planted in the queue (by anyone who
can write to queue.db or Redis) is refused without running, and the worker goes on with real jobs."""

from __future__ import annotations

import json
import pickle
import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from huey.registry import Message

from echome.jobs.runner import JobQueue, make_huey
from echome.jobs.wire import JsonSerializer, RefusedMessage


class Planted:
    """Unpickling this creates the file at `path`: proof that code from the queue ran."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __reduce__(self) -> Any:
        return (open, (str(self.path), "w"))


@pytest.fixture(params=["sqlite", "redis"])
def queue(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[JobQueue]:
    redis_url = request.getfixturevalue("redis_url") if request.param == "redis" else None
    if redis_url:
        request.applymarker(pytest.mark.redis)
    huey = make_huey(
        name=f"echome-test-{uuid.uuid4().hex[:8]}",
        redis_url=redis_url,
        sqlite_path=str(tmp_path / "queue.db"),
    )
    q = JobQueue(huey)
    yield q
    huey.flush()


def test_messages_are_json_with_the_job_id(queue: JobQueue) -> None:
    queue.enqueue("job-123")
    (raw,) = queue.huey.storage.enqueued_items()
    body = json.loads(raw)
    assert body["v"] == 1 and body["task"]["args"] == ["job-123"]
    assert body["task"]["name"].endswith("run_job")
    task = queue.huey.dequeue()
    assert task.args == ("job-123",)


def test_a_planted_pickle_is_refused_without_running(queue: JobQueue, tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    assert pickle.loads(pickle.dumps(Planted(marker))) and marker.exists()  # the payload works...
    marker.unlink()
    queue.huey.storage.enqueue(pickle.dumps(Planted(marker)))
    with pytest.raises(RefusedMessage):
        queue.huey.dequeue()
    assert not marker.exists()  # ...but not from the queue


def test_the_worker_skips_a_planted_pickle_and_runs_the_next_job(queue: JobQueue, tmp_path: Path) -> None:
    from echome.jobs.runner import _QuietConsumer

    marker = tmp_path / "pwned"
    ran = threading.Event()
    seen: list[str] = []

    def run(job_id: str) -> None:
        seen.append(job_id)
        ran.set()

    queue.bind(run)
    queue.huey.storage.enqueue(pickle.dumps(Planted(marker)))
    queue.enqueue("real-job")
    consumer = _QuietConsumer(queue.huey, workers=1, worker_type="thread", periodic=False, initial_delay=0.05)
    consumer.start()
    try:
        assert ran.wait(10), "the real job never ran"
    finally:
        consumer.stop(graceful=True)
    assert seen == ["real-job"] and not marker.exists()


def test_scheduled_messages_round_trip() -> None:
    eta = datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC).replace(tzinfo=None)
    message = Message("id-1", "queue.run_job", eta, 0, 0, None, ("job-9",), {}, None, None, None, None, None)
    wire = JsonSerializer()
    back = wire.deserialize(wire.serialize(message))
    assert back.eta == eta and back.args == ("job-9",) and back.kwargs == {} and back.name == "queue.run_job"
    revoked = wire.deserialize(wire.serialize((eta, False)))  # Huey's revocation flag
    assert revoked == [eta, False]


@pytest.mark.parametrize(
    "raw",
    [
        b'{"v": 1, "task": {"id": "x", "name": "n", "args": [{"py/object": "os.system"}]}}',
        b'{"v": 2, "task": {"id": "x", "name": "n", "args": []}}',
        b'{"v": 1, "task": {"id": "x", "name": "n", "args": [], "eta": "not a time"}}',
        b"[" * 100_000,
        b"\x80\x05not json",
    ],
)
def test_anything_but_our_shape_is_refused(raw: bytes) -> None:
    with pytest.raises(RefusedMessage):
        JsonSerializer().deserialize(raw)


def test_only_string_arguments_are_sent() -> None:
    message = Message("id-1", "queue.run_job", None, 0, 0, None, (object(),), {}, None, None)
    with pytest.raises(RefusedMessage):
        JsonSerializer().serialize(message)
