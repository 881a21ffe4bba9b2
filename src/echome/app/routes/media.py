"""`/api/personas/{id}/media`: recordings of the seller (URLs or uploads), transcripts, speakers."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy import select

from echome.app.deps import CurrentUser, DbSession, ServicesDep, client_ip
from echome.app.errors import ApiError, not_found
from echome.app.routes.personas import get_persona
from echome.app.routes.products import safe_filename
from echome.db.models import PersonaMedia, Transcript, User, VoiceConsent
from echome.voice.build import consent_view

router = APIRouter(prefix="/api/personas/{persona_id}/media", tags=["media"])

MAX_URLS = 25
MEDIA_EXTENSIONS = (
    ".mp3", ".wav", ".m4a", ".aac", ".ogg", ".oga", ".opus", ".flac", ".webm", ".mp4", ".mov", ".mkv",
    ".avi", ".wma", ".amr", ".3gp", ".m4v",
)  # fmt: skip
DEFAULT_CONSENT = (
    "I am the person speaking in these recordings, or I have their permission to clone their voice."
)
VoiceProvider = Literal["auto", "local", "elevenlabs"]


class MediaIn(BaseModel):
    urls: list[str] = Field(min_length=1, max_length=MAX_URLS)
    consent: bool = Field(
        default=False, description="You are the person in the media or have their permission"
    )
    consent_statement: str | None = Field(default=None, max_length=2000)
    build_voice: bool | None = Field(
        default=None, description="Build the voice when done (default: = consent)"
    )
    voice_provider: VoiceProvider = "auto"


class MediaOut(BaseModel):
    id: str
    kind: str
    source: str
    title: str | None
    status: str
    error: str | None
    job_id: str | None
    duration_seconds: float | None
    language: str | None
    created_at: datetime
    updated_at: datetime


class SpeakerPick(BaseModel):
    speaker: str = Field(min_length=1, max_length=16)


def _out(m: PersonaMedia) -> MediaOut:
    return MediaOut.model_validate(m, from_attributes=True)


def _check_url(url: str) -> str:
    url = url.strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc or len(url) > 2000:
        raise ApiError(422, f"not a web address (http or https): {url[:100]!r}")
    return url


def _record_consent(db: DbSession, user: User, persona_id: str, media_ids: list[str], statement: str | None,
                    client: str) -> VoiceConsent:  # fmt: skip
    row = VoiceConsent(
        user_id=user.id,
        persona_id=persona_id,
        confirmed_by=user.email,
        statement=(statement or DEFAULT_CONSENT).strip(),
        media_ids=media_ids,
        client=client[:200],
    )
    db.add(row)
    return row


def _submit(
    services: ServicesDep,
    db: DbSession,
    user: User,
    persona_id: str,
    rows: list[PersonaMedia],
    *,
    consent: bool,
    statement: str | None,
    build_voice: bool | None,
    provider: str,
    client: str,
) -> JSONResponse:
    db.add_all(rows)
    db.flush()
    ids = [r.id for r in rows]
    consent_row = _record_consent(db, user, persona_id, ids, statement, client) if consent else None
    db.commit()
    job_id = services.submit_job(
        user_id=user.id,
        kind="persona.media",
        payload={
            "persona_id": persona_id,
            "media_ids": ids,
            "build_voice": consent if build_voice is None else build_voice,
            "voice_provider": provider,
        },
    )
    for r in rows:
        r.job_id = job_id
    db.commit()
    return JSONResponse(
        {
            "job_id": job_id,
            "events": f"/api/jobs/{job_id}/events",
            "media": [_out(r).model_dump(mode="json") for r in rows],
            "consent": consent_view(consent_row) if consent_row else None,
        },
        status_code=202,
    )


@router.post("", status_code=202, summary="Add recordings by URL (YouTube videos/playlists, any yt-dlp site)")
def add_media_urls(
    persona_id: str, body: MediaIn, request: Request, user: CurrentUser, db: DbSession, services: ServicesDep
) -> JSONResponse:
    get_persona(db, user.id, persona_id)
    urls = list(dict.fromkeys(_check_url(u) for u in body.urls))
    rows = [
        PersonaMedia(user_id=user.id, persona_id=persona_id, kind="url", source=u, status="pending")
        for u in urls
    ]
    return _submit(
        services, db, user, persona_id, rows,
        consent=body.consent, statement=body.consent_statement, build_voice=body.build_voice,
        provider=body.voice_provider, client=f"api {client_ip(request)}",
    )  # fmt: skip


@router.post("/upload", status_code=202, summary="Upload audio or video files of yourself")
def upload_media(
    persona_id: str,
    request: Request,
    user: CurrentUser,
    db: DbSession,
    services: ServicesDep,
    files: Annotated[list[UploadFile], File(description="Audio or video files")],
    consent: Annotated[bool, Form()] = False,
    consent_statement: Annotated[str | None, Form(max_length=2000)] = None,
    build_voice: Annotated[bool | None, Form()] = None,
    voice_provider: Annotated[VoiceProvider, Form()] = "auto",
) -> JSONResponse:
    get_persona(db, user.id, persona_id)
    if not files or len(files) > MAX_URLS:
        raise ApiError(422, f"upload between 1 and {MAX_URLS} files")
    limit = services.settings.max_media_upload_bytes
    rows: list[PersonaMedia] = []
    stored: list[str] = []
    try:
        for f in files:
            name = safe_filename(f.filename or "")
            if not name.lower().endswith(MEDIA_EXTENSIONS):
                raise ApiError(
                    415, f"{name}: not an audio or video file; use one of {', '.join(MEDIA_EXTENSIONS)}"
                )
            f.file.seek(0, 2)
            size = f.file.tell()
            f.file.seek(0)
            if size == 0:
                raise ApiError(422, f"{name}: the file is empty")
            if size > limit:
                raise ApiError(413, f"{name}: larger than the {limit // (1024 * 1024)} MB limit")
            row = PersonaMedia(user_id=user.id, persona_id=persona_id, kind="upload", source=name, title=name)
            row.status = "pending"
            db.add(row)
            db.flush()
            row.upload_key = services.storage.put("media-uploads", user.id, f"{row.id}-{name}", f.file)
            stored.append(row.upload_key)
            rows.append(row)
    except ApiError:
        db.rollback()
        for key in stored:
            services.storage.delete(key)
        raise
    return _submit(
        services, db, user, persona_id, rows,
        consent=consent, statement=consent_statement, build_voice=build_voice,
        provider=voice_provider, client=f"api {client_ip(request)}",
    )  # fmt: skip


@router.get("", response_model=list[MediaOut])
def list_media(persona_id: str, user: CurrentUser, db: DbSession) -> list[MediaOut]:
    get_persona(db, user.id, persona_id)
    rows = db.scalars(
        select(PersonaMedia)
        .where(PersonaMedia.persona_id == persona_id, PersonaMedia.user_id == user.id)
        .order_by(PersonaMedia.created_at, PersonaMedia.id)
    )
    return [_out(r) for r in rows]


def _media(db: DbSession, user_id: str, persona_id: str, media_id: str) -> PersonaMedia:
    row = db.scalar(
        select(PersonaMedia).where(
            PersonaMedia.id == media_id,
            PersonaMedia.persona_id == persona_id,
            PersonaMedia.user_id == user_id,
        )
    )
    if row is None:
        raise not_found("media")
    return row


@router.get("/{media_id}/transcript", summary="Timestamped transcript with speaker labels")
def read_transcript(persona_id: str, media_id: str, user: CurrentUser, db: DbSession) -> dict[str, Any]:
    media = _media(db, user.id, persona_id, media_id)
    tr = db.scalar(select(Transcript).where(Transcript.media_id == media.id))
    if tr is None:
        raise ApiError(404, f"no transcript yet (media status: {media.status})")
    return {
        "media_id": media.id,
        "model": tr.model,
        "language": tr.language,
        "language_probability": tr.language_probability,
        "text": tr.text,
        "seller_speaker": tr.seller_speaker,
        "speaker_chosen_by": tr.speaker_chosen_by,
        "speakers": tr.speakers,
        "segments": tr.segments,
    }


@router.put(
    "/{media_id}/speaker", status_code=202, summary="Say which speaker is you; re-measures the persona"
)
def pick_speaker(
    persona_id: str, media_id: str, body: SpeakerPick, user: CurrentUser, db: DbSession, services: ServicesDep
) -> JSONResponse:
    media = _media(db, user.id, persona_id, media_id)
    tr = db.scalar(select(Transcript).where(Transcript.media_id == media.id))
    if tr is None:
        raise ApiError(409, f"the recording has no transcript yet (status: {media.status})")
    known = {s.get("id") for s in (tr.speakers or {}).get("speakers", [])}
    if body.speaker not in known:
        raise ApiError(
            422, f"unknown speaker {body.speaker!r}; this recording has: {', '.join(sorted(known))}"
        )
    tr.seller_speaker, tr.speaker_chosen_by = body.speaker, "seller"
    db.commit()
    job_id = services.submit_job(
        user_id=user.id,
        kind="persona.analyse",
        payload={
            "persona_id": persona_id,
            "change": f"speaker {body.speaker} chosen in {media.title or media.id}",
        },
    )
    return JSONResponse({"job_id": job_id, "seller_speaker": body.speaker}, status_code=202)


@router.delete("/{media_id}", status_code=202, summary="Delete a recording; re-measures the persona")
def delete_media(
    persona_id: str, media_id: str, user: CurrentUser, db: DbSession, services: ServicesDep
) -> JSONResponse:
    media = _media(db, user.id, persona_id, media_id)
    keys = [k for k in (media.audio_key, media.upload_key) if k]
    was_ready = media.status == "ready"
    db.delete(media)
    db.commit()
    for key in keys:
        services.storage.delete(key)
    job_id = None
    if was_ready:
        job_id = services.submit_job(
            user_id=user.id,
            kind="persona.analyse",
            payload={"persona_id": persona_id, "change": f"media removed: {media.title or media_id}"},
        )
    return JSONResponse({"deleted": media_id, "job_id": job_id}, status_code=202)
