"""Conversations, the seller in the loop: "I'll answer", "Let the persona answer", the seller's own
reply and the persona's draft sent (as it is or edited) — each the very action the JSON API calls
(`handoff.actions`), never a copy of it — and the inbox's live feed.

The live feed (server-sent events, htmx's SSE extension) looks every `live_interval` seconds for the
desk's new events (`handoff.events.events_after`: handoffs, customer messages to the seller, claims,
replies, deliveries) and for any customer's new activity; only then does it read the inbox again, and
it sends only the parts that changed (the thread list, the open thread's messages, its handoff
state), each compared by a key the page was rendered with. A feed ends after `live_seconds`; the
browser opens it again with the keys it last got (`Last-Event-ID`), so nothing is sent twice."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Callable
from types import SimpleNamespace
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Request
from fastapi.responses import RedirectResponse, Response, StreamingResponse
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from echome.app.browser_auth import SignedIn
from echome.db.models import Client, Conversation, Persona
from echome.handoff.actions import MAX_REPLY_CHARS, ActionError
from echome.handoff.events import events_after
from echome.web.context import HandoffTools
from echome.web.deps import PageDb, PageError, Seller, Web, check_form, off_loop, persona_of, safe_next
from echome.web.form_once import NONCE_FIELD, form_once
from echome.web.forms import Form, PostedForm
from echome.web.handoff_view import activity_stamp, current_conversation, handoff_panel, messages_key
from echome.web.message_view import channel_label
from echome.web.render import ENV
from echome.web.routes_conversations import (
    PAGE,
    Filters,
    _conversation_ids,
    _filters,
    _shown,
    client_name,
    inbox_page,
    thread_items,
    thread_messages,
    threads_key,
)
from echome.web.shell import persona_url

router = APIRouter(prefix="/app/personas/{persona_id}/conversations", include_in_schema=False)

KEEP_ALIVE_SECONDS = 15.0
_KEYS = re.compile(r"^([0-9a-f]{0,12})\.([0-9a-f]{0,12})\.([0-9a-f]{0,12})(?:~(\d{1,10}))?$")


def handoff_tools(web: Web) -> HandoffTools:
    if web.handoff is None:
        raise PageError(503, "Replying is unavailable", "This Echo Me was started without its handoff desk.")
    return web.handoff


Tools = Annotated[HandoffTools, Depends(handoff_tools)]


def _not_found() -> PageError:
    return PageError(404, "Conversation not found", "There is no conversation with this address among yours.")


def _own(db: Session, user_id: str, persona: Persona, conversation_id: str) -> Conversation:
    conv = db.get(Conversation, conversation_id) if len(conversation_id) <= 64 else None
    if conv is None or conv.user_id != user_id or conv.persona_id != persona.id or conv.client_id is None:
        raise _not_found()
    return conv


def _thread_url(persona: Persona, client_id: str, done: str | None = None) -> str:
    return persona_url(persona, "/conversations") + Filters().query(c=client_id, done=done or "")


def _sent_back(
    request: Request, db: Session, seller: SignedIn, persona: Persona, client_id: str, **form: Any
) -> Response:
    """The inbox again with the form's text and its error beside it. htmx swaps only a success
    (2xx), so its requests get 200, and the address bar keeps the thread's address."""
    htmx = bool(request.headers.get("hx-request"))
    response = inbox_page(
        request, db, seller, persona, wanted=client_id, status_code=200 if htmx else 422, **form
    )
    if htmx:
        response.headers["HX-Push-Url"] = _thread_url(persona, client_id)
    return response


def _text_problem(text: str) -> str | None:
    if not text.strip():
        return "Write your reply first: it is empty."
    if len(text.strip()) > MAX_REPLY_CHARS:
        n = len(text.strip())
        return f"Keep it under {MAX_REPLY_CHARS:,} characters (this has {n:,}); send the rest next."
    return None


async def _act(call: Callable[..., Any], **kw: Any) -> Any:
    """An action in a worker thread (it writes to the database); another seller's is a 404 page."""
    try:
        return await run_in_threadpool(call, **kw)
    except ActionError as exc:
        if exc.status == 404:
            raise _not_found() from None
        raise


def _thread_of(db: Session, seller: SignedIn, persona_id: str, conversation_id: str) -> tuple[Persona, Any]:
    """The seller's persona and its conversation (a 404 page for anyone else's)."""
    persona = persona_of(db, seller.user.id, persona_id)
    return persona, _own(db, seller.user.id, persona, conversation_id)


@router.post("/{conversation_id}/claim")
async def claim(
    persona_id: str, conversation_id: str, request: Request, seller: Seller, db: PageDb, tools: Tools,
    form: PostedForm,
) -> Response:  # fmt: skip
    return await _state_change(
        request, seller, db, tools, form, persona_id, conversation_id, "claim", "claimed"
    )


@router.post("/{conversation_id}/release")
async def release(
    persona_id: str, conversation_id: str, request: Request, seller: Seller, db: PageDb, tools: Tools,
    form: PostedForm,
) -> Response:  # fmt: skip
    return await _state_change(
        request, seller, db, tools, form, persona_id, conversation_id, "release", "released"
    )


