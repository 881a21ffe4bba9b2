"""Fake Telegram Bot API: `GET|POST /bot{token}/{method}` and file downloads at
`GET /file/bot{token}/{file_path}`.

Parameters are read from the query string and from a urlencoded, JSON or multipart body, the way the
real server reads them; method names are case-insensitive. Answers are `{"ok": true, "result": ...}` or
`{"ok": false, "error_code": N, "description": "..."}` with HTTP status N and the real descriptions.

Implemented methods: getMe, setWebhook, deleteWebhook, getWebhookInfo, getUpdates (offset, limit,
allowed_updates, long-poll `timeout` capped at `MAX_POLL_SECONDS`), getFile, sendMessage, sendVoice
and sendChatAction. Any other method is 404 Not Found.

    with FakeTelegram() as tg:
        bot = telegram.Bot(tg.token, base_url=tg.base_url, base_file_url=tg.base_file_url)
        tg.push_update(tg.token, voice_update(tg.add_file(ogg_bytes)))

Test-side state: `calls` (each a `TelegramCall` with `api_method`, `token` and merged `params`),
`webhooks`, `sent_messages`, `sent_voices`, `chat_actions`; `push_update`, `add_file`, `block`,
`revoke`, `add_bot`; and the module-level update builders `text_update`, `voice_update`,
`photo_update`, `sticker_update`.
"""

from __future__ import annotations

import asyncio
import copy
import hashlib
import ipaddress
import itertools
import json
import re
import struct
import time
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qs, urlsplit

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.servers import ApiError, Call, FakeService

DEFAULT_TOKEN = "123456:TEST-fake-token"
DEFAULT_USERNAME = "echome_test_bot"
DEFAULT_CHAT_ID = 111_222_333
MAX_POLL_SECONDS = 2.0  # the real server holds a long poll up to 50 s; tests should not wait that long
MAX_TEXT = 4096
MAX_CAPTION = 1024
MAX_DOWNLOAD_BYTES = 20 * 1024 * 1024  # getFile refuses bigger files
MAX_UPLOAD_BYTES = 50 * 1024 * 1024
WEBHOOK_PORTS = {80, 88, 443, 8443}
CHAT_ACTIONS = {
    "typing", "upload_photo", "record_video", "upload_video", "record_voice", "upload_voice",
    "upload_document", "choose_sticker", "find_location", "record_video_note", "upload_video_note",
}  # fmt: skip
PARSE_MODES = {"html": "HTML", "markdown": "Markdown", "markdownv2": "MarkdownV2"}
HTML_TAGS = {
    "b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "span", "tg-spoiler", "a", "tg-emoji",
    "code", "pre", "blockquote",
}  # fmt: skip
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
_MDV2_RESERVED = set("_*[]()~`>#+-=|{}.!")

_update_ids = itertools.count(700_000_001)
_message_ids = itertools.count(1001)


@dataclass
class TelegramCall(Call):
    """A recorded request plus what the Bot API made of it."""

    token: str = ""
    api_method: str = ""  # as sent, e.g. "sendVoice" (matching is case-insensitive)
    params: dict[str, Any] = field(default_factory=dict)  # query + body, last value wins


@dataclass
class StoredFile:
    file_id: str
    file_unique_id: str
    file_path: str
    data: bytes
    mime_type: str


@dataclass
class _Bot:
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


def unique_id_for(file_id: str) -> str:
    """The file_unique_id the fake pairs with `file_id` (stable, so builders and the fake agree)."""
    return "AgAD" + hashlib.sha1(file_id.encode()).hexdigest()[:12]


