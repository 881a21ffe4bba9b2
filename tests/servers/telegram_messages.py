"""Chats and outgoing messages for the fake Telegram Bot API: sendMessage and sendChatAction, the
checks every send* shares (chat_id, blocked chats, reply targets) and the per-bot message history
that replies are resolved against. Mixed into `FakeTelegram`, which owns the state.
"""

from __future__ import annotations

import copy
import hashlib
import re
import time
from typing import TYPE_CHECKING, Any

from starlette.responses import Response

from tests.servers import ApiError
from tests.servers.telegram_callbacks import check_inline_keyboard
from tests.servers.telegram_wire import (
    bool_param,
    int_param,
    obj_param,
    ok,
    parse_mode_param,
    plain_text,
    str_param,
    utf16_len,
)

if TYPE_CHECKING:
    import threading

    from tests.servers.fake_telegram import Bot, TelegramCall
    from tests.servers.telegram_files import StoredFile

MAX_TEXT = 4096
CHAT_ACTIONS = {
    "typing", "upload_photo", "record_video", "upload_video", "record_voice", "upload_voice",
    "upload_document", "choose_sticker", "find_location", "record_video_note", "upload_video_note",
}  # fmt: skip


class TelegramMessages:
    """sendMessage, sendChatAction and the chat/message bookkeeping behind every send*."""

    if TYPE_CHECKING:  # provided by FakeTelegram (and FakeService)
        _lock: threading.Lock
        files: dict[str, StoredFile]
        blocked: set[int | str]
        sent_messages: list[dict[str, Any]]
        chat_actions: list[tuple[int | str, str]]
        _chats: dict[int | str, dict[str, Any]]
        _messages: dict[tuple[str, int | str, int], dict[str, Any]]

        async def apply_fault(self) -> Response | None: ...

    async def _send_message(self, bot: Bot, call: TelegramCall) -> Response:
        p = call.params
        chat_id = self._target_chat(p)
        parse_mode = parse_mode_param(p)
        text = plain_text(str_param(p, "text") or "", parse_mode).strip()
        if not text:
            raise ApiError(400, "Bad Request: message text is empty")
        if utf16_len(text) > MAX_TEXT:
            raise ApiError(400, "Bad Request: message is too long")
        reply_to = self._reply_target(bot, chat_id, p)
        markup = obj_param(p, "reply_markup", "Bad Request: can't parse reply keyboard markup JSON object")
        if isinstance(markup, dict) and "inline_keyboard" in markup:
            check_inline_keyboard(markup)
        fault = await self.apply_fault()
        if fault is not None:
            return fault
        extra: dict[str, Any] = {"text": text}
        if isinstance(markup, dict) and "inline_keyboard" in markup:
            extra["reply_markup"] = markup
        message = self._new_message(bot, chat_id, reply_to, extra)
        with self._lock:
            self.sent_messages.append(copy.deepcopy(message))
        return ok(message)

    async def _send_chat_action(self, bot: Bot, call: TelegramCall) -> Response:
        chat_id = self._target_chat(call.params)
        action = str_param(call.params, "action") or ""
        if action not in CHAT_ACTIONS:
            raise ApiError(400, "Bad Request: wrong parameter action in request")
        fault = await self.apply_fault()
        if fault is not None:
            return fault
        with self._lock:
            self.chat_actions.append((chat_id, action))
        return ok(True)

    def _target_chat(self, params: dict[str, Any]) -> int | str:
        raw = params.get("chat_id")
        if raw is None or raw == "":
            raise ApiError(400, "Bad Request: chat_id is empty")
        if isinstance(raw, bool):
            raise ApiError(400, "Bad Request: chat not found")
        if isinstance(raw, int):
            chat_id: int | str = raw
        elif isinstance(raw, str) and re.fullmatch(r"-?\d+", raw.strip()):
            chat_id = int(raw)
        elif isinstance(raw, str) and re.fullmatch(r"@[A-Za-z]\w{4,31}", raw):
            chat_id = raw
        else:
            raise ApiError(400, "Bad Request: chat not found")
        with self._lock:
            blocked = chat_id in self.blocked
        if blocked:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        return chat_id

    def _reply_target(self, bot: Bot, chat_id: int | str, params: dict[str, Any]) -> dict[str, Any] | None:
        reply = obj_param(params, "reply_parameters", "Bad Request: can't parse reply parameters JSON object")
        if reply is None and params.get("reply_to_message_id") not in (None, ""):
            reply = {
                "message_id": int_param(params, "reply_to_message_id", 0),
                "allow_sending_without_reply": bool_param(params, "allow_sending_without_reply"),
            }
        if reply is None:
            return None
        if not isinstance(reply, dict) or "message_id" not in reply:
            raise ApiError(400, "Bad Request: can't parse reply parameters JSON object")
        target_chat = reply.get("chat_id", chat_id)
        if isinstance(target_chat, str) and re.fullmatch(r"-?\d+", target_chat):
            target_chat = int(target_chat)
        with self._lock:
            found = self._messages.get((bot.token, target_chat, int(reply["message_id"])))
        if found is None and not reply.get("allow_sending_without_reply"):
            raise ApiError(400, "Bad Request: message to be replied not found")
        return copy.deepcopy(found) if found else None

    def _chat_object(self, chat_id: int | str) -> dict[str, Any]:
        known = self._chats.get(chat_id)
        if known is not None:
            return copy.deepcopy(known)
        if isinstance(chat_id, str):
            name = chat_id.removeprefix("@")
            number = -1_000_000_000_000 - int(hashlib.sha1(name.encode()).hexdigest()[:8], 16)
            return {"id": number, "title": name, "username": name, "type": "channel"}
        if chat_id > 0:
            return {"id": chat_id, "first_name": "User", "type": "private"}
        if str(chat_id).startswith("-100"):
            return {"id": chat_id, "title": "Group", "type": "supergroup"}
        return {"id": chat_id, "title": "Group", "type": "group", "all_members_are_administrators": True}

    def _new_message(
        self, bot: Bot, chat_id: int | str, reply_to: dict[str, Any] | None, extra: dict[str, Any]
    ) -> dict[str, Any]:
        with self._lock:
            used = [mid for (tok, chat, mid) in self._messages if tok == bot.token and chat == chat_id]
            message: dict[str, Any] = {
                "message_id": max(used, default=0) + 1,
                "from": bot.user(),
                "chat": self._chat_object(chat_id),
                "date": int(time.time()),
            }
            if reply_to is not None:
                reply_to.pop("reply_to_message", None)
                message["reply_to_message"] = reply_to
            message.update(extra)
            self._messages[(bot.token, chat_id, message["message_id"])] = copy.deepcopy(message)
        return message

    def _learn_message(self, token: str, message: dict[str, Any]) -> None:
        """Remember an incoming message's chat and id (to reply to it) and fill in ids it lacks."""
        chat = message.get("chat") or {}
        chat_id = chat.get("id")
        if chat_id is None:
            return
        self._chats[chat_id] = copy.deepcopy(chat)
        message.setdefault("date", int(time.time()))
        if message.get("message_id") is None:
            used = [mid for (tok, c, mid) in self._messages if tok == token and c == chat_id]
            message["message_id"] = max(used, default=0) + 1
        for kind in ("voice", "audio", "document", "video", "video_note", "sticker"):
            media = message.get(kind)
            stored = self.files.get(media["file_id"]) if isinstance(media, dict) else None
            if media is not None and stored is not None:
                media.setdefault("file_unique_id", stored.file_unique_id)
                media.setdefault("file_size", len(stored.data))
        self._messages[(token, chat_id, int(message["message_id"]))] = copy.deepcopy(message)
