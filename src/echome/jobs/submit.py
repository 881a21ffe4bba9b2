"""Recording a job and sending it to the workers."""

from __future__ import annotations

import logging
from dataclasses import KW_ONLY, dataclass
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from echome.db.session import transaction
from echome.jobs import store
from echome.jobs.registry import JobRegistry
from echome.jobs.runner import JobQueue

log = logging.getLogger("echome.jobs")


@dataclass(eq=False)
class JobSubmitter:
    sessions: sessionmaker[Session]
    registry: JobRegistry
    queue: JobQueue
    _: KW_ONLY
    max_attempts: int

    def submit(self, *, user_id: str, kind: str, payload: dict[str, Any] | None = None) -> str:
        """Record a job and send it to the workers; returns its id."""
        if kind not in self.registry:
            raise ValueError(f"unknown job kind {kind!r}")
        with transaction(self.sessions) as s:
            job = store.create_job(
                s, user_id=user_id, kind=kind, payload=payload or {}, max_attempts=self.max_attempts
            )
            job_id = job.id
        # Committed before it is sent, so a worker always finds the row. If sending fails the
        # job stays pending and a worker's reaper sends it again later.
        self.send(job_id)
        return job_id

    def send(self, job_id: str) -> None:
        """Queue a job already recorded (in the caller's own transaction)."""
        try:
            self.queue.enqueue(job_id)
        except Exception:
            log.exception("could not enqueue job; the reaper will retry", extra={"job_id": job_id})
