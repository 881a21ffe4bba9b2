"""A worker killed with SIGKILL mid-job: after a worker restarts, the job completes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from waiting import wait_for

from echome.bootstrap import build_services
from echome.db.session import transaction
from echome.jobs import store

from ..conftest import SUPPORT, make_settings

pytestmark = pytest.mark.slow


def start_worker(settings: Any, log: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "ECHOME_DATA_DIR": str(settings.data_dir),
        "ECHOME_QUEUE_NAME": settings.queue_name,
        "ECHOME_JOB_LEASE_SECONDS": str(settings.job_lease_seconds),
        "ECHOME_JOB_PLUGINS": "testjobs",
        "PYTHONPATH": os.pathsep.join([str(SUPPORT), os.environ.get("PYTHONPATH", "")]),
    }
    for key in ("ECHOME_DATABASE_URL", "ECHOME_REDIS_URL"):
        env.pop(key, None)
    if settings.database_url:
        env["ECHOME_DATABASE_URL"] = settings.database_url
    if settings.redis_url:
        env["ECHOME_REDIS_URL"] = settings.redis_url
    return subprocess.Popen(
        [sys.executable, "-m", "echome", "worker", "--threads", "1"],
        env=env,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
    )


@pytest.mark.parametrize("queue", ["sqlite-queue", "redis-queue"])
def test_sigkilled_worker_job_completes_after_restart(
    queue: str, request: pytest.FixtureRequest, tmp_path: Path, database_url: str | None
) -> None:
    redis = request.getfixturevalue("redis_url") if queue == "redis-queue" else None
    settings = make_settings(tmp_path, database_url=database_url, redis_url=redis)
    svc = build_services(settings)
    from echome.accounts.users import create_user

    with transaction(svc.sessions) as s:
        owner = create_user(s, email="seller@example.com", password="password123").id
    marker = tmp_path / "runs.txt"
    log = tmp_path / "worker.log"
    job_id = svc.submit_job(
        user_id=owner, kind="test.steps", payload={"steps": 30, "delay": 0.1, "marker": str(marker)}
    )

    def get() -> Any:
        with svc.sessions() as s:
            return store.get_job(s, user_id=owner, job_id=job_id)

    first = start_worker(settings, log)
    try:
        wait_for(lambda: get().progress >= 10, timeout=60, what=f"job progress (log: {log})")
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
    finally:
        if first.poll() is None:
            first.kill()
    stuck = get()
    assert stuck.status == "running" and 0 < stuck.progress < 100

    second = start_worker(settings, log)
    try:
        done = wait_for(
            lambda: (j := get()).status in ("completed", "failed") and j, timeout=60, what="job after restart"
        )
    finally:
        second.send_signal(signal.SIGTERM)
        second.wait(timeout=20)
    assert done.status == "completed", done.error
    assert done.attempts == 2
    runs = marker.read_text().splitlines()
    assert [r.split()[0] for r in runs] == ["start", "start", "done"]
    assert runs[0].split()[-1] != runs[1].split()[-1]  # two different worker processes
    assert second.returncode == 0  # SIGTERM is a graceful stop
    svc.queue.huey.flush()
    svc.close()
