"""The widget's public API, `/api/widget/{persona}/...`: no seller token, so everything is checked.

Who may call: pages of the persona's allowed origins (and the server's own hosted page); requests
from pages of other sites are refused with a 403 and no CORS header. Who is who: a visitor token
(`X-Echome-Visitor`) from `POST /visitor`, good for one persona only; a visitor reads and writes only
their own conversation. How much: per address, per visitor, per message and per recording (see
`WidgetLimits`); a refusal is a 4xx with a message the widget shows.
"""

from __future__ import annotations

import logging
import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Header, Path, Query, Request
from fastapi.responses import Response, StreamingResponse
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from echome.answer.pipeline import MAX_QUESTION_CHARS
from echome.app.errors import ApiError, error_docs
from echome.storage.base import StorageError
from echome.widget import cors
from echome.widget.context import WidgetContext
from echome.widget.events import sentence_key
from echome.widget.origins import OriginError, normalise_origin, request_origin
from echome.widget.personas import PublicPersona, find_public_persona
from echome.widget.streamed_audio import stream_sentence
from echome.widget.thread import delete_thread, read_thread, visitor_message
from echome.widget.turn import Turn, turn_events
from echome.widget.visitors import HEADER, Visitor, VisitorRefused
from echome.widget.voice_input import RecordingRefused, check_type, extension_for, hear

log = logging.getLogger("echome.widget")
router = APIRouter(prefix="/api/widget", tags=["web chat"])
AUDIO_SCHEMA = {"type": "string", "format": "binary"}
EVENTS = {
    200: {
        "description": "Server-sent events: accepted, heard, text (one per sentence), answer, audio (one per "
        "spoken sentence), audio_error, error, done",
        "content": {"text/event-stream": {"schema": {"type": "string"}}},
    }
}


def get_widget(request: Request) -> WidgetContext:
    return request.app.state.widget  # type: ignore[no-any-return]


WidgetDep = Annotated[WidgetContext, Depends(get_widget)]
PersonaRef = Annotated[str, Path(min_length=1, max_length=200, description="The persona's id or slug")]


def _ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _limit(ctx: WidgetContext, key: str, limit: int, what: str, window: int = 60) -> None:
    if limit <= 0:
        return
    decision = ctx.ratelimiter.hit(key, limit=limit, window=window)
    if not decision.allowed:
        raise ApiError(429, what, headers={"Retry-After": str(decision.retry_after)})


def own_origins(request: Request, public_url: str | None) -> set[str]:
    """This server's own origins: the address the request came to and the configured public URL."""
    out = set()
    host = request.headers.get("host")
    for value in (f"{request.url.scheme}://{host}" if host else "", public_url or ""):
        try:
            out.add(normalise_origin(value.rstrip("/")))
        except OriginError:
            continue
    return out


def public_persona(request: Request, persona: PersonaRef, ctx: WidgetDep) -> PublicPersona:
    """The persona named in the path, if the calling page's site may use its chat."""
    with ctx.sessions() as db:
        found = find_public_persona(db, persona)
    if found is None:
        raise ApiError(404, "there is no such chat")
    origin = request_origin(request.headers.get("origin"))
    if origin is not None:
        if origin not in found.allowed_origins and origin not in own_origins(request, ctx.public_url):
            raise ApiError(
                403,
                "this site is not allowed to use this chat (the seller has not added it)",
                error="origin_not_allowed",
            )
        setattr(request.state, cors.CORS_STATE, origin)
    _limit(ctx, f"widget:ip:{_ip(request)}", ctx.limits.ip_per_minute, "too many requests from this address")
    return found


PersonaDep = Annotated[PublicPersona, Depends(public_persona)]


def current_visitor(
    persona: PersonaDep,
    ctx: WidgetDep,
    token: Annotated[
        str | None, Header(alias=HEADER, max_length=200, description="The token from POST /visitor")
    ] = None,
) -> Visitor:
    try:
        return ctx.tokens.check(persona.id, token)
    except VisitorRefused as exc:
        raise ApiError(401, str(exc), error="visitor_refused") from None


VisitorDep = Annotated[Visitor, Depends(current_visitor)]


def _reads(ctx: WidgetContext, persona: PublicPersona, visitor: Visitor) -> None:
    _limit(ctx, f"widget:read:{persona.id}:{visitor.id}", ctx.limits.reads_per_minute, "too many requests")


def _writes(ctx: WidgetContext, persona: PublicPersona, visitor: Visitor) -> None:
    _limit(
        ctx,
        f"widget:msg:{persona.id}:{visitor.id}",
        ctx.limits.messages_per_minute,
        "you are sending messages too quickly; wait a moment",
    )


# -- what the widget shows before the first message ----------------------------------------------
class ChatInfo(BaseModel):
    persona: str = Field(description="The persona's slug (or id): how URLs name this chat")
    name: str
    disclosure: str = Field(description="The AI disclosure line the widget shows")
    max_message_chars: int
    max_voice_seconds: int


