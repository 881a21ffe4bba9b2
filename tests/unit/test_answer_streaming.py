"""The LLM reply streamed to the customer as the model writes it (`Answerer.answer(on_text=...)`):
each sentence checked by the guardrail before it is shown, a failing sentence never shown, the
model asked once to continue from what was read, and nothing streamed when the turn may be handed
to the seller before the draft exists."""

from __future__ import annotations

import re
from collections.abc import Generator, Iterator, Sequence
from typing import Any

import pytest
from sqlalchemy import select

from echome.answer.handoff_port import CustomerTurn, DraftFacts, HandoffOutcome
from echome.answer.pipeline import Answerer
from echome.db.models import Message
from echome.providers.base import ChatMessage, ChatStream, ProviderError
from echome.providers.fakes import FixedModels, ScriptedChat
from tests.support.memory_shop import MemoryShop, memory_shop
from tests.unit.test_answer_stage import CATALOG, NOTES


class LoggedChat(ScriptedChat):
    """A scripted model whose stream writes what it yields into a shared log, and can break off."""

    def __init__(self, replies: Sequence[str | Exception], log: list[str], *, break_after: int | None = None):
        super().__init__(replies)
        self.log = log
        self.break_after = break_after

    def stream(
        self, messages: Sequence[ChatMessage], *, temperature: float = 0.3, max_tokens: int = 800
    ) -> ChatStream:
        reply = self._reply(list(messages), json_schema=None, temperature=temperature, stream=True)

        def pieces(out: ChatStream) -> Generator[str, None, None]:
            for n, piece in enumerate(re.findall(r"\s*\S+", reply)):
                if self.break_after is not None and n == self.break_after:
                    raise ProviderError("the stream broke off", transient=True)
                out.output_tokens += 1
                self.log.append(f"model:{piece.strip()}")
                yield piece
            self.log.append("model:end")

        return ChatStream(self.name, pieces)


class Desk:
    """A handoff part that never hands off, and says whether a reply may stream."""

    def __init__(self, streams: bool, outcome: HandoffOutcome | None = None) -> None:
        self.streams = streams
        self.outcome = outcome
        self.drafts: list[DraftFacts] = []

    def covers(self, channel: str) -> bool:
        return True

    def may_stream(self, persona_id: str, question: str) -> bool:
        return self.streams

    def hold(self, turn: CustomerTurn) -> HandoffOutcome | None:
        return None

    def consider(self, turn: CustomerTurn, draft: DraftFacts) -> HandoffOutcome | None:
        self.drafts.append(draft)
        return self.outcome


@pytest.fixture
def shop() -> Iterator[MemoryShop]:
    base = memory_shop(CATALOG, profile={})
    yield base
    base.engine.dispose()


def ask(shop: MemoryShop, chat: Any, question: str, shown: list[str], desk: Any = None) -> Any:
    answerer = Answerer(shop.sessions, shop.finder, FixedModels(chat=chat), None, desk)
    return answerer.answer(
        user_id=shop.user_id, persona_id=shop.persona_id, question=question, channel="web",
        client_ref="web:v1", on_text=shown.append,
    )  # fmt: skip


def test_sentences_reach_the_customer_while_the_model_is_still_writing(shop: MemoryShop) -> None:
    log: list[str] = []
    reply = "The Summit Rain Jacket is $89.50. It has taped seams. The hood packs away."
    chat = LoggedChat([reply, NOTES], log)
    shown: list[str] = []

    def show(piece: str) -> None:
        shown.append(piece)
        log.append(f"shown:{piece.strip()}")

    answerer = Answerer(shop.sessions, shop.finder, FixedModels(chat=chat), None)
    out = answerer.answer(
        user_id=shop.user_id, persona_id=shop.persona_id, question="How much is the Summit Rain Jacket?",
        on_text=show,
    )  # fmt: skip
    assert [p.strip() for p in shown] == [
        "The Summit Rain Jacket is $89.50.",
        "It has taped seams.",
        "The hood packs away.",
    ]
    assert "".join(shown) == out.answer == reply and out.mode == "llm"
    assert log.index("shown:The Summit Rain Jacket is $89.50.") < log.index("model:end")
    assert chat.calls[0]["stream"] is True and out.tokens["output"] == len(reply.split())


