"""The signed-in app's frame: the left navigation, the persona chosen at its top, toasts."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

from echome.app.browser_auth import SignedIn
from echome.db.models import Persona
from echome.web.deps import PERSONA_COOKIE, personas_of
from echome.web.render import render


@dataclass(frozen=True)
class NavItem:
    key: str
    label: str
    icon: str
    suffix: str  # after /app/personas/{id}


NAV = (
    NavItem("home", "Home", "home", ""),
    NavItem("persona", "Persona", "persona", "/persona"),
    NavItem("voice", "Voice", "voice", "/voice"),
    NavItem("catalog", "Catalog", "catalog", "/catalog"),
    NavItem("conversations", "Conversations", "conversations", "/conversations"),
    NavItem("chat", "Test chat", "chat", "/chat"),
    NavItem("channels", "Channels", "channels", "/channels"),
    NavItem("settings", "Settings", "settings", "/settings"),
)

# Messages a redirect may ask for (`?done=key`): fixed texts, so no URL puts words on our page.
TOASTS = {
    "created": "Persona created. Follow the steps below to bring it to life.",
    "password": "Password changed. Your other browsers were signed out.",
    "catalog-deleted": "Catalog deleted, with its products and everything learned from them.",
    "catalog-gone": "That catalog was already deleted.",
    "key-saved": "Key saved. It is stored encrypted and will not be shown again.",
    "key-removed": "Key removed.",
    "token-revoked": "API token revoked: programs using it are refused from now on.",
    "persona-deleted": "Persona deleted, with its recordings, voice, catalog, conversations and files.",
    "persona-deleted-voice-left": "Persona deleted here, with its recordings, catalog, conversations and "
    "files. Its cloned voice could not be deleted at ElevenLabs: delete it under Voices in your "
    "ElevenLabs account (it has the persona's name).",
    "telegram-disconnected": "Telegram bot disconnected: this persona no longer answers it.",
    "slug-saved": "Web chat address saved. Pages that embed the old address must use the new code.",
    "origin-added": "Site allowed: its pages may embed your web chat.",
    "origin-removed": "Site removed: its pages can no longer use your web chat.",
    "notify-unlinked": "Your Telegram chat is unlinked: handoffs are no longer sent there.",
    "handoff-saved": "Handoff settings saved.",
    "rule-added": "Rule added: a customer message it matches is handed to you.",
    "rule-removed": "Rule removed.",
    "rule-gone": "That rule was already removed.",
}
# Toasts that report something left to do: they stay until dismissed.
TOAST_TONES = {"persona-deleted-voice-left": "danger"}


def persona_url(persona: Persona, suffix: str = "") -> str:
    return f"/app/personas/{persona.id}{suffix}"


def remembered_persona(request: Request, personas: list[Persona]) -> Persona | None:
    """The persona this browser last opened (if it is still the seller's), else their first."""
    wanted = request.cookies.get(PERSONA_COOKIE)
    return next((p for p in personas if p.id == wanted), personas[0] if personas else None)


def render_shell(
    request: Request,
    db: Session,
    seller: SignedIn,
    template: str,
    *,
    persona: Persona | None,
    section: str,
    status_code: int = 200,
    personas: list[Persona] | None = None,
    **context: Any,
) -> HTMLResponse:
    """A page inside the app frame. `persona` is the one the navigation works on (None when the
    seller has none yet); `section` marks the current navigation item."""
    personas = personas if personas is not None else personas_of(db, seller.user.id)
    if persona is None:
        persona = remembered_persona(request, personas)
    nav = (
        [
            {"key": n.key, "label": n.label, "icon": n.icon, "href": persona_url(persona, n.suffix)}
            for n in NAV
        ]
        if persona is not None
        else []
    )
    done = request.query_params.get("done", "")
    toast_message = TOASTS.get(done)
    response = render(
        request,
        template,
        status_code=status_code,
        persona=persona,
        personas=personas,
        nav=nav,
        section=section,
        toast_message=toast_message,
        toast_tone=TOAST_TONES.get(done, "success"),
        **context,
    )
    if persona is not None:
        response.set_cookie(PERSONA_COOKIE, persona.id, max_age=365 * 86400, httponly=True, samesite="lax")
    return response
