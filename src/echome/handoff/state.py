"""Reading a conversation's handoff state: the stored reason, the draft waiting for the seller, the
last message the customer was sent, and whether a further customer message gets an acknowledgement."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from echome.db.models import Conversation, Message, Persona
from echome.db.types import utcnow
from echome.handoff.settings import HandoffSettings
from echome.handoff.texts import reason_text

OUTGOING = ("assistant", "seller")  # what the customer was sent
NOTICE_KINDS = ("handoff-notice", "handoff-ack", "handoff-late")


def stored_reason(reason: str, detail: str | None = None) -> str:
    """`conversations.handoff_reason`: the code, and a rule's own reason after it."""
    return (f"rule: {detail}" if reason == "rule" and detail else reason)[:200]


def split_reason(stored: str | None) -> tuple[str, str]:
    """(code, the reason in the seller's words) from `conversations.handoff_reason`."""
    if not stored:
        return "", ""
    code, _, detail = stored.partition(": ")
    return code, reason_text(code, detail or None) if code == "rule" else reason_text(code)


def settings_of(db: Session, persona_id: str | None) -> HandoffSettings:
    persona = db.get(Persona, persona_id) if persona_id else None
    return HandoffSettings.of(persona.chat_settings if persona is not None else None)


def pending_drafts(db: Session, conversation_id: str) -> list[Message]:
    """The drafts still waiting for the seller, newest first."""
    rows = db.scalars(
        select(Message)
        .where(Message.conversation_id == conversation_id, Message.role == "draft")
        .order_by(Message.created_at.desc(), Message.id.desc())
        .limit(20)
    ).all()
    return [m for m in rows if (m.meta or {}).get("status") == "pending"]


def close_drafts(db: Session, conversation_id: str, status: str, *, keep: str | None = None) -> None:
    for draft in pending_drafts(db, conversation_id):
        if draft.id != keep:
            draft.meta = {**(draft.meta or {}), "status": status, "closed_at": utcnow().isoformat()}


def last_outgoing(db: Session, conversation_id: str) -> Message | None:
    return db.scalars(
        select(Message)
        .where(Message.conversation_id == conversation_id, Message.role.in_(OUTGOING))
        .order_by(Message.created_at.desc(), Message.id.desc())
        .limit(1)
    ).first()


def unanswered(db: Session, conversation_id: str, *, limit: int = 5) -> list[Message]:
    """The customer's messages since the last reply they were sent (notices do not count as
    replies), oldest first."""
    rows = db.scalars(
        select(Message)
        .where(Message.conversation_id == conversation_id, Message.role.in_(("user", *OUTGOING)))
        .order_by(Message.created_at.desc(), Message.id.desc())
        .limit(50)
    ).all()
    out: list[Message] = []
    for m in rows:
        if m.role == "user":
            out.append(m)
        elif (m.meta or {}).get("kind") not in NOTICE_KINDS:
            break
    return list(reversed(out[:limit]))


def _age(when: datetime | None) -> float:
    return (utcnow() - when).total_seconds() if when is not None else float("inf")


def should_acknowledge(
    db: Session, conv: Conversation, *, quiet_seconds: float, seller_quiet_seconds: float
) -> bool:
    """A further message while the seller has the conversation gets one short acknowledgement,
    not one per message of a burst: none when the customer was told within `quiet_seconds`
    (a notice or an earlier acknowledgement), nor while the seller is answering them live."""
    last = last_outgoing(db, conv.id)
    if last is None:
        return True
    kind = (last.meta or {}).get("kind")
    if last.role == "seller" and conv.state == "seller":
        return _age(last.created_at) >= seller_quiet_seconds
    if kind in NOTICE_KINDS:
        return _age(last.created_at) >= quiet_seconds
    return True


def since(conv: Conversation) -> str | None:
    """The stamp a timeout job compares, so it acts only on the handoff it was scheduled for."""
    return conv.state_changed_at.isoformat() if conv.state_changed_at else None


def move(conv: Conversation, state: str, *, reason: str | None = None, keep_reason: bool = False) -> None:
    conv.state = state
    conv.state_changed_at = utcnow()
    if not keep_reason:
        conv.handoff_reason = reason


def summary_of(db: Session, conversation_id: str, *, messages: int = 6) -> list[dict[str, Any]]:
    """The last messages the customer and the persona/seller exchanged, oldest first (for the
    seller's notification and the inbox)."""
    rows = db.scalars(
        select(Message)
        .where(Message.conversation_id == conversation_id, Message.role.in_(("user", *OUTGOING)))
        .order_by(Message.created_at.desc(), Message.id.desc())
        .limit(messages)
    ).all()
    return [
        {
            "id": m.id,
            "role": m.role,
            "text": m.content,
            "kind": (m.meta or {}).get("kind"),
            "at": m.created_at.isoformat(),
        }
        for m in reversed(rows)
    ]


def replied_since(db: Session, conversation_id: str, since: datetime, *, but: str | None = None) -> bool:
    """Whether the customer was sent a reply (not a notice) after `since` (other than `but`)."""
    rows = db.scalars(
        select(Message)
        .where(
            Message.conversation_id == conversation_id,
            Message.role.in_(OUTGOING),
            Message.created_at > since,
        )
        .limit(50)
    ).all()
    return any(m.id != but and (m.meta or {}).get("kind") not in NOTICE_KINDS for m in rows)


def later_questions(
    db: Session, conversation_id: str, question_id: str | None, *, limit: int = 5
) -> list[Message]:
    """The customer's messages after `question_id` (the one a draft answers), oldest first."""
    question = db.get(Message, question_id) if question_id else None
    if question is None:
        return []
    rows = db.scalars(
        select(Message)
        .where(
            Message.conversation_id == conversation_id,
            Message.role == "user",
            Message.created_at > question.created_at,
        )
        .order_by(Message.created_at, Message.id)
        .limit(limit)
    ).all()
    return list(rows)
