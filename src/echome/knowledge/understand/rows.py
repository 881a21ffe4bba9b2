"""Columns checked against their values, and each row read into typed fields (`Row`)."""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from echome.knowledge.records import Field, html_to_text, split_multi
from echome.knowledge.understand.values import (
    PLATFORM_TYPES,
    decimal_comma_column,
    internal_value,
    is_packed,
    packed_text,
    parse_amount,
    parse_availability,
    parse_date,
    parse_packed,
    parse_quantity,
)
from echome.knowledge.understand.vocabulary import Column

AMOUNT_ROLES = ("price", "sale_price", "compare_at", "discount_amount")
SINGLE_ROLES = (
    "name", "sku", "description", "short_description", "price", "sale_price", "sale_start", "sale_end",
    "compare_at", "discount_amount", "discount_percent", "min_qty", "customer_group", "currency", "stock",
    "availability", "category", "brand", "condition", "tax_rate", "parent", "variant_name", "url", "image",
)  # fmt: skip
_FACT_ROLES = ("brand", "condition", "tax_rate")


def check_values(cols: list[Column], body: list[list[str]]) -> None:
    """Correct header-only roles with what the cells hold: a 'Type' of simple/variable is internal,
    a category of ids is internal, a stock column of words is availability."""
    sample = body[:500]
    have = {c.role for c in cols}
    for c in cols:
        values = [r[c.index].strip() for r in sample if c.index < len(r) and r[c.index].strip()]
        if not values:
            if c.role == "fact":
                c.note = "empty"
            continue
        if c.norm in ("type", "product type") and c.role == "internal":
            if not all(v.lower() in PLATFORM_TYPES for v in values):
                c.role = "category" if "category" not in have else "fact"
                c.note = "product type as the seller names it"
            else:
                c.note = "platform product type (simple, variable...)"
            continue
        if c.role in (
            "fact",
            "category",
            "brand",
            "condition",
            "tax_rate",
            "description",
            "short_description",
        ):
            whys = [internal_value(v) for v in values]
            flagged = [w for w in whys if w]
            if len(flagged) >= 0.8 * len(values):
                c.role, c.note = "internal", f"values are {max(set(flagged), key=flagged.count)}"
                continue
        if (
            c.role == "stock"
            and not any(parse_quantity(v) is not None for v in values)
            and any(parse_availability(v) is not None for v in values)
            and "availability" not in have
        ):
            c.role, c.note = "availability", "holds availability words, not quantities"
        if c.role in AMOUNT_ROLES and decimal_comma_column(values):
            c.note = (c.note + "; " if c.note else "") + "decimal commas"


@dataclass
class Row:
    n: int  # line number in the file
    cells: dict[str, str]  # role → raw text
    options: dict[str, str] = field(default_factory=dict)  # variant options found in the row
    variant_list: list[dict[str, str]] = field(default_factory=list)  # a parent's packed variants
    specs: list[tuple[str, str]] = field(default_factory=list)  # packed attributes that are facts
    facts: list[tuple[str, str]] = field(default_factory=list)  # (label, value) of unmapped columns
    attrs: dict[str, str] = field(default_factory=dict)  # every other non-empty cell by header
    fields: list[Field] = field(default_factory=list)  # unmapped columns as labelled facts / prose
    ids: list[str] = field(default_factory=list)  # keys a child may name as its parent
    amounts: dict[str, Decimal | None] = field(default_factory=dict)
    currency: str | None = None
    stock: int | None = None
    available: bool | None = None
    sale_start: date | None = None
    sale_end: date | None = None

    def get(self, role: str) -> str:
        return self.cells.get(role, "")


_OPTION_KEYS = re.compile(
    r"(?i)^(size|color|colour|farbe|grosse|größe|taille|couleur|talla|tamano|"
    r"colore|taglia|kleur|maat|cor|tamanho|style|format|variant|option)"
)


def read_row(n: int, row: list[str], cols: list[Column], warnings: list[str]) -> Row:
    cells: dict[str, str] = {}
    r = Row(n=n, cells=cells)
    woo: dict[str, dict[str, str]] = {}
    for c in cols:
        value = row[c.index].strip() if c.index < len(row) else ""
        if not value:
            continue
        if c.role in SINGLE_ROLES and c.role not in cells:
            cells[c.role] = value
            if c.role in ("url", "image"):
                r.attrs[c.header] = value
            if c.role in _FACT_ROLES:
                r.facts.append((c.label, value))
        elif c.role == "options":
            _read_options(r, c, value, woo)
        elif c.role == "internal":
            if c.norm in ("id", "product id", "variant id"):
                r.ids.append(value)
            if len(value) <= 300:
                r.attrs[c.header] = value
        elif c.role == "fact":
            r.attrs[c.header] = value
            if internal_value(value) is None:
                r.fields.extend(fact_fields(c, value))
    for pair in woo.values():
        if pair.get("name") and pair.get("value"):
            r.options[pair["name"]] = pair["value"]
    if "sku" in cells:
        r.ids.append(cells["sku"])
    _typed(r, cols, warnings)
    return r


