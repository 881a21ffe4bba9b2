"""What the Catalog pages show, read from the stored products: the catalogs (one per imported
file), a page of products under filters (paged and filtered in SQL, so 10k products stay fast),
one product's facts and chunks, and how an import understood each column of the file."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.orm import Session, load_only

from echome.answer.evidence import has_own_catalog
from echome.db.models import Persona, Product, ProductChunk

PER_PAGE = 50
MAX_QUERY = 200
STOCK_FILTERS = {"": "Any stock", "in": "In stock", "out": "Out of stock", "unknown": "Stock not given"}
PRICE_FILTERS = {"": "Any price", "yes": "Has a price", "no": "No price"}
_SYMBOLS = {"EUR": "€", "USD": "$", "GBP": "£", "JPY": "¥", "INR": "₹"}


# -- catalogs ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class CatalogSummary:
    source: str  # the imported file's name: what the API deletes a catalog by
    products: int
    imported_at: datetime | None
    persona_id: str | None  # the persona its products belong to; None: every persona
    mixed: bool  # products of several personas (or some shared) came from this file

    def belongs_to(self, names: dict[str, str]) -> str:
        if self.mixed:
            return "Several personas"
        if self.persona_id is None:
            return "All personas"
        return names.get(self.persona_id, "Another persona")


def catalogs_of(db: Session, user_id: str) -> list[CatalogSummary]:
    rows = db.execute(
        select(
            Product.source,
            func.count(),
            func.max(Product.updated_at),
            func.min(Product.persona_id),
            func.max(Product.persona_id),
            func.count(Product.persona_id),
        )
        .where(Product.user_id == user_id)
        .group_by(Product.source)
        .order_by(func.max(Product.updated_at).desc())
    ).all()
    out = []
    for source, n, when, low, high, attached in rows:
        mixed = low != high or 0 < attached < n
        out.append(CatalogSummary(source or "", n, when, low if attached else None, mixed))
    return out


def persona_names(db: Session, user_id: str) -> dict[str, str]:
    rows = db.execute(select(Persona.id, Persona.name).where(Persona.user_id == user_id))
    return {pid: name for pid, name in rows}


# -- which products a persona answers about ----------------------------------------------------------
@dataclass(frozen=True)
class Scope:
    """The products a persona answers about, as the answerer chooses them: its own catalogs when
    it has any, else the catalogs shared with every persona."""

    persona_id: str
    own: bool

    def condition(self, user_id: str) -> ColumnElement[bool]:
        mine = Product.user_id == user_id
        if self.own:
            return mine & (Product.persona_id == self.persona_id)
        return mine & Product.persona_id.is_(None)

    @property
    def search_filter(self) -> dict[str, str]:
        """The vector store's metadata filter for the same products."""
        return {"persona_id": self.persona_id if self.own else ""}

    def describe(self, persona_name: str) -> str:
        if self.own:
            return f"Products of {persona_name}'s own catalogs: what it answers about."
        return f"Products shared with all your personas: {persona_name} answers about these."


def scope_of(db: Session, user_id: str, persona_id: str) -> Scope:
    return Scope(persona_id, has_own_catalog(db, user_id=user_id, persona_id=persona_id))


# -- the products table -------------------------------------------------------------------------------
@dataclass(frozen=True)
class ProductFilter:
    q: str = ""
    catalog: str = ""
    stock: str = ""
    price: str = ""
    page: int = 1

    @classmethod
    def of(cls, params: Any) -> ProductFilter:
        """From query parameters; anything unknown or out of range falls back to no filter."""
        stock = params.get("stock", "")
        price = params.get("price", "")
        try:
            page = int(params.get("page", "1"))
        except ValueError:
            page = 1
        return cls(
            q=" ".join(params.get("q", "").split())[:MAX_QUERY],
            catalog=params.get("catalog", "")[:500],
            stock=stock if stock in STOCK_FILTERS else "",
            price=price if price in PRICE_FILTERS else "",
            page=min(max(page, 1), 100_000),
        )

    @property
    def active(self) -> bool:
        return bool(self.q or self.catalog or self.stock or self.price)

    def query(self, **change: Any) -> dict[str, str]:
        """The filter as query parameters (empty ones and page 1 left out), with `change` applied."""
        values = {"q": self.q, "catalog": self.catalog, "stock": self.stock, "price": self.price}
        values["page"] = str(self.page)
        values.update({k: str(v) for k, v in change.items()})
        return {k: v for k, v in values.items() if v and not (k == "page" and v == "1")}


