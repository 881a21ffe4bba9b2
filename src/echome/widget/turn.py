"""One web chat turn as server-sent events: the answer's text sentence by sentence, then each spoken
sentence's audio as soon as it is made.

The answer is made by `Answerer.answer` (the guardrail has checked it before any of it is shown), then
streamed as `text` events, one per sentence, and an `answer` event with the whole reply. Speech follows
sentence by sentence on the speech threads; each `audio` event carries the URL of that sentence's
audio, so the widget plays the first sentence while the next ones are still being made. Events:

    accepted   {}                                   the turn has started
    heard      {"text"}                             what a recorded question said (voice input only)
    text       {"index", "text"}                    one sentence of the reply (pieces join to the reply)
    answer     {"message_id", "text", "handed_off", "state", "audio_sentences"}
    audio      {"index", "url", "duration"}         one spoken sentence, ready to fetch
    audio_error {"detail"}                          no (more) speech for this reply; the text stands
    error      {"error", "detail"}                  no reply (the message could not be answered)
    done       {}

A visitor who leaves mid-reply cancels the sentences not yet started.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from echome.answer.pipeline import AnswerError
from echome.db.models import Message
from echome.db.session import transaction
from echome.media.audio import encode
from echome.storage.base import FileStorage
from echome.voice.sentences import speech_sentences, text_pieces
from echome.voice.speaker import CONTENT_TYPES, Format, PreparedVoice, SpeakError, Spoken, response_key
from echome.widget.context import WidgetContext
from echome.widget.personas import PublicPersona
from echome.widget.speech import SentenceAudio
from echome.widget.visitors import Visitor

log = logging.getLogger("echome.widget")
KEEP_ALIVE_SECONDS = 10.0  # a comment line while the answer is made, so proxies keep the stream open
VOICE_NOTE_PRIORITY = 1000  # the whole voice note is joined after every reply's sentences


def sse(event: str, data: dict[str, Any]) -> bytes:
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False, default=str)}\n\n".encode()


def audio_url(persona: PublicPersona, message_id: str, index: int) -> str:
    return f"/api/widget/{persona.ref}/audio/{message_id}/{index}"


def sentence_key(message_id: str, index: int) -> str:
    return f"{message_id}:{index}"


@dataclass(frozen=True)
class Turn:
    persona: PublicPersona
    visitor: Visitor
    question: str
    audio: Format | None  # the format the widget plays, or None for text only
    heard: str | None = None  # a recorded question's transcript
    transcript_of: str | None = None
    question_audio: str | None = None  # storage key of the visitor's recording


def handed_off(answer: Any) -> bool:
    """Whether the reply passed the conversation to the seller (a stage beside this one decides)."""
    return answer.mode == "handed-off" or bool(getattr(answer, "handoff", None))


def _answer(ctx: WidgetContext, turn: Turn) -> Any:
    # On a worker thread, the first call included: building the answer stage loads models.
    return ctx.answerer().answer(
        user_id=turn.persona.user_id,
        persona_id=turn.persona.id,
        question=turn.question,
        channel="web",
        client_ref=turn.visitor.client_ref,
        voice=False,
        transcript_of=turn.transcript_of,
        question_audio=turn.question_audio,
    )


async def turn_events(ctx: WidgetContext, turn: Turn) -> AsyncIterator[bytes]:
    yield sse("accepted", {})
    if turn.heard is not None:
        yield sse("heard", {"text": turn.heard})
    task = asyncio.ensure_future(run_in_threadpool(_answer, ctx, turn))
    try:
        while True:
            done, _ = await asyncio.wait({task}, timeout=KEEP_ALIVE_SECONDS)
            if done:
                break
            yield b": still thinking\n\n"
        answer = task.result()
    except AnswerError as exc:
        yield sse("error", {"error": "invalid_message", "detail": str(exc)})
        return
    except asyncio.CancelledError:
        task.cancel()
        raise
    except Exception:
        log.exception("web chat answer failed", extra={"persona_id": turn.persona.id})
        yield sse(
            "error", {"error": "internal_error", "detail": "Sorry, something went wrong. Please try again."}
        )
        return
    for index, piece in enumerate(text_pieces(answer.answer)):
        yield sse("text", {"index": index, "text": piece})
    sentences = speech_sentences(answer.spoken) if turn.audio and answer.spoken else []
    yield sse(
        "answer",
        {
            "message_id": answer.message_id,
            "text": answer.answer,
            "handed_off": handed_off(answer),
            "state": getattr(answer, "state", None) or "persona",  # who answers next: see the thread
            "audio_sentences": len(sentences),
        },
    )
    if sentences and turn.audio and answer.message_id:
        async for event in _speak(ctx, turn, answer.message_id, answer.language, sentences, turn.audio):
            yield event
    yield sse("done", {})


async def _speak(
    ctx: WidgetContext, turn: Turn, message_id: str, language: str, sentences: list[str], fmt: Format
) -> AsyncIterator[bytes]:
    persona = turn.persona
    try:
        voice: PreparedVoice = await run_in_threadpool(
            lambda: ctx.speaker().prepare(persona_id=persona.id, user_id=persona.user_id, language=language)
        )
    except SpeakError as exc:
        yield sse("audio_error", {"detail": str(exc)})
        return
    made: list[Spoken] = []
    pending = ctx.speech.submit(lambda s=sentences[0]: voice.say(s, fmt=fmt), priority=0)
    try:
        for index in range(len(sentences)):
            try:
                spoken = await asyncio.wrap_future(pending)
            except SpeakError as exc:
                yield sse("audio_error", {"detail": str(exc)})
                return
            except Exception:
                log.exception("web chat speech failed", extra={"persona_id": persona.id})
                yield sse("audio_error", {"detail": "the voice could not speak this reply"})
                return
            if index + 1 < len(sentences):  # the next sentence is made while this one is sent
                pending = ctx.speech.submit(
                    lambda s=sentences[index + 1]: voice.say(s, fmt=fmt), priority=index + 1
                )
            ctx.audio_cache.put(
                sentence_key(message_id, index),
                SentenceAudio(turn.visitor.id, persona.id, CONTENT_TYPES[fmt], spoken.audio),
            )
            made.append(spoken)
            yield sse(
                "audio",
                {"index": index, "url": audio_url(persona, message_id, index), "duration": spoken.duration},
            )
    except asyncio.CancelledError:
        pending.cancel()  # the visitor left: sentences not started are not made
        raise
    ctx.speech.submit(
        lambda: save_voice_note(ctx.sessions, ctx.storage, persona, message_id, made),
        priority=VOICE_NOTE_PRIORITY,
    )


def save_voice_note(
    sessions: sessionmaker[Session],
    storage: FileStorage,
    persona: PublicPersona,
    message_id: str,
    sentences: list[Spoken],
) -> str | None:
    """The reply's sentences joined into one OGG/Opus voice note, kept with the reply (as a Telegram
    reply's is), so the seller can hear what the visitor heard. None when the reply is gone."""
    parts = [s.samples for s in sentences if s.samples is not None and s.samples.size]
    rates = {s.sample_rate for s in sentences}
    if not parts or len(rates) != 1:
        return None
    rate = rates.pop()
    samples = np.concatenate(parts)
    key = storage.put(*response_key(persona.user_id, message_id), encode(samples, rate, codec="opus"))
    with transaction(sessions) as db:
        msg = db.get(Message, message_id)
        if msg is not None and msg.audio_ref is None:
            msg.audio_ref = key
            msg.tts_chars = sum(s.characters for s in sentences) or None
            msg.meta = {
                **(msg.meta or {}),
                "audio_duration": round(samples.size / rate, 2),
                "spoken_by": "sentence",
            }
            return key
    if msg is None:  # the visitor deleted the conversation meanwhile
        storage.delete(key)
    return None
