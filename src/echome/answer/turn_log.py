"""The conversation log of one turn: the customer's message with the client's notes, the reply, and
the reply's facts once known (timings, speech, mode, guardrail)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session, sessionmaker

from echome.db.models import Client, Message
from echome.db.session import transaction

if TYPE_CHECKING:
    from echome.answer.pipeline import Answer


def record_question(
    sessions: sessionmaker[Session],
    *,
    user_id: str,
    conversation_id: str,
    client_id: str,
    question: str,
    notes: dict[str, Any],
    transcript_of: str | None = None,
    question_audio: str | None = None,
    recorded: str | None = None,
) -> str:
    """Store the customer's message (unless `recorded`, its id, is stored already) and the client's
    notes after it; returns the message id."""
    with transaction(sessions) as db:
        question_id = recorded
        if question_id is None:
            msg = Message(
                user_id=user_id,
                conversation_id=conversation_id,
                role="user",
                content=question,
                audio_ref=question_audio,
                meta={"transcribed_from": transcript_of} if transcript_of else {},
            )
            db.add(msg)
            db.flush()
            question_id = msg.id
        client = db.get(Client, client_id)
        if client is not None:
            client.notes = notes
            if notes.get("name") and not client.name:
                client.name = str(notes["name"])[:200]
        return question_id


def record_reply(
    sessions: sessionmaker[Session], *, user_id: str, conversation_id: str, result: Answer
) -> str:
    """Store the persona's reply; returns its id."""
    with transaction(sessions) as db:
        reply = Message(
            user_id=user_id,
            conversation_id=conversation_id,
            role="assistant",
            content=result.answer,
            citations=result.citations,
            timings={},
            tokens=sum(result.tokens.values()) or None,
            meta={},
        )
        db.add(reply)
        db.flush()
        return reply.id


def finish_log(sessions: sessionmaker[Session], result: Answer) -> None:
    """Timings and speech facts are known only now: complete the reply's record (keeping what the
    handoff part noted on it)."""
    if result.message_id is None:
        return
    with transaction(sessions) as db:
        msg = db.get(Message, result.message_id)
        if msg is None:
            return
        msg.timings = result.timings
        msg.tts_chars = result.tts_characters or None
        msg.audio_ref = result.audio_key
        msg.meta = {
            **(msg.meta or {}),
            "mode": result.mode,
            "guardrail": result.guardrail,
            "tokens": result.tokens,
            "llm_error": result.llm_error,
            "speech_error": result.speech_error,
            "audio_duration": result.audio_duration,
            "language": result.language,
            "voice_skipped": result.voice_skipped,
        }
