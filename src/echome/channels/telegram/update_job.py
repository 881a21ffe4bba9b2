"""The `telegram.update` job: one customer message → commands, transcription, answer, delivery.

Reply modes per customer (kept in the client's notes): "voice" (a voice note with a short caption;
the default), "text", or "mirror" (voice in → voice out, text in → text out). A voice note that cannot
be made or sent falls back to a text message. Errors the seller must fix (a revoked token) fail the
job with the reason; a customer who blocked the bot is recorded and not retried.

One chat's updates are answered in the order Telegram numbered them, across every worker process:
the job holds the chat's lock (`ChatLocks`) and first answers any earlier update of the same chat
that is still waiting for its own job.

The seller's own chat with the bot (linked with `/start <one-time code>`, see `handoff.link`) is
never a customer: its button taps and replies to handoff notifications go to `seller_chat`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import KW_ONLY, dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from echome.answer import memory
from echome.answer.pipeline import Answerer, AnswerError
from echome.channels.chat_order import ChatBusy, ChatLocks
from echome.channels.telegram import CHANNEL, TOKEN_PROVIDER
from echome.channels.telegram.api import TelegramApi, TelegramError
from echome.channels.telegram.deliver import caption_for, deliver
from echome.channels.telegram.seller_chat import SellerChat
from echome.channels.telegram.seller_turn import SELLER_LINKED, SellerTurn
from echome.db.models import TERMINAL_STATUSES, ChannelUpdate, Job, Persona
from echome.db.session import transaction
from echome.jobs import JobContext, PermanentJobError, TransientJobError
from echome.providers.base import ModelsForSeller, ProviderError, SpeechToText
from echome.ratelimit import RateLimiter
from echome.storage.base import FileStorage
from echome.voice.spoken_text import needs_text_beside

log = logging.getLogger("echome.telegram")

HELP = (
    "Ask me anything about my products: type your question or send a voice note.\n"
    "/voice: I answer with voice notes\n/text: I answer in text\n"
    "/mirror: voice notes get voice answers, text gets text\n/reset: start our conversation over\n"
    "/help: this message"
)
NOT_UNDERSTOOD = "I can read text messages and listen to voice notes. Could you send your question that way?"


@dataclass(frozen=True)
class TelegramLimits:
    max_voice_bytes: int = 20 * 1024 * 1024  # Telegram's own limit for bot downloads
    max_voice_seconds: int = 300
    chat_per_minute: int = 20  # 0: no limit
    languages: tuple[str, ...] = ("en",)  # languages answered; a voice note in another gets a notice


@dataclass
class _Update:
    row_id: str
    update_id: int
    persona_id: str
    user_id: str
    payload: dict[str, Any]

    @property
    def chat_id(self) -> Any:
        return chat_of(self.payload)


def chat_of(update: dict[str, Any]) -> Any:
    """The chat an update belongs to: a message's, or the message under a tapped button."""
    message = update.get("message") or (update.get("callback_query") or {}).get("message") or {}
    return (message.get("chat") or {}).get("id") if isinstance(message, dict) else None


