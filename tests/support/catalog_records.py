"""Reading parsed catalogs in tests: facts, products by name, and understanding rows on a fixed day."""

from __future__ import annotations

from datetime import date

from echome.knowledge.parse_table import decode, sniff_rows
from echome.knowledge.records import ParsedCatalog, ProductRecord
from echome.knowledge.understand import understand_rows


def fact_texts(p: ProductRecord) -> list[str]:
    return [f.text for f in p.fields if f.kind == "fact"]


def by_name(cat: ParsedCatalog) -> dict[str, ProductRecord]:
    return {p.name: p for p in cat.products}


def understand_on(data: bytes, today: date) -> ParsedCatalog:
    """Like parse_catalog, with a fixed today (for sale windows)."""
    rows = sniff_rows(decode(data)[0])
    return understand_rows(rows[0], rows[1:], source="t.csv", fmt="csv", warnings=[], today=today)
