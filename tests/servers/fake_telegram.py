"""Fake Telegram Bot API: `GET|POST /bot{token}/{method}` and file downloads at
`GET /file/bot{token}/{file_path}`.

Parameters are read from the query string and from a urlencoded, JSON or multipart body, the way the
real server reads them; method names are case-insensitive. Answers are `{"ok": true, "result": ...}` or
`{"ok": false, "error_code": N, "description": "..."}` with HTTP status N and the real descriptions.

Implemented methods: getMe, setWebhook, deleteWebhook, getWebhookInfo, getUpdates (offset, limit,
allowed_updates, long-poll `timeout` capped at `MAX_POLL_SECONDS`), getFile, sendMessage (with an
inline keyboard, a force-reply or a reply target), sendVoice, sendChatAction, answerCallbackQuery
and editMessageReplyMarkup. Any other method is 404 Not Found.

    with FakeTelegram() as tg:
        bot = telegram.Bot(tg.token, base_url=tg.base_url, base_file_url=tg.base_file_url)
        tg.push_update(tg.token, voice_update(tg.add_file(ogg_bytes)))

Test-side state: `calls` (each a `TelegramCall` with `api_method`, `token` and merged `params`),
`webhooks`, `sent_messages`, `sent_voices`, `chat_actions`, `answered_callbacks`, `edited_markups`;
`push_update`, `add_file`, `block`, `revoke`, `add_bot`, `press` (a user taps an inline button); and
the module-level update builders `text_update`, `voice_update`, `photo_update`, `sticker_update`.

This module holds the server core (bots, scripting, dispatch, getMe, webhooks and getUpdates). The
rest lives beside it and is re-exported here: `telegram_messages` (sendMessage, sendChatAction, chats),
`telegram_files` (getFile, downloads, sendVoice), `telegram_callbacks` (inline buttons: taps,
answerCallbackQuery, editMessageReplyMarkup), `telegram_updates` (the update builders) and
`telegram_wire` (parameter parsing, parse_mode markup).
"""

from __future__ import annotations

import asyncio
import copy
import itertools
import re
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.servers import ApiError, Call, FakeService
from tests.servers.telegram_callbacks import TelegramCallbacks
from tests.servers.telegram_files import StoredFile, TelegramFiles, ogg_duration
from tests.servers.telegram_messages import TelegramMessages
from tests.servers.telegram_updates import (
    DEFAULT_CHAT_ID,
    Sender,
    photo_update,
    sticker_update,
    text_update,
    unique_id_for,
    voice_update,
)
from tests.servers.telegram_wire import (
    bool_param,
    check_webhook_url,
    int_param,
    ok,
    str_list_param,
    str_param,
)

__all__ = [
    "DEFAULT_CHAT_ID",
    "DEFAULT_TOKEN",
    "DEFAULT_USERNAME",
    "MAX_POLL_SECONDS",
    "Bot",
    "FakeTelegram",
    "Sender",
    "StoredFile",
    "TelegramCall",
    "ogg_duration",
    "photo_update",
    "sticker_update",
    "text_update",
    "unique_id_for",
    "voice_update",
]

DEFAULT_TOKEN = "123456:TEST-fake-token"
DEFAULT_USERNAME = "echome_test_bot"
# The real server holds a long poll up to 50 s; tests should not wait that long. Read at call time
# from this module (tests monkeypatch it here).
MAX_POLL_SECONDS = 2.0
UPDATE_TYPES = {
    "message", "edited_message", "channel_post", "edited_channel_post", "business_connection",
    "business_message", "edited_business_message", "deleted_business_messages", "message_reaction",
    "message_reaction_count", "inline_query", "chosen_inline_result", "callback_query", "shipping_query",
    "pre_checkout_query", "purchased_paid_media", "poll", "poll_answer", "my_chat_member", "chat_member",
    "chat_join_request", "chat_boost", "removed_chat_boost",
}  # fmt: skip
# Delivered only when asked for in allowed_updates.
OPT_IN_UPDATES = {"chat_member", "message_reaction", "message_reaction_count"}
MESSAGE_UPDATES = ("message", "edited_message", "channel_post", "edited_channel_post", "business_message")
_TOKEN = re.compile(r"(\d+):[A-Za-z0-9_-]+")
_SECRET = re.compile(r"[A-Za-z0-9_-]+")


@dataclass
class TelegramCall(Call):
    """A recorded request plus what the Bot API made of it."""

    token: str = ""
    api_method: str = ""  # as sent, e.g. "sendVoice" (matching is case-insensitive)
    params: dict[str, Any] = field(default_factory=dict)  # query + body, last value wins


