"""The Settings page: provider keys (write-only, masked, replaced, removed, tested), API tokens, the
account, and the danger zone (delete this persona or the whole account, with every file and vector)."""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from echome.accounts import keys as key_service
from echome.accounts import users
from echome.accounts.erase import erase_account, erase_persona
from echome.accounts.key_check import VENDORS, KeyCheck
from echome.app.browser_auth import SignedIn, end_session_cookie
from echome.db.models import AccessToken, ApiKey, Conversation, Persona, PersonaMedia, Product
from echome.db.types import utcnow
from echome.secrets.keystore import MasterKeyError
from echome.web.context import SettingsTools
from echome.web.deps import (
    PageDb,
    PageError,
    Seller,
    Web,
    check_form,
    ended,
    off_loop,
    persona_of,
    personas_of,
)
from echome.web.form_once import NONCE_FIELD, form_once
from echome.web.forms import Form, read_form
from echome.web.shell import persona_url, render_shell

router = APIRouter(prefix="/app/personas/{persona_id}/settings", include_in_schema=False)

# The keys this page manages (the Telegram bot token lives on the Channels page).
PROVIDERS = {
    "openai": ("OpenAI", "Answers written by GPT models, and cloud transcription."),
    "anthropic": ("Anthropic", "Answers written by Claude models."),
    "elevenlabs": ("ElevenLabs", "A cloned voice that sounds most like you."),
    "cohere": ("Cohere", "Better ranking of catalog search results."),
}
SCOPES = ("account", "persona")
SHOWN_AGAIN_SECONDS = 600  # a token form sent again within this shows the same token once more


def settings_tools(web: Web) -> SettingsTools:
    if web.settings is None:
        raise PageError(503, "Settings unavailable", "This Echo Me was started without its settings tools.")
    return web.settings


Tools = Annotated[SettingsTools, Depends(settings_tools)]


def _key_rows(db: Session, user_id: str, persona: Persona) -> list[dict[str, Any]]:
    stored = {
        (k.provider, k.scope): k
        for k in db.scalars(
            select(ApiKey).where(ApiKey.user_id == user_id, ApiKey.scope.in_(("", persona.id)))
        )
    }
    rows = []
    for provider, (vendor, use) in PROVIDERS.items():
        for scope, scope_id in (("account", ""), ("persona", persona.id)):
            k = stored.get((provider, scope_id))
            rows.append(
                {
                    "provider": provider,
                    "vendor": vendor,
                    "use": use,
                    "scope": scope,
                    "stored": k is not None,
                    "masked": ("…" + k.hint if k.hint else "•" * 8) if k else None,
                    "updated_at": k.updated_at if k else None,
                }
            )
    return rows


def _tokens(db: Session, user_id: str) -> list[AccessToken]:
    return list(
        db.scalars(
            select(AccessToken)
            .where(AccessToken.user_id == user_id, AccessToken.revoked_at.is_(None))
            .order_by(AccessToken.created_at.desc())
        )
    )


def _page(
    request: Request,
    db: Session,
    seller: SignedIn,
    persona: Persona,
    *,
    status_code: int = 200,
    **context: Any,
) -> Response:
    values: dict[str, Any] = {
        "errors": {},
        "values": {},
        "key_test": None,
        "new_token": None,
        "token_again": None,
        **context,
    }
    return render_shell(
        request,
        db,
        seller,
        "pages/settings.html",
        persona=persona,
        section="settings",
        status_code=status_code,
        base=persona_url(persona, "/settings"),
        persona_base=persona_url(persona),
        keys=_key_rows(db, seller.user.id, persona),
        providers=PROVIDERS,
        tokens=_tokens(db, seller.user.id),
        now=utcnow(),
        **values,
    )


@router.get("")
def settings_page(persona_id: str, request: Request, seller: Seller, db: PageDb) -> Response:
    return ended(db, lambda: _page(request, db, seller, persona_of(db, seller.user.id, persona_id)))