def test_a_sentence_with_an_invented_price_is_never_shown_and_the_model_continues(shop: MemoryShop) -> None:
    log: list[str] = []
    chat = LoggedChat(
        [
            "The Summit Rain Jacket has taped seams. It is $45 today only! Get it now.",
            "It costs $89.50 and the hood packs away.",
            NOTES,
        ],
        log,
    )
    shown: list[str] = []
    out = ask(shop, chat, "Tell me about the Summit Rain Jacket", shown)
    assert "".join(shown) == out.answer
    assert out.answer == "The Summit Rain Jacket has taped seams. It costs $89.50 and the hood packs away."
    assert not any("45" in p for p in shown)
    # The first stream stopped at the failing sentence (seen complete when "Get" arrived).
    assert "model:Get" in log and "model:now." not in log
    rewrite = chat.calls[1]["messages"][-1].content
    assert "not in the product context" in rewrite and "already read" in rewrite
    assert "The Summit Rain Jacket has taped seams." in rewrite
    assert any("45" in c["text"] for c in out.guardrail["first_draft"]["unsupported"])
    assert out.guardrail["regenerated"]["unsupported"] == []


def test_a_continuation_that_still_invents_is_cut(shop: MemoryShop) -> None:
    chat = LoggedChat(["The Cedar Camp Mug holds 350 ml. It is 90% off.", "It is 90% off. Enjoy!", NOTES], [])
    shown: list[str] = []
    out = ask(shop, chat, "Tell me about the Cedar Camp Mug", shown)
    assert "".join(shown) == out.answer == "The Cedar Camp Mug holds 350 ml. Enjoy!"
    assert out.guardrail["regenerated"]["removed"] == ["It is 90% off."]


def test_a_stream_that_breaks_off_keeps_what_was_shown(shop: MemoryShop) -> None:
    chat = LoggedChat(
        ["The Trail Runner 2 is $129.00. It has a grippy outsole and more.", NOTES], [], break_after=8
    )
    shown: list[str] = []
    out = ask(shop, chat, "How much is the Trail Runner 2?", shown)
    assert out.answer == "The Trail Runner 2 is $129.00." == "".join(shown).strip()
    assert "broke off" in out.guardrail["stream_error"]


def test_a_model_failing_before_its_first_sentence_leaves_the_answer_to_the_composer(
    shop: MemoryShop,
) -> None:
    chat = LoggedChat(["The Trail Runner 2 is $129.00.", NOTES], [], break_after=2)
    shown: list[str] = []
    out = ask(shop, chat, "How much is the Trail Runner 2?", shown)
    assert shown == [] and out.mode == "composer" and "$129" in out.answer
    assert "broke off" in (out.llm_error or "")


def test_nothing_streams_when_the_turn_may_go_to_the_seller(shop: MemoryShop) -> None:
    reply = "The Trail Runner 2 is $129.00."
    chat = LoggedChat([reply, NOTES], [])
    shown: list[str] = []
    out = ask(shop, chat, "How much is the Trail Runner 2?", shown, desk=Desk(streams=False))
    assert shown == [] and out.answer == reply and chat.calls[0].get("stream") is None
    chat = LoggedChat([reply, NOTES], [])
    out = ask(shop, chat, "How much is the Trail Runner 2?", shown, desk=Desk(streams=True))
    assert "".join(shown) == out.answer == reply


def test_the_offline_composer_does_not_stream(shop: MemoryShop) -> None:
    shown: list[str] = []
    out = ask(shop, None, "How much is the Trail Runner 2?", shown)
    assert out.mode == "composer" and shown == [] and "$129" in out.answer


def test_a_handoff_after_the_stream_keeps_what_the_customer_read(shop: MemoryShop) -> None:
    chat = LoggedChat(["The Cedar Camp Mug holds 350 ml. It is 90% off.", "It is 90% off.", NOTES], [])
    notice = HandoffOutcome(
        text="I've asked Ana to check this; she will reply here.",
        state="waiting",
        reason="guardrail_cut",
        reason_text="the safety check cut a fact",
    )
    desk = Desk(streams=True, outcome=notice)
    shown: list[str] = []
    out = ask(shop, chat, "Tell me about the Cedar Camp Mug", shown, desk=desk)
    assert "".join(shown).strip() == "The Cedar Camp Mug holds 350 ml."
    assert out.answer == f"The Cedar Camp Mug holds 350 ml.\n\n{notice.text}"
    assert desk.drafts[0].removed == ("It is 90% off.",)
    with shop.sessions() as db:
        said = db.scalars(select(Message.content).where(Message.role == "assistant")).all()
    assert said == ["The Cedar Camp Mug holds 350 ml."]  # the notice is the desk's to store
