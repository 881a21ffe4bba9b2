"""A persona as the public web chat sees it, and the seller's widget settings (slug, allowed sites).

The widget and the hosted page name a persona by its id or by its slug (`/chat/{slug}`). A slug is
lower-case letters, digits and hyphens; it is made from the persona's name the first time the
seller looks at the widget settings, unless they chose one. Allowed origins are kept in
`personas.chat_settings["allowed_origins"]`, beside settings other features keep there.
"""

from __future__ import annotations

import re
import secrets
import unicodedata
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from echome.db.models import Persona, User
from echome.db.session import transaction
from echome.widget.origins import allowed_origins, normalise_origin, normalise_origins

_ID = re.compile(r"^[0-9a-f]{32}$")
_SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]{1,58}[a-z0-9])$")
MAX_SLUG = 60


class SlugError(ValueError):
    """The slug is malformed (422) or taken (`taken`: 409)."""

    def __init__(self, message: str, *, taken: bool = False) -> None:
        super().__init__(message)
        self.taken = taken


@dataclass(frozen=True)
class PublicPersona:
    """What the public chat may know of a persona: never the seller's account or settings."""

    id: str
    user_id: str
    name: str
    slug: str | None
    allowed_origins: tuple[str, ...]
    has_own_voice: bool  # a voice built from the seller's recordings (else the stock voice speaks)

    @property
    def ref(self) -> str:
        """How URLs name it: the slug when it has one."""
        return self.slug or self.id

    def disclosure(self) -> str:
        whose = f"{self.name}'" if self.name.endswith("s") else f"{self.name}'s"
        if self.has_own_voice:
            return f"You're chatting with {whose} AI assistant, speaking in {whose} voice."
        return f"You're chatting with {whose} AI assistant."


def _public(p: Persona) -> PublicPersona:
    return PublicPersona(
        id=p.id,
        user_id=p.user_id,
        name=p.name,
        slug=p.slug,
        allowed_origins=allowed_origins(p.chat_settings),
        has_own_voice=bool(p.voice_provider and p.voice_id),
    )


def find_public_persona(db: Session, ref: str) -> PublicPersona | None:
    """The persona a widget names (its id or slug) whose seller's account is active."""
    ref = (ref or "").strip().lower()
    if _ID.match(ref):
        persona = db.get(Persona, ref)
    elif _SLUG.match(ref):
        persona = db.scalar(select(Persona).where(Persona.slug == ref))
    else:
        return None
    if persona is None:
        return None
    active = db.scalar(select(User.is_active).where(User.id == persona.user_id))
    return _public(persona) if active else None


def check_slug(value: str) -> str:
    slug = (value or "").strip().lower()
    if not _SLUG.match(slug):
        raise SlugError(
            "a slug is 3 to 60 lower-case letters, digits and hyphens, starting and ending with a "
            "letter or digit, e.g. ana-vintage"
        )
    if _ID.match(slug):
        raise SlugError("a slug cannot look like a persona id (32 hexadecimal characters)")
    return slug


def slug_from_name(name: str) -> str:
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")[:40].strip("-")
    return slug if len(slug) >= 3 else f"chat-{slug}".strip("-") if slug else "chat"


def _taken(db: Session, slug: str, persona_id: str) -> bool:
    return db.scalar(select(func.count()).where(Persona.slug == slug, Persona.id != persona_id)) != 0


def _seller_persona(db: Session, user_id: str, persona_id: str) -> Persona:
    persona = db.scalar(select(Persona).where(Persona.id == persona_id, Persona.user_id == user_id))
    if persona is None:
        raise LookupError("persona not found")
    return persona


def set_slug(sessions: sessionmaker[Session], *, user_id: str, persona_id: str, slug: str) -> str:
    """Give the seller's persona this slug; SlugError when malformed or another persona has it."""
    slug = check_slug(slug)
    try:
        with transaction(sessions) as db:
            persona = _seller_persona(db, user_id, persona_id)
            if persona.slug != slug and _taken(db, slug, persona.id):
                raise SlugError(f"the slug {slug!r} is taken; choose another", taken=True)
            persona.slug = slug
    except IntegrityError:  # taken a moment ago by another persona
        raise SlugError(f"the slug {slug!r} is taken; choose another", taken=True) from None
    return slug


def ensure_slug(sessions: sessionmaker[Session], *, user_id: str, persona_id: str) -> str:
    """The persona's slug, made from its name (with a suffix when taken) the first time."""
    with transaction(sessions) as db:
        persona = _seller_persona(db, user_id, persona_id)
        if persona.slug:
            return persona.slug
        base = slug_from_name(persona.name)
    for attempt in range(8):
        candidate = base if attempt == 0 else f"{base[:50]}-{secrets.token_hex(2)}"
        try:
            with transaction(sessions) as db:
                persona = _seller_persona(db, user_id, persona_id)
                if persona.slug:
                    return persona.slug
                if _taken(db, candidate, persona.id):
                    continue
                persona.slug = candidate
            return candidate
        except IntegrityError:
            continue
    raise SlugError("no free slug could be made from the persona's name; choose one", taken=True)


def _write_origins(persona: Persona, origins: list[str]) -> None:
    persona.chat_settings = {**(persona.chat_settings or {}), "allowed_origins": origins}  # a new dict: saved


def set_origins(
    sessions: sessionmaker[Session], *, user_id: str, persona_id: str, origins: list[str]
) -> list[str]:
    """Replace the persona's allowed origins (each validated; OriginError names the bad ones)."""
    clean = normalise_origins(origins)
    with transaction(sessions) as db:
        _write_origins(_seller_persona(db, user_id, persona_id), clean)
    return clean


def allow_origin(sessions: sessionmaker[Session], *, user_id: str, persona_id: str, origin: str) -> list[str]:
    clean = normalise_origin(origin)
    with transaction(sessions) as db:
        persona = _seller_persona(db, user_id, persona_id)
        current = list(allowed_origins(persona.chat_settings))
        if clean not in current:
            _write_origins(persona, normalise_origins([*current, clean]))
        return list(allowed_origins(persona.chat_settings))


def disallow_origin(
    sessions: sessionmaker[Session], *, user_id: str, persona_id: str, origin: str
) -> tuple[list[str], bool]:
    """(the origins left, whether `origin` was allowed before)."""
    clean = normalise_origin(origin)
    with transaction(sessions) as db:
        persona = _seller_persona(db, user_id, persona_id)
        current = list(allowed_origins(persona.chat_settings))
        if clean not in current:
            return current, False
        current.remove(clean)
        _write_origins(persona, current)
        return current, True


def widget_settings(
    sessions: sessionmaker[Session], *, user_id: str, persona_id: str, public_url: str | None
) -> dict[str, Any]:
    """The persona's widget settings and the code to embed it (a slug is made on first look)."""
    slug = ensure_slug(sessions, user_id=user_id, persona_id=persona_id)
    with transaction(sessions) as db:
        persona = _seller_persona(db, user_id, persona_id)
        origins = list(allowed_origins(persona.chat_settings))
    base = (public_url or "").rstrip("/")
    return {
        "persona_id": persona_id,
        "slug": slug,
        "allowed_origins": origins,
        "script_url": f"{base}/widget.js",
        "embed_code": f'<script src="{base}/widget.js" data-persona="{slug}" async></script>',
        "hosted_url": f"{base}/chat/{slug}",
        "public_url_set": bool(public_url),
    }
