"""One customer turn: persona → client context → retrieve + rerank → LLM or grounded composer →
guardrail → text with citations → optional speech → conversation log.

`Answerer.answer` is what `POST /api/chat`, `echome ask` and every channel call. With a seller LLM key
the model writes the draft; without one (or when the model fails after its retries) the grounded
composer does. Either way the guardrail checks the draft against the catalog before it is returned.

With a handoff part (`answer.handoff_port`), a conversation handed to the seller is not answered
(mode "handed-off": the message is recorded, the seller told, the customer gets at most a short
acknowledgement), and a checked draft may be handed off instead of sent (`Answer.handoff`).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from echome.answer import memory
from echome.answer.asks import follow_up, tier_stated
from echome.answer.composer import compose
from echome.answer.evidence import Evidence, EvidenceFinder
from echome.answer.guardrail import Check, Support, check_draft, codes_in, numbers_in, support_for
from echome.answer.handoff_port import CustomerTurn, DraftFacts, HandoffPart
from echome.answer.llm_draft import stream_draft, write_draft
from echome.answer.prompt import answer_messages
from echome.answer.turn_log import finish_log, record_question, record_reply
from echome.db.models import Persona, Product
from echome.db.session import transaction
from echome.language import detect_language
from echome.persona.manner import Manner
from echome.persona.profile import merge
from echome.providers.base import ChatModel, ModelsForSeller
from echome.voice.speaker import SavedAudio
from echome.voice.spoken_text import spoken_part

log = logging.getLogger("echome.answer")
MAX_QUESTION_CHARS = 2000
_AUTO = object()


class AnswerError(ValueError):
    """Bad input (empty question, unknown persona): the caller shows the message."""


class ReplySpeaker(Protocol):
    """Speaks a reply as a stored voice note (voice.speaker.Speaker)."""

    def can_speak(self, persona_id: str, user_id: str, language: str) -> bool: ...

    def save_reply(
        self, *, persona_id: str, user_id: str, text: str, message_id: str, language: str | None = None
    ) -> SavedAudio: ...


@dataclass
class Answer:
    answer: str
    citations: list[dict[str, Any]]
    spoken: str
    audio_key: str | None = None
    audio_duration: float | None = None
    mode: str = "composer"  # "llm" | "composer" | "no-evidence" | "handed-off" (the seller has it)
    timings: dict[str, float] = field(default_factory=dict)
    tokens: dict[str, int] = field(default_factory=dict)
    tts_characters: int = 0
    guardrail: dict[str, Any] = field(default_factory=dict)
    client_id: str | None = None
    conversation_id: str | None = None
    message_id: str | None = None
    notes: dict[str, Any] = field(default_factory=dict)
    speech_error: str | None = None
    llm_error: str | None = None
    language: str = "en"  # the customer's, which the reply is in
    voice_skipped: str | None = None  # why no voice note was made although one was asked for
    # Set when the seller has the conversation (`HandoffOutcome.as_dict()`: text, state, reason,
    # reason_text, message_id, draft_id, acknowledged); `answer` is then what the customer is told
    # ("" = nothing is sent).
    handoff: dict[str, Any] | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class _Context:
    user_id: str
    persona_id: str
    persona_name: str
    profile: dict[str, Any]
    client_id: str
    client_name: str | None
    notes: dict[str, Any]
    conversation_id: str
    history: list[tuple[str, str]]
    turn: int
    state: str = "persona"


def _load(
    sessions: sessionmaker[Session],
    *,
    user_id: str,
    persona_id: str,
    channel: str,
    client_ref: str,
    client_name: str | None,
) -> _Context:
    with transaction(sessions) as db:
        persona = db.get(Persona, persona_id)
        if persona is None or persona.user_id != user_id:
            raise AnswerError("persona not found")
        prof = persona.profile
        profile = merge(prof.auto_extracted or {}, prof.manual_overrides or {}) if prof else {}
        client = memory.client_for(
            db,
            user_id=user_id,
            persona_id=persona_id,
            channel=channel,
            external_id=client_ref,
            name=client_name,
        )
        conv = memory.conversation_for(db, client, persona_id=persona_id)
        hist = memory.history(db, conv.id)
        notes = dict(client.notes or {})
        return _Context(
            user_id=user_id,
            persona_id=persona_id,
            persona_name=persona.name,
            profile=profile,
            client_id=client.id,
            client_name=notes.get("name") or client.name,
            notes=notes,
            conversation_id=conv.id,
            history=hist,
            turn=sum(1 for role, _ in hist if role == "assistant"),
            state=conv.state or "persona",
        )


def _turn(ctx: _Context, channel: str, question: str, question_id: str, language: str) -> CustomerTurn:
    return CustomerTurn(
        user_id=ctx.user_id,
        persona_id=ctx.persona_id,
        persona_name=ctx.persona_name,
        conversation_id=ctx.conversation_id,
        client_id=ctx.client_id,
        channel=channel,
        question=question,
        question_id=question_id,
        language=language,
    )


def _check(
    sessions: sessionmaker[Session], user_id: str, draft: str, support: Support, language: str = "en"
) -> Check:
    """The guardrail, once the seller's SKUs the draft names are known (another product's code is a fact)."""
    codes = {c for c in codes_in(draft) if c.lower() not in support.codes}
    if codes:
        with transaction(sessions) as db:
            found = db.scalars(
                select(Product.sku).where(Product.user_id == user_id, Product.sku.in_(sorted(codes)))
            ).all()
        support.codes.update(s.lower() for s in found if s)
    return check_draft(draft, support, language=language)


@dataclass(eq=False)
class Answerer:
    """One customer turn, built from its parts: the database, the evidence finder, the seller's
    models, (optionally) the speaker that turns replies into voice notes, and (optionally) the
    handoff part that lets the seller take over."""

    sessions: sessionmaker[Session]
    finder: EvidenceFinder
    models: ModelsForSeller
    speaker: ReplySpeaker | None
    handoff: HandoffPart | None = None

    def answer(
        self,
        *,
        user_id: str,
        persona_id: str,
        question: str,
        channel: str = "api",
        client_ref: str | None = None,
        client_name: str | None = None,
        voice: bool = False,
        chat: ChatModel | object | None = _AUTO,
        transcript_of: str | None = None,
        question_audio: str | None = None,
        recorded_question: str | None = None,
        hand_off: bool = True,
        on_text: Callable[[str], None] | None = None,
    ) -> Answer:
        """Answer one customer message and log the turn. `client_ref` is the channel identity;
        `question_audio`: the storage key of the customer's voice note, kept with their message.
        `recorded_question`: the id of the customer's message when it is stored already (the
        persona answers a message the seller released). `hand_off=False`: the persona answers
        whatever the handoff part would decide (the seller asked it to).

        `on_text`: called (on this thread) with each checked piece of an LLM reply while the model
        writes it, when nothing known before the draft would hand the turn to the seller; the
        returned `answer` then starts with those pieces joined. Whatever `answer` holds beyond them
        (a composed reply, a handoff notice) the caller shows itself."""
        t0 = time.perf_counter()
        question = " ".join((question or "").split())
        if not question:
            raise AnswerError("the message is empty")
        if len(question) > MAX_QUESTION_CHARS:
            raise AnswerError(
                f"the message is {len(question)} characters; at most {MAX_QUESTION_CHARS} are read"
            )
        timings: dict[str, float] = {}
        ctx = _load(
            self.sessions,
            user_id=user_id,
            persona_id=persona_id,
            channel=channel,
            client_ref=client_ref or f"{channel}:anonymous",
            client_name=client_name,
        )
        timings["context"] = time.perf_counter() - t0
        desk = self.handoff if hand_off and self.handoff is not None else None
        desk = desk if desk is not None and desk.covers(channel) else None
        if desk is not None and ctx.state != "persona":
            held, recorded_question = self._held(
                desk, ctx, question, channel, voice, transcript_of, question_audio, recorded_question
            )
            if held is not None:
                held.timings = {k: round(v, 4) for k, v in {**timings, **held.timings}.items()}
                held.timings["total"] = round(time.perf_counter() - t0, 4)
                finish_log(self.sessions, held)
                return held

        t = time.perf_counter()
        previous = next((text for role, text in reversed(ctx.history) if role == "user"), None)
        meant = follow_up(question, previous)  # "And the teal one?": what the last question asked
        evidence = self.finder.find(
            user_id=user_id,
            persona_id=persona_id,
            question=meant,
            focus_product=ctx.notes.get("current_product"),
        )
        timings["retrieve"] = time.perf_counter() - t
        for k in ("embed", "rerank"):
            if k in evidence.timings:
                timings[f"retrieve.{k}"] = evidence.timings[k]

        model = self.models.chat(user_id, persona_id) if chat is _AUTO else chat
        language = detect_language(
            question,
            previous=ctx.notes.get("language"),
            names=[p.name for p in evidence.products.values()],
        )
        result = Answer(answer="", citations=evidence.citations(), spoken="", language=language)
        allowed = [ctx.persona_name, ctx.client_name or "", question]
        for key in ("greeting", "sign_off"):
            v = ctx.profile.get(key)  # {"text": ...} measured, or the seller's own words
            text = v.get("text") if isinstance(v, dict) else v
            if isinstance(text, str):
                allowed.append(text)
        support = support_for(evidence, allowed=allowed)
        check: Check | None = None
        intents: list[str] = []
        streamed = ""  # the start of the reply the customer has read already (`on_text`)
        if model is not None and not evidence.empty and not evidence.not_carried:
            check, streamed = self._llm(
                model, ctx, evidence, question, support, result, timings, on_text, desk
            )
            if check is not None and tier_stated(
                question, numbers_in(check.text, language), evidence.products.values()
            ):
                intents = ["tier"]  # buying more, answered from the catalog's tier prices
        if check is None or not check.text:
            t = time.perf_counter()
            composed = compose(
                question=meant,
                evidence=evidence,
                persona_name=ctx.persona_name,
                profile=ctx.profile,
                client_name=ctx.client_name,
                turn=ctx.turn,
                language=language,
            )
            intents = list(composed.intents)
            timings["compose"] = time.perf_counter() - t
            t = time.perf_counter()
            check = _check(self.sessions, user_id, composed.text, support, language)
            timings["guardrail"] = timings.get("guardrail", 0.0) + time.perf_counter() - t
            result.mode = "no-evidence" if "no-evidence" in composed.intents else "composer"
            result.citations = evidence.citations(composed.used)
            result.guardrail.setdefault("composer", check.as_dict())
            if result.mode == "no-evidence":
                evidence = Evidence(question=question, results=[], products={})  # nothing relevant was found
        result.answer = check.text

        t = time.perf_counter()
        notes = {**_notes(model, ctx, question, result.answer, evidence), "language": language}
        timings["memory"] = time.perf_counter() - t

        question_id = record_question(
            self.sessions,
            user_id=user_id,
            conversation_id=ctx.conversation_id,
            client_id=ctx.client_id,
            question=question,
            notes=notes,
            transcript_of=transcript_of,
            question_audio=question_audio,
            recorded=recorded_question,
        )
        outcome = None
        if desk is not None:
            t = time.perf_counter()
            outcome = desk.consider(
                _turn(ctx, channel, question, question_id, language),
                DraftFacts(
                    draft=result.answer,
                    mode=result.mode,
                    removed=tuple(check.removed),
                    intents=tuple(intents),
                    citations=result.citations,
                    guardrail=result.guardrail,
                ),
            )
            timings["handoff"] = time.perf_counter() - t
        if outcome is not None:  # the draft waits for the seller; the customer is told so
            if streamed:  # the customer has read part of the reply: it stays in their thread
                result.answer = streamed
                record_reply(
                    self.sessions, user_id=user_id, conversation_id=ctx.conversation_id, result=result
                )
            result.answer = f"{streamed}\n\n{outcome.text}".strip() if streamed else outcome.text
            result.citations = []
            result.message_id, result.handoff = outcome.message_id, outcome.as_dict()
        else:
            result.message_id = record_reply(
                self.sessions, user_id=user_id, conversation_id=ctx.conversation_id, result=result
            )
        result.spoken = spoken_part(result.answer)
        # The seller's fillers (measured in English), never inside a number or a product name.
        if outcome is None and language == "en":
            names = [n for p in evidence.products.values() for n in (p.name, p.short_name) if n]
            result.spoken = Manner.from_profile(ctx.profile).spoken(result.spoken, protected=names)
        result.client_id, result.conversation_id, result.notes = ctx.client_id, ctx.conversation_id, notes
        self._voice(result, persona_id=persona_id, user_id=user_id, voice=voice, timings=timings)
        timings["total"] = time.perf_counter() - t0
        result.timings = {k: round(v, 4) for k, v in timings.items()}
        finish_log(self.sessions, result)
        return result

    def _llm(
        self,
        model: ChatModel,
        ctx: _Context,
        evidence: Evidence,
        question: str,
        support: Support,
        result: Answer,
        timings: dict[str, float],
        on_text: Callable[[str], None] | None,
        desk: HandoffPart | None,
    ) -> tuple[Check | None, str]:
        """The model's checked reply (None when the model failed before anything was shown) and
        the part of it the customer has read already."""
        messages = answer_messages(
            persona_name=ctx.persona_name,
            profile=ctx.profile,
            evidence=evidence,
            question=question,
            client_name=ctx.client_name,
            notes=ctx.notes,
            history=ctx.history,
            language=result.language,
        )

        def check(text: str) -> Check:
            t = time.perf_counter()
            try:
                return _check(self.sessions, ctx.user_id, text, support, result.language)
            finally:
                timings["guardrail"] = timings.get("guardrail", 0.0) + time.perf_counter() - t

        t = time.perf_counter()
        if on_text is not None and (desk is None or desk.may_stream(ctx.persona_id, question)):
            draft = stream_draft(model, messages, check, on_text)
        else:
            draft = write_draft(model, messages, check)
        timings["llm"] = time.perf_counter() - t
        result.tokens = draft.tokens
        result.guardrail.update(draft.guardrail)
        if draft.error is not None:
            result.llm_error = draft.error
            log.warning("LLM failed; grounded composer answers", extra={"error": draft.error})
            return None, ""
        result.mode = "llm"
        return draft.check, draft.check.text if draft.streamed else ""

    def _held(
        self,
        desk: HandoffPart,
        ctx: _Context,
        question: str,
        channel: str,
        voice: bool,
        transcript_of: str | None,
        question_audio: str | None,
        recorded: str | None,
    ) -> tuple[Answer | None, str]:
        """The seller has the conversation: record the message and let the handoff part tell the
        seller; the persona does not answer. (None, message id) when the conversation turned out
        to be the persona's again: the caller answers the message it recorded."""
        t = time.perf_counter()
        language = detect_language(question, previous=ctx.notes.get("language"))
        notes = {**ctx.notes, "language": language}
        question_id = record_question(
            self.sessions,
            user_id=ctx.user_id,
            conversation_id=ctx.conversation_id,
            client_id=ctx.client_id,
            question=question,
            notes=notes,
            transcript_of=transcript_of,
            question_audio=question_audio,
            recorded=recorded,
        )
        outcome = desk.hold(_turn(ctx, channel, question, question_id, language))
        if outcome is None:
            return None, question_id
        result = Answer(
            answer=outcome.text,
            citations=[],
            spoken=spoken_part(outcome.text),
            mode="handed-off",
            language=language,
            client_id=ctx.client_id,
            conversation_id=ctx.conversation_id,
            message_id=outcome.message_id,
            notes=notes,
            handoff=outcome.as_dict(),
        )
        timings = {"handoff": time.perf_counter() - t}
        self._voice(result, persona_id=ctx.persona_id, user_id=ctx.user_id, voice=voice, timings=timings)
        result.timings = timings
        return result, question_id

    def _voice(
        self, result: Answer, *, persona_id: str, user_id: str, voice: bool, timings: dict[str, float]
    ) -> None:
        """Speak the reply when asked and the persona's voice speaks its language."""
        if not voice or not result.spoken or self.speaker is None or result.message_id is None:
            return
        if not self.speaker.can_speak(persona_id, user_id, result.language):
            result.voice_skipped = f"the persona's voice does not speak this language ({result.language})"
            return
        t = time.perf_counter()
        self._speak(result, persona_id=persona_id, user_id=user_id)
        timings.update({f"speech.{k}": v for k, v in result.timings.items()})
        timings["speech"] = time.perf_counter() - t

    def _speak(self, result: Answer, *, persona_id: str, user_id: str) -> None:
        """The reply as a voice note; speech is optional, so a failure leaves the text answer standing.
        Its stage timings are left in `result.timings` for the caller to merge."""
        assert self.speaker is not None and result.message_id is not None
        try:
            spoken = self.speaker.save_reply(
                persona_id=persona_id,
                user_id=user_id,
                text=result.spoken,
                message_id=result.message_id,
                language=result.language,
            )
        except Exception as exc:
            result.speech_error = str(exc)[:300]
            log.warning("speech failed", extra={"persona_id": persona_id, "error": result.speech_error})
            return
        result.audio_key, result.audio_duration = spoken.key, spoken.duration
        result.tts_characters = spoken.characters
        result.timings = dict(spoken.timings)


def _notes(
    model: ChatModel | object | None, ctx: _Context, question: str, answer: str, evidence: Evidence
) -> dict[str, Any]:
    if isinstance(model, ChatModel):
        return memory.llm_notes(model, ctx.notes, question=question, answer=answer, evidence=evidence)
    return memory.rule_notes(ctx.notes, question=question, evidence=evidence)
