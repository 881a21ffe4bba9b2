"""Which rows are one product: tier-price rows folded into their article, variants under their parent.

A variant finds its product, in this order, by:
1. a parent column naming the parent's SKU or id (WooCommerce `Parent`, Amazon `parent_sku`,
   Bagisto `parent_sku`, Shopware 6 `parent_id`);
2. the parent's packed variant list naming it (Magento `configurable_variations`);
3. a group key shared with its siblings (Google `item_group_id`, Wix `handleId`, Squarespace's
   repeated `Product ID`): the group's product row if it has one (Wix fieldType "Product"), else
   the group's first row, which then is the product and its first variant;
4. its row kind ("SKU", "Variant", "variation") with no parent named: the product row above it
   (BigCommerce);
5. the same name as an earlier row, told apart only by a variant label (Shopware 5, Square).
"""

from __future__ import annotations

import re
from collections import Counter
from decimal import Decimal

from echome.knowledge.understand.packed import tier_phrase
from echome.knowledge.understand.rows import Row


def num(d: Decimal | None) -> str:
    if d is None:
        return ""
    return f"{d:f}".rstrip("0").rstrip(".") if "." in f"{d:f}" else f"{d:f}"


def _quantity(text: str | None) -> int | None:
    try:
        n = int(Decimal(str(text).replace(",", ".")))
    except (ArithmeticError, ValueError):
        return None
    return n if n > 0 else None


def fold_price_rows(rows: list[Row]) -> list[Row]:
    """Repeated SKUs that are tier prices ('from' 1/11/21) or another customer group's price become
    facts of the first (main group, smallest quantity) row."""
    groups = Counter(r.get("customer_group") for r in rows if r.get("customer_group"))
    main_group = groups.most_common(1)[0][0] if groups else ""
    by_sku: dict[str, Row] = {}
    tiers: dict[int, list[str]] = {}
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
            first.facts.append((f"Price for customer group {group}", num(price)))
        else:
            tiers.setdefault(id(first), []).append(tier_phrase(r.get("min_qty"), num(price)))
            if (qty := _quantity(r.get("min_qty"))) is not None:
                first.tiers.append((qty, price))
    for r in out:
        more = tiers.get(id(r))
        if more:
            base = r.amounts.get("price")
            listed = [tier_phrase(r.get("min_qty") or "1", num(base))] if base is not None else []
            r.specs.append(("Tier prices", "; ".join(listed + more)))
            if base is not None:
                r.tiers.insert(0, (_quantity(r.get("min_qty")) or 1, base))
    return out


def group_rows(rows: list[Row], warnings: list[str]) -> list[tuple[Row, list[Row]]]:
    """(product row, its variant rows) in file order; rule/image rows are folded away."""
    parent_of: dict[int, Row] = {}
    by_key: dict[str, Row] = {}
    for r in rows:
        for k in r.ids:
            by_key.setdefault(k, r)
            by_key.setdefault(f"id:{k}", r)
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
    _by_group(rows, parent_of)
    skipped = _by_position(rows, parent_of)
    _by_name(rows, parent_of)
    children: dict[int, list[Row]] = {}
    for r in rows:
        if id(r) in parent_of and id(r) not in skipped:
            children.setdefault(id(parent_of[id(r)]), []).append(r)
    if skipped:
        warnings.append(
            f"{len(skipped)} rule/image rows are not products; "
            "their price rules were kept as facts of the product above them"
        )
    return [(r, children.get(id(r), [])) for r in rows if id(r) not in parent_of and id(r) not in skipped]


def _by_group(rows: list[Row], parent_of: dict[int, Row]) -> None:
    groups: dict[str, list[Row]] = {}
    explicit = any(r.group for r in rows)
    for r in rows:
        key = r.group if explicit else r.group_fallback
        if key:
            groups.setdefault(key, []).append(r)
    for members in groups.values():
        free = [m for m in members if id(m) not in parent_of]
        if len(members) < 2 or len(free) < 2:
            continue
        leader = next((m for m in free if m.kind == "parent"), None)
        if leader is None:
            leader = free[0]
            leader.leads = True
        for m in free:
            if m is not leader:
                parent_of[id(m)] = leader


def _by_position(rows: list[Row], parent_of: dict[int, Row]) -> set[int]:
    """Variant rows under the product row above them; rule rows become that product's facts."""
    last: Row | None = None
    skipped: set[int] = set()
    for r in rows:
        if r.kind == "skip":
            skipped.add(id(r))
            if last is not None:
                _rule_fact(last, r)
            continue
        if id(r) in parent_of:
            continue
        if r.kind == "child" and not r.get("parent"):
            if last is not None:
                parent_of[id(r)] = last
            continue
        if r.kind != "child":
            last = r
    return skipped


def _rule_fact(product: Row, rule: Row) -> None:
    """A BigCommerce rule row: '[RB]Size=Large' with '[ADD]2.00' → 'Price rule: Size Large +2.00'."""
    what = _option_text(rule.get("name"))
    delta = rule.amounts.get("price_delta")
    price = rule.amounts.get("price")
    if delta is not None:
        product.facts.append(("Price rule", f"{what}: {'+' if delta >= 0 else ''}{num(delta)}"))
        opts = {k.strip().casefold(): v.strip().casefold() for k, _, v in _pairs(rule.get("name"))}
        if opts:
            product.price_rules.append((opts, delta))
    elif price is not None:
        product.facts.append(("Price rule", f"{what}: {num(price)}"))


def _pairs(name: str) -> list[tuple[str, str, str]]:
    return [p.partition("=") for p in re.sub(r"\[\w+\]", "", name).split(",") if "=" in p]


def _option_text(name: str) -> str:
    return ", ".join(f"{k.strip()} {v.strip()}" for k, _, v in _pairs(name)) or name


def _by_name(rows: list[Row], parent_of: dict[int, Row]) -> None:
    first_of_name: dict[str, Row] = {}
    for r in rows:
        if id(r) in parent_of or not r.get("variant_name") or not r.get("name"):
            continue
        key = r.get("name").casefold()
        if key in first_of_name:
            parent_of[id(r)] = first_of_name[key]
        else:
            first_of_name[key] = r
