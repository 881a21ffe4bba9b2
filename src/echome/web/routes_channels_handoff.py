"""The Channels page's forms beside the Telegram bot: the web chat's address and allowed sites
(`widget.personas`), the one-time code linking the seller's own Telegram chat and unlinking it
(`handoff.link`), and the handoff settings with the seller's own rules (`handoff.settings`, which
checks them: a regex that could hang the answer stage is refused with the reason).

A form with a mistake is sent back with what was typed and the error beside its field (422); a
saved one leads back to its section with a toast (303)."""

from __future__ import annotations

import contextlib
import re
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from echome.app.browser_auth import SignedIn
from echome.channels.telegram.connect import bot_state
from echome.db.models import Persona
from echome.handoff.link import CODE_MINUTES, new_code, unlink
from echome.handoff.rules import MAX_KEYWORDS, MAX_REASON_CHARS, MAX_REGEX_CHARS
from echome.handoff.settings import MAX_MINUTES, TRIGGERS, HandoffSettings, SettingsError, validate_settings
from echome.web.channel_sections import LinkCode, Section, rule_key, seller_words
from echome.web.deps import PageDb, Seller, Web, check_form, off_loop, persona_of
from echome.web.forms import Form, PostedForm
from echome.web.routes_channels import _page, _secret, _token_row, _with_bot
from echome.web.routes_settings import Tools
from echome.web.shell import persona_url
from echome.widget.origins import OriginError
from echome.widget.personas import SlugError, allow_origin, disallow_origin, set_slug

router = APIRouter(prefix="/app/personas/{persona_id}/channels", include_in_schema=False)


def _back(persona: Persona, done: str, anchor: str) -> RedirectResponse:
    return RedirectResponse(persona_url(persona, f"/channels?done={done}#{anchor}"), status_code=303)


def _again(
    request: Request, db: Session, seller: SignedIn, persona: Persona, tools: Any, **section: Any
) -> Response:
    return _page(request, db, seller, persona, tools, state=None, status_code=422, **section)


def _posted(
    request: Request, seller: SignedIn, db: Session, persona_id: str, form: Form
) -> tuple[Form, Persona]:
    check_form(request, seller, form.get("csrf_token"))
    return form, persona_of(db, seller.user.id, persona_id)


# -- the web chat --------------------------------------------------------------------------------
@router.post("/web/slug")
def save_slug(
    persona_id: str, request: Request, seller: Seller, db: PageDb, web: Web, tools: Tools, form: PostedForm
) -> Response:
    form, persona = _posted(request, seller, db, persona_id, form)
    slug, pid = form.text("slug", limit=200), persona.id
    db.close()  # the slug is written in a transaction of its own
    try:
        set_slug(web.sessions, user_id=seller.user.id, persona_id=pid, slug=slug)
    except SlugError as exc:
        section = Section({"slug": slug}, {"slug": seller_words(str(exc))})
        return _again(request, db, seller, persona, tools, web_chat=section)
    return _back(persona, "slug-saved", "web-chat-title")


@router.post("/web/origins")
def add_origin(
    persona_id: str, request: Request, seller: Seller, db: PageDb, web: Web, tools: Tools, form: PostedForm
) -> Response:
    form, persona = _posted(request, seller, db, persona_id, form)
    origin, pid = form.text("origin", limit=400), persona.id
    db.close()
    try:
        allow_origin(web.sessions, user_id=seller.user.id, persona_id=pid, origin=origin)
    except OriginError as exc:
        section = Section({"origin": origin}, {"origin": seller_words(str(exc))})
        return _again(request, db, seller, persona, tools, web_chat=section)
    return _back(persona, "origin-added", "web-chat-title")


