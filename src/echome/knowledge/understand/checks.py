"""Checks over a whole import: cells too large, mixed currencies, prices far off the rest, and
warnings said once per kind instead of once per row."""

from __future__ import annotations

import re
from collections import Counter
from statistics import median

from echome.knowledge.records import ParsedCatalog

MAX_CELL_CHARS = 100_000  # ~25 pages of text; beyond that a cell is pasted data, not a description
MAX_SAME_WARNINGS = 5  # row warnings of one kind listed one by one before they are counted
OUTLIER_FACTOR = 1000  # a price this many times the catalog's median is reported for checking


def truncate_cells(rows: list[list[str]], header_index: int, warnings: list[str]) -> None:
    """Cells over MAX_CELL_CHARS are cut (in place), with the row and column said."""
    header = rows[header_index] if rows else []
    cut = []
    for i, row in enumerate(rows):
        for j, cell in enumerate(row):
            if len(cell) > MAX_CELL_CHARS:
                row[j] = cell[:MAX_CELL_CHARS]
                column = header[j].strip() if j < len(header) and i != header_index else f"column {j + 1}"
                cut.append(f"row {i + 1}, {column!r} ({len(cell):,} characters)")
    if cut:
        more = f" and {len(cut) - 3} more" if len(cut) > 3 else ""
        warnings.append(
            f"{len(cut)} cells were longer than {MAX_CELL_CHARS:,} characters and were cut to that length: "
            + "; ".join(cut[:3])
            + more
        )


def check_catalog(catalog: ParsedCatalog) -> None:
    """Currencies and prices across the catalog (after its products are built)."""
    seen = Counter(p.currency for p in catalog.products if p.currency and p.price is not None)
    for p in catalog.products:
        for v in p.attributes.get("variants") or []:
            if v.get("currency") and v.get("currency") != p.currency:
                seen[v["currency"]] += 1
    if len(seen) > 1:
        said = ", ".join(f"{cur} ({n})" for cur, n in seen.most_common())
        catalog.warnings.append(
            f"prices are in several currencies: {said}; each product keeps the currency written with its "
            "price, products without one get the shop's default currency"
        )
    elif not seen and any(p.price is not None for p in catalog.products):
        catalog.warnings.append(
            "no currency found in the file (no currency column, code or symbol): prices are said in the "
            'currency your store information states ("All prices are in EUR"), else in the shop\'s '
            "default (ECHOME_CATALOG_CURRENCY), else as plain numbers; add a currency column to be sure"
        )
    elif len(seen) == 1:
        only = next(iter(seen))
        for p in catalog.products:
            if p.currency is None and p.price is not None:
                p.currency = only  # the one currency the file names is the file's currency
    prices = [p.price for p in catalog.products if p.price is not None and p.price > 0]
    if len(prices) >= 10:
        mid = median(prices)
        far = [p for p in catalog.products if p.price is not None and p.price > mid * OUTLIER_FACTOR]
        if far:
            names = ", ".join(f"{p.name!r} ({p.price})" for p in far[:5])
            catalog.warnings.append(
                f"{len(far)} prices are over {OUTLIER_FACTOR} times the catalog's typical price ({mid}); "
                f"please check them: {names}"
            )
    variants = [v for p in catalog.products for v in p.attributes.get("variants") or []]
    skus = Counter(v["sku"] for v in variants if v.get("sku"))
    twice = [s for s, n in skus.items() if n > 1]
    if twice:
        catalog.warnings.append(
            f"variant SKUs used more than once: {', '.join(twice[:5])}; "
            "each variant was kept under the product that lists it"
        )


_ROW = re.compile(r"^row (\d+): (.*)$")
_QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"")


def compact_warnings(warnings: list[str]) -> list[str]:
    """'row 7: price 'call us' is not a number; left empty' (900 times) → the first few and a count."""
    kinds: dict[str, list[str]] = {}
    out: list[str | tuple[str]] = []
    for w in dict.fromkeys(warnings):  # the same sentence twice is said once
        m = _ROW.match(w)
        if not m:
            out.append(w)
            continue
        kind = _QUOTED.sub("…", m.group(2))
        if kind not in kinds:
            kinds[kind] = []
            out.append((kind,))
        kinds[kind].append(w)
    result = []
    for item in out:
        if isinstance(item, str):
            result.append(item)
            continue
        same = kinds[item[0]]
        result.extend(same[:MAX_SAME_WARNINGS])
        if len(same) > MAX_SAME_WARNINGS:
            rows = [_ROW.match(w).group(1) for w in same[MAX_SAME_WARNINGS:]]  # type: ignore[union-attr]
            shown = ", ".join(rows[:20]) + (" …" if len(rows) > 20 else "")
            result.append(f"{len(rows)} more rows with the same problem ({item[0]}): rows {shown}")
    return result
