"""The seller's verdict on an answer: thumbs up or down, an optional comment and an optional better
answer, kept per answer (rating again replaces the earlier verdict) for evaluating the persona."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from echome.db.models import AnswerFeedback, Conversation, Message

RATINGS = ("up", "down")
MAX_COMMENT = 2000
MAX_CORRECTED = 4000


class FeedbackError(ValueError):
    """The verdict cannot be kept: `field` says which input is wrong ("" for the answer itself)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class Verdict:
    rating: str
    comment: str | None = None
    corrected_answer: str | None = None


def rated_answer(db: Session, *, user_id: str, persona_id: str, message_id: str) -> Message | None:
    """The persona's answer `message_id`, if it is one of this seller's answers by this persona."""
    if len(message_id) > 64:
        return None
    return db.scalar(
        select(Message)
        .join(Conversation, Conversation.id == Message.conversation_id)
        .where(
            Message.id == message_id,
            Message.user_id == user_id,
            Message.role == "assistant",
            Conversation.persona_id == persona_id,
        )
    )


def check_verdict(rating: str, comment: str, corrected: str) -> Verdict:
    rating = rating.strip().lower()
    if rating not in RATINGS:
        raise FeedbackError("rating", "Choose “Good answer” or “Needs work”.")
    comment, corrected = comment.strip(), corrected.strip()
    if len(comment) > MAX_COMMENT:
        raise FeedbackError("comment", f"Keep the comment under {MAX_COMMENT:,} characters.")
    if len(corrected) > MAX_CORRECTED:
        raise FeedbackError("corrected", f"Keep the better answer under {MAX_CORRECTED:,} characters.")
    return Verdict(rating, comment or None, corrected or None)


def feedback_for(db: Session, user_id: str, message_ids: list[str]) -> dict[str, AnswerFeedback]:
    if not message_ids:
        return {}
    rows = db.scalars(
        select(AnswerFeedback).where(
            AnswerFeedback.user_id == user_id, AnswerFeedback.message_id.in_(message_ids)
        )
    )
    return {f.message_id: f for f in rows}


def record_feedback(
    db: Session, *, user_id: str, persona_id: str, message_id: str, verdict: Verdict
) -> AnswerFeedback:
    """Keep the verdict on the answer (replacing an earlier one). The caller commits."""
    if rated_answer(db, user_id=user_id, persona_id=persona_id, message_id=message_id) is None:
        raise FeedbackError("", "This answer is not one of your persona's.")
    row = feedback_for(db, user_id, [message_id]).get(message_id)
    if row is None:
        row = AnswerFeedback(user_id=user_id, persona_id=persona_id, message_id=message_id, rating="up")
        db.add(row)
    row.rating = verdict.rating
    row.comment = verdict.comment
    row.corrected_answer = verdict.corrected_answer
    try:
        db.flush()
    except IntegrityError:  # the same verdict sent twice at once: the other request's row stands
        db.rollback()
        row = feedback_for(db, user_id, [message_id])[message_id]
        row.rating, row.comment, row.corrected_answer = (
            verdict.rating,
            verdict.comment,
            verdict.corrected_answer,
        )
        db.flush()
    return row
