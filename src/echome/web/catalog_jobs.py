"""Catalog imports as the seller follows them: each job's stage in words, why one failed and what
to do about it, the imports still running (so a page opened again shows them), and the upload a
double-submitted form already started."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from echome.db.models import TERMINAL_STATUSES, Job
from echome.jobs import store
from echome.knowledge.uploads import IMPORT_KIND

_EMBEDDING = re.compile(r"embedding (\d+)/(\d+)")
_CHUNKING = re.compile(r"chunking (\d+) products?")


@dataclass(frozen=True)
class ImportState:
    job_id: str
    filename: str
    status: str  # pending, running, completed, failed, cancelled
    percent: int
    stage: str  # what is happening, in words
    reason: str  # why it failed, in the seller's words ("" unless failed)
    advice: str  # what to do about it
    result: dict[str, Any]
    persona_id: str | None

    @property
    def finished(self) -> bool:
        return self.status in TERMINAL_STATUSES

    @property
    def ok(self) -> bool:
        return self.status == "completed"


def stage_words(stage: str, status: str) -> str:
    if status == "pending":
        return "Waiting to start"
    if status == "completed":
        return "Imported"
    if status == "cancelled":
        return "Stopped"
    if status == "failed":
        return "Not imported"
    if stage.startswith("reading"):
        return "Reading your file"
    if stage == "parsing":
        return "Understanding your columns"
    if m := _CHUNKING.match(stage):
        n = int(m.group(1))
        return f"Preparing {n:,} product{'' if n == 1 else 's'}"
    if m := _EMBEDDING.match(stage):
        return f"Learning your products ({int(m.group(1)):,} of {int(m.group(2)):,} passages)"
    if stage.startswith("indexing"):
        return "Making your products searchable"
    if stage.startswith("saving"):
        return "Saving your products"
    return "Working"


def failure_words(error: str | None, filename: str) -> tuple[str, str]:
    """The reason (without the file name the importer puts first) and what to do next."""
    text = (error or "").strip()
    if text.startswith(f"{filename}:"):
        text = text[len(filename) + 1 :].strip()
    lowered = text.lower()
    if not text:
        reason = "The import stopped without saying why."
    else:
        reason = text[:1].upper() + text[1:]
        reason = reason if reason.endswith((".", "!", "?", ")")) else reason + "."
    if "memory" in lowered or ("time" in lowered and "limit" in lowered) or "smaller files" in lowered:
        advice = "Split the catalog into a few smaller files and upload them one by one."
    elif "gone" in lowered:
        advice = "Upload the file again."
    elif any(w in lowered for w in ("unavailable", "timeout", "connection", "rate limit", "try again")):
        advice = "This is on our side or a provider's: wait a few minutes and upload the file again."
    else:
        advice = (
            "Fix this in the file (or export it again from your shop), then upload it again. "
            "Nothing from this file was imported, so nothing needs cleaning up."
        )
    return reason, advice


def import_state(job: Job) -> ImportState:
    payload = job.payload or {}
    filename = str(payload.get("filename") or "your file")
    reason, advice = failure_words(job.error, filename) if job.status == "failed" else ("", "")
    if job.status == "cancelled":
        reason, advice = "The import was stopped before it finished.", "Upload the file again to import it."
    return ImportState(
        job_id=job.id,
        filename=filename,
        status=job.status,
        percent=100 if job.status == "completed" else max(0, min(100, int(job.progress or 0))),
        stage=stage_words(job.stage or "", job.status),
        reason=reason,
        advice=advice,
        result=dict(job.result or {}) if job.status == "completed" else {},
        persona_id=payload.get("persona_id"),
    )


def catalog_job(db: Session, *, user_id: str, job_id: str) -> Job | None:
    """The seller's catalog import; another seller's job, or another kind of job, is None."""
    if len(job_id) > 64:
        return None
    try:
        job = store.get_job(db, user_id=user_id, job_id=job_id)
    except store.JobNotFound:
        return None
    return job if job.kind == IMPORT_KIND else None


def running_imports(db: Session, *, user_id: str) -> list[ImportState]:
    jobs = db.scalars(
        select(Job)
        .where(Job.user_id == user_id, Job.kind == IMPORT_KIND, Job.status.not_in(TERMINAL_STATUSES))
        .order_by(Job.created_at.desc())
        .limit(10)
    )
    return [import_state(j) for j in jobs]


def recent_imports(db: Session, *, user_id: str, limit: int = 5) -> list[ImportState]:
    """The last finished imports, failed ones included: what happened to an upload is never lost."""
    jobs = db.scalars(
        select(Job)
        .where(Job.user_id == user_id, Job.kind == IMPORT_KIND, Job.status.in_(TERMINAL_STATUSES))
        .order_by(Job.created_at.desc())
        .limit(limit)
    )
    return [import_state(j) for j in jobs]


def job_for_upload(db: Session, *, user_id: str, upload_id: str) -> str | None:
    """The import a form with this one-time id already started (a double submit starts nothing)."""
    if not upload_id:
        return None
    recent = store.list_jobs(db, user_id=user_id, kind=IMPORT_KIND, limit=20)
    return next((j.id for j in recent if (j.payload or {}).get("upload_id") == upload_id), None)
