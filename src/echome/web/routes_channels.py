"""The Channels page: the persona's Telegram bot (paste its token, see who the bot is and how its
messages arrive: a webhook to this server's public address, or polling), and the channels to come."""

from __future__ import annotations

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
from echome.web.context import SettingsTools
from echome.web.deps import PageDb, Seller, check_form, persona_of
from echome.web.forms import read_form
from echome.web.routes_settings import Tools
from echome.web.shell import persona_url, render_shell

router = APIRouter(prefix="/app/personas/{persona_id}/channels", include_in_schema=False)

COMING = (
    ("Web chat", "A chat bubble on your own shop's pages, answered by your persona."),
    ("Email", "Your persona drafts answers to customer emails for you to send."),
    ("WhatsApp", "Customers message your persona on WhatsApp Business."),
)


def _token_row(db: Session, user_id: str, persona_id: str) -> ApiKey | None:
    return db.scalar(
        select(ApiKey).where(
            ApiKey.user_id == user_id, ApiKey.scope == persona_id, ApiKey.provider == TOKEN_PROVIDER
        )
    )


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


async def _with_bot(tools: SettingsTools, token: str | None, work: Any) -> BotState:
    if token is None:
        return UNREADABLE
    try:
        api = tools.bot_api(token)
    except TelegramError as exc:  # not even the shape of a token
        return BotState(
            reachable=False, token_rejected=True, problem=f"{str(exc)[:1].upper()}{str(exc)[1:]}."
        )
    async with api:
        return await work(api)  # type: ignore[no-any-return]


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
) -> Response:
    row = _token_row(db, seller.user.id, persona.id)
    expected = webhook_url(tools.public_url, persona.id) if tools.public_url else None
    return render_shell(
        request, db, seller, "pages/channels.html", persona=persona, section="channels",
        status_code=status_code, base=persona_url(persona, "/channels"), connected=row is not None,
        token_hint=("…" + row.hint if row and row.hint else None),
        token_updated=row.updated_at if row else None,
        state=state, expected_webhook=expected, polling=tools.polling, coming=COMING, error=error,
    )  # fmt: skip


@router.get("")
async def channels_page(
    persona_id: str, request: Request, seller: Seller, db: PageDb, tools: Tools
) -> Response:
    persona = persona_of(db, seller.user.id, persona_id)
    row = _token_row(db, seller.user.id, persona.id)
    state = None
    if row is not None:  # ask Telegram who the bot is and where its messages go (short timeouts)
        state = await _with_bot(tools, _secret(tools, row), bot_state)
    return _page(request, db, seller, persona, tools, state=state)


@router.post("/telegram")
async def connect_telegram(
    persona_id: str, request: Request, seller: Seller, db: PageDb, tools: Tools
) -> Response:
    form = await read_form(request)
    check_form(request, seller, form.get("csrf_token"))
    persona = persona_of(db, seller.user.id, persona_id)
    token = form.text("token", limit=key_service.MAX_SECRET + 1).strip()
    if not token or ":" not in token or len(token) > 200 or any(c.isspace() for c in token):
        return _page(
            request, db, seller, persona, tools, state=None, status_code=422,
            error="Paste the whole token @BotFather gave you; it looks like 123456789:AAE…",
        )  # fmt: skip
    pid, public_url, secret = persona.id, tools.public_url, tools.webhook_secret(persona.id)

    async def link(api: Any) -> BotState:
        return await connect(api, public_url=public_url, persona_id=pid, secret=secret)

    state = await _with_bot(tools, token, link)
    if state.token_rejected:  # not stored: a token Telegram refuses would never work
        return _page(request, db, seller, persona, tools, state=None, status_code=422, error=state.problem)
    # Stored even when Telegram cannot be reached now: the poller (or a later visit) picks it up.
    key_service.set_key(
        db, tools.keystore, user_id=seller.user.id, provider=TOKEN_PROVIDER, value=token, scope=pid
    )
    db.commit()
    return _page(request, db, seller, persona, tools, state=state)


@router.post("/telegram/refresh")
async def reconnect_telegram(
    persona_id: str, request: Request, seller: Seller, db: PageDb, tools: Tools
) -> Response:
    """Set the webhook again (or clear it for polling), then show the state."""
    form = await read_form(request)
    check_form(request, seller, form.get("csrf_token"))
    persona = persona_of(db, seller.user.id, persona_id)
    row = _token_row(db, seller.user.id, persona.id)
    if row is None:
        return RedirectResponse(persona_url(persona, "/channels"), status_code=303)
    pid, public_url, secret = persona.id, tools.public_url, tools.webhook_secret(persona.id)

    async def link(api: Any) -> BotState:
        return await connect(api, public_url=public_url, persona_id=pid, secret=secret)

    state = await _with_bot(tools, _secret(tools, row), link)
    return _page(request, db, seller, persona, tools, state=state)


@router.post("/telegram/disconnect")
async def disconnect_telegram(
    persona_id: str, request: Request, seller: Seller, db: PageDb, tools: Tools
) -> Response:
    form = await read_form(request)
    check_form(request, seller, form.get("csrf_token"))
    persona = persona_of(db, seller.user.id, persona_id)
    row = _token_row(db, seller.user.id, persona.id)
    if row is not None:  # a second click finds nothing to do
        token = _secret(tools, row)  # unreadable: only our side can be cleared

        async def unlink(api: Any) -> BotState:
            told = await disconnect(api)
            return BotState(reachable=told)

        await _with_bot(tools, token, unlink)
        db.delete(row)
        db.commit()
    return RedirectResponse(persona_url(persona, "/channels?done=telegram-disconnected"), status_code=303)
