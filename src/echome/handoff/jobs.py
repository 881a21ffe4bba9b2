"""The desk's background work, one job kind each (registered in `wiring_jobs`):

- `handoff.notify`: tell the seller in their linked Telegram chat (a handoff, or a further message).
  Each notification is sent once: a "seller_notified" event records it, and a rerun of the job
  (its worker lost its lease after Telegram took the message) finds it and sends nothing.
- `handoff.deliver`: send a reply made outside the answer pipeline (the seller's, an approved draft,
  a timeout notice, the persona's answer after a release) on the customer's channel. Telegram gets
  a message (or a voice note); the web widget and the API read the thread, so nothing is pushed.
- `handoff.timeout`: the seller did not act in time: send the draft or tell the customer (a draft in
  approval mode, a handoff waiting); or a conversation the seller claimed and did not answer: tell
  the customer, or let the persona answer (`claimed_timeout_action`).
- `handoff.resume`: the seller let the persona answer: it answers the messages nobody answered.

Every job checks the state first, so a retried or late job does nothing twice.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NoReturn

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from echome.answer.pipeline import Answerer, AnswerError, ReplySpeaker
from echome.channels.telegram import TOKEN_PROVIDER
from echome.channels.telegram.api import TelegramApi, TelegramError
from echome.db.models import Client, Conversation, HandoffEvent, HandoffNotice, Message, Persona
from echome.db.session import transaction
from echome.handoff import DELIVER_JOB
from echome.handoff.actions import ActionError, HandoffActions
from echome.handoff.events import publish
from echome.handoff.schedule import JobSender
from echome.handoff.state import last_outgoing, pending_drafts, replied_since, settings_of, since
from echome.handoff.texts import customer_text
from echome.jobs import JobContext, PermanentJobError, TransientJobError
from echome.providers.base import ModelsForSeller
from echome.storage.base import FileStorage

log = logging.getLogger("echome.handoff")


def _token(models: ModelsForSeller, user_id: str, persona_id: str | None) -> str | None:
    return models.key(user_id, TOKEN_PROVIDER, persona_id or "") if persona_id else None


def _telegram_failure(ctx: JobContext, exc: TelegramError) -> NoReturn:
    if exc.transient and ctx.may_retry:
        raise TransientJobError(str(exc)) from None
    raise PermanentJobError(str(exc)) from None


@dataclass(eq=False)
class NotifySellerJob:
    sessions: sessionmaker[Session]
    models: ModelsForSeller
    bot_api: Callable[[str], TelegramApi]

    def __call__(self, ctx: JobContext, payload: dict[str, Any]) -> dict[str, Any]:
        from echome.channels.telegram.seller_chat import notify

        kind = str(payload.get("kind") or "handoff")
        draft_id = _str_or_none(payload.get("draft_id"))
        message_id = _str_or_none(payload.get("message_id"))
        # What this notification is about: a handoff's draft, or a customer's further message.
        key = f"{kind}:{draft_id or message_id or ctx.job_id}"
        with self.sessions() as db:
            conv = db.get(Conversation, str(payload.get("conversation_id") or ""))
            if conv is None:
                return {"status": "gone"}
            chat_id = settings_of(db, conv.persona_id).seller_chat_id
            conversation_id, user_id, persona_id = conv.id, conv.user_id, conv.persona_id
            earlier = _sent_before(db, conversation_id, key, kind=kind, draft_id=draft_id)
        if earlier is not None:
            return {"status": "sent", "message_id": earlier, "repeat": True}
        if chat_id is None:
            return {"status": "no seller chat"}
        token = _token(self.models, user_id, persona_id)
        if not token:
            return {"status": "no bot token"}
        ctx.checkpoint()  # a worker that lost this job's lease must not send it beside its new owner

        async def go() -> int | None:
            async with self.bot_api(token) as api:
                return await notify(
                    api,
                    self.sessions,
                    chat_id=chat_id,
                    conversation_id=conversation_id,
                    kind=kind,
                    draft_id=draft_id,
                    message_id=message_id,
                )

        try:
            sent = asyncio.run(go())
        except TelegramError as exc:
            if exc.kind == "blocked":  # the seller blocked their own bot: the dashboard still shows it
                return {"status": "seller unreachable", "error": str(exc)}
            _telegram_failure(ctx, exc)  # nothing recorded: a retry sends it
        if sent:
            with transaction(self.sessions) as db:
                publish(
                    db,
                    user_id=user_id,
                    persona_id=persona_id,
                    conversation_id=conversation_id,
                    kind="seller_notified",
                    key=key,
                    notice=kind,
                    telegram_message_id=sent,
                    job_id=ctx.job_id,
                )
        return {"status": "sent" if sent else "nothing to say", "message_id": sent}


def _str_or_none(value: Any) -> str | None:
    return str(value)[:64] if isinstance(value, str | int) and not isinstance(value, bool) and value else None


def _sent_before(
    db: Session, conversation_id: str, key: str, *, kind: str, draft_id: str | None
) -> int | None:
    """The Telegram message id of this notification when it was sent already, else None."""
    events = db.scalars(
        select(HandoffEvent)
        .where(HandoffEvent.conversation_id == conversation_id, HandoffEvent.kind == "seller_notified")
        .order_by(HandoffEvent.id.desc())
        .limit(500)
    ).all()
    for event in events:
        if (event.data or {}).get("key") == key:
            return int((event.data or {}).get("telegram_message_id") or 0)
    if kind == "handoff" and draft_id:
        # Recorded by `notify` itself right after Telegram took it (before the event above).
        notice = db.scalars(
            select(HandoffNotice).where(
                HandoffNotice.conversation_id == conversation_id,
                HandoffNotice.kind == "handoff",
                HandoffNotice.draft_id == draft_id,
            )
        ).first()
        if notice is not None:
            return int(notice.message_id)
    return None


@dataclass(eq=False)
class DeliverReplyJob:
    sessions: sessionmaker[Session]
    storage: FileStorage
    models: ModelsForSeller
    speaker: Callable[[], ReplySpeaker | None]
    bot_api: Callable[[str], TelegramApi]

    def __call__(self, ctx: JobContext, payload: dict[str, Any]) -> dict[str, Any]:
        with self.sessions() as db:
            msg = db.get(Message, str(payload.get("message_id") or ""))
            conv = db.get(Conversation, msg.conversation_id) if msg is not None else None
            if msg is None or conv is None:
                return {"status": "gone"}
            meta = dict(msg.meta or {})
            if meta.get("delivery") == "sent":
                return {"status": "done", "repeat": True}
            client = db.get(Client, conv.client_id) if conv.client_id else None
            facts = {
                "user_id": msg.user_id,
                "persona_id": conv.persona_id,
                "channel": conv.channel,
                "external_id": client.external_id if client is not None else None,
                "text": msg.content,
                "citations": list(msg.citations or []),
                "audio_key": msg.audio_ref,
                "language": meta.get("language") or "en",
            }
        if meta.get("speak") and not facts["audio_key"]:
            self._speak(msg.id, facts)
        if facts["channel"] != "telegram":
            self._mark(msg.id, "sent", None)  # the widget and the API read the thread
            return {"status": "stored", "channel": facts["channel"]}
        token = _token(self.models, facts["user_id"], facts["persona_id"])
        if not token or not str(facts["external_id"] or "").lstrip("-").isdigit():
            self._mark(msg.id, "failed", "the persona's Telegram bot is not connected")
            raise PermanentJobError("no Telegram bot token for this persona, or no chat to send to")
        try:
            sent = asyncio.run(self._telegram(token, int(facts["external_id"]), msg.id, facts))
        except TelegramError as exc:
            if not (exc.transient and ctx.may_retry):
                self._mark(msg.id, "failed", str(exc))
            _telegram_failure(ctx, exc)
        self._mark(msg.id, "sent", None)
        return {"status": "sent", **{k: v for k, v in sent.items() if k in ("voice", "text", "voice_error")}}

    def _speak(self, message_id: str, facts: dict[str, Any]) -> None:
        speaker = self.speaker()
        if speaker is None or not facts["persona_id"]:
            return
        try:
            if not speaker.can_speak(facts["persona_id"], facts["user_id"], facts["language"]):
                return
            saved = speaker.save_reply(
                persona_id=facts["persona_id"],
                user_id=facts["user_id"],
                text=facts["text"],
                message_id=message_id,
                language=facts["language"],
            )
        except Exception as exc:  # speech is optional: the text still goes out
            log.warning("seller reply not spoken", extra={"error": str(exc)[:200]})
            return
        facts["audio_key"], facts["duration"] = saved.key, saved.duration
        with transaction(self.sessions) as db:
            msg = db.get(Message, message_id)
            if msg is not None:
                msg.audio_ref, msg.tts_chars = saved.key, saved.characters

    async def _telegram(
        self, token: str, chat_id: int, message_id: str, facts: dict[str, Any]
    ) -> dict[str, Any]:
        from echome.channels.telegram.deliver import caption_for, deliver

        reply = {
            "message_id": message_id,
            "text": facts["text"],
            "caption": caption_for(facts["text"], facts["citations"]),
            "audio_key": facts["audio_key"],
            "duration": facts.get("duration"),
        }
        async with self.bot_api(token) as api:
            return await deliver(api, self.storage, chat_id, reply)

    def _mark(self, message_id: str, status: str, error: str | None) -> None:
        with transaction(self.sessions) as db:
            msg = db.get(Message, message_id)
            conv = db.get(Conversation, msg.conversation_id) if msg is not None else None
            if msg is None or conv is None:
                return
            msg.meta = {**(msg.meta or {}), "delivery": status, "delivery_error": error}
            publish(
                db,
                user_id=msg.user_id,
                persona_id=conv.persona_id,
                conversation_id=conv.id,
                kind="delivered" if status == "sent" else "delivery_failed",
                message_id=msg.id,
                role=msg.role,
                error=error,
            )


@dataclass(eq=False)
class HandoffTimeoutJob:
    sessions: sessionmaker[Session]
    actions: HandoffActions
    jobs: JobSender

    def __call__(self, ctx: JobContext, payload: dict[str, Any]) -> dict[str, Any]:
        conversation_id = str(payload.get("conversation_id") or "")
        with self.sessions() as db:
            conv = db.get(Conversation, conversation_id)
            if conv is None or conv.state == "persona" or since(conv) != payload.get("since"):
                return {"status": "handled"}  # the seller (or a later handoff) took care of it
            settings = settings_of(db, conv.persona_id)
            user_id, state = conv.user_id, conv.state
            draft_waits = any(d.id == payload.get("draft_id") for d in pending_drafts(db, conv.id))
            last = last_outgoing(db, conv.id)
            seller_answered = last is not None and last.role == "seller"
            if conv.state_changed_at is not None and replied_since(db, conv.id, conv.state_changed_at):
                seller_answered = True  # a reply to a conversation the seller has leaves its state
        if payload.get("kind") == "claimed":
            # The seller said "I'll answer" and has not, within claimed_timeout_minutes.
            if state != "seller" or seller_answered:
                return {"status": "handled"}
            if settings.claimed_timeout_action == "release":
                try:
                    self.actions.release(user_id=user_id, conversation_id=conversation_id, by="timeout")
                except ActionError as exc:
                    return {"status": "handled", "note": str(exc)}
                return {"status": "released"}
            return self._tell_customer(conversation_id, "claimed")
        if payload.get("kind") == "approval":
            if not draft_waits or state != "waiting":
                return {"status": "handled"}
            if settings.approval_timeout_action == "send_draft":
                try:
                    sent = self.actions.send_draft(
                        user_id=user_id,
                        conversation_id=conversation_id,
                        draft_id=payload.get("draft_id"),
                        by="timeout",
                    )
                except ActionError as exc:
                    return {"status": "handled", "note": str(exc)}
                return {"status": "draft sent", "message_id": sent["id"]}
        elif seller_answered:
            return {"status": "handled"}
        return self._tell_customer(conversation_id, payload.get("kind") or "waiting")

    def _tell_customer(self, conversation_id: str, kind: str) -> dict[str, Any]:
        with transaction(self.sessions) as db:
            conv = db.get(Conversation, conversation_id)
            if conv is None:
                return {"status": "gone"}
            if _told_late(db, conv):
                return {"status": "handled", "note": "the customer was told already"}  # a rerun
            client = db.get(Client, conv.client_id) if conv.client_id else None
            persona = db.get(Persona, conv.persona_id) if conv.persona_id else None
            language = ((client.notes or {}) if client is not None else {}).get("language") or "en"
            text = customer_text("late", language, persona.name if persona is not None else "")
            msg = Message(
                user_id=conv.user_id,
                conversation_id=conv.id,
                role="assistant",
                content=text,
                meta={"kind": "handoff-late", "delivery": "pending", "language": language},
            )
            db.add(msg)
            db.flush()
            publish(
                db,
                user_id=conv.user_id,
                persona_id=conv.persona_id,
                conversation_id=conv.id,
                kind="timeout",
                waited_for=kind,
                message_id=msg.id,
            )
            user_id, message_id = conv.user_id, msg.id
        self.jobs.submit(user_id=user_id, kind=DELIVER_JOB, payload={"message_id": message_id})
        return {"status": "customer told", "message_id": message_id}


def _told_late(db: Session, conv: Conversation) -> bool:
    """Whether the customer was told the seller is late since the conversation's last state change."""
    if conv.state_changed_at is None:
        return False
    rows = db.scalars(
        select(Message)
        .where(
            Message.conversation_id == conv.id,
            Message.role == "assistant",
            Message.created_at >= conv.state_changed_at,
        )
        .limit(200)
    ).all()
    return any((m.meta or {}).get("kind") == "handoff-late" for m in rows)