_TABLE_COLUMNS = (Product.name, Product.sku, Product.price, Product.currency, Product.stock, Product.source)


@dataclass(frozen=True)
class ProductPage:
    rows: list[Product]
    total: int
    page: int
    pages: int

    @property
    def first(self) -> int:
        return (self.page - 1) * PER_PAGE + 1 if self.total else 0

    @property
    def last(self) -> int:
        return min(self.page * PER_PAGE, self.total)


def product_page(db: Session, *, user_id: str, scope: Scope, wanted: ProductFilter) -> ProductPage:
    conditions = [scope.condition(user_id)]
    if wanted.q:
        conditions.append(
            or_(
                Product.name.icontains(wanted.q, autoescape=True),
                Product.sku.icontains(wanted.q, autoescape=True),
            )
        )
    if wanted.catalog:
        conditions.append(Product.source == wanted.catalog)
    if wanted.stock == "in":
        conditions.append(Product.stock > 0)
    elif wanted.stock == "out":
        conditions.append(Product.stock <= 0)
    elif wanted.stock == "unknown":
        conditions.append(Product.stock.is_(None))
    if wanted.price == "yes":
        conditions.append(Product.price.is_not(None))
    elif wanted.price == "no":
        conditions.append(Product.price.is_(None))
    total = db.scalar(select(func.count()).select_from(Product).where(*conditions)) or 0
    pages = max(1, math.ceil(total / PER_PAGE))
    page = min(wanted.page, pages)
    rows = list(
        db.scalars(
            select(Product)
            .options(load_only(*_TABLE_COLUMNS))  # no attributes JSON decoded for the table
            .where(*conditions)
            .order_by(Product.name, Product.id)
            .limit(PER_PAGE)
            .offset((page - 1) * PER_PAGE)
        )
    )
    return ProductPage(rows, total, page, pages)


def catalog_sources(db: Session, *, user_id: str, scope: Scope) -> list[str]:
    """The catalogs a persona's products come from (the table's catalog filter)."""
    rows = db.scalars(select(Product.source).where(scope.condition(user_id)).group_by(Product.source))
    return sorted(s for s in rows if s)


# -- one product -----------------------------------------------------------------------------------
def money(amount: Any, currency: str | None) -> str:
    if amount is None or amount == "":
        return ""
    try:
        value = Decimal(str(amount))
    except ArithmeticError:
        return str(amount)
    text = f"{value:,.2f}"
    symbol = _SYMBOLS.get((currency or "").upper())
    if symbol:
        return f"{symbol}{text}"
    return f"{text} {currency}" if currency else text


def stock_words(stock: int | None) -> tuple[str, str]:
    """What a stock number says, and the badge tone for it."""
    if stock is None:
        return "Not given", "neutral"
    if stock <= 0:
        return "Out of stock", "warning"
    return f"{stock:,} in stock", "success"


# Attributes shown in their own place on the product page, not in the list of other facts.
_SHOWN_APART = {
    "variants",
    "tier_prices",
    "regular_price",
    "sale_price",
    "sale_start",
    "sale_end",
    "sale_active",
}


def _plain(value: Any) -> str:
    if isinstance(value, dict):
        return ", ".join(f"{k}: {_plain(v)}" for k, v in value.items() if v not in (None, ""))
    if isinstance(value, list):
        return ", ".join(_plain(v) for v in value if v not in (None, ""))
    if isinstance(value, bool):
        return "Yes" if value else "No"
    return str(value)


@dataclass(frozen=True)
class ProductView:
    product: Product
    price: str
    sale: str  # "€12.00 until 2025-01-31" or ""
    regular: str  # the regular price while a sale is on
    stock: tuple[str, str]
    variants: list[dict[str, str]]
    tiers: list[tuple[str, str]]
    facts: list[tuple[str, str]]  # other attributes: label, value


