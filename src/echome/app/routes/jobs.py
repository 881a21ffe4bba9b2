"""`/api/jobs`: list, inspect, cancel, and follow progress as server-sent events."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from datetime import datetime
from typing import Any, Literal, TypeVar

from fastapi import APIRouter, Query, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel

from echome.app.deps import CurrentUser, DbSession, Offset, ServicesDep
from echome.app.errors import ApiError, error_docs, not_found
from echome.db.models import TERMINAL_STATUSES, Job
from echome.jobs import store

router = APIRouter(prefix="/api/jobs", tags=["jobs"])

Status = Literal["pending", "running", "completed", "failed", "cancelled"]


class JobOut(BaseModel):
    id: str
    kind: str
    status: Status
    progress: int
    stage: str
    error: str | None
    attempts: int
    max_attempts: int
    cancel_requested: bool
    result: dict[str, Any] | None
    result_ref: str | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    updated_at: datetime

    @classmethod
    def of(cls, j: Job) -> JobOut:
        return cls.model_validate(j, from_attributes=True)


T = TypeVar("T")
KEEP_ALIVE_SECONDS = 15.0


async def follow(
    snapshot: Callable[[], T],
    request: Request,
    *,
    interval: float,
    key: Callable[[T], str],
    done: Callable[[T], bool] = lambda j: getattr(j, "status", None) in TERMINAL_STATUSES,
) -> AsyncIterator[T | None]:
    """Each new state of a job as `snapshot()` reads it (in a thread, its own short session), until
    `done`; None now and then while nothing changes (a keep-alive), ends when the client leaves.
    The API's JSON stream and the web pages' HTML fragments both follow jobs this way."""
    last: str | None = None
    idle = 0.0
    while True:
        state = await asyncio.to_thread(snapshot)
        current = key(state)
        if current != last:
            last, idle = current, 0.0
            yield state
            if done(state):
                return
        else:
            idle += interval
            if idle >= KEEP_ALIVE_SECONDS:
                idle = 0.0
                yield None
        if await request.is_disconnected():
            return
        await asyncio.sleep(interval)


@router.get("", response_model=list[JobOut])
def list_jobs(
    user: CurrentUser,
    db: DbSession,
    status: Status | None = None,
    kind: str | None = Query(default=None, max_length=100),
    limit: int = Query(default=50, ge=1, le=500),
    offset: Offset = 0,
) -> list[JobOut]:
    jobs = store.list_jobs(db, user_id=user.id, status=status, kind=kind, limit=limit, offset=offset)
    return [JobOut.of(j) for j in jobs]


def _get(db: Any, user_id: str, job_id: str) -> Job:
    try:
        return store.get_job(db, user_id=user_id, job_id=job_id)
    except store.JobNotFound:
        raise not_found("job") from None


@router.get("/{job_id}", response_model=JobOut)
def get_job(job_id: str, user: CurrentUser, db: DbSession) -> JobOut:
    return JobOut.of(_get(db, user.id, job_id))


@router.post("/{job_id}/cancel", response_model=JobOut, responses=error_docs(409))
def cancel_job(job_id: str, user: CurrentUser, db: DbSession) -> JobOut:
    try:
        job = store.request_cancel(db, user_id=user.id, job_id=job_id)
    except store.JobNotFound:
        raise not_found("job") from None
    except store.JobStateError as exc:
        raise ApiError(409, str(exc)) from None
    db.commit()
    return JobOut.of(job)


@router.get(
    "/{job_id}/events",
    summary="Live progress (text/event-stream)",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}}},
)
def job_events(
    job_id: str,
    request: Request,
    user: CurrentUser,
    db: DbSession,
    services: ServicesDep,
    interval: float = Query(default=0.5, ge=0.1, le=10),
) -> StreamingResponse:
    _get(db, user.id, job_id)  # 404 before the stream starts
    user_id = user.id
    # Release the request's transaction now: on SQLite it would hold the write lock for the
    # whole stream. Each poll below uses its own short session.
    db.close()

    def snapshot() -> JobOut:
        with services.sessions() as s:
            return JobOut.of(store.get_job(s, user_id=user_id, job_id=job_id))

    async def stream() -> AsyncIterator[str]:
        async for job in follow(snapshot, request, interval=interval, key=JobOut.model_dump_json):
            if job is None:
                yield ": keep-alive\n\n"
                continue
            event = "end" if job.status in TERMINAL_STATUSES else "progress"
            yield f"id: {job.updated_at.timestamp()}\nevent: {event}\ndata: {job.model_dump_json()}\n\n"

    return StreamingResponse(
        stream(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


def job_json(job: Job) -> dict[str, Any]:
    return json.loads(JobOut.of(job).model_dump_json())