def _provider_scope(form: Form, persona: Persona) -> tuple[str, str, str]:
    provider, scope = form.text("provider", limit=50), form.text("scope", limit=20)
    if provider not in PROVIDERS or scope not in SCOPES:
        raise PageError(400, "Unknown key", "Choose one of the providers listed on the Settings page.")
    return provider, scope, persona.id if scope == "persona" else ""


async def _posted(request: Request, seller: SignedIn, db: Session, persona_id: str) -> tuple[Form, Persona]:
    form = await read_form(request)
    check_form(request, seller, form.get("csrf_token"))
    return form, await off_loop(db, lambda: persona_of(db, seller.user.id, persona_id))


@router.post("/keys")
async def save_key(persona_id: str, request: Request, seller: Seller, db: PageDb, tools: Tools) -> Response:
    form, persona = await _posted(request, seller, db, persona_id)
    provider, scope, scope_id = _provider_scope(form, persona)

    def save() -> Response:
        try:
            key_service.set_key(
                db, tools.keystore, user_id=seller.user.id, provider=provider,
                value=form.get("value", ""), scope=scope_id,
            )  # fmt: skip
        except key_service.KeyInputError as exc:
            db.rollback()
            message = str(exc)
            errors = {"value": message[:1].upper() + message[1:] + "."}
            return _page(
                request, db, seller, persona, status_code=422, errors=errors,
                values={"provider": provider, "scope": scope},
            )  # fmt: skip
        db.commit()
        return RedirectResponse(persona_url(persona, "/settings?done=key-saved#keys"), status_code=303)

    return await off_loop(db, save)


@router.post("/keys/remove")
async def remove_key(persona_id: str, request: Request, seller: Seller, db: PageDb) -> Response:
    form, persona = await _posted(request, seller, db, persona_id)
    provider, _scope, scope_id = _provider_scope(form, persona)
    await off_loop(  # gone already: a no-op
        db, lambda: key_service.delete_key(db, user_id=seller.user.id, provider=provider, scope=scope_id)
    )
    return RedirectResponse(persona_url(persona, "/settings?done=key-removed#keys"), status_code=303)


def _stored_secret(db: Session, keystore: Any, user_id: str, provider: str, scope_id: str) -> str | KeyCheck:
    """The key to test, in clear, or why there is none to test."""
    row = db.scalar(
        select(ApiKey).where(ApiKey.user_id == user_id, ApiKey.scope == scope_id, ApiKey.provider == provider)
    )
    if row is None:
        return KeyCheck(False, f"There is no {VENDORS[provider]} key here to test: add one first.")
    try:
        return str(keystore.decrypt(row.ciphertext))
    except MasterKeyError:
        return KeyCheck(
            False, "This key cannot be read on this server (its master key changed). Save it again."
        )


@router.post("/keys/test")
async def test_key(persona_id: str, request: Request, seller: Seller, db: PageDb, tools: Tools) -> Response:
    form, persona = await _posted(request, seller, db, persona_id)
    provider, scope, scope_id = _provider_scope(form, persona)
    found = await off_loop(db, lambda: _stored_secret(db, tools.keystore, seller.user.id, provider, scope_id))
    # The provider is asked with no transaction open: its seconds hold no one else's page up.
    if isinstance(found, KeyCheck):
        result = found
    else:
        result = await asyncio.to_thread(tools.check_key, provider, found)
    return await off_loop(
        db,
        lambda: _page(
            request, db, seller, persona, key_test={"provider": provider, "scope": scope, "result": result}
        ),
    )


