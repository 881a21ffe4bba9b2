"""What an answer may rest on: the retrieved chunks (with citations) and the cited products' facts.

`EvidenceFinder.find` runs retrieval for one question, keeps only products this persona sells, and
loads the typed facts of every cited product.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import KW_ONLY, dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from echome.answer.asks import (
    asks_availability,
    asks_recommendation,
    asks_typed_facts,
    asks_what_is_sold,
    price_extreme,
    subject_of,
    whether_words,
)
from echome.answer.assortment import Assortment, assortment, suited
from echome.answer.facts import COLOUR_WORDS, ProductFacts, load_products
from echome.answer.kind_asked import asked_of_kind, before_kind, before_kind_asked_for, of_kind_asked
from echome.answer.kind_prices import priced_of_kind
from echome.answer.nearest_kind import Closest, NearestKinds
from echome.answer.other_one import other_of_kind
from echome.answer.price_range import cheapest_or_dearest, price_range
from echome.answer.store_questions import store_topic, topics_of
from echome.db.models import Product
from echome.knowledge.coverage import Cover, cover, holders, subject_words
from echome.knowledge.lookup import Lookup, ProductLookup, ProductNames
from echome.knowledge.retrieve import Retriever, SearchResult
from echome.knowledge.store_info import StoreInfo

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
    mentioned: list[str] = field(default_factory=list)  # every product the question names, in order
    ambiguous: list[str] = field(default_factory=list)  # products that fit the name equally well
    asked: str | None = None  # the question without the product names it spells out
    cover: Cover | None = None  # for a question naming no product: does any product hold what it asks for?
    not_carried: bool = False  # it asks for something no product of the shop is (see `not_carried`)
    unlisted: tuple[str, list[str]] | None = None  # ("sofa", ["blue"]): none is; `ambiguous` are the sofas
    closest: Closest | None = None  # not carried, but a product of a kind near in meaning is
    near: str | None = None  # named by none, the top result's product when the question holds a word
    # only its name has ("the copper best clamp"): the reply asks whether it is the one meant
    extreme: str | None = None  # "low" / "high": `named` is the lowest- / highest-priced of its kind
    whether: str | None = None  # "Do you have the X?" asking nothing else of it: X's product id
    assortment: Assortment | None = None  # "what do you sell?" (`results` are empty)
    store_topic: str | None = None  # a question about the store (returns, shipping...): `results` are
    # the seller's store information on it (empty: the seller never gave it)

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


def points_back_first(question: str) -> bool:
    """Whether the question points back ("will this fit ...?") before it names anything; an "it"
    after a name ("who makes the X and what does it cost?") points at that name."""
    m = _ANAPHORA.search(question)
    if m is None:
        return False
    subject = subject_words(subject_of(question))
    before = subject_words(subject_of(question[: m.start()]))
    return not before or not subject


def not_carried(question: str, found: Cover | None, *, about: str | None = None) -> bool:
    """Whether to say "we don't carry that": a question that names no product and points back at
    none, whose subject no single product of the shop covers (a stricter share when it asks whether
    the shop has something at all). A question asking something *of* a kind of product the shop has
    (`about`: "How long does the matcha stay fresh?") is about that product, whatever the rest of
    its words. Measured on every catalog we have: benchmarks/offcatalog.py."""
    if found is None:
        return False
    if asks_availability(question):
        return not found.carried(asks_availability=True)
    return about is None and not found.carried(asks_availability=False)


def asks_only_whether(question: str, names: ProductNames, product_id: str) -> bool:
    """Whether `question` asks if the shop has the product and nothing more: every word it asks for,
    the asking aside, is a word of the product's name ("Do you have the Wanderschuh?", "Haben Sie
    Dartpfeile?"; not "Do you have the Wanderschuh in 44?" or "... its measurements?")."""
    asked = whether_words(question)
    return bool(asked) and all(names.holds(product_id, w) for w in asked)


