"""The priced products of the kind a question asks for: what "the cheapest teapot" and "teapots under
30" are chosen from (`EvidenceFinder`)."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from echome.answer.asks import FOLDED_QUESTION_WORDS, subject_of
from echome.answer.facts import load_products
from echome.knowledge.coverage import holders, subject_words
from echome.knowledge.lookup import ProductNames


def priced_of_kind(
    question: str,
    index: Any,
    names: ProductNames,
    sessions: sessionmaker[Session],
    user_id: str,
    persona_id: str,
    sells: Callable[[str | None], bool],
    default_currency: str | None,
) -> list[tuple[list[Decimal], str]]:
    """Each priced product whose text holds every word of what the question asks for ("the cheapest
    teapot"; the whole shop for "your cheapest thing"), with its prices; those whose name says they
    are that kind of thing only, when there are any ("the cheapest matcha" is a matcha, not a matcha
    whisk). Empty when no product holds it (the shop does not carry it)."""
    subject = [
        w for w in subject_words(subject_of(question)) if len(w) > 1 and w not in FOLDED_QUESTION_WORDS
    ]
    ids = holders(index, subject, persona_id=persona_id)
    kinds = {p for w in subject for p in names.all_of_kind(w, sells=sells)}
    ids = (ids & kinds) or ids
    facts = load_products(sessions, user_id=user_id, ids=sorted(ids), default_currency=default_currency)
    return [(prices, pid) for pid, p in sorted(facts.items()) if (prices := p.offer_prices())]