def product_view(p: Product) -> ProductView:
    attrs = p.attributes or {}
    sale = ""
    regular = ""
    if attrs.get("sale_price") is not None:
        sale = money(attrs["sale_price"], p.currency)
        if attrs.get("sale_start") or attrs.get("sale_end"):
            window = " to ".join(d for d in (attrs.get("sale_start"), attrs.get("sale_end")) if d)
            sale += f" ({window})"
        if not attrs.get("sale_active", True):
            sale += " — not on now"
        elif attrs.get("regular_price") is not None:
            regular = money(attrs["regular_price"], p.currency)
    variants = [
        {
            "options": _plain(v.get("options") or {}) or "—",
            "sku": v.get("sku") or "",
            "price": money(v.get("price"), v.get("currency") or p.currency),
            "stock": stock_words(v.get("stock"))[0],
        }
        for v in attrs.get("variants") or []
        if isinstance(v, dict)
    ]
    tiers = [
        (f"From {t.get('from')}", money(t.get("price"), p.currency))
        for t in attrs.get("tier_prices") or []
        if isinstance(t, dict)
    ]
    facts = [
        (str(k).replace("_", " ").capitalize(), _plain(v))
        for k, v in attrs.items()
        if k not in _SHOWN_APART and v not in (None, "", [], {})
    ]
    return ProductView(
        p, money(p.price, p.currency), sale, regular, stock_words(p.stock), variants, tiers, facts
    )


def product_of(db: Session, user_id: str, product_id: str) -> Product | None:
    if len(product_id) > 64:
        return None
    return db.scalar(select(Product).where(Product.id == product_id, Product.user_id == user_id))


def chunks_of(db: Session, user_id: str, product_id: str) -> list[ProductChunk]:
    return list(
        db.scalars(
            select(ProductChunk)
            .where(ProductChunk.product_id == product_id, ProductChunk.user_id == user_id)
            .order_by(ProductChunk.chunk_index, ProductChunk.id)
        )
    )


# -- how the import understood the columns ----------------------------------------------------------
ROLE_WORDS = {
    "name": "Product name",
    "sku": "SKU (your article number)",
    "description": "Description",
    "short_description": "Short description",
    "price": "Price",
    "sale_price": "Sale price",
    "sale_start": "Sale starts",
    "sale_end": "Sale ends",
    "compare_at": "Old price (crossed out)",
    "discount_amount": "Discount (amount)",
    "discount_percent": "Discount (percent)",
    "min_qty": "Quantity a price starts at",
    "customer_group": "Customer group of a price",
    "currency": "Currency",
    "stock": "Stock quantity",
    "availability": "In stock or not",
    "category": "Category",
    "brand": "Brand",
    "condition": "Condition (new, used…)",
    "tax_rate": "Tax rate",
    "parent": "Parent product of a variant",
    "variant_name": "Variant name",
    "options": "Variant options",
    "url": "Product link",
    "image": "Image link",
    "group": "Variant group",
    "price_delta": "Variant surcharge",
    "discount_mode": "Kind of discount",
    "internal": "Not used (ids and settings)",
    "fact": "A fact about the product",
}


@dataclass(frozen=True)
class ColumnMeaning:
    header: str
    meaning: str
    note: str
    used: bool  # False for columns left out of the products


def column_meanings(columns: list[dict[str, str]]) -> tuple[str | None, list[ColumnMeaning]]:
    """The export layout recognised (if any) and each column as the seller reads it."""
    layout = None
    out = []
    for c in columns:
        role, header, note = c.get("role", ""), c.get("header", ""), c.get("note", "")
        if role == "layout":
            layout = note
            continue
        meaning = ROLE_WORDS.get(role, role.replace("_", " ").capitalize())
        if role == "fact" and header and not note:
            note = f"Kept as “{header}: …” in what your persona knows."
        out.append(ColumnMeaning(header or "(no header)", meaning, note, role != "internal"))
    return layout, out
