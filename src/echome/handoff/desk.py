"""The answer pipeline's handoff part (`answer.handoff_port.HandoffPart`).

`hold`: a customer message for a conversation the seller has. Recorded by the pipeline already;
here the seller is told (event, and their Telegram chat when linked) and the customer gets one short
acknowledgement per burst, or nothing.

`consider`: the persona's checked draft. The triggers (and approval mode) decide; on a handoff the
draft is kept for the seller (a "draft" message, never shown to the customer), the conversation
moves to "waiting", the customer is told honestly what happens next, the seller is notified and a
timeout is scheduled.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy.orm import Session, sessionmaker

from echome.answer.handoff_port import CustomerTurn, DraftFacts, HandoffOutcome
from echome.answer.phrasing import Phrases
from echome.db.models import Client, Conversation, Message
from echome.db.session import transaction
from echome.db.types import utcnow
from echome.handoff import CUSTOMER_CHANNELS, NOTIFY_JOB, TIMEOUT_JOB
from echome.handoff.events import publish
from echome.handoff.schedule import JobSender
from echome.handoff.settings import HandoffSettings
from echome.handoff.state import settings_of, should_acknowledge, since, split_reason, stored_reason
from echome.handoff.texts import customer_text, reason_text
from echome.handoff.triggers import Decision, TurnFacts, decide

log = logging.getLogger("echome.handoff")


@dataclass(eq=False)
class HandoffDesk:
    sessions: sessionmaker[Session]
    jobs: JobSender
    channels: tuple[str, ...] = CUSTOMER_CHANNELS
    ack_quiet_seconds: float = 600.0  # no second acknowledgement within this
    seller_quiet_seconds: float = 1800.0  # the seller answering live: no acknowledgements

    def covers(self, channel: str) -> bool:
        return channel in self.channels

    def may_stream(self, persona_id: str, question: str) -> bool:
        with self.sessions() as db:
            settings = settings_of(db, persona_id)
        if settings.approval_mode == "all":
            return False
        return decide(TurnFacts(question, "llm"), settings) is None

    def hold(self, turn: CustomerTurn) -> HandoffOutcome | None:
        with transaction(self.sessions) as db:
            conv = db.get(Conversation, turn.conversation_id)
            if conv is None or conv.state == "persona":
                return None
            settings = settings_of(db, turn.persona_id)
            ack = should_acknowledge(
                db, conv, quiet_seconds=self.ack_quiet_seconds, seller_quiet_seconds=self.seller_quiet_seconds
            )
            text, message_id = "", None
            if ack:
                text = customer_text("ack", _language(turn.language), turn.persona_name)
                message_id = _add(db, turn, "assistant", text, {"kind": "handoff-ack"})
            code, said = split_reason(conv.handoff_reason)
            publish(
                db,
                user_id=turn.user_id,
                persona_id=turn.persona_id,
                conversation_id=conv.id,
                kind="customer_message",
                message_id=turn.question_id,
                text=turn.question[:500],
                state=conv.state,
                acknowledged=ack,
                **_who(db, turn),
            )
            state = conv.state
        if settings.seller_chat_id is not None:
            self._start(
                turn.user_id,
                NOTIFY_JOB,
                {"conversation_id": turn.conversation_id, "kind": "message", "message_id": turn.question_id},
            )
        return HandoffOutcome(
            text=text, state=state, reason=code, reason_text=said, message_id=message_id, acknowledged=ack
        )

    def consider(self, turn: CustomerTurn, draft: DraftFacts) -> HandoffOutcome | None:
        with self.sessions() as db:
            settings = settings_of(db, turn.persona_id)
        decision = decide(TurnFacts.of_draft(turn.question, draft), settings)
        if decision is None:
            if settings.approval_mode != "all":
                return None
            decision = Decision("approval", reason_text("approval"))
        language = _language(turn.language)
        notice = self._notice(decision, turn, draft, language)
        with transaction(self.sessions) as db:
            conv = db.get(Conversation, turn.conversation_id)
            if conv is None:  # deleted while the draft was written
                return None
            draft_id = _add(
                db,
                turn,
                "draft",
                draft.draft,
                {
                    "status": "pending",
                    "reason": decision.reason,
                    "reason_text": decision.text,
                    "detail": decision.detail,
                    "mode": draft.mode,
                    "question_id": turn.question_id,
                    "guardrail": draft.guardrail,
                    "language": language,
                    **{k: v for k, v in decision.data.items() if k in ("removed", "matched")},
                },
                citations=draft.citations,
            )
            notice_id = _add(
                db, turn, "assistant", notice, {"kind": "handoff-notice", "reason": decision.reason}
            )
            if conv.state == "persona":  # else the seller took it while the draft was written
                conv.state = "waiting"
                conv.handoff_reason = stored_reason(decision.reason, decision.detail)
                conv.state_changed_at = utcnow()
            publish(
                db,
                user_id=turn.user_id,
                persona_id=turn.persona_id,
                conversation_id=conv.id,
                kind="handed_off",
                reason=decision.reason,
                reason_text=decision.text,
                question=turn.question[:500],
                question_id=turn.question_id,
                draft_id=draft_id,
                state=conv.state,
                **_who(db, turn),
            )
            state, stamp = conv.state, since(conv)
        self._after_handoff(turn, decision, settings, draft_id, stamp)
        return HandoffOutcome(
            text=notice,
            state=state,
            reason=decision.reason,
            reason_text=decision.text,
            message_id=notice_id,
            draft_id=draft_id,
        )

    def _notice(self, decision: Decision, turn: CustomerTurn, draft: DraftFacts, language: str) -> str:
        return customer_notice(decision.reason, language=language, name=turn.persona_name, draft=draft.draft)

    def _after_handoff(
        self,
        turn: CustomerTurn,
        decision: Decision,
        settings: HandoffSettings,
        draft_id: str,
        stamp: str | None,
    ) -> None:
        base = {"conversation_id": turn.conversation_id, "draft_id": draft_id}
        if settings.seller_chat_id is not None:
            self._start(turn.user_id, NOTIFY_JOB, {**base, "kind": "handoff"})
        if decision.reason == "approval":
            minutes, kind = settings.approval_timeout_minutes, "approval"
        else:
            minutes, kind = settings.handoff_timeout_minutes, "waiting"
        if minutes > 0:
            self._start(
                turn.user_id, TIMEOUT_JOB, {**base, "kind": kind, "since": stamp}, delay=minutes * 60.0
            )

    def _start(self, user_id: str, kind: str, payload: dict[str, object], delay: float = 0.0) -> None:
        """Background work after the turn is stored; failing to start it must not cost the customer
        their reply (the event and the inbox still show the handoff)."""
        try:
            if delay > 0:
                self.jobs.submit_later(user_id=user_id, kind=kind, payload=payload, delay=delay)
            else:
                self.jobs.submit(user_id=user_id, kind=kind, payload=payload)
        except Exception:
            log.exception("handoff job not started", extra={"kind": kind})


def customer_notice(reason: str, *, language: str, name: str, draft: str) -> str:
    """What the customer reads when the turn goes to the seller for `reason` (the draft itself is
    kept for the seller). Only when the catalog had nothing is the draft's honest "not in my catalog"
    said first, its closing offer to pass the question on replaced by saying that it has been. For
    every other reason the customer asked for something else (a person, a discount, or they
    complain), and a draft's "we don't carry that" would answer a question they did not ask."""
    language = _language(language)
    if reason == "approval":
        return customer_text("approval", language, name)
    told = customer_text("handed_off", language, name)
    if reason == "no_evidence":
        offer = Phrases.for_language(language).offer_handoff(name)
        return f"{draft.replace(offer, '').strip()} {told}".strip()
    if reason in ("complaint", "ready_to_buy"):
        return f"{customer_text(reason, language, name)} {told}"
    return told


def _language(language: str) -> str:
    return Phrases.for_language(language).language


def _add(
    db: Session,
    turn: CustomerTurn,
    role: str,
    content: str,
    meta: dict[str, object],
    *,
    citations: list[dict[str, object]] | None = None,
) -> str:
    msg = Message(
        user_id=turn.user_id,
        conversation_id=turn.conversation_id,
        role=role,
        content=content,
        citations=citations or [],
        meta=meta,
    )
    db.add(msg)
    db.flush()
    return msg.id


def _who(db: Session, turn: CustomerTurn) -> dict[str, str | None]:
    client = db.get(Client, turn.client_id)
    name = ((client.notes or {}).get("name") or client.name) if client is not None else None
    return {"client_id": turn.client_id, "client_name": name, "channel": turn.channel}
