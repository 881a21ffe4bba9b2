"""Packed cells ("k=v,k=v|k=v") said the way a shopper reads them.

Exports pack whole tables into one cell: tier prices (`group=all,qty=2,type=fixed,price=12|...`),
booking settings (`renting_type=daily,daily_price=75.00|day=all,from=06:00,to=22:00`), tickets
(`ticket=1,name=VIP,price=100.00,special_price=85.00,description=...`). Each kind of record becomes
its own labelled fact; on/off settings (`show_location=1`) are no facts and are left out.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from echome.knowledge.records import Field

_QTY_KEYS = ("qty", "quantity", "from", "min_qty", "from_quantity", "min_quantity", "minimum", "ab")
_PRICE_KEYS = ("price", "value", "amount", "preis")
_PERCENT_TYPES = ("discount", "percent", "percentage", "%", "rabatt")
_NO_GROUP = ("", "all", "general", "*", "0", "everyone", "default")
_FLAG_KEY = re.compile(
    r"^(show|allow|is|has|same|available every|required|default|prevent|use|manage|visible|enabled|"
    r"status|active)\b"
)
_FLAG_VALUES = {"0", "1", "true", "false", "yes", "no"}
_SLOT_KEYS = {"day", "from", "to", "from day", "to day"}


def _num(text: str) -> str:
    """'12.0000' → '12', '85.00' → '85.00' (two decimals kept: that is how prices are written)."""
    try:
        d = Decimal(text)
    except (InvalidOperation, ValueError):
        return text
    if d == d.to_integral_value() and not re.search(r"\.\d{2}$", text):
        return str(d.to_integral_value())
    return text if re.search(r"\.\d{2}$", text) else f"{d.normalize():f}"


def pieces(qty: str) -> str:
    return f"{qty} piece" if qty.strip() == "1" else f"{qty} pieces"


def tier_phrase(qty: str, price: str, *, percent: bool = False, group: str = "") -> str:
    """'12 each from 2 pieces', '50% off from 3 pieces', '... (customer group B2B)'."""
    said = f"{_num(price)}% off from {pieces(qty)}" if percent else f"{_num(price)} each from {pieces(qty)}"
    return f"{said} (customer group {group})" if group.strip().lower() not in _NO_GROUP else said


def _get(rec: dict[str, str], keys: tuple[str, ...]) -> str:
    low = {k.lower().replace("_", " ").strip(): v for k, v in rec.items()}
    return next((low[k.replace("_", " ")] for k in keys if low.get(k.replace("_", " "))), "")


def tier_text(records: list[dict[str, str]]) -> str | None:
    """Records that are all (quantity, price) with no name: the tier prices, cheapest step last."""
    if not records or any(_get(r, ("name", "sku", "title")) for r in records):
        return None
    tiers = []
    for rec in records:
        qty, price = _get(rec, _QTY_KEYS), _get(rec, _PRICE_KEYS)
        if not (qty and price and re.fullmatch(r"\d+", qty)):
            return None
        kind = _get(rec, ("type", "price_type", "kind")).lower()
        group = _get(rec, ("group", "customer_group", "customer group"))
        tiers.append(tier_phrase(qty, price, percent=kind in _PERCENT_TYPES, group=group))
    return "; ".join(tiers)


def _words(key: str) -> str:
    return key.replace("_", " ").strip()


def _is_flag(key: str, value: str) -> bool:
    return value.strip().lower() in _FLAG_VALUES and bool(_FLAG_KEY.match(_words(key).lower()))


def _value(value: str) -> str:
    """'daily_hourly' → 'daily hourly' (a setting's value written as an identifier)."""
    return value.replace("_", " ") if re.fullmatch(r"[a-z]+(_[a-z]+)+", value) else value


def _allowed(key: str, value: str) -> str:
    """'allow_cancellation=0' → 'cancellation not allowed' (other on/off settings say nothing)."""
    words = _words(key).lower()
    if not words.startswith("allow "):
        return ""
    yes = value.strip().lower() in ("1", "true", "yes")
    return f"{words[6:]} {'allowed' if yes else 'not allowed'}"


def _slot(rec: dict[str, str]) -> str:
    day, start, end = rec.get("day", ""), rec.get("from", ""), rec.get("to", "")
    if "from_day" in rec or "to_day" in rec:
        return f"day {rec.get('from_day', '?')} {start} to day {rec.get('to_day', '?')} {end}".strip()
    when = "every day" if day.lower() == "all" else (f"day {day}" if day else "")
    return f"{when} {start}-{end}".strip() if start or end else when


def _offer(rec: dict[str, str]) -> str | None:
    """'VIP ticket: 100.00, special price 85.00 — Front row seating (50 available)'."""
    name, price = _get(rec, ("name", "title")), _get(rec, ("price",))
    if not (name and price):
        return None
    noun = next((_words(k) for k, v in rec.items() if re.fullmatch(r"\d+", v) and k.isalpha()
                 and k.lower() not in _QTY_KEYS + _PRICE_KEYS), "")  # fmt: skip
    text = f"{name} {noun}".strip() + f": {_num(price)}"
    special = _get(rec, ("special_price", "sale_price", "offer_price"))
    if special:
        text += f", special price {_num(special)}"
    desc = _get(rec, ("description", "desc", "details"))
    if desc:
        text += f" — {desc}"
    qty = _get(rec, ("qty", "quantity"))
    return text + (f" ({qty} available)" if qty else "")


def packed_fields(header: str, label: str, records: list[dict[str, str]]) -> list[Field]:
    """A packed cell as facts: tier prices, priced offers, '<x> price' amounts, times, the rest."""
    tiers = tier_text(records)
    if tiers:
        return [Field(header, f"Tier prices: {tiers}", kind="fact")]
    general: list[str] = []
    slots: list[str] = []
    out: list[Field] = []
    for rec in records:
        allowed = [_allowed(k, v) for k, v in rec.items() if _is_flag(k, v) and _allowed(k, v)]
        rec = {k: v for k, v in rec.items() if v and not _is_flag(k, v)}
        if allowed:
            rec = {**rec, "": ", ".join(allowed)}
        if not rec:
            continue
        offer = _offer(rec)
        if offer:
            out.append(Field(header, offer, kind="fact"))
            continue
        if set(map(_words, rec)) <= _SLOT_KEYS:
            slots.append(_slot(rec))
            continue
        prices = [(k, v) for k, v in rec.items() if re.search(r"\w[_ ]price$", k.lower())]
        if prices:
            said = "; ".join(f"{_words(k)}: {_num(v)}" for k, v in prices)
            out.append(Field(header, said[:1].upper() + said[1:], kind="fact"))
        rest = [f"{_words(k)} {_value(v)}".strip() for k, v in rec.items() if (k, v) not in prices]
        if rest:
            general.append(", ".join(rest))
    if slots:
        out.insert(0, Field(header, f"{label} times: {'; '.join(slots)}", kind="fact"))
    if general:
        out.insert(0, Field(header, f"{label}: {'; '.join(general)}", kind="fact"))
    return out
