"""`echome telegram set-webhook|delete-webhook|info|poll`: a persona's Telegram bot."""

from __future__ import annotations

import signal
import threading
from typing import Any

import typer

from echome.cli.common import acting_user, console, fail, print_json, state
from echome.cli.persona import UserOpt, resolve

telegram_app = typer.Typer(
    help="A persona's Telegram bot (token: `echome keys set telegram_bot_token --persona ID`).",
    no_args_is_help=True,
)


def _api(persona: str, user: str | None) -> tuple[Any, Any, Any]:
    from echome.channels.telegram import TOKEN_PROVIDER

    services = state.services()
    acting = acting_user(services, user)
    p = resolve(services, acting, persona)
    token = services.models.key(acting.id, TOKEN_PROVIDER, p.id)
    if not token:
        fail(f"no bot token for {p.name}: echome keys set telegram_bot_token --persona {p.id}")
    return services, p, services.bot_api(token)


def _run(coro: Any) -> Any:
    import asyncio

    from echome.channels.telegram.api import TelegramError

    try:
        return asyncio.run(coro)
    except TelegramError as exc:
        fail(str(exc))


@telegram_app.command("set-webhook")
def set_webhook(
    persona: str,
    url: str = typer.Argument(..., help="Your public https base URL (or the full webhook URL)"),
    drop_pending: bool = typer.Option(False, "--drop-pending", help="Discard updates waiting at Telegram"),
    user: str = UserOpt,
) -> None:
    """Tell Telegram to deliver PERSONA's updates to URL/webhook/telegram/PERSONA_ID."""

    from echome.channels.telegram.connect import webhook_url

    services, p, api = _api(persona, user)
    full = webhook_url(url, p.id)

    async def go() -> None:
        async with api:
            await api.set_webhook(
                full, secret_token=services.telegram_inbox.webhook_secret(p.id), drop_pending=drop_pending
            )

    _run(go())
    console.print(f"webhook set: {full}")


@telegram_app.command("delete-webhook")
def delete_webhook(persona: str, user: str = UserOpt) -> None:
    """Stop webhook delivery (polling mode can take over)."""
    _services, _p, api = _api(persona, user)

    async def go() -> None:
        async with api:
            await api.delete_webhook()

    _run(go())
    console.print("webhook deleted")


@telegram_app.command("info")
def info(persona: str, user: str = UserOpt, as_json: bool = typer.Option(False, "--json")) -> None:
    """The bot behind PERSONA's token and its webhook state."""
    _services, _p, api = _api(persona, user)

    async def go() -> dict[str, Any]:
        async with api:
            return {"bot": await api.get_me(), "webhook": await api.webhook_info()}

    data = _run(go())
    if as_json:
        print_json(data)
    else:
        console.print(f"@{data['bot']['username']}  webhook: {data['webhook']['url'] or '(none: polling)'}")


@telegram_app.command("poll")
def poll(
    persona: str = typer.Argument(None, help="One persona (default: every persona with a bot token)"),
    no_worker: bool = typer.Option(False, "--no-worker", help="Only receive; `echome worker` answers"),
    user: str = UserOpt,
) -> None:
    """Receive updates with getUpdates (no public address needed) and answer them, until Ctrl-C."""
    from echome.channels.telegram.polling import bots_with_tokens

    services = state.services()
    persona_id = None
    if persona:
        persona_id = resolve(services, acting_user(services, user), persona).id
    if not bots_with_tokens(services.sessions, persona_id):
        fail("no persona has a bot token: echome keys set telegram_bot_token --persona ID")
    worker = None if no_worker else services.make_worker()
    if worker is not None:
        worker.start()
    poller = services.make_poller(persona_id=persona_id)
    poller.start()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    console.print("polling Telegram (Ctrl-C to stop)")
    while not stop.wait(0.5):
        pass
    poller.stop()
    if worker is not None:
        worker.stop(graceful=True, timeout=10)
    services.close()
