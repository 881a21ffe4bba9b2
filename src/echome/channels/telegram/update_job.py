"""The `telegram.update` job: one customer message → commands, transcription, answer, delivery.

Reply modes per customer (kept in the client's notes): "voice" (a voice note with a short caption;
the default), "text", or "mirror" (voice in → voice out, text in → text out). A voice note that cannot
be made or sent falls back to a text message. Errors the seller must fix (a revoked token) fail the
job with the reason; a customer who blocked the bot is recorded and not retried.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import tempfile
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from echome.answer import memory
from echome.answer.pipeline import AnswerError, answer_question
from echome.answer.speech import needs_text_beside
from echome.channels.telegram import CHANNEL, JOB_KIND, TOKEN_PROVIDER
from echome.channels.telegram_api import MAX_CAPTION, TelegramApi, TelegramError
from echome.db.models import ChannelUpdate, Persona
from echome.db.session import transaction
from echome.jobs import JobContext, PermanentJobError, TransientJobError, job_handler

if TYPE_CHECKING:
    from echome.bootstrap import Services

log = logging.getLogger("echome.telegram")

HELP = (
    "Ask me anything about my products: type your question or send a voice note.\n"
    "/voice: I answer with voice notes\n/text: I answer in text\n"
    "/mirror: voice notes get voice answers, text gets text\n/reset: start our conversation over\n"
    "/help: this message"
)
NOT_UNDERSTOOD = "I can read text messages and listen to voice notes. Could you send your question that way?"
# One customer's messages are handled one at a time in a process, so a quick second message sees the
# first one's answer in the conversation (worker processes on other machines do not share this).
_CHAT_LOCKS: dict[str, threading.Lock] = {}
_LOCKS_GUARD = threading.Lock()


def _chat_lock(key: str) -> threading.Lock:
    with _LOCKS_GUARD:
        if len(_CHAT_LOCKS) > 10_000:
            _CHAT_LOCKS.clear()  # held locks stay referenced by their holders
        return _CHAT_LOCKS.setdefault(key, threading.Lock())


@job_handler(JOB_KIND)
def handle_update_job(ctx: JobContext, payload: dict[str, Any]) -> dict[str, Any]:
    services = ctx.services
    with transaction(services.sessions) as db:
        row = db.get(ChannelUpdate, payload["update"])
        if row is None:
            raise PermanentJobError("the update is gone (its persona was deleted)")
        if row.status in ("done", "ignored"):
            return {"status": row.status, "repeat": True}
        persona = db.get(Persona, row.persona_id)
        if persona is None:
            raise PermanentJobError("the persona was deleted")
        update, persona_id, user_id, row_id = dict(row.payload), row.persona_id, row.user_id, row.id
    token = services.cloud_key(user_id, TOKEN_PROVIDER, persona_id)
    if not token:
        _mark(services, row_id, "failed", "no Telegram bot token for this persona")
        raise PermanentJobError(
            "no Telegram bot token for this persona: `echome keys set telegram_bot_token`"
        )
    handler = _Handler(services, ctx, persona_id=persona_id, user_id=user_id, row_id=row_id, token=token)
    chat_id = ((update.get("message") or {}).get("chat") or {}).get("id")
    try:
        with _chat_lock(f"{persona_id}:{chat_id}"):
            result = asyncio.run(handler.run(update))
    except TelegramError as exc:
        if exc.kind == "blocked":
            _mark(services, row_id, "done", str(exc))
            return {"status": "blocked", "error": str(exc)}
        if exc.transient and ctx.attempt < services.settings.job_max_attempts:
            raise TransientJobError(str(exc)) from None
        _mark(services, row_id, "failed", str(exc))
        raise PermanentJobError(str(exc)) from None
    _mark(services, row_id, result.get("status", "done"), result.get("error"))
    return result


def _mark(services: Services, row_id: str, status: str, error: str | None = None, **payload: Any) -> None:
    with transaction(services.sessions) as db:
        row = db.get(ChannelUpdate, row_id)
        if row is not None:
            row.status = status
            row.error = error
            if payload:
                row.payload = {**row.payload, **payload}


def caption_for(answer: str, citations: list[dict[str, Any]]) -> str:
    """The answer and where it came from, within Telegram's caption limit."""
    seen: list[str] = []
    for c in citations:
        name = c.get("name") or c.get("source") or ""
        if c.get("sku"):
            name += f" (SKU {c['sku']})"
        if c.get("page") is not None and c.get("source"):
            name += f", {c['source']} p. {c['page']}"
        if name and name not in seen:
            seen.append(name)
    sources = "\n".join(f"Source: {s}" for s in seen[:3])
    text = f"{answer}\n\n{sources}".strip() if sources else answer
    if len(text) <= MAX_CAPTION:
        return text
    room = MAX_CAPTION - len(sources) - 3
    short = answer[: max(0, room - 1)].rsplit(" ", 1)[0] + "…"
    return f"{short}\n\n{sources}".strip()[:MAX_CAPTION]


