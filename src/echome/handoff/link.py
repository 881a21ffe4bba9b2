"""Linking the seller's own Telegram chat with the persona's bot, where handoffs are sent.

The Channels page asks for a one-time code (`new_code`), valid for `CODE_MINUTES`; the seller sends
`/start <code>` to their bot (or opens `https://t.me/<bot>?start=<code>`), and the bot's update
job calls `redeem`: from then on that chat is the seller's. Only a SHA-256 of the code is stored; a
new code replaces the previous one, and a redeemed code cannot be used again. The seller's chat is
never treated as a customer.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from echome.db.models import Persona
from echome.db.types import utcnow
from echome.handoff.events import publish

CODE_MINUTES = 15
_CODE = re.compile(r"[A-Za-z0-9_-]{16,64}")  # what Telegram allows in a /start parameter


def _digest(code: str) -> str:
    return hashlib.sha256(f"echome-seller-link:{code}".encode()).hexdigest()


def new_code(db: Session, persona: Persona) -> tuple[str, datetime]:
    """A fresh one-time code for `persona` (replacing any earlier one) and when it expires."""
    code = secrets.token_urlsafe(18)
    expires = utcnow() + timedelta(minutes=CODE_MINUTES)
    persona.chat_settings = {
        **(persona.chat_settings or {}),
        "seller_link": {"code_sha256": _digest(code), "expires_at": expires.isoformat()},
    }
    return code, expires


def redeem(db: Session, persona: Persona, code: str, *, chat_id: int, user_id: int, name: str | None) -> bool:
    """Link the chat when `code` is the persona's pending, unexpired code; False otherwise."""
    settings = dict(persona.chat_settings or {})
    pending = settings.get("seller_link")
    if not _CODE.fullmatch(code or "") or not isinstance(pending, dict):
        return False
    try:
        expires = datetime.fromisoformat(str(pending.get("expires_at")))
    except ValueError:
        return False
    if expires < utcnow() or not hmac.compare_digest(_digest(code), str(pending.get("code_sha256") or "")):
        return False
    settings.pop("seller_link", None)
    settings["seller_telegram"] = {
        "chat_id": int(chat_id),
        "user_id": int(user_id),
        "name": (name or "")[:100] or None,
        "linked_at": utcnow().isoformat(),
    }
    persona.chat_settings = settings
    publish(db, user_id=persona.user_id, persona_id=persona.id, kind="seller_linked", channel="telegram")
    return True


def unlink(db: Session, persona: Persona) -> bool:
    settings = dict(persona.chat_settings or {})
    had = settings.pop("seller_telegram", None) is not None
    settings.pop("seller_link", None)
    persona.chat_settings = settings
    if had:
        publish(
            db, user_id=persona.user_id, persona_id=persona.id, kind="seller_unlinked", channel="telegram"
        )
    return had


def seller_chat(persona: Persona | None) -> dict[str, Any] | None:
    """The linked seller chat ({"chat_id", "user_id", "name", "linked_at"}), or None."""
    tg = (persona.chat_settings or {}).get("seller_telegram") if persona is not None else None
    return tg if isinstance(tg, dict) and isinstance(tg.get("chat_id"), int) else None