async def _state_change(
    request: Request, seller: SignedIn, db: Session, tools: HandoffTools, form: Form, persona_id: str,
    conversation_id: str, action: str, done: str,
) -> Response:  # fmt: skip
    """I'll answer (claim) or let the persona answer (release), then back to the thread."""
    check_form(request, seller, form.get("csrf_token"))
    persona, conv = await off_loop(db, lambda: _thread_of(db, seller, persona_id, conversation_id))
    client_id = str(conv.client_id)
    await _act(getattr(tools.actions(), action), user_id=seller.user.id, conversation_id=conv.id)
    return RedirectResponse(_thread_url(persona, client_id, done), status_code=303)


@router.post("/{conversation_id}/reply")
async def reply(
    persona_id: str,
    conversation_id: str,
    request: Request,
    seller: Seller,
    db: PageDb,
    web: Web,
    tools: Tools,
    form: PostedForm,
) -> Response:
    """The seller's own words to the customer; the conversation is the seller's from then on. Sent
    twice (a double click, a reload), it is sent once."""
    check_form(request, seller, form.get("csrf_token"))
    persona, conv = await off_loop(db, lambda: _thread_of(db, seller, persona_id, conversation_id))
    client_id, text = str(conv.client_id), form.text("text")
    async with form_once(
        web.form_receipts,
        user_id=seller.user.id,
        form="handoff-reply",
        nonce=form.get(NONCE_FIELD),
        idle=db.commit,
    ) as once:
        if once.earlier is not None:
            return RedirectResponse(safe_next(once.earlier.get("location")), status_code=303)
        problem = _text_problem(text)
        if problem:
            reply = {"text": text, "error": problem}
            return await off_loop(
                db, lambda: _sent_back(request, db, seller, persona, client_id, reply=reply)
            )
        try:
            await _act(tools.actions().reply, user_id=seller.user.id, conversation_id=conv.id, text=text)
        except ActionError as exc:  # the action's own check (its limits are the authority)
            reply = {"text": text, "error": str(exc)[:1].upper() + str(exc)[1:] + "."}
            return await off_loop(
                db, lambda: _sent_back(request, db, seller, persona, client_id, reply=reply)
            )
        location = _thread_url(persona, client_id, "replied")
        once.done({"location": location})
        return RedirectResponse(location, status_code=303)


@router.post("/{conversation_id}/send-draft")
async def send_draft(
    persona_id: str,
    conversation_id: str,
    request: Request,
    seller: Seller,
    db: PageDb,
    web: Web,
    tools: Tools,
    form: PostedForm,
) -> Response:
    """The persona's draft as it is, or the seller's version of it (`text`); the persona answers
    again. A draft already sent or replaced sends nothing."""
    check_form(request, seller, form.get("csrf_token"))
    persona, conv = await off_loop(db, lambda: _thread_of(db, seller, persona_id, conversation_id))
    client_id = str(conv.client_id)
    draft_id = form.text("draft_id", limit=64).strip() or None
    edited = form.text("text") if "text" in form else None
    async with form_once(
        web.form_receipts,
        user_id=seller.user.id,
        form="handoff-draft",
        nonce=form.get(NONCE_FIELD),
        idle=db.commit,
    ) as once:
        if once.earlier is not None:
            return RedirectResponse(safe_next(once.earlier.get("location")), status_code=303)
        problem = _text_problem(edited) if edited is not None else None
        if problem:
            edit = {"text": edited or "", "error": problem}
            return await off_loop(db, lambda: _sent_back(request, db, seller, persona, client_id, edit=edit))
        try:
            await _act(
                tools.actions().send_draft,
                user_id=seller.user.id,
                conversation_id=conv.id,
                draft_id=draft_id,
                text=edited,
            )
        except ActionError as exc:
            if exc.status == 409:  # sent or replaced meanwhile (another tab, the timeout, Telegram)
                return RedirectResponse(_thread_url(persona, client_id, "no-draft"), status_code=303)
            edit = {"text": edited or "", "error": str(exc)[:1].upper() + str(exc)[1:] + "."}
            return await off_loop(db, lambda: _sent_back(request, db, seller, persona, client_id, edit=edit))
        location = _thread_url(persona, client_id, "draft-sent")
        once.done({"location": location})
        return RedirectResponse(location, status_code=303)


# -- the live feed ------------------------------------------------------------------------------
def _sse(event: str, html: str, event_id: str) -> str:
    # Every line is a data line, blank ones too (a message's paragraphs); a lone CR would end one.
    lines = html.replace("\r\n", "\n").replace("\r", "\n").strip("\n").split("\n")
    return f"id: {event_id}\nevent: {event}\n" + "".join(f"data: {line}\n" for line in lines) + "\n"


