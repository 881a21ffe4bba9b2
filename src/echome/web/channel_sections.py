"""What the Channels page shows beside the Telegram bot: the web chat (the code to embed, the hosted
page, its address and the sites allowed to embed it: `widget.personas`), the seller's own Telegram
chat for notifications (`handoff.link`) and when the seller steps in (`handoff.settings`).

Forms sent back with an error carry `Section` values: what was typed and the error by field."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from echome.db.models import Persona
from echome.handoff.link import seller_chat
from echome.handoff.settings import MAX_MINUTES, TRIGGERS, HandoffSettings
from echome.handoff.texts import REASONS
from echome.web.context import WebContext
from echome.web.handoff_view import short_key
from echome.widget.personas import SlugError, widget_settings

TRIGGER_LABELS = [(t, REASONS[t][:1].upper() + REASONS[t][1:]) for t in TRIGGERS]
TIMEOUT_ACTIONS = [
    ("send_draft", "Send the persona's draft as it is"),
    ("holding", "Tell the customer the answer takes longer, and keep waiting for you"),
]
CLAIMED_TIMEOUT_ACTIONS = [
    ("holding", "Tell the customer you have their message, and keep the conversation"),
    ("release", "Give the conversation back to the persona, which answers"),
]


@dataclass
class Section:
    """A form of the page sent back: the values typed and an error per field ("" = the form's)."""

    values: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class LinkCode:
    """A fresh code for the seller's own Telegram chat, shown once."""

    code: str
    expires: datetime
    bot_username: str | None
    minutes: int

    @property
    def command(self) -> str:
        return f"/start {self.code}"

    @property
    def deep_link(self) -> str | None:
        return f"https://t.me/{self.bot_username}?start={self.code}" if self.bot_username else None


def rule_key(rule: dict[str, Any]) -> str:
    """Names one rule in a remove form (a stale page cannot remove another rule by its position)."""
    return short_key(json.dumps(rule, sort_keys=True, ensure_ascii=False))


def rule_view(rule: dict[str, Any]) -> dict[str, str]:
    if "regex" in rule:
        kind, what = "Pattern", str(rule.get("regex"))
    else:
        kind, what = "Words", ", ".join(map(str, rule.get("keywords") or []))
    return {"key": rule_key(rule), "kind": kind, "what": what, "reason": str(rule.get("reason") or "")}


def seller_words(message: str) -> str:
    """A validation message of `handoff.rules` / `handoff.settings` as the form shows it."""
    message = re.sub(r"^(rule \d+|regex): ", "", message.strip())
    return message[:1].upper() + message[1:] + ("" if message.endswith(".") else ".")


def channel_sections(
    web: WebContext,
    db: Session,
    *,
    user_id: str,
    persona: Persona,
    bot_connected: bool,
    web_chat: Section | None = None,
    handoff: Section | None = None,
    rules: Section | None = None,
    link_code: LinkCode | None = None,
) -> dict[str, Any]:
    """The context of the three sections. Reading the web chat's settings may give the persona its
    slug (in a transaction of its own), so the page's session is closed first."""
    public_url = web.handoff.public_url if web.handoff is not None else None
    pid = persona.id
    db.close()
    try:
        chat: dict[str, Any] | None = widget_settings(
            web.sessions, user_id=user_id, persona_id=pid, public_url=public_url
        )
        chat_problem = None
    except SlugError as exc:  # no free slug from the name: the seller chooses one
        chat, chat_problem = None, seller_words(str(exc))
    fresh = db.get(Persona, pid) or persona
    settings = HandoffSettings.of(fresh.chat_settings)
    linked = seller_chat(fresh)
    return {
        "chat": chat,
        "chat_problem": chat_problem,
        "web_chat": web_chat or Section(),
        "link": {
            "linked": linked is not None,
            "name": (linked or {}).get("name"),
            "linked_at": _when((linked or {}).get("linked_at")),
            "code": link_code,
            "bot_connected": bot_connected,
        },
        "handoff": handoff or Section(),
        "rules_form": rules or Section(),
        "hs": settings,
        "rules": [rule_view(r) for r in settings.rules],
        "trigger_labels": TRIGGER_LABELS,
        "timeout_actions": TIMEOUT_ACTIONS,
        "claimed_actions": CLAIMED_TIMEOUT_ACTIONS,
        "max_minutes": MAX_MINUTES,
    }


def _when(value: Any) -> datetime | None:
    try:
        return datetime.fromisoformat(str(value)) if value else None
    except ValueError:
        return None
