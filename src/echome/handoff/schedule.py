"""How the desk starts background work: now (tell the seller, deliver a reply) or later (a timeout).

`QueuedJobs` records the job in the jobs table (the truth) and sends its id to the queue, with a
delay for later jobs; a delayed job whose queue message is lost is re-sent by the workers' reaper
once it is due (`jobs.store.stale_pending`). `RecordedJobs` is the fake beside the Protocol.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Protocol

from sqlalchemy.orm import Session, sessionmaker

from echome.db.session import transaction
from echome.db.types import utcnow
from echome.jobs import store
from echome.jobs.submit import JobSubmitter


class JobSender(Protocol):
    def submit(self, *, user_id: str, kind: str, payload: dict[str, Any]) -> str: ...

    def submit_later(self, *, user_id: str, kind: str, payload: dict[str, Any], delay: float) -> str: ...


@dataclass(eq=False)
class QueuedJobs:
    sessions: sessionmaker[Session]
    submitter: JobSubmitter

    def submit(self, *, user_id: str, kind: str, payload: dict[str, Any]) -> str:
        return self.submitter.submit(user_id=user_id, kind=kind, payload=payload)

    def submit_later(self, *, user_id: str, kind: str, payload: dict[str, Any], delay: float) -> str:
        if kind not in self.submitter.registry:
            raise ValueError(f"unknown job kind {kind!r}")
        with transaction(self.sessions) as db:
            job = store.create_job(
                db, user_id=user_id, kind=kind, payload=payload, max_attempts=self.submitter.max_attempts
            )
            job.run_after = utcnow() + timedelta(seconds=delay)
            job.stage = "scheduled"
            job_id = job.id
        with contextlib.suppress(Exception):  # else the reaper sends it once it is due
            self.submitter.queue.enqueue(job_id, delay=delay)
        return job_id


@dataclass
class RecordedJobs:
    """A JobSender that only remembers what it was asked to start: (kind, payload, delay)."""

    sent: list[tuple[str, dict[str, Any], float]] = field(default_factory=list)

    def submit(self, *, user_id: str, kind: str, payload: dict[str, Any]) -> str:
        self.sent.append((kind, dict(payload), 0.0))
        return f"job-{len(self.sent)}"

    def submit_later(self, *, user_id: str, kind: str, payload: dict[str, Any], delay: float) -> str:
        self.sent.append((kind, dict(payload), delay))
        return f"job-{len(self.sent)}"

    def kinds(self) -> list[str]:
        return [k for k, _, _ in self.sent]
