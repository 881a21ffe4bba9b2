"""Running jobs: the Huey queue, the executor around each handler, and the worker that consumes.

Huey only transports job ids, as JSON (wire.py). Whether a job runs, and what the seller sees, is
decided by the `jobs` table (see store.py). A worker renews a lease while it runs a job; when a
worker dies the lease expires, a reaper in any other live worker puts the job back, and it runs
again.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

from huey import Huey, RedisHuey, SqliteHuey
from huey.consumer import Consumer
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from echome.db.session import transaction
from echome.jobs import store
from echome.jobs.registry import (
    JobCancelled,
    JobContext,
    JobLost,
    JobRegistry,
    PermanentJobError,
    TransientJobError,
)
from echome.jobs.wire import JsonSerializer
from echome.private_files import private_file
from echome.secrets.redact import redact

log = logging.getLogger("echome.jobs")
TRANSIENT = (TransientJobError, ConnectionError, TimeoutError)


_lowered = threading.local()


def lower_thread_priority(nice: int) -> None:
    """Lower the calling thread's CPU priority by `nice`, once (Linux schedules threads one by one;
    the thread pools a job starts - ONNX Runtime's, the voice transform's - inherit it). Voice
    notes and imports keep every core busy; without this, the web thread waits its turn behind
    them and webhook acknowledgements took seconds in the one-process mode."""
    if nice <= 0 or getattr(_lowered, "done", False) or not hasattr(os, "setpriority"):
        return
    _lowered.done = True
    try:
        tid = threading.get_native_id()
        os.setpriority(os.PRIO_PROCESS, tid, min(19, os.getpriority(os.PRIO_PROCESS, tid) + nice))
    except OSError:  # not permitted here: run at the normal priority
        log.debug("could not lower the job thread's priority", exc_info=True)


def make_huey(*, name: str, redis_url: str | None, sqlite_path: str) -> Huey:
    # JSON, not Huey's default pickle: whoever can write to the broker must not run code in workers.
    serializer = JsonSerializer()
    if redis_url:
        return RedisHuey(name=name, url=redis_url, results=False, utc=True, serializer=serializer)
    private_file(Path(sqlite_path))  # 0600 before SQLite opens it (its -wal/-shm copy the mode)
    # No fsync per message: the jobs table is the durable record, and a message lost in a crash is
    # re-sent by the reaper; syncing every enqueue made webhook acknowledgements wait on the disk.
    return SqliteHuey(
        name=name,
        filename=sqlite_path,
        results=False,
        utc=True,
        timeout=30,
        fsync=False,
        serializer=serializer,
    )


class JobQueue:
    """Sends job ids to the workers; a consumer thread runs each with the function given to `bind`."""

    def __init__(self, huey: Huey, *, nice: int = 0) -> None:
        self.huey = huey
        self.backend = "redis" if isinstance(huey, RedisHuey) else "sqlite"
        self._run: Callable[[str], None] | None = None

        def run_job(job_id: str) -> None:  # runs on a consumer thread
            lower_thread_priority(nice)
            if self._run is None:
                raise RuntimeError("this queue has no executor bound to it")
            self._run(job_id)

        self._task = huey.task(retries=0, name="echome.run_job")(run_job)

    def bind(self, run: Callable[[str], None]) -> None:
        self._run = run

    def enqueue(self, job_id: str, *, delay: float = 0) -> None:
        if delay > 0:
            self._task.schedule((job_id,), delay=delay)
        else:
            self._task(job_id)

    def pending_messages(self) -> int:
        return int(self.huey.pending_count())

    def check(self) -> None:
        """Raise when the broker cannot be reached."""
        if self.backend == "redis":
            self.huey.storage.conn.ping()
        else:
            self.huey.pending_count()


class JobExecutor:
    """Claims a job, runs its handler with a lease heartbeat, and records the outcome."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        registry: JobRegistry,
        queue: JobQueue,
        *,
        lease_seconds: float,
        retry_base_seconds: float,
        retry_max_seconds: float,
        worker_id: str | None = None,
    ) -> None:
        self.sessions = sessions
        self.registry = registry
        self.queue = queue
        self.lease_seconds = lease_seconds
        self.retry_base_seconds = retry_base_seconds
        self.retry_max_seconds = retry_max_seconds
        self.worker_id = worker_id or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"

    def execute(self, job_id: str) -> None:
        sessions = self.sessions
        lease = self.lease_seconds
        with transaction(sessions) as s:
            job = store.claim(s, job_id=job_id, worker_id=self.worker_id, lease=lease)
            if job is None:
                # Already taken, finished, cancelled or not yet due: nothing to do.
                if store.cancel_released(s, job_id=job_id):
                    log.info("job cancelled while waiting", extra={"job_id": job_id})
                return
            kind, user_id, attempts, max_attempts = job.kind, job.user_id, job.attempts, job.max_attempts
            payload, prev_error = dict(job.payload or {}), job.error
        extra = {"job_id": job_id, "kind": kind, "attempt": attempts, "worker": self.worker_id}
        if attempts > max_attempts:
            self._finish(
                job_id,
                "failed",
                error=f"gave up after {max_attempts} attempts: {prev_error or 'worker lost'}",
            )
            log.error("job gave up", extra=extra)
            return
        try:
            handler = self.registry.get(kind)
        except Exception as exc:  # the handler's parts could not be built (a broken model, config)
            log.exception("job handler could not be built", extra=extra)
            self._finish(job_id, "failed", error=f"cannot run {kind}: {type(exc).__name__}: {exc}"[:500])
            return
        if handler is None:
            self._finish(job_id, "failed", error=f"unknown job kind {kind!r} (is its module installed?)")
            return

        def report(progress: int | None, stage: str | None) -> None:
            with transaction(sessions) as s2:
                if not store.report_progress(
                    s2, job_id=job_id, worker_id=self.worker_id, progress=progress, stage=stage
                ):
                    ctx.lost_event.set()

        ctx = JobContext(
            job_id=job_id,
            user_id=user_id,
            kind=kind,
            attempt=attempts,
            max_attempts=max_attempts,
            report=report,
        )
        stop_beat = threading.Event()
        beat = threading.Thread(
            target=self._heartbeat, args=(ctx, stop_beat), name=f"lease-{job_id[:8]}", daemon=True
        )
        beat.start()
        log.info("job started", extra=extra)
        try:
            result = handler(ctx, payload) or {}
        except JobCancelled:
            self._finish(job_id, "cancelled")
            log.info("job cancelled", extra=extra)
        except JobLost:
            log.warning("job lease lost; another worker owns it now", extra=extra)
        except PermanentJobError as exc:
            self._finish(job_id, "failed", error=redact(str(exc)) or type(exc).__name__)
            log.info("job failed", extra={**extra, "error": redact(str(exc))})
        except TRANSIENT as exc:
            self._retry_or_fail(
                job_id, attempts, max_attempts, f"{type(exc).__name__}: {redact(str(exc))}", extra
            )
        except Exception as exc:
            # A bug, not bad input: fail with the reason rather than retrying the same crash.
            log.exception("job crashed", extra=extra)
            self._finish(
                job_id, "failed", error=f"internal error: {type(exc).__name__}: {redact(str(exc))[:500]}"
            )
        else:
            ref = result.pop("result_ref", None) if isinstance(result, dict) else None
            if not self._finish(job_id, "completed", result=result, result_ref=ref):
                log.warning("job finished after losing its lease; result dropped", extra=extra)
            else:
                log.info("job completed", extra=extra)
        finally:
            stop_beat.set()
            beat.join(timeout=5)

    def _heartbeat(self, ctx: JobContext, stop: threading.Event) -> None:
        lease = self.lease_seconds
        interval = max(lease / 3, 0.2)
        while not stop.wait(interval):
            try:
                with transaction(self.sessions) as s:
                    ours, cancel = store.renew(s, job_id=ctx.job_id, worker_id=self.worker_id, lease=lease)
            except OperationalError:
                log.warning("lease renewal failed; will retry", extra={"job_id": ctx.job_id})
                continue
            if not ours:
                ctx.lost_event.set()
                return
            if cancel:
                ctx.cancel_event.set()

    def _finish(self, job_id: str, status: str, **kw: Any) -> bool:
        with transaction(self.sessions) as s:
            return store.finish(s, job_id=job_id, worker_id=self.worker_id, status=status, **kw)

    def _retry_or_fail(self, job_id: str, attempts: int, max_attempts: int, error: str, extra: dict) -> None:
        if attempts >= max_attempts:
            self._finish(job_id, "failed", error=f"gave up after {attempts} attempts: {error}")
            log.warning("job failed after retries", extra={**extra, "error": error})
            return
        delay = store.backoff_seconds(attempts, base=self.retry_base_seconds, cap=self.retry_max_seconds)
        with transaction(self.sessions) as s:
            when = store.schedule_retry(s, job_id=job_id, worker_id=self.worker_id, error=error, delay=delay)
        if when is not None:
            self.queue.enqueue(job_id, delay=delay)
            log.info("job will retry", extra={**extra, "delay": round(delay, 2), "error": error})


