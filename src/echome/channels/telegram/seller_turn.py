"""The seller's own chat inside a Telegram update's turn: linking it (`/start <one-time code>`),
button taps on handoff notifications, and the seller's replies (text, or a voice note transcribed
like a customer's). Mixed into the update job's `_Turn`, whose parts it uses."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from echome.channels.telegram.api import TelegramApi
from echome.db.models import Persona
from echome.db.session import transaction
from echome.handoff.link import redeem, seller_chat

if TYPE_CHECKING:
    from echome.channels.telegram.update_job import TelegramUpdateJob

SELLER_LINKED = (
    "Linked: this is now your seller chat. When a customer needs you, I'll send you the question, a "
    "short summary and my draft here. Reply to a notification to answer the customer yourself."
)
SELLER_WHICH = (
    "Which customer is this for? Reply to one of my notifications (swipe left on it, or tap Reply) "
    "and I'll send your answer to that customer."
)


class SellerTurn:
    if TYPE_CHECKING:  # provided by the update job's `_Turn`
        job: TelegramUpdateJob
        persona_id: str
        user_id: str
        token: str

        async def _transcribe(
            self, api: TelegramApi, chat_id: int, voice: dict[str, Any], *, any_language: bool = False
        ) -> tuple[str, bytes] | None: ...

        def _keep_voice_note(
            self, ref: dict[str, Any] | None, audio: bytes, *, folder: str = "customer-notes"
        ) -> str | None: ...

    # -- the seller's own chat --------------------------------------------------------------------
    def _seller_chat_id(self) -> int | None:
        with self.job.sessions() as db:
            found = seller_chat(db.get(Persona, self.persona_id))
        return found["chat_id"] if found else None

    def _link_seller(self, chat_id: int, sender: dict[str, Any], text: str) -> bool:
        code = text.split(maxsplit=1)[1].strip()
        with transaction(self.job.sessions) as db:
            persona = db.get(Persona, self.persona_id)
            return persona is not None and redeem(
                db, persona, code, chat_id=chat_id, user_id=int(sender["id"]), name=sender.get("first_name")
            )

    async def _button(self, callback: dict[str, Any]) -> dict[str, Any]:
        """A tap on a button: only the linked seller's taps on a handoff notification count."""
        sender = callback.get("from") or {}
        async with self.job.bot_api(self.token) as api:
            seller = self._seller_chat_id() if self.job.seller_chat is not None else None
            if (
                seller is None
                or ((callback.get("message") or {}).get("chat") or {}).get("id") != seller
                or sender.get("id") != seller
            ):
                await api.answer_callback_query(str(callback.get("id") or ""), "This button is not for you.")
                return {"status": "ignored", "reason": "a button outside the seller's chat"}
            assert self.job.seller_chat is not None
            return await self.job.seller_chat.on_callback(
                api, user_id=self.user_id, persona_id=self.persona_id, callback=callback
            )

    async def _from_seller(
        self, api: TelegramApi, chat_id: int, message: dict[str, Any], text: str, voice: dict[str, Any] | None
    ) -> dict[str, Any]:
        """A message in the seller's chat: a command, or their answer to a notification."""
        desk = self.job.seller_chat
        assert desk is not None
        if text.startswith("/"):
            command = text.split()[0].split("@")[0].lower()
            return await desk.on_command(api, persona_id=self.persona_id, chat_id=chat_id, command=command)
        target = desk.target(self.persona_id, chat_id, message.get("reply_to_message"))
        if target is None:
            await api.send_message(chat_id, SELLER_WHICH, reply_to=message.get("message_id"))
            return {"status": "done", "seller": "no conversation"}
        audio_key = None
        if voice:
            heard = await self._transcribe(api, chat_id, voice, any_language=True)
            if heard is None:
                return {"status": "done", "seller": "voice note not usable"}
            text, audio = heard
            audio_key = self._keep_voice_note(voice, audio, folder="seller-notes")
        if not text:
            await api.send_message(chat_id, SELLER_WHICH, reply_to=message.get("message_id"))
            return {"status": "done", "seller": "empty"}
        return await desk.on_reply(
            api,
            user_id=self.user_id,
            chat_id=chat_id,
            message_id=int(message.get("message_id") or 0),
            target=target,
            text=text,
            audio_key=audio_key,
        )