@dataclass(eq=False)
class ResumeAnsweringJob:
    """The persona answers customer messages nobody answered: after "let the persona answer"
    (`hand_off` false: the seller said so), or the messages that came after a draft the seller sent
    (`hand_off` true: the triggers and approval mode apply as to any turn)."""

    sessions: sessionmaker[Session]
    answerer: Callable[[], Answerer]
    jobs: JobSender

    def __call__(self, ctx: JobContext, payload: dict[str, Any]) -> dict[str, Any]:
        try:
            since = datetime.fromisoformat(str(payload.get("since")))
        except ValueError:
            raise PermanentJobError("the resume job has no valid `since`") from None
        with self.sessions() as db:
            conv = db.get(Conversation, str(payload.get("conversation_id") or ""))
            if conv is None or conv.state != "persona" or not conv.persona_id:
                return {"status": "handled"}  # gone, or the seller took it again
            wanted = [db.get(Message, str(i)) for i in payload.get("message_ids") or []]
            asked = [m for m in wanted if m is not None and m.conversation_id == conv.id and m.role == "user"]
            client = db.get(Client, conv.client_id) if conv.client_id else None
            if not asked or client is None or replied_since(db, conv.id, since):
                return {"status": "handled"}  # answered meanwhile (or by an earlier run of this job)
            question = " ".join(m.content for m in asked)[-2000:]
            mode = (client.notes or {}).get("reply_mode") or "voice"
            voice = conv.channel == "telegram" and (
                mode == "voice" or (mode == "mirror" and bool(asked[-1].audio_ref))
            )
            args = {
                "user_id": conv.user_id,
                "persona_id": conv.persona_id,
                "channel": conv.channel,
                "client_ref": client.external_id,
                "recorded_question": asked[-1].id,
            }
        try:
            result = self.answerer().answer(
                question=question, voice=voice, hand_off=bool(payload.get("hand_off")), **args
            )
        except AnswerError as exc:
            return {"status": "not answered", "error": str(exc)}
        if not result.message_id:
            return {"status": "handed off", "handoff": result.handoff}
        with transaction(self.sessions) as db:
            msg = db.get(Message, result.message_id)
            if msg is not None:
                msg.meta = {**(msg.meta or {}), "delivery": "pending", "resumed": True}
        self.jobs.submit(user_id=args["user_id"], kind=DELIVER_JOB, payload={"message_id": result.message_id})
        return {"status": "handed off" if result.handoff else "answered", "message_id": result.message_id}