@router.get(
    "/{persona}", summary="The chat's name and AI disclosure", responses=error_docs(403, 404, 422, 429)
)
def chat_info(persona: PersonaDep, ctx: WidgetDep) -> ChatInfo:
    return ChatInfo(
        persona=persona.ref,
        name=persona.name,
        disclosure=persona.disclosure(),
        max_message_chars=MAX_QUESTION_CHARS,
        max_voice_seconds=ctx.limits.max_voice_seconds,
    )


class VisitorOut(BaseModel):
    token: str = Field(description=f"Send it in {HEADER} with every other request of this chat")


@router.post(
    "/{persona}/visitor",
    status_code=201,
    summary="A new visitor token (a new conversation)",
    responses=error_docs(403, 404, 422, 429),
)
def new_visitor(request: Request, persona: PersonaDep, ctx: WidgetDep) -> VisitorOut:
    _limit(
        ctx,
        f"widget:new:{_ip(request)}",
        ctx.limits.visitors_per_ip_per_hour,
        "too many new conversations from this address",
        window=3600,
    )
    _visitor, token = ctx.tokens.issue(persona.id)
    return VisitorOut(token=token)


# -- the conversation ------------------------------------------------------------------------------
class ThreadMessage(BaseModel):
    id: str
    role: Literal["user", "assistant", "seller"]
    text: str
    at: str
    audio: str | None = Field(description="The reply's voice note (OGG/Opus), when it has one")


class ThreadOut(BaseModel):
    messages: list[ThreadMessage]
    state: str = Field(description="persona (the assistant answers), waiting (for the seller) or seller")
    cursor: str | None = Field(description="Pass as `after` to get only newer messages")


@router.get(
    "/{persona}/thread",
    summary="The visitor's conversation (or its messages after `after`)",
    responses=error_docs(401, 403, 404, 422, 429),
)
def get_thread(
    persona: PersonaDep,
    visitor: VisitorDep,
    ctx: WidgetDep,
    after: Annotated[str | None, Query(max_length=64, pattern=r"^[0-9a-f]{1,64}$")] = None,
) -> ThreadOut:
    _reads(ctx, persona, visitor)
    thread = read_thread(
        ctx.sessions,
        persona,
        visitor,
        after=after,
        audio_url=lambda m: f"/api/widget/{persona.ref}/audio/{m.id}",
    )
    return ThreadOut(messages=thread.messages, state=thread.state, cursor=thread.cursor)  # type: ignore[arg-type]


class Deleted(BaseModel):
    deleted: int = Field(description="Messages removed")


@router.delete(
    "/{persona}/thread",
    summary="Delete the visitor's conversation, with everything kept about it",
    responses=error_docs(401, 403, 404, 422, 429),
)
def remove_thread(persona: PersonaDep, visitor: VisitorDep, ctx: WidgetDep) -> Deleted:
    _writes(ctx, persona, visitor)
    count, message_ids = delete_thread(ctx.sessions, ctx.storage, persona, visitor)
    for message_id in message_ids:
        ctx.audio_cache.drop(f"{message_id}:")
    return Deleted(deleted=count)


# -- asking --------------------------------------------------------------------------------------
AudioFormat = Literal["mp3", "ogg", "wav", "none"]


class MessageIn(BaseModel):
    text: str = Field(min_length=1, max_length=4 * MAX_QUESTION_CHARS, description="The visitor's question")
    audio: AudioFormat = Field(default="mp3", description="Spoken reply format the browser plays, or none")


def _stream(ctx: WidgetContext, turn: Turn) -> StreamingResponse:
    return StreamingResponse(
        turn_events(ctx, turn),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


@router.post(
    "/{persona}/messages",
    summary="Ask; the answer streams back as server-sent events",
    response_class=Response,
    responses={**EVENTS, **error_docs(400, 401, 403, 404, 413, 422, 429)},
)
def post_message(body: MessageIn, persona: PersonaDep, visitor: VisitorDep, ctx: WidgetDep) -> Response:
    text = " ".join(body.text.split())
    if not text:
        raise ApiError(422, "the message is empty")
    if len(text) > MAX_QUESTION_CHARS:
        raise ApiError(422, f"the message is {len(text)} characters; at most {MAX_QUESTION_CHARS} are read")
    _writes(ctx, persona, visitor)
    fmt = None if body.audio == "none" else body.audio
    return _stream(ctx, Turn(persona, visitor, text, fmt))


@router.post(
    "/{persona}/voice",
    summary="Ask by voice (a recording as the body); the answer streams back as server-sent events",
    response_class=Response,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                t: {"schema": AUDIO_SCHEMA}
                for t in ("application/octet-stream", "audio/webm", "audio/ogg", "audio/mp4")
            },
        }
    },
    responses={**EVENTS, **error_docs(400, 401, 403, 404, 413, 415, 422, 429, 503)},
)
async def post_voice(
    request: Request,
    persona: PersonaDep,
    visitor: VisitorDep,
    ctx: WidgetDep,
    audio: Annotated[AudioFormat, Query(description="Spoken reply format, or none")] = "mp3",
) -> Response:
    try:
        check_type(request.headers.get("content-type"))
    except RecordingRefused as exc:
        raise ApiError(exc.status, str(exc)) from None
    length = request.headers.get("content-length")
    if length is not None and length.isdigit() and int(length) > ctx.limits.max_voice_bytes:
        raise ApiError(413, f"the recording is larger than {ctx.limits.max_voice_bytes // 1024 // 1024} MB")
    _writes(ctx, persona, visitor)
    data = bytearray()
    async for chunk in request.stream():
        data += chunk
        if len(data) > ctx.limits.max_voice_bytes:
            raise ApiError(
                413, f"the recording is larger than {ctx.limits.max_voice_bytes // 1024 // 1024} MB"
            )
    try:
        heard = await run_in_threadpool(
            lambda: hear(
                bytes(data),
                stt=ctx.stt(),  # loads the model on first use: on this worker thread
                max_seconds=ctx.limits.max_voice_seconds,
                languages=ctx.limits.languages,
                tmp_dir=ctx.tmp_dir,
            )
        )
    except RecordingRefused as exc:
        raise ApiError(exc.status, str(exc), error=exc.code) from None
    name = f"widget-{uuid.uuid4().hex}"
    ext = extension_for(request.headers.get("content-type"), bytes(data[:12]))
    try:
        key = ctx.storage.put("audio", persona.user_id, f"customer-notes/{name}.{ext}", bytes(data))
    except StorageError:  # keeping the recording must never cost the visitor their answer
        log.warning("web chat recording not kept", extra={"persona_id": persona.id})
        key = None
    fmt = None if audio == "none" else audio
    turn = Turn(persona, visitor, heard.text, fmt, heard=heard.text, transcript_of=name, question_audio=key)
    return _stream(ctx, turn)


