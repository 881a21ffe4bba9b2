"""A streamed sentence's audio request: the cloud voice's bytes relayed to the browser as they arrive.

`speak_sentences` puts a sentence of a streaming voice (ElevenLabs) in the sentence cache unsaid; the
browser's `GET .../audio/{reply}/{index}` lands here, on whichever web process, and asks the voice
for it. The first byte is waited for before answering, so a voice that fails outright is a clear 502
(after one more try when the failure was transient), not an empty 200. A stream that breaks off ends
the response early and cleanly: the browser plays what there was, the text reply is untouched.

What was relayed replaces the cache entry (`SentenceAudio.settled`), so a second request is served
from the cache and each sentence goes to the voice at most MAX_STREAMS times. When the last of a
reply's sentences is settled, the reply's voice note is made from them: the MP3s decoded and joined
into the same OGG/Opus note the other paths store (one format for the seller's page and Telegram;
decoding a few seconds of MP3 takes milliseconds, on the speech threads).

Each stream holds one worker thread of the server while it lasts (the voice client is synchronous);
the widget fetches one sentence at a time, so that is one per listening visitor.
"""

from __future__ import annotations

import io
import logging
import time
from collections.abc import AsyncIterator, Iterator

import anyio
from fastapi.responses import Response, StreamingResponse
from starlette.concurrency import iterate_in_threadpool, run_in_threadpool

from echome.app.errors import ApiError
from echome.media.audio import AudioError, load_audio
from echome.voice.speaker import Format, PreparedVoice, SpeakError, Spoken
from echome.widget.context import WidgetContext
from echome.widget.events import sentence_key
from echome.widget.personas import PublicPersona
from echome.widget.speech import SentenceAudio
from echome.widget.spoken_reply import VOICE_NOTE_PRIORITY, save_voice_note

log = logging.getLogger("echome.widget")
MAX_STREAMS = 2  # requests to the voice per sentence: one more after a transient failure
RETRY_PAUSE = 0.5  # seconds before that one more try
NOTE_RATE = 48_000  # the voice note is Opus: decode the MP3s at its rate
FORMATS: dict[str, Format] = {"audio/mpeg": "mp3", "audio/ogg": "ogg", "audio/wav": "wav"}


def stream_sentence(
    ctx: WidgetContext, persona: PublicPersona, message_id: str, index: int, item: SentenceAudio
) -> Response:
    """The response for a sentence still to be streamed (`item.to_stream`), its visitor checked by the
    caller. Blocks until the voice's first byte: call it on a worker thread."""
    key = sentence_key(message_id, index)
    fmt = FORMATS.get(item.content_type, "mp3")
    try:
        voice = ctx.speaker().prepare(persona_id=persona.id, user_id=persona.user_id, language=item.language)
        characters = len(voice.words(item.text or ""))
    except SpeakError as exc:
        settle(ctx, persona, message_id, key, item, b"", 0, None)
        raise ApiError(502, f"the voice could not speak this sentence: {exc}") from None
    while True:
        attempt = ctx.audio_cache.claim(key)
        if attempt > MAX_STREAMS:
            raise ApiError(404, "no such audio (this sentence was already sent)")
        try:
            chunks = voice.stream(item.text or "", fmt=fmt)
            if chunks is None:  # the persona's voice changed since the reply: say it whole
                spoken = voice.say(item.text or "", fmt=fmt)
                settle(ctx, persona, message_id, key, item, spoken.audio, spoken.characters, voice)
                return Response(
                    spoken.audio, media_type=item.content_type, headers={"Cache-Control": "no-store"}
                )
            first = next(chunks)
            break
        except (SpeakError, StopIteration) as exc:
            if isinstance(exc, SpeakError) and exc.transient and attempt < MAX_STREAMS:
                log.info("web chat speech stream failed; trying again", extra={"persona_id": persona.id})
                time.sleep(RETRY_PAUSE)
                continue
            settle(ctx, persona, message_id, key, item, b"", 0, None)
            raise ApiError(502, f"the voice could not speak this sentence: {exc or 'no audio'}") from None
    relay = _relay(ctx, persona, message_id, key, item, voice, characters, first, chunks)
    return StreamingResponse(
        _closing(relay),
        media_type=item.content_type,
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


def _relay(
    ctx: WidgetContext,
    persona: PublicPersona,
    message_id: str,
    key: str,
    item: SentenceAudio,
    voice: PreparedVoice,
    characters: int,
    first: bytes,
    chunks: Iterator[bytes],
) -> Iterator[bytes]:
    got = [first]
    try:
        yield first
        for chunk in chunks:
            got.append(chunk)
            yield chunk
    except SpeakError as exc:  # broke off: the response ends here, the browser plays what there was
        log.warning("web chat speech stream broke off: %s", exc, extra={"persona_id": persona.id})
    finally:
        close = getattr(chunks, "close", None)
        if close is not None:
            close()  # the visitor left mid-sentence: let go of the voice's connection
        settle(ctx, persona, message_id, key, item, b"".join(got), characters, voice)


async def _closing(relay: Iterator[bytes]) -> AsyncIterator[bytes]:
    """The relay, closed when the response ends however it ends (a visitor who leaves cancels it)."""
    try:
        async for chunk in iterate_in_threadpool(relay):
            yield chunk
    finally:
        with anyio.CancelScope(shield=True):
            await run_in_threadpool(getattr(relay, "close", lambda: None))


def settle(
    ctx: WidgetContext,
    persona: PublicPersona,
    message_id: str,
    key: str,
    item: SentenceAudio,
    audio: bytes,
    characters: int,
    voice: PreparedVoice | None,
) -> None:
    """Keep what was relayed in the sentence's place; the reply's voice note once all are settled."""
    if ctx.audio_cache.get(key) is None:
        return  # the visitor deleted the conversation meanwhile (or the entry expired)
    ctx.audio_cache.put(key, item.settled(audio, characters))
    entries = [ctx.audio_cache.get(sentence_key(message_id, i)) for i in range(item.sentences)]
    done = [e for e in entries if e is not None and not e.to_stream]
    if len(done) < item.sentences or ctx.audio_cache.claim(f"{message_id}:note") != 1:
        return
    provider = voice.provider if voice else "elevenlabs"
    voice_id = voice.voice_id if voice else ""
    ctx.speech.submit(
        lambda: save_voice_note(
            ctx.sessions,
            ctx.storage,
            persona,
            message_id,
            [decoded(e, provider, voice_id) for e in done],
            spoken_by="stream",
        ),
        priority=VOICE_NOTE_PRIORITY,
    )


def decoded(entry: SentenceAudio, provider: str, voice_id: str) -> Spoken:
    """A settled sentence's audio with its samples (none when nothing, or nothing readable, came)."""
    samples = None
    if entry.audio:
        try:
            samples = load_audio(io.BytesIO(entry.audio), sample_rate=NOTE_RATE)
        except AudioError:
            log.warning("web chat streamed sentence could not be decoded for the voice note")
    fmt = FORMATS.get(entry.content_type, "mp3")
    return Spoken(
        audio=entry.audio,
        format=fmt,
        provider=provider,
        voice_id=voice_id,
        characters=entry.characters,
        duration=round(samples.size / NOTE_RATE, 2) if samples is not None else 0.0,
        samples=samples,
        sample_rate=NOTE_RATE,
    )
