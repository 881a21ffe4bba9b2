"""Test conversations on a persona's imported catalog: the persona's real pipeline answers, the
seller's data is left as it was, and a wrong answer is named with why it failed."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from echome.db.models import Client, Conversation, HandoffEvent, Job, Message, Persona, PersonaProfile
from echome.db.session import transaction
from echome.handoff.state import settings_of
from echome.knowledge.index import ingest_catalog
from echome.knowledge.parse import parse_catalog
from echome.rehearsal.buyer_questions import KINDS, buyer_questions
from echome.rehearsal.conversations import (
    DryRunHandoff,
    dry_run_answerer,
    known_numbers,
    persona_catalog,
    run_conversation_eval,
)
from tests.servers.fake_openai import FakeOpenAI

pytest_plugins = ["tests.servers.fixtures"]

CATALOG = (
    "name,sku,price,stock,material,description\n"
    "Oak Garden Bench,GB-1,240.00,4,Solid oak,A two-seat bench for the garden.\n"
    "Linen Tea Towel,TT-2,8.90,0,Washed linen,A soft towel for the kitchen.\n"
    "Copper Watering Can,WC-3,45.00,12,Hammered copper,Holds five litres.\n"
    "Wicker Picnic Basket,PB-4,60.00,2,Willow,Fits plates for four.\n"
)


@dataclass
class Shop:
    services: Any
    user_id: str
    persona_id: str


@pytest.fixture
def shop(tmp_path: Path, sqlite_template: Path) -> Iterator[Shop]:
    from echome.accounts.users import create_user
    from echome.bootstrap import build_services

    from ..conftest import make_settings

    db = tmp_path / "echome.db"
    db.write_bytes(sqlite_template.read_bytes())
    services = build_services(make_settings(tmp_path, database_url=f"sqlite:///{db}"))
    try:
        with transaction(services.sessions) as s:
            user_id = create_user(s, email="seller@example.com", password="correct horse").id
            persona = Persona(user_id=user_id, name="Ana")
            persona.profile = PersonaProfile(user_id=user_id)
            s.add(persona)
            s.flush()
            persona_id = persona.id
        ingest_catalog(
            parse_catalog(CATALOG.encode(), "garden.csv"),
            user_id=user_id,
            persona_id=persona_id,
            sessions=services.sessions,
            embedder=services.embedder,
            store=services.vectors,
        )
        yield Shop(services, user_id, persona_id)
    finally:
        services.close()


def _counts(shop: Shop) -> dict[str, int]:
    with shop.services.sessions() as db:
        return {
            m.__name__: db.scalar(select(func.count()).select_from(m)) or 0
            for m in (Client, Conversation, Message, HandoffEvent, Job)
        }


def _questions(shop: Shop, n: int) -> tuple[list[Any], set[Any]]:
    sessions = shop.services.sessions
    records = persona_catalog(sessions, user_id=shop.user_id, persona_id=shop.persona_id)
    assert sorted(r.name for r in records) == [
        "Copper Watering Can",
        "Linen Tea Towel",
        "Oak Garden Bench",
        "Wicker Picnic Basket",
    ]
    # The material column is a fact read back from the stored chunks.
    assert any(f.text == "Material: Solid oak" for r in records for f in r.fields), records[0].fields
    known = known_numbers(sessions, user_id=shop.user_id, products=records)
    with sessions() as db:
        triggers = settings_of(db, shop.persona_id).triggers
    return buyer_questions(records, n=n, seed=7, triggers=triggers), known


def test_the_real_pipeline_answers_and_the_sellers_data_stays_as_it_was(shop: Shop) -> None:
    questions, known = _questions(shop, 18)
    before = _counts(shop)
    report = run_conversation_eval(
        dry_run_answerer(shop.services.answerer),
        shop.services.sessions,
        user_id=shop.user_id,
        persona_id=shop.persona_id,
        questions=questions,
        known=known,
    )
    assert _counts(shop) == before  # no customers, conversations, messages, handoff events or jobs left
    assert report["questions"] == len(questions) == 18
    assert set(report["by_kind"]) >= {"price", "stock", "specs", "off-catalog", "human", "discount"}
    assert report["by_kind"]["price"]["passed"] == report["by_kind"]["price"]["questions"]
    humans = [a for a in report["answers"] if a["kind"] == "human"]
    assert humans and all(a["handoff"] == "customer_asked" and a["passed"] for a in humans)
    # what the customer would read live: the desk's notice, not the draft kept for the seller
    assert all(a["told"].startswith("I've asked ") and a["told"] != a["answer"] for a in humans)
    price = next(a for a in report["answers"] if a["kind"] == "price")
    assert price["told"] == price["answer"]
    assert report["passed"] == sum(a["passed"] for a in report["answers"])
    assert [f["question"] for f in report["failing"]] == [
        a["question"] for a in report["answers"] if not a["passed"]
    ]
    assert report["style"] is None  # no profile given: style is not measured


@dataclass
class _Reply:
    answer: str
    mode: str = "composer"
    conversation_id: str | None = None


@dataclass
class _AlwaysTheSamePrice:
    """A persona that answers every question with one price and never hands off."""

    handoff: DryRunHandoff
    asked: list[str] = field(default_factory=list)

    def answer(self, *, user_id: str, persona_id: str, question: str, channel: str, client_ref: str) -> Any:
        self.asked.append(client_ref)
        return _Reply("That one is 45.00, happy to help!")


def test_wrong_answers_are_named_with_why(shop: Shop) -> None:
    questions, known = _questions(shop, len(KINDS))  # each kind once
    made: list[_AlwaysTheSamePrice] = []

    def answering(handoff: DryRunHandoff) -> _AlwaysTheSamePrice:
        made.append(_AlwaysTheSamePrice(handoff))
        return made[0]

    report = run_conversation_eval(
        answering,
        shop.services.sessions,
        user_id=shop.user_id,
        persona_id=shop.persona_id,
        questions=questions,
        known=known,
    )
    assert len(set(made[0].asked)) == len(KINDS)  # every question a new customer
    failing = {f["question"]: f for f in report["failing"]}
    first = {q.kind: q for q in reversed(questions)}
    wrong_price = [q for q in questions if q.kind == "price" and q.expect_all[0][0] not in ("45", "45.00")]
    assert wrong_price and all(failing[q.question]["why"][0].startswith("missing ") for q in wrong_price)
    assert "not handed to the seller" in failing[first["human"].question]["why"]
    assert failing[first["off-catalog"].question]["why"][0].startswith("not declined")
    assert report["pass_rate"] < 0.5


def test_a_persona_that_does_not_hand_off_discounts_is_not_expected_to(shop: Shop) -> None:
    with transaction(shop.services.sessions) as db:
        persona = db.get(Persona, shop.persona_id)
        assert persona is not None
        persona.chat_settings = {"handoff_triggers": ["customer_asked"]}
    questions, known = _questions(shop, 18)
    expected = {q.kind: q.handoff for q in questions}
    assert expected["discount"] == "either" and expected["human"] == "required"
    report = run_conversation_eval(
        dry_run_answerer(shop.services.answerer),
        shop.services.sessions,
        user_id=shop.user_id,
        persona_id=shop.persona_id,
        questions=questions,
        known=known,
    )
    discounts = [a for a in report["answers"] if a["kind"] == "discount"]
    assert discounts and all(a["handoff"] is None for a in discounts)


def test_questions_rephrased_by_the_sellers_llm_are_asked_and_scored_against_the_plan(
    shop: Shop, fake_openai: FakeOpenAI
) -> None:
    from echome.providers.chat_openai import OpenAIChat
    from echome.rehearsal.buyer_questions import TemplateBuyers
    from echome.rehearsal.llm_buyers import LLMBuyers

    sessions = shop.services.sessions
    records = persona_catalog(sessions, user_id=shop.user_id, persona_id=shop.persona_id)
    with sessions() as db:
        triggers = settings_of(db, shop.persona_id).triggers
    plan = TemplateBuyers().questions(records, n=9, seed=7, triggers=triggers).questions
    casual = {  # a shopper's words for the planned prices; the rest keep the template's words
        "Oak Garden Bench": "hiya whats the price on the oak bench",
        "Linen Tea Towel": "how much 4 the linen tea towel pls",
        "Copper Watering Can": "copper watering can - how much??",
        "Wicker Picnic Basket": "hi how much is the picnic basket",
    }
    fake_openai.reply(*(casual[q.products[0]] if q.kind == "price" else "" for q in plan))
    chat = OpenAIChat(fake_openai.api_key, base_url=fake_openai.base_url, sleep=[].append)
    buyers = LLMBuyers(chat, templates=TemplateBuyers()).questions(records, n=9, seed=7, triggers=triggers)
    assert buyers.report["llm_phrased"] == sum(q.kind == "price" for q in plan) >= 1
    assert buyers.report["fallback_reasons"] == {"empty": len(plan) - buyers.report["llm_phrased"]}

    report = run_conversation_eval(
        dry_run_answerer(shop.services.answerer),
        sessions,
        user_id=shop.user_id,
        persona_id=shop.persona_id,
        questions=buyers.questions,
        known=known_numbers(sessions, user_id=shop.user_id, products=records),
    )
    prices = [a for a in report["answers"] if a["kind"] == "price"]
    assert prices and all(a["phrased_by"] == "llm" and a["question"] in casual.values() for a in prices)
    assert all(a["template_question"] in [q.question for q in plan] for a in prices)
    assert all(a["passed"] for a in prices), [(a["question"], a["answer"], a["why"]) for a in prices]
    assert report["by_phrasing"]["llm"]["questions"] == len(prices)
    assert report["by_phrasing"]["template"]["questions"] == len(plan) - len(prices)
