"""A price range a question puts on what it asks for: "hoodies under 60", "unter 50 €", "between 20
and 40 dollars", "more than $100" (en, de, fr, es, it, nl, pt).

A number is read as a price when it stands on its own or with a currency; one followed by a unit
("over 2 m", "more than 5 in stock", "for 4 people") or said of someone's age ("toys for kids under
5") is not a price, and the question has no price range."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

_CURRENCY = r"(?:[$€£¥₹]|eur(?:os?)?|usd|gbp|chf|dollars?|euros?|pounds?|bucks|francs?|reais|real)"
_NUMBER = rf"(?:{_CURRENCY}\s*)?(\d+(?:[.,]\d{{1,2}})?)(?:\s*{_CURRENCY}(?![\w]))?"
_UPPER = (
    r"under|below|less\s+than|cheaper\s+than|up\s+to|no\s+more\s+than|at\s+most|max(?:imum)?|"
    r"unter(?:halb\s+von)?|bis(?:\s+zu)?|weniger\s+als|billiger\s+als|g(?:ü|ue)nstiger\s+als|h(?:ö|oe)chstens|"
    r"moins\s+de|sous|jusqu'?(?:à|a)|menos\s+de|por\s+debajo\s+de|hasta|meno\s+di|sotto\s+(?:i\s+)?|"
    r"fino\s+a|onder|minder\s+dan|goedkoper\s+dan|tot|at(?:é|e)|abaixo\s+de"
)
_LOWER = (
    r"over|above|more\s+than|at\s+least|(?:ü|ue)ber|mehr\s+als|mindestens|plus\s+de|au-dessus\s+de|"
    r"m(?:á|a)s\s+de|pi(?:ù|u)\s+di|sopra\s+(?:i\s+)?|boven|meer\s+dan|mais\s+de|acima\s+de"
)
_AND = r"(?:and|und|et|y|e|en)"
_BETWEEN = re.compile(
    rf"\b(?:between|zwischen|entre|tra|fra|tussen|from|von|de|desde|da|van)\s+{_NUMBER}\s*"
    rf"(?:{_AND}|to|bis|à|a|al|tot|-)\s*{_NUMBER}",
    re.I,
)
_BOUND = re.compile(rf"(?<![\w'])(?:({_UPPER})|({_LOWER}))\s+{_NUMBER}", re.I)
# After the number: a unit or a count, so not a price ("over 2 m", "5 in stock", "4 people").
_UNIT_AFTER = re.compile(r"\s*(?:[a-z%°\"']|[\u00b5\u00b2\u00b3])", re.I)
# Before the bound: someone's age ("kids under 5", "Kinder unter 3 Jahren").
_AGE_BEFORE = re.compile(
    r"\b(?:kids?|child(?:ren)?|bab(?:y|ies)|toddlers?|ages?|aged|kinder|kindern|babys|enfants?|"
    r"niñ[oa]s|bambini|kinderen|crian[çc]as)\s+$",
    re.I,
)


@dataclass(frozen=True)
class PriceRange:
    low: Decimal | None  # at least (exclusive words like "over" are read as inclusive: a shop's "over
    high: Decimal | None  # 50" and "50 or more" differ by one price at most)
    start: int
    end: int  # where the range is said in the question

    def holds(self, prices: list[Decimal]) -> bool:
        """Whether any of a product's prices (its variants') lies in the range."""
        return any(
            (self.low is None or p >= self.low) and (self.high is None or p <= self.high) for p in prices
        )

    def without(self, question: str) -> str:
        """The question with the range taken out ("hoodies under 60?" → "hoodies ?"): what it asks for."""
        return f"{question[: self.start]} {question[self.end :]}"


def price_range(question: str) -> PriceRange | None:
    m = _BETWEEN.search(question)
    if m is not None and _is_price(question, m):
        a, b = _decimal(m.group(1)), _decimal(m.group(2))
        if a is not None and b is not None:
            return PriceRange(min(a, b), max(a, b), m.start(), m.end())
    for m in _BOUND.finditer(question):
        if not _is_price(question, m):
            continue
        value = _decimal(m.group(3))
        if value is None:
            continue
        if m.group(1):
            return PriceRange(None, value, m.start(), m.end())
        return PriceRange(value, None, m.start(), m.end())
    return None


def cheapest_or_dearest(priced: list[tuple[list[Decimal], str]], extreme: str) -> str | None:
    """Of (prices, product id) pairs, the lowest- ("low") or highest-priced product."""
    ranked = sorted((prices[0] if extreme == "low" else -prices[-1], pid) for prices, pid in priced)
    return ranked[0][1] if ranked else None


def _is_price(question: str, m: re.Match[str]) -> bool:
    if re.search(_CURRENCY, m.group(0), re.I):
        return True  # a currency with it: a price whatever follows
    after = question[m.end() :]
    return _UNIT_AFTER.match(after) is None and _AGE_BEFORE.search(question[: m.start()]) is None


def _decimal(text: str | None) -> Decimal | None:
    try:
        return Decimal(text.replace(",", ".")) if text else None
    except InvalidOperation:
        return None
