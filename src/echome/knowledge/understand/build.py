"""Rows → products: variants grouped under their parent, tier and group prices folded, sale windows
applied, every other column kept as a labelled fact."""

from __future__ import annotations

import re
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
from echome.knowledge.understand.checks import check_catalog
from echome.knowledge.understand.grouping import fold_price_rows, group_rows, num
from echome.knowledge.understand.layout import detect_platform, platform_roles
from echome.knowledge.understand.rows import Row, check_values, price_currency_from_siblings, read_row
from echome.knowledge.understand.values import AVAILABILITY_NUANCE, parse_packed
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
    first_line: int = 2,
) -> ParsedCatalog:
    platform, meaning = detect_platform(header)
    cols = classify_all(header, overrides=platform_roles(platform))
    check_values(cols, body)
    roles = {c.role for c in cols}
    if "name" not in roles and "description" not in roles:
        raise ParseError(
            "no product name column found; name one column 'name' or 'title' "
            f"(columns seen: {', '.join(h for h in header[:12] if h) or 'none'})"
        )
    catalog = ParsedCatalog(source=source, format=fmt, warnings=list(warnings))
    catalog.columns = [c.as_dict() for c in cols]
    catalog.platform = platform
    if platform:
        catalog.columns.insert(0, {"header": "", "role": "layout", "note": f"{platform}: {meaning}"})
    rows = []
    for n, raw in enumerate(body, start=first_line):
        r = read_row(n, raw, cols, catalog.warnings)
        if not r.currency:
            r.currency = price_currency_from_siblings(r, raw, cols)
        rows.append(r)
    rows = fold_price_rows(rows)
    for parent, children in group_rows(rows, catalog.warnings):
        rec = _record(parent, children, catalog.warnings, today or date.today())
        if rec is not None:
            catalog.products.append(rec)
    check_catalog(catalog)
    return catalog


def _effective(r: Row, today: date) -> tuple[Decimal | None, dict[str, Any]]:
    """The price that applies today and what is known of a sale: a sale price counts only inside its
    window; an expired window, or dates that could not be read, leave the regular price current."""
    regular = r.amounts.get("price")
    sale = None if r.sale_off else r.amounts.get("sale_price")
    if sale is None and regular is not None:
        if r.amounts.get("discount_amount"):
            sale = regular - r.amounts["discount_amount"]
        elif r.amounts.get("discount_percent"):
            sale = (regular * (1 - r.amounts["discount_percent"] / 100)).quantize(Decimal("0.01"))
    info: dict[str, Any] = {}
    if sale is None or (regular is not None and sale >= regular) or sale <= 0:
        return regular, info
    if regular is None:
        return sale, info  # only a sale price: it is the price
    started = r.sale_start is None or r.sale_start <= today
    ended = r.sale_end is not None and r.sale_end < today
    active = started and not ended and not r.sale_dates_unread
    info = {
        "regular_price": num(regular),
        "sale_price": num(sale),
        "sale_start": r.sale_start.isoformat() if r.sale_start else None,
        "sale_end": r.sale_end.isoformat() if r.sale_end else None,
        "sale_active": active,
    }
    return (sale if active else regular), info


def _variant(r: Row, options: dict[str, str], today: date, base: Decimal | None) -> dict[str, Any]:
    """One variant; without a price of its own it costs its product's price (plus its surcharge)."""
    price, sale = _effective(r, today)
    if price is None and base is not None:
        price = base + (r.amounts.get("price_delta") or 0)
    compare = r.amounts.get("compare_at")
    if sale.get("sale_active"):
        compare = r.amounts.get("price")
    return {
        "sku": r.get("sku") or None,
        "options": options,
        "price": num(price) if price is not None else None,
        "currency": r.currency,
        "compare_at_price": num(compare) if compare and price is not None and compare > price else None,
        "stock": r.stock if r.stock is not None else (0 if r.available is False else None),
    }


def _named_options(name: str) -> dict[str, str]:
    """A variant named by its options: BigCommerce '[RB]Size=Small,[S]Color=Red'."""
    text = re.sub(r"\[\w+\]", "", name)
    if "=" not in text or "://" in text:
        return {}
    records = parse_packed(text)
    return {k.strip(): v for k, v in records[0].items() if v} if len(records) == 1 else {}


