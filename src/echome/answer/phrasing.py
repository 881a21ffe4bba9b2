"""The composer's fixed sentences in the seven shop languages, and how each writes money, numbers,
dates and lists: `Phrases.for_language("de").price("Kicker Champ Elite", "698,99 €")`.

Wording rules (reviewed as a native shop assistant would write in a chat):
- No article or gendered word ever agrees with a product name: the name stands alone as the subject
  ("Kicker Champ Elite kostet 698,99 €.", "Kicker cuesta 698,99 €.") or after a preposition in a
  label ("Infos zu Kicker:"), and predicates are ones that do not inflect for gender ("disponible",
  "en oferta", "sin stock", "non è disponibile") — correct for any name. English keeps "The {name}".
- Polite register, the usual one in shop customer service: Sie, vous, usted, Lei, u, você (mostly
  left implicit).
- A later fact about the same product (`first=False`) says "It ..." in English, drops the subject
  in Spanish, Italian and Portuguese ("Está disponible."), and repeats the name in German, French
  and Dutch, whose pronoun would have to match the name's unknown gender.
- The template words carry no facts: no digits, no names (the guardrail checks every number).
- French puts a no-break space before ? ! : ; (`\\u00a0`).

Money follows each locale's CLDR pattern (checked against Babel 2.19, which was not added as a
dependency: 36 MB installed for seven rows of this table): de/it/es "698,99 €", fr "698,99 €",
pt (Portugal) "698,99 €", nl "€ 698,99"; a no-break space joins number and symbol. English is
`facts.format_money` ("$1500", "€698.99"). Digits are grouped from five on, as `facts.format_money`
does for English (CLDR's "minimum grouping digits" of 2, Spanish and Portuguese usage): "1500 €",
"12.500 €" (de, es, it, nl), "12 500 €" (fr, U+202F), "12 500 €" (pt, U+00A0), so a price reads as
catalogs list it. Whole amounts have no decimals, others two. A currency without a symbol here is
written as its code ("120 CHF"; nl "CHF 120"); no currency gives the bare number in the locale's
format.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from echome.answer.facts import CURRENCY_SYMBOLS, ProductFacts
from echome.answer.facts import format_money as english_money
from echome.answer.phrase_tables import MONTHS, OPTION_LABELS, TABLES

LANGUAGES = ("en", "de", "fr", "es", "it", "nl", "pt")
NBSP, NNBSP = "\u00a0", "\u202f"
GROUP_FROM = 5  # digits before thousands are grouped: "1500 €", "12.500 €" (as facts.format_money)


@dataclass(frozen=True)
class NumberStyle:
    decimal: str
    group: str
    symbol_first: bool  # "€ 698,99" (nl), "$1,500" (en)
    symbol_space: str  # between the symbol and the number


NUMBER_STYLES = {
    "en": NumberStyle(".", ",", True, ""),
    "de": NumberStyle(",", ".", False, NBSP),
    "fr": NumberStyle(",", NNBSP, False, NBSP),
    "es": NumberStyle(",", ".", False, NBSP),
    "it": NumberStyle(",", ".", False, NBSP),
    "nl": NumberStyle(",", ".", True, NBSP),
    "pt": NumberStyle(",", NBSP, False, NBSP),
}


_FR_SPACE = re.compile(r" ([?!:;])")
_VOWEL = re.compile(r"^[aeiouyàâäéèêëîïôöùûüœAEIOUYÀÂÄÉÈÊËÎÏÔÖÙÛÜŒ]")


def _fr(text: str) -> str:
    return _FR_SPACE.sub(NBSP + r"\1", text)


def _group(digits: str, sep: str) -> str:
    if len(digits) < GROUP_FROM:
        return digits
    out = []
    while len(digits) > 3:
        out.insert(0, digits[-3:])
        digits = digits[:-3]
    out.insert(0, digits)
    return sep.join(out)


def format_number(value: Decimal | int | float, language: str, *, decimals: int | None = None) -> str:
    """`value` in the language's digits: "1,500.5" (en), "1.500,5" (de), "1 500,5" (fr). With
    `decimals`, rounded to that many places; otherwise as many as the value has."""
    style = NUMBER_STYLES.get(language, NUMBER_STYLES["en"])
    d = Decimal(str(value)) if not isinstance(value, Decimal) else value
    text = f"{abs(d):.{decimals}f}" if decimals is not None else format(abs(d), "f")
    whole, _, fraction = text.partition(".")
    out = _group(whole, style.group) + (style.decimal + fraction if fraction else "")
    return ("-" if d < 0 else "") + out


def format_money(amount: Decimal, currency: str | None, language: str) -> str:
    """A price as the language writes it: whole amounts without decimals, others with two."""
    style = NUMBER_STYLES.get(language, NUMBER_STYLES["en"])
    places = 0 if amount == amount.to_integral_value() else 2
    number = format_number(amount, language, decimals=places)
    code = (currency or "").upper()
    if not code:
        return number
    symbol = CURRENCY_SYMBOLS.get(code)
    if language == "en" or language not in NUMBER_STYLES:
        return english_money(amount, currency)
    mark = symbol or code
    return f"{mark}{style.symbol_space}{number}" if style.symbol_first else f"{number}{NBSP}{mark}"


def format_date(day: date, language: str) -> str:
    """ "December 31, 2026", "31. Dezember 2026", "1er décembre 2026", "31 de diciembre de 2026"."""
    lang = language if language in MONTHS else "en"
    month = MONTHS[lang].split()[day.month - 1]
    d, y = day.day, day.year
    if lang == "en":
        return f"{month} {d}, {y}"
    if lang == "de":
        return f"{d}. {month} {y}"
    if lang in ("es", "pt"):
        return f"{d} de {month} de {y}"
    first = {"fr": "1er", "it": "1º"}.get(lang) if d == 1 else None
    return f"{first or d} {month} {y}"


def join_list(items: Sequence[str], language: str) -> str:
    """ "a, b and c" in the language ("a, b und c", "a, b y c"; Spanish "e" before an i-sound)."""
    items = [str(i) for i in items]
    if not items:
        return ""
    if len(items) == 1:
        return items[0]
    word = TABLES.get(language, TABLES["en"]).list_and
    last = items[-1]
    if language == "es" and re.match(r"^h?i(?![aeiouáéó])", last, re.I):
        word = "e"
    return ", ".join(items[:-1]) + f" {word} " + last


_UNNAMED_OPTIONS = frozenset(
    {"variant", "variants", "option", "options", "title", "type", "variante", "ausführung"}
)
_PLURAL = {"is": "are", "isn't": "aren't", "comes": "come"}
_PLURAL_VERBS = re.compile(r"(?<=\{subject\} )(is|isn't|comes)\b")
_SINGULAR_S = re.compile(r"(ss|us|is|ics|news|series)$")


def plural_name(name: str) -> bool:
    """Whether an English product name is plural ("Winter Gloves", "Flip Flops"): its last word ends
    in -s (not -ss, -us, -is: "Glass", "Bonus", "Tennis"), looked at before any ", size" or "(...)"."""
    head = re.split(r",|\(|\[|\s[-\u2013]\s", name, maxsplit=1)[0].split()
    last = head[-1].lower() if head else ""
    return len(last) > 3 and last.endswith("s") and last.isalpha() and not _SINGULAR_S.search(last)


def option_label(label: str, language: str) -> str:
    """A variant option's label in the reply's language when it is a common one (size, colour, ...);
    otherwise as the catalog writes it. Lower case except in German (a noun)."""
    low = label.strip().lower()
    if low in _UNNAMED_OPTIONS:  # "Variant", "Title", "Option": the values speak for themselves
        return ""
    for names in OPTION_LABELS.values():
        if any(low in (n.lower() for n in said) for said in names.values()):
            own = names.get(language, names["en"])
            chosen = label.strip() if low in (n.lower() for n in own) else own[0]
            return chosen[:1].upper() + chosen[1:] if language == "de" else chosen.lower()
    return label.strip() if language == "de" else low


class Phrases:
    """The composer's sentences in one language; `Phrases.for_language(None or "xx")` is English."""

    def __init__(self, language: str) -> None:
        self.language = language if language in TABLES else "en"
        self.t = TABLES[self.language]

    @classmethod
    def for_language(cls, language: str | None) -> Phrases:
        return cls((language or "en").replace("_", "-").split("-")[0].lower())

    def _say(self, template: str, **values: object) -> str:
        text = template.format(**values)
        return _fr(text) if self.language == "fr" else text

    def _subject(self, name: str, first: bool) -> str:
        if self.language == "en":
            return f"The {name}" if first else ("They" if plural_name(name) else "It")
        if not first and self.language in ("es", "it", "pt"):
            return ""  # the verb alone: "Está disponible."
        return name

    def _fact(self, template: str, name: str, first: bool, **values: object) -> str:
        if self.language == "en" and plural_name(name):  # "The Winter Gloves are $21."
            template = _PLURAL_VERBS.sub(lambda m: _PLURAL[m.group(1)], template)
        text = self._say(template, subject=self._subject(name, first), name=name, **values).strip()
        return text[:1].upper() + text[1:]

    # -- fixed sentences ---------------------------------------------------------------------------
    def greeting(self, name: str | None = None) -> str:
        return self._say(self.t.greeting_name, name=name) if name else self._say(self.t.greeting)

    def no_answer(self, persona: str) -> str:
        """Nothing in the catalog answers: say so, and offer to pass the question on."""
        return f"{self._say(self.t.no_catalog)} {self.offer_handoff(persona)}"

    def offer_handoff(self, persona: str) -> str:
        return self._say(self.t.offer_handoff, persona=persona, a=_italian_to(persona))

    def no_policy(self, persona: str | None = None) -> str:
        """A store policy the seller never gave; with `persona`, the offer to pass it on follows."""
        text = self._say(self.t.no_policy)
        return f"{text} {self.offer_handoff(persona)}" if persona else text

    def not_carried(self) -> str:
        return self._say(self.t.not_carried)

    def prices_as_listed(self) -> str:
        return self._say(self.t.prices_as_listed)

    def ask_which_product(self) -> str:
        return self._say(self.t.ask_which_product)

    def customer_answered(self) -> str:
        return self._say(self.t.customer_answered)

    def customer_wrote(self) -> str:
        return self._say(self.t.customer_wrote)

    def closing(self) -> str:
        return self._say(self.t.closing)

    # -- formats -----------------------------------------------------------------------------------
    def money(self, amount: Decimal, currency: str | None) -> str:
        return format_money(amount, currency, self.language)

    def number(self, value: Decimal | int | float) -> str:
        return format_number(value, self.language)

    def date(self, day: date) -> str:
        return format_date(day, self.language)

    def join(self, items: Sequence[str]) -> str:
        return join_list(items, self.language)

    def price_range(self, low: str, high: str) -> str:
        return self._say(self.t.price_range, low=low, high=high)

    def price_of(self, p: ProductFacts, variants: list[dict[str, Any]] | None = None) -> str | None:
        """`ProductFacts.price_text` in this language: "698,99 €", "zwischen 25 € und 40 €"; of the
        given variants when there are some."""
        prices = p.offer_prices(variants)
        if len(prices) > 1:
            return self.price_range(self.money(prices[0], p.currency), self.money(prices[-1], p.currency))
        return self.money(prices[0], p.currency) if prices else None

    # -- facts about a product ---------------------------------------------------------------------
    def price(self, name: str, price: str, *, first: bool = True) -> str:
        return self._fact(self.t.price, name, first, price=price)

    def sale(
        self, name: str, price: str, old_price: str, *, until: date | None = None, first: bool = True
    ) -> str:
        if until is None:
            return self._fact(self.t.sale, name, first, price=price, old_price=old_price)
        said = self.date(until)
        if self.language == "it":  # "fino al 31 dicembre", "fino all'8 dicembre"
            said = ("fino all'" if until.day in (8, 11) else "fino al ") + said
        values = {"price": price, "old_price": old_price, "date": said, "until": said}
        return self._fact(self.t.sale_until, name, first, **values)

    def tier_price(self, price: str, qty: int) -> str:
        """ "0,70 € pro Stück ab 50 Stück": put several in `join`, or the first alone in `price`."""
        return self._say(self.t.tier[0 if qty == 1 else 1], price=price, qty=self.number(qty))

    def in_stock(self, name: str, count: int | None = None, *, first: bool = True) -> str:
        if count is None:
            return self._fact(self.t.in_stock, name, first)
        return self._fact(self.t.in_stock_count[0 if count == 1 else 1], name, first, n=self.number(count))

    def sold_out(self, name: str, *, first: bool = True) -> str:
        return self._fact(self.t.sold_out, name, first)

    def comes_in(self, name: str, options: Iterable[tuple[str, Sequence[str]]], *, first: bool = True) -> str:
        """ "The X comes in size S, M and L and in colour red and blue." Values as the catalog has them."""
        said = self.t.option_joiner.join(
            f"{option_label(label, self.language)} {self.join(values)}".strip() for label, values in options
        )
        return self._fact(self.t.comes_in, name, first, options=said)

    def one_version(self, name: str, *, first: bool = True) -> str:
        return self._fact(self.t.one_version, name, first)

    def no_detail(self, name: str, persona: str) -> str:
        """A product we sell, asked about something its record does not say; the offer follows."""
        return f"{self._say(self.t.no_detail, name=name)} {self.offer_handoff(persona)}"

    def listed_as(self, name: str) -> str:
        return self._say(self.t.listed_as, name=name)

    def not_listed_in(self, name: str, values: Sequence[str], *, first: bool = True) -> str:
        return self._fact(self.t.not_listed_in, name, first, values=self.join(values))

    def cheaper(self, name: str) -> str:
        return self._say(self.t.cheaper, name=name)

    def sale_ended(self, name: str, day: date, price: str) -> str:
        return self._say(self.t.sale_ended, name=name, date=self.date(day), price=price)

    def which_one(self, names: Sequence[str]) -> str:
        return self._say(self.t.which_one, names=self.join(names))

    def suits(self, things: Sequence[str]) -> str:
        return self._say(self.t.suits, things=self.join(things))

    def closest(self, thing: str, names: Sequence[str]) -> str:
        return self._say(self.t.closest, thing=thing, names=self.join(names))

    def do_you_mean(self, name: str) -> str:
        return self._say(self.t.do_you_mean, name=name)

    def sells(self, things: Sequence[str], *, complete: bool) -> str:
        """ "What do you sell?": the categories or products listed, all of them or some."""
        return self._say(self.t.sells[0 if complete else 1], things=self.join(things))

    def how_can_i_help(self) -> str:
        return self._say(self.t.how_can_i_help)

    def welcome(self) -> tuple[str, str]:
        return self._say(self.t.welcome[0]), self._say(self.t.welcome[1])

    def assistant(self, persona: str) -> str:
        """ "I'm Aki's AI assistant: ..." (asked whether it is a bot: always the truth)."""
        return self._say(self.t.assistant, persona=persona, a=_italian_to(persona))

    def extreme(self, which: str, name: str) -> str:
        """ "The lowest-priced one I have is the X." (`which`: "low") or the highest-priced."""
        return self._say(self.t.extreme[0 if which == "low" else 1], name=name)

    def about(self, name: str) -> str:
        de = "d'" if _VOWEL.match(name) else "de "
        return self._say(self.t.about, name=name, de=de)


def template_texts() -> Iterator[str]:
    """Every word the phrase tables may add to a reply (for the guardrail: these carry no facts)."""
    for table in TABLES.values():
        for value in vars(table).values():
            yield from (value if isinstance(value, tuple) else (value,))
    yield from MONTHS.values()
    for names in OPTION_LABELS.values():
        for said in names.values():
            yield " ".join(said)


def _italian_to(persona: str) -> str:
    """Italian "to" before a name: "ad Anna", "a Marco" (the other languages' tables do not use it)."""
    return "ad " if persona[:1].lower() == "a" else "a "
