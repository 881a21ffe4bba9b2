"""Conversations: every customer thread of a persona as a three-pane inbox (threads → the thread →
the customer's card), and the voice notes of any message, tenant-checked.

The data is what `/api/clients` reads: clients (one per channel identity, with the notes the persona
keeps about them), their conversations and messages. Each thread shows who answers it (its newest
conversation's state: the persona, waiting for the seller, the seller) and why it was handed off.
Filters: channel, active today, "needs you" (handed off and waiting for the seller, or the persona
could not answer from the catalog and offered the seller: notes stage `needs_seller`) and "you're
answering". The seller's actions and the live feed are `routes_handoff`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from echome.app.browser_auth import SignedIn
from echome.db.models import Client, Conversation, Message, Persona
from echome.db.types import utcnow
from echome.handoff.actions import MAX_REPLY_CHARS
from echome.handoff.events import last_id
from echome.storage.base import StorageError
from echome.web.deps import PageDb, PageError, Seller, persona_of
from echome.web.handoff_view import (
    STATE_BADGES,
    current_conversation,
    handoff_panel,
    messages_key,
    newest_reason,
    newest_state,
    reason_words,
    short_key,
)
from echome.web.message_view import CHANNELS, STAGES, MessageView, channel_label, message_view
from echome.web.shell import persona_url, render_shell

router = APIRouter(prefix="/app/personas/{persona_id}", include_in_schema=False)

PAGE = 50  # threads listed at once; "Show more" adds as many
MAX_SHOWN = 1000
THREAD_MESSAGES = 200  # the newest messages of the open thread
PREVIEW = 90


def audio_url(persona: Persona | str, message_id: str) -> str:
    pid = persona if isinstance(persona, str) else persona.id
    return f"/app/personas/{pid}/messages/{message_id}/audio"


@dataclass(frozen=True)
class Filters:
    channel: str = ""
    today: bool = False
    needs: bool = False
    mine: bool = False  # the seller answers them

    @property
    def active(self) -> bool:
        return bool(self.channel or self.today or self.needs or self.mine)

    def query(self, **extra: str) -> str:
        parts = {
            "channel": self.channel,
            "today": "1" if self.today else "",
            "needs": "1" if self.needs else "",
            "mine": "1" if self.mine else "",
        }
        parts.update(extra)
        kept = {k: v for k, v in parts.items() if v}
        return ("?" + urlencode(kept)) if kept else ""


@dataclass(frozen=True)
class ThreadItem:
    client_id: str
    name: str
    channel: str
    stage: str | None
    updated_at: datetime
    preview: str
    preview_role: str | None
    voice: bool  # the last message has a voice note (or was one)
    state: str = "persona"  # who answers: "persona" | "waiting" | "seller"
    reason: str | None = None  # why it was handed off, in the seller's words

    @property
    def badge(self) -> tuple[str, str]:
        return STATE_BADGES.get(self.state, STATE_BADGES["persona"])


def client_name(c: Client | Any) -> str:
    notes = c.notes or {}
    named = notes.get("name") or c.name
    if named:
        return str(named)
    if c.channel == "test":
        return "You (test chat)"
    return f"{channel_label(c.channel)} customer {str(c.external_id)[-4:]}"


def _start_of_today() -> datetime:
    return datetime.combine(utcnow().date(), time.min, tzinfo=UTC)


def _threads(
    db: Session, user_id: str, persona_id: str, filters: Filters, shown: int
) -> tuple[list[Any], int]:
    """The first `shown` threads matching the filters, newest activity first, and how many match."""
    where = [Client.user_id == user_id, Client.persona_id == persona_id]
    if filters.channel:
        where.append(Client.channel == filters.channel)
    if filters.today:
        where.append(Client.updated_at >= _start_of_today())
    state = newest_state(persona_id)
    if filters.needs:
        where.append(or_(Client.notes["stage"].as_string() == "needs_seller", state == "waiting"))
    if filters.mine:
        where.append(state == "seller")
    total = db.scalar(select(func.count()).select_from(Client).where(*where)) or 0
    rows = db.execute(
        select(
            Client.id,
            Client.name,
            Client.channel,
            Client.external_id,
            Client.notes,
            Client.updated_at,
            state.label("state"),
            newest_reason(persona_id).label("reason"),
        )
        .where(*where)
        .order_by(Client.updated_at.desc(), Client.id)
        .limit(shown)
    ).all()
    return list(rows), int(total)


def _previews(db: Session, user_id: str, client_ids: list[str]) -> dict[str, Any]:
    """The newest message of each client (across its conversations), in one query."""
    if not client_ids:
        return {}
    ranked = (
        select(
            Conversation.client_id,
            Message.id,
            func.row_number()
            .over(
                partition_by=Conversation.client_id, order_by=(Message.created_at.desc(), Message.id.desc())
            )
            .label("n"),
        )
        .join(Message, Message.conversation_id == Conversation.id)
        # A draft waits for the seller: the customer was not sent it.
        .where(
            Conversation.user_id == user_id, Conversation.client_id.in_(client_ids), Message.role != "draft"
        )
        .subquery()
    )
    rows = db.execute(
        select(ranked.c.client_id, Message.role, Message.content, Message.audio_ref, Message.meta)
        .join(Message, Message.id == ranked.c.id)
        .where(ranked.c.n == 1)
    ).all()
    return {r.client_id: r for r in rows}


def _preview_text(text: str) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= PREVIEW else text[: PREVIEW - 1].rstrip() + "…"


def thread_items(
    db: Session, user_id: str, persona_id: str, filters: Filters, shown: int
) -> tuple[list[ThreadItem], int]:
    page, total = _threads(db, user_id, persona_id, filters, shown)
    last = _previews(db, user_id, [r.id for r in page])
    items = []
    for r in page:
        m = last.get(r.id)
        items.append(
            ThreadItem(
                client_id=r.id,
                name=client_name(r),
                channel=r.channel,
                stage=(r.notes or {}).get("stage"),
                updated_at=r.updated_at,
                preview=_preview_text(m.content) if m else "No messages yet",
                preview_role=m.role if m else None,
                voice=bool(m and (m.audio_ref or (m.meta or {}).get("transcribed_from"))),
                state=r.state or "persona",
                reason=reason_words(r.reason) if r.state in ("waiting", "seller") else None,
            )
        )
    return items, total


def _conversation_ids(user_id: str, persona_id: str, client_id: str) -> Any:
    return select(Conversation.id).where(
        Conversation.user_id == user_id,
        Conversation.client_id == client_id,
        Conversation.persona_id == persona_id,
    )


def thread_messages(db: Session, user_id: str, persona_id: str, client_id: str) -> list[MessageView]:
    """The thread as the customer saw it: their messages, the persona's and the seller's replies,
    notices; drafts are not part of it (the one waiting is shown with the seller's actions)."""
    conv_ids = _conversation_ids(user_id, persona_id, client_id)
    rows = db.scalars(
        select(Message)
        .where(Message.conversation_id.in_(conv_ids), Message.user_id == user_id, Message.role != "draft")
        .order_by(Message.created_at.desc(), Message.id.desc())
        .limit(THREAD_MESSAGES)
    ).all()
    return [message_view(m, audio_url=audio_url(persona_id, m.id)) for m in reversed(rows)]


def customer_card(c: Client) -> dict[str, Any]:
    notes = dict(c.notes or {})
    budget = notes.get("budget")
    budget_text = budget.get("text") if isinstance(budget, dict) else budget
    products = [p for p in notes.get("products_discussed") or [] if isinstance(p, dict)]
    return {
        "name": client_name(c),
        "channel": channel_label(c.channel),
        "since": c.created_at,
        "stage": STAGES.get(str(notes.get("stage") or ""), None),
        "needs_you": notes.get("stage") == "needs_seller",
        "preferences": [str(p) for p in notes.get("preferences") or []],
        "budget": str(budget_text) if budget_text else None,
        "objections": [str(o) for o in notes.get("objections") or []],
        "language": notes.get("language"),
        "reply_mode": {"voice": "Voice notes", "text": "Text", "mirror": "Like they write"}.get(
            str(notes.get("reply_mode") or "")
        ),
        "products": [
            {"name": str(p.get("name") or "A product"), "sku": p.get("sku")} for p in reversed(products)
        ],
    }


def _filters(request: Request) -> Filters:
    q = request.query_params
    channel = q.get("channel", "")
    return Filters(
        channel=channel if channel in CHANNELS else "",
        today=q.get("today") == "1",
        needs=q.get("needs") == "1",
        mine=q.get("mine") == "1",
    )


def _shown(request: Request) -> int:
    try:
        return max(PAGE, min(MAX_SHOWN, int(request.query_params.get("shown", PAGE))))
    except ValueError:
        return PAGE


# What an action on the open thread did (`?done=`): fixed texts, shown in the thread itself.
NOTICES = {
    "claimed": "You're answering this customer: {name} stays silent here until you let it answer.",
    "released": "{name} answers this customer again, starting with anything left unanswered.",
    "replied": "Your reply is on its way to the customer. {name} stays silent here until you let it answer.",
    "draft-sent": "The answer is on its way to the customer, and {name} answers again.",
    "no-draft": "That draft was already sent or replaced, so nothing was sent twice.",
}


def threads_key(items: list[ThreadItem], total: int) -> str:
    return short_key(total, *((t.client_id, t.state, t.preview, t.updated_at) for t in items))


def inbox_page(
    request: Request,
    db: Session,
    seller: SignedIn,
    persona: Persona,
    *,
    wanted: str = "",
    status_code: int = 200,
    reply: dict[str, str] | None = None,
    edit: dict[str, str] | None = None,
) -> Response:
    """The inbox with the thread `wanted` open (else the newest). `reply` / `edit`: a form sent back
    with its error ({"text", "error"}), shown next to its field."""
    uid = seller.user.id
    filters, shown = _filters(request), _shown(request)
    any_thread = db.scalar(
        select(Client.id).where(Client.user_id == uid, Client.persona_id == persona.id).limit(1)
    )
    items, total = thread_items(db, uid, persona.id, filters, shown) if any_thread else ([], 0)
    selected: Client | None = None
    if wanted:
        selected = db.get(Client, wanted) if len(wanted) <= 64 else None
        if selected is None or selected.user_id != uid or selected.persona_id != persona.id:
            raise PageError(
                404, "Conversation not found", "There is no conversation with this address among yours."
            )
    elif items:
        selected = db.get(Client, items[0].client_id)
    pane = request.query_params.get("pane", "")
    pane = pane if pane in ("card",) and selected else ("thread" if wanted else "list")
    base = persona_url(persona, "/conversations")
    conv = (
        current_conversation(db, user_id=uid, persona_id=persona.id, client_id=selected.id)
        if selected
        else None
    )
    panel = handoff_panel(db, conv)
    keys = ".".join(
        (
            threads_key(items, total),
            messages_key(db, _conversation_ids(uid, persona.id, selected.id)) if selected else "",
            panel.key if panel else "",
        )
    )
    live_query = {"k": keys, "after": str(last_id(db, user_id=uid))}
    if shown != PAGE:
        live_query["shown"] = str(shown)
    if selected:
        live_query["c"] = selected.id
    notice = NOTICES.get(request.query_params.get("done", ""), "").format(name=persona.name) or None
    return render_shell(
        request,
        db,
        seller,
        "pages/conversations.html",
        persona=persona,
        section="conversations",
        status_code=status_code,
        has_threads=bool(any_thread),
        threads=items,
        total=total,
        shown=shown,
        more_href=base + filters.query(shown=str(shown + PAGE)) if total > shown else None,
        filters=filters,
        channels=[(k, v) for k, v in CHANNELS.items()],
        stages=STAGES,
        selected=selected,
        messages=thread_messages(db, uid, persona.id, selected.id) if selected else [],
        card=customer_card(selected) if selected else None,
        panel=panel,
        max_reply=MAX_REPLY_CHARS,
        reply=reply or {},
        edit=edit or {},
        notice=notice,
        pane=pane,
        base=base,
        live_href=base + "/live" + filters.query(**live_query),
        thread_href=lambda cid, **kw: base + filters.query(c=cid, **kw),
        channel_label=channel_label,
        chat_href=persona_url(persona, "/chat"),
        channels_href=persona_url(persona, "/channels"),
    )


@router.get("/conversations")
def conversations_page(persona_id: str, request: Request, seller: Seller, db: PageDb) -> Response:
    persona = persona_of(db, seller.user.id, persona_id)
    return inbox_page(request, db, seller, persona, wanted=request.query_params.get("c", ""))


@router.get("/messages/{message_id}/audio")
def message_audio(persona_id: str, message_id: str, request: Request, seller: Seller, db: PageDb) -> Response:
    """A message's stored voice note (an answer's, or a customer's): the seller's own only."""
    persona = persona_of(db, seller.user.id, persona_id)
    msg = (
        db.scalar(
            select(Message)
            .join(Conversation, Conversation.id == Message.conversation_id)
            .where(
                Message.id == message_id,
                Message.user_id == seller.user.id,
                Conversation.persona_id == persona.id,
            )
        )
        if len(message_id) <= 64
        else None
    )
    missing = PageError(404, "Voice note not found", "There is no voice note with this address among yours.")
    if msg is None or not msg.audio_ref:
        raise missing
    web = request.app.state.web
    if web.chat is None:
        raise missing
    try:
        data = web.chat.storage.get(msg.audio_ref)
    except StorageError:
        raise missing from None
    media = "audio/ogg" if msg.audio_ref.endswith((".ogg", ".oga", ".opus")) else "application/octet-stream"
    return Response(data, media_type=media, headers={"Cache-Control": "private, max-age=3600"})
