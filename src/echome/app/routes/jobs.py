"""`/api/jobs`: list, inspect, cancel, and follow progress as server-sent events."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any, Literal

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
async def job_events(
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
        last: str | None = None
        idle = 0.0
        while True:
            job = await asyncio.to_thread(snapshot)
            data = job.model_dump_json()
            if data != last:
                last = data
                idle = 0.0
                event = "end" if job.status in TERMINAL_STATUSES else "progress"
                yield f"id: {job.updated_at.timestamp()}\nevent: {event}\ndata: {data}\n\n"
                if event == "end":
                    return
            else:
                idle += interval
                if idle >= 15:
                    idle = 0.0
                    yield ": keep-alive\n\n"
            if await request.is_disconnected():
                return
            await asyncio.sleep(interval)

    return StreamingResponse(
        stream(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


def job_json(job: Job) -> dict[str, Any]:
    return json.loads(JobOut.of(job).model_dump_json())
