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
from echome.web.deps import PageDb, PageError, Seller, Web, check_form, persona_of, personas_of
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
    return _page(request, db, seller, persona_of(db, seller.user.id, persona_id))


def _provider_scope(form: Form, persona: Persona) -> tuple[str, str, str]:
    provider, scope = form.text("provider", limit=50), form.text("scope", limit=20)
    if provider not in PROVIDERS or scope not in SCOPES:
        raise PageError(400, "Unknown key", "Choose one of the providers listed on the Settings page.")
    return provider, scope, persona.id if scope == "persona" else ""


async def _posted(request: Request, seller: SignedIn, db: Session, persona_id: str) -> tuple[Form, Persona]:
    form = await read_form(request)
    check_form(request, seller, form.get("csrf_token"))
    return form, persona_of(db, seller.user.id, persona_id)


@router.post("/keys")
async def save_key(persona_id: str, request: Request, seller: Seller, db: PageDb, tools: Tools) -> Response:
    form, persona = await _posted(request, seller, db, persona_id)
    provider, scope, scope_id = _provider_scope(form, persona)
    try:
        key_service.set_key(
            db, tools.keystore, user_id=seller.user.id, provider=provider, value=form.get("value", ""),
            scope=scope_id,
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


@router.post("/keys/remove")
async def remove_key(persona_id: str, request: Request, seller: Seller, db: PageDb) -> Response:
    form, persona = await _posted(request, seller, db, persona_id)
    provider, _scope, scope_id = _provider_scope(form, persona)
    key_service.delete_key(db, user_id=seller.user.id, provider=provider, scope=scope_id)  # gone: no-op
    db.commit()
    return RedirectResponse(persona_url(persona, "/settings?done=key-removed#keys"), status_code=303)


@router.post("/keys/test")
async def test_key(persona_id: str, request: Request, seller: Seller, db: PageDb, tools: Tools) -> Response:
    form, persona = await _posted(request, seller, db, persona_id)
    provider, scope, scope_id = _provider_scope(form, persona)
    row = db.scalar(
        select(ApiKey).where(
            ApiKey.user_id == seller.user.id, ApiKey.scope == scope_id, ApiKey.provider == provider
        )
    )
    if row is None:
        result = KeyCheck(False, f"There is no {VENDORS[provider]} key here to test: add one first.")
    else:
        try:
            secret = tools.keystore.decrypt(row.ciphertext)
        except MasterKeyError:
            result = KeyCheck(
                False, "This key cannot be read on this server (its master key changed). Save it again."
            )
        else:
            result = await asyncio.to_thread(tools.check_key, provider, secret)
    return _page(
        request, db, seller, persona, key_test={"provider": provider, "scope": scope, "result": result}
    )


@router.post("/tokens")
async def create_token(
    persona_id: str, request: Request, seller: Seller, db: PageDb, web: Web, tools: Tools
) -> Response:
    form, persona = await _posted(request, seller, db, persona_id)
    async with form_once(
        web.form_receipts, user_id=seller.user.id, form="token", nonce=form.get(NONCE_FIELD), idle=db.commit
    ) as once:
        if once.earlier is not None:  # the same form sent again: the token it made, not another
            earlier = once.earlier

            def again() -> Response:
                page = _token_again(request, db, seller, persona, tools, earlier)
                db.commit()  # the write lock goes back before the response leaves (see below)
                return page

            # On a worker thread: the first post may still hold the process's SQLite write lock
            # (it is given back when its session closes, after its response is sent, on the event
            # loop). Waiting for it on the loop would stop that post from ever closing: a 30 s stall
            # and "database is locked" for this one.
            return await asyncio.to_thread(again)
        name = " ".join(form.text("name", limit=200).split())
        if not name or len(name) > 100:
            return _page(
                request, db, seller, persona, status_code=422, values={"token_name": name[:100]},
                errors={"name": "Give the token a name of up to 100 characters, e.g. “shop sync”."},
            )  # fmt: skip
        issued = users.issue_token(db, user=seller.user, name=name, ttl=timedelta(days=tools.token_ttl_days))
        db.commit()
        # A repeat of this form (a double click: the browser shows the second answer only) shows the
        # same token again, for a few minutes; the receipt holds it encrypted, never in clear.
        once.done(
            {"token_id": issued.record.id, "name": name, "sealed": tools.keystore.encrypt(issued.token),
             "sealed_at": time.time()}
        )  # fmt: skip
        # Shown on this response only: it is stored as a hash and can never be shown again.
        return _page(request, db, seller, persona, new_token={"name": name, "token": issued.token})


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
    row = db.scalar(
        select(AccessToken).where(AccessToken.id == token_id[:64], AccessToken.user_id == seller.user.id)
    )
    if row is None:
        raise PageError(404, "Token not found", "There is no API token with this address among yours.")
    if row.revoked_at is None:  # a second click changes nothing
        row.revoked_at = utcnow()
        db.commit()
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
    return _confirm_page(request, db, seller, persona_of(db, seller.user.id, persona_id), "persona")


@router.post("/delete-persona")
async def delete_persona(
    persona_id: str, request: Request, seller: Seller, db: PageDb, tools: Tools
) -> Response:
    form = await read_form(request)
    check_form(request, seller, form.get("csrf_token"))
    user_id = seller.user.id
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
    pid = persona.id
    db.close()
    erased = await asyncio.to_thread(
        erase_persona, request.app.state.web.sessions, tools.storage, tools.vectors(), user_id=user_id,
        persona_id=pid, on_products_changed=tools.products_changed, remove_voice=tools.remove_voice,
    )  # fmt: skip
    voice_left = bool(erased and erased.voices_left)
    with request.app.state.web.sessions() as fresh:
        target = _after_persona_deleted(fresh, user_id, voice_left=voice_left)
    return RedirectResponse(target, status_code=303)


@router.get("/delete-account")
def confirm_delete_account(persona_id: str, request: Request, seller: Seller, db: PageDb) -> Response:
    return _confirm_page(request, db, seller, persona_of(db, seller.user.id, persona_id), "account")


@router.post("/delete-account")
async def delete_account(
    persona_id: str, request: Request, seller: Seller, db: PageDb, tools: Tools
) -> Response:
    form = await read_form(request)
    check_form(request, seller, form.get("csrf_token"))
    persona = persona_of(db, seller.user.id, persona_id)
    email = seller.user.email
    if form.text("confirm", limit=400).strip().lower() != email.lower():
        return _confirm_page(
            request, db, seller, persona, "account",
            error=f"Type your account's email address, {email}, to confirm.",
        )  # fmt: skip
    user_id = seller.user.id
    db.close()
    erased = await asyncio.to_thread(
        erase_account, request.app.state.web.sessions, tools.storage, tools.vectors(), user_id=user_id,
        remove_voice=tools.remove_voice,
    )  # fmt: skip
    left = "&voices=left" if erased and erased.voices_left else ""
    response = RedirectResponse(f"/?account=deleted{left}", status_code=303)
    end_session_cookie(request, response)
    return response