@dataclass(eq=False)
class TelegramUpdateJob:
    sessions: sessionmaker[Session]
    answerer: Answerer
    stt: Callable[[], SpeechToText]  # loaded on the first voice note
    models: ModelsForSeller
    storage: FileStorage
    ratelimiter: RateLimiter
    chat_locks: ChatLocks
    _: KW_ONLY
    bot_api: Callable[[str], TelegramApi]
    limits: TelegramLimits
    tmp_dir: Path
    seller_chat: SellerChat | None = None  # handoffs: the seller's own chat with the bot

    def __call__(self, ctx: JobContext, payload: dict[str, Any]) -> dict[str, Any]:
        with transaction(self.sessions) as db:
            row = db.get(ChannelUpdate, payload["update"])
            if row is None:
                raise PermanentJobError("the update is gone (its persona was deleted)")
            if row.status in ("done", "ignored"):
                return {"status": row.status, "repeat": True}
            if db.get(Persona, row.persona_id) is None:
                raise PermanentJobError("the persona was deleted")
            this = _Update(row.id, row.update_id, row.persona_id, row.user_id, dict(row.payload))
        token = self.models.key(this.user_id, TOKEN_PROVIDER, this.persona_id)
        if not token:
            self.mark(this.row_id, "failed", "no Telegram bot token for this persona")
            raise PermanentJobError(
                "no Telegram bot token for this persona: `echome keys set telegram_bot_token`"
            )
        try:
            with self.chat_locks.hold(f"{this.persona_id}:{this.chat_id}"):
                for earlier in self._waiting_before(this):
                    self._answer_earlier(ctx, earlier, token)
                current = self._reload(this.row_id, finished=("done", "ignored"))
                if current is None:  # answered by the job of a later update of this chat
                    return {"status": "done", "repeat": True}
                return self._answer(ctx, current, token)
        except ChatBusy as exc:
            raise TransientJobError(str(exc)) from None

    def _answer(self, ctx: JobContext, update: _Update, token: str) -> dict[str, Any]:
        turn = _Turn(self, update, token)
        try:
            result = asyncio.run(turn.run(update.payload))
        except TelegramError as exc:
            if exc.kind == "blocked":
                self.mark(update.row_id, "done", str(exc))
                return {"status": "blocked", "error": str(exc)}
            if exc.transient and ctx.may_retry:
                raise TransientJobError(str(exc)) from None
            self.mark(update.row_id, "failed", str(exc))
            raise PermanentJobError(str(exc)) from None
        self.mark(update.row_id, result.get("status", "done"), result.get("error"))
        return result

    def _waiting_before(self, this: _Update) -> list[str]:
        """Earlier updates of this chat that no job has answered yet and whose own job still runs."""
        with transaction(self.sessions) as db:
            rows = db.execute(
                select(ChannelUpdate.id, ChannelUpdate.payload)
                .join(Job, Job.id == ChannelUpdate.job_id)
                .where(
                    ChannelUpdate.persona_id == this.persona_id,
                    ChannelUpdate.channel == CHANNEL,
                    ChannelUpdate.update_id < this.update_id,
                    ChannelUpdate.status.in_(("received", "answered")),
                    Job.status.not_in(TERMINAL_STATUSES),
                )
                .order_by(ChannelUpdate.update_id)
                .limit(50)
            ).all()
        chat = this.chat_id
        return [rid for rid, body in rows if chat_of(body or {}) == chat]

    def _answer_earlier(self, ctx: JobContext, row_id: str, token: str) -> None:
        """Answer an update that came first; its own job then finds it done. A failure is left to
        that job (so one broken message does not hold up the chat)."""
        update = self._reload(row_id)
        if update is None:
            return
        try:
            self._answer(ctx, update, token)
        except (TransientJobError, PermanentJobError, ProviderError) as exc:
            log.warning("an earlier update is left to its own job", extra={"row": row_id, "error": str(exc)})
        except Exception:
            log.exception("an earlier update is left to its own job", extra={"row": row_id})

    def _reload(
        self, row_id: str, finished: tuple[str, ...] = ("done", "ignored", "failed")
    ) -> _Update | None:
        with transaction(self.sessions) as db:
            row = db.get(ChannelUpdate, row_id)
            if row is None or row.status in finished:
                return None
            return _Update(row.id, row.update_id, row.persona_id, row.user_id, dict(row.payload))

    def mark(self, row_id: str, status: str, error: str | None = None, **payload: Any) -> None:
        with transaction(self.sessions) as db:
            row = db.get(ChannelUpdate, row_id)
            if row is not None:
                row.status = status
                row.error = error
                if payload:
                    row.payload = {**row.payload, **payload}


