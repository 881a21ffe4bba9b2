"""The seller's handoff desk as JSON (and a live feed): conversations waiting for the seller, claim,
release, reply, send the persona's draft; a persona's handoff settings; linking the seller's own
Telegram chat. The web app's inbox page is built on these; they never render HTML.

    GET  /api/handoff/conversations                 waiting for you / yours (filter by persona, state)
    GET  /api/handoff/conversations/{id}            one conversation with its messages and drafts
    POST /api/handoff/conversations/{id}/claim      "I'll answer"
    POST /api/handoff/conversations/{id}/release    "let the persona answer"
    POST /api/handoff/conversations/{id}/reply      your own reply, delivered on the customer's channel
    POST /api/handoff/conversations/{id}/send-draft the persona's draft, as it is or edited
    GET  /api/handoff/events                        what happened after `after` (JSON), or, with
                                                    `Accept: text/event-stream`, a live feed
    GET|PUT /api/personas/{id}/handoff/settings
    GET|POST|DELETE /api/personas/{id}/handoff/telegram-link
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import Response, StreamingResponse
from pydantic import BaseModel, Field
from sqlalchemy import func, select
from starlette.concurrency import run_in_threadpool

from echome.app.deps import CurrentUser, DbSession, Offset, ServicesDep
from echome.app.errors import ApiError, error_docs, not_found
from echome.app.routes.personas import get_persona
from echome.db.models import Conversation, Message
from echome.handoff.actions import ActionError, conversation_view, message_view
from echome.handoff.events import events_after, last_id
from echome.handoff.link import CODE_MINUTES, new_code, seller_chat, unlink
from echome.handoff.settings import HandoffSettings, SettingsError, validate_settings
from echome.handoff.state import pending_drafts, unanswered

router = APIRouter(tags=["handoff"])
MAX_TEXT = 4000
KEEP_ALIVE_SECONDS = 15.0
ConversationState = Literal["open", "waiting", "seller", "persona"]


class ReplyIn(BaseModel):
    text: str = Field(min_length=1, max_length=MAX_TEXT, description="Your reply to the customer")
    voice: bool | None = Field(
        default=None,
        description="Also speak it in the persona's voice (default: the persona's speak_seller_replies)",
    )


class SendDraftIn(BaseModel):
    draft_id: str | None = Field(default=None, max_length=32, description="Default: the newest waiting draft")
    text: str | None = Field(
        default=None, min_length=1, max_length=MAX_TEXT, description="Your edited version of the draft"
    )


class SettingsIn(BaseModel):
    approval_mode: Literal["off", "all"] | None = None
    approval_timeout_minutes: int | None = Field(default=None, ge=1, le=10080)
    approval_timeout_action: Literal["send_draft", "holding"] | None = None
    handoff_timeout_minutes: int | None = Field(default=None, ge=0, le=10080)
    claimed_timeout_minutes: int | None = Field(default=None, ge=0, le=10080)
    claimed_timeout_action: Literal["holding", "release"] | None = None
    handoff_triggers: list[str] | None = Field(default=None, max_length=20)
    handoff_rules: list[dict[str, Any]] | None = Field(default=None, max_length=50)
    speak_seller_replies: bool | None = None


def _act(call: Any, **kw: Any) -> Any:
    try:
        return call(**kw)
    except ActionError as exc:
        raise ApiError(exc.status, str(exc)) from None


def _own(db: Any, user_id: str, conversation_id: str) -> Conversation:
    conv = db.get(Conversation, conversation_id)
    if conv is None or conv.user_id != user_id:
        raise not_found("conversation")
    return conv


def _summary(db: Any, conv: Conversation) -> dict[str, Any]:
    drafts = pending_drafts(db, conv.id)
    waiting = unanswered(db, conv.id)
    last = db.scalars(
        select(Message)
        .where(Message.conversation_id == conv.id, Message.role == "user")
        .order_by(Message.created_at.desc(), Message.id.desc())
        .limit(1)
    ).first()
    return {
        **conversation_view(db, conv),
        "last_customer_message": (
            {"id": last.id, "text": last.content, "at": last.created_at.isoformat()} if last else None
        ),
        "unanswered": len(waiting),
        "draft": (
            {
                "id": drafts[0].id,
                "text": drafts[0].content,
                "reason": (drafts[0].meta or {}).get("reason"),
                "created_at": drafts[0].created_at.isoformat(),
            }
            if drafts
            else None
        ),
    }


# -- the inbox ----------------------------------------------------------------------------------
@router.get(
    "/api/handoff/conversations",
    summary="Conversations that need you (waiting) or that you answer (seller), newest change first",
    responses=error_docs(404, 409),
)
def list_conversations(
    user: CurrentUser,
    db: DbSession,
    persona_id: str | None = Query(default=None, max_length=200, description="A persona's id or name"),
    state: ConversationState = Query(default="open", description="open = waiting and seller"),
    limit: int = Query(default=50, ge=1, le=200),
    offset: Offset = 0,
) -> dict[str, Any]:
    states = ("waiting", "seller") if state == "open" else (state,)
    q = select(Conversation).where(Conversation.user_id == user.id, Conversation.state.in_(states))
    if persona_id:
        q = q.where(Conversation.persona_id == get_persona(db, user.id, persona_id).id)
    total = db.scalar(select(func.count()).select_from(q.subquery())) or 0
    rows = db.scalars(
        q.order_by(Conversation.state_changed_at.desc(), Conversation.id).limit(limit).offset(offset)
    ).all()
    return {"total": total, "conversations": [_summary(db, c) for c in rows]}


@router.get(
    "/api/handoff/conversations/{conversation_id}",
    summary="One conversation: its state, messages (drafts included) and the draft waiting",
    responses=error_docs(404),
)
def read_conversation(
    conversation_id: str,
    user: CurrentUser,
    db: DbSession,
    limit: int = Query(default=100, ge=1, le=500, description="The newest messages to include"),
) -> dict[str, Any]:
    conv = _own(db, user.id, conversation_id)
    rows = db.scalars(
        select(Message)
        .where(Message.conversation_id == conv.id)
        .order_by(Message.created_at.desc(), Message.id.desc())
        .limit(limit)
    ).all()
    messages = [
        {**message_view(m), "audio": f"/api/chat/audio/{m.id}" if m.audio_ref else None}
        for m in reversed(rows)
    ]
    return {**_summary(db, conv), "messages": messages}


@router.post(
    "/api/handoff/conversations/{conversation_id}/claim",
    summary="I'll answer: the persona stays silent in this conversation",
    responses=error_docs(404),
)
def claim(conversation_id: str, user: CurrentUser, services: ServicesDep) -> dict[str, Any]:
    return _act(services.handoff_actions.claim, user_id=user.id, conversation_id=conversation_id)  # type: ignore[no-any-return]


@router.post(
    "/api/handoff/conversations/{conversation_id}/release",
    summary="Let the persona answer again (it answers the messages nobody answered yet)",
    responses=error_docs(404),
)
def release(conversation_id: str, user: CurrentUser, services: ServicesDep) -> dict[str, Any]:
    return _act(services.handoff_actions.release, user_id=user.id, conversation_id=conversation_id)  # type: ignore[no-any-return]


@router.post(
    "/api/handoff/conversations/{conversation_id}/reply",
    summary="Your reply, delivered on the customer's channel; the conversation is yours afterwards",
    status_code=202,
    responses=error_docs(404, 422),
)
def reply(conversation_id: str, body: ReplyIn, user: CurrentUser, services: ServicesDep) -> dict[str, Any]:
    return _act(  # type: ignore[no-any-return]
        services.handoff_actions.reply,
        user_id=user.id,
        conversation_id=conversation_id,
        text=body.text,
        voice=body.voice,
    )


@router.post(
    "/api/handoff/conversations/{conversation_id}/send-draft",
    summary="Send the persona's waiting draft (or your edit of it); the persona answers again",
    status_code=202,
    responses=error_docs(404, 409, 422),
)
def send_draft(
    conversation_id: str, body: SendDraftIn, user: CurrentUser, services: ServicesDep
) -> dict[str, Any]:
    return _act(  # type: ignore[no-any-return]
        services.handoff_actions.send_draft,
        user_id=user.id,
        conversation_id=conversation_id,
        draft_id=body.draft_id,
        text=body.text,
    )


# -- the live feed ------------------------------------------------------------------------------
@router.get(
    "/api/handoff/events",
    summary="Desk events after `after`: JSON, or a live feed with Accept: text/event-stream",
    responses={200: {"content": {"application/json": {}, "text/event-stream": {}}}, **error_docs(404, 409)},
)
async def handoff_events(
    request: Request,
    user: CurrentUser,
    db: DbSession,
    services: ServicesDep,
    persona_id: str | None = Query(default=None, max_length=200, description="A persona's id or name"),
    after: int | None = Query(default=None, ge=0, le=2**31 - 1, description="The last event id you saw"),
    wait: int = Query(default=25, ge=1, le=60, description="Seconds the live feed stays open"),
    last_event_id: Annotated[str | None, Header(alias="Last-Event-ID", max_length=20)] = None,
) -> Response:
    user_id = user.id
    resume = int(last_event_id) if last_event_id and last_event_id.isdigit() else None
    start = resume if resume is not None else after

    def first_read() -> tuple[str | None, list[dict[str, Any]] | int]:
        pid = get_persona(db, user_id, persona_id).id if persona_id else None
        if "text/event-stream" not in request.headers.get("accept", ""):
            return pid, events_after(db, user_id=user_id, after=start or 0, persona_id=pid)
        return pid, start if start is not None else last_id(db, user_id=user_id)

    pid, found = await run_in_threadpool(first_read)
    db.close()  # each poll below uses its own short session (SQLite: no lock held by the stream)
    if isinstance(found, list):
        newest = found[-1]["id"] if found else (start or 0)
        return Response(json.dumps({"events": found, "last_id": newest}), media_type="application/json")
    first = found

    def poll(since: int) -> list[dict[str, Any]]:
        with services.sessions() as s:
            return events_after(s, user_id=user_id, after=since, persona_id=pid)

    async def stream() -> AsyncIterator[str]:
        seen, idle, interval = first, 0.0, 0.5
        deadline = asyncio.get_running_loop().time() + wait
        yield "retry: 1000\n\n"
        while asyncio.get_running_loop().time() < deadline:
            batch = await run_in_threadpool(poll, seen)
            for e in batch:
                seen = e["id"]
                yield f"id: {e['id']}\nevent: {e['kind']}\ndata: {json.dumps(e, default=str)}\n\n"
            idle = 0.0 if batch else idle + interval
            if idle >= KEEP_ALIVE_SECONDS:
                idle = 0.0
                yield ": keep-alive\n\n"
            if await request.is_disconnected():
                return
            await asyncio.sleep(interval)

    return StreamingResponse(
        stream(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


# -- a persona's settings and the seller's Telegram chat --------------------------------------------
@router.get(
    "/api/personas/{persona_id}/handoff/settings", summary="Handoff settings", responses=error_docs(404, 409)
)
def read_settings(persona_id: str, user: CurrentUser, db: DbSession) -> dict[str, Any]:
    return HandoffSettings.of(get_persona(db, user.id, persona_id).chat_settings).public()


@router.put(
    "/api/personas/{persona_id}/handoff/settings",
    summary="Change handoff settings (only the fields given); rules are checked before they are saved",
    responses=error_docs(404, 409, 422),
)
def write_settings(persona_id: str, body: SettingsIn, user: CurrentUser, db: DbSession) -> dict[str, Any]:
    persona = get_persona(db, user.id, persona_id)
    try:
        changes = validate_settings(body.model_dump(exclude_none=True))
    except SettingsError as exc:
        raise ApiError(422, str(exc)) from None
    persona.chat_settings = {**(persona.chat_settings or {}), **changes}
    db.commit()
    return HandoffSettings.of(persona.chat_settings).public()


def _link_state(persona: Any) -> dict[str, Any]:
    linked = seller_chat(persona)
    return {
        "linked": linked is not None,
        "name": (linked or {}).get("name"),
        "linked_at": (linked or {}).get("linked_at"),
    }


@router.get(
    "/api/personas/{persona_id}/handoff/telegram-link",
    summary="Whether your own Telegram chat receives this persona's handoffs",
    responses=error_docs(404, 409),
)
def read_link(persona_id: str, user: CurrentUser, db: DbSession) -> dict[str, Any]:
    return _link_state(get_persona(db, user.id, persona_id))


@router.post(
    "/api/personas/{persona_id}/handoff/telegram-link",
    summary="A one-time code: send `/start <code>` to the persona's bot from your own Telegram",
    status_code=201,
    responses=error_docs(404, 409),
)
def create_link(persona_id: str, user: CurrentUser, db: DbSession, services: ServicesDep) -> dict[str, Any]:
    persona = get_persona(db, user.id, persona_id)
    code, expires = new_code(db, persona)
    pid = persona.id
    db.commit()
    username = _bot_username(services, user.id, pid)
    return {
        "code": code,
        "command": f"/start {code}",
        "deep_link": f"https://t.me/{username}?start={code}" if username else None,
        "bot_username": username,
        "expires_at": expires.isoformat(),
        "valid_minutes": CODE_MINUTES,
    }


@router.delete(
    "/api/personas/{persona_id}/handoff/telegram-link",
    summary="Stop sending handoffs to your Telegram chat",
    responses=error_docs(404, 409),
)
def delete_link(persona_id: str, user: CurrentUser, db: DbSession) -> dict[str, Any]:
    persona = get_persona(db, user.id, persona_id)
    unlink(db, persona)
    db.commit()
    return _link_state(persona)


def _bot_username(services: Any, user_id: str, persona_id: str) -> str | None:
    """The bot's @username for a t.me link, when its token is stored and Telegram answers. A webhook
    set before handoffs existed delivered messages only: it is set again to deliver button taps too."""
    from echome.channels.telegram import TOKEN_PROVIDER
    from echome.channels.telegram.api import ALLOWED_UPDATES
    from echome.channels.telegram.connect import webhook_url
    from echome.providers.base import ProviderError

    token = services.models.key(user_id, TOKEN_PROVIDER, persona_id)
    if not token:
        return None
    public_url = services.settings.public_url

    async def ask() -> str | None:
        async with services.bot_api(token) as api:
            me = await asyncio.wait_for(api.get_me(), timeout=5)
            if public_url:
                hook, ours = (
                    await asyncio.wait_for(api.webhook_info(), timeout=5),
                    webhook_url(public_url, persona_id),
                )
                if hook.get("url") == ours and not set(ALLOWED_UPDATES) <= set(
                    hook.get("allowed_updates") or []
                ):
                    secret = services.telegram_inbox.webhook_secret(persona_id)
                    await asyncio.wait_for(api.set_webhook(ours, secret_token=secret), timeout=5)
            return me.get("username")

    try:
        return asyncio.run(ask())
    except (ProviderError, TimeoutError, OSError):
        return None