@router.post("/web/origins/remove")
def remove_origin(
    persona_id: str, request: Request, seller: Seller, db: PageDb, web: Web, tools: Tools, form: PostedForm
) -> Response:
    form, persona = _posted(request, seller, db, persona_id, form)
    origin, pid = form.text("origin", limit=400), persona.id
    db.close()
    # Not an origin at all: none of the listed ones, so there is nothing to remove.
    with contextlib.suppress(OriginError):
        disallow_origin(web.sessions, user_id=seller.user.id, persona_id=pid, origin=origin)
    return _back(persona, "origin-removed", "web-chat-title")


# -- the seller's own Telegram chat --------------------------------------------------------------
@router.post("/notify/code")
async def create_link_code(
    persona_id: str, request: Request, seller: Seller, db: PageDb, tools: Tools, form: PostedForm
) -> Response:
    """A one-time code for `/start <code>` in the persona's bot, shown once on the page (a new one
    replaces it). The bot's @username, for a t.me link, is asked of Telegram within a bound."""

    def issue() -> tuple[Persona, bool, str | None, Any]:
        _, persona = _posted(request, seller, db, persona_id, form)
        row = _token_row(db, seller.user.id, persona.id)
        if row is None:  # the bot is what writes to the seller: without one, a code is of no use
            return persona, False, None, (None, None)
        return persona, True, _secret(tools, row), new_code(db, persona)

    # Committed before Telegram is asked: no transaction is held meanwhile.
    persona, has_bot, token, (code, expires) = await off_loop(db, issue)
    if not has_bot:
        return RedirectResponse(persona_url(persona, "/channels#notify-title"), status_code=303)
    state = await _with_bot(tools, token, bot_state)
    fresh = LinkCode(code, expires, state.username if state.reachable else None, CODE_MINUTES)
    return await off_loop(db, lambda: _page(request, db, seller, persona, tools, state=None, link_code=fresh))


@router.post("/notify/unlink")
def unlink_chat(
    persona_id: str, request: Request, seller: Seller, db: PageDb, tools: Tools, form: PostedForm
) -> Response:
    _, persona = _posted(request, seller, db, persona_id, form)
    unlink(db, persona)
    db.commit()
    return _back(persona, "notify-unlinked", "notify-title")


# -- when the seller steps in -------------------------------------------------------------------
def _minutes(form: Form, name: str, *, low: int, errors: dict[str, str], what: str) -> int | None:
    raw = form.text(name, limit=20).strip()
    if raw.isdigit() and low <= int(raw) <= MAX_MINUTES:
        return int(raw)
    errors[name] = f"Enter {what} as a whole number of minutes from {low} to {MAX_MINUTES:,} (a week)."
    return None


def _store(db: Session, persona: Persona, changes: dict[str, Any]) -> None:
    persona.chat_settings = {**(persona.chat_settings or {}), **changes}  # a new dict: saved
    db.commit()


@router.post("/handoff")
def save_handoff_settings(
    persona_id: str, request: Request, seller: Seller, db: PageDb, tools: Tools, form: PostedForm
) -> Response:
    form, persona = _posted(request, seller, db, persona_id, form)
    errors: dict[str, str] = {}
    patch: dict[str, Any] = {
        "approval_mode": "all" if form.get("approval_mode") == "all" else "off",
        "approval_timeout_minutes": _minutes(
            form, "approval_timeout_minutes", low=1, errors=errors, what="how long a draft waits"
        ),
        "approval_timeout_action": form.get("approval_timeout_action", ""),
        "handoff_timeout_minutes": _minutes(
            form, "handoff_timeout_minutes", low=0, errors=errors, what="when a waiting customer is told"
        ),
        "handoff_triggers": [t for t in TRIGGERS if form.get(f"trigger_{t}") == "on"],
        "speak_seller_replies": form.get("speak_seller_replies") == "on",
    }
    if patch["approval_timeout_action"] not in ("send_draft", "holding"):
        errors["approval_timeout_action"] = "Choose what happens when a draft waits too long."
    if "claimed_timeout_minutes" in form:  # a page from before these settings leaves them as they are
        patch["claimed_timeout_minutes"] = _minutes(
            form,
            "claimed_timeout_minutes",
            low=0,
            errors=errors,
            what="how long a conversation you took waits",
        )
        patch["claimed_timeout_action"] = form.get("claimed_timeout_action", "")
        if patch["claimed_timeout_action"] not in ("holding", "release"):
            errors["claimed_timeout_action"] = (
                "Choose what happens when a conversation you took waits too long."
            )
    if not errors:
        try:
            _store(db, persona, validate_settings(patch))
        except SettingsError as exc:
            errors[""] = seller_words(str(exc))
    if errors:
        minutes = ("approval_timeout_minutes", "handoff_timeout_minutes", "claimed_timeout_minutes")
        values = {k: form.get(k, "") for k in minutes}
        kept = ("approval_mode", "approval_timeout_action", "claimed_timeout_action", "speak_seller_replies")
        values.update({k: patch[k] for k in kept if k in patch})
        values["handoff_triggers"] = patch["handoff_triggers"]
        return _again(request, db, seller, persona, tools, handoff=Section(values, errors))
    return _back(persona, "handoff-saved", "handoff-title")