# -- speech ------------------------------------------------------------------------------------------
@router.get(
    "/{persona}/audio/{message_id}/{index}",
    summary="One spoken sentence of a reply (while the reply is fresh)",
    response_class=Response,
    responses={
        200: {
            "description": "The sentence's audio (a cloud voice's is streamed as it is made)",
            "content": {t: {"schema": AUDIO_SCHEMA} for t in ("audio/mpeg", "audio/ogg", "audio/wav")},
        },
        **error_docs(401, 403, 404, 422, 429, 502),
    },
)
def sentence_audio(
    persona: PersonaDep,
    visitor: VisitorDep,
    ctx: WidgetDep,
    message_id: Annotated[str, Path(pattern=r"^[0-9a-f]{32}$")],
    index: Annotated[int, Path(ge=0, le=1000)],
) -> Response:
    _reads(ctx, persona, visitor)
    item = ctx.audio_cache.get(sentence_key(message_id, index))
    if item is None or item.visitor_id != visitor.id or item.persona_id != persona.id:
        raise ApiError(404, "no such audio (it is kept for a few minutes after the reply)")
    if item.to_stream:
        return stream_sentence(ctx, persona, message_id, index, item)
    if not item.audio:  # a streamed sentence the voice could not say
        raise ApiError(404, "no such audio (the voice could not speak this sentence)")
    return Response(
        item.audio, media_type=item.content_type, headers={"Cache-Control": "private, max-age=900"}
    )


@router.get(
    "/{persona}/audio/{message_id}",
    summary="A reply's whole voice note (OGG/Opus)",
    response_class=Response,
    responses={
        200: {"description": "The voice note", "content": {"audio/ogg": {"schema": AUDIO_SCHEMA}}},
        **error_docs(401, 403, 404, 422, 429),
    },
)
def voice_note(
    persona: PersonaDep,
    visitor: VisitorDep,
    ctx: WidgetDep,
    message_id: Annotated[str, Path(pattern=r"^[0-9a-f]{32}$")],
) -> Response:
    _reads(ctx, persona, visitor)
    msg = visitor_message(ctx.sessions, persona, visitor, message_id)
    if msg is None or msg.role == "user" or not msg.audio_ref:
        raise ApiError(404, "no such voice note")
    try:
        data = ctx.storage.get(msg.audio_ref)
    except StorageError:
        raise ApiError(404, "no such voice note") from None
    return Response(data, media_type="audio/ogg", headers={"Cache-Control": "private, max-age=3600"})


# -- CORS preflight ----------------------------------------------------------------------------------
@router.options("/{persona}", include_in_schema=False)
@router.options("/{persona}/{rest:path}", include_in_schema=False)
def preflight(request: Request, persona: str, ctx: WidgetDep, rest: str = "") -> Response:
    origin = request_origin(request.headers.get("origin"))
    if origin is None:
        raise ApiError(400, "a preflight request names its Origin")
    with ctx.sessions() as db:
        found = find_public_persona(db, persona[:200])
    if found is None:
        raise ApiError(404, "there is no such chat")
    if origin not in found.allowed_origins and origin not in own_origins(request, ctx.public_url):
        raise ApiError(403, "this site is not allowed to use this chat", error="origin_not_allowed")
    problem = cors.preflight_problem(
        request.headers.get("access-control-request-method"),
        request.headers.get("access-control-request-headers"),
    )
    if problem:
        raise ApiError(403, problem)
    return Response(status_code=204, headers=cors.preflight_headers(origin))
