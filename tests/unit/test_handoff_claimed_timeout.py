"""A conversation the seller claimed ("I'll answer") and then never answered does not leave the
customer waiting forever: after `claimed_timeout_minutes` the customer is told honestly that the
seller has their message (the seller keeps it), or, with `claimed_timeout_action` "release", the
persona answers again. A seller reply, a sent draft or a release cancels it.

In-memory SQLite and the desk of `test_handoff_desk` (jobs recorded, then run here as a worker
would run them)."""

from __future__ import annotations

from typing import Any

import pytest

from echome.handoff.jobs import HandoffTimeoutJob, ResumeAnsweringJob
from echome.handoff.settings import HandoffSettings, SettingsError, validate_settings
from tests.unit.test_handoff_desk import Desk, ctx, desk  # noqa: F401  (the fixture)


def _claim(d: Desk, question: str, client: str) -> tuple[str, dict[str, Any], float]:
    out = d.ask(question, client=client)
    assert out.handoff is not None and out.handoff["state"] == "waiting"
    view = d.actions.claim(user_id=d.shop.user_id, conversation_id=out.conversation_id)
    assert view["state"] == "seller"
    kind, payload, delay = d.jobs.sent[-1]
    assert kind == "handoff.timeout" and payload["kind"] == "claimed"
    assert payload["conversation_id"] == out.conversation_id
    return out.conversation_id, payload, delay


def _timeout(d: Desk) -> HandoffTimeoutJob:
    return HandoffTimeoutJob(d.shop.sessions, d.actions, d.jobs)


def test_a_claimed_conversation_the_seller_never_answers_tells_the_customer(desk: Desk) -> None:  # noqa: F811
    cid, payload, delay = _claim(desk, "Can I talk to someone about an order?", "visitor-1")
    assert delay == 60 * 60.0  # the default: an hour
    told = len(desk.messages(cid))

    result = _timeout(desk)(ctx(), payload)
    assert result["status"] == "customer told"
    role, text, meta = desk.messages(cid)[-1]
    assert role == "assistant" and meta["kind"] == "handoff-late"
    assert text.startswith("Ana hasn't been able to reply yet, but has your message and will answer")
    assert len(desk.messages(cid)) == told + 1
    assert desk.state(cid) == "seller"  # the seller still has it; the persona stays silent
    assert desk.jobs.sent[-1] == ("handoff.deliver", {"message_id": result["message_id"]}, 0.0)
    assert desk.events()[-2:] == ["claimed", "timeout"]
    # The same job again (a rerun after a lost lease): the customer is not told twice.
    assert _timeout(desk)(ctx(), payload)["status"] == "handled"
    assert len(desk.messages(cid)) == told + 1


def test_a_reply_a_release_or_a_sent_draft_after_the_claim_cancels_its_timeout(desk: Desk) -> None:  # noqa: F811
    uid = desk.shop.user_id
    replied, payload, _ = _claim(desk, "I want to speak to a human", "visitor-r")
    desk.actions.reply(user_id=uid, conversation_id=replied, text="Hi, Ana here. How can I help?")
    n = len(desk.messages(replied))
    assert _timeout(desk)(ctx(), payload) == {"status": "handled"}
    assert len(desk.messages(replied)) == n and desk.state(replied) == "seller"

    released, payload, _ = _claim(desk, "Can I talk to a real person?", "visitor-l")
    desk.actions.release(user_id=uid, conversation_id=released)
    n = len(desk.messages(released))
    assert _timeout(desk)(ctx(), payload) == {"status": "handled"}
    assert len(desk.messages(released)) == n

    drafted, payload, _ = _claim(desk, "Could you give me a discount on the Trail Runner 2?", "visitor-d")
    desk.actions.send_draft(user_id=uid, conversation_id=drafted)
    assert _timeout(desk)(ctx(), payload) == {"status": "handled"}
    # Claimed again later: the earlier claim's timeout is not this claim's.
    desk.ask("Actually, I'd like to talk to a person", client="visitor-d")
    desk.actions.claim(user_id=uid, conversation_id=drafted)
    assert _timeout(desk)(ctx(), payload) == {"status": "handled"}


def test_the_seller_can_choose_that_the_persona_answers_after_the_timeout(desk: Desk) -> None:  # noqa: F811
    desk.settings(claimed_timeout_minutes=15, claimed_timeout_action="release")
    cid, payload, delay = _claim(
        desk, "How much is the Trail Runner 2? Can I speak to a real person?", "visitor-2"
    )
    assert delay == 15 * 60.0
    assert _timeout(desk)(ctx(), payload) == {"status": "released"}
    assert desk.state(cid) == "persona" and desk.events()[-1] == "released"
    kind, resume, _ = desk.jobs.sent[-1]
    assert kind == "handoff.resume" and resume["hand_off"] is False  # no second handoff: no loop
    done = ResumeAnsweringJob(desk.shop.sessions, lambda: desk.answerer, desk.jobs)(ctx(), resume)
    assert done["status"] == "answered"
    role, text, _meta = desk.messages(cid)[-1]
    assert role == "assistant" and "$129" in text


def test_no_timeout_when_the_seller_turned_it_off(desk: Desk) -> None:  # noqa: F811
    desk.settings(claimed_timeout_minutes=0)
    out = desk.ask("Can I talk to someone?")
    sent = len(desk.jobs.sent)
    desk.actions.claim(user_id=desk.shop.user_id, conversation_id=out.conversation_id)
    assert len(desk.jobs.sent) == sent
    # Claiming what the seller has already schedules nothing more either.
    desk.settings(claimed_timeout_minutes=30)
    desk.actions.claim(user_id=desk.shop.user_id, conversation_id=out.conversation_id)
    assert len(desk.jobs.sent) == sent


@pytest.mark.parametrize(
    ("patch", "error"),
    [
        ({"claimed_timeout_minutes": -1}, "claimed_timeout_minutes must be a whole number"),
        ({"claimed_timeout_minutes": 7 * 24 * 60 + 1}, "claimed_timeout_minutes must be a whole number"),
        ({"claimed_timeout_minutes": "60"}, "claimed_timeout_minutes must be a whole number"),
        ({"claimed_timeout_action": "send_draft"}, "claimed_timeout_action must be one of holding, release"),
    ],
)
def test_claimed_timeout_settings_are_checked(patch: dict[str, Any], error: str) -> None:
    with pytest.raises(SettingsError, match=error):
        validate_settings(patch)


def test_claimed_timeout_settings_are_read_leniently() -> None:
    assert validate_settings({"claimed_timeout_minutes": 0, "claimed_timeout_action": "release"}) == {
        "claimed_timeout_minutes": 0,
        "claimed_timeout_action": "release",
    }
    read = HandoffSettings.of({"claimed_timeout_minutes": -5, "claimed_timeout_action": "later"})
    assert (read.claimed_timeout_minutes, read.claimed_timeout_action) == (60, "holding")
    public = HandoffSettings.of({"claimed_timeout_minutes": 20}).public()
    assert public["claimed_timeout_minutes"] == 20 and public["claimed_timeout_action"] == "holding"
