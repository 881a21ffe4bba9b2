"""A web chat reply spoken sentence by sentence (`speak_sentences`: `audio` events as each sentence's
audio is ready), and the whole reply kept as one voice note afterwards (`save_voice_note`).

A voice that streams in the widget's format (ElevenLabs, MP3) is not made here: every sentence is put
in the sentence cache to be streamed and its `audio` event (duration null) sent at once; the browser's
request for it relays the voice's bytes as they come (`streamed_audio`), which also keeps the voice
note once every sentence has been sent. The local voice makes each sentence whole, as before."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator

import numpy as np
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from echome.db.models import Message
from echome.db.session import transaction
from echome.media.audio import encode
from echome.storage.base import FileStorage
from echome.voice.speaker import CONTENT_TYPES, Format, PreparedVoice, SpeakError, Spoken, response_key
from echome.widget.context import WidgetContext
from echome.widget.events import audio_url, sentence_key, sse
from echome.widget.personas import PublicPersona
from echome.widget.speech import SentenceAudio
from echome.widget.visitors import Visitor

log = logging.getLogger("echome.widget")
VOICE_NOTE_PRIORITY = 1000  # the whole voice note is joined after every reply's sentences


async def speak_sentences(
    ctx: WidgetContext,
    persona: PublicPersona,
    visitor: Visitor,
    message_id: str,
    language: str,
    sentences: list[str],
    fmt: Format,
) -> AsyncIterator[bytes]:
    try:
        voice: PreparedVoice = await run_in_threadpool(
            lambda: ctx.speaker().prepare(persona_id=persona.id, user_id=persona.user_id, language=language)
        )
    except SpeakError as exc:
        yield sse("audio_error", {"detail": str(exc)})
        return
    if voice.can_stream(fmt):
        async for event in _to_stream(ctx, persona, visitor, message_id, language, sentences, fmt, voice):
            yield event
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
                SentenceAudio(visitor.id, persona.id, CONTENT_TYPES[fmt], spoken.audio),
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


async def _to_stream(
    ctx: WidgetContext,
    persona: PublicPersona,
    visitor: Visitor,
    message_id: str,
    language: str,
    sentences: list[str],
    fmt: Format,
    voice: PreparedVoice,
) -> AsyncIterator[bytes]:
    said, problem = await run_in_threadpool(_speakable, voice, sentences)
    for index, sentence in enumerate(said):
        ctx.audio_cache.put(
            sentence_key(message_id, index),
            SentenceAudio(
                visitor.id,
                persona.id,
                CONTENT_TYPES[fmt],
                b"",
                text=sentence,
                language=language,
                sentences=len(said),
            ),
        )
        yield sse("audio", {"index": index, "url": audio_url(persona, message_id, index), "duration": None})
    if problem:
        yield sse("audio_error", {"detail": problem})


def _speakable(voice: PreparedVoice, sentences: list[str]) -> tuple[list[str], str | None]:
    """The sentences up to the first one the voice could not say, and why it could not (as `say`
    would refuse it): the reply's speech stops there, as it does when a sentence fails to be made."""
    for index, sentence in enumerate(sentences):
        try:
            voice.words(sentence)
        except SpeakError as exc:
            return sentences[:index], str(exc)
    return sentences, None


def save_voice_note(
    sessions: sessionmaker[Session],
    storage: FileStorage,
    persona: PublicPersona,
    message_id: str,
    sentences: list[Spoken],
    *,
    spoken_by: str = "sentence",
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
                "spoken_by": spoken_by,
            }
            return key
    if msg is None:  # the visitor deleted the conversation meanwhile
        storage.delete(key)
    return None
