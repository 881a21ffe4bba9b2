"""Columns checked against their values, and each row read into typed fields (`Row`)."""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from echome.knowledge.records import Field, html_to_text, split_multi
from echome.knowledge.understand.lexicon import (
    CHILD_KINDS,
    GROUP_FALLBACK,
    KIND_HEADERS,
    PARENT_KINDS,
    SKIP_KINDS,
)
from echome.knowledge.understand.packed import packed_fields
from echome.knowledge.understand.values import (
    PLATFORM_TYPES,
    decimal_comma_column,
    implausible_amount,
    internal_value,
    is_packed,
    parse_amount,
    parse_availability,
    parse_date,
    parse_date_range,
    parse_packed,
    parse_quantity,
)
from echome.knowledge.understand.vocabulary import Column

AMOUNT_ROLES = ("price", "sale_price", "compare_at", "discount_amount", "price_delta")
SINGLE_ROLES = (
    "name", "sku", "description", "short_description", "price", "sale_price", "sale_start", "sale_end",
    "compare_at", "discount_amount", "discount_percent", "min_qty", "customer_group", "currency", "stock",
    "availability", "category", "brand", "condition", "tax_rate", "parent", "variant_name", "url", "image",
    "group", "price_delta", "discount_mode",
)  # fmt: skip
_KIND_WORDS = PARENT_KINDS | CHILD_KINDS | SKIP_KINDS
_IDS = re.compile(r"[\d\s,;|>/]+")
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
        if c.norm in KIND_HEADERS and c.role in ("internal", "fact", "category"):
            words = {w.strip().replace("_", " ") for v in values for w in v.lower().split(",") if w.strip()}
            if words and words <= (_KIND_WORDS | PLATFORM_TYPES) and words & (_KIND_WORDS | PLATFORM_TYPES):
                c.kind, c.role = True, "internal"
                c.note = (
                    "platform product type (simple, variable...)"
                    if c.norm in ("type", "product type")
                    else "row kind: product, variant or rule rows"
                )
                continue
        if c.role == "category" and all(_IDS.fullmatch(v) for v in values):
            c.role, c.note = "internal", "category ids, not names"
            continue
        if c.role == "availability" and not any(parse_availability(v) is not None for v in values):
            c.role, c.note = "fact", "availability as the seller words it"
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
        if c.role == "fact" and "category" in c.norm and all(_IDS.fullmatch(v) for v in values):
            c.role, c.note = "internal", "category ids, not names"
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
    _cost_as_price(cols, sample, have)


# A "Cost" column is what the seller paid beside a price column; in a sheet with no price column it is
# what the item costs the customer (a small seller's "Item, Cost, How many left"). en, de, fr, es, it,
# nl, pt, accents folded.
COST_HEADERS = frozenset({"cost", "costs", "kosten", "cout", "coste", "costo", "custo"})


def _cost_as_price(cols: list[Column], sample: list[list[str]], have: set[str]) -> None:
    if have & {"price", "sale_price"}:
        return
    costs = [c for c in cols if c.norm in COST_HEADERS]
    if len(costs) != 1:
        return
    col = costs[0]
    values = [r[col.index].strip() for r in sample if col.index < len(r) and r[col.index].strip()]
    comma = decimal_comma_column(values)
    amounts = 0
    for v in values:
        with contextlib.suppress(ValueError):
            amounts += parse_amount(v, decimal_comma=comma)[0] is not None
    if values and amounts >= 0.8 * len(values):
        col.role, col.note = "price", "the file's only price column" + ("; decimal commas" if comma else "")


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
    tiers: list[tuple[int, Decimal]] = field(default_factory=list)  # (from quantity, price each)
    currency: str | None = None
    stock: int | None = None
    available: bool | None = None
    sale_start: date | None = None
    sale_end: date | None = None
    sale_dates_unread: bool = False  # a sale date was given but could not be read
    kind: str = ""  # "parent", "child", "skip" or "" (from the row-kind column)
    group: str = ""  # rows sharing it are one product's variants
    group_fallback: str = ""  # a product id that only groups when it repeats
    option_values: dict[str, str] = field(default_factory=dict)  # single option columns
    option_fields: list[Field] = field(default_factory=list)  # the same as facts, for a lone row
    option_names: dict[str, str] = field(default_factory=dict)  # pair number → option name
    unnamed: dict[str, str] = field(default_factory=dict)  # pair number → a value without its name
    leads: bool = False  # the first row of a group without a product row: product and variant
    sale_off: bool = False  # the row's own "on sale" flag is off
    price_rules: list[tuple[dict[str, str], Decimal]] = field(default_factory=list)  # options → +/-

    def get(self, role: str) -> str:
        return self.cells.get(role, "")