_KEY_VALUE = re.compile(r"^[\w .\-/()]{1,60}:\s")


def fact_fields(c: Column, value: str) -> list[Field]:
    """An unmapped cell as retrievable text: a short value labelled by its header ("Material: Wool",
    kind "fact"); prose and shoppers' Q&A kept as they are (the chunker labels prose by field)."""
    text = html_to_text(value) if "<" in value else value
    if is_packed(text):
        return [Field(c.header, f"{c.label}: {packed_text(parse_packed(text))}", kind="fact")]
    pieces = split_multi(text)
    if len(pieces) > 1 and all(len(p.split()) <= 4 and not _KEY_VALUE.match(p) for p in pieces):
        return [Field(c.header, f"{c.label}: {', '.join(pieces)}", kind="fact")]  # "Red | Blue"
    out = []
    for piece in pieces:
        if " Question: " in piece or piece.startswith("Question: "):
            out.append(Field(c.header, piece, kind="qa"))
        elif len(piece) < 160 and _KEY_VALUE.match(piece):
            out.append(Field(c.header, piece, kind="fact"))
        elif len(pieces) > 1 or len(piece) > 80 or len(piece.split()) > 8 or piece[-1] in ".!?":
            out.append(Field(c.header, piece, kind="text"))  # prose, or one of a list of sentences
        else:
            out.append(Field(c.header, f"{c.label}: {piece}", kind="fact"))
    return out


def _read_options(r: Row, c: Column, value: str, woo: dict[str, dict[str, str]]) -> None:
    m = re.fullmatch(r"attribute (\d+) (name|values?)", c.note)
    m = m or re.fullmatch(r"option ?(\d) (name|value)", c.note)
    if m:
        woo.setdefault(m.group(1), {})["name" if m.group(2) == "name" else "value"] = value
        return
    if not is_packed(value):
        r.facts.append((c.label, value))
        return
    records = parse_packed(value)
    if len(records) > 1 or (records and "sku" in {k.lower() for k in records[0]}):
        r.variant_list.extend(records)
        return
    for k, v in (records[0] if records else {}).items():
        if not v or internal_value(v):
            continue
        label = k.replace("_", " ").strip().capitalize()
        if _OPTION_KEYS.match(k) and "," not in v:
            r.options[label] = v
        r.specs.append((label, v))


def _typed(r: Row, cols: list[Column], warnings: list[str]) -> None:
    by_role = {c.role: c for c in cols if c.role in AMOUNT_ROLES}
    for role in AMOUNT_ROLES:
        raw = r.get(role)
        if not raw:
            continue
        col = by_role.get(role)
        comma = bool(col and "decimal commas" in col.note)
        try:
            amount, cur = parse_amount(raw, decimal_comma=comma)
        except ValueError:
            warnings.append(f"row {r.n}: {role.replace('_', ' ')} {raw[:30]!r} is not a number; left empty")
            continue
        r.amounts[role] = amount
        if role == "price":
            r.currency = r.currency or cur or (col.currency if col else None)
    pct = r.get("discount_percent")
    if pct:
        with contextlib.suppress(ValueError):
            r.amounts["discount_percent"], _ = parse_amount(pct.rstrip("% "))
    if r.get("currency"):
        r.currency = r.get("currency").upper()[:8]
    if r.get("stock"):
        r.stock = parse_quantity(r.get("stock"))
    if r.get("availability"):
        r.available = parse_availability(r.get("availability"))
    r.sale_start, r.sale_end = parse_date(r.get("sale_start")), parse_date(r.get("sale_end"))
    if r.get("min_qty"):
        r.amounts["min_qty"] = Decimal(parse_quantity(r.get("min_qty")) or 0)


def price_currency_from_siblings(r: Row, row: list[str], cols: list[Column]) -> str | None:
    """A price column without a currency beside 'price_gross_eur' holding the same amount: EUR."""
    price = r.amounts.get("price")
    if price is None:
        return None
    for c in cols:
        if c.currency and c.role == "internal" and c.index < len(row) and row[c.index].strip():
            try:
                amount, _ = parse_amount(row[c.index])
            except ValueError:
                continue
            if amount == price:
                return c.currency
    return None