class _Look:
    """One look at the inbox for the feed: cheap checks first, the parts only when something moved."""

    def __init__(
        self, web: Any, *, user_id: str, persona: Persona, client_id: str | None, page: dict[str, Any]
    ):
        self.web, self.user_id, self.persona, self.client_id, self.page = (
            web,
            user_id,
            persona,
            client_id,
            page,
        )
        self.pid = persona.id
        self.trigger: tuple[str, str] | None = None

    def __call__(self, seen: int) -> tuple[int, dict[str, tuple[str, str]]]:
        with self.web.sessions() as db:
            news = events_after(db, user_id=self.user_id, after=seen, persona_id=self.pid, limit=100)
            seen = news[-1]["id"] if news else seen
            ids = _conversation_ids(self.user_id, self.pid, self.client_id) if self.client_id else None
            trigger = (
                activity_stamp(db, user_id=self.user_id, persona_id=self.pid),
                messages_key(db, ids) if ids is not None else "",
            )
            if not news and trigger == self.trigger:
                return seen, {}
            self.trigger = trigger
            return seen, self._parts(db, ids)

    def _parts(self, db: Session, ids: Any) -> dict[str, tuple[str, str]]:
        page, filters, shown = self.page, self.page["filters"], self.page["shown"]
        items, total = thread_items(db, self.user_id, self.pid, filters, shown)
        selected = SimpleNamespace(id=self.client_id) if self.client_id else None
        ctx = {**page, "persona": self.persona, "selected": selected, "channel_label": channel_label}
        base = page["base"]
        ctx["more_href"] = base + filters.query(shown=str(shown + PAGE)) if total > shown else None
        threads = ENV.get_template("partials/inbox_threads.html").render(ctx, threads=items)
        key = threads_key(items, total)
        parts = {"threads": (key, threads), "count": (key, str(total))}
        if self.client_id is None:
            return parts
        client = db.get(Client, self.client_id)
        conv = current_conversation(db, user_id=self.user_id, persona_id=self.pid, client_id=self.client_id)
        panel = handoff_panel(db, conv)
        messages = thread_messages(db, self.user_id, self.pid, self.client_id)
        card = {"name": client_name(client) if client is not None else "Customer"}
        parts["messages"] = (
            messages_key(db, ids),
            ENV.get_template("partials/inbox_messages.html").render(ctx, messages=messages, card=card),
        )
        parts["status"] = (
            panel.key if panel else "",
            ENV.get_template("partials/handoff_panel.html").render(
                ctx, panel=panel, edit={}, max_reply=MAX_REPLY_CHARS
            ),
        )
        return parts


@router.get("/live")
def live(
    persona_id: str,
    request: Request,
    seller: Seller,
    db: PageDb,
    web: Web,
    tools: Tools,
    last_event_id: Annotated[str | None, Header(alias="Last-Event-ID", max_length=80)] = None,
) -> Response:
    """The inbox's live feed: the parts that changed, as HTML fragments named threads, count,
    messages and status."""
    persona = persona_of(db, seller.user.id, persona_id)
    uid, q = seller.user.id, request.query_params
    wanted = q.get("c", "")
    client = db.get(Client, wanted) if wanted and len(wanted) <= 64 else None
    client_id = (
        client.id
        if client is not None and client.user_id == uid and client.persona_id == persona.id
        else None
    )
    found = _KEYS.match(last_event_id or "") or _KEYS.match(f"{q.get('k', '')}~{q.get('after', '0')}"[:80])
    names = ("threads", "messages", "status")
    keys = dict(zip(names, found.groups()[:3], strict=True)) if found else {}
    keys["count"] = keys.get("threads", "")
    seen = int(found.group(4) or 0) if found else 0
    filters, shown = _filters(request), _shown(request)
    base = persona_url(persona, "/conversations")
    page = {
        "filters": filters,
        "shown": shown,
        "base": base,
        "csrf": seller.csrf,
        "thread_href": lambda cid, **kw: base + filters.query(c=cid, **kw),
    }
    look = _Look(web, user_id=uid, persona=persona, client_id=client_id, page=page)
    db.close()  # each look uses its own short session (SQLite: no lock held by the feed)

    async def stream() -> AsyncIterator[str]:
        nonlocal seen
        loop = asyncio.get_running_loop()
        deadline, idle = loop.time() + tools.live_seconds, 0.0
        yield "retry: 2000\n\n"
        while loop.time() < deadline:
            seen, parts = await run_in_threadpool(look, seen)
            changed = [(name, html) for name, (key, html) in parts.items() if keys.get(name) != key]
            for name, _ in changed:
                keys[name] = parts[name][0]
            if changed:
                idle = 0.0
                event_id = ".".join(keys.get(n, "") for n in names) + f"~{seen}"
                yield "".join(_sse(name, html, event_id) for name, html in changed)
            else:
                idle += tools.live_interval
                if idle >= KEEP_ALIVE_SECONDS:
                    idle = 0.0
                    yield ": keep-alive\n\n"
            if await request.is_disconnected():
                return
            await asyncio.sleep(tools.live_interval)

    return StreamingResponse(
        stream(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
