"""What parsing produces: typed product records and free-text document sections."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any


class ParseError(ValueError):
    """The file cannot be imported; the message tells the seller what to fix."""


@dataclass
class Field:
    """One piece of a product's text, kept apart so it can be retrieved on its own."""

    name: str  # column or section name: "description", "features", "reviews", "Page 3"...
    text: str
    page: int | None = None
    # How the chunker may present it: "text" (prose), "fact" (short key/value), "qa" (answer + question)
    kind: str = "text"


@dataclass
class ProductRecord:
    external_key: str
    name: str
    sku: str | None = None
    description: str | None = None
    price: Decimal | None = None
    currency: str | None = None
    stock: int | None = None
    url: str | None = None
    category: str | None = None
    attributes: dict[str, Any] = field(default_factory=dict)
    fields: list[Field] = field(default_factory=list)
    page: int | None = None


@dataclass
class ParsedCatalog:
    source: str
    format: str
    products: list[ProductRecord] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    # How each column of a table was understood: {"header", "role", "note"} (empty for documents).
    columns: list[dict[str, str]] = field(default_factory=list)
    platform: str | None = None  # the export layout recognised ("magento2", "shopware5"...)


# -- text helpers --------------------------------------------------------------------------------
# A tag never spans another "<": each match then scans at most to the next "<", which keeps
# hostile text ("<a <a <a ...", no ">") linear instead of rescanning to the end from every "<".
_TAG = re.compile(r"<[^<>]+>")
_BLOCK = re.compile(r"(?i)</?(p|div|br|li|ul|ol|h[1-6]|tr|table|section)\b[^<>]*>")
# A tag stands for a space, except right before punctuation or after an opening bracket ("0.9
# <b>litres</b>." is "0.9 litres.", not "0.9 litres ."); words on either side of it stay apart.
_TAG_MARK = "\x00"
_TIGHT = re.compile(r"\x00+(?=[.,;:!?)\]])|(?<=[(\[])\x00+")
_HIDDEN_OPEN = re.compile(r"(?i)<(script|style)\b")
_WS = re.compile(r"[ \t\r\f\v]+")


def html_to_text(value: str) -> str:
    """Shopify bodies and the like: tags out, entities decoded, paragraphs kept as lines."""
    if "<" not in value and "&" not in value:
        return clean_text(value)
    value = _without_hidden(value)
    value = _BLOCK.sub("\n", value)
    value = _TAG.sub(_TAG_MARK, value.replace(_TAG_MARK, " "))
    value = _TIGHT.sub("", value).replace(_TAG_MARK, " ")
    return clean_text(html.unescape(value))


def _without_hidden(value: str) -> str:
    """Script and style elements cut out in one pass; one left open hides the rest, as in a
    browser. (A lazy `<script.*?</script>` regex rescans to the end from every unclosed open.)"""
    lowered = value.lower()
    out, pos = [], 0
    while (m := _HIDDEN_OPEN.search(value, pos)) is not None:
        out.append(value[pos : m.start()])
        end = lowered.find(f"</{m.group(1).lower()}", m.end())
        if end < 0:
            return " ".join(out)
        close = value.find(">", end)
        pos = len(value) if close < 0 else close + 1
        out.append(" ")
    out.append(value[pos:])
    return "".join(out)


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def strip_control(value: str) -> str:
    """NUL and other control characters: invisible, and PostgreSQL refuses NUL in text."""
    return _CONTROL.sub("", value)


def clean_text(value: str) -> str:
    value = strip_control(value)
    lines = [_WS.sub(" ", line).strip() for line in value.replace("\u00a0", " ").splitlines()]
    return "\n".join(line for line in lines if line)


_KV_PIECE = re.compile(r"^[\w .\-/()]{1,60}:\s")


def split_multi(value: str) -> list[str]:
    """Split a multi-valued cell on the separator it uses (' || ', ' | ', or '; ' between
    key: value pairs). Single values come back as one item."""
    value = value.strip()
    if not value:
        return []
    for sep in (" || ", " | "):
        if sep in value:
            return [p.strip() for p in value.split(sep) if p.strip()]
    if "; " in value:
        pieces = value.split("; ")
        # Only split where the next piece starts a new "key: ..." pair; glue the rest back on.
        if sum(bool(_KV_PIECE.match(p)) for p in pieces) >= max(2, len(pieces) // 2):
            out: list[str] = []
            for p in pieces:
                if out and not _KV_PIECE.match(p):
                    out[-1] = f"{out[-1]}; {p}"
                else:
                    out.append(p)
            return [p.strip() for p in out if p.strip()]
    return [value]


def variants_text(variants: list[dict[str, Any]], *, currency_suffix: str = "") -> str:
    """One fact line for a product's variants: "Variants: Size M — SKU X — price 9 — 4 in stock; ..."."""
    lines = []
    for v in variants:
        bits = [", ".join(f"{k} {val}" for k, val in v["options"].items()) or "standard"]
        if v["sku"]:
            bits.append(f"SKU {v['sku']}")
        if v["price"]:
            bits.append(f"price {v['price']}{currency_suffix}")
        if v["stock"] is not None:
            bits.append(f"{v['stock']} in stock")
        lines.append(" — ".join(bits))
    return "Variants: " + "; ".join(lines)


def parse_price(value: str) -> tuple[Decimal | None, str | None]:
    """'$1,299.00' → (1299.00, 'USD'); '12,50 €' → (12.50, 'EUR'); '' → (None, None); raises
    ValueError on a cell that holds no amount. The one reading of amounts: understand.values."""
    from echome.knowledge.understand.values import parse_amount

    return parse_amount(value)


def parse_int(value: str) -> int | None:
    value = value.strip().replace(",", "")
    if not value:
        return None
    try:
        return int(float(value))
    except ValueError:
        return None


def key_from_name(name: str) -> str:
    return "name:" + re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:200]
