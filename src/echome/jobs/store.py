"""Job state transitions in the database. Every transition is one conditional UPDATE, so two
workers (or a worker and the reaper) can never both own a job."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session

from echome.db.models import TERMINAL_STATUSES, Job, WorkerHeartbeat
from echome.db.types import utcnow


class JobNotFound(LookupError):
    pass


class JobStateError(ValueError):
    pass


def create_job(
    session: Session, *, user_id: str, kind: str, payload: dict[str, Any], max_attempts: int
) -> Job:
    job = Job(user_id=user_id, kind=kind, payload=payload, max_attempts=max_attempts, stage="queued")
    session.add(job)
    session.flush()
    return job


def get_job(session: Session, *, user_id: str, job_id: str) -> Job:
    job = session.scalar(select(Job).where(Job.id == job_id, Job.user_id == user_id))
    if job is None:
        raise JobNotFound(job_id)
    return job


class AmbiguousJob(LookupError):
    pass


def resolve_job_id(session: Session, *, user_id: str, ref: str) -> str:
    """A job's id from its id or a unique prefix of it (at least 4 characters), among the seller's."""
    ref = ref.strip().lower()
    if session.scalar(select(Job.id).where(Job.id == ref, Job.user_id == user_id)) is not None:
        return ref
    if len(ref) < 4 or not ref.isalnum():
        raise JobNotFound(ref)
    ids = session.scalars(
        select(Job.id).where(Job.user_id == user_id, Job.id.startswith(ref, autoescape=True)).limit(3)
    ).all()
    if not ids:
        raise JobNotFound(ref)
    if len(ids) > 1:
        raise AmbiguousJob(f"{ref!r} starts several job ids ({', '.join(ids)}...); give more of it")
    return ids[0]


def list_jobs(
    session: Session,
    *,
    user_id: str,
    status: str | None = None,
    kind: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> list[Job]:
    q = select(Job).where(Job.user_id == user_id)
    if status:
        q = q.where(Job.status == status)
    if kind:
        q = q.where(Job.kind == kind)
    q = q.order_by(Job.created_at.desc(), Job.id).limit(limit).offset(offset)
    return list(session.scalars(q))


def claim(session: Session, *, job_id: str, worker_id: str, lease: float) -> Job | None:
    """Take the job if it is due and free (pending, or running under an expired lease)."""
    now = utcnow()
    res = session.execute(
        update(Job)
        .where(
            Job.id == job_id,
            Job.cancel_requested.is_(False),
            or_(
                and_(Job.status == "pending", Job.run_after <= now + timedelta(seconds=1)),
                and_(Job.status == "running", Job.lease_expires_at < now),
            ),
        )
        .values(
            status="running",
            lease_owner=worker_id,
            lease_expires_at=now + timedelta(seconds=lease),
            attempts=Job.attempts + 1,
            started_at=now,
            updated_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    if res.rowcount != 1:
        return None
    return session.get(Job, job_id, populate_existing=True)


def _owned(job_id: str, worker_id: str) -> Any:
    return and_(Job.id == job_id, Job.lease_owner == worker_id, Job.status == "running")


def renew(session: Session, *, job_id: str, worker_id: str, lease: float) -> tuple[bool, bool]:
    """Extend the lease. Returns (still ours, cancel requested)."""
    now = utcnow()
    res = session.execute(
        update(Job)
        .where(_owned(job_id, worker_id))
        .values(lease_expires_at=now + timedelta(seconds=lease))
        .execution_options(synchronize_session=False)
    )
    if res.rowcount != 1:
        return False, False
    cancel = session.scalar(select(Job.cancel_requested).where(Job.id == job_id))
    return True, bool(cancel)


def report_progress(
    session: Session, *, job_id: str, worker_id: str, progress: int | None, stage: str | None
) -> bool:
    values: dict[str, Any] = {"updated_at": utcnow()}
    if progress is not None:
        values["progress"] = progress
    if stage is not None:
        values["stage"] = stage[:200]
    res = session.execute(
        update(Job)
        .where(_owned(job_id, worker_id))
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return res.rowcount == 1


def finish(
    session: Session,
    *,
    job_id: str,
    worker_id: str,
    status: str,
    error: str | None = None,
    result: dict[str, Any] | None = None,
    result_ref: str | None = None,
) -> bool:
    assert status in TERMINAL_STATUSES
    now = utcnow()
    values: dict[str, Any] = {
        "status": status,
        "error": error,
        "finished_at": now,
        "updated_at": now,
        "lease_owner": None,
        "lease_expires_at": None,
    }
    if status == "completed":
        values.update(progress=100, stage="done", result=result, result_ref=result_ref)
    elif status == "cancelled":
        values["stage"] = "cancelled"
    res = session.execute(
        update(Job)
        .where(_owned(job_id, worker_id))
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return res.rowcount == 1


def backoff_seconds(attempt: int, *, base: float, cap: float) -> float:
    delay = min(cap, base * (2 ** max(attempt - 1, 0)))
    return delay * random.uniform(0.8, 1.2)


def schedule_retry(
    session: Session, *, job_id: str, worker_id: str, error: str, delay: float
) -> datetime | None:
    now = utcnow()
    when = now + timedelta(seconds=delay)
    res = session.execute(
        update(Job)
        .where(_owned(job_id, worker_id))
        .values(
            status="pending",
            error=error,
            stage=f"retrying in {delay:.0f}s",
            run_after=when,
            lease_owner=None,
            lease_expires_at=None,
            updated_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    return when if res.rowcount == 1 else None


def request_cancel(session: Session, *, user_id: str, job_id: str) -> Job:
    job = get_job(session, user_id=user_id, job_id=job_id)
    now = utcnow()
    if job.status in TERMINAL_STATUSES:
        raise JobStateError(f"job is already {job.status}")
    if job.status == "pending":
        res = session.execute(
            update(Job)
            .where(Job.id == job_id, Job.status == "pending")
            .values(
                status="cancelled", stage="cancelled", cancel_requested=True, finished_at=now, updated_at=now
            )
            .execution_options(synchronize_session=False)
        )
        if res.rowcount == 1:
            return session.get(Job, job_id, populate_existing=True)  # type: ignore[return-value]
    # Running (or claimed meanwhile): the worker sees the flag at its next checkpoint.
    session.execute(
        update(Job)
        .where(Job.id == job_id, Job.status.not_in(TERMINAL_STATUSES))
        .values(cancel_requested=True, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    return session.get(Job, job_id, populate_existing=True)  # type: ignore[return-value]


def release_expired(session: Session, *, now: datetime | None = None) -> list[str]:
    """Jobs whose worker stopped renewing its lease go back to pending; returns their ids."""
    now = now or utcnow()
    ids = list(
        session.scalars(select(Job.id).where(Job.status == "running", Job.lease_expires_at < now).limit(500))
    )
    released = []
    for job_id in ids:
        res = session.execute(
            update(Job)
            .where(Job.id == job_id, Job.status == "running", Job.lease_expires_at < now)
            .values(
                status="pending",
                stage="requeued: worker stopped responding",
                lease_owner=None,
                lease_expires_at=None,
                run_after=now,
                updated_at=now,
            )
            .execution_options(synchronize_session=False)
        )
        if res.rowcount == 1:
            released.append(job_id)
    return released


def cancel_released(session: Session, *, job_id: str) -> bool:
    """A job cancelled while its worker was gone ends as cancelled, not rerun."""
    now = utcnow()
    res = session.execute(
        update(Job)
        .where(Job.id == job_id, Job.status == "pending", Job.cancel_requested.is_(True))
        .values(status="cancelled", stage="cancelled", finished_at=now, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    return res.rowcount == 1


def stale_pending(session: Session, *, older_than: timedelta, now: datetime | None = None) -> list[str]:
    """Pending jobs due long ago whose queue message was lost (queue restarted, crash before enqueue).

    Each is touched (run_after = now) so that several reapers do not all re-send it."""
    now = now or utcnow()
    threshold = now - older_than
    ids = list(
        session.scalars(select(Job.id).where(Job.status == "pending", Job.run_after < threshold).limit(500))
    )
    touched = []
    for job_id in ids:
        res = session.execute(
            update(Job)
            .where(Job.id == job_id, Job.status == "pending", Job.run_after < threshold)
            .values(run_after=now)
            .execution_options(synchronize_session=False)
        )
        if res.rowcount == 1:
            touched.append(job_id)
    return touched


def beat(session: Session, *, worker_id: str, hostname: str, pid: int) -> None:
    row = session.get(WorkerHeartbeat, worker_id)
    now = utcnow()
    if row is None:
        session.add(
            WorkerHeartbeat(id=worker_id, hostname=hostname, pid=pid, started_at=now, last_seen_at=now)
        )
    else:
        row.last_seen_at = now


def live_workers(session: Session, *, within: timedelta) -> list[WorkerHeartbeat]:
    since = utcnow() - within
    return list(session.scalars(select(WorkerHeartbeat).where(WorkerHeartbeat.last_seen_at >= since)))


def forget_worker(session: Session, *, worker_id: str) -> None:
    row = session.get(WorkerHeartbeat, worker_id)
    if row is not None:
        session.delete(row)
