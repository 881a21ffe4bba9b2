"""Inline keyboards for the fake Telegram Bot API: a user tapping a button (`press`, which queues
the `callback_query` update Telegram would send), answerCallbackQuery and editMessageReplyMarkup,
and the checks sendMessage makes on an inline keyboard. Mixed into `FakeTelegram`, which owns the
state.

    sent = tg.sent_messages[-1]                      # a message the bot sent with buttons
    tg.press(sent, "h:send:" + conversation_id)      # the user taps one; a callback_query update
"""

from __future__ import annotations

import copy
import itertools
import json
from typing import TYPE_CHECKING, Any

from starlette.responses import Response

from tests.servers import ApiError
from tests.servers.telegram_wire import bool_param, int_param, obj_param, ok, str_param

if TYPE_CHECKING:
    import threading

    from tests.servers.fake_telegram import Bot, TelegramCall

MAX_CALLBACK_DATA = 64
MAX_ANSWER_TEXT = 200
_query_ids = itertools.count(4_400_000_000_000_000_001)


def check_inline_keyboard(markup: Any) -> None:
    """Telegram's checks on `reply_markup.inline_keyboard`: rows of buttons, each with a text and
    exactly one action; callback_data of 1-64 bytes."""
    rows = markup.get("inline_keyboard")
    if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
        raise ApiError(
            400, "Bad Request: can't parse inline keyboard button: InlineKeyboardButton must be an Object"
        )
    for row in rows:
        for button in row:
            if not isinstance(button, dict) or not str(button.get("text") or "").strip():
                raise ApiError(400, "Bad Request: inline keyboard button text is empty")
            actions = [
                k for k in ("callback_data", "url", "switch_inline_query", "web_app", "pay") if k in button
            ]
            if len(actions) != 1:
                raise ApiError(
                    400, "Bad Request: can't parse inline keyboard button: Text buttons are unallowed"
                )
            data = button.get("callback_data")
            if data is not None and not 1 <= len(str(data).encode()) <= MAX_CALLBACK_DATA:
                raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")


class TelegramCallbacks:
    """Button taps, answerCallbackQuery and editMessageReplyMarkup."""

    if TYPE_CHECKING:  # provided by FakeTelegram (and FakeService)
        _lock: threading.Lock
        _bots: dict[str, Bot]
        _token: str
        _messages: dict[tuple[str, int | str, int], dict[str, Any]]
        _callback_queries: dict[str, dict[str, Any]]
        answered_callbacks: list[dict[str, Any]]
        edited_markups: list[dict[str, Any]]

        async def apply_fault(self) -> Response | None: ...
        def push_update(self, token: str | None, update: dict[str, Any]) -> dict[str, Any]: ...

    def press(
        self,
        message: dict[str, Any],
        data: str,
        *,
        token: str | None = None,
        user_id: int | None = None,
        first_name: str = "Sam",
    ) -> dict[str, Any]:
        """The user of the message's chat (or `user_id`) taps the button with `data` under
        `message` (one the bot sent): queues and returns the callback_query update."""
        token = token or self._token
        chat_id = message["chat"]["id"]
        with self._lock:
            current = self._messages.get((token, chat_id, int(message["message_id"])))
        if current is None:
            raise ValueError("press(): the bot never sent that message")
        buttons = [b for row in (current.get("reply_markup") or {}).get("inline_keyboard", []) for b in row]
        if not any(b.get("callback_data") == data for b in buttons):
            raise ValueError(f"press(): no button {data!r} under that message (its buttons: {buttons})")
        query_id = str(next(_query_ids))
        who = user_id if user_id is not None else chat_id
        with self._lock:
            self._callback_queries[query_id] = {"token": token, "answered": False}
        update = {
            "callback_query": {
                "id": query_id,
                "from": {"id": who, "is_bot": False, "first_name": first_name},
                "message": copy.deepcopy(current),
                "chat_instance": str(abs(hash((token, chat_id))) % 10**18),
                "data": data,
            }
        }
        return self.push_update(token, update)

    async def _answer_callback_query(self, bot: Bot, call: TelegramCall) -> Response:
        p = call.params
        query_id = str_param(p, "callback_query_id") or ""
        text = str_param(p, "text") or ""
        if len(text) > MAX_ANSWER_TEXT:
            raise ApiError(400, "Bad Request: MESSAGE_TOO_LONG")
        fault = await self.apply_fault()
        if fault is not None:
            return fault
        with self._lock:
            query = self._callback_queries.get(query_id)
            if query is None or query["token"] != bot.token or query["answered"]:
                raise ApiError(
                    400, "Bad Request: query is too old and response timeout expired or query ID is invalid"
                )
            query["answered"] = True
            self.answered_callbacks.append(
                {"id": query_id, "text": text or None, "show_alert": bool_param(p, "show_alert")}
            )
        return ok(True)

    async def _edit_message_reply_markup(self, bot: Bot, call: TelegramCall) -> Response:
        p = call.params
        if p.get("inline_message_id"):
            raise ApiError(400, "Bad Request: inline messages are not supported by this fake")
        raw_chat = p.get("chat_id")
        if raw_chat in (None, ""):
            raise ApiError(400, "Bad Request: chat_id is empty")
        try:
            chat_id: int | str = int(str(raw_chat))
        except ValueError:
            chat_id = str(raw_chat)
        message_id = int_param(p, "message_id", 0)
        markup = obj_param(p, "reply_markup", "Bad Request: can't parse reply keyboard markup JSON object")
        if isinstance(markup, dict) and markup.get("inline_keyboard"):
            check_inline_keyboard(markup)
        fault = await self.apply_fault()
        if fault is not None:
            return fault
        with self._lock:
            current = self._messages.get((bot.token, chat_id, message_id))
            if current is None or current.get("from", {}).get("id") != bot.id:
                raise ApiError(400, "Bad Request: message to edit not found")
            new = markup if isinstance(markup, dict) and markup.get("inline_keyboard") else None
            if json.dumps(current.get("reply_markup"), sort_keys=True) == json.dumps(new, sort_keys=True):
                raise ApiError(
                    400,
                    "Bad Request: message is not modified: specified new message content and reply markup "
                    "are exactly the same as a current content and reply markup of the message",
                )
            if new is None:
                current.pop("reply_markup", None)
            else:
                current["reply_markup"] = copy.deepcopy(new)
            self.edited_markups.append({"chat_id": chat_id, "message_id": message_id, "reply_markup": new})
            result = copy.deepcopy(current)
        return ok(result)
