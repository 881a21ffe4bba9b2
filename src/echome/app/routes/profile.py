"""`/api/personas/{id}/profile`: measured traits, the seller's overrides, the merged profile, versions."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Query

from echome.app.deps import MAX_VERSION, CurrentUser, DbSession, VersionNumber
from echome.app.errors import ApiError, error_docs
from echome.app.routes.personas import get_persona
from echome.db.models import PersonaProfile
from echome.persona import profile as profiles
from echome.persona.schema import SELLER_FIELDS

router = APIRouter(
    prefix="/api/personas/{persona_id}/profile",
    tags=["profile"],
    responses=error_docs(404, 409),  # the persona: unknown, or its name is ambiguous
)

Overrides = Annotated[
    dict[str, Any],
    Body(
        description="Field → value; dict values merge key by key. Fields and types: "
        + ", ".join(SELLER_FIELDS)
        + " (echome.persona.schema.OVERRIDE_SCHEMA); anything else is refused with 422",
    ),
]


def _profile(db: DbSession, user_id: str, persona_id: str) -> PersonaProfile:
    return profiles.load_profile(db, get_persona(db, user_id, persona_id))


def _view(p: PersonaProfile) -> dict[str, Any]:
    auto, over = p.auto_extracted or {}, p.manual_overrides or {}
    return {
        "version": p.version,
        "merged": profiles.merge(auto, over),
        "auto_extracted": auto,
        "manual_overrides": over,
        "overridden_fields": sorted(over),
    }


def _checked(body: dict[str, Any]) -> dict[str, Any]:
    """The new override values, if every field is one a seller may set, with a value of its type."""
    try:
        return profiles.check_new_overrides(body)
    except profiles.ProfileError as exc:
        raise ApiError(422, str(exc)) from None


def _save(db: DbSession, p: PersonaProfile, overrides: dict[str, Any], change: str) -> dict[str, Any]:
    try:
        profiles.save(db, p, overrides=overrides, change=change)
    except profiles.ProfileError as exc:
        raise ApiError(422, str(exc)) from None
    db.commit()
    return _view(p)


@router.get("", summary="The merged profile (overrides win), with its parts")
def read_profile(persona_id: str, user: CurrentUser, db: DbSession) -> dict[str, Any]:
    return _view(_profile(db, user.id, persona_id))


@router.get("/merged", summary="Only the merged profile every prompt uses")
def read_merged(persona_id: str, user: CurrentUser, db: DbSession) -> dict[str, Any]:
    p = _profile(db, user.id, persona_id)
    return profiles.merge(p.auto_extracted or {}, p.manual_overrides or {})


@router.get("/overrides")
def read_overrides(persona_id: str, user: CurrentUser, db: DbSession) -> dict[str, Any]:
    return _profile(db, user.id, persona_id).manual_overrides or {}


@router.put("/overrides", summary="Replace all overrides")
def put_overrides(persona_id: str, body: Overrides, user: CurrentUser, db: DbSession) -> dict[str, Any]:
    p = _profile(db, user.id, persona_id)
    _checked(body)
    return _save(db, p, body, f"overrides replaced ({', '.join(sorted(body)) or 'none'})")


@router.patch("/overrides", summary="Set some override fields, keep the others")
def patch_overrides(persona_id: str, body: Overrides, user: CurrentUser, db: DbSession) -> dict[str, Any]:
    p = _profile(db, user.id, persona_id)
    _checked(body)  # only what changes: fields stored before the schema existed stay as they are
    merged = {**(p.manual_overrides or {}), **body}
    return _save(db, p, merged, f"overrides set: {', '.join(sorted(body))}")


@router.delete("/overrides/{field}", summary="Remove one override; the measured value applies again")
def delete_override(persona_id: str, field: str, user: CurrentUser, db: DbSession) -> dict[str, Any]:
    p = _profile(db, user.id, persona_id)
    current = dict(p.manual_overrides or {})
    if field not in current:
        raise ApiError(404, f"no override for {field!r}")
    current.pop(field)
    return _save(db, p, current, f"override removed: {field}")


@router.get("/versions", summary="Every saved version, newest first")
def list_versions(persona_id: str, user: CurrentUser, db: DbSession) -> list[dict[str, Any]]:
    p = _profile(db, user.id, persona_id)
    return [profiles.version_view(v) for v in profiles.versions(db, p)]


@router.get("/versions/{number}")
def read_version(persona_id: str, number: VersionNumber, user: CurrentUser, db: DbSession) -> dict[str, Any]:
    p = _profile(db, user.id, persona_id)
    try:
        v = profiles.get_version(db, p, number)
    except profiles.ProfileError as exc:
        raise ApiError(404, str(exc)) from None
    return {
        **profiles.version_view(v),
        "auto_extracted": v.auto_extracted,
        "manual_overrides": v.manual_overrides,
        "merged": profiles.merge(v.auto_extracted or {}, v.manual_overrides or {}),
    }


@router.get("/diff", summary="Field-level changes of the merged profile between two versions")
def diff_versions(
    persona_id: str,
    user: CurrentUser,
    db: DbSession,
    from_version: Annotated[int, Query(alias="from", ge=1, le=MAX_VERSION)],
    to_version: Annotated[int | None, Query(alias="to", ge=1, le=MAX_VERSION)] = None,
) -> dict[str, Any]:
    p = _profile(db, user.id, persona_id)
    to_number = to_version or p.version
    try:
        a, b = profiles.get_version(db, p, from_version), profiles.get_version(db, p, to_number)
    except profiles.ProfileError as exc:
        raise ApiError(404, str(exc)) from None
    before = profiles.merge(a.auto_extracted or {}, a.manual_overrides or {})
    after = profiles.merge(b.auto_extracted or {}, b.manual_overrides or {})
    return {"from": a.version, "to": b.version, "changes": profiles.diff(before, after)}


@router.post("/versions/{number}/restore", summary="Make an old version current again (as a new version)")
def restore_version(
    persona_id: str, number: VersionNumber, user: CurrentUser, db: DbSession
) -> dict[str, Any]:
    p = _profile(db, user.id, persona_id)
    try:
        profiles.restore(db, p, number)
    except profiles.ProfileError as exc:
        raise ApiError(404, str(exc)) from None
    db.commit()
    return _view(p)
