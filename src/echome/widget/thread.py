"""A visitor's conversation as the widget shows it: their messages, the persona's answers and the
seller's own replies; never drafts waiting for the seller, notes, citations or anything else of the
seller's. Deleting it removes the messages, the visitor's client record and its recordings."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, delete, or_, select
from sqlalchemy.orm import Session, sessionmaker

from echome.db.models import Client, Conversation, Message
from echome.db.session import transaction
from echome.storage.base import FileStorage, StorageError
from echome.widget.personas import PublicPersona
from echome.widget.visitors import Visitor

log = logging.getLogger("echome.widget")

CHANNEL = "web"
SHOWN_ROLES = ("user", "assistant", "seller")
_TURN_ORDER = {"user": 0, "assistant": 1, "seller": 2}  # a question and its reply may share a timestamp
# How another stage marks a message the customer must not see yet (a draft awaiting approval).
_HIDDEN_STATUSES = {"draft", "pending", "rejected", "discarded"}
MAX_MESSAGES = 200


@dataclass(frozen=True)
class Thread:
    messages: list[dict[str, Any]]
    state: str  # "persona" | "waiting" | "seller" (see Conversation.state)
    cursor: str | None  # the newest message's id: ask for what came after it


def _client(db: Session, persona: PublicPersona, visitor: Visitor) -> Client | None:
    return db.scalar(
        select(Client).where(
            Client.user_id == persona.user_id,
            Client.channel == CHANNEL,
            Client.external_id == visitor.client_ref,
        )
    )


def _conversations(db: Session, persona: PublicPersona, client: Client) -> list[Conversation]:
    return list(
        db.scalars(
            select(Conversation)
            .where(Conversation.client_id == client.id, Conversation.persona_id == persona.id)
            .order_by(Conversation.created_at, Conversation.id)
        )
    )


def visible(message: Message) -> bool:
    meta = message.meta or {}
    return (
        message.role in SHOWN_ROLES
        and not meta.get("draft")
        and str(meta.get("status") or "") not in _HIDDEN_STATUSES
        and bool((message.content or "").strip())
    )


def message_view(message: Message, audio_url: str | None) -> dict[str, Any]:
    return {
        "id": message.id,
        "role": message.role,
        "text": message.content,
        "at": message.created_at.isoformat(),
        "audio": audio_url if message.role != "user" and message.audio_ref else None,
    }


def read_thread(
    sessions: sessionmaker[Session],
    persona: PublicPersona,
    visitor: Visitor,
    *,
    after: str | None = None,
    audio_url: Any = None,
) -> Thread:
    """The visitor's messages (the newest MAX_MESSAGES), or only those after message `after`."""
    with transaction(sessions) as db:
        client = _client(db, persona, visitor)
        convs = _conversations(db, persona, client) if client is not None else []
        if not convs:
            return Thread([], "persona", None)
        ids = [c.id for c in convs]
        q = select(Message).where(Message.conversation_id.in_(ids))
        if after:
            mark = db.scalar(select(Message).where(Message.id == after, Message.conversation_id.in_(ids)))
            if mark is not None:
                q = q.where(
                    or_(
                        Message.created_at > mark.created_at,
                        and_(Message.created_at == mark.created_at, Message.id > mark.id),
                    )
                )
        rows = list(db.scalars(q.order_by(Message.created_at.desc(), Message.id.desc()).limit(MAX_MESSAGES)))
        rows.sort(key=lambda m: (m.created_at, _TURN_ORDER.get(m.role, 3)))
        shown = [m for m in rows if visible(m)]
        urls = audio_url or (lambda _m: None)
        newest = rows[-1].id if rows else after
        return Thread([message_view(m, urls(m)) for m in shown], convs[-1].state or "persona", newest)


def visitor_message(
    sessions: sessionmaker[Session], persona: PublicPersona, visitor: Visitor, message_id: str
) -> Message | None:
    """One of the visitor's own (visible) messages, or None for anyone else's."""
    with transaction(sessions) as db:
        client = _client(db, persona, visitor)
        if client is None:
            return None
        msg = db.scalar(
            select(Message)
            .join(Conversation, Conversation.id == Message.conversation_id)
            .where(
                Message.id == message_id,
                Conversation.client_id == client.id,
                Conversation.persona_id == persona.id,
            )
        )
        if msg is None or not visible(msg):
            return None
        db.expunge(msg)
        return msg


def delete_thread(
    sessions: sessionmaker[Session], storage: FileStorage, persona: PublicPersona, visitor: Visitor
) -> tuple[int, list[str]]:
    """Remove the visitor's conversation with this persona; (messages removed, their message ids)."""
    with transaction(sessions) as db:
        client = _client(db, persona, visitor)
        if client is None:
            return 0, []
        convs = [c.id for c in _conversations(db, persona, client)]
        rows = db.execute(
            select(Message.id, Message.audio_ref).where(Message.conversation_id.in_(convs))
        ).all()
        db.execute(delete(Message).where(Message.conversation_id.in_(convs)))
        db.execute(delete(Conversation).where(Conversation.id.in_(convs)))
        others = db.scalar(select(Conversation.id).where(Conversation.client_id == client.id).limit(1))
        if others is None:
            db.delete(client)  # the notes kept about the visitor (name, budget...) go with it
        else:
            client.notes = {}
    for _id, key in rows:
        if key:
            try:
                storage.delete(key)
            except StorageError:
                log.warning("a voice note of a deleted web chat could not be removed")
    return len(rows), [mid for mid, _key in rows]
