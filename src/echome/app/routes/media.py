"""`/api/personas/{id}/media`: recordings of the seller (URLs or uploads), transcripts, speakers."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy import select

from echome.app.deps import CurrentUser, DbSession, ServicesDep, client_ip
from echome.app.errors import ApiError, error_docs, not_found
from echome.app.routes.personas import get_persona
from echome.app.routes.products import safe_filename
from echome.db.models import PersonaMedia, Transcript
from echome.persona.service import MAX_ITEMS, MediaInputError, Submitted, choose_speaker
from echome.voice.builder import consent_view

router = APIRouter(
    prefix="/api/personas/{persona_id}/media",
    tags=["media"],
    responses=error_docs(404, 409),  # the persona: unknown, or its name is ambiguous
)

VoiceProvider = Literal["auto", "local", "elevenlabs"]


class MediaIn(BaseModel):
    urls: list[str] = Field(min_length=1, max_length=MAX_ITEMS)
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
    speaker: str = Field(
        min_length=1,
        max_length=16,
        description='A speaker id of the recording ("S1", ...), or "all": every voice heard is you',
    )


def _out(m: PersonaMedia) -> MediaOut:
    return MediaOut.model_validate(m, from_attributes=True)


def _submitted(sub: Submitted) -> JSONResponse:
    return JSONResponse(
        {
            "job_id": sub.job_id,
            "events": f"/api/jobs/{sub.job_id}/events",
            "media": [_out(r).model_dump(mode="json") for r in sub.media],
            "consent": consent_view(sub.consent) if sub.consent else None,
        },
        status_code=202,
    )


@router.post("", status_code=202, summary="Add recordings by URL (YouTube videos/playlists, any yt-dlp site)")
def add_media_urls(
    persona_id: str, body: MediaIn, request: Request, user: CurrentUser, db: DbSession, services: ServicesDep
) -> JSONResponse:
    persona_id = get_persona(db, user.id, persona_id).id  # a name works too
    try:
        sub = services.media_intake.add_media(
            db, user, persona_id, urls=body.urls, consent=body.consent,
            statement=body.consent_statement, build_voice=body.build_voice, provider=body.voice_provider,
            client=f"api {client_ip(request)}",
        )  # fmt: skip
    except MediaInputError as exc:
        raise ApiError(exc.status, str(exc)) from None
    return _submitted(sub)


@router.post(
    "/upload",
    status_code=202,
    summary="Upload audio or video files of yourself",
    responses=error_docs(415),
)
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
    persona_id = get_persona(db, user.id, persona_id).id  # a name works too
    try:
        sub = services.media_intake.add_media(
            db, user, persona_id,
            uploads=[(safe_filename(f.filename or ""), f.file) for f in files],
            consent=consent, statement=consent_statement, build_voice=build_voice, provider=voice_provider,
            client=f"api {client_ip(request)}",
        )  # fmt: skip
    except MediaInputError as exc:
        raise ApiError(exc.status, str(exc)) from None
    return _submitted(sub)


@router.get("", response_model=list[MediaOut])
def list_media(persona_id: str, user: CurrentUser, db: DbSession) -> list[MediaOut]:
    persona_id = get_persona(db, user.id, persona_id).id  # a name works too
    rows = db.scalars(
        select(PersonaMedia)
        .where(PersonaMedia.persona_id == persona_id, PersonaMedia.user_id == user.id)
        .order_by(PersonaMedia.created_at, PersonaMedia.id)
    )
    return [_out(r) for r in rows]


def _media(db: DbSession, user_id: str, persona_id: str, media_id: str) -> PersonaMedia:
    persona_id = get_persona(db, user_id, persona_id).id
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
    try:
        job_id = choose_speaker(db, services.submit_job, media=media, transcript=tr, speaker=body.speaker)
    except MediaInputError as exc:
        raise ApiError(exc.status, str(exc)) from None
    return JSONResponse({"job_id": job_id, "seller_speaker": body.speaker}, status_code=202)


@router.delete("/{media_id}", status_code=202, summary="Delete a recording; re-measures the persona")
def delete_media(
    persona_id: str, media_id: str, user: CurrentUser, db: DbSession, services: ServicesDep
) -> JSONResponse:
    media = _media(db, user.id, persona_id, media_id)
    persona_id = media.persona_id
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
