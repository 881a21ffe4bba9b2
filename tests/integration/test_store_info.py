"""Store information beside a catalog: product search never returns it as a product's facts, a
store search returns only it, persona scoping follows the catalog rule, and the relevance floor
keeps the opening hours out of an answer about returns."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from store_files import CATALOG_CSV, PERSONA_FAQ_TXT, POLICIES_MD

from echome.knowledge.index import ingest_catalog
from echome.knowledge.parse import parse_catalog
from echome.knowledge.retrieve import STORE_INFO, store_info_collection
from echome.knowledge.store_doc import parse_store_info
from echome.knowledge.store_info import StoreInfo, ingest_store_info, list_store_info

from ..conftest import make_settings


def _seller(services: Any, email: str = "shop@example.com") -> str:
    from echome.accounts.users import create_user
    from echome.db.session import transaction

    with transaction(services.sessions) as s:
        return str(create_user(s, email=email, password="correct horse").id)


def _persona(services: Any, user_id: str, name: str) -> str:
    from echome.db.models import Persona
    from echome.db.session import transaction

    with transaction(services.sessions) as s:
        p = Persona(user_id=user_id, name=name)
        s.add(p)
        s.flush()
        return str(p.id)


def _import(services: Any, user_id: str, data: bytes, name: str, persona_id: str | None = None) -> Any:
    report = ingest_store_info(
        parse_store_info(data, name),
        user_id=user_id,
        persona_id=persona_id,
        sessions=services.sessions,
        embedder=services.embedder,
        store=services.vectors,
    )
    services.retriever.keywords.invalidate(user_id)
    return report


def _catalog(services: Any, user_id: str) -> None:
    ingest_catalog(
        parse_catalog(CATALOG_CSV, "furniture.csv"),
        user_id=user_id,
        persona_id=None,
        sessions=services.sessions,
        embedder=services.embedder,
        store=services.vectors,
    )
    services.retriever.keywords.invalidate(user_id)


def test_product_search_never_returns_store_info_and_store_search_only_it(services: Any) -> None:
    user = _seller(services)
    _catalog(services, user)
    report = _import(services, user, POLICIES_MD, "policies.md")
    assert report.passages == 5 and report.replaced == 0
    retriever = services.retriever

    for q in ("What's your return policy?", "opening hours saturday", "returns within 30 days refund"):
        products, _ = retriever.search(user_id=user, query=q, top_k=20)
        assert products and all(r.field != STORE_INFO and r.product_id for r in products), q
        store, _ = retriever.search(user_id=user, query=q, top_k=20, kind=STORE_INFO)
        assert store and all(r.field == STORE_INFO and r.product_id is None for r in store), q
    assert all(m.get("product_id") for m in retriever.keyword_index(user).meta)
    assert services.vectors.count(store_info_collection(user)) == 5
    with pytest.raises(ValueError, match="unknown search kind"):
        retriever.search(user_id=user, query="x", kind="faq")


def test_a_store_question_gets_the_stores_policy_not_a_products(services: Any) -> None:
    user = _seller(services)
    _catalog(services, user)
    info = StoreInfo(services.sessions, services.retriever)
    assert info.find(user_id=user, persona_id=None, question="What's your return policy?") == []
    assert not info.passages(user_id=user, persona_id=None)
    _import(services, user, POLICIES_MD, "policies.md")
    assert info.passages(user_id=user, persona_id=None) == 5

    returns = info.find(user_id=user, persona_id=None, question="What's your return policy?")
    assert returns[0].name == "Returns & refunds" and "30 days" in returns[0].text
    assert all("Armoire" not in r.text and "14 days" not in r.text for r in returns)
    assert all(r.name != "Opening hours" for r in returns)  # the floor: not every passage is an answer

    hours = info.find(user_id=user, persona_id=None, question="Wann habt ihr am Samstag offen?")
    assert [r.name for r in hours] == ["Opening hours"]
    assert info.find(user_id=user, persona_id=None, question="Acceptez-vous PayPal ?")[0].name == "Payment"
    wrap = info.find(user_id=user, persona_id=None, question="Can you gift wrap it as a present?")
    assert [r.name for r in wrap] == ["Gift wrapping"]  # no topic: the question's own words
    assert info.find(user_id=user, persona_id=None, question="Do you sell garden gnomes?") == []
    assert info.find(user_id=user, persona_id=None, question="Is my data safe with you?") == []


def test_a_persona_with_its_own_store_info_uses_only_that(services: Any) -> None:
    user = _seller(services)
    vintage = _persona(services, user, "Vintage")
    plain = _persona(services, user, "Plain")
    _import(services, user, POLICIES_MD, "policies.md")
    _import(services, user, PERSONA_FAQ_TXT, "vintage-faq.txt", persona_id=vintage)
    info = StoreInfo(services.sessions, services.retriever)

    own = info.find(user_id=user, persona_id=vintage, question="Can I return it?")
    assert own and all(r.source == "vintage-faq.txt" for r in own) and "damaged" in own[0].text
    shared = info.find(user_id=user, persona_id=plain, question="Can I return it?")
    assert shared and all(r.source == "policies.md" for r in shared)
    assert info.find(user_id=user, persona_id=vintage, question="Do you accept PayPal?") == []

    files = {f["source"]: f for f in list_store_info(services.sessions, user_id=user)}
    assert files["vintage-faq.txt"]["persona"] == "Vintage" and files["policies.md"]["persona_id"] is None
    # Another seller sees none of it.
    other = _seller(services, "other@example.com")
    assert info.find(user_id=other, persona_id=None, question="Can I return it?") == []


def test_reimport_replaces_the_files_passages(services: Any) -> None:
    user = _seller(services)
    _import(services, user, POLICIES_MD, "policies.md")
    shorter = POLICIES_MD.split(b"## Opening hours")[0]
    report = _import(services, user, shorter, "policies.md")
    assert report.replaced == 5 and report.passages == 2
    assert services.vectors.count(store_info_collection(user)) == 2
    info = StoreInfo(services.sessions, services.retriever)
    assert info.find(user_id=user, persona_id=None, question="What are your opening hours?") == []


@pytest.mark.parametrize("vector_store", ["flat", "chroma", "qdrant", "memory"])
def test_every_vector_store_keeps_store_info_apart(
    tmp_path: Path, sqlite_template: Path, vector_store: str
) -> None:
    """The "every persona" filter (`persona_id == ""`) and the separate collection, per store."""
    from echome.bootstrap import build_services

    db = tmp_path / "echome.db"
    db.write_bytes(sqlite_template.read_bytes())
    services = build_services(
        make_settings(tmp_path, database_url=f"sqlite:///{db}", vector_store=vector_store)
    )
    try:
        user = _seller(services)
        vintage = _persona(services, user, "Vintage")
        _catalog(services, user)
        _import(services, user, POLICIES_MD, "policies.md")
        _import(services, user, PERSONA_FAQ_TXT, "vintage-faq.txt", persona_id=vintage)
        shared, _ = services.retriever.search(
            user_id=user, query="return refund", kind=STORE_INFO, where={"persona_id": ""}
        )
        assert shared and {r.source for r in shared} == {"policies.md"}
        products, _ = services.retriever.search(user_id=user, query="return refund", top_k=10)
        assert products and all(r.field != STORE_INFO for r in products)
    finally:
        services.close()


def test_returns_of_a_named_product_come_from_its_record_else_from_the_stores_terms(
    services: Any,
) -> None:
    user = _seller(services)
    _catalog(services, user)
    persona = _persona(services, user, "Ana")

    def ask(question: str) -> str:
        got = services.answerer.answer(
            user_id=user, persona_id=persona, question=question, channel="eval", client_ref=question
        )
        return str(got.answer)

    # no store information yet: the lamp's record says nothing of returns, so nothing is made up
    lamp = ask("Can I return the Copper Desk Lamp if I don't like it?")
    assert "linen shade" not in lamp and "30 days" not in lamp
    _import(services, user, POLICIES_MD, "policies.md")
    assert "14 days" in ask("Can I return the Oak Armoire?")  # its own record says
    lamp = ask("Can I return the Copper Desk Lamp if I don't like it?")
    assert "30 days" in lamp and "linen shade" not in lamp  # the store's terms
