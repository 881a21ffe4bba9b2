"""Tables (CSV in any spreadsheet encoding/delimiter; XLSX via `knowledge.xlsx`) → product records.

Reading the file (encoding, delimiter; sheets in xlsx.py) is done here; what the columns mean and which rows
are one product is decided by `echome.knowledge.understand` (its header vocabulary is documented in
`understand/vocabulary.py`). Shopify's product export (one row per variant, grouped by Handle) is
folded here into one product with its variants."""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections import Counter
from decimal import Decimal
from typing import Any

from echome.knowledge.records import (
    Field,
    ParsedCatalog,
    ParseError,
    ProductRecord,
    html_to_text,
    parse_int,
    parse_price,
    variants_text,
)
from echome.knowledge.understand import understand_rows
from echome.knowledge.understand.checks import truncate_cells
from echome.knowledge.understand.header import find_header, skipped_rows_warning

# Normalised header → role. Normalising lowercases and drops punctuation: "Body (HTML)" → "body html".
ROLES: dict[str, tuple[str, ...]] = {
    "name": ("name", "title", "product name", "product title", "product", "item name", "item title", "item"),
    "description": (
        "description",
        "body",
        "body html",
        "desc",
        "product description",
        "long description",
        "details",
        "short description",
        "summary",
    ),
    "price": (
        "price",
        "variant price",
        "unit price",
        "sale price",
        "retail price",
        "price usd",
        "price eur",
        "selling price",
        "regular price",
    ),
    "sku": (
        "sku",
        "variant sku",
        "item number",
        "product code",
        "part number",
        "model number",
        "article number",
        "product id",
        "item code",
        "mpn",
        "asin",
    ),
    "stock": (
        "stock",
        "inventory",
        "quantity",
        "qty",
        "variant inventory qty",
        "stock quantity",
        "inventory quantity",
        "available",
        "on hand",
    ),
    "url": ("url", "link", "product url", "product link", "permalink", "page url"),
    "category": ("category", "type", "product type", "product category", "collection", "department"),
    "currency": ("currency", "currency code"),
}
_LOOKUP = {alias: role for role, aliases in ROLES.items() for alias in aliases}
MAX_ROWS = 200_000


