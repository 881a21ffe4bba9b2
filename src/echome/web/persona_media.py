"""What the Persona and Voice pages show of a persona's recordings and jobs: the jobs' progress in
words (with what to do when one failed), the speakers told apart in each recording with a short
sample of each, a sentence of the seller's own speech, and the signed address of spoken text."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import select
from sqlalchemy.orm import Session

from echome.db.models import TERMINAL_STATUSES, Job, PersonaMedia, Transcript
from echome.persona.service import every_voice_is_seller, speaker_shares

PERSONA_JOBS = ("persona.media", "persona.analyse", "persona.voice")
JOB_TITLES = {
    "persona.media": "Listening to your recordings",
    "persona.analyse": "Measuring your speaking style",
    "persona.voice": "Building your voice",
}
STATUS_WORDS = {
    "pending": ("Waiting to start", "neutral"),
    "processing": ("Working", "accent"),
    "running": ("Working", "accent"),
    "ready": ("Ready", "success"),
    "completed": ("Done", "success"),
    "failed": ("Failed", "danger"),
    "cancelled": ("Cancelled", "neutral"),
}
MAX_CLIP_SECONDS = 30.0
SAMPLE_SECONDS = 8.0


def clip_url(persona_id: str, media_id: str, start: float, end: float) -> str:
    query = urlencode({"start": f"{max(0.0, start):.2f}", "end": f"{end:.2f}"})
    return f"/app/personas/{persona_id}/media/{media_id}/clip?{query}"


def speech_signature(csrf: str, persona_id: str, text: str) -> str:
    """Only pages of this browser session can ask for speech (an address other sites cannot forge)."""
    return hmac.new(csrf.encode(), f"{persona_id}\n{text}".encode(), hashlib.sha256).hexdigest()[:32]


def speech_url(csrf: str, persona_id: str, text: str) -> str:
    query = urlencode({"text": text, "sig": speech_signature(csrf, persona_id, text)})
    return f"/app/personas/{persona_id}/voice/speech?{query}"


# -- jobs --------------------------------------------------------------------------------------
def _advice(kind: str, error: str) -> str:
    low = error.lower()
    if "consent" in low:
        return "Tick the consent box when you add recordings, then build the voice again."
    if "no clean stretch" in low or "too little" in low or "no speech" in low:
        return "Add a longer recording where you speak clearly on your own, without music."
    if "download" in low or "unavailable" in low or "http" in low or "not a web address" in low:
        return "Check that the link opens in your browser, or download the video and upload the file."
    if "ffmpeg" in low or "audio" in low or "decode" in low:
        return "Try another file: an MP3, M4A, WAV or MP4 of you speaking."
    if kind == "persona.voice":
        return "Try building the voice again; if it keeps failing, add another recording."
    return "Try again; if it keeps failing, upload the recording as a file instead of a link."


@dataclass
class JobItem:
    title: str
    status: str
    status_text: str
    tone: str
    error: str | None
    advice: str | None


@dataclass
class JobPanel:
    id: str
    kind: str
    title: str
    status: str
    status_text: str
    tone: str
    progress: int
    stage: str
    error: str | None
    advice: str | None
    finished: bool
    items: list[JobItem] = field(default_factory=list)
    voice_error: str | None = None

    @property
    def key(self) -> str:
        """Changes whenever anything the panel shows changes (the live stream sends it then)."""
        parts = [self.status, str(self.progress), self.stage, self.error or "", self.voice_error or ""]
        parts += [f"{i.status}:{i.error or ''}" for i in self.items]
        return "|".join(parts)


def _item(m: PersonaMedia) -> JobItem:
    text, tone = STATUS_WORDS.get(m.status, (m.status, "neutral"))
    error = (m.error or "").strip() or None
    advice = _advice("persona.media", error) if m.status == "failed" and error else None
    return JobItem(m.title or m.source, m.status, text, tone, error, advice)


def job_panel(db: Session, job: Job) -> JobPanel:
    text, tone = STATUS_WORDS.get(job.status, (job.status, "neutral"))
    items = []
    if job.kind == "persona.media":
        media = db.scalars(
            select(PersonaMedia)
            .where(PersonaMedia.job_id == job.id, PersonaMedia.user_id == job.user_id)
            .order_by(PersonaMedia.created_at, PersonaMedia.id)
        )
        items = [_item(m) for m in media]
    voice = (job.result or {}).get("voice")
    voice_error = voice.get("error") if isinstance(voice, dict) else None
    error = (job.error or "").strip() or None
    stage = job.stage or ("Waiting for a free worker" if job.status == "pending" else "")
    return JobPanel(
        id=job.id,
        kind=job.kind,
        title=JOB_TITLES.get(job.kind, "Working"),
        status=job.status,
        status_text=text,
        tone=tone,
        progress=100 if job.status == "completed" else int(job.progress or 0),
        stage=stage[:1].upper() + stage[1:],
        error=error,
        advice=_advice(job.kind, error) if error else None,
        finished=job.status in TERMINAL_STATUSES,
        items=items,
        voice_error=voice_error,
    )


def persona_jobs(db: Session, *, user_id: str, persona_id: str, limit: int = 3) -> list[Job]:
    """The persona's newest jobs (running ones, and the last finished for its outcome)."""
    rows = db.scalars(
        select(Job)
        .where(Job.user_id == user_id, Job.kind.in_(PERSONA_JOBS))
        .order_by(Job.created_at.desc(), Job.id)
        .limit(30)
    )
    mine = [j for j in rows if (j.payload or {}).get("persona_id") == persona_id]
    running = [j for j in mine if j.status not in TERMINAL_STATUSES]
    finished = [j for j in mine if j.status in TERMINAL_STATUSES][:1]
    return (running + finished)[:limit]


