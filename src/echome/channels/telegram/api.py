"""The Telegram Bot API through python-telegram-bot (async), with errors a seller can act on.

    async with TelegramApi(token, api_url="https://api.telegram.org") as api:
        await api.send_message(chat_id, "hello")

One instance lives for one unit of work (an update, a polling round): its HTTP pools belong to the
running event loop. The token never appears in errors or reprs.
"""

from __future__ import annotations

from typing import Any

from echome.providers.base import MissingDependency, ProviderError

# Telegram's own limits.
MAX_MESSAGE = 4096
MAX_CAPTION = 1024
MAX_DOWNLOAD = 20 * 1024 * 1024  # getFile refuses bigger files for bots
CHAT_ACTIONS = frozenset({"typing", "record_voice", "upload_voice"})
MAX_CALLBACK_DATA = 64  # bytes of an inline button's callback_data
# Customers' messages, and the seller's taps on the buttons of a handoff notification.
ALLOWED_UPDATES = ["message", "callback_query"]
Keyboard = list[list[tuple[str, str]]]  # rows of (label, callback_data)


class TelegramError(ProviderError):
    """`kind`: "token" (rejected or revoked), "blocked" (the user blocked the bot), "bad_request",
    "too_big", "conflict" (a webhook is set while polling), "network" (retry later)."""

    def __init__(self, message: str, *, kind: str, retry_after: float | None = None) -> None:
        super().__init__(message, transient=kind in ("network", "retry_after"))
        self.kind = kind
        self.retry_after = retry_after


