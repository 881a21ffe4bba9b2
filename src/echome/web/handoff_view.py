"""The seller in the loop as Conversations shows it: who answers a thread (the persona, waiting for
the seller, the seller), why it was handed off, the persona's draft waiting for the seller, and the
keys the live feed compares to know which part of the inbox changed.

A customer's thread is their newest conversation with the persona (`answer.memory.conversation_for`
answers in that one; an older one is what `/reset` left behind)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from echome.db.models import Client, Conversation, Message
from echome.handoff import CUSTOMER_CHANNELS
from echome.handoff.state import pending_drafts, split_reason

# Badges: what the seller reads, and the badge's tone.
STATE_BADGES = {
    "persona": ("Persona answering", "neutral"),
    "waiting": ("Waiting for you", "warning"),
    "seller": ("You're answering", "accent"),
}


def newest_state(persona_id: str) -> ColumnElement[Any]:
    """The state of each client's newest conversation with the persona (a correlated subquery)."""
    return (
        select(Conversation.state)
        .where(Conversation.client_id == Client.id, Conversation.persona_id == persona_id)
        .order_by(Conversation.created_at.desc(), Conversation.id.desc())
        .limit(1)
        .correlate(Client)
        .scalar_subquery()
    )


def newest_reason(persona_id: str) -> ColumnElement[Any]:
    return (
        select(Conversation.handoff_reason)
        .where(Conversation.client_id == Client.id, Conversation.persona_id == persona_id)
        .order_by(Conversation.created_at.desc(), Conversation.id.desc())
        .limit(1)
        .correlate(Client)
        .scalar_subquery()
    )


def current_conversation(
    db: Session, *, user_id: str, persona_id: str, client_id: str
) -> Conversation | None:
    return db.scalars(
        select(Conversation)
        .where(
            Conversation.user_id == user_id,
            Conversation.client_id == client_id,
            Conversation.persona_id == persona_id,
        )
        .order_by(Conversation.created_at.desc(), Conversation.id.desc())
        .limit(1)
    ).first()


def reason_words(stored: str | None) -> str | None:
    """The handoff reason in the seller's words, first letter capitalised ("The customer asks…")."""
    _, said = split_reason(stored)
    return (said[:1].upper() + said[1:]) if said else None


@dataclass(frozen=True)
class Draft:
    id: str
    text: str
    created_at: datetime


@dataclass(frozen=True)
class HandoffPanel:
    """The selected thread's handoff state and what the seller can do about it."""

    conversation_id: str
    state: str
    badge: str
    tone: str
    reason: str | None
    since: datetime | None
    draft: Draft | None
    can_act: bool  # a customer channel: the seller's reply reaches the customer

    @property
    def key(self) -> str:
        """Changes when what the panel offers changes (not when only its "3 min ago" does)."""
        return short_key(self.conversation_id, self.state, self.reason, self.draft.id if self.draft else "")


def handoff_panel(db: Session, conv: Conversation | None) -> HandoffPanel | None:
    if conv is None:
        return None
    state = conv.state if conv.state in STATE_BADGES else "persona"
    badge, tone = STATE_BADGES[state]
    drafts = pending_drafts(db, conv.id) if state != "persona" else []
    draft = Draft(drafts[0].id, drafts[0].content, drafts[0].created_at) if drafts else None
    return HandoffPanel(
        conversation_id=conv.id,
        state=state,
        badge=badge,
        tone=tone,
        reason=reason_words(conv.handoff_reason) if state != "persona" else None,
        since=conv.state_changed_at if state != "persona" else None,
        draft=draft,
        can_act=conv.channel in CUSTOMER_CHANNELS,
    )


def short_key(*parts: Any) -> str:
    return hashlib.sha256("\x1f".join(map(str, parts)).encode()).hexdigest()[:12]


def messages_key(db: Session, conversation_ids: Any) -> str:
    """Changes with a new message in the thread or a new delivery state of a recent one."""
    rows = db.execute(
        select(Message.id, Message.role, Message.meta)
        .where(Message.conversation_id.in_(conversation_ids), Message.role != "draft")
        .order_by(Message.created_at.desc(), Message.id.desc())
        .limit(5)
    ).all()
    return short_key(*((r.id, (r.meta or {}).get("delivery")) for r in rows))


def activity_stamp(db: Session, *, user_id: str, persona_id: str) -> str:
    """Changes whenever any of the persona's customers wrote or was answered (the list's trigger):
    their newest change, and the seller's count of messages (one count over an index)."""
    newest, count = db.execute(
        select(func.max(Client.updated_at), func.count()).where(
            Client.user_id == user_id, Client.persona_id == persona_id
        )
    ).one()
    messages = db.scalar(select(func.count()).select_from(Message).where(Message.user_id == user_id))
    return f"{newest}:{count}:{messages}"


def waiting_count(db: Session, *, user_id: str, persona_id: str) -> int:
    """How many of the persona's customers wait for the seller (Home's figure; the inbox's "Needs
    you" filter lists them)."""
    return int(
        db.scalar(
            select(func.count())
            .select_from(Client)
            .where(
                Client.user_id == user_id,
                Client.persona_id == persona_id,
                newest_state(persona_id) == "waiting",
            )
        )
        or 0
    )