class _Handler:
    def __init__(
        self, services: Services, ctx: JobContext, *, persona_id: str, user_id: str, row_id: str, token: str
    ) -> None:
        self.services, self.ctx = services, ctx
        self.persona_id, self.user_id, self.row_id, self.token = persona_id, user_id, row_id, token
        self.settings = services.settings

    async def run(self, update: dict[str, Any]) -> dict[str, Any]:
        message = update.get("message") or {}
        chat_id = (message.get("chat") or {}).get("id")
        sender = message.get("from") or {}
        if chat_id is None or not sender.get("id") or sender.get("is_bot"):
            return {"status": "ignored", "reason": "not a message from a person"}
        async with TelegramApi(self.token, api_url=self.settings.telegram_api_url) as api:
            if "_reply" in update:  # answered on an earlier attempt; only delivery failed
                return await self._deliver(api, chat_id, update["_reply"])
            if not self._allowed(chat_id):
                return await self._slow_down(api, chat_id)
            client_ref, name = str(sender["id"]), sender.get("first_name")
            text = (message.get("text") or message.get("caption") or "").strip()
            voice = message.get("voice") or message.get("audio")
            if text.startswith("/"):
                return await self._command(api, chat_id, client_ref, name, text)
            if voice:
                heard = await self._transcribe(api, chat_id, voice)
                if heard is None:
                    return {"status": "done", "reason": "voice note not usable"}
                return await self._answer(api, chat_id, client_ref, name, heard, voice_in=True, ref=voice)
            if text:
                return await self._answer(api, chat_id, client_ref, name, text, voice_in=False)
            if any(k in message for k in ("sticker", "photo", "document", "video", "video_note", "location")):
                await api.send_message(chat_id, NOT_UNDERSTOOD)
                return {"status": "done", "reason": "unsupported content"}
            return {"status": "ignored", "reason": "empty message"}

    def _allowed(self, chat_id: int) -> bool:
        limit = self.settings.telegram_chat_per_minute
        if limit <= 0:
            return True
        return self.services.ratelimiter.hit(f"tg:{self.persona_id}:{chat_id}", limit=limit).allowed

    async def _slow_down(self, api: TelegramApi, chat_id: int) -> dict[str, Any]:
        # One notice per minute, then silence until the limit resets.
        if self.services.ratelimiter.hit(f"tg-notice:{self.persona_id}:{chat_id}", limit=1).allowed:
            await api.send_message(
                chat_id, "You're sending messages faster than I can answer. Give me a minute!"
            )
        return {"status": "done", "reason": "rate limited"}

    def _client_notes(self, client_ref: str, name: str | None, **changes: Any) -> dict[str, Any]:
        with transaction(self.services.sessions) as db:
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
            with transaction(self.services.sessions) as db:
                persona = db.get(Persona, self.persona_id)
                persona_name = persona.name if persona else "your seller"
            hello = f"Hi {name}!" if name else "Hi!"
            said = f"{hello} I'm {persona_name}. " + HELP
        else:
            said = HELP
        await api.send_message(chat_id, said)
        return {"status": "done", "command": command}

    async def _transcribe(self, api: TelegramApi, chat_id: int, voice: dict[str, Any]) -> str | None:
        max_bytes, max_seconds = (
            self.settings.telegram_max_voice_bytes,
            self.settings.telegram_max_voice_seconds,
        )
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
        languages = [x.strip() for x in self.settings.persona_languages.split(",") if x.strip()]
        text = transcript.text.strip()
        if text and transcript.language not in languages and transcript.language_probability >= 0.5:
            await api.send_message(
                chat_id, "Sorry, I can only answer in English for now. Could you ask in English?"
            )
            return None
        if not text:
            await api.send_message(chat_id, "I couldn't make out any words. Could you try again or type it?")
            return None
        return text

    def _stt(self, data: bytes) -> Any:
        from echome.providers.base import ProviderError

        with tempfile.TemporaryDirectory(dir=self._tmp()) as tmp:
            path = Path(tmp) / "voice.oga"
            path.write_bytes(data)
            try:
                return self.services.stt.transcribe(str(path))
            except (ProviderError, ValueError, OSError) as exc:
                log.warning("voice note unreadable", extra={"error": str(exc)[:200]})
                return None
            except Exception as exc:  # a decoder error on a corrupt file must not kill the job
                log.warning("voice note failed to decode", extra={"error": str(exc)[:200]})
                return None

    def _tmp(self) -> str:
        d = self.settings.data_dir / "tmp"
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
    ) -> dict[str, Any]:
        notes = self._client_notes(client_ref, name)
        mode = notes.get("reply_mode") or "voice"
        speak = mode == "voice" or (mode == "mirror" and voice_in)
        t0 = time.perf_counter()
        typing = asyncio.create_task(self._keep_acting(api, chat_id, "record_voice" if speak else "typing"))
        try:
            result = await asyncio.to_thread(
                answer_question,
                self.services,
                user_id=self.user_id,
                persona_id=self.persona_id,
                question=question,
                channel=CHANNEL,
                client_ref=client_ref,
                client_name=name,
                voice=speak,
                transcript_of=(ref or {}).get("file_unique_id") if voice_in else None,
            )
        except AnswerError as exc:
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
        _mark(self.services, self.row_id, "answered", None, _reply=reply)
        return await self._deliver(api, chat_id, reply)

    async def _keep_acting(self, api: TelegramApi, chat_id: int, action: str) -> None:
        """Telegram shows a chat action for about 5 s: repeat it while the answer is being made."""
        while True:
            try:
                await api.send_chat_action(chat_id, action)
            except TelegramError:
                return
            await asyncio.sleep(4.0)

    async def _deliver(self, api: TelegramApi, chat_id: int, reply: dict[str, Any]) -> dict[str, Any]:
        sent: dict[str, Any] = {
            "status": "done",
            "message_id": reply.get("message_id"),
            "timings": reply.get("timings"),
        }
        if reply.get("audio_key"):
            try:
                audio = self.services.storage.get(reply["audio_key"])
                caption = reply["caption"]
                sent["voice"] = await api.send_voice(
                    chat_id, audio, caption=caption, duration=reply.get("duration")
                )
                sent["sent_voice_at"] = time.time()
                if reply.get("text_beside") or len(caption) < len(reply["text"]):
                    sent["text"] = await api.send_message(chat_id, reply["text"])
                return sent
            except TelegramError as exc:
                if exc.kind in ("token", "blocked") or exc.transient:
                    raise
                sent["voice_error"] = str(exc)  # e.g. voice messages forbidden by the user's privacy settings
            except Exception as exc:  # storage lost the file: the text still goes out
                sent["voice_error"] = str(exc)[:200]
        sent["text"] = await api.send_message(
            chat_id, reply["caption"] if len(reply["caption"]) <= 4096 else reply["text"]
        )
        return sent
