"""Rows → products: variants grouped under their parent, tier and group prices folded, sale windows
applied, every other column kept as a labelled fact."""

from __future__ import annotations

import re
from collections import Counter
from datetime import date
from decimal import Decimal
from typing import Any

from echome.knowledge.records import (
    Field,
    ParsedCatalog,
    ParseError,
    ProductRecord,
    html_to_text,
    key_from_name,
    variants_text,
)
from echome.knowledge.understand.layout import detect_platform
from echome.knowledge.understand.rows import Row, check_values, price_currency_from_siblings, read_row
from echome.knowledge.understand.vocabulary import classify_all, fold

# Size columns in the seven languages, also stated together as "Dimensions: width 1, height 2".
_DIMENSIONS = {
    "width", "height", "depth", "length", "weight", "breite", "hohe", "tiefe", "lange", "gewicht",
    "largeur", "hauteur", "profondeur", "longueur", "poids", "ancho", "alto", "profundidad", "largo",
    "peso", "larghezza", "altezza", "profondita", "lunghezza", "breedte", "hoogte", "diepte", "lengte",
    "largura", "altura", "profundidade", "comprimento",
}  # fmt: skip


def understand_rows(
    header: list[str],
    body: list[list[str]],
    *,
    source: str,
    fmt: str,
    warnings: list[str],
    today: date | None = None,
) -> ParsedCatalog:
    cols = classify_all(header)
    check_values(cols, body)
    roles = {c.role for c in cols}
    if "name" not in roles and "description" not in roles:
        raise ParseError(
            "no product name column found; name one column 'name' or 'title' "
            f"(columns seen: {', '.join(h for h in header[:12] if h) or 'none'})"
        )
    platform, meaning = detect_platform(header)
    catalog = ParsedCatalog(source=source, format=fmt, warnings=list(warnings))
    catalog.columns = [c.as_dict() for c in cols]
    catalog.platform = platform
    if platform:
        catalog.columns.insert(0, {"header": "", "role": "layout", "note": f"{platform}: {meaning}"})
    rows = []
    for n, raw in enumerate(body, start=2):
        r = read_row(n, raw, cols, catalog.warnings)
        if not r.currency:
            r.currency = price_currency_from_siblings(r, raw, cols)
        rows.append(r)
    rows = _fold_price_rows(rows)
    for parent, children in _group(rows):
        rec = _record(parent, children, catalog.warnings, today or date.today())
        if rec is not None:
            catalog.products.append(rec)
    return catalog


def _fold_price_rows(rows: list[Row]) -> list[Row]:
    """Repeated SKUs that are tier prices ('from' 1/11/21) or another customer group's price become
    facts of the first (main group, smallest quantity) row."""
    groups = Counter(r.get("customer_group") for r in rows if r.get("customer_group"))
    main_group = groups.most_common(1)[0][0] if groups else ""
    by_sku: dict[str, Row] = {}
    out: list[Row] = []
    for r in rows:
        sku = r.get("sku")
        first = by_sku.get(sku) if sku else None
        if first is None or not (r.get("min_qty") or r.get("customer_group")):
            if sku:
                by_sku[sku] = r
            out.append(r)
            continue
        price = r.amounts.get("price")
        if price is None:
            continue
        group = r.get("customer_group")
        if group and group != main_group:
            first.facts.append((f"Price for customer group {group}", _num(price)))
        else:
            first.specs.append(("Tier price", f"{_num(price)} each from {r.get('min_qty')} pieces"))
    for r in out:
        tiers = [v for k, v in r.specs if k == "Tier price"]
        if tiers and r.get("min_qty"):
            r.specs = [s for s in r.specs if s[0] != "Tier price"]
            base = r.amounts.get("price")
            listed = [f"{_num(base)} each from {r.get('min_qty')} pieces"] if base is not None else []
            r.specs.append(("Tier prices", "; ".join(listed + tiers)))
    return out


