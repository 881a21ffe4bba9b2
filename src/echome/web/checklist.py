"""Home's checklist: how far a persona is from answering customers, read from what is stored."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session

from echome.channels.telegram import TOKEN_PROVIDER
from echome.db.models import ApiKey, Conversation, Message, Persona, PersonaMedia, PersonaProfile, Product
from echome.web.catalog_data import scope_of


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


def _catalog_detail(products: int, *, own: bool, unused_shared: int) -> str:
    if not products:
        return "Upload your product list (CSV, Excel, PDF or a shop export)."
    if not own:
        return f"{_plural(products, 'product')} of your shared catalog your persona can answer about."
    detail = f"{_plural(products, 'product')} of its own catalog your persona can answer about."
    if unused_shared:
        detail += (
            f" Your shared catalog ({_plural(unused_shared, 'product')}) is not used: a persona with a "
            "catalog of its own answers from that one only."
        )
    return detail


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
    auto = (profile.auto_extracted or {}) if profile else {}
    waiting = auto.get("awaiting_speaker") or []
    measured = any(k != "awaiting_speaker" for k in auto)
    learned = bool(profile and (measured or profile.manual_overrides))
    # The products the answer stage uses: the persona's own catalogs when it has any, else the
    # seller's shared ones (answer/evidence.py) — never both, so never their sum.
    scope = scope_of(db, user_id, pid)
    products = db.scalar(select(func.count()).select_from(Product).where(scope.condition(user_id))) or 0
    unused_shared = 0
    if scope.own:
        shared = Product.user_id == user_id, Product.persona_id.is_(None)
        unused_shared = db.scalar(select(func.count()).select_from(Product).where(*shared)) or 0
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
    if waiting and not measured:
        persona_detail = (
            f"{_plural(len(waiting), 'recording')} with several people talking: "
            "say which voice is yours so it can learn how you talk."
        )
    elif profile and profile.manual_overrides and not measured:
        persona_detail = "Written by you. Add recordings so it can learn how you talk."
    elif learned:
        persona_detail = "Learned from how you talk. Review it and change anything."
    else:
        persona_detail = "Your tone, greetings and selling style, learned from your recordings."

    steps = [
        Step(
            "voice", "Your voice", bool(persona.voice_id), voice_detail, "Set up voice", f"{base_url}/voice"
        ),
        Step(
            "persona",
            "Your persona",
            learned,
            persona_detail,
            "Choose your voice" if waiting and not measured else "Review persona",
            f"{base_url}/persona" + ("#speakers" if waiting and not measured else ""),
        ),
        Step(
            "catalog",
            "Your catalog",
            products > 0,
            _catalog_detail(products, own=scope.own, unused_shared=unused_shared),
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
