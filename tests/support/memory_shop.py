"""A seller with one persona and a catalog on in-memory SQLite with the fake embedder and vector
store: what the answer stage needs, with no files, model or server."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import create_engine
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import StaticPool

from echome.answer.evidence import EvidenceFinder
from echome.db.models import Base, Persona, PersonaProfile, User
from echome.knowledge.index import ingest_catalog
from echome.knowledge.lookup import ProductLookup
from echome.knowledge.parse import parse_catalog
from echome.knowledge.retrieve import Retriever
from echome.knowledge.store_info import StoreInfo
from echome.providers.fakes import HashingEmbedder, MemoryVectorStore
from echome.providers.rerank_local import LocalReranker


@dataclass
class MemoryShop:
    engine: Engine
    sessions: sessionmaker[Session]
    finder: EvidenceFinder
    user_id: str
    persona_id: str

    def import_catalog(self, data: bytes, name: str, *, persona_id: str | None = None) -> None:
        retriever = self.finder.retriever
        ingest_catalog(
            parse_catalog(data, name),
            user_id=self.user_id,
            persona_id=persona_id,
            sessions=self.sessions,
            embedder=retriever.embedder,
            store=retriever.store,
        )
        retriever.keywords.invalidate(self.user_id)


def memory_shop(catalog: bytes, *, profile: dict[str, Any], name: str = "outdoor.csv") -> MemoryShop:
    engine = create_engine("sqlite://", poolclass=StaticPool, connect_args={"check_same_thread": False})
    Base.metadata.create_all(engine)
    sessions = sessionmaker(engine, expire_on_commit=False)
    with sessions.begin() as db:
        user = User(email="seller@example.com")
        db.add(user)
        db.flush()
        persona = Persona(user_id=user.id, name="Ana")
        db.add(persona)
        db.flush()
        db.add(PersonaProfile(user_id=user.id, persona_id=persona.id, auto_extracted=profile))
        user_id, persona_id = user.id, persona.id
    embedder, store = HashingEmbedder(), MemoryVectorStore()
    retriever = Retriever(sessions=sessions, embedder=embedder, store=store, reranker=LocalReranker())
    shop = MemoryShop(
        engine,
        sessions,
        EvidenceFinder(
            sessions,
            retriever,
            ProductLookup(retriever.keyword_index),
            StoreInfo(sessions, retriever),
            default_currency="USD",
        ),
        user_id,
        persona_id,
    )
    shop.import_catalog(catalog, name)
    return shop


def ask_offline(shop: MemoryShop, question: str, **kw: Any) -> Any:
    """The persona's `Answer` to `question` from the offline composer (no chat model, no voice)."""
    from echome.answer.pipeline import Answerer
    from echome.providers.fakes import FixedModels

    answerer = Answerer(shop.sessions, shop.finder, FixedModels(chat=None), None)
    return answerer.answer(user_id=shop.user_id, persona_id=shop.persona_id, question=question, **kw)


def offline_answers(catalog: bytes, *questions: str, name: str = "shop.csv") -> list[str]:
    """What the persona answers to each question (the offline composer, no chat model), each asked
    as the first message of one customer, on a new shop holding `catalog`."""
    from echome.answer.pipeline import Answerer
    from echome.providers.fakes import FixedModels

    shop = memory_shop(catalog, profile={}, name=name)
    try:
        answerer = Answerer(shop.sessions, shop.finder, FixedModels(chat=None), None)
        return [
            answerer.answer(user_id=shop.user_id, persona_id=shop.persona_id, question=q).answer
            for q in questions
        ]
    finally:
        shop.engine.dispose()
