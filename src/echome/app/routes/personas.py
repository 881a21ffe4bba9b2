"""`/api/personas`: the seller's personas (media, profile and voice hang off these)."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter
from pydantic import BaseModel, Field
from sqlalchemy import select

from echome.accounts.erase import CloudVoiceRemover, erase_persona
from echome.app.deps import CurrentUser, DbSession, ServicesDep
from echome.app.errors import ApiError, error_docs, not_found
from echome.bootstrap import Services
from echome.db.models import Persona, PersonaProfile

router = APIRouter(prefix="/api/personas", tags=["personas"])


class PersonaIn(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=5000)


class PersonaPatch(BaseModel):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=5000)


class PersonaOut(BaseModel):
    id: str
    name: str
    description: str | None
    voice_provider: str | None
    voice_id: str | None
    voice_languages: list[str] = Field(
        description="Languages the persona's voice speaks: a reply in another language is sent as text "
        "only (the stock local voice speaks English only; ElevenLabs multilingual models many)"
    )
    created_at: datetime
    updated_at: datetime


def get_persona(db: DbSession, user_id: str, persona_id: str) -> Persona:
    """The seller's persona by id or, failing that, by its exact name (unique among theirs)."""
    persona = db.scalar(select(Persona).where(Persona.id == persona_id, Persona.user_id == user_id))
    if persona is None:
        named = db.scalars(
            select(Persona).where(Persona.user_id == user_id, Persona.name == persona_id).limit(2)
        ).all()
        if len(named) > 1:
            raise ApiError(409, f"several of your personas are named {persona_id!r}; use the id")
        persona = named[0] if named else None
    if persona is None:
        raise not_found("persona")
    return persona


def _outs(db: DbSession, personas: list[Persona], services: Services) -> list[PersonaOut]:
    fields = [
        {
            "id": p.id,
            "name": p.name,
            "description": p.description,
            "voice_provider": p.voice_provider,
            "voice_id": p.voice_id,
            "created_at": p.created_at,
            "updated_at": p.updated_at,
        }
        for p in personas
    ]
    owners = [p.user_id for p in personas]
    # The voice's languages are read in sessions of their own (the seller's key): this one ends first,
    # as SQLite has one writer at a time.
    db.close()
    return [
        PersonaOut(**f, voice_languages=sorted(services.speaker.voice_languages(f["id"], owner)))
        for f, owner in zip(fields, owners, strict=True)
    ]


@router.post("", status_code=201, response_model=PersonaOut)
def create_persona(body: PersonaIn, user: CurrentUser, db: DbSession, services: ServicesDep) -> PersonaOut:
    persona = Persona(user_id=user.id, name=body.name.strip(), description=body.description)
    persona.profile = PersonaProfile(user_id=user.id)
    db.add(persona)
    db.commit()
    return _outs(db, [persona], services)[0]


@router.get("", response_model=list[PersonaOut])
def list_personas(user: CurrentUser, db: DbSession, services: ServicesDep) -> list[PersonaOut]:
    rows = db.scalars(select(Persona).where(Persona.user_id == user.id).order_by(Persona.created_at))
    return _outs(db, list(rows), services)


@router.get("/{persona_id}", response_model=PersonaOut, responses=error_docs(409))
def read_persona(persona_id: str, user: CurrentUser, db: DbSession, services: ServicesDep) -> PersonaOut:
    return _outs(db, [get_persona(db, user.id, persona_id)], services)[0]


@router.patch("/{persona_id}", response_model=PersonaOut, responses=error_docs(409))
def update_persona(
    persona_id: str, body: PersonaPatch, user: CurrentUser, db: DbSession, services: ServicesDep
) -> PersonaOut:
    persona = get_persona(db, user.id, persona_id)
    if body.name is not None:
        persona.name = body.name.strip()
    if "description" in body.model_fields_set:
        persona.description = body.description
    db.commit()
    return _outs(db, [persona], services)[0]


@router.delete("/{persona_id}", status_code=204, responses=error_docs(409))
def delete_persona(persona_id: str, user: CurrentUser, db: DbSession, services: ServicesDep) -> None:
    """The persona and everything of it: recordings and their files, transcripts, voice, profile
    versions, its catalog's products and vectors, its conversations, its keys (e.g. its bot token)."""
    pid = get_persona(db, user.id, persona_id).id
    db.close()
    erase_persona(
        services.sessions,
        services.storage,
        services.vectors,
        user_id=user.id,
        persona_id=pid,
        on_products_changed=services.retriever.keywords.invalidate,
        remove_voice=CloudVoiceRemover(lambda: services.models),
    )