class FakeTelegram(FakeService):
    def __init__(self, token: str = DEFAULT_TOKEN, bot_username: str = DEFAULT_USERNAME) -> None:
        super().__init__(token)
        self._token = token
        self._bots: dict[str, _Bot] = {}
        self.webhooks: dict[str, dict[str, Any]] = {}
        self.files: dict[str, StoredFile] = {}
        self.url_files: dict[str, bytes] = {}  # what "http(s)://..." voice inputs resolve to
        self.blocked: set[int | str] = set()
        self.sent_messages: list[dict[str, Any]] = []
        self._sent_voices: list[tuple[int | str, bytes, str | None]] = []
        self.chat_actions: list[tuple[int | str, str]] = []
        self._chats: dict[int | str, dict[str, Any]] = {}
        self._messages: dict[tuple[str, int | str, int], dict[str, Any]] = {}
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
            self._bots[token] = _Bot(token, username, name or username)

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

    def add_file(self, data: bytes, *, file_path: str | None = None, mime_type: str = "audio/ogg") -> str:
        """Register a downloadable file (say a customer's voice note); returns its file_id.
        The default path is `voice/file_N.oga`."""
        n = next(self._file_counter)
        path = file_path or f"voice/file_{n}.oga"
        file_id = f"AwACAgIAAxkBAAI{n:06d}" + hashlib.sha1(data).hexdigest()[:20]
        with self._lock:
            self.files[file_id] = StoredFile(file_id, unique_id_for(file_id), path, data, mime_type)
        return file_id

    def file_bytes(self, file_id: str) -> bytes:
        return self.files[file_id].data

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

    def _bot_for(self, token: str) -> _Bot:
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
        }.get(call.api_method.lower())
        if handler is None:
            raise ApiError(404, "Not Found")
        return await handler(bot, call)

    async def _download(self, request: Request) -> Response:
        call = await self.record(request)
        self._bot_for(call.token)
        path = request.path_params["file_path"]
        with self._lock:
            stored = next((f for f in self.files.values() if f.file_path == path), None)
        if stored is None:
            raise ApiError(404, "Not Found")
        fault = await self.apply_fault()
        if fault is not None:
            return fault
        return Response(stored.data, media_type=stored.mime_type or "application/octet-stream")

    # -- methods -----------------------------------------------------------------------------
    async def _get_me(self, bot: _Bot, call: TelegramCall) -> Response:
        fault = await self.apply_fault()
        if fault is not None:
            return fault
        return _ok(
            {
                **bot.user(),
                "can_join_groups": True,
                "can_read_all_group_messages": False,
                "supports_inline_queries": False,
                "can_connect_to_business": False,
                "has_main_web_app": False,
            }
        )

    async def _set_webhook(self, bot: _Bot, call: TelegramCall) -> Response:
        p = call.params
        if "url" not in p:
            raise ApiError(400, 'Bad Request: parameter "url" is required')
        url = _str(p, "url") or ""
        secret = _str(p, "secret_token") or None
        allowed = _str_list(p, "allowed_updates")
        drop = _bool(p, "drop_pending_updates")
        max_connections = min(max(_int(p, "max_connections", 40), 1), 100)
        ip_address = _str(p, "ip_address") or None
        if url:
            _check_webhook_url(url)
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
                return _ok(True, "Webhook was deleted" if existed else "Webhook is already deleted")
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
        return _ok(True, "Webhook is already set" if same else "Webhook was set")

    async def _delete_webhook(self, bot: _Bot, call: TelegramCall) -> Response:
        drop = _bool(call.params, "drop_pending_updates")
        fault = await self.apply_fault()
        if fault is not None:
            return fault
        with self._lock:
            if drop:
                bot.updates.clear()
            existed = self.webhooks.pop(bot.token, None) is not None
        return _ok(True, "Webhook was deleted" if existed else "Webhook is already deleted")

    async def _get_webhook_info(self, bot: _Bot, call: TelegramCall) -> Response:
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
        return _ok(info)

    async def _get_updates(self, bot: _Bot, call: TelegramCall) -> Response:
        p = call.params
        offset = _int(p, "offset", 0)
        limit = min(max(_int(p, "limit", 100), 1), 100)
        timeout = max(_int(p, "timeout", 0), 0)
        allowed = _str_list(p, "allowed_updates")
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
                return _ok(ready)
            await asyncio.sleep(0.02)

    async def _get_file(self, bot: _Bot, call: TelegramCall) -> Response:
        file_id = _str(call.params, "file_id") or ""
        with self._lock:
            stored = self.files.get(file_id)
        if stored is None:
            raise ApiError(400, "Bad Request: invalid file_id")
        if len(stored.data) > MAX_DOWNLOAD_BYTES:
            raise ApiError(400, "Bad Request: file is too big")
        fault = await self.apply_fault()
        if fault is not None:
            return fault
        return _ok(
            {
                "file_id": stored.file_id,
                "file_unique_id": stored.file_unique_id,
                "file_size": len(stored.data),
                "file_path": stored.file_path,
            }
        )

    async def _send_message(self, bot: _Bot, call: TelegramCall) -> Response:
        p = call.params
        chat_id = self._target_chat(p)
        parse_mode = _parse_mode(p)
        text = _plain_text(_str(p, "text") or "", parse_mode).strip()
        if not text:
            raise ApiError(400, "Bad Request: message text is empty")
        if _utf16_len(text) > MAX_TEXT:
            raise ApiError(400, "Bad Request: message is too long")
        reply_to = self._reply_target(bot, chat_id, p)
        markup = _obj(p, "reply_markup", "Bad Request: can't parse reply keyboard markup JSON object")
        fault = await self.apply_fault()
        if fault is not None:
            return fault
        extra: dict[str, Any] = {"text": text}
        if isinstance(markup, dict) and "inline_keyboard" in markup:
            extra["reply_markup"] = markup
        message = self._new_message(bot, chat_id, reply_to, extra)
        with self._lock:
            self.sent_messages.append(copy.deepcopy(message))
        return _ok(message)

    async def _send_voice(self, bot: _Bot, call: TelegramCall) -> Response:
        p = call.params
        chat_id = self._target_chat(p)
        parse_mode = _parse_mode(p)
        caption = _plain_text(_str(p, "caption") or "", parse_mode).strip()
        if _utf16_len(caption) > MAX_CAPTION:
            raise ApiError(400, "Bad Request: message caption is too long")
        reply_to = self._reply_target(bot, chat_id, p)
        data, existing = self._voice_input(call)
        if not data and existing is None:
            raise ApiError(400, "Bad Request: file must be non-empty")
        if len(data) > MAX_UPLOAD_BYTES:
            raise ApiError(413, "Request Entity Too Large")
        duration = _int(p, "duration", -1)
        fault = await self.apply_fault()
        if fault is not None:
            return fault
        if existing is None:
            file_id = self.add_file(data)
            with self._lock:
                existing = self.files[file_id]
        if duration < 0:
            duration = ogg_duration(existing.data)
        voice = {
            "file_id": existing.file_id,
            "file_unique_id": existing.file_unique_id,
            "duration": duration,
            "mime_type": "audio/ogg",
            "file_size": len(existing.data),
        }
        extra: dict[str, Any] = {"voice": voice}
        if caption:
            extra["caption"] = caption
        message = self._new_message(bot, chat_id, reply_to, extra)
        with self._lock:
            self._sent_voices.append((chat_id, existing.data, caption or None))
            self.sent_messages.append(copy.deepcopy(message))
        return _ok(message)

    async def _send_chat_action(self, bot: _Bot, call: TelegramCall) -> Response:
        chat_id = self._target_chat(call.params)
        action = _str(call.params, "action") or ""
        if action not in CHAT_ACTIONS:
            raise ApiError(400, "Bad Request: wrong parameter action in request")
        fault = await self.apply_fault()
        if fault is not None:
            return fault
        with self._lock:
            self.chat_actions.append((chat_id, action))
        return _ok(True)

    # -- helpers -----------------------------------------------------------------------------
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

    def _reply_target(self, bot: _Bot, chat_id: int | str, params: dict[str, Any]) -> dict[str, Any] | None:
        reply = _obj(params, "reply_parameters", "Bad Request: can't parse reply parameters JSON object")
        if reply is None and params.get("reply_to_message_id") not in (None, ""):
            reply = {
                "message_id": _int(params, "reply_to_message_id", 0),
                "allow_sending_without_reply": _bool(params, "allow_sending_without_reply"),
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

    def _voice_input(self, call: TelegramCall) -> tuple[bytes, StoredFile | None]:
        """The voice's bytes for an upload, or the stored file a file_id / URL names."""
        upload = next((f for f in call.files if f.field == "voice"), None)
        if upload is not None:
            return upload.data, None
        ref = _str(call.params, "voice") or ""
        if not ref:
            raise ApiError(400, "Bad Request: there is no voice in the request")
        if ref.startswith("attach://"):
            part = next((f for f in call.files if f.field == ref.removeprefix("attach://")), None)
            if part is None:
                raise ApiError(400, "Bad Request: wrong file identifier/HTTP URL specified")
            return part.data, None
        if ref.startswith(("http://", "https://")):
            with self._lock:
                data = self.url_files.get(ref)
            if data is None:
                raise ApiError(400, "Bad Request: failed to get HTTP URL content")
            return data, None
        with self._lock:
            stored = self.files.get(ref)
        if stored is None:
            raise ApiError(400, "Bad Request: wrong file identifier/HTTP URL specified")
        return stored.data, stored

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
        self, bot: _Bot, chat_id: int | str, reply_to: dict[str, Any] | None, extra: dict[str, Any]
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


# -- update builders ------------------------------------------------------------------------------
def _message_update(
    content: dict[str, Any],
    *,
    chat_id: int,
    first_name: str,
    last_name: str | None,
    username: str | None,
    language_code: str | None,
    update_id: int | None,
    message_id: int | None,
    date: int | None,
) -> dict[str, Any]:
    user: dict[str, Any] = {"id": chat_id, "is_bot": False, "first_name": first_name}
    chat: dict[str, Any] = {"id": chat_id, "first_name": first_name, "type": "private"}
    if last_name:
        user["last_name"] = chat["last_name"] = last_name
    if username:
        user["username"] = chat["username"] = username
    if language_code:
        user["language_code"] = language_code
    return {
        "update_id": update_id if update_id is not None else next(_update_ids),
        "message": {
            "message_id": message_id if message_id is not None else next(_message_ids),
            "from": user,
            "chat": chat,
            "date": date if date is not None else int(time.time()),
            **content,
        },
    }


def text_update(
    text: str,
    *,
    chat_id: int = DEFAULT_CHAT_ID,
    first_name: str = "Dana",
    last_name: str | None = None,
    username: str | None = None,
    language_code: str | None = "en",
    update_id: int | None = None,
    message_id: int | None = None,
    date: int | None = None,
) -> dict[str, Any]:
    """A private-chat text message, with a bot_command entity when it starts with "/" (as Telegram
    sends it, and as python-telegram-bot's CommandHandler needs)."""
    content: dict[str, Any] = {"text": text}
    command = re.match(r"/[A-Za-z0-9_]+(@\w+)?", text)
    if command:
        content["entities"] = [{"type": "bot_command", "offset": 0, "length": _utf16_len(command.group())}]
    return _message_update(
        content,
        chat_id=chat_id,
        first_name=first_name,
        last_name=last_name,
        username=username,
        language_code=language_code,
        update_id=update_id,
        message_id=message_id,
        date=date,
    )


def voice_update(
    file_id: str,
    *,
    duration: int = 3,
    file_size: int | None = None,
    file_unique_id: str | None = None,
    mime_type: str = "audio/ogg",
    caption: str | None = None,
    chat_id: int = DEFAULT_CHAT_ID,
    first_name: str = "Dana",
    last_name: str | None = None,
    username: str | None = None,
    language_code: str | None = "en",
    update_id: int | None = None,
    message_id: int | None = None,
    date: int | None = None,
) -> dict[str, Any]:
    """A private-chat voice note. `file_size` left out is filled in by `push_update` when the fake
    holds `file_id` (see `FakeTelegram.add_file`)."""
    voice: dict[str, Any] = {
        "file_id": file_id,
        "file_unique_id": file_unique_id or unique_id_for(file_id),
        "duration": duration,
        "mime_type": mime_type,
    }
    if file_size is not None:
        voice["file_size"] = file_size
    content: dict[str, Any] = {"voice": voice}
    if caption:
        content["caption"] = caption
    return _message_update(
        content,
        chat_id=chat_id,
        first_name=first_name,
        last_name=last_name,
        username=username,
        language_code=language_code,
        update_id=update_id,
        message_id=message_id,
        date=date,
    )


def photo_update(
    file_id: str,
    *,
    width: int = 1280,
    height: int = 960,
    file_size: int = 120_000,
    caption: str | None = None,
    chat_id: int = DEFAULT_CHAT_ID,
    first_name: str = "Dana",
    language_code: str | None = "en",
    update_id: int | None = None,
    message_id: int | None = None,
    date: int | None = None,
) -> dict[str, Any]:
    """A private-chat photo: the usual ladder of PhotoSize objects, largest (`file_id`) last."""
    sizes = []
    for side, suffix in ((90, "-s"), (320, "-m"), (max(width, height), "")):
        scale = min(1.0, side / max(width, height))
        size_id = file_id + suffix
        sizes.append(
            {
                "file_id": size_id,
                "file_unique_id": unique_id_for(size_id),
                "file_size": max(1, int(file_size * scale * scale)),
                "width": max(1, round(width * scale)),
                "height": max(1, round(height * scale)),
            }
        )
    content: dict[str, Any] = {"photo": sizes}
    if caption:
        content["caption"] = caption
    return _message_update(
        content,
        chat_id=chat_id,
        first_name=first_name,
        last_name=None,
        username=None,
        language_code=language_code,
        update_id=update_id,
        message_id=message_id,
        date=date,
    )


def sticker_update(
    file_id: str = "CAACAgIAAxkBAAIBZ2Zfake_sticker",
    *,
    emoji: str = "👍",
    set_name: str | None = "HotCherry",
    is_animated: bool = False,
    is_video: bool = False,
    chat_id: int = DEFAULT_CHAT_ID,
    first_name: str = "Dana",
    language_code: str | None = "en",
    update_id: int | None = None,
    message_id: int | None = None,
    date: int | None = None,
) -> dict[str, Any]:
    """A private-chat sticker (a regular 512x512 WEBP one by default)."""
    sticker: dict[str, Any] = {
        "file_id": file_id,
        "file_unique_id": unique_id_for(file_id),
        "type": "regular",
        "width": 512,
        "height": 512,
        "is_animated": is_animated,
        "is_video": is_video,
        "emoji": emoji,
        "file_size": 24_000,
    }
    if set_name:
        sticker["set_name"] = set_name
    return _message_update(
        {"sticker": sticker},
        chat_id=chat_id,
        first_name=first_name,
        last_name=None,
        username=None,
        language_code=language_code,
        update_id=update_id,
        message_id=message_id,
        date=date,
    )


# -- wire helpers ---------------------------------------------------------------------------------
def ogg_duration(data: bytes) -> int:
    """Whole seconds of an OGG/Opus stream (last page's granule position less pre-skip, at 48 kHz);
    0 when `data` is not OGG/Opus."""
    if not data.startswith(b"OggS"):
        return 0
    head = data.find(b"OpusHead")
    last = data.rfind(b"OggS")
    if head < 0 or last < 0 or len(data) < last + 14 or len(data) < head + 12:
        return 0
    pre_skip = struct.unpack_from("<H", data, head + 10)[0]
    granule = struct.unpack_from("<q", data, last + 6)[0]
    return max(0, round((granule - pre_skip) / 48_000))


def _ok(result: Any, description: str | None = None) -> JSONResponse:
    body: dict[str, Any] = {"ok": True, "result": result}
    if description:
        body["description"] = description
    return JSONResponse(body)


def _update_type(update: dict[str, Any]) -> str:
    return next((k for k in update if k != "update_id"), "")


def _str(params: dict[str, Any], name: str) -> str | None:
    value = params.get(name)
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return json.dumps(value)


def _int(params: dict[str, Any], name: str, default: int) -> int:
    value = params.get(name)
    if value is None or value == "":
        return default
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    try:
        return int(str(value).strip())
    except ValueError:
        raise ApiError(400, f'Bad Request: parameter "{name}" is not a number') from None


def _bool(params: dict[str, Any], name: str) -> bool:
    value = params.get(name)
    if isinstance(value, str):
        return value.strip().lower() in ("true", "1")
    return bool(value)


def _obj(params: dict[str, Any], name: str, error: str) -> Any:
    value = params.get(name)
    if not isinstance(value, str):
        return value
    if not value:
        return None
    try:
        return json.loads(value)
    except ValueError:
        raise ApiError(400, error) from None


def _str_list(params: dict[str, Any], name: str) -> list[str] | None:
    value = _obj(params, name, f"Bad Request: can't parse {name} JSON array")
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ApiError(400, f"Bad Request: can't parse {name} JSON array")
    return value


def _check_webhook_url(url: str) -> None:
    parts = urlsplit(url)
    if parts.scheme != "https":
        raise ApiError(400, "Bad Request: bad webhook: An HTTPS URL must be provided for webhook")
    if not parts.hostname:
        raise ApiError(400, "Bad Request: bad webhook: Failed to resolve host: Name or service not known")
    try:
        port = parts.port or 443
    except ValueError:
        raise ApiError(400, "Bad Request: bad webhook: Wrong port number specified in the URL") from None
    if port not in WEBHOOK_PORTS:
        raise ApiError(
            400, "Bad Request: bad webhook: Webhook can be set up only on ports 80, 88, 443 or 8443"
        )
    try:
        address = ipaddress.ip_address(parts.hostname)
    except ValueError:
        return
    if not address.is_global:
        raise ApiError(400, f"Bad Request: bad webhook: IP address {address} is reserved")


def _parse_mode(params: dict[str, Any]) -> str | None:
    mode = _str(params, "parse_mode")
    if not mode:
        return None
    if mode.lower() not in PARSE_MODES:
        raise ApiError(400, "Bad Request: unsupported parse_mode")
    return PARSE_MODES[mode.lower()]


def _utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _plain_text(text: str, parse_mode: str | None) -> str:
    """The text left once Telegram has parsed the markup (raising its errors for bad markup)."""
    if parse_mode == "HTML":
        return _HtmlText.parse(text)
    if parse_mode == "MarkdownV2":
        return _markdown_v2_text(text)
    if parse_mode == "Markdown":
        unlinked = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)
        return re.sub(r"[*_`]", "", unlinked)
    return text


