"""The handoff part of the answer stage with the seller's actions and the desk's jobs, on in-memory
SQLite with the fake embedder: no HTTP, no model. Jobs are recorded (`RecordedJobs`) and run here by
calling their handlers, as a worker would."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from echome.answer import memory
from echome.answer.pipeline import Answerer
from echome.db.models import Conversation, HandoffEvent, Message, Persona
from echome.db.types import utcnow
from echome.handoff.actions import ActionError, HandoffActions
from echome.handoff.desk import HandoffDesk
from echome.handoff.jobs import DeliverReplyJob, HandoffTimeoutJob, ResumeAnsweringJob
from echome.handoff.schedule import RecordedJobs
from echome.jobs import JobContext
from echome.providers.fakes import FixedModels
from echome.storage.local import LocalStorage
from tests.support.memory_shop import MemoryShop, memory_shop

CATALOG = b"""name,sku,price,stock,description
Trail Runner 2,TR-200,129.00,14,Light trail running shoe with a grippy rubber outsole and a mesh upper.
Summit Rain Jacket,SJ-310,89.50,3,Waterproof rain jacket with taped seams and a packable hood for hiking.
"""


class Desk:
    def __init__(self, shop: MemoryShop, **desk: Any) -> None:
        self.shop = shop
        self.jobs = RecordedJobs()
        self.desk = HandoffDesk(shop.sessions, self.jobs, **desk)
        self.answerer = Answerer(shop.sessions, shop.finder, FixedModels(chat=None), None, handoff=self.desk)
        self.actions = HandoffActions(shop.sessions, self.jobs)

    def ask(self, question: str, *, channel: str = "web", client: str = "visitor-1") -> Any:
        return self.answerer.answer(
            user_id=self.shop.user_id,
            persona_id=self.shop.persona_id,
            question=question,
            channel=channel,
            client_ref=client,
        )

    def settings(self, **values: Any) -> None:
        with self.shop.sessions.begin() as db:
            p = db.get(Persona, self.shop.persona_id)
            assert p is not None
            p.chat_settings = {**(p.chat_settings or {}), **values}

    def messages(self, conversation_id: str) -> list[tuple[str, str, dict[str, Any]]]:
        with self.shop.sessions() as db:
            rows = db.scalars(
                select(Message)
                .where(Message.conversation_id == conversation_id)
                .order_by(Message.created_at, Message.id)
            ).all()
            return [(m.role, m.content, dict(m.meta or {})) for m in rows]

    def state(self, conversation_id: str) -> str:
        with self.shop.sessions() as db:
            conv = db.get(Conversation, conversation_id)
            assert conv is not None
            return conv.state

    def events(self) -> list[str]:
        with self.shop.sessions() as db:
            return [e.kind for e in db.scalars(select(HandoffEvent).order_by(HandoffEvent.id))]


def ctx(kind: str = "test") -> JobContext:
    return JobContext(job_id="j", user_id="u", kind=kind, attempt=1, report=lambda p, s: None)


@pytest.fixture
def desk() -> Iterator[Desk]:
    shop = memory_shop(CATALOG, profile={})
    yield Desk(shop)
    shop.engine.dispose()


def test_asking_for_a_person_hands_off_keeps_the_draft_and_tells_the_customer(desk: Desk) -> None:
    first = desk.ask("How much is the Summit Rain Jacket?")
    assert first.handoff is None and "$89.50" in first.answer
    out = desk.ask("How much is the Trail Runner 2? Can I speak to a real person?")
    assert out.handoff is not None and out.handoff["reason"] == "customer_asked"
    assert out.answer == "I've asked Ana to answer you personally. Ana will reply here in this chat."
    assert (
        out.citations == []
        and out.handoff["state"] == "waiting"
        and out.message_id == out.handoff["message_id"]
    )
    roles = [
        (r, meta.get("kind") or meta.get("status")) for r, _c, meta in desk.messages(out.conversation_id)
    ]
    assert roles[-3:] == [("user", None), ("draft", "pending"), ("assistant", "handoff-notice")]
    draft = next(c for r, c, _m in desk.messages(out.conversation_id) if r == "draft")
    assert "$129" in draft  # the persona's answer waits for the seller, never shown to the customer
    with desk.shop.sessions() as db:
        seen = memory.history(db, out.conversation_id)
    assert all(text != draft for _role, text in seen)
    # Timeout scheduled; no Telegram notification (the seller has not linked a chat).
    assert desk.jobs.kinds() == ["handoff.timeout"] and desk.jobs.sent[0][2] == 3600.0
    assert desk.events() == ["handed_off"]


def test_the_customer_is_told_in_their_language(desk: Desk) -> None:
    out = desk.ask("Kann ich bitte mit einem Mitarbeiter sprechen?")
    assert out.answer.startswith("Ich habe Ana gebeten, Ihnen persönlich zu antworten.")
    out = desk.ask("Je voudrais parler à un conseiller, s'il vous plaît.", client="visitor-fr")
    assert "J'ai demandé à Ana de vous répondre personnellement" in out.answer


def test_nothing_in_the_catalog_is_said_and_passed_on(desk: Desk) -> None:
    out = desk.ask("Do you repair vintage typewriters?")
    assert out.mode == "no-evidence" and out.handoff["reason"] == "no_evidence"  # type: ignore[index]
    assert "Shall I pass" not in out.answer and "I've asked Ana" in out.answer
    assert out.answer.index("I've asked Ana") > 0  # the honest "not in my catalog" comes first


def test_a_handed_off_conversation_is_never_answered_and_a_burst_gets_one_ack(desk: Desk) -> None:
    out = desk.ask("I want to talk to a human")
    burst = [desk.ask(q) for q in ("hello?", "are you there?", "How much is the Trail Runner 2?")]
    assert all(b.mode == "handed-off" and b.answer == "" and b.handoff["state"] == "waiting" for b in burst)
    assert not any(
        "$129" in b.answer for b in burst
    )  # not answered by the persona, not even a catalog question
    assert desk.events().count("customer_message") == 3
    # Later (the quiet time over), one short acknowledgement.
    later = Desk(desk.shop, ack_quiet_seconds=0)
    again = later.ask("still waiting...")
    assert again.handoff["acknowledged"] and "passed this on to Ana" in again.answer  # type: ignore[index]
    assert again.message_id is not None
    roles = [r for r, _c, _m in desk.messages(out.conversation_id)]
    assert roles.count("user") == 5 and roles.count("assistant") == 2  # the notice and one ack


def test_seller_reply_claim_and_release_with_history_and_resume(desk: Desk) -> None:
    out = desk.ask("Can I talk to someone?")
    cid = out.conversation_id
    reply = desk.actions.reply(
        user_id=desk.shop.user_id, conversation_id=cid, text="Hi, it's Ana. Happy to help!"
    )
    assert reply["role"] == "seller" and desk.state(cid) == "seller"
    assert desk.jobs.sent[-1] == ("handoff.deliver", {"message_id": reply["id"]}, 0.0)
    with desk.shop.sessions() as db:
        assert memory.history(db, cid)[-1] == ("assistant", "Hi, it's Ana. Happy to help!")
    # While the seller answers live, a customer message gets no acknowledgement.
    assert desk.ask("How much is the Summit Rain Jacket?").answer == ""
    view = desk.actions.release(user_id=desk.shop.user_id, conversation_id=cid)
    assert view["state"] == "persona" and desk.jobs.kinds()[-1] == "handoff.resume"
    resume = ResumeAnsweringJob(desk.shop.sessions, lambda: desk.answerer, desk.jobs)
    done = resume(ctx(), desk.jobs.sent[-1][1])
    assert done["status"] == "answered"
    role, content, meta = desk.messages(cid)[-1]
    assert role == "assistant" and "$89.50" in content and meta["delivery"] == "pending"
    assert desk.jobs.kinds()[-1] == "handoff.deliver"
    assert resume(ctx(), desk.jobs.sent[-2][1])["status"] == "handled"  # run twice: answered once
    assert desk.events()[-3:] == ["seller_reply", "customer_message", "released"]
    with pytest.raises(ActionError, match="not found"):
        desk.actions.claim(user_id="someone-else", conversation_id=cid)


def test_approval_mode_keeps_every_answer_for_the_seller_until_the_timeout(desk: Desk, tmp_path: Any) -> None:
    desk.settings(approval_mode="all", approval_timeout_minutes=5, approval_timeout_action="send_draft")
    out = desk.ask("How much is the Summit Rain Jacket?")
    assert out.handoff["reason"] == "approval" and "checks my answers" in out.answer  # type: ignore[index]
    assert desk.jobs.sent[-1][0] == "handoff.timeout" and desk.jobs.sent[-1][2] == 300.0
    timeout = HandoffTimeoutJob(desk.shop.sessions, desk.actions, desk.jobs)
    assert (
        timeout(ctx(), {**desk.jobs.sent[-1][1], "since": "2000-01-01T00:00:00+00:00"})["status"] == "handled"
    )
    result = timeout(ctx(), desk.jobs.sent[-1][1])
    assert result["status"] == "draft sent" and desk.state(out.conversation_id) == "persona"
    role, content, meta = desk.messages(out.conversation_id)[-1]
    assert role == "assistant" and "$89.50" in content and meta["approved_by"] == "timeout"
    # Delivered on the web: nothing to push, the thread holds it; delivering twice sends once.
    deliver = DeliverReplyJob(
        desk.shop.sessions, LocalStorage(tmp_path), FixedModels(), lambda: None, lambda t: None
    )  # type: ignore[arg-type,return-value]
    assert deliver(ctx(), {"message_id": result["message_id"]})["status"] == "stored"
    assert deliver(ctx(), {"message_id": result["message_id"]}) == {"status": "done", "repeat": True}

    # "holding": the customer is told the seller takes longer; the draft keeps waiting.
    desk.settings(approval_timeout_action="holding")
    out = desk.ask("And the Trail Runner 2?")
    result = timeout(ctx(), desk.jobs.sent[-1][1])
    assert result["status"] == "customer told" and desk.state(out.conversation_id) == "waiting"
    assert "hasn't been able to reply yet" in desk.messages(out.conversation_id)[-1][1]


def test_send_draft_edit_and_conflicts(desk: Desk) -> None:
    out = desk.ask("Could you give me a discount on the Trail Runner 2?")
    uid, cid = desk.shop.user_id, out.conversation_id
    sent = desk.actions.send_draft(user_id=uid, conversation_id=cid, text="10% off for you, today only.")
    assert sent["role"] == "seller" and desk.state(cid) == "persona"
    with pytest.raises(ActionError) as err:
        desk.actions.send_draft(user_id=uid, conversation_id=cid)
    assert err.value.status == 409
    with pytest.raises(ActionError) as err:
        desk.actions.reply(user_id=uid, conversation_id=cid, text="   ")
    assert err.value.status == 422


def test_the_sellers_test_chat_and_evals_are_never_handed_off(desk: Desk) -> None:
    for channel in ("test", "cli", "eval"):
        out = desk.ask("Can I talk to a real person?", channel=channel, client=f"c-{channel}")
        assert out.handoff is None and out.mode != "handed-off"
    assert desk.jobs.sent == []


def test_a_waiting_timeout_tells_the_customer_once_unless_the_seller_answered(desk: Desk) -> None:
    out = desk.ask("My order never arrived, I want a refund")
    assert out.handoff["reason"] == "complaint"  # type: ignore[index]
    payload = desk.jobs.sent[-1][1]
    timeout = HandoffTimeoutJob(desk.shop.sessions, desk.actions, desk.jobs)
    desk.actions.reply(
        user_id=desk.shop.user_id, conversation_id=out.conversation_id, text="So sorry! Checking."
    )
    assert timeout(ctx(), payload)["status"] == "handled"  # claimed by the reply: a new state
    with desk.shop.sessions.begin() as db:  # an old handoff nobody answered
        conv = db.get(Conversation, out.conversation_id)
        assert conv is not None
        conv.state, conv.state_changed_at = "waiting", utcnow() - timedelta(hours=2)
        stamp = conv.state_changed_at.isoformat()
    db_msgs = len(desk.messages(out.conversation_id))
    assert timeout(ctx(), {**payload, "since": stamp})["status"] == "handled"  # the seller did answer
    assert len(desk.messages(out.conversation_id)) == db_msgs


def test_approval_mode_drafts_what_came_after_a_sent_draft(desk: Desk) -> None:
    desk.settings(approval_mode="all")
    first = desk.ask("How much is the Summit Rain Jacket?")
    held = desk.ask("And is the Trail Runner 2 in stock?")
    assert held.mode == "handed-off" and held.answer == ""  # within the quiet time: no acknowledgement
    desk.actions.send_draft(user_id=desk.shop.user_id, conversation_id=first.conversation_id)
    kind, payload, _delay = desk.jobs.sent[-1]
    assert kind == "handoff.resume" and payload["hand_off"] is True and len(payload["message_ids"]) == 1
    resume = ResumeAnsweringJob(desk.shop.sessions, lambda: desk.answerer, desk.jobs)
    result = resume(ctx(), payload)
    assert result["status"] == "handed off"  # approval mode: the new answer waits for the seller too
    drafts = [(c, m["status"]) for r, c, m in desk.messages(first.conversation_id) if r == "draft"]
    assert drafts[0][1] == "sent" and drafts[1][1] == "pending" and "in stock" in drafts[1][0]
    assert desk.state(first.conversation_id) == "waiting" and desk.jobs.kinds()[-2:] == [
        "handoff.timeout",
        "handoff.deliver",
    ]


def test_a_person_or_a_complaint_is_answered_as_such_not_with_the_drafts_catalog_reply(desk: Desk) -> None:
    out = desk.ask("Please put me through to a human.")
    assert out.handoff["reason"] == "customer_asked"  # type: ignore[index]
    assert out.answer == "I've asked Ana to answer you personally. Ana will reply here in this chat."
    out = desk.ask(
        "I'm really disappointed, the Trail Runner 2 is nothing like the description.", client="visitor-2"
    )
    assert out.handoff["reason"] == "complaint"  # type: ignore[index]
    assert out.answer == (
        "I'm sorry to hear that. I've asked Ana to answer you personally. Ana will reply here in this chat."
    )
    draft = next(c for r, c, _m in desk.messages(out.conversation_id) if r == "draft")
    assert draft and draft not in out.answer  # the persona's draft waits for the seller, unseen
    out = desk.ask("Meine Bestellung ist immer noch nicht angekommen, das ist eine Frechheit.", client="v-de")
    assert out.handoff["reason"] == "complaint"  # type: ignore[index]
    assert out.answer.startswith("Das tut mir leid. Ich habe Ana gebeten")


def test_a_customer_ready_to_buy_is_handed_to_the_seller_to_close_the_sale(desk: Desk) -> None:
    out = desk.ask("I'll take the Trail Runner 2, how do I pay?", client="buyer-1")
    assert out.handoff["reason"] == "ready_to_buy"  # type: ignore[index]
    assert out.answer == (
        "Great choice! I've asked Ana to answer you personally. Ana will reply here in this chat."
    )
    draft = next(c for r, c, _m in desk.messages(out.conversation_id) if r == "draft")
    assert draft  # what the persona would have said waits for the seller