def _keywords(raw: str) -> list[str]:
    return [k.strip() for k in re.split(r"[,\n]", raw) if k.strip()]


@router.post("/handoff/rules")
def add_rule(
    persona_id: str, request: Request, seller: Seller, db: PageDb, tools: Tools, form: PostedForm
) -> Response:
    """A rule of the seller's: words or a pattern, and the reason they are told. Checked with all the
    rules before it is saved (a pattern that could hang the answer stage is refused)."""
    form, persona = _posted(request, seller, db, persona_id, form)
    kind = "regex" if form.get("kind") == "regex" else "keywords"
    what, reason = form.text("what", limit=2000), form.text("reason", limit=1000)
    errors: dict[str, str] = {}
    if not what.strip():
        errors["what"] = "Enter the words to look for, or a pattern."
    elif kind == "regex" and len(what.strip()) > MAX_REGEX_CHARS:
        errors["what"] = f"Keep the pattern under {MAX_REGEX_CHARS} characters."
    elif kind == "keywords" and len(_keywords(what)) > MAX_KEYWORDS:
        errors["what"] = f"At most {MAX_KEYWORDS} words or phrases in one rule: add another rule for more."
    if not reason.strip():
        errors["reason"] = "Say why this needs you: it is what you will read when it happens."
    elif len(reason.strip()) > MAX_REASON_CHARS:
        errors["reason"] = f"Keep the reason under {MAX_REASON_CHARS} characters."
    if not errors:
        rule: dict[str, Any] = {"reason": reason.strip()}
        rule["regex" if kind == "regex" else "keywords"] = (
            what.strip() if kind == "regex" else _keywords(what)
        )
        current = list(HandoffSettings.of(persona.chat_settings).rules)
        try:
            _store(db, persona, validate_settings({"handoff_rules": [*current, rule]}))
        except SettingsError as exc:
            errors["what"] = seller_words(str(exc))
    if errors:
        section = Section({"kind": kind, "what": what, "reason": reason}, errors)
        return _again(request, db, seller, persona, tools, rules=section)
    return _back(persona, "rule-added", "rules-title")


@router.post("/handoff/rules/remove")
def remove_rule(
    persona_id: str, request: Request, seller: Seller, db: PageDb, tools: Tools, form: PostedForm
) -> Response:
    form, persona = _posted(request, seller, db, persona_id, form)
    key = form.text("rule", limit=40)
    current = list(HandoffSettings.of(persona.chat_settings).rules)
    left = [r for r in current if rule_key(r) != key]
    if len(left) == len(current):  # removed already (a second click, another tab)
        return _back(persona, "rule-gone", "rules-title")
    # Stored rules were checked when saved: the rest are kept as they are.
    _store(db, persona, {"handoff_rules": left})
    return _back(persona, "rule-removed", "rules-title")
