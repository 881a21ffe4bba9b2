"""One web chat turn as server-sent events: the answer's text sentence by sentence, then each spoken
sentence's audio as soon as it is made.

The answer is made by `Answerer.answer`. With the seller's LLM, each sentence is sent as a `text` event
the moment the model has written it and the guardrail has checked it; a composed reply (offline) or
whatever follows the streamed part (a handoff notice) is sent sentence by sentence once the answer is
complete. Nothing reaches the visitor unchecked. Then an `answer` event with the whole reply. Speech follows
sentence by sentence on the speech threads; each `audio` event carries the URL of that sentence's
audio, so the widget plays the first sentence while the next ones are still being made. Events:

    accepted   {}                                   the turn has started
    heard      {"text"}                             what a recorded question said (voice input only)
    text       {"index", "text"}                    one sentence of the reply (pieces join to the reply)
    answer     {"message_id", "text", "handed_off", "state", "audio_sentences"}
    audio      {"index", "url", "duration"}         one spoken sentence, ready to fetch (duration null:
                                                    a streamed voice, relayed as it is made)
    audio_error {"detail"}                          no (more) speech for this reply; the text stands
    error      {"error", "detail"}                  no reply (the message could not be answered)
    done       {}

A visitor who leaves mid-reply cancels the sentences not yet started.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

from starlette.concurrency import run_in_threadpool

from echome.answer.pipeline import AnswerError
from echome.voice.sentences import speech_sentences, text_pieces
from echome.voice.speaker import Format
from echome.widget.context import WidgetContext
from echome.widget.events import sse
from echome.widget.personas import PublicPersona
from echome.widget.spoken_reply import speak_sentences
from echome.widget.visitors import Visitor

log = logging.getLogger("echome.widget")
KEEP_ALIVE_SECONDS = 10.0  # a comment line while the answer is made, so proxies keep the stream open


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


def _answer(ctx: WidgetContext, turn: Turn, on_text: Callable[[str], None]) -> Any:
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
        on_text=on_text,
    )


def rest_of(reply: str, shown: str) -> str:
    """What of `reply` was not streamed yet (`shown`: the pieces already sent, joined). The answerer
    keeps what it streamed as the reply's start; should it not, the whole reply follows."""
    if reply.startswith(shown.rstrip()):
        return reply[len(shown.rstrip()) :]
    log.warning("a streamed reply changed after it was shown")
    return "\n\n" + reply


async def turn_events(ctx: WidgetContext, turn: Turn) -> AsyncIterator[bytes]:
    yield sse("accepted", {})
    if turn.heard is not None:
        yield sse("heard", {"text": turn.heard})
    loop = asyncio.get_running_loop()
    pieces: asyncio.Queue[str] = asyncio.Queue()

    def on_text(piece: str) -> None:  # on the answer's thread, as the model writes
        loop.call_soon_threadsafe(pieces.put_nowait, piece)

    task = asyncio.ensure_future(run_in_threadpool(_answer, ctx, turn, on_text))
    shown, index = "", 0
    try:
        while not task.done() or not pieces.empty():
            piece = asyncio.ensure_future(pieces.get())
            done, _ = await asyncio.wait(
                {task, piece}, timeout=KEEP_ALIVE_SECONDS, return_when=asyncio.FIRST_COMPLETED
            )
            if piece in done:
                yield sse("text", {"index": index, "text": piece.result()})
                shown, index = shown + piece.result(), index + 1
                continue
            piece.cancel()
            if not done:
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
    for offset, piece in enumerate(text_pieces(rest_of(answer.answer, shown))):
        yield sse("text", {"index": index + offset, "text": piece})
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
        async for event in speak_sentences(
            ctx, turn.persona, turn.visitor, answer.message_id, answer.language, sentences, turn.audio
        ):
            yield event
    yield sse("done", {})
