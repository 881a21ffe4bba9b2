"""What the seller does with a conversation, from the dashboard, their Telegram chat or the CLI:

- `claim` ("I'll answer"): the seller has it; the persona stays silent. A claimed conversation the
  seller does not answer within `claimed_timeout_minutes` is handled by the timeout job (the
  customer is told, or the persona answers: `claimed_timeout_action`).
- `reply`: the seller's own words (typed, or a voice note transcribed), stored as role "seller" and
  delivered on the customer's channel; the seller has the conversation from then on.
- `send_draft` (optionally edited): the persona's draft goes out (role "assistant", or "seller" when
  the seller changed it) and the persona answers again.
- `release` ("let the persona answer"): the persona answers again, starting with the customer's
  messages that nobody answered yet.

Each change is one transaction with its event; delivery and the persona's answer run as jobs.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from echome.db.models import Client, Conversation, Message, Persona
from echome.db.session import transaction
from echome.db.types import utcnow
from echome.handoff import DELIVER_JOB, RESUME_JOB, TIMEOUT_JOB
from echome.handoff.events import publish
from echome.handoff.schedule import JobSender
from echome.handoff.state import (
    close_drafts,
    later_questions,
    move,
    pending_drafts,
    settings_of,
    since,
    split_reason,
    unanswered,
)

log = logging.getLogger("echome.handoff")

MAX_REPLY_CHARS = 4000  # a Telegram message holds 4096


class ActionError(Exception):
    """The action cannot be done: `status` is the HTTP status an API answers with."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def conversation_view(db: Session, conv: Conversation) -> dict[str, Any]:
    code, said = split_reason(conv.handoff_reason)
    client = db.get(Client, conv.client_id) if conv.client_id else None
    persona = db.get(Persona, conv.persona_id) if conv.persona_id else None
    notes = dict(client.notes or {}) if client is not None else {}
    return {
        "id": conv.id,
        "persona_id": conv.persona_id,
        "persona_name": persona.name if persona is not None else None,
        "state": conv.state,
        "reason": code or None,
        "reason_text": said or None,
        "state_changed_at": conv.state_changed_at.isoformat() if conv.state_changed_at else None,
        "channel": conv.channel,
        "client": {
            "id": client.id if client is not None else None,
            "name": notes.get("name") or (client.name if client is not None else None),
            "language": notes.get("language"),
        },
    }


def message_view(m: Message) -> dict[str, Any]:
    meta = dict(m.meta or {})
    return {
        "id": m.id,
        "role": m.role,
        "content": m.content,
        "kind": meta.get("kind"),
        "status": meta.get("status") if m.role == "draft" else meta.get("delivery"),
        "audio": bool(m.audio_ref),
        "created_at": m.created_at.isoformat(),
    }