class _HtmlText(HTMLParser):
    """Telegram's HTML subset: known tags only, properly closed; returns the text without tags."""

    def __init__(self, source: str) -> None:
        super().__init__(convert_charrefs=True)
        self.source = source
        self.out: list[str] = []
        self.stack: list[str] = []

    @classmethod
    def parse(cls, source: str) -> str:
        parser = cls(source)
        parser.feed(source)
        parser.close()
        if parser.stack:
            raise ApiError(
                400,
                f"Bad Request: can't parse entities: Can't find end tag corresponding to start tag "
                f'"{parser.stack[-1]}"',
            )
        return "".join(parser.out)

    def _offset(self) -> int:
        line, col = self.getpos()
        lines = self.source.splitlines(keepends=True)
        return len(("".join(lines[: line - 1]) + (lines[line - 1][:col] if lines else "")).encode())

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in HTML_TAGS:
            raise ApiError(
                400,
                f'Bad Request: can\'t parse entities: Unsupported start tag "{tag}" at byte offset '
                f"{self._offset()}",
            )
        self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            raise ApiError(
                400, f"Bad Request: can't parse entities: Unexpected end tag at byte offset {self._offset()}"
            )
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.out.append(data)


def _markdown_v2_text(text: str) -> str:
    """Check MarkdownV2 the way Telegram does for its most common failure (a reserved character not
    escaped) and return the text without markup."""
    out: list[str] = []
    i, in_code, in_url = 0, False, False
    while i < len(text):
        ch = text[i]
        if ch == "\\" and i + 1 < len(text):
            out.append(text[i + 1])
            i += 2
            continue
        if ch == "`":
            in_code = not in_code
        elif in_code:
            out.append(ch)
        elif in_url:
            in_url = ch != ")"
        elif ch == "]" and text[i + 1 : i + 2] == "(":
            in_url = True
            i += 1
        elif ch in "*_~[" or text[i : i + 2] in ("||", "!["):
            i += 2 if ch == "|" else 1
            continue
        elif ch == ">" and (i == 0 or text[i - 1] == "\n"):
            pass
        elif ch in _MDV2_RESERVED:
            raise ApiError(
                400,
                f"Bad Request: can't parse entities: Character '{ch}' is reserved and must be escaped "
                "with the preceding '\\'",
            )
        else:
            out.append(ch)
        i += 1
    return "".join(out)
