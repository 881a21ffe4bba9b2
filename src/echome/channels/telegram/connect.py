"""Connecting a persona's Telegram bot: who the bot is (getMe), how its messages arrive (a webhook
to this server's public address, or polling when there is none), and disconnecting it.

Every function takes an open `TelegramApi`; errors come back as a state the page shows, never raised.
"""

from __future__ import annotations

from dataclasses import dataclass

from echome.channels.telegram.api import TelegramApi, TelegramError


def webhook_url(base: str, persona_id: str) -> str:
    """Where Telegram delivers the persona's updates under a public base URL (or that full URL)."""
    path = f"/webhook/telegram/{persona_id}"
    return base if base.rstrip("/").endswith(path) else base.rstrip("/") + path


@dataclass(frozen=True)
class BotState:
    reachable: bool  # Telegram answered
    token_rejected: bool = False
    username: str | None = None
    name: str | None = None
    webhook: str | None = None  # the URL Telegram delivers to ("" or None: none set, polling)
    last_error: str | None = None  # Telegram's last delivery error for the webhook
    pending: int = 0  # updates waiting at Telegram
    problem: str | None = None  # what went wrong, in the seller's words


def _failed(exc: TelegramError) -> BotState:
    if exc.kind == "token":
        return BotState(
            reachable=True,
            token_rejected=True,
            problem="Telegram rejected this bot token: it was revoked or mistyped. Paste the current "
            "token from @BotFather.",
        )
    if exc.kind in ("network", "retry_after"):
        return BotState(
            reachable=False,
            problem="Telegram could not be reached from this server, so the bot's state is unknown. "
            "Your token is kept; try again later.",
        )
    return BotState(reachable=True, problem=f"{exc}.")


async def bot_state(api: TelegramApi) -> BotState:
    try:
        me = await api.get_me()
        hook = await api.webhook_info()
    except TelegramError as exc:
        return _failed(exc)
    return BotState(
        reachable=True,
        username=me.get("username"),
        name=me.get("first_name"),
        webhook=hook.get("url") or None,
        last_error=hook.get("last_error_message") or None,
        pending=int(hook.get("pending_update_count") or 0),
    )


async def connect(api: TelegramApi, *, public_url: str | None, persona_id: str, secret: str) -> BotState:
    """With a public address: Telegram delivers to our webhook. Without: no webhook, so the server's
    poller can ask Telegram for updates (getUpdates refuses to work while a webhook is set)."""
    try:
        if public_url:
            await api.set_webhook(webhook_url(public_url, persona_id), secret_token=secret)
        else:
            await api.delete_webhook()
    except TelegramError as exc:
        return _failed(exc)
    return await bot_state(api)


async def disconnect(api: TelegramApi) -> bool:
    """Stop webhook delivery at Telegram; False when Telegram could not be told (the token is removed
    on our side in any case, so nothing answers the bot any more)."""
    try:
        await api.delete_webhook()
    except TelegramError:
        return False
    return True
