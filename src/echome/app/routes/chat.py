"""`/api/chat` (ask a persona as a customer would) and `/api/clients` (who asked: notes, history).

A message names its customer with `client_id` (a client's id, or the caller's own identifier for
them, e.g. a web session): their conversation continues, memory and handoff included. A message
without one is a conversation of its own on the "api" channel: nobody else's history answers it, and
when it is handed to the seller only that conversation waits for them (the seller's reply lands in
it: `/api/clients/{client_id}`); pass the `client_id` the answer returns to continue it. (One shared
conversation for every such call would, once handed off, hold every later call for the seller.)
"""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Query
from fastapi.responses import Response
from pydantic import BaseModel, Field
from sqlalchemy import func, select

from echome.answer.pipeline import AnswerError
from echome.app.deps import CurrentUser, DbSession, Offset, ServicesDep
from echome.app.errors import ApiError, error_docs, not_found
from echome.app.routes.personas import get_persona
from echome.db.models import Client, Conversation, Message
from echome.storage.base import StorageError

router = APIRouter(tags=["chat"])
AUDIO = {"type": "string", "format": "binary"}


class ChatIn(BaseModel):
    persona_id: str = Field(min_length=1, max_length=200, description="The persona's id or name")
    message: str = Field(min_length=1, max_length=2000)
    client_id: str | None = Field(
        default=None,
        max_length=320,
        description="An existing client's id, or your own identifier for this customer (web session, "
        "e-mail). Without it the message starts a new conversation of its own; send the client_id of the "
        "answer to continue that one",
    )
    client_name: str | None = Field(default=None, max_length=200)
    voice: bool = Field(default=False, description="Also speak the answer (OGG/Opus voice note)")


def resolve_client(db: Any, user_id: str, ref: str | None, default_channel: str) -> tuple[str, str]:
    """(channel, external id) for a client reference: an existing client's id, or an identity on
    `default_channel` (so a web page can keep one customer's conversation with its own id)."""
    if ref:
        client = db.get(Client, ref)
        if client is not None and client.user_id == user_id:
            return client.channel, client.external_id
        return default_channel, ref
    return default_channel, f"{default_channel}:{user_id}"


@router.post(
    "/api/chat",
    summary="Ask a persona a question; the answer has citations and optional speech",
    responses=error_docs(404, 409),
)
def chat(body: ChatIn, user: CurrentUser, db: DbSession, services: ServicesDep) -> dict[str, Any]:
    """The persona's answer to one customer message. With `client_id`, that customer's conversation
    continues; without it, the message is a new one-off conversation (send the returned `client_id`
    to continue it), so a conversation handed to you never holds unrelated calls."""
    persona = get_persona(db, user.id, body.persona_id)
    if body.client_id:
        channel, external = resolve_client(db, user.id, body.client_id, "web")
    else:  # no customer named: a one-off conversation (see the module's docstring)
        channel, external = "api", f"api:{uuid.uuid4().hex}"
    db.close()  # the pipeline opens its own sessions; keep none idle across a model call
    try:
        result = services.answerer.answer(
            user_id=user.id,
            persona_id=persona.id,
            question=body.message,
            channel=channel,
            client_ref=external,
            client_name=body.client_name,
            voice=body.voice,
        )
    except AnswerError as exc:
        raise ApiError(422, str(exc)) from None
    return {
        "answer": result.answer,
        "citations": [{k: v for k, v in c.items() if k != "score"} for c in result.citations],
        "audio": f"/api/chat/audio/{result.message_id}" if result.audio_key else None,
        "audio_duration": result.audio_duration,
        "speech_error": result.speech_error,
        "mode": result.mode,
        "timings": result.timings,
        "client_id": result.client_id,
        "conversation_id": result.conversation_id,
        "message_id": result.message_id,
        "guardrail": result.guardrail,
        # Set when the seller has the conversation (handed off now or earlier): `answer` is then
        # what the customer is told, and the persona's draft waits for the seller.
        "handoff": result.handoff,
    }


@router.get(
    "/api/chat/audio/{message_id}",
    summary="The voice note of an answer (OGG/Opus)",
    response_class=Response,
    responses={200: {"description": "The voice note", "content": {"audio/ogg": {"schema": AUDIO}}}},
)
def chat_audio(message_id: str, user: CurrentUser, db: DbSession, services: ServicesDep) -> Response:
    msg = db.get(Message, message_id)
    if msg is None or msg.user_id != user.id or not msg.audio_ref:
        raise not_found("audio")
    try:
        data = services.storage.get(msg.audio_ref)
    except StorageError:
        raise not_found("audio") from None
    return Response(data, media_type="audio/ogg")


def _client_view(c: Client, messages: int | None = None) -> dict[str, Any]:
    notes = dict(c.notes or {})
    return {
        "id": c.id,
        "persona_id": c.persona_id,
        "channel": c.channel,
        "external_id": c.external_id,
        "name": notes.get("name") or c.name,
        "stage": notes.get("stage"),
        "reply_mode": notes.get("reply_mode"),
        "notes": notes,
        "messages": messages,
        "created_at": c.created_at,
        "updated_at": c.updated_at,
    }


@router.get("/api/clients", summary="Your customers, most recent first", responses=error_docs(404, 409))
def list_clients(
    user: CurrentUser,
    db: DbSession,
    persona_id: str | None = Query(default=None, max_length=200, description="A persona's id or name"),
    limit: int = Query(default=100, ge=1, le=500),
    offset: Offset = 0,
) -> list[dict[str, Any]]:
    q = select(Client).where(Client.user_id == user.id)
    if persona_id:
        q = q.where(Client.persona_id == get_persona(db, user.id, persona_id).id)
    rows = db.scalars(q.order_by(Client.updated_at.desc(), Client.id).limit(limit).offset(offset)).all()
    counts = dict(
        db.execute(
            select(Conversation.client_id, func.count(Message.id))
            .join(Message, Message.conversation_id == Conversation.id)
            .where(Conversation.client_id.in_([c.id for c in rows]))
            .group_by(Conversation.client_id)
        ).all()
    )
    return [_client_view(c, counts.get(c.id, 0)) for c in rows]


@router.get("/api/clients/{client_id}", summary="One customer: notes and conversation history")
def read_client(
    client_id: str,
    user: CurrentUser,
    db: DbSession,
    limit: int = Query(default=200, ge=1, le=1000, description="The newest messages to include"),
) -> dict[str, Any]:
    client = db.get(Client, client_id)
    if client is None or client.user_id != user.id:
        raise not_found("client")
    convs = db.scalars(
        select(Conversation).where(Conversation.client_id == client.id).order_by(Conversation.created_at)
    ).all()
    msgs = db.scalars(
        select(Message)
        .where(Message.conversation_id.in_([c.id for c in convs]))
        .order_by(Message.created_at.desc(), Message.id.desc())
        .limit(limit)
    ).all()
    history = [
        {
            "id": m.id,
            "conversation_id": m.conversation_id,
            "role": m.role,
            "content": m.content,
            "citations": [
                {k: c.get(k) for k in ("sku", "name", "source", "page")} for c in m.citations or []
            ],
            "timings": m.timings,
            "tokens": m.tokens,
            "tts_chars": m.tts_chars,
            "audio": f"/api/chat/audio/{m.id}" if m.audio_ref else None,
            "meta": m.meta,
            "created_at": m.created_at,
        }
        for m in reversed(msgs)
    ]
    return {**_client_view(client, len(history)), "conversations": [c.id for c in convs], "history": history}