def _options_of(c: Row, parent: Row | None = None) -> dict[str, str]:
    named = {parent.option_names[n]: v for n, v in c.unnamed.items() if parent and n in parent.option_names}
    return dict(c.options) or named or dict(c.option_values) or _named_options(c.get("name"))


def _variants(parent: Row, children: list[Row], today: date) -> list[dict[str, Any]]:
    listed = {
        next((v for k, v in rec.items() if k.lower() == "sku"), ""): {
            k.replace("_", " ").capitalize(): v for k, v in rec.items() if k.lower() != "sku" and v
        }
        for rec in parent.variant_list
    }
    base, _ = _effective(parent, today)
    out = []
    for c in children:
        opts = listed.get(c.get("sku")) or _options_of(c, parent)
        if c.get("variant_name") and not opts:
            opts = {"Variant": c.get("variant_name")}
        out.append(_ruled(_variant(c, opts, today, base), parent))
    if parent.leads and children:
        out.insert(0, _variant(parent, _options_of(parent), today, None))
    elif parent.get("variant_name") and children:
        own = _options_of(parent) or {"Variant": parent.get("variant_name")}
        out.insert(0, _variant(parent, own, today, None))
    return out


def _ruled(variant: dict[str, Any], parent: Row) -> dict[str, Any]:
    """A price rule of the product (BigCommerce 'Size=41: [ADD]5') applied to the variants it names."""
    have = {k.casefold(): str(v).casefold() for k, v in variant["options"].items()}
    for opts, delta in parent.price_rules:
        if variant["price"] is not None and all(have.get(k) == v for k, v in opts.items()):
            variant["price"] = num(Decimal(variant["price"]) + delta)
    return variant