class TelegramApi:
    def __init__(
        self, token: str, *, api_url: str = "https://api.telegram.org", timeout: float = 20.0
    ) -> None:
        try:
            from telegram import Bot
            from telegram.request import HTTPXRequest
        except ImportError as exc:  # a core dependency; only a broken install lacks it
            raise MissingDependency(
                "Telegram needs python-telegram-bot: pip install python-telegram-bot"
            ) from exc
        if not token or ":" not in token:
            raise TelegramError(
                "that does not look like a bot token (it has the form 123456:ABC...)", kind="token"
            )
        self._token = token
        api = api_url.rstrip("/")
        self._requests = [
            HTTPXRequest(
                connection_pool_size=8, read_timeout=timeout, write_timeout=timeout, connect_timeout=5
            ),
            # Long polling holds a request open for its whole timeout.
            HTTPXRequest(connection_pool_size=2, read_timeout=timeout + 40, connect_timeout=5),
        ]
        self.bot = Bot(
            token,
            base_url=f"{api}/bot",
            base_file_url=f"{api}/file/bot",
            request=self._requests[0],
            get_updates_request=self._requests[1],
        )

    def __repr__(self) -> str:
        return "TelegramApi(token=***)"

    async def __aenter__(self) -> TelegramApi:
        for r in self._requests:
            await r.initialize()
        return self

    async def __aexit__(self, *exc: object) -> None:
        for r in self._requests:
            await r.shutdown()

    async def _call(self, coro: Any) -> Any:
        from telegram import error as tg

        try:
            return await coro
        except tg.InvalidToken:
            raise TelegramError(
                "Telegram rejected the bot token (revoked or mistyped)", kind="token"
            ) from None
        except tg.RetryAfter as exc:
            wait = exc.retry_after
            seconds = wait.total_seconds() if hasattr(wait, "total_seconds") else float(wait)
            raise TelegramError(
                f"Telegram asks to wait {seconds:.0f} s", kind="retry_after", retry_after=seconds
            ) from None
        except tg.Forbidden as exc:
            raise TelegramError(self._clean(f"Telegram refused: {exc.message}"), kind="blocked") from None
        except tg.Conflict as exc:
            raise TelegramError(self._clean(f"Telegram conflict: {exc.message}"), kind="conflict") from None
        except tg.BadRequest as exc:
            kind = "too_big" if "too big" in exc.message.lower() else "bad_request"
            raise TelegramError(self._clean(f"Telegram: {exc.message}"), kind=kind) from None
        except tg.NetworkError as exc:  # includes TimedOut
            if "unauthorized" in str(exc).lower():
                raise TelegramError("Telegram rejected the bot token (revoked?)", kind="token") from None
            raise TelegramError(self._clean(f"Telegram unreachable: {exc}"), kind="network") from None
        except tg.TelegramError as exc:
            raise TelegramError(self._clean(f"Telegram error: {exc}"), kind="bad_request") from None

    def _clean(self, text: str) -> str:
        return " ".join(text.replace(self._token, "***").split())[:300]

    async def get_me(self) -> dict[str, Any]:
        me = await self._call(self.bot.get_me())
        return {"id": me.id, "username": me.username, "first_name": me.first_name}

    async def set_webhook(self, url: str, *, secret_token: str, drop_pending: bool = False) -> bool:
        return bool(
            await self._call(
                self.bot.set_webhook(
                    url,
                    secret_token=secret_token,
                    allowed_updates=ALLOWED_UPDATES,
                    drop_pending_updates=drop_pending,
                )
            )
        )

    async def delete_webhook(self) -> bool:
        return bool(await self._call(self.bot.delete_webhook()))

    async def webhook_info(self) -> dict[str, Any]:
        info = await self._call(self.bot.get_webhook_info())
        return {
            "url": info.url,
            "pending_update_count": info.pending_update_count,
            "last_error_message": info.last_error_message,
            "allowed_updates": list(info.allowed_updates or ()),
        }

    async def get_updates(
        self, *, offset: int | None, timeout: int = 25, limit: int = 100
    ) -> list[dict[str, Any]]:
        updates = await self._call(
            self.bot.get_updates(offset=offset, timeout=timeout, limit=limit, allowed_updates=ALLOWED_UPDATES)
        )
        return [u.to_dict() for u in updates]

    async def download(self, file_id: str, *, max_bytes: int = MAX_DOWNLOAD) -> bytes:
        f = await self._call(self.bot.get_file(file_id))
        if f.file_size and f.file_size > max_bytes:
            raise TelegramError(
                f"the file is {f.file_size} bytes; at most {max_bytes} are read", kind="too_big"
            )
        data = bytes(await self._call(f.download_as_bytearray()))
        if len(data) > max_bytes:
            raise TelegramError(
                f"the file is {len(data)} bytes; at most {max_bytes} are read", kind="too_big"
            )
        return data

    async def send_message(
        self,
        chat_id: int | str,
        text: str,
        *,
        keyboard: Keyboard | None = None,
        force_reply: str | None = None,
        reply_to: int | None = None,
    ) -> int:
        """Send text; `keyboard`: inline buttons under it; `force_reply`: open a reply to this
        message in the user's app, with that placeholder; `reply_to`: quote one of the chat's messages."""
        from telegram import ForceReply, ReplyParameters

        markup: Any = None
        if keyboard:
            markup = _inline(keyboard)
        elif force_reply is not None:
            markup = ForceReply(input_field_placeholder=force_reply[:64] or None)
        reply = ReplyParameters(reply_to, allow_sending_without_reply=True) if reply_to else None
        msg = await self._call(
            self.bot.send_message(chat_id, text[:MAX_MESSAGE], reply_markup=markup, reply_parameters=reply)
        )
        return int(msg.message_id)

    async def answer_callback_query(self, callback_query_id: str, text: str | None = None) -> None:
        """Stop the button's spinner, showing `text` briefly (at most 200 characters)."""
        await self._call(
            self.bot.answer_callback_query(callback_query_id, text=(text or None) and text[:200])
        )

    async def edit_keyboard(self, chat_id: int | str, message_id: int, keyboard: Keyboard | None) -> None:
        """Replace the inline buttons under a message the bot sent (None: remove them)."""
        await self._call(
            self.bot.edit_message_reply_markup(
                chat_id=chat_id, message_id=message_id, reply_markup=_inline(keyboard) if keyboard else None
            )
        )

    async def send_voice(
        self, chat_id: int | str, ogg: bytes, *, caption: str | None = None, duration: float | None = None
    ) -> int:
        msg = await self._call(
            self.bot.send_voice(
                chat_id,
                ogg,
                caption=(caption or None) and caption[:MAX_CAPTION],
                duration=round(duration) if duration else None,
                filename="answer.ogg",
            )
        )
        return int(msg.message_id)

    async def send_chat_action(self, chat_id: int | str, action: str) -> None:
        if action not in CHAT_ACTIONS:
            raise ValueError(f"unknown chat action {action!r}")
        await self._call(self.bot.send_chat_action(chat_id, action))


def _inline(keyboard: Keyboard) -> Any:
    from telegram import InlineKeyboardButton, InlineKeyboardMarkup

    for row in keyboard:
        for _label, data in row:
            if not 1 <= len(data.encode()) <= MAX_CALLBACK_DATA:
                raise ValueError(f"callback_data must be 1-{MAX_CALLBACK_DATA} bytes: {data!r}")
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(label, callback_data=data) for label, data in row] for row in keyboard]
    )