_OPTION_KEYS = re.compile(
    r"(?i)^(size|color|colour|farbe|grosse|größe|taille|couleur|talla|tamano|"
    r"colore|taglia|kleur|maat|cor|tamanho|style|format|variant|option)"
)


def row_kind(value: str) -> str:
    """'Variant', 'SKU', 'variation', 'child' → 'child'; 'Product', 'variable' → 'parent';
    'Rule', 'Image' → 'skip'; 'simple' and anything else → ''."""
    words = {w.strip().replace("_", " ") for w in value.lower().split(",")}
    if words & CHILD_KINDS:
        return "child"
    if words & PARENT_KINDS:
        return "parent"
    if words & SKIP_KINDS:
        return "skip"
    return ""


def read_row(n: int, row: list[str], cols: list[Column], warnings: list[str]) -> Row:
    cells: dict[str, str] = {}
    r = Row(n=n, cells=cells)
    pairs: dict[tuple[str, str], dict[str, str]] = {}
    for c in cols:
        value = row[c.index].strip() if c.index < len(row) else ""
        if not value:
            continue
        if c.kind:
            r.kind = row_kind(value) or r.kind
        if c.norm == "on sale" and value.lower() in ("0", "no", "n", "false"):
            r.sale_off = True  # Squarespace: a sale price counts only while "On Sale" is Yes
        if c.norm in GROUP_FALLBACK:
            r.group_fallback = value
        if c.pair:
            what, num, half = c.pair
            pairs.setdefault((what, num), {})[half] = value
        elif c.role in SINGLE_ROLES and c.role not in cells:
            cells[c.role] = value
            if c.role in ("url", "image"):
                r.attrs[c.header] = value
            if c.role in _FACT_ROLES:
                r.facts.append((c.label, value))
        elif c.role == "options":
            _read_options(r, c, value)
        elif c.role == "internal":
            if c.norm in ("id", "product id", "variant id"):
                r.ids.append(value)
            if len(value) <= 300:
                r.attrs[c.header] = value
        elif c.role == "fact":
            r.attrs[c.header] = value
            if internal_value(value) is None:
                if c.option:
                    r.option_values[c.option] = value
                    r.option_fields.extend(fact_fields(c, value))
                else:
                    r.fields.extend(fact_fields(c, value))
    _read_pairs(r, pairs)
    r.group = cells.get("group", "")
    if "sku" in cells:
        r.ids.append(cells["sku"])
    _typed(r, cols, warnings)
    return r


def _read_pairs(r: Row, pairs: dict[tuple[str, str], dict[str, str]]) -> None:
    """Numbered name/value pairs: options ('Color' = 'Red') or labelled facts ('Care' = 'Hand wash').
    A type that is a widget constant ('DROP_DOWN') is no name."""
    for (what, num), pair in sorted(pairs.items(), key=lambda kv: (kv[0][0], int(kv[0][1]))):
        fallback = pair.get("key_fallback", "")
        name = pair.get("key") or ("" if re.fullmatch(r"[A-Z_]+", fallback) else fallback)
        value = pair.get("value", "")
        if what == "option" and name:
            r.option_names[num] = name
        if what == "option" and value and not name:
            r.unnamed[num] = value  # Wix variant rows: the name is on the product row
        if not (name and value) or (what == "fact" and internal_value(value) not in (None, "yes/no flags")):
            continue  # a link or id under a fact label; an option "Logo: Yes" is a real choice
        value = html_to_text(value) if "<" in value else value
        if what == "option":
            r.options[name] = list_text(value)
        else:
            r.facts.append((name, value))


