"""The Channels page: the persona's Telegram bot (paste its token, see who the bot is and how its
messages arrive: a webhook to this server's public address, or polling), the web chat, the seller's
own Telegram chat for handoffs and when the seller steps in (`channel_sections`, whose forms are
`routes_channels_handoff`), and the channels to come.

The page itself never waits for Telegram: the bot's state (getMe, getWebhookInfo) is a fragment the
page loads after it is shown (htmx), bounded by a timeout, so a slow or unreachable Telegram only
leaves that part saying so."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from echome.accounts import keys as key_service
from echome.app.browser_auth import SignedIn
from echome.channels.telegram import TOKEN_PROVIDER
from echome.channels.telegram.api import TelegramError
from echome.channels.telegram.connect import BotState, bot_state, connect, disconnect, webhook_url
from echome.db.models import ApiKey, Persona
from echome.secrets.keystore import MasterKeyError
from echome.web.channel_sections import channel_sections
from echome.web.context import SettingsTools
from echome.web.deps import PageDb, Seller, check_form, off_loop, persona_of
from echome.web.forms import PostedForm
from echome.web.render import render
from echome.web.routes_settings import Tools
from echome.web.shell import persona_url, render_shell

router = APIRouter(prefix="/app/personas/{persona_id}/channels", include_in_schema=False)

COMING = (
    ("Email", "Your persona drafts answers to customer emails for you to send."),
    ("WhatsApp", "Customers message your persona on WhatsApp Business."),
)


def _token_row(db: Session, user_id: str, persona_id: str) -> ApiKey | None:
    return db.scalar(
        select(ApiKey).where(
            ApiKey.user_id == user_id, ApiKey.scope == persona_id, ApiKey.provider == TOKEN_PROVIDER
        )
    )


def _bot_of(
    db: Session, seller: SignedIn, tools: SettingsTools, persona_id: str
) -> tuple[Persona, Any, str | None]:
    """The seller's persona, its bot token's row (None: no bot) and the token (None: unreadable here)."""
    persona = persona_of(db, seller.user.id, persona_id)
    row = _token_row(db, seller.user.id, persona.id)
    return persona, row, _secret(tools, row) if row is not None else None


UNREADABLE = BotState(
    reachable=False,
    problem="The stored bot token cannot be read on this server (its master key changed). Paste the "
    "token again below.",
)


def _secret(tools: SettingsTools, row: ApiKey) -> str | None:
    try:
        return tools.keystore.decrypt(row.ciphertext)
    except MasterKeyError:
        return None


def _too_slow(seconds: float) -> BotState:
    return BotState(
        reachable=False,
        problem=f"Telegram did not answer within {seconds:g} seconds, so the bot's state is unknown. "
        "Your token is kept; check again in a moment.",
    )


async def _with_bot(tools: SettingsTools, token: str | None, work: Any) -> BotState:
    """`work(api)` with the bot's API, for at most `tools.bot_check_seconds`."""
    if token is None:
        return UNREADABLE
    try:
        api = tools.bot_api(token)
    except TelegramError as exc:  # not even the shape of a token
        return BotState(
            reachable=False, token_rejected=True, problem=f"{str(exc)[:1].upper()}{str(exc)[1:]}."
        )

    async def bounded() -> BotState:
        async with api:
            return await work(api)  # type: ignore[no-any-return]

    try:
        return await asyncio.wait_for(bounded(), timeout=tools.bot_check_seconds)
    except TimeoutError:
        return _too_slow(tools.bot_check_seconds)


def _page(
    request: Request,
    db: Session,
    seller: SignedIn,
    persona: Persona,
    tools: SettingsTools,
    *,
    state: BotState | None,
    status_code: int = 200,
    error: str | None = None,
    **sections: Any,
) -> Response:
    """The page; `sections`: the web chat, notification and handoff forms sent back, a fresh link
    code (`channel_sections`)."""
    row = _token_row(db, seller.user.id, persona.id)
    extra = channel_sections(
        request.app.state.web,
        db,
        user_id=seller.user.id,
        persona=persona,
        bot_connected=row is not None,
        **sections,
    )
    expected = webhook_url(tools.public_url, persona.id) if tools.public_url else None
    return render_shell(
        request, db, seller, "pages/channels.html", persona=persona, section="channels",
        status_code=status_code, base=persona_url(persona, "/channels"), connected=row is not None,
        token_hint=("…" + row.hint if row and row.hint else None),
        token_updated=row.updated_at if row else None,
        state=state, expected_webhook=expected, polling=tools.polling, coming=COMING, error=error, **extra,
    )  # fmt: skip