@router.post("/tokens")
async def create_token(
    persona_id: str, request: Request, seller: Seller, db: PageDb, web: Web, tools: Tools
) -> Response:
    # Two posts of this form at once (a double click) meet here; each does its database work on a
    # worker thread and ends its transaction before its page leaves (see _ended), so neither waits
    # for SQLite's lock on the event loop the other needs to send its page and give the lock back.
    form, persona = await _posted(request, seller, db, persona_id)
    async with form_once(
        web.form_receipts, user_id=seller.user.id, form="token", nonce=form.get(NONCE_FIELD), idle=db.commit
    ) as once:
        if once.earlier is not None:  # the same form sent again: the token it made, not another
            earlier = once.earlier
            return await off_loop(db, lambda: _token_again(request, db, seller, persona, tools, earlier))
        name = " ".join(form.text("name", limit=200).split())
        if not name or len(name) > 100:
            return await off_loop(
                db,
                lambda: _page(
                    request, db, seller, persona, status_code=422, values={"token_name": name[:100]},
                    errors={"name": "Give the token a name of up to 100 characters, e.g. “shop sync”."},
                ),
            )  # fmt: skip

        def create() -> Response:
            ttl = timedelta(days=tools.token_ttl_days)
            issued = users.issue_token(db, user=seller.user, name=name, ttl=ttl)
            db.commit()
            # A repeat of this form (a double click: the browser shows the second answer only) shows
            # the same token again, for a few minutes; the receipt holds it encrypted, never in clear.
            once.done(
                {"token_id": issued.record.id, "name": name, "sealed": tools.keystore.encrypt(issued.token),
                 "sealed_at": time.time()}
            )  # fmt: skip
            # Shown on this response only: it is stored as a hash and can never be shown again.
            return _page(request, db, seller, persona, new_token={"name": name, "token": issued.token})

        return await off_loop(db, create)


def _token_again(
    request: Request, db: Session, seller: SignedIn, persona: Persona, tools: SettingsTools,
    earlier: dict[str, Any],
) -> Response:  # fmt: skip
    """A token form sent again: the token its first post made, shown once more while it is fresh
    (the first answer may never have reached the screen), else what happened to it."""
    # This post read the database before it waited for the first one: end that read so the token
    # the first post committed meanwhile is seen (SQLite keeps a reader on its starting snapshot).
    db.rollback()
    row = db.scalar(
        select(AccessToken).where(
            AccessToken.id == str(earlier.get("token_id", ""))[:64], AccessToken.user_id == seller.user.id
        )
    )
    name = row.name if row is not None else str(earlier.get("name", ""))[:100]
    sealed, sealed_at = earlier.get("sealed"), earlier.get("sealed_at")
    fresh = isinstance(sealed_at, int | float) and time.time() - sealed_at < SHOWN_AGAIN_SECONDS
    if row is not None and row.revoked_at is None and fresh and isinstance(sealed, str):
        try:
            token = tools.keystore.decrypt(sealed)
        except MasterKeyError:
            token = None
        if token is not None:
            return _page(
                request, db, seller, persona, new_token={"name": name, "token": token, "again": True}
            )
    gone = row is None or row.revoked_at is not None
    return _page(request, db, seller, persona, token_again={"name": name, "gone": gone})


@router.post("/tokens/{token_id}/revoke")
async def revoke_token(
    persona_id: str, token_id: str, request: Request, seller: Seller, db: PageDb
) -> Response:
    _form, persona = await _posted(request, seller, db, persona_id)

    def revoke() -> None:
        row = db.scalar(
            select(AccessToken).where(AccessToken.id == token_id[:64], AccessToken.user_id == seller.user.id)
        )
        if row is None:
            raise PageError(404, "Token not found", "There is no API token with this address among yours.")
        if row.revoked_at is None:  # a second click changes nothing
            row.revoked_at = utcnow()

    await off_loop(db, revoke)
    return RedirectResponse(persona_url(persona, "/settings?done=token-revoked#tokens"), status_code=303)


# -- danger zone -------------------------------------------------------------------------------
def _persona_counts(db: Session, user_id: str, persona_id: str) -> dict[str, int]:
    def count(model: Any, *where: Any) -> int:
        return db.scalar(select(func.count()).select_from(model).where(*where)) or 0

    return {
        "recordings": count(
            PersonaMedia, PersonaMedia.user_id == user_id, PersonaMedia.persona_id == persona_id
        ),
        "products": count(Product, Product.user_id == user_id, Product.persona_id == persona_id),
        "conversations": count(
            Conversation, Conversation.user_id == user_id, Conversation.persona_id == persona_id
        ),
    }


