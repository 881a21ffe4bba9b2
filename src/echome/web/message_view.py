"""Stored messages as the pages show them: who said it, its sources, what the safety check changed,
its voice note. Shared by Test chat and Conversations."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from echome.db.models import AnswerFeedback, Message
from echome.handoff.state import NOTICE_KINDS

SNIPPET = 280
CHANNELS = {
    "telegram": "Telegram",
    "test": "Test chat",
    "web": "Web chat",
    "api": "API",
    "cli": "Command line",
}
STAGES = {
    "new": "New",
    "browsing": "Browsing",
    "interested": "Interested",
    "considering": "Considering",
    "objection": "Has doubts",
    "ready_to_buy": "Ready to buy",
    "needs_seller": "Needs you",
}
MODES = {
    "llm": "Written by your AI model, checked against your catalog",
    "composer": "Composed from your catalog",
    "no-evidence": "Nothing in your catalog matched",
}


def channel_label(channel: str) -> str:
    return CHANNELS.get(channel, channel.replace("_", " ").capitalize())


@dataclass(frozen=True)
class Citation:
    name: str
    sku: str | None
    snippet: str
    source: str | None


@dataclass(frozen=True)
class SafetyCheck:
    """What the guardrail did to the draft, in the seller's words."""

    rewritten: bool = False  # the model's first draft failed and was written again
    removed: list[str] = field(default_factory=list)  # sentences left out of what was sent
    claims: list[str] = field(default_factory=list)  # the unsupported facts ("price '$12'")

    @property
    def changed(self) -> bool:
        return self.rewritten or bool(self.removed)


@dataclass(frozen=True)
class MessageView:
    id: str
    role: str  # "user" | "assistant" | "seller" (the seller's own reply)
    text: str
    created_at: Any
    citations: list[Citation]
    safety: SafetyCheck | None
    mode: str | None
    audio_url: str | None
    audio_note: str | None  # why there is no voice note although one was asked for
    transcribed: bool  # a customer's voice note, shown as its transcript
    feedback: AnswerFeedback | None = None
    notice: bool = False  # an automatic handoff notice ("I've asked … to answer you personally")
    delivery: str | None = None  # the seller's reply: "pending" | "sent" | "failed"


def _snippet(text: str) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= SNIPPET else text[: SNIPPET - 1].rsplit(" ", 1)[0] + "…"


def citations_of(raw: list[Any] | None) -> list[Citation]:
    out: list[Citation] = []
    seen: set[tuple[str, str]] = set()
    for c in raw or []:
        if not isinstance(c, dict):
            continue
        name = str(c.get("name") or c.get("source") or "Your catalog")
        snippet = _snippet(str(c.get("text") or ""))
        if (name, snippet) in seen:
            continue
        seen.add((name, snippet))
        out.append(Citation(name, c.get("sku") or None, snippet, c.get("source") or None))
    return out


def _claims(check: dict[str, Any] | None) -> list[str]:
    kinds = {"number": "number", "code": "product code", "name": "name"}
    return [
        f"{kinds.get(str(c.get('kind')), 'fact')} “{c.get('text')}”"
        for c in (check or {}).get("unsupported") or []
        if isinstance(c, dict)
    ]


def safety_of(meta: dict[str, Any] | None) -> SafetyCheck | None:
    """The guardrail's report (pipeline: `composer`, or `first_draft` then `regenerated`)."""
    guardrail = (meta or {}).get("guardrail")
    if not isinstance(guardrail, dict) or not guardrail:
        return None
    first = guardrail.get("first_draft")
    final = guardrail.get("regenerated") or guardrail.get("composer") or first or {}
    rewritten = bool(first and first.get("unsupported") and "regenerated" in guardrail)
    claims = list(dict.fromkeys(_claims(first) + _claims(final) if rewritten else _claims(final)))
    return SafetyCheck(rewritten=rewritten, removed=list(final.get("removed") or []), claims=claims)


def message_view(m: Message, *, audio_url: str | None, feedback: AnswerFeedback | None = None) -> MessageView:
    meta = dict(m.meta or {})
    note = None
    if m.role == "assistant" and not m.audio_ref:
        if meta.get("speech_error"):
            note = "The voice note could not be made: " + str(meta["speech_error"])[:200]
        elif meta.get("voice_skipped"):
            note = "No voice note: " + str(meta["voice_skipped"])[:200]
    notice = meta.get("kind") in NOTICE_KINDS  # said about the handoff, never checked by the guardrail
    answer = m.role == "assistant" and not notice
    return MessageView(
        id=m.id,
        role=m.role,
        text=m.content,
        created_at=m.created_at,
        citations=citations_of(m.citations) if m.role == "assistant" else [],
        safety=safety_of(meta) if answer else None,
        mode=MODES.get(str(meta.get("mode"))) if answer else None,
        audio_url=audio_url if m.audio_ref else None,
        audio_note=note,
        transcribed=bool(meta.get("transcribed_from")),
        feedback=feedback,
        notice=notice,
        delivery=str(meta.get("delivery")) if m.role == "seller" and meta.get("delivery") else None,
    )