@router.get("")
def channels_page(persona_id: str, request: Request, seller: Seller, db: PageDb, tools: Tools) -> Response:
    persona = persona_of(db, seller.user.id, persona_id)
    row = _token_row(db, seller.user.id, persona.id)
    # What Telegram says of the bot loads after the page (`telegram/state`); a token this server
    # cannot read needs no question to Telegram to be shown.
    unreadable = row is not None and _secret(tools, row) is None
    return _page(request, db, seller, persona, tools, state=UNREADABLE if unreadable else None)


@router.get("/telegram/state")
async def telegram_state(
    persona_id: str, request: Request, seller: Seller, db: PageDb, tools: Tools
) -> Response:
    """The bot's state as Telegram reports it: the fragment the Channels page loads (htmx)."""

    persona, row, token = await off_loop(
        db, lambda: _bot_of(db, seller, tools, persona_id)
    )  # no transaction held while Telegram is asked
    if not request.headers.get("hx-request"):  # opened directly: the page it belongs to
        return RedirectResponse(persona_url(persona, "/channels"), status_code=303)
    if row is None:  # disconnected meanwhile (another tab): the page is out of date
        return Response(status_code=204, headers={"HX-Redirect": persona_url(persona, "/channels")})
    state = await _with_bot(tools, token, bot_state)
    return render(
        request, "partials/bot_state.html", state=state, polling=tools.polling,
        expected_webhook=webhook_url(tools.public_url, persona.id) if tools.public_url else None,
    )  # fmt: skip


@router.post("/telegram")
async def connect_telegram(
    persona_id: str, request: Request, seller: Seller, db: PageDb, tools: Tools, form: PostedForm
) -> Response:
    check_form(request, seller, form.get("csrf_token"))
    persona = await off_loop(db, lambda: persona_of(db, seller.user.id, persona_id))
    token = form.text("token", limit=key_service.MAX_SECRET + 1).strip()
    if not token or ":" not in token or len(token) > 200 or any(c.isspace() for c in token):
        return await off_loop(db, lambda: _page(
            request, db, seller, persona, tools, state=None, status_code=422,
            error="Paste the whole token @BotFather gave you; it looks like 123456789:AAE…",
        ))  # fmt: skip
    pid, public_url, secret = persona.id, tools.public_url, tools.webhook_secret(persona.id)

    async def link(api: Any) -> BotState:
        return await connect(api, public_url=public_url, persona_id=pid, secret=secret)

    state = await _with_bot(tools, token, link)

    def after() -> Response:
        if state.token_rejected:  # not stored: a token Telegram refuses would never work
            return _page(
                request, db, seller, persona, tools, state=None, status_code=422, error=state.problem
            )
        # Stored even when Telegram cannot be reached now: the poller (or a later visit) picks it up.
        key_service.set_key(
            db, tools.keystore, user_id=seller.user.id, provider=TOKEN_PROVIDER, value=token, scope=pid
        )
        db.commit()
        return _page(request, db, seller, persona, tools, state=state)

    return await off_loop(db, after)


@router.post("/telegram/refresh")
async def reconnect_telegram(
    persona_id: str, request: Request, seller: Seller, db: PageDb, tools: Tools, form: PostedForm
) -> Response:
    """Set the webhook again (or clear it for polling), then show the state."""
    check_form(request, seller, form.get("csrf_token"))

    persona, row, token = await off_loop(db, lambda: _bot_of(db, seller, tools, persona_id))
    if row is None:
        return RedirectResponse(persona_url(persona, "/channels"), status_code=303)
    pid, public_url, secret = persona.id, tools.public_url, tools.webhook_secret(persona.id)

    async def link(api: Any) -> BotState:
        return await connect(api, public_url=public_url, persona_id=pid, secret=secret)

    state = await _with_bot(tools, token, link)
    return await off_loop(db, lambda: _page(request, db, seller, persona, tools, state=state))


@router.post("/telegram/disconnect")
async def disconnect_telegram(
    persona_id: str, request: Request, seller: Seller, db: PageDb, tools: Tools, form: PostedForm
) -> Response:
    check_form(request, seller, form.get("csrf_token"))

    persona, row, token = await off_loop(db, lambda: _bot_of(db, seller, tools, persona_id))
    if row is not None:  # a second click finds nothing to do

        async def unlink(api: Any) -> BotState:
            told = await disconnect(api)
            return BotState(reachable=told)

        await _with_bot(tools, token, unlink)  # unreadable: only our side can be cleared

        def forget() -> None:
            gone = db.get(ApiKey, row.id)
            if gone is not None:
                db.delete(gone)

        await off_loop(db, forget)
    return RedirectResponse(persona_url(persona, "/channels?done=telegram-disconnected"), status_code=303)