def _group(rows: list[Row]) -> list[tuple[Row, list[Row]]]:
    """(parent row, its variant rows) in file order. A child names its parent in a parent column,
    or is listed by SKU in the parent's packed variants; rows sharing a name and differing only in
    their variant label (Shopware 5) are one article."""
    by_key: dict[str, Row] = {}
    for r in rows:
        for k in r.ids:
            by_key.setdefault(k, r)
            by_key.setdefault(f"id:{k}", r)
    parent_of: dict[int, Row] = {}
    for r in rows:
        p = by_key.get(r.get("parent")) if r.get("parent") else None
        if p is not None and p is not r:
            parent_of[id(r)] = p
    for r in rows:
        for v in r.variant_list:
            sku = next((val for k, val in v.items() if k.lower() == "sku"), "")
            child = by_key.get(sku)
            if child is not None and child is not r and id(child) not in parent_of:
                parent_of[id(child)] = r
    first_of_name: dict[str, Row] = {}
    for r in rows:
        if id(r) in parent_of or not r.get("variant_name") or not r.get("name"):
            continue
        key = r.get("name").casefold()
        if key in first_of_name:
            parent_of[id(r)] = first_of_name[key]
        else:
            first_of_name[key] = r
    children: dict[int, list[Row]] = {}
    for r in rows:
        if id(r) in parent_of:
            children.setdefault(id(parent_of[id(r)]), []).append(r)
    return [(r, children.get(id(r), [])) for r in rows if id(r) not in parent_of]


def _num(d: Decimal | None) -> str:
    if d is None:
        return ""
    return f"{d:f}".rstrip("0").rstrip(".") if "." in f"{d:f}" else f"{d:f}"


def _effective(r: Row, today: date) -> tuple[Decimal | None, dict[str, Any]]:
    """The price that applies today and what is known of a sale: a sale price counts only inside its
    window; an expired window leaves the regular price current."""
    regular = r.amounts.get("price")
    sale = r.amounts.get("sale_price")
    if sale is None and regular is not None:
        if r.amounts.get("discount_amount"):
            sale = regular - r.amounts["discount_amount"]
        elif r.amounts.get("discount_percent"):
            sale = (regular * (1 - r.amounts["discount_percent"] / 100)).quantize(Decimal("0.01"))
    info: dict[str, Any] = {}
    if sale is None or (regular is not None and sale >= regular) or sale <= 0:
        return regular, info
    started = r.sale_start is None or r.sale_start <= today
    ended = r.sale_end is not None and r.sale_end < today
    active = started and not ended
    info = {
        "regular_price": _num(regular) if regular is not None else None,
        "sale_price": _num(sale),
        "sale_start": r.sale_start.isoformat() if r.sale_start else None,
        "sale_end": r.sale_end.isoformat() if r.sale_end else None,
        "sale_active": active,
    }
    return (sale if active else regular), info


def _variant(r: Row, options: dict[str, str], today: date) -> dict[str, Any]:
    price, sale = _effective(r, today)
    compare = r.amounts.get("compare_at")
    if sale.get("sale_active"):
        compare = r.amounts.get("price")
    return {
        "sku": r.get("sku") or None,
        "options": options,
        "price": _num(price) if price is not None else None,
        "currency": r.currency,
        "compare_at_price": _num(compare) if compare and price is not None and compare > price else None,
        "stock": r.stock if r.stock is not None else (0 if r.available is False else None),
    }


def _variants(parent: Row, children: list[Row], today: date) -> list[dict[str, Any]]:
    listed = {
        next((v for k, v in rec.items() if k.lower() == "sku"), ""): {
            k.replace("_", " ").capitalize(): v for k, v in rec.items() if k.lower() != "sku" and v
        }
        for rec in parent.variant_list
    }
    out = []
    for c in children:
        opts = listed.get(c.get("sku")) or dict(c.options)
        if c.get("variant_name") and not opts:
            opts = {"Variant": c.get("variant_name")}
        out.append(_variant(c, opts, today))
    if parent.get("variant_name") and children:
        out.insert(0, _variant(parent, {"Variant": parent.get("variant_name")}, today))
    return out


def _derive_name(r: Row, warnings: list[str]) -> str | None:
    desc = html_to_text(r.get("description") or r.get("short_description"))
    if desc:
        words = re.split(r"(?<=[.!?])\s", desc, maxsplit=1)[0].split()
        name = " ".join(words[:8]).rstrip(".,;:")
    elif r.get("sku"):
        name = r.get("sku")
    else:
        return None
    source = "description" if desc else "SKU"
    warnings.append(f"row {r.n}: no product name; named it {name!r} from its {source}")
    return name