@dataclass
class Bot:
    """One bot the fake serves: its identity, pending updates and getUpdates/webhook settings."""

    token: str
    username: str
    first_name: str
    revoked: bool = False
    updates: list[dict[str, Any]] = field(default_factory=list)
    next_update_id: int = 1
    allowed_updates: list[str] | None = None
    poll_generation: int = 0

    @property
    def id(self) -> int:
        return int(self.token.split(":", 1)[0])

    def user(self) -> dict[str, Any]:
        return {"id": self.id, "is_bot": True, "first_name": self.first_name, "username": self.username}


class FakeTelegram(TelegramMessages, TelegramFiles, TelegramCallbacks, FakeService):
    def __init__(self, token: str = DEFAULT_TOKEN, bot_username: str = DEFAULT_USERNAME) -> None:
        super().__init__(token)
        self._token = token
        self._bots: dict[str, Bot] = {}
        self.webhooks: dict[str, dict[str, Any]] = {}
        self.files: dict[str, StoredFile] = {}
        self.url_files: dict[str, bytes] = {}  # what "http(s)://..." voice inputs resolve to
        self.blocked: set[int | str] = set()
        self.sent_messages: list[dict[str, Any]] = []
        self._sent_voices: list[tuple[int | str, bytes, str | None]] = []
        self.chat_actions: list[tuple[int | str, str]] = []
        self._chats: dict[int | str, dict[str, Any]] = {}
        self._messages: dict[tuple[str, int | str, int], dict[str, Any]] = {}
        self._callback_queries: dict[str, dict[str, Any]] = {}
        self.answered_callbacks: list[dict[str, Any]] = []
        self.edited_markups: list[dict[str, Any]] = []
        self._file_counter = itertools.count(1)
        self.add_bot(token, bot_username)

    # -- addresses ---------------------------------------------------------------------------
    @property
    def api_url(self) -> str:
        """http://127.0.0.1:PORT — methods live under `/bot{token}/`, files under `/file/bot{token}/`."""
        return self.url

    @property
    def base_url(self) -> str:
        """What python-telegram-bot calls `base_url` (the token is appended to it)."""
        return f"{self.url}/bot"

    @property
    def base_file_url(self) -> str:
        return f"{self.url}/file/bot"

    @property
    def token(self) -> str:
        return self._token

    @property
    def bot_username(self) -> str:
        return self._bots[self._token].username

    @property
    def bot_id(self) -> int:
        return self._bots[self._token].id

    def method_url(self, method: str, token: str | None = None) -> str:
        return f"{self.url}/bot{token or self._token}/{method}"

    # -- scripting ---------------------------------------------------------------------------
    def add_bot(self, token: str, username: str, *, first_name: str | None = None) -> None:
        if not _TOKEN.fullmatch(token):
            raise ValueError(f"not a bot token: {token!r} (want '<digits>:<secret>')")
        name = first_name or " ".join(w.capitalize() for w in username.removesuffix("_bot").split("_"))
        with self._lock:
            self._bots[token] = Bot(token, username, name or username)

    def revoke(self, token: str | None = None) -> None:
        """From now on every call with `token` gets 401 Unauthorized."""
        with self._lock:
            self._bots[token or self._token].revoked = True

    def block(self, chat_id: int | str) -> None:
        """The user blocked the bot: send* to `chat_id` get 403."""
        with self._lock:
            self.blocked.add(chat_id)

    def unblock(self, chat_id: int | str) -> None:
        with self._lock:
            self.blocked.discard(chat_id)

    def fail(
        self,
        status: int,
        *,
        times: int = 1,
        retry_after: str | int | None = None,
        message: str | None = None,
    ) -> None:
        """The next `times` valid requests get `status` with Telegram's error JSON. A 429 carries
        `parameters.retry_after` (default 1), which python-telegram-bot turns into `RetryAfter`."""
        if message is None:
            message = {
                400: "Bad Request: scripted failure",
                401: "Unauthorized",
                403: "Forbidden: bot was blocked by the user",
                404: "Not Found",
                409: "Conflict: terminated by other getUpdates request",
                429: f"Too Many Requests: retry after {retry_after or 1}",
                500: "Internal Server Error",
                502: "Bad Gateway",
            }.get(status, "scripted failure")
        header = str(retry_after) if retry_after is not None else None
        super().fail(status, times=times, retry_after=header, message=message)

    def push_update(self, token: str | None, update: dict[str, Any]) -> dict[str, Any]:
        """Queue `update` for getUpdates of the bot with `token` (None: the default bot). A missing
        update_id (and message_id/date) is filled in; returns the update as queued."""
        update = copy.deepcopy(update)
        with self._lock:
            bot = self._bots[token or self._token]
            if update.get("update_id") is None:
                update["update_id"] = bot.next_update_id
            bot.next_update_id = max(bot.next_update_id, int(update["update_id"]) + 1)
            for key in MESSAGE_UPDATES:
                if isinstance(update.get(key), dict):
                    self._learn_message(bot.token, update[key])
            bot.updates.append(update)
            bot.updates.sort(key=lambda u: int(u["update_id"]))
            return copy.deepcopy(update)

    def receive_text(self, text: str, *, token: str | None = None, **kwargs: Any) -> dict[str, Any]:
        """A user writes `text` to the bot (kwargs as for `text_update`)."""
        return self.push_update(token, text_update(text, **kwargs))

    def receive_voice(
        self, data: bytes, *, token: str | None = None, duration: int | None = None, **kwargs: Any
    ) -> dict[str, Any]:
        """A user sends the voice note `data` (OGG/Opus): stored for getFile and queued as an update."""
        file_id = self.add_file(data)
        seconds = duration if duration is not None else ogg_duration(data)
        return self.push_update(token, voice_update(file_id, duration=seconds, file_size=len(data), **kwargs))

    # -- inspection --------------------------------------------------------------------------
    def calls_to(self, method: str) -> list[TelegramCall]:
        with self._lock:
            calls = list(self.calls)
        return [c for c in calls if isinstance(c, TelegramCall) and c.api_method.lower() == method.lower()]

    @property
    def sent_voices(self) -> list[tuple[int | str, bytes, str | None]]:
        """(chat_id, ogg bytes, caption) for every voice the bots sent."""
        with self._lock:
            return list(self._sent_voices)

    def pending_updates(self, token: str | None = None) -> list[dict[str, Any]]:
        with self._lock:
            return copy.deepcopy(self._bots[token or self._token].updates)

    # -- HTTP --------------------------------------------------------------------------------
    def routes(self) -> list[Route]:
        return [
            Route("/bot{token}/{method}", self.wrap(self._api), methods=["GET", "POST"]),
            Route("/file/bot{token}/{file_path:path}", self.wrap(self._download), methods=["GET"]),
            Route("/{rest:path}", self.wrap(self._not_found), methods=["GET", "POST", "PUT", "DELETE"]),
        ]

    def error_response(self, status: int, message: str, kind: str) -> Response:
        body: dict[str, Any] = {"ok": False, "error_code": status, "description": message}
        wait = re.search(r"retry after (\d+)", message)
        if status == 429 and wait:
            body["parameters"] = {"retry_after": int(wait.group(1))}
        return JSONResponse(body, status_code=status)

    async def record(self, request: Request) -> TelegramCall:
        base = await super().record(request)
        call = TelegramCall(**{name: getattr(base, name) for name in Call.__dataclass_fields__})
        call.token = request.path_params.get("token", "")
        call.api_method = request.path_params.get("method", "")
        params: dict[str, Any] = {k: v[-1] for k, v in call.query.items()}
        ctype = call.headers.get("content-type", "")
        if ctype.startswith("application/x-www-form-urlencoded"):
            call.form = parse_qs(call.raw.decode("utf-8", "replace"), keep_blank_values=True)
        if isinstance(call.json, dict):
            params.update(call.json)
        params.update({k: v[-1] for k, v in call.form.items()})
        call.params = params
        with self._lock:  # swap the plain record for the richer one, in place
            for i in range(len(self.calls) - 1, -1, -1):
                if self.calls[i] is base:
                    self.calls[i] = call
                    break
        return call

    def _bot_for(self, token: str) -> Bot:
        with self._lock:
            bot = self._bots.get(token)
        if bot is None or bot.revoked:
            raise ApiError(401, "Unauthorized")
        return bot

    async def _not_found(self, request: Request) -> Response:
        await self.record(request)
        raise ApiError(404, "Not Found")

    async def _api(self, request: Request) -> Response:
        call = await self.record(request)
        bot = self._bot_for(call.token)
        handler = {
            "getme": self._get_me,
            "setwebhook": self._set_webhook,
            "deletewebhook": self._delete_webhook,
            "getwebhookinfo": self._get_webhook_info,
            "getupdates": self._get_updates,
            "getfile": self._get_file,
            "sendmessage": self._send_message,
            "sendvoice": self._send_voice,
            "sendchataction": self._send_chat_action,
            "answercallbackquery": self._answer_callback_query,
            "editmessagereplymarkup": self._edit_message_reply_markup,
        }.get(call.api_method.lower())
        if handler is None:
            raise ApiError(404, "Not Found")
        return await handler(bot, call)

    # -- methods -----------------------------------------------------------------------------
    async def _get_me(self, bot: Bot, call: TelegramCall) -> Response:
        fault = await self.apply_fault()
        if fault is not None:
            return fault
        return ok(
            {
                **bot.user(),
                "can_join_groups": True,
                "can_read_all_group_messages": False,
                "supports_inline_queries": False,
                "can_connect_to_business": False,
                "has_main_web_app": False,
            }
        )

    async def _set_webhook(self, bot: Bot, call: TelegramCall) -> Response:
        p = call.params
        if "url" not in p:
            raise ApiError(400, 'Bad Request: parameter "url" is required')
        url = str_param(p, "url") or ""
        secret = str_param(p, "secret_token") or None
        allowed = str_list_param(p, "allowed_updates")
        drop = bool_param(p, "drop_pending_updates")
        max_connections = min(max(int_param(p, "max_connections", 40), 1), 100)
        ip_address = str_param(p, "ip_address") or None
        if url:
            check_webhook_url(url)
        if secret is not None:
            if len(secret) > 256:
                raise ApiError(400, "Bad Request: secret token is too long")
            if not _SECRET.fullmatch(secret):
                raise ApiError(400, "Bad Request: secret token contains unallowed characters")
        fault = await self.apply_fault()
        if fault is not None:
            return fault
        with self._lock:
            if drop:
                bot.updates.clear()
            if not url:
                existed = self.webhooks.pop(bot.token, None) is not None
                return ok(True, "Webhook was deleted" if existed else "Webhook is already deleted")
            previous = self.webhooks.get(bot.token)
            if allowed is not None:
                bot.allowed_updates = [a for a in allowed if a in UPDATE_TYPES]
            hook = {
                "url": url,
                "secret_token": secret,
                "allowed_updates": bot.allowed_updates,
                "max_connections": max_connections,
                "ip_address": ip_address,
                "has_custom_certificate": any(f.field == "certificate" for f in call.files),
            }
            self.webhooks[bot.token] = hook
        same = previous is not None and previous["url"] == url
        return ok(True, "Webhook is already set" if same else "Webhook was set")

    async def _delete_webhook(self, bot: Bot, call: TelegramCall) -> Response:
        drop = bool_param(call.params, "drop_pending_updates")
        fault = await self.apply_fault()
        if fault is not None:
            return fault
        with self._lock:
            if drop:
                bot.updates.clear()
            existed = self.webhooks.pop(bot.token, None) is not None
        return ok(True, "Webhook was deleted" if existed else "Webhook is already deleted")

    async def _get_webhook_info(self, bot: Bot, call: TelegramCall) -> Response:
        fault = await self.apply_fault()
        if fault is not None:
            return fault
        with self._lock:
            hook = self.webhooks.get(bot.token)
            info: dict[str, Any] = {
                "url": hook["url"] if hook else "",
                "has_custom_certificate": bool(hook and hook["has_custom_certificate"]),
                "pending_update_count": len(bot.updates),
            }
            if hook:
                info["max_connections"] = hook["max_connections"]
                if hook["ip_address"]:
                    info["ip_address"] = hook["ip_address"]
                if bot.allowed_updates is not None:
                    info["allowed_updates"] = list(bot.allowed_updates)
        return ok(info)

    async def _get_updates(self, bot: Bot, call: TelegramCall) -> Response:
        p = call.params
        offset = int_param(p, "offset", 0)
        limit = min(max(int_param(p, "limit", 100), 1), 100)
        timeout = max(int_param(p, "timeout", 0), 0)
        allowed = str_list_param(p, "allowed_updates")
        if bot.token in self.webhooks:
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        fault = await self.apply_fault()
        if fault is not None:
            return fault
        with self._lock:
            bot.poll_generation += 1
            generation = bot.poll_generation
            if allowed is not None:
                bot.allowed_updates = [a for a in allowed if a in UPDATE_TYPES]
            if offset > 0:  # confirms everything below offset
                bot.updates = [u for u in bot.updates if int(u["update_id"]) >= offset]
            elif offset < 0:  # keep only the last -offset updates
                bot.updates = bot.updates[offset:]
        deadline = time.monotonic() + min(float(timeout), MAX_POLL_SECONDS)
        while True:
            with self._lock:
                if bot.poll_generation != generation:
                    raise ApiError(
                        409,
                        "Conflict: terminated by other getUpdates request; "
                        "make sure that only one bot instance is running",
                    )
                if bot.token in self.webhooks:
                    raise ApiError(409, "Conflict: terminated by setWebhook request")
                wanted = set(bot.allowed_updates or UPDATE_TYPES - OPT_IN_UPDATES)
                bot.updates = [u for u in bot.updates if _update_type(u) in wanted]
                ready = copy.deepcopy(bot.updates[:limit])
            if ready or time.monotonic() >= deadline:
                return ok(ready)
            await asyncio.sleep(0.02)


def _update_type(update: dict[str, Any]) -> str:
    return next((k for k in update if k != "update_id"), "")
