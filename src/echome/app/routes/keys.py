"""`/api/keys`: a seller's provider keys. Write-only: responses show a masked form."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field, SecretStr

from echome.accounts import keys as key_service
from echome.app.deps import CurrentUser, DbSession, ServicesDep
from echome.app.errors import ApiError, error_docs, not_found
from echome.app.routes.personas import get_persona

router = APIRouter(prefix="/api/keys", tags=["keys"])


class KeyIn(BaseModel):
    value: SecretStr = Field(description="The secret; never returned.")
    persona_id: str | None = Field(default=None, description="Scope the key to one persona.")


class KeyOut(BaseModel):
    provider: str
    persona_id: str | None
    masked: str
    updated_at: datetime


def _out(k: key_service.MaskedKey) -> KeyOut:
    return KeyOut(provider=k.provider, persona_id=k.scope or None, masked=k.masked, updated_at=k.updated_at)


def _scope(db: DbSession, user_id: str, persona_id: str | None) -> str:
    if persona_id is None:
        return ""
    return get_persona(db, user_id, persona_id).id  # an id or a name


@router.get("", response_model=list[KeyOut])
def list_keys(user: CurrentUser, db: DbSession) -> list[KeyOut]:
    return [_out(k) for k in key_service.list_keys(db, user_id=user.id)]


@router.get("/providers", response_model=dict[str, str])
def providers() -> dict[str, str]:
    return key_service.PROVIDERS


@router.put("/{provider}", response_model=KeyOut, responses=error_docs(409))
def set_key(provider: str, body: KeyIn, user: CurrentUser, db: DbSession, services: ServicesDep) -> KeyOut:
    scope = _scope(db, user.id, body.persona_id)
    try:
        masked = key_service.set_key(
            db,
            services.keystore,
            user_id=user.id,
            provider=provider,
            value=body.value.get_secret_value(),
            scope=scope,
        )
    except key_service.KeyInputError as exc:
        raise ApiError(422, str(exc)) from None
    db.commit()
    return _out(masked)


@router.delete("/{provider}", status_code=204, responses=error_docs(409))
def delete_key(
    provider: str, user: CurrentUser, db: DbSession, persona_id: str | None = Query(default=None)
) -> None:
    scope = _scope(db, user.id, persona_id)
    if not key_service.delete_key(db, user_id=user.id, provider=provider, scope=scope):
        raise not_found("key")
    db.commit()
