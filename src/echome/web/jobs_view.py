"""A seller's background jobs as the Jobs page and Home show them: the kind in words, progress and
stage, why one failed and what to do (the Voice and Catalog pages' own wording), newest first.

Telegram messages are jobs too (one per update), but they are the channel's plumbing, not work
the seller started: they are left out, or they would bury the imports and voices."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from echome.db.models import TERMINAL_STATUSES, Job
from echome.knowledge.jobs import STORE_INFO_JOB_KIND
from echome.knowledge.uploads import IMPORT_KIND
from echome.web.catalog_jobs import import_state
from echome.web.persona_media import PERSONA_JOBS, STATUS_WORDS, job_panel

SELLER_KINDS = (*PERSONA_JOBS, IMPORT_KIND, STORE_INFO_JOB_KIND)
PAGE_SIZE = 20


@dataclass(frozen=True)
class JobRow:
    id: str
    kind: str
    title: str  # the kind in words
    subject: str  # what it works on: a file, a persona
    status: str
    status_text: str
    tone: str
    percent: int
    stage: str
    reason: str | None  # why it failed, in the seller's words
    advice: str | None  # what to do about it
    created_at: datetime
    persona_id: str | None
    cancel_requested: bool

    @property
    def finished(self) -> bool:
        return self.status in TERMINAL_STATUSES

    @property
    def key(self) -> str:
        """Changes whenever what the row shows changes (the live stream sends it then)."""
        return "|".join(
            (self.status, str(self.percent), self.stage, self.reason or "", str(self.cancel_requested))
        )


def _sentence(text: str) -> str:
    text = text.strip()
    if not text:
        return text
    text = text[:1].upper() + text[1:]
    return text if text.endswith((".", "!", "?", ")")) else text + "."


def job_row(db: Session, job: Job, persona_names: dict[str, str]) -> JobRow:
    payload = job.payload or {}
    persona_id = payload.get("persona_id")
    persona_name = persona_names.get(str(persona_id), "") if persona_id else ""
    status_text, tone = STATUS_WORDS.get(job.status, (job.status, "neutral"))
    if job.kind == IMPORT_KIND:
        state = import_state(job)
        title = "Importing a catalog"
        subject = state.filename + (f" for {persona_name}" if persona_name else " for all your personas")
        percent, stage = state.percent, state.stage
        reason, advice = state.reason or None, state.advice or None
    elif job.kind in PERSONA_JOBS:
        panel = job_panel(db, job)
        title, subject = panel.title, persona_name
        percent, stage = panel.progress, panel.stage
        reason = _sentence(panel.error) if panel.error else None
        advice = panel.advice
        if reason is None and panel.voice_error:
            reason = _sentence("The voice was not built: " + panel.voice_error)
            advice = "Open the Voice page and build your voice again; add a longer recording if it fails."
        failed_items = [i for i in panel.items if i.error]
        if reason is None and failed_items:
            reason = _sentence(f"{failed_items[0].title}: {failed_items[0].error}")
            advice = failed_items[0].advice
    else:
        title = "Importing your shop's information" if job.kind == STORE_INFO_JOB_KIND else "Working"
        subject = str(payload.get("filename") or "")
        percent = 100 if job.status == "completed" else int(job.progress or 0)
        stage = "Waiting to start" if job.status == "pending" else _sentence(job.stage or "")[:-1]
        reason = _sentence(job.error) if job.error and job.status == "failed" else None
        advice = "Fix the file and upload it again." if reason else None
    if job.status == "cancelled":
        reason, advice = (
            "It was stopped before it finished.",
            "Start it again from the page you started it on.",
        )
    if job.status == "failed" and reason is None:
        reason, advice = (
            "It stopped without saying why.",
            "Try again; if it keeps failing, upload another file.",
        )
    if job.status == "completed":
        reason = advice = None
    return JobRow(
        id=job.id,
        kind=job.kind,
        title=title,
        subject=subject,
        status=job.status,
        status_text="Stopping"
        if job.cancel_requested and job.status not in TERMINAL_STATUSES
        else status_text,
        tone=tone,
        percent=max(0, min(100, percent)),
        stage=stage,
        reason=reason,
        advice=advice,
        created_at=job.created_at,
        persona_id=str(persona_id) if persona_id else None,
        cancel_requested=bool(job.cancel_requested),
    )


def seller_job(db: Session, *, user_id: str, job_id: str) -> Job | None:
    """The seller's job of a kind the Jobs page shows; another seller's (or none) is None."""
    if len(job_id) > 64:
        return None
    return db.scalar(select(Job).where(Job.id == job_id, Job.user_id == user_id, Job.kind.in_(SELLER_KINDS)))


def jobs_page(db: Session, *, user_id: str, page: int) -> tuple[list[Job], int]:
    """One page of the seller's jobs, newest first, and how many there are in all."""
    where = (Job.user_id == user_id, Job.kind.in_(SELLER_KINDS))
    total = db.scalar(select(func.count()).select_from(Job).where(*where)) or 0
    rows = db.scalars(
        select(Job)
        .where(*where)
        .order_by(Job.created_at.desc(), Job.id.desc())
        .limit(PAGE_SIZE)
        .offset((page - 1) * PAGE_SIZE)
    )
    return list(rows), int(total)


def running_jobs(db: Session, *, user_id: str, limit: int = 5) -> list[Job]:
    return list(
        db.scalars(
            select(Job)
            .where(Job.user_id == user_id, Job.kind.in_(SELLER_KINDS), Job.status.not_in(TERMINAL_STATUSES))
            .order_by(Job.created_at.desc(), Job.id.desc())
            .limit(limit)
        )
    )
