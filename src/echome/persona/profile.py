"""Persona profiles: measured traits + the seller's overrides → the merged profile every prompt uses.

Overrides win field by field: a dict override merges into the measured dict key by key, any other
value replaces it. `None` in an override never means "delete" — removing the override restores the
measured value. Every save writes a new numbered version, so versions can be listed, diffed and
restored (a restore is itself a new version; history is never rewritten).

What a seller may override is `persona/schema.py`'s `OVERRIDE_SCHEMA`: `check_new_overrides` checks
the fields being set (an API PUT/PATCH body, one `echome persona override`) against it. Fields already
stored, restored versions and the measured part are not checked again, so older profiles still load.
"""

from __future__ import annotations

import copy
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from echome.db.models import Persona, PersonaProfile, PersonaProfileVersion
from echome.persona.schema import override_errors

MAX_OVERRIDE_DEPTH = 4


class ProfileError(ValueError):
    pass


class VersionConflict(ProfileError):
    """The profile changed since the seller opened it: saving would silently undo that change."""

    def __init__(self, expected: int, current: int) -> None:
        super().__init__(f"the profile is at version {current}, not {expected}, since you opened it")
        self.expected = expected
        self.current = current


def check_version(profile: PersonaProfile, expected: int | None) -> None:
    """VersionConflict unless the profile is still at `expected` (None: no check, as the API's PUT)."""
    if expected is not None and (profile.version or 0) != expected:
        raise VersionConflict(expected, profile.version or 0)


def merge(auto: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    merged = copy.deepcopy(auto)
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def _depth(value: Any, level: int = 0) -> int:
    if isinstance(value, dict):
        return max([_depth(v, level + 1) for v in value.values()], default=level + 1)
    if isinstance(value, list):
        return max([_depth(v, level) for v in value], default=level)
    return level


def validate_overrides(overrides: dict[str, Any]) -> dict[str, Any]:
    if _depth(overrides) > MAX_OVERRIDE_DEPTH:
        raise ProfileError(f"overrides may nest at most {MAX_OVERRIDE_DEPTH} levels")
    for key in overrides:
        if not key or len(key) > 100 or key.startswith("_"):
            raise ProfileError(f"invalid field name {key!r}")
    return overrides


def check_new_overrides(values: dict[str, Any]) -> dict[str, Any]:
    """`values` (field → new override) if the seller may set them, else ProfileError naming the field."""
    errors = override_errors(values)
    if errors:
        raise ProfileError("; ".join(errors))
    return validate_overrides(values)


def load_profile(session: Session, persona: Persona) -> PersonaProfile:
    profile = session.scalar(select(PersonaProfile).where(PersonaProfile.persona_id == persona.id))
    if profile is None:
        profile = PersonaProfile(user_id=persona.user_id, persona_id=persona.id, auto_extracted={})
        profile.manual_overrides = {}
        profile.version = 0
        session.add(profile)
        session.flush()
    return profile


def save(
    session: Session,
    profile: PersonaProfile,
    *,
    auto: dict[str, Any] | None = None,
    overrides: dict[str, Any] | None = None,
    change: str,
) -> PersonaProfileVersion:
    """Write new auto and/or override values and record the result as the next version."""
    if auto is not None:
        profile.auto_extracted = copy.deepcopy(auto)
    if overrides is not None:
        profile.manual_overrides = copy.deepcopy(validate_overrides(overrides))
    profile.version = (profile.version or 0) + 1
    version = PersonaProfileVersion(
        user_id=profile.user_id,
        profile_id=profile.id,
        version=profile.version,
        auto_extracted=copy.deepcopy(profile.auto_extracted or {}),
        manual_overrides=copy.deepcopy(profile.manual_overrides or {}),
        change=change[:200],
    )
    session.add(version)
    session.flush()
    return version


def versions(session: Session, profile: PersonaProfile) -> list[PersonaProfileVersion]:
    return list(
        session.scalars(
            select(PersonaProfileVersion)
            .where(PersonaProfileVersion.profile_id == profile.id)
            .order_by(PersonaProfileVersion.version.desc())
        )
    )


def get_version(session: Session, profile: PersonaProfile, number: int) -> PersonaProfileVersion:
    row = session.scalar(
        select(PersonaProfileVersion).where(
            PersonaProfileVersion.profile_id == profile.id, PersonaProfileVersion.version == number
        )
    )
    if row is None:
        raise ProfileError(f"version {number} does not exist")
    return row


def restore(session: Session, profile: PersonaProfile, number: int) -> PersonaProfileVersion:
    old = get_version(session, profile, number)
    return save(
        session,
        profile,
        auto=old.auto_extracted,
        overrides=old.manual_overrides,
        change=f"restored version {number}",
    )


def diff(before: dict[str, Any], after: dict[str, Any], prefix: str = "") -> list[dict[str, Any]]:
    """Field-level changes between two profiles: [{path, change: added|removed|changed, before, after}]."""
    changes: list[dict[str, Any]] = []
    for key in sorted(set(before) | set(after), key=str):
        path = f"{prefix}{key}"
        if key not in before:
            changes.append({"path": path, "change": "added", "before": None, "after": after[key]})
        elif key not in after:
            changes.append({"path": path, "change": "removed", "before": before[key], "after": None})
        elif isinstance(before[key], dict) and isinstance(after[key], dict):
            changes.extend(diff(before[key], after[key], prefix=f"{path}."))
        elif before[key] != after[key]:
            changes.append({"path": path, "change": "changed", "before": before[key], "after": after[key]})
    return changes


def version_view(v: PersonaProfileVersion) -> dict[str, Any]:
    return {
        "version": v.version,
        "change": v.change,
        "created_at": v.created_at.isoformat() if v.created_at else None,
        "overridden_fields": sorted(v.manual_overrides or {}),
    }