class _Turn(SellerTurn):
    """One update of one chat, on the event loop: commands, listening, answering, delivering."""

    def __init__(self, job: TelegramUpdateJob, update: _Update, token: str) -> None:
        self.job = job
        self.persona_id, self.user_id, self.row_id = update.persona_id, update.user_id, update.row_id
        self.token = token
        self.limits = job.limits

    async def run(self, update: dict[str, Any]) -> dict[str, Any]:
        if isinstance(update.get("callback_query"), dict):
            return await self._button(update["callback_query"])
        message = update.get("message") or {}
        chat_id = (message.get("chat") or {}).get("id")
        sender = message.get("from") or {}
        if chat_id is None or not sender.get("id") or sender.get("is_bot"):
            return {"status": "ignored", "reason": "not a message from a person"}
        async with self.job.bot_api(self.token) as api:
            if "_reply" in update:  # answered on an earlier attempt; only delivery failed
                return await deliver(api, self.job.storage, chat_id, update["_reply"])
            if not self._allowed(chat_id):
                return await self._slow_down(api, chat_id)
            client_ref, name = str(sender["id"]), sender.get("first_name")
            text = (message.get("text") or message.get("caption") or "").strip()
            voice = message.get("voice") or message.get("audio")
            if self.job.seller_chat is not None:
                if text.startswith("/start ") and self._link_seller(chat_id, sender, text):
                    await api.send_message(chat_id, SELLER_LINKED)
                    return {"status": "done", "seller": "linked"}
                if chat_id == self._seller_chat_id():
                    return await self._from_seller(api, chat_id, message, text, voice)
            if text.startswith("/"):
                return await self._command(api, chat_id, client_ref, name, text)
            if voice:
                heard = await self._transcribe(api, chat_id, voice)
                if heard is None:
                    return {"status": "done", "reason": "voice note not usable"}
                text, audio = heard
                return await self._answer(
                    api, chat_id, client_ref, name, text, voice_in=True, ref=voice, audio=audio
                )
            if text:
                return await self._answer(api, chat_id, client_ref, name, text, voice_in=False)
            if any(k in message for k in ("sticker", "photo", "document", "video", "video_note", "location")):
                await api.send_message(chat_id, NOT_UNDERSTOOD)
                return {"status": "done", "reason": "unsupported content"}
            return {"status": "ignored", "reason": "empty message"}

    # -- customers --------------------------------------------------------------------------------
    def _allowed(self, chat_id: int) -> bool:
        limit = self.limits.chat_per_minute
        if limit <= 0:
            return True
        return self.job.ratelimiter.hit(f"tg:{self.persona_id}:{chat_id}", limit=limit).allowed

    async def _slow_down(self, api: TelegramApi, chat_id: int) -> dict[str, Any]:
        # One notice per minute, then silence until the limit resets.
        if self.job.ratelimiter.hit(f"tg-notice:{self.persona_id}:{chat_id}", limit=1).allowed:
            await api.send_message(
                chat_id, "You're sending messages faster than I can answer. Give me a minute!"
            )
        return {"status": "done", "reason": "rate limited"}

    def _client_notes(self, client_ref: str, name: str | None, **changes: Any) -> dict[str, Any]:
        with transaction(self.job.sessions) as db:
            client = memory.client_for(
                db,
                user_id=self.user_id,
                persona_id=self.persona_id,
                channel=CHANNEL,
                external_id=client_ref,
                name=name,
            )
            if changes.pop("_reset", False):
                memory.start_over(db, client, persona_id=self.persona_id)
            if changes:
                client.notes = {**(client.notes or {}), **changes}
            return dict(client.notes or {})

    async def _command(
        self, api: TelegramApi, chat_id: int, client_ref: str, name: str | None, text: str
    ) -> dict[str, Any]:
        command = text.split()[0].split("@")[0].lower()
        modes = {"/voice": "voice", "/text": "text", "/mirror": "mirror"}
        if command in modes:
            self._client_notes(client_ref, name, reply_mode=modes[command])
            said = {
                "voice": "Got it: I'll answer with voice notes.",
                "text": "Got it: I'll answer in text.",
                "mirror": "Got it: voice notes get voice answers, text gets text.",
            }[modes[command]]
        elif command == "/reset":
            self._client_notes(client_ref, name, _reset=True)
            said = "Let's start over. What can I help you with?"
        elif command == "/start":
            self._client_notes(client_ref, name)
            with transaction(self.job.sessions) as db:
                persona = db.get(Persona, self.persona_id)
                persona_name = persona.name if persona else "your seller"
            hello = f"Hi {name}!" if name else "Hi!"
            said = f"{hello} I'm {persona_name}. " + HELP
        else:
            said = HELP
        await api.send_message(chat_id, said)
        return {"status": "done", "command": command}

    async def _transcribe(
        self, api: TelegramApi, chat_id: int, voice: dict[str, Any], *, any_language: bool = False
    ) -> tuple[str, bytes] | None:
        """What the customer said and the voice note's bytes, or None (the customer was told why)."""
        max_bytes, max_seconds = self.limits.max_voice_bytes, self.limits.max_voice_seconds
        if (voice.get("file_size") or 0) > max_bytes or (voice.get("duration") or 0) > max_seconds:
            await api.send_message(
                chat_id,
                f"That voice note is too long for me. Please keep it under {max_seconds // 60} minutes, "
                "or type your question.",
            )
            return None
        await api.send_chat_action(chat_id, "typing")
        try:
            data = await api.download(voice["file_id"], max_bytes=max_bytes)
        except TelegramError as exc:
            if exc.kind not in ("too_big", "bad_request"):
                raise
            await api.send_message(chat_id, "I couldn't open that voice note. Could you type your question?")
            return None
        transcript = await asyncio.to_thread(self._stt, data)
        if transcript is None:
            await api.send_message(
                chat_id, "I couldn't listen to that voice note. Could you type your question?"
            )
            return None
        languages = self.limits.languages
        text = transcript.text.strip()
        if (
            text
            and not any_language
            and transcript.language not in languages
            and transcript.language_probability >= 0.5
        ):
            await api.send_message(
                chat_id, "Sorry, I can only answer in English for now. Could you ask in English?"
            )
            return None
        if not text:
            await api.send_message(chat_id, "I couldn't make out any words. Could you try again or type it?")
            return None
        return text, data

    def _stt(self, data: bytes) -> Any:
        with tempfile.TemporaryDirectory(dir=self._tmp()) as tmp:
            path = Path(tmp) / "voice.oga"
            path.write_bytes(data)
            try:
                return self.job.stt().transcribe(str(path))
            except (ProviderError, ValueError, OSError) as exc:
                log.warning("voice note unreadable", extra={"error": str(exc)[:200]})
                return None
            except Exception as exc:  # a decoder error on a corrupt file must not kill the job
                log.warning("voice note failed to decode", extra={"error": str(exc)[:200]})
                return None

    def _tmp(self) -> str:
        d = self.job.tmp_dir
        d.mkdir(parents=True, exist_ok=True)
        return str(d)

    async def _answer(
        self,
        api: TelegramApi,
        chat_id: int,
        client_ref: str,
        name: str | None,
        question: str,
        *,
        voice_in: bool,
        ref: dict[str, Any] | None = None,
        audio: bytes | None = None,
    ) -> dict[str, Any]:
        notes = self._client_notes(client_ref, name)
        # The customer's voice note is kept with their message, so the seller can hear it in
        # Conversations (named by Telegram's file id: a retried update overwrites, never adds).
        audio_key = self._keep_voice_note(ref, audio) if voice_in and audio else None
        mode = notes.get("reply_mode") or "voice"
        speak = mode == "voice" or (mode == "mirror" and voice_in)
        t0 = time.perf_counter()
        typing = asyncio.create_task(self._keep_acting(api, chat_id, "record_voice" if speak else "typing"))
        try:
            result = await asyncio.to_thread(
                self.job.answerer.answer,
                user_id=self.user_id,
                persona_id=self.persona_id,
                question=question,
                channel=CHANNEL,
                client_ref=client_ref,
                client_name=name,
                voice=speak,
                transcript_of=(ref or {}).get("file_unique_id") if voice_in else None,
                question_audio=audio_key,
            )
        except AnswerError as exc:
            if audio_key:
                self.job.storage.delete(audio_key)
            await api.send_message(chat_id, "Sorry, I couldn't read that. Could you rephrase your question?")
            return {"status": "done", "error": str(exc)}
        finally:
            typing.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await typing
        reply = {
            "message_id": result.message_id,
            "text": result.answer,
            "caption": caption_for(result.answer, result.citations),
            "audio_key": result.audio_key,
            "duration": result.audio_duration,
            "text_beside": bool(result.audio_key) and needs_text_beside(result.answer, result.spoken),
            "answered_in": round(time.perf_counter() - t0, 3),
            "timings": result.timings,
            "speech_error": result.speech_error,
        }
        if result.handoff is not None and not result.answer:
            # The seller has the conversation and the customer was told already: nothing to send.
            return {"status": "done", "handoff": result.handoff.get("state"), "message_id": None}
        self.job.mark(self.row_id, "answered", None, _reply=reply)
        return await deliver(api, self.job.storage, chat_id, reply)

    def _keep_voice_note(
        self, ref: dict[str, Any] | None, audio: bytes, *, folder: str = "customer-notes"
    ) -> str | None:
        unique = str((ref or {}).get("file_unique_id") or "")
        name = unique if re.fullmatch(r"[A-Za-z0-9_-]{1,64}", unique) else uuid.uuid4().hex
        try:
            return self.job.storage.put("audio", self.user_id, f"{folder}/{name}.oga", audio)
        except Exception as exc:  # keeping the recording must never cost the customer their answer
            log.warning("customer voice note not kept", extra={"error": str(exc)[:200]})
            return None

    async def _keep_acting(self, api: TelegramApi, chat_id: int, action: str) -> None:
        """Telegram shows a chat action for about 5 s: repeat it while the answer is being made."""
        while True:
            try:
                await api.send_chat_action(chat_id, action)
            except TelegramError:
                return
            await asyncio.sleep(4.0)