def norm_header(h: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", h.lower()).strip()


_WESTERN_LOOKALIKES = {
    "cp1250",
    "cp1252",
    "cp1254",
    "cp1257",
    "latin_1",
    "iso8859_1",
    "iso8859_2",
    "iso8859_15",
    "iso8859_9",
    "mac_roman",
    "mac_latin2",
}


def decode(data: bytes) -> tuple[str, str | None]:
    """Text and a warning when the encoding had to be guessed."""
    for bom, enc in (
        (codecs.BOM_UTF8, "utf-8-sig"),
        (codecs.BOM_UTF16_LE, "utf-16"),
        (codecs.BOM_UTF16_BE, "utf-16"),
    ):
        if data.startswith(bom):
            return data.decode(enc), None
    try:
        return data.decode("utf-8"), None
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(data[:2_000_000]).best()
    if best is not None and best.encoding in _WESTERN_LOOKALIKES:
        # Detectors cannot tell Western single-byte encodings apart on short files; Windows-1252
        # is what spreadsheets in these locales export.
        try:
            return data.decode("cp1252"), "file is not UTF-8; read it as Windows-1252"
        except UnicodeDecodeError:
            pass
    if best is not None and best.encoding:
        try:
            return data.decode(best.encoding), f"file is not UTF-8; read it as {best.encoding}"
        except (UnicodeDecodeError, LookupError):
            pass
    return data.decode("cp1252", errors="replace"), "file is not UTF-8; read it as Windows-1252"


MAX_CSV_CELL = 10_000_000


def sniff_rows(text: str) -> list[list[str]]:
    """Rows with the delimiter that gives the most consistent table (csv.Sniffer guesses badly
    on cells holding HTML or prose). The table's width is its most common row width, so title
    rows above the header do not decide it."""
    csv.field_size_limit(MAX_CSV_CELL)
    sample = text[:200_000]
    best, best_score = ",", -1.0
    for delim in (",", ";", "\t", "|"):
        try:
            rows = list(csv.reader(io.StringIO(sample), delimiter=delim))[:300]
        except csv.Error:
            continue
        rows = [r for r in rows if any(c.strip() for c in r)]
        widths = Counter(len(r) for r in rows if len(r) >= 2)
        if not widths:
            continue
        width = max(widths, key=lambda w: (widths[w], w))
        score = widths[width] / len(rows) + min(width, 50) / 1000
        if score > best_score:
            best, best_score = delim, score
    try:
        return [row for row in csv.reader(io.StringIO(text), delimiter=best) if any(c.strip() for c in row)]
    except csv.Error as exc:
        if "field larger than field limit" in str(exc):
            raise ParseError(
                f"a cell of the CSV is larger than {MAX_CSV_CELL // 1_000_000} MB (a missing closing quote?)"
            ) from None
        raise ParseError(f"the CSV is malformed: {exc}") from None


def map_columns(header: list[str]) -> dict[str, int]:
    roles: dict[str, int] = {}
    for i, h in enumerate(header):
        role = _LOOKUP.get(norm_header(h))
        if role and role not in roles:
            roles[role] = i
    return roles


def rows_to_catalog(rows: list[list[str]], *, source: str, fmt: str, warnings: list[str]) -> ParsedCatalog:
    if not rows:
        raise ParseError("the file is empty")
    warnings = list(warnings)
    start, _ = find_header(rows)
    if start:
        warnings.append(skipped_rows_warning(rows, start))
    truncate_cells(rows, start, warnings)
    header = [h.strip() for h in rows[start]]
    body = rows[start + 1 :]
    if not body:
        raise ParseError("the file has a header row but no products")
    if len(body) > MAX_ROWS:
        raise ParseError(f"the file has {len(body)} rows; the limit is {MAX_ROWS}")
    norm = [norm_header(h) for h in header]
    if "handle" in norm and "variant sku" in norm:
        roles = map_columns(header)
        if "name" not in roles:
            raise ParseError("no product name column found; the Shopify export has no 'Title' column")
        catalog = ParsedCatalog(source=source, format=fmt, warnings=list(warnings), platform="shopify")
        role_of = {i: r for r, i in roles.items()}
        catalog.columns = [
            {"header": h, "role": role_of.get(n, "fact"), "note": "Shopify export"}
            for n, h in enumerate(header)
        ]
        _shopify(catalog, header, body, norm.index("handle"), roles)
    else:
        catalog = understand_rows(
            header, body, source=source, fmt=fmt, warnings=warnings, first_line=start + 2
        )
    _dedupe(catalog)
    if not catalog.products:
        raise ParseError("no rows with a product name were found")
    return catalog


def _cell(row: list[str], idx: int | None) -> str:
    return row[idx].strip() if idx is not None and idx < len(row) else ""


def _price(catalog: ParsedCatalog, raw: str, rownum: int) -> tuple[Decimal | None, str | None]:
    try:
        return parse_price(raw)
    except ValueError:
        catalog.warnings.append(f"row {rownum}: price {raw[:30]!r} is not a number; left empty")
        return None, None


_SHOPIFY_VARIANT = ("variant", "option")
_SHOPIFY_SKIP = {"handle", "title", "body html", "published", "image src", "image position", "image alt text"}


def _shopify(
    catalog: ParsedCatalog, header: list[str], body: list[list[str]], handle_idx: int, roles: dict[str, int]
) -> None:
    norm = [norm_header(h) for h in header]
    col = {n: i for i, n in reversed(list(enumerate(norm)))}
    groups: dict[str, list[list[str]]] = {}
    for row in body:
        handle = _cell(row, handle_idx)
        if handle:
            groups.setdefault(handle, []).append(row)
    for handle, rows in groups.items():
        first = rows[0]
        name = html_to_text(_cell(first, col.get("title")))
        if not name:
            catalog.warnings.append(f"product {handle!r}: no title; skipped")
            continue
        desc = html_to_text(_cell(first, col.get("body html"))) or None
        option_names = [_cell(first, col.get(f"option{i} name")) for i in (1, 2, 3)]
        variants = []
        for row in rows:
            price, cur = _price(catalog, _cell(row, col.get("variant price")), 0)
            opts = {
                (option_names[i - 1] or f"Option {i}"): v
                for i in (1, 2, 3)
                if (v := _cell(row, col.get(f"option{i} value"))) and v != "Default Title"
            }
            if not (opts or _cell(row, col.get("variant sku")) or price is not None):
                continue  # an image-only row
            variants.append(
                {
                    "sku": _cell(row, col.get("variant sku")) or None,
                    "options": opts,
                    "price": str(price) if price is not None else None,
                    "currency": cur,
                    "compare_at_price": _cell(row, col.get("variant compare at price")) or None,
                    "stock": parse_int(_cell(row, col.get("variant inventory qty"))),
                    "barcode": _cell(row, col.get("variant barcode")) or None,
                }
            )
        prices = [Decimal(v["price"]) for v in variants if v["price"] is not None]
        stocks = [v["stock"] for v in variants if v["stock"] is not None]
        skus = [v["sku"] for v in variants if v["sku"]]
        attrs: dict[str, Any] = {"handle": handle, "variants": variants}
        fields: list[Field] = [Field("description", desc)] if desc else []
        for i, n in enumerate(norm):
            if n in _SHOPIFY_SKIP or n.startswith(_SHOPIFY_VARIANT) or i in roles.values():
                continue
            value = _cell(first, i)
            if value and value.lower() not in ("true", "false"):
                attrs[header[i]] = value
                fields.append(Field(header[i], f"{header[i]}: {value}", kind="fact"))
        if len(variants) > 1 or any(v["options"] or v["sku"] for v in variants):
            fields.append(Field("variants", variants_text(variants), kind="fact"))
        catalog.products.append(
            ProductRecord(
                external_key=f"handle:{handle}",
                name=name[:500],
                sku=skus[0] if len(skus) == 1 else (skus[0] if skus else None),
                description=desc,
                price=min(prices) if prices else None,
                currency=next((v["currency"] for v in variants if v["currency"]), None),
                stock=sum(stocks) if stocks else None,
                url=None,
                category=_cell(first, col.get("type")) or None,
                attributes=attrs,
                fields=fields,
            )
        )


def _dedupe(catalog: ParsedCatalog) -> None:
    """The same key twice in one file: keep the last row (the newest data), say so."""
    seen: dict[str, int] = {}
    count: Counter[str] = Counter()
    for i, p in enumerate(catalog.products):
        seen[p.external_key] = i
        count[p.external_key] += 1
    for i, p in enumerate(catalog.products):
        if count[p.external_key] > 1 and seen[p.external_key] == i:
            what = f"SKU {p.sku}" if p.sku else f"product {p.name!r}"
            catalog.warnings.append(
                f"{what} appears more than once ({count[p.external_key]} rows); the last row was kept and "
                "the earlier ones were not imported"
            )
    keep = set(seen.values())
    catalog.products = [p for i, p in enumerate(catalog.products) if i in keep]


def parse_csv(data: bytes, *, source: str) -> ParsedCatalog:
    text, warning = decode(data)
    if not text.strip():
        raise ParseError("the file is empty")
    if "\x00" in text[:10_000]:
        raise ParseError("this does not look like a CSV file (it contains binary data)")
    return rows_to_catalog(sniff_rows(text), source=source, fmt="csv", warnings=[warning] if warning else [])
