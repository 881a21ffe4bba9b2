"""What an answer may rest on: the retrieved chunks (with citations) and the cited products' facts.

`EvidenceFinder.find` runs retrieval for one question, keeps only products this persona sells, and
loads the typed facts of every cited product.
"""

from __future__ import annotations

import re
from dataclasses import KW_ONLY, dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from echome.answer.facts import ProductFacts, load_products
from echome.db.models import Product
from echome.knowledge.retrieve import Retriever, SearchResult

# Words a customer uses to point back at the product already under discussion.
_ANAPHORA = re.compile(r"\b(it|its|it's|this|that|these|those|they|them|one|ones|same)\b", re.I)


@dataclass
class Evidence:
    question: str
    results: list[SearchResult]
    products: dict[str, ProductFacts]  # cited products by id
    timings: dict[str, float] = field(default_factory=dict)
    scoped_to: str | None = None  # product id the search was narrowed to (conversation context)
    named: str | None = None  # product id the question names ("how much is the Ocean Blue Shirt?")

    @property
    def subject(self) -> str | None:
        """The product the customer is certainly asking about, when we know it."""
        return self.named or self.scoped_to

    @property
    def empty(self) -> bool:
        return not self.results

    def citations(self, used: list[int] | None = None) -> list[dict[str, Any]]:
        """Citations of every result, or of the results at `used` (what the reply quoted)."""
        chosen = self.results if used is None else [self.results[i] for i in used if i < len(self.results)]
        return [
            {
                "sku": r.sku,
                "name": r.name,
                "source": r.source,
                "page": r.page,
                "text": r.text,
                "product_id": r.product_id,
                "score": round(r.score, 4),
            }
            for r in chosen
        ]

    def top_product(self) -> ProductFacts | None:
        if self.subject and self.subject in self.products:
            return self.products[self.subject]
        for r in self.results:
            if r.product_id and r.product_id in self.products:
                return self.products[r.product_id]
        return None


def refers_back(question: str) -> bool:
    return bool(_ANAPHORA.search(question))


@dataclass(eq=False)
class EvidenceFinder:
    sessions: sessionmaker[Session]
    retriever: Retriever
    _: KW_ONLY
    default_currency: str | None

    def find(
        self,
        *,
        user_id: str,
        persona_id: str,
        question: str,
        focus_product: str | None = None,
        top_k: int = 5,
    ) -> Evidence:
        """Top-`top_k` chunks for the question (10 candidates per retriever, fused, reranked).

        When the conversation is about one product and the question points back at it ("does it
        come in blue?") without naming another, the search is narrowed to that product first.
        """
        retriever = self.retriever
        timings: dict[str, float] = {}
        own = self.has_own_catalog(user_id=user_id, persona_id=persona_id)
        only = persona_id if own else None
        scoped_to = None
        results: list[SearchResult] = []
        mention = retriever.keyword_index(user_id).mentioned_product(question)
        named_other = mention is not None and mention[0] != focus_product
        if focus_product and refers_back(question) and not named_other:
            results, timings = retriever.search(
                user_id=user_id,
                query=question,
                top_k=top_k,
                product_id=focus_product,
                persona_id=only,
                candidates=10,
            )
            scoped_to = focus_product if results else None
        if not results:
            results, timings = retriever.search(
                user_id=user_id, query=question, top_k=top_k + 3, persona_id=only, candidates=10
            )
        results = [r for r in results if (r.persona_id == persona_id if own else not r.persona_id)][:top_k]
        ids = list(dict.fromkeys(r.product_id for r in results if r.product_id))
        named = mention[0] if mention and mention[0] in ids else None
        return Evidence(
            question=question,
            results=results,
            products=load_products(
                self.sessions, user_id=user_id, ids=ids, default_currency=self.default_currency
            ),
            timings=timings,
            scoped_to=scoped_to,
            named=named,
        )

    def has_own_catalog(self, *, user_id: str, persona_id: str) -> bool:
        """A persona with catalogs attached to it sells only those; one without sells the seller's
        shared catalogs (imported for no persona). Another persona's products are never its own."""
        with self.sessions() as db:
            return (
                db.scalar(
                    select(Product.id)
                    .where(Product.user_id == user_id, Product.persona_id == persona_id)
                    .limit(1)
                )
                is not None
            )