MAX_LISTED = 6  # products of a kind listed by name (and price) when several fit
AGREEING = 3  # a kind asked for counts when one of its products is among the search's first three


@dataclass(eq=False)
class EvidenceFinder:
    """Facts from records, prose from retrieval: the products the question names are looked up in
    the seller's records (`ProductLookup`: SKU, whole or partial name) and searched one by one; a
    question that names none is searched across the catalog. A question about the store (returns,
    shipping, hours: `store_topic`) is answered from the seller's store information alone."""

    sessions: sessionmaker[Session]
    retriever: Retriever
    lookup: ProductLookup
    store: StoreInfo
    _: KW_ONLY
    default_currency: str | None  # the seller's configured currency for prices nothing else names
    max_named: int = 3  # products searched one by one ("which is cheaper, A or B?")
    kinds: NearestKinds | None = None  # the closest kind to one the shop does not carry ("lamp" → a light)

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
        names = self.lookup.names(user_id)
        sells: Callable[[str | None], bool] = (lambda p: p == persona_id) if own else (lambda p: p is None)
        if asks_what_is_sold(question):
            return self._what_is_sold(question, user_id, persona_id, own, names)
        lookup = names.find(question, sells=sells)
        named_ids = [m.product_id for m in lookup.mentions][: self.max_named]
        # "What about the olive one?" after the Soft Winter Jacket: the Olive Green Jacket
        turned = (
            []
            if named_ids or not focus_product
            else other_of_kind(
                question,
                names,
                focus_product,
                sells=sells,
                holders=lambda w: holders(retriever.keyword_index(user_id), [w], persona_id=only or ""),
            )
        )
        named_ids = named_ids or turned[: len(turned) == 1]
        names_product = bool(named_ids) or bool(focus_product and refers_back(question))
        # Words of a product's name are not a store topic (a product named "Payment Methods & Risk").
        topic = store_topic(lookup.asked(question) if named_ids else question, names_product=names_product)
        if topic is not None:  # the store's policies, hours...: its own information or nothing
            return self._store(user_id, persona_id, question, topic)
        # "Can I return the hoodie?": its record first, the store's terms if the record is silent (below)
        own_topic = store_topic(question) if names_product else None
        scoped_to = None
        results: list[SearchResult] = []
        back = bool(focus_product and refers_back(question)) and not turned
        extreme = price_extreme(question) if not (named_ids or back) else None

        def priced_of(text: str) -> list[tuple[list[Decimal], str]]:  # the kind it asks for, priced
            index = retriever.keyword_index(user_id)
            return priced_of_kind(
                text, index, names, self.sessions, user_id, only or "", sells, self.default_currency
            )

        bound = price_range(question) if not (named_ids or back or extreme) else None
        lowest = None
        ambiguous = list(lookup.ambiguous) or turned[len(turned) == 1 :]
        if bound is not None:  # "hoodies under 60": those in the range, or the nearest one of the kind
            priced = priced_of(bound.without(question))
            fitting = [pid for prices, pid in sorted(priced) if bound.holds(prices)]
            if len(fitting) > 1:
                ambiguous = fitting
            elif fitting:
                named_ids = fitting
            elif priced:  # none in range: the cheapest (or dearest) one there is, with its price
                extreme = "low" if bound.high is not None else "high"
                lowest = cheapest_or_dearest(priced, extreme)
        elif extreme is not None:
            lowest = cheapest_or_dearest(priced_of(question), extreme)
        if lowest is not None:  # "your cheapest teapot": that one, as if the question named it
            named_ids = [lowest]
        typed = not (named_ids or back) and asks_typed_facts(question)
        if typed and 1 < len(ambiguous) <= self.max_named:  # "the knit blanket?" of two: both prices
            named_ids, ambiguous = ambiguous, []
        if named_ids:
            results, timings = self._named(user_id, question, lookup, named_ids, only, top_k)
        elif back and not ambiguous:
            results, timings = retriever.search(
                user_id=user_id,
                query=question,
                top_k=top_k,
                product_id=focus_product,
                persona_id=only,
                candidates=10,
            )
            scoped_to = focus_product if results else None
        if own_topic is not None and not any(own_topic in topics_of(r.text) for r in results):
            store = self._store(user_id, persona_id, question, own_topic)
            if store.results:  # the store's terms; with none, what the product's record holds is said
                return store
        if not results:
            results, timings = retriever.search(
                user_id=user_id, query=question, top_k=top_k + 3, persona_id=only, candidates=10
            )
        results = [r for r in results if (r.persona_id == persona_id if own else not r.persona_id)][:top_k]
        top = next((r.product_id for r in results if r.product_id), None)
        availability = asks_availability(question)
        listing = not (named_ids or back or ambiguous) and (typed or availability)
        after = before_kind_asked_for if availability else before_kind
        kinds = of_kind_asked(question, names, sells, after=after) if listing and top else []
        leading = list(dict.fromkeys(r.product_id for r in results if r.product_id))[:AGREEING]
        if len(kinds) > 1 and set(leading) & set(kinds):
            # "How much is the blanket?" of two blankets, the search agreeing: each one's price;
            # "which jackets do you have?", or the price of more than three: the list. (In a large
            # catalog a word like "size" ends some product's name: the search does not agree.)
            if typed and len(kinds) <= self.max_named:
                named_ids = kinds
                results, timings = self._named(user_id, question, lookup, named_ids, only, top_k)
            else:
                ambiguous = kinds
        carried = None
        if not named_ids and scoped_to is None and not points_back_first(question):
            subject = subject_words(subject_of(bound.without(question) if bound else question))
            index = retriever.keyword_index(user_id)
            carried = cover(index, subject, persona_id=persona_id if own else "")
        ids = list(
            dict.fromkeys(
                [*named_ids, *ambiguous[:MAX_LISTED], *(r.product_id for r in results if r.product_id)]
            )
        )
        top = next((r.product_id for r in results if r.product_id), top)
        unnamed = not named_ids and scoped_to is None and not ambiguous
        # "Does the teapot work on induction?": about the one teapot, when the search agrees (in a
        # large catalog a word like "battery" is one product's kind and another's part).
        about = top if unnamed and top and asked_of_kind(question, names, sells) == top else None
        near = top if top and unnamed and (names.points_at(question, top) or about == top) else None
        asked = lookup.asked(question) if named_ids else (names.asked_of(question, about) if about else None)
        lacking = not_carried(question, carried, about=about)
        unlisted = None
        if lacking and not named_ids:  # "a sofa in blue": the sofas there are, none of them blue
            said = subject_of(question)
            colours = [m.group(0) for m in COLOUR_WORDS.finditer(said)]
            kind = " ".join(COLOUR_WORDS.sub(" ", said).strip(" ?!.,;:").split())
            priced = priced_of(kind) if colours else []
            if priced and kind:
                lacking, unlisted = False, (kind, colours)
                ambiguous = [pid for _, pid in sorted(priced)][:MAX_LISTED]
                ids = list(dict.fromkeys([*ambiguous, *ids]))
        closest = None
        if lacking and unlisted is None and not named_ids and self.kinds is not None and carried is not None:
            mine = persona_id if own else ""
            closest = self.kinds.closest(
                names,
                carried,
                subject,
                question,
                sells=sells,
                holders=lambda w: holders(index, [w], persona_id=mine),
            )
            ids = list(dict.fromkeys([*(closest.products if closest else ()), *ids]))
        # "a present for my dad", "what do you recommend?": what there is to choose from
        if asks_recommendation(question) and (lacking or not subject_words(subject_of(question))):
            # "she likes gold": the products holding the words some products hold and others don't
            held = suited(
                retriever.keyword_index(user_id), names, subject_words(subject_of(question)), only or ""
            )
            return self._what_is_sold(question, user_id, persona_id, own, names, suited=held)
        meant = named_ids[0] if len(named_ids) == 1 else near
        whether = meant if meant is not None and asks_only_whether(question, names, meant) else None
        return Evidence(
            question=question,
            results=results,
            products=self._products(user_id, persona_id, ids),
            timings=timings,
            scoped_to=scoped_to,
            named=named_ids[0] if named_ids else None,
            mentioned=named_ids,
            ambiguous=ambiguous,
            asked=asked,
            cover=carried,
            not_carried=lacking,
            unlisted=unlisted,
            closest=closest,
            near=near,
            extreme=extreme if lowest is not None else None,
            whether=whether,
        )

    def _store(self, user_id: str, persona_id: str, question: str, topic: str) -> Evidence:
        passages = self.store.find(user_id=user_id, persona_id=persona_id, question=question, topic=topic)
        return Evidence(question=question, results=passages, products={}, store_topic=topic)

    def _products(self, user_id: str, persona_id: str, ids: list[str]) -> dict[str, ProductFacts]:
        """The products' typed facts. A price is said in the currency its catalog row states; for a
        row that states none, in the one the seller's store information states ("All prices are in
        EUR"), else in the configured default; with none of them, as a bare number (never a guessed
        currency)."""
        products = load_products(self.sessions, user_id=user_id, ids=ids, default_currency=None)
        if any(p.currency is None for p in products.values()):
            fallback = self.store.currency(user_id=user_id, persona_id=persona_id) or self.default_currency
            for p in products.values():
                p.currency = p.currency or fallback or None
        return products

    def _named(
        self,
        user_id: str,
        question: str,
        lookup: Lookup,
        named_ids: list[str],
        persona_id: str | None,
        top_k: int,
    ) -> tuple[list[SearchResult], dict[str, float]]:
        """Each named product's own chunks, ranked by what the question asks of it; the first named
        product gets the most room."""
        asked = lookup.asked(question)
        share = [max(top_k - 2 * (len(named_ids) - 1), 2)] + [2] * (len(named_ids) - 1)
        results: list[SearchResult] = []
        timings: dict[str, float] = {}
        for pid, k in zip(named_ids, share, strict=True):
            found, t = self.retriever.search(
                user_id=user_id, query=asked, top_k=k, product_id=pid, persona_id=persona_id, candidates=10
            )
            results.extend(found)
            for key, v in t.items():
                timings[key] = timings.get(key, 0.0) + v
        return results, timings

    def _what_is_sold(
        self,
        question: str,
        user_id: str,
        persona_id: str,
        own: bool,
        names: ProductNames,
        suited: list[str] | None = None,
    ) -> Evidence:
        """What the shop sells; with `suited` ("a present, she likes gold": `assortment.suited`),
        those products, said as what might suit."""
        if suited:
            facts = self._products(user_id, persona_id, suited)
            shown = [pid for pid in suited if pid in facts]
            sold = Assortment([facts[p].name for p in shown], complete=False, product_ids=shown, suits=True)
        else:
            sold = assortment(self.sessions, user_id, persona_id if own else None, names)
        # the products named are evidence: the guardrail reads their names' numbers ("Set of 4")
        listed = self._products(user_id, persona_id, sold.product_ids)
        return Evidence(question=question, results=[], products=listed, assortment=sold)

    def has_own_catalog(self, *, user_id: str, persona_id: str) -> bool:
        with self.sessions() as db:
            return has_own_catalog(db, user_id=user_id, persona_id=persona_id)


def has_own_catalog(db: Session, *, user_id: str, persona_id: str) -> bool:
    """A persona with catalogs attached to it sells only those; one without sells the seller's
    shared catalogs (imported for no persona). Another persona's products are never its own."""
    return (
        db.scalar(
            select(Product.id).where(Product.user_id == user_id, Product.persona_id == persona_id).limit(1)
        )
        is not None
    )