class _QuietConsumer(Consumer):
    """Huey's consumer without its signal handlers: the host process (uvicorn or `echome worker`)
    owns signals, and handlers can only be set from the main thread anyway."""

    def _set_signal_handlers(self) -> None:
        return None


class Worker:
    """Huey consumer threads plus the maintenance loop (worker heartbeat and lease reaper)."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        queue: JobQueue,
        *,
        worker_id: str,
        threads: int,
        lease_seconds: float,
    ) -> None:
        self.sessions = sessions
        self.queue = queue
        self.threads = threads
        self.worker_id = worker_id
        self.lease_seconds = lease_seconds
        self._stop = threading.Event()
        self._consumer: Consumer | None = None
        self._maint: threading.Thread | None = None

    def start(self) -> None:
        self._consumer = _QuietConsumer(
            self.queue.huey,
            workers=self.threads,
            worker_type="thread",
            periodic=False,
            initial_delay=0.05,
            max_delay=0.5,
            check_worker_health=False,
        )
        self._consumer.start()
        self._maint = threading.Thread(target=self._maintenance, name="echome-reaper", daemon=True)
        self._maint.start()
        log.info("worker started", extra={"worker": self.worker_id, "threads": self.threads})

    def stop(self, *, graceful: bool = True, timeout: float = 30) -> None:
        self._stop.set()
        if self._consumer is not None:
            self._consumer.shutdown_timeout = timeout
            self._consumer.stop(graceful=graceful)
        if self._maint is not None:
            self._maint.join(timeout=5)
        try:
            with transaction(self.sessions) as s:
                store.forget_worker(s, worker_id=self.worker_id)
        except OperationalError:
            pass
        log.info("worker stopped", extra={"worker": self.worker_id})

    def reap_once(self) -> list[str]:
        stale_after = timedelta(seconds=max(60.0, 4 * self.lease_seconds))
        with transaction(self.sessions) as s:
            store.beat(s, worker_id=self.worker_id, hostname=socket.gethostname(), pid=os.getpid())
        with transaction(self.sessions) as s:
            released = store.release_expired(s)
            stale = store.stale_pending(s, older_than=stale_after)
        for job_id in released + stale:
            self.queue.enqueue(job_id)
        if released or stale:
            log.warning("requeued jobs", extra={"released": released, "stale": stale})
        return released + stale

    def _maintenance(self) -> None:
        interval = max(min(self.lease_seconds / 2, 10.0), 0.2)
        while not self._stop.is_set():
            try:
                self.reap_once()
            except Exception:
                log.exception("job maintenance failed")
            self._stop.wait(interval)