def _record(parent: Row, children: list[Row], warnings: list[str], today: date) -> ProductRecord | None:
    name = html_to_text(parent.get("name")) or _derive_name(parent, warnings)
    if not name:
        warnings.append(f"row {parent.n}: no product name, SKU or description; skipped")
        return None
    sku = parent.get("sku") or None
    desc = html_to_text(parent.get("description")) or None
    short = html_to_text(parent.get("short_description")) or None
    price, sale = _effective(parent, today)
    variants = _variants(parent, children, today) if (children or parent.variant_list) else []
    vprices = [Decimal(v["price"]) for v in variants if v["price"] is not None]
    if price is None and vprices:
        price = min(vprices)
    stock = parent.stock
    vstocks = [v["stock"] for v in variants if v["stock"] is not None]
    if vstocks and not stock:
        stock = sum(vstocks)
    if stock == 0 and parent.available:
        stock = None  # a parent's qty 0 with its in-stock flag set: not sold out, number unknown
    if stock is None and parent.available is False:
        stock = 0
    currency = parent.currency or next((v["currency"] for v in variants if v["currency"]), None)
    attrs: dict[str, Any] = dict(parent.attrs)
    if variants:
        attrs["variants"] = variants
    attrs.update({k: v for k, v in sale.items() if v is not None})
    fields = [Field("description", desc)] if desc else []
    if short and short != desc:
        fields.append(Field("short_description", short))
    facts = _fact_lines(parent, name, price, sale, currency, variants)
    fields.extend(Field(label, text, kind="fact") for label, text in facts)
    fields.extend(parent.fields)
    if (parent.available is not None and parent.stock is None) or (parent.stock == 0 and parent.available):
        said = "in stock" if parent.available else "out of stock"
        fields.append(Field("availability", f"Availability: {said}", kind="fact"))
    return ProductRecord(
        external_key=f"sku:{sku}" if sku else key_from_name(name),
        name=name[:500],
        sku=sku,
        description=desc or short,
        price=price,
        currency=currency,
        stock=stock,
        url=parent.get("url") or None,
        category=parent.get("category") or None,
        attributes=attrs,
        fields=fields,
    )


def _fact_lines(
    r: Row,
    name: str,
    price: Decimal | None,
    sale: dict[str, Any],
    currency: str | None,
    variants: list[dict[str, Any]],
) -> list[tuple[str, str]]:
    cur = f" {currency}" if currency else ""
    out: list[tuple[str, str]] = []
    if sale:
        if sale["sale_active"]:
            until = f" until {sale['sale_end']}" if sale["sale_end"] else ""
            was = f"{sale['regular_price']}{cur}"
            out.append(("sale", f"On sale: {sale['sale_price']}{cur} instead of {was}{until}"))
        else:
            when = f"ended {sale['sale_end']}" if sale["sale_end"] else f"starts {sale['sale_start']}"
            now = f"{_num(price)}{cur}"
            out.append(("sale", f"Sale price {sale['sale_price']}{cur} ({when}); the current price is {now}"))
    compare = r.amounts.get("compare_at")
    if compare and price is not None and compare > price:
        out.append(("compare_at", f"Price {_num(price)}{cur}, reduced from {_num(compare)}{cur} (old price)"))
    spec_labels = {label for label, _ in r.specs}
    own = [] if variants else [(k, v) for k, v in r.options.items() if k not in spec_labels]
    for label, value in [*own, *r.specs, *r.facts]:
        if label.lower().startswith("tax rate") or label.lower() in ("tax", "vat", "mwst"):
            value = value if value.endswith("%") else f"{value}%"
        out.append((label, f"{label}: {value}"))
    dims = [(label, v) for label, v in [*r.specs, *r.facts] if fold(label).lower() in _DIMENSIONS]
    if len(dims) >= 2:
        out.append(("dimensions", "Dimensions: " + ", ".join(f"{label.lower()} {v}" for label, v in dims)))
    if variants:
        opts: dict[str, list[str]] = {}
        for v in variants:
            for k, val in v["options"].items():
                if val not in opts.setdefault(k, []):
                    opts[k].append(val)
        priced = len(opts) == 1 and len({v["price"] for v in variants}) > 1
        for k, vals in opts.items():
            if len(vals) > 1 and priced:  # one option and prices that differ: each value's price
                said = [
                    f"{v['options'][k]} {v['price']}{cur}"
                    for v in variants
                    if k in v["options"] and v["price"]
                ]
                out.append((f"option {k}", f"{k} options: {', '.join(said)}"))
            elif len(vals) > 1:
                out.append((f"option {k}", f"{k} options: {', '.join(vals)}"))
        out.append(("variants", variants_text(variants, currency_suffix=cur)))
    return out