def _confirm_page(
    request: Request, db: Session, seller: SignedIn, persona: Persona, what: str, *, error: str | None = None
) -> Response:
    return render_shell(
        request, db, seller, "pages/settings_delete.html", persona=persona, section="settings",
        status_code=422 if error else 200, base=persona_url(persona, "/settings"), what=what,
        counts=_persona_counts(db, seller.user.id, persona.id), error=error,
    )  # fmt: skip


def _after_persona_deleted(db: Session, user_id: str, *, voice_left: bool = False) -> str:
    """Another persona's Home, or creating one when none is left; the toast says what happened
    (and, when the cloned voice could not be deleted at ElevenLabs, what is left to do there)."""
    others = personas_of(db, user_id)
    done = "persona-deleted-voice-left" if voice_left else "persona-deleted"
    return (persona_url(others[0]) if others else "/app/personas/new") + f"?done={done}"


@router.get("/delete-persona")
def confirm_delete_persona(persona_id: str, request: Request, seller: Seller, db: PageDb) -> Response:
    return ended(
        db, lambda: _confirm_page(request, db, seller, persona_of(db, seller.user.id, persona_id), "persona")
    )


@router.post("/delete-persona")
async def delete_persona(
    persona_id: str, request: Request, seller: Seller, db: PageDb, tools: Tools
) -> Response:
    form = await read_form(request)
    check_form(request, seller, form.get("csrf_token"))
    user_id, sessions = seller.user.id, request.app.state.web.sessions

    def confirmed() -> Response | str:
        """The persona's id when its name was typed right; otherwise the page to answer with."""
        persona = db.scalar(select(Persona).where(Persona.id == persona_id[:64], Persona.user_id == user_id))
        if persona is None:  # deleted already (a second click): nothing to do twice
            if form.get("confirm") and db.get(Persona, persona_id[:64]) is None:
                return RedirectResponse(_after_persona_deleted(db, user_id), status_code=303)
            raise PageError(404, "Persona not found", "There is no persona with this address among yours.")
        if form.text("confirm", limit=300).strip() != persona.name.strip():
            return _confirm_page(
                request, db, seller, persona, "persona",
                error=f"Type the persona's name, {persona.name}, exactly as shown to confirm.",
            )  # fmt: skip
        return persona.id

    pid = await off_loop(db, confirmed)
    if isinstance(pid, Response):
        return pid

    def erase() -> str:
        erased = erase_persona(
            sessions, tools.storage, tools.vectors(), user_id=user_id, persona_id=pid,
            on_products_changed=tools.products_changed, remove_voice=tools.remove_voice,
        )  # fmt: skip
        with sessions() as fresh:
            return _after_persona_deleted(fresh, user_id, voice_left=bool(erased and erased.voices_left))

    return RedirectResponse(await asyncio.to_thread(erase), status_code=303)


@router.get("/delete-account")
def confirm_delete_account(persona_id: str, request: Request, seller: Seller, db: PageDb) -> Response:
    return ended(
        db, lambda: _confirm_page(request, db, seller, persona_of(db, seller.user.id, persona_id), "account")
    )


@router.post("/delete-account")
async def delete_account(
    persona_id: str, request: Request, seller: Seller, db: PageDb, tools: Tools
) -> Response:
    form = await read_form(request)
    check_form(request, seller, form.get("csrf_token"))
    user_id, email, sessions = seller.user.id, seller.user.email, request.app.state.web.sessions
    persona = await off_loop(db, lambda: persona_of(db, user_id, persona_id))
    if form.text("confirm", limit=400).strip().lower() != email.lower():
        return await off_loop(
            db,
            lambda: _confirm_page(
                request, db, seller, persona, "account",
                error=f"Type your account's email address, {email}, to confirm.",
            ),
        )  # fmt: skip
    erased = await asyncio.to_thread(
        lambda: erase_account(
            sessions, tools.storage, tools.vectors(), user_id=user_id, remove_voice=tools.remove_voice
        )
    )
    left = "&voices=left" if erased and erased.voices_left else ""
    response = RedirectResponse(f"/?account=deleted{left}", status_code=303)
    end_session_cookie(request, response)
    return response
