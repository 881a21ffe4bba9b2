"""What the catalog says of a product as typed fields (price, currency, stock, variants): the facts
the composer states and the guardrail checks drafts against."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from echome.db.models import Product
from echome.db.session import transaction

CURRENCY_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "INR": "₹", "AUD": "A$", "CAD": "C$"}


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


def load_products(
    sessions: sessionmaker[Session], *, user_id: str, ids: list[str], default_currency: str | None
) -> dict[str, ProductFacts]:
    """Typed facts of the seller's products with these ids."""
    if not ids:
        return {}
    with transaction(sessions) as db:
        rows = db.scalars(select(Product).where(Product.user_id == user_id, Product.id.in_(ids))).all()
        return {p.id: facts_of(p, default_currency=default_currency) for p in rows}
