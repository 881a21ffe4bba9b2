"""The desk's event log: every handoff, customer message to the seller, claim, release, reply and
delivery, numbered in order. The dashboard follows it live (`GET /api/handoff/events`, server-sent
events reading the rows after the last id it saw), which works the same on SQLite and PostgreSQL,
in one process or many. Events older than `KEEP_DAYS` are pruned now and then.

Kinds: handed_off, customer_message, claimed, released, seller_reply, draft_sent, timeout,
delivered, delivery_failed, seller_linked, seller_unlinked, seller_notified (the seller's Telegram
chat was sent a notification; the notify job reads it back so a rerun does not send it again).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from echome.db.models import HandoffEvent
from echome.db.types import utcnow

KEEP_DAYS = 14
PRUNE_EVERY = 500  # events; pruning runs when an event's id is a multiple of this


def publish(
    db: Session,
    *,
    user_id: str,
    kind: str,
    persona_id: str | None = None,
    conversation_id: str | None = None,
    **data: Any,
) -> int:
    """Add an event in the caller's transaction (it is seen once that commits); returns its id."""
    event = HandoffEvent(
        user_id=user_id, persona_id=persona_id, conversation_id=conversation_id, kind=kind, data=data
    )
    db.add(event)
    db.flush()
    if event.id % PRUNE_EVERY == 0:
        db.execute(delete(HandoffEvent).where(HandoffEvent.created_at < utcnow() - timedelta(days=KEEP_DAYS)))
    return event.id


def events_after(
    db: Session,
    *,
    user_id: str,
    after: int,
    persona_id: str | None = None,
    conversation_id: str | None = None,
    limit: int = 100,
) -> list[dict[str, Any]]:
    """The seller's events with an id above `after`, oldest first, as JSON-ready dicts."""
    q = select(HandoffEvent).where(HandoffEvent.user_id == user_id, HandoffEvent.id > after)
    if persona_id:
        q = q.where(HandoffEvent.persona_id == persona_id)
    if conversation_id:
        q = q.where(HandoffEvent.conversation_id == conversation_id)
    rows = db.scalars(q.order_by(HandoffEvent.id).limit(limit)).all()
    return [as_dict(e) for e in rows]


def last_id(db: Session, *, user_id: str) -> int:
    return int(db.scalar(select(func.max(HandoffEvent.id)).where(HandoffEvent.user_id == user_id)) or 0)


def as_dict(e: HandoffEvent) -> dict[str, Any]:
    return {
        "id": e.id,
        "kind": e.kind,
        "persona_id": e.persona_id,
        "conversation_id": e.conversation_id,
        "data": dict(e.data or {}),
        "created_at": e.created_at.isoformat(),
    }