@dataclass(eq=False)
class HandoffActions:
    sessions: sessionmaker[Session]
    jobs: JobSender

    def _conversation(self, db: Session, user_id: str, conversation_id: str) -> Conversation:
        conv = db.get(Conversation, conversation_id) if conversation_id else None
        if conv is None or conv.user_id != user_id:
            raise ActionError(404, "conversation not found")
        return conv

    def claim(self, *, user_id: str, conversation_id: str, by: str = "dashboard") -> dict[str, Any]:
        timeout: dict[str, Any] | None = None
        with transaction(self.sessions) as db:
            conv = self._conversation(db, user_id, conversation_id)
            if conv.state != "seller":
                move(conv, "seller", reason=conv.handoff_reason or "seller")
                publish(
                    db,
                    user_id=user_id,
                    persona_id=conv.persona_id,
                    conversation_id=conv.id,
                    kind="claimed",
                    by=by,
                )
                minutes = settings_of(db, conv.persona_id).claimed_timeout_minutes
                if minutes > 0:
                    timeout = {
                        "payload": {"conversation_id": conv.id, "kind": "claimed", "since": since(conv)},
                        "delay": minutes * 60.0,
                    }
            view = conversation_view(db, conv)
        if timeout is not None:
            # Failing to schedule it must not undo the claim; the inbox still shows the conversation.
            try:
                self.jobs.submit_later(user_id=user_id, kind=TIMEOUT_JOB, **timeout)
            except Exception:
                log.exception("claimed timeout not scheduled", extra={"conversation_id": conversation_id})
        return view

    def release(self, *, user_id: str, conversation_id: str, by: str = "dashboard") -> dict[str, Any]:
        open_ids: list[str] = []
        with transaction(self.sessions) as db:
            conv = self._conversation(db, user_id, conversation_id)
            if conv.state != "persona":
                close_drafts(db, conv.id, "discarded")
                move(conv, "persona", reason=None)
                open_ids = [m.id for m in unanswered(db, conv.id)]
                publish(
                    db,
                    user_id=user_id,
                    persona_id=conv.persona_id,
                    conversation_id=conv.id,
                    kind="released",
                    by=by,
                    answering=open_ids,
                )
            view = conversation_view(db, conv)
        if open_ids:
            self._resume(user_id, conversation_id, open_ids, hand_off=False)  # the seller said so
        return view

    def _resume(self, user_id: str, conversation_id: str, message_ids: list[str], *, hand_off: bool) -> None:
        payload = {
            "conversation_id": conversation_id,
            "message_ids": message_ids,
            "since": utcnow().isoformat(),
            "hand_off": hand_off,
        }
        self.jobs.submit(user_id=user_id, kind=RESUME_JOB, payload=payload)

    def reply(
        self,
        *,
        user_id: str,
        conversation_id: str,
        text: str,
        voice: bool | None = None,
        audio_key: str | None = None,
        by: str = "dashboard",
    ) -> dict[str, Any]:
        """The seller's own reply; `audio_key`: their voice note, sent as it is (else, with `voice`
        or the persona's `speak_seller_replies`, the text is spoken in the persona's voice)."""
        text = _clean(text)
        with transaction(self.sessions) as db:
            conv = self._conversation(db, user_id, conversation_id)
            speak = voice if voice is not None else settings_of(db, conv.persona_id).speak_seller_replies
            msg = self._send(
                db,
                conv,
                "seller",
                text,
                audio_key=audio_key,
                meta={"by": by, "speak": bool(speak) and not audio_key},
            )
            close_drafts(db, conv.id, "superseded")
            if conv.state != "seller":
                move(conv, "seller", reason=conv.handoff_reason or "seller")
            publish(
                db,
                user_id=user_id,
                persona_id=conv.persona_id,
                conversation_id=conv.id,
                kind="seller_reply",
                message_id=msg.id,
                text=text[:500],
                by=by,
            )
            view = message_view(msg)
        self.jobs.submit(user_id=user_id, kind=DELIVER_JOB, payload={"message_id": view["id"]})
        return view

    def send_draft(
        self,
        *,
        user_id: str,
        conversation_id: str,
        draft_id: str | None = None,
        text: str | None = None,
        by: str = "dashboard",
    ) -> dict[str, Any]:
        """Send the persona's draft waiting in the conversation (the newest, or `draft_id`), as it
        is or as the seller edited it (`text`); the persona answers again afterwards."""
        edited = _clean(text) if text is not None else None
        with transaction(self.sessions) as db:
            conv = self._conversation(db, user_id, conversation_id)
            waiting = pending_drafts(db, conv.id)
            draft = (
                next((d for d in waiting if d.id == draft_id), None) if draft_id else (waiting or [None])[0]
            )
            if draft is None:
                raise ActionError(409, "no draft is waiting for you in this conversation")
            dmeta = dict(draft.meta or {})
            if edited is not None and edited != draft.content:
                msg = self._send(
                    db,
                    conv,
                    "seller",
                    edited,
                    meta={
                        "by": by,
                        "from_draft": draft.id,
                        "speak": settings_of(db, conv.persona_id).speak_seller_replies,
                    },
                )
            else:
                msg = self._send(
                    db,
                    conv,
                    "assistant",
                    draft.content,
                    citations=list(draft.citations or []),
                    meta={
                        "approved_by": by,
                        "draft_id": draft.id,
                        "mode": dmeta.get("mode"),
                        "speak": _wants_voice(db, conv, dmeta.get("question_id")),
                    },
                )
            draft.meta = {**dmeta, "status": "sent", "sent_as": msg.id}
            close_drafts(db, conv.id, "superseded", keep=draft.id)
            move(conv, "persona", reason=None)
            # What the customer wrote after the drafted question is answered next (and, in approval
            # mode, drafted for the seller again).
            later = [m.id for m in later_questions(db, conv.id, dmeta.get("question_id"))]
            publish(
                db,
                user_id=user_id,
                persona_id=conv.persona_id,
                conversation_id=conv.id,
                kind="draft_sent",
                message_id=msg.id,
                draft_id=draft.id,
                edited=msg.role == "seller",
                by=by,
            )
            view = message_view(msg)
        self.jobs.submit(user_id=user_id, kind=DELIVER_JOB, payload={"message_id": view["id"]})
        if later:
            self._resume(user_id, conversation_id, later, hand_off=True)
        return view

    def _send(
        self,
        db: Session,
        conv: Conversation,
        role: str,
        text: str,
        *,
        meta: dict[str, Any],
        citations: list[Any] | None = None,
        audio_key: str | None = None,
    ) -> Message:
        client = db.get(Client, conv.client_id) if conv.client_id else None
        language = (client.notes or {}).get("language") if client is not None else None
        msg = Message(
            user_id=conv.user_id,
            conversation_id=conv.id,
            role=role,
            content=text,
            citations=citations or [],
            audio_ref=audio_key,
            meta={**meta, "delivery": "pending", "language": language or "en"},
        )
        db.add(msg)
        db.flush()
        return msg


def _clean(text: str | None) -> str:
    text = (text or "").strip()
    if not text:
        raise ActionError(422, "the reply is empty")
    if len(text) > MAX_REPLY_CHARS:
        raise ActionError(422, f"the reply is {len(text)} characters; at most {MAX_REPLY_CHARS}")
    return text


def _wants_voice(db: Session, conv: Conversation, question_id: str | None) -> bool:
    """Whether the persona's approved answer goes out as a voice note, as it would have: Telegram
    customers get voice unless they chose text ("mirror": voice for a voice question)."""
    if conv.channel != "telegram":
        return False
    client = db.get(Client, conv.client_id) if conv.client_id else None
    mode = ((client.notes or {}) if client is not None else {}).get("reply_mode") or "voice"
    if mode == "mirror":
        question = db.get(Message, question_id) if question_id else None
        return question is not None and bool(question.audio_ref)
    return mode == "voice"