def owned_job(db: Session, *, user_id: str, persona_id: str, job_id: str) -> Job | None:
    job = (
        db.scalar(select(Job).where(Job.id == job_id, Job.user_id == user_id)) if len(job_id) <= 64 else None
    )
    if job is None or (job.payload or {}).get("persona_id") != persona_id:
        return None
    return job


# -- recordings --------------------------------------------------------------------------------
def persona_media(db: Session, *, user_id: str, persona_id: str) -> list[PersonaMedia]:
    return list(
        db.scalars(
            select(PersonaMedia)
            .where(PersonaMedia.persona_id == persona_id, PersonaMedia.user_id == user_id)
            .order_by(PersonaMedia.created_at, PersonaMedia.id)
        )
    )


def media_row(persona_id: str, m: PersonaMedia) -> dict[str, Any]:
    item = _item(m)
    return {
        "id": m.id,
        "title": item.title,
        "kind": "Link" if m.kind == "url" else "File",
        "status_text": item.status_text,
        "tone": item.tone,
        "error": item.error,
        "advice": item.advice,
        "minutes": _duration(m.duration_seconds),
        "playable": bool(m.audio_key and m.duration_seconds),
        "listen": clip_url(persona_id, m.id, 0, min(MAX_CLIP_SECONDS, m.duration_seconds or 0)),
    }


def _duration(seconds: float | None) -> str:
    if not seconds:
        return ""
    s = round(seconds)
    return f"{s // 60}:{s % 60:02d}"


def _segments(tr: Transcript) -> list[dict[str, Any]]:
    return [s for s in tr.segments or [] if isinstance(s, dict) and "start" in s and "end" in s]


def speaker_choices(db: Session, *, user_id: str, persona_id: str) -> list[dict[str, Any]]:
    """Each ready recording with the speakers told apart in it, a short sample of each, and which
    one counts as the seller (the automatic guess, or the seller's own choice)."""
    rows = db.execute(
        select(PersonaMedia, Transcript)
        .join(Transcript, Transcript.media_id == PersonaMedia.id)
        .where(
            PersonaMedia.persona_id == persona_id,
            PersonaMedia.user_id == user_id,
            PersonaMedia.status == "ready",
        )
        .order_by(PersonaMedia.created_at, PersonaMedia.id)
    ).all()
    out = []
    for media, tr in rows:
        speakers = []
        for sid, share in speaker_shares(tr):
            segs = [s for s in _segments(tr) if s.get("speaker") == sid]
            best = max(
                segs, key=lambda s: min(float(s["end"]) - float(s["start"]), SAMPLE_SECONDS), default=None
            )
            sample = None
            if best is not None and media.audio_key:
                start = float(best["start"])
                end = min(float(best["end"]), start + SAMPLE_SECONDS)
                sample = {
                    "url": clip_url(persona_id, media.id, start, end),
                    "text": str(best.get("text", "")),
                }
            speakers.append(
                {
                    "id": sid,
                    "share": f"{share * 100:.0f}%" if share is not None else "",
                    "sample": sample,
                    "chosen": sid == tr.seller_speaker,
                }
            )
        out.append(
            {
                "id": media.id,
                "title": media.title or media.source,
                "speakers": speakers,
                "chosen_by": tr.speaker_chosen_by,
                "seller_speaker": tr.seller_speaker,
                "all_mine": every_voice_is_seller(tr),
                # several voices and no choice yet: left out of the persona and the voice
                "awaiting": len(speakers) > 1 and tr.speaker_chosen_by != "seller",
            }
        )
    return out


def own_sentence(db: Session, *, user_id: str, persona_id: str) -> dict[str, Any] | None:
    """A sentence the seller said in a recording (2-12 s, a few words), with where it is: the
    Voice page plays it beside the generated voice saying the same words."""
    rows = db.execute(
        select(PersonaMedia, Transcript)
        .join(Transcript, Transcript.media_id == PersonaMedia.id)
        .where(
            PersonaMedia.persona_id == persona_id,
            PersonaMedia.user_id == user_id,
            PersonaMedia.status == "ready",
            PersonaMedia.audio_key.is_not(None),
        )
        .order_by(PersonaMedia.created_at, PersonaMedia.id)
    ).all()
    fallback = None
    for media, tr in rows:
        for seg in _segments(tr):
            if tr.seller_speaker is not None and seg.get("speaker") != tr.seller_speaker:
                continue
            text = " ".join(str(seg.get("text", "")).split())
            start, end = float(seg["start"]), float(seg["end"])
            found = {"media_id": media.id, "title": media.title or media.source, "text": text}
            found["url"] = clip_url(persona_id, media.id, start, min(end, start + MAX_CLIP_SECONDS))
            if 2.0 <= end - start <= 12.0 and 4 <= len(text.split()) <= 30:
                return found
            if fallback is None and text and end - start <= MAX_CLIP_SECONDS:
                fallback = found
    return fallback