def _constant_options(variants: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """Options every variant shares ('Material: Cotton') are facts of the product, not choices."""
    if len(variants) < 2:
        return []
    shared = []
    for k in {k for v in variants for k in v["options"]}:
        values = {v["options"].get(k) for v in variants}
        if len(values) == 1 and None not in values:
            shared.append((k, values.pop()))
            for v in variants:
                v["options"].pop(k)
    return sorted(shared)


def _common_name(names: list[str]) -> str:
    """'Tee - Red - S', 'Tee - Blue - M' → 'Tee' (a group of variant rows without a product row)."""
    words = [n.split() for n in names if n]
    if not words:
        return ""
    common: list[str] = []
    for column in zip(*words, strict=False):
        if len({w.casefold() for w in column}) != 1:
            break
        common.append(column[0])
    name = " ".join(common).rstrip(" -\u2013\u2014,/|:(")
    return name if len(name) >= 3 else " ".join(words[0])


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
    name = html_to_text(parent.get("name"))
    if parent.leads and children:
        name = _common_name([html_to_text(r.get("name")) for r in [parent, *children]]) or name
    name = name or _derive_name(parent, warnings)
    if not name:
        warnings.append(f"row {parent.n}: no product name, SKU or description; skipped")
        return None
    group = (parent.group or parent.group_fallback) if parent.leads and children else ""
    sku = None if group else (parent.get("sku") or None)  # a group's first row is one variant
    desc = html_to_text(parent.get("description")) or None
    short = html_to_text(parent.get("short_description")) or None
    price, sale = _effective(parent, today)
    variants = _variants(parent, children, today) if (children or parent.variant_list) else []
    shared = _constant_options(variants)
    vprices = [Decimal(v["price"]) for v in variants if v["price"] is not None]
    if vprices and (price is None or parent.leads):
        price = min(vprices)
    stock = parent.stock
    vstocks = [v["stock"] for v in variants if v["stock"] is not None]
    if vstocks and (not stock or parent.leads or parent.get("variant_name")):
        stock = sum(vstocks)
    if stock == 0 and parent.available:
        stock = None  # a parent's qty 0 with its in-stock flag set: not sold out, number unknown
    if stock is None and parent.available is False and not vstocks:
        stock = 0
    currency = parent.currency or next((v["currency"] for v in variants if v["currency"]), None)
    attrs: dict[str, Any] = dict(parent.attrs)
    if variants:
        attrs["variants"] = variants
    attrs.update({k: v for k, v in sale.items() if v is not None})
    if stock is None and parent.available is not None and not vstocks:
        attrs["available"] = parent.available  # an in-stock flag without a count (WooCommerce, feeds)
    if parent.tiers:  # typed, so an answer can pick the step a quantity reaches
        attrs["tier_prices"] = [{"from": q, "price": num(p)} for q, p in sorted(set(parent.tiers))]
    fields = [Field("description", desc)] if desc else []
    if short and short != desc:
        fields.append(Field("short_description", short))
    facts = _fact_lines(parent, price, sale, currency, variants, shared)
    fields.extend(Field(label, text, kind="fact") for label, text in facts)
    fields.extend(parent.fields)
    if not variants:
        fields.extend(parent.option_fields)
    if not (parent.leads and variants):  # a group's first row speaks for its own variant only
        fields.extend(_availability(parent))
    key = f"group:{group}" if group else (f"sku:{sku}" if sku else None)
    return ProductRecord(
        external_key=key or key_from_name(name),
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


def _availability(r: Row) -> list[Field]:
    nuance = AVAILABILITY_NUANCE.get(fold(r.get("availability") or r.get("stock")).lower().strip())
    if nuance:
        return [Field("availability", f"Availability: {nuance}", kind="fact")]
    if (r.available is not None and r.stock is None) or (r.stock == 0 and r.available):
        said = "in stock" if r.available else "out of stock"
        return [Field("availability", f"Availability: {said}", kind="fact")]
    return []


def _dimension(label: str, value: str) -> str:
    """'Weight (kg)', '0.5' → 'weight 0.5 kg'."""
    m = re.fullmatch(r"(.+?)\s*\((.+)\)", label)
    return f"{m.group(1).lower()} {value} {m.group(2)}" if m else f"{label.lower()} {value}"


def _fact_lines(
    r: Row,
    price: Decimal | None,
    sale: dict[str, Any],
    currency: str | None,
    variants: list[dict[str, Any]],
    shared: list[tuple[str, str]],
) -> list[tuple[str, str]]:
    cur = f" {currency}" if currency else ""
    out: list[tuple[str, str]] = []
    if sale:
        if sale["sale_active"]:
            until = f" until {sale['sale_end']}" if sale["sale_end"] else ""
            was = f"{sale['regular_price']}{cur}"
            out.append(("sale", f"On sale: {sale['sale_price']}{cur} instead of {was}{until}"))
        elif r.sale_dates_unread:
            now = f"{num(price)}{cur}"
            out.append(("sale", f"Sale price {sale['sale_price']}{cur} (dates unclear); the price is {now}"))
        else:
            when = f"ended {sale['sale_end']}" if sale["sale_end"] else f"starts {sale['sale_start']}"
            now = f"{num(price)}{cur}"
            out.append(("sale", f"Sale price {sale['sale_price']}{cur} ({when}); the current price is {now}"))
    compare = r.amounts.get("compare_at")
    if compare and price is not None and compare > price:
        out.append(("compare_at", f"Price {num(price)}{cur}, reduced from {num(compare)}{cur} (old price)"))
    spec_labels = {label for label, _ in r.specs}
    own = [] if variants else [(k, v) for k, v in r.options.items() if k not in spec_labels]
    for label, value in own:
        listed = ", " in value and label not in r.option_values
        out.append((label, f"{label} options: {value}" if listed else f"{label}: {value}"))
    for label, value in [*shared, *r.specs, *r.facts]:
        if label.lower().startswith("tax rate") or label.lower() in ("tax", "vat", "mwst"):
            value = value if value.endswith("%") else f"{value}%"
        out.append((label, f"{label}: {value}"))
    dims = [(label, v) for label, v in [*r.specs, *r.facts] if fold(label).lower() in _DIMENSIONS]
    dims += [
        (f.name, f.text.split(": ", 1)[1])
        for f in r.fields
        if f.kind == "fact" and ": " in f.text and fold(f.name).lower().split(" (")[0] in _DIMENSIONS
    ]
    if len(dims) >= 2:
        said = [_dimension(label, v) for label, v in dims]
        out.append(("dimensions", "Dimensions: " + ", ".join(said)))
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