def list_text(value: str) -> str:
    """'S;M;L' / 'Red|Blue' / 'Red,Blue' → 'S, M, L' when every piece is short."""
    for sep in (";", "|", ","):
        pieces = [p.strip() for p in value.split(sep)]
        if len(pieces) > 1 and all(p and len(p.split()) <= 4 for p in pieces):
            return ", ".join(pieces)
    return value


_KEY_VALUE = re.compile(r"^[\w .\-/()]{1,60}:\s")


def fact_fields(c: Column, value: str) -> list[Field]:
    """An unmapped cell as retrievable text: a short value labelled by its header ("Material: Wool",
    kind "fact"); prose and shoppers' Q&A kept as they are (the chunker labels prose by field)."""
    text = html_to_text(value) if "<" in value else value
    if is_packed(text):
        return packed_fields(c.header, c.label, parse_packed(text))
    if "," in text and ", " not in text and all(re.search(r"[^\W\d_]", p) for p in text.split(",")):
        text = list_text(text)  # "stoneware,glaze" → "stoneware, glaze"
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


def _read_options(r: Row, c: Column, value: str) -> None:
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


# BigCommerce writes a variant's price as "[FIXED]19.99", "[ADD]2.00" or "[REMOVE]1.00".
_PRICE_RULE = re.compile(r"^\[(fixed|add|remove|subtract)\]\s*", re.I)


def _typed(r: Row, cols: list[Column], warnings: list[str]) -> None:
    by_role = {c.role: c for c in cols if c.role in AMOUNT_ROLES}
    for role in AMOUNT_ROLES:
        raw = r.get(role)
        if not raw:
            continue
        col = by_role.get(role)
        comma = bool(col and "decimal commas" in col.note)
        rule = _PRICE_RULE.match(raw)
        text = raw[rule.end() :] if rule else raw
        try:
            amount, cur = parse_amount(text, decimal_comma=comma)
        except ValueError:
            said = "a spreadsheet error" if raw.startswith("#") else "not a number"
            warnings.append(f"row {r.n}: {role.replace('_', ' ')} {raw[:30]!r} is {said}; left empty")
            continue
        if rule and rule.group(1).lower() != "fixed" and role == "price":
            role = "price_delta"
            amount = -amount if amount is not None and rule.group(1).lower() != "add" else amount
        why = implausible_amount(amount) if role != "price_delta" else None
        if why:
            warnings.append(f"row {r.n}: {role.replace('_', ' ')} {raw[:30]!r} is {why}; left empty")
            continue
        r.amounts[role] = amount
        if role == "price":
            r.currency = r.currency or cur or (col.currency if col else None)
    mode = r.get("discount_mode").lower()
    if "discount_amount" in r.amounts and ("percent" in mode or "%" in mode or "prozent" in mode):
        r.amounts["discount_percent"] = r.amounts.pop("discount_amount")
    pct = r.get("discount_percent")
    if pct:
        with contextlib.suppress(ValueError):
            r.amounts["discount_percent"], _ = parse_amount(pct.rstrip("% "))
    if r.get("currency"):
        r.currency = r.get("currency").upper()[:8]
    if r.get("stock"):
        r.stock = parse_quantity(r.get("stock"))
        if r.stock is None:  # "InStock" / "OutOfStock" in a quantity column (Wix)
            r.available = parse_availability(r.get("stock"))
        elif r.stock < 0:
            r.stock = 0
    if r.get("availability"):
        r.available = parse_availability(r.get("availability"))
    start, end = parse_date_range(r.get("sale_start"))
    if start is None:
        start = parse_date(r.get("sale_start"))
    r.sale_start, r.sale_end = start, end or parse_date(r.get("sale_end"))
    given = [v for v in (r.get("sale_start"), r.get("sale_end")) if v and not v.startswith("0000")]
    if given and r.sale_start is None and r.sale_end is None:
        r.sale_dates_unread = True
        warnings.append(f"row {r.n}: sale dates {' / '.join(given)[:60]!r} not understood; sale not applied")
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
