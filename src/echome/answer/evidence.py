"""What an answer may rest on: the retrieved chunks (with citations) and the catalog's typed facts.

`gather_evidence` runs retrieval for one question, keeps only products this persona sells, and loads
the typed rows (price, currency, stock, variants) of every cited product — the facts the composer
states and the guardrail checks drafts against.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from echome.db.models import Product
from echome.db.session import transaction
from echome.knowledge.retrieve import SearchResult

if TYPE_CHECKING:
    from echome.bootstrap import Services

CURRENCY_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "INR": "₹", "AUD": "A$", "CAD": "C$"}
# Words a customer uses to point back at the product already under discussion.
_ANAPHORA = re.compile(r"\b(it|its|it's|this|that|these|those|they|them|one|ones|same)\b", re.I)


def as_decimal(value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        d = Decimal(str(value).replace(",", ""))
    except (InvalidOperation, ValueError):
        return None
    return d if d.is_finite() else None


def format_money(amount: Decimal, currency: str | None) -> str:
    """`$12.99`, `€50`, `120 CHF`: whole amounts without decimals, others with two."""
    text = f"{amount:,.0f}" if amount == amount.to_integral_value() else f"{amount:,.2f}"
    code = (currency or "").upper()
    symbol = CURRENCY_SYMBOLS.get(code)
    if symbol:
        return f"{symbol}{text}"
    return f"{text} {code}" if code else text


@dataclass
class ProductFacts:
    id: str
    name: str
    sku: str | None
    price: Decimal | None
    currency: str | None
    stock: int | None
    url: str | None
    variants: list[dict[str, Any]] = field(default_factory=list)

    @property
    def short_name(self) -> str:
        """The name as said aloud: up to the first comma or bracket, at most eight words."""
        bare = re.sub(r"\[[^\]]*\]|\([^)]*\)", " ", self.name)  # "[Old Version]", "(2 pack)"
        head = re.split(r",|\(|\[|\s[-\u2013|]\s", bare, maxsplit=1)[0].strip() or self.name
        words = head.split()
        return " ".join(words[:8]) if len(words) > 8 else head

    def prices(self) -> list[Decimal]:
        out = [self.price] if self.price is not None else []
        for v in self.variants:
            for key in ("price", "compare_at_price"):
                d = as_decimal(v.get(key))
                if d is not None:
                    out.append(d)
        return out

    def price_text(self) -> str | None:
        """ "$60", or "from $25 to $40" when variants differ."""
        variant_prices = sorted({d for v in self.variants if (d := as_decimal(v.get("price"))) is not None})
        if len(variant_prices) > 1:
            lo, hi = variant_prices[0], variant_prices[-1]
            return f"from {format_money(lo, self.currency)} to {format_money(hi, self.currency)}"
        price = self.price if self.price is not None else (variant_prices[0] if variant_prices else None)
        return format_money(price, self.currency) if price is not None else None

    def options(self) -> dict[str, list[str]]:
        """Variant options by name: {"Size": ["Small", "Medium"]}, in catalog order."""
        out: dict[str, list[str]] = {}
        for v in self.variants:
            for k, val in (v.get("options") or {}).items():
                if val and str(val) not in out.setdefault(str(k), []):
                    out[str(k)].append(str(val))
        return out

    def numbers(self) -> set[Decimal]:
        nums = set(self.prices())
        if self.stock is not None:
            nums.add(Decimal(self.stock))
        for v in self.variants:
            d = as_decimal(v.get("stock"))
            if d is not None:
                nums.add(d)
        return nums


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


def load_products(services: Services, *, user_id: str, ids: list[str]) -> dict[str, ProductFacts]:
    if not ids:
        return {}
    with transaction(services.sessions) as db:
        rows = db.scalars(select(Product).where(Product.user_id == user_id, Product.id.in_(ids))).all()
        return {p.id: facts_of(p, default_currency=services.settings.catalog_currency) for p in rows}


def facts_of(p: Product, *, default_currency: str | None = None) -> ProductFacts:
    attrs = p.attributes or {}
    variants = [v for v in attrs.get("variants") or [] if isinstance(v, dict)]
    return ProductFacts(
        id=p.id,
        name=p.name,
        sku=p.sku,
        price=as_decimal(p.price),
        currency=p.currency or default_currency,
        stock=p.stock,
        url=p.url,
        variants=variants,
    )


def refers_back(question: str) -> bool:
    return bool(_ANAPHORA.search(question))


def gather_evidence(
    services: Services,
    *,
    user_id: str,
    persona_id: str,
    question: str,
    focus_product: str | None = None,
    top_k: int = 5,
) -> Evidence:
    """Top-`top_k` chunks for the question (10 candidates per retriever, fused, reranked).

    When the conversation is about one product and the question points back at it ("does it come in
    blue?") without naming another, the search is narrowed to that product first.
    """
    retriever = services.retriever
    timings: dict[str, float] = {}
    scoped_to = None
    results: list[SearchResult] = []
    mention = retriever.keyword_index(user_id).mentioned_product(question)
    named_other = mention is not None and mention[0] != focus_product
    if focus_product and refers_back(question) and not named_other:
        results, timings = retriever.search(
            user_id=user_id, query=question, top_k=top_k, product_id=focus_product, candidates=10
        )
        scoped_to = focus_product if results else None
    if not results:
        results, timings = retriever.search(user_id=user_id, query=question, top_k=top_k + 3, candidates=10)
    # Products imported for another persona are not this persona's to sell.
    results = [r for r in results if _sold_by(r, persona_id)][:top_k]
    ids = list(dict.fromkeys(r.product_id for r in results if r.product_id))
    named = mention[0] if mention and mention[0] in ids else None
    return Evidence(
        question=question,
        results=results,
        products=load_products(services, user_id=user_id, ids=ids),
        timings=timings,
        scoped_to=scoped_to,
        named=named,
    )


def _sold_by(result: SearchResult, persona_id: str) -> bool:
    return not result.persona_id or result.persona_id == persona_id
