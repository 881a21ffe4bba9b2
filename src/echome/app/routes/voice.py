"""`/api/personas/{id}/voice` and `/say`: consent, building the voice, speaking as the persona."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy import select

from echome.app.deps import CurrentUser, DbSession, ServicesDep, client_ip
from echome.app.errors import ApiError, error_docs
from echome.app.routes.personas import get_persona
from echome.db.models import PersonaMedia, VoiceConsent
from echome.persona.service import record_consent
from echome.voice.builder import consent_view
from echome.voice.speaker import CONTENT_TYPES, SpeakError

router = APIRouter(
    prefix="/api/personas/{persona_id}",
    tags=["voice"],
    responses=error_docs(404, 409),  # the persona: unknown, or its name is ambiguous
)
AUDIO = {"schema": {"type": "string", "format": "binary"}}


class VoiceIn(BaseModel):
    consent: bool = Field(
        default=False, description="You are the person in the media or have their permission"
    )
    consent_statement: str | None = Field(default=None, max_length=2000)
    provider: Literal["auto", "local", "elevenlabs"] = "auto"


class SpeechSettings(BaseModel):
    """ElevenLabs voice settings for this persona (the local voice ignores them)."""

    stability: float | None = Field(default=None, ge=0, le=1)
    similarity_boost: float | None = Field(default=None, ge=0, le=1)
    style: float | None = Field(default=None, ge=0, le=1)
    speed: float | None = Field(default=None, ge=0.7, le=1.2)
    use_speaker_boost: bool | None = None


class SayIn(BaseModel):
    text: str = Field(min_length=1, max_length=5000)
    format: Literal["ogg", "wav", "mp3"] = "ogg"


@router.get("/voice", summary="The persona's voice and the consent it was built under")
def read_voice(persona_id: str, user: CurrentUser, db: DbSession) -> dict[str, Any]:
    persona = get_persona(db, user.id, persona_id)
    vs = dict(persona.voice_settings or {})
    consents = db.scalars(
        select(VoiceConsent)
        .where(VoiceConsent.persona_id == persona.id)
        .order_by(VoiceConsent.created_at.desc())
    ).all()
    by_id = {c.id: consent_view(c) for c in consents}
    return {
        "provider": persona.voice_provider or "local",
        "voice_id": persona.voice_id or "piper:joe",
        "built": persona.voice_id is not None,
        "params": vs.get("params") or {},
        "speech_settings": vs.get("tts_overrides") or {},
        "detail": vs.get("detail") or {},
        "samples": vs.get("samples"),
        "sample_seconds": vs.get("sample_seconds"),
        # how good the speech it was built from is: good/fair/poor, with reasons (voice/builder.py)
        "quality": vs.get("quality") if isinstance(vs.get("quality"), dict) else None,
        "built_at": vs.get("built_at"),
        "consent": by_id.get(vs.get("consent_id", "")),
        "consents": list(by_id.values()),
    }


@router.post("/voice", status_code=202, summary="Build (or rebuild) the voice from the persona's media")
def build_voice(
    persona_id: str, body: VoiceIn, request: Request, user: CurrentUser, db: DbSession, services: ServicesDep
) -> JSONResponse:
    persona_id = get_persona(db, user.id, persona_id).id  # a name works too
    media_ids = list(
        db.scalars(
            select(PersonaMedia.id).where(
                PersonaMedia.persona_id == persona_id, PersonaMedia.status == "ready"
            )
        )
    )
    if not media_ids:
        raise ApiError(409, "add recordings of yourself first; the voice is built from them")
    if body.consent:
        record_consent(db, user, persona_id, media_ids, body.consent_statement, f"api {client_ip(request)}")
        db.commit()
    elif db.scalar(select(VoiceConsent.id).where(VoiceConsent.persona_id == persona_id)) is None:
        raise ApiError(
            422, "consent required: confirm you are the person in the recordings or have their permission"
        )
    job_id = services.submit_job(
        user_id=user.id, kind="persona.voice", payload={"persona_id": persona_id, "provider": body.provider}
    )
    return JSONResponse({"job_id": job_id, "events": f"/api/jobs/{job_id}/events"}, status_code=202)


@router.put("/voice/settings", summary="Speech settings for cloud voices (stability, similarity, ...)")
def put_speech_settings(
    persona_id: str, body: SpeechSettings, user: CurrentUser, db: DbSession
) -> dict[str, Any]:
    persona = get_persona(db, user.id, persona_id)
    vs = dict(persona.voice_settings or {})
    vs["tts_overrides"] = body.model_dump(exclude_none=True)
    persona.voice_settings = vs
    db.commit()
    return vs["tts_overrides"]


@router.post(
    "/say",
    summary="Speak text in the persona's voice; returns audio (OGG/Opus by default)",
    response_class=Response,
    responses={
        200: {
            "description": "The speech, in the requested `format`",
            "content": {media_type: AUDIO for media_type in CONTENT_TYPES.values()},
        },
        **error_docs(503),
    },
)
def say(persona_id: str, body: SayIn, user: CurrentUser, db: DbSession, services: ServicesDep) -> Response:
    persona_id = get_persona(db, user.id, persona_id).id  # a name works too
    db.close()
    try:
        spoken = services.speaker.speak(
            persona_id=persona_id, user_id=user.id, text=body.text, fmt=body.format
        )
    except SpeakError as exc:
        raise ApiError(503 if exc.transient else 422, str(exc)) from None
    return Response(
        spoken.audio,
        media_type=spoken.content_type,
        headers={
            "X-Voice-Provider": spoken.provider,
            "X-Audio-Duration": str(spoken.duration),
            "Content-Disposition": f'inline; filename="say.{spoken.format}"',
        },
    )
