"""Home's checklist: how far a persona is from answering customers, read from what is stored."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import exists, func, or_, select
from sqlalchemy.orm import Session

from echome.channels.telegram import TOKEN_PROVIDER
from echome.db.models import ApiKey, Conversation, Message, Persona, PersonaMedia, PersonaProfile, Product


@dataclass(frozen=True)
class Step:
    key: str
    title: str
    done: bool
    detail: str  # what is there, or what doing the step gives
    action: str  # the button that goes to the step
    href: str


@dataclass(frozen=True)
class Checklist:
    steps: list[Step]

    @property
    def done(self) -> int:
        return sum(1 for s in self.steps if s.done)

    @property
    def total(self) -> int:
        return len(self.steps)

    @property
    def live(self) -> bool:
        return self.done == self.total

    @property
    def next_step(self) -> Step | None:
        return next((s for s in self.steps if not s.done), None)


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}{'' if n == 1 else 's'}"


def persona_checklist(db: Session, *, user_id: str, persona: Persona, base_url: str) -> Checklist:
    pid = persona.id
    recordings = (
        db.scalar(
            select(func.count())
            .select_from(PersonaMedia)
            .where(
                PersonaMedia.persona_id == pid,
                PersonaMedia.user_id == user_id,
                PersonaMedia.status == "ready",
            )
        )
        or 0
    )
    profile = db.scalar(
        select(PersonaProfile).where(PersonaProfile.persona_id == pid, PersonaProfile.user_id == user_id)
    )
    learned = bool(profile and (profile.auto_extracted or profile.manual_overrides))
    # Products of this persona's catalog and the seller's shared catalog (persona_id unset).
    products = (
        db.scalar(
            select(func.count())
            .select_from(Product)
            .where(Product.user_id == user_id, or_(Product.persona_id == pid, Product.persona_id.is_(None)))
        )
        or 0
    )
    telegram = db.scalar(
        select(
            exists().where(ApiKey.user_id == user_id, ApiKey.scope == pid, ApiKey.provider == TOKEN_PROVIDER)
        )
    )
    answered = db.scalar(
        select(
            exists()
            .where(Message.conversation_id == Conversation.id)
            .where(Conversation.persona_id == pid, Conversation.user_id == user_id)
            .where(Message.role == "assistant")
        )
    )

    if persona.voice_id:
        kind = "ElevenLabs voice" if persona.voice_provider == "elevenlabs" else "Local voice"
        voice_detail = f"{kind} ready, built from your recordings."
    elif recordings:
        voice_detail = f"{_plural(recordings, 'recording')} added. Confirm consent to build your voice."
    else:
        voice_detail = "Add a few minutes of you talking (YouTube links or files) to build your voice."
    if profile and profile.manual_overrides and not profile.auto_extracted:
        persona_detail = "Written by you. Add recordings so it can learn how you talk."
    elif learned:
        persona_detail = "Learned from how you talk. Review it and change anything."
    else:
        persona_detail = "Your tone, greetings and selling style, learned from your recordings."

    steps = [
        Step(
            "voice", "Your voice", bool(persona.voice_id), voice_detail, "Set up voice", f"{base_url}/voice"
        ),
        Step("persona", "Your persona", learned, persona_detail, "Review persona", f"{base_url}/persona"),
        Step(
            "catalog",
            "Your catalog",
            products > 0,
            f"{_plural(products, 'product')} your persona can answer about."
            if products
            else "Upload your product list (CSV, Excel, PDF or a shop export).",
            "Upload catalog",
            f"{base_url}/catalog",
        ),
        Step(
            "channel",
            "A channel connected",
            bool(telegram),
            "Telegram bot connected." if telegram else "Connect a Telegram bot so customers can reach you.",
            "Connect a channel",
            f"{base_url}/channels",
        ),
        Step(
            "test",
            "A first test answer",
            bool(answered),
            "Your persona has answered a question."
            if answered
            else "Ask a question as a customer would and check the answer.",
            "Open test chat",
            f"{base_url}/chat",
        ),
    ]
    return Checklist(steps)
