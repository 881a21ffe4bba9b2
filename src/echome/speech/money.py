"""Prices: a currency symbol or ISO code before or after an amount, in any catalog's number format
("$1,299.99", "149,00 €", "1.299,00 €", "USD 12", "12.00 USD"), said as words with the currency
after the amount: "nineteen dollars and ninety cents".

Why these words (measured through Piper and Whisper base, benchmarks/speech_roundtrip.py):
- Words at all: Piper's phonemizer reads "$50." as "dollar fifty" (Whisper writes "$1.50") and
  "1.299,00 €" as digits and commas.
- "and ninety cents" rather than "ninety": "nineteen dollars ninety" comes back as "$19.90" too,
  but "twelve dollars five" as "$12.5"; a named subunit is written back right in every currency.
- Under ten cents even that fails ("and five cents" → "$87.5"), so those are said as a decimal:
  "eighty seven point oh five dollars" → "$87.05", "49.05 euros".
- American numbers, without "and": "seven hundred and four dollars" is written "$700 and $4".
- The country after the whole amount, "forty nine dollars and forty four cents Canadian": "81
  Australian dollars" is written "$81", the country lost (currencies.QUALIFIER).
- "Japanese yen", "Indian rupees": the bare words come back as "in" and "rubies".
The other languages name each currency in their own words and genders (currencies.py). In German
the cents follow the currency as a bare number, as prices are said there: "698,99 €" →
"sechshundertachtundneunzig Euro neunundneunzig".
"""

from __future__ import annotations

import re

from echome.speech.currencies import EN, QUALIFIER, Names, is_feminine, names
from echome.speech.numbers import AFTER, BEFORE, NUMBER, WORDS, Parsed, cardinal, parse, say

# The currencies whose own sign is "$": a shop priced in one of them means its own by a bare "$",
# and names it plainly ("dollars", "pesos"), as its sellers do.
DOLLAR_SIGN = {"USD", "AUD", "CAD", "NZD", "SGD", "HKD", "MXN"}
SYMBOLS = {
    "US$": "USD", "A$": "AUD", "AU$": "AUD", "C$": "CAD", "CA$": "CAD", "NZ$": "NZD", "S$": "SGD",
    "HK$": "HKD", "R$": "BRL", "€": "EUR", "£": "GBP", "₹": "INR", "₩": "KRW", "zł": "PLN",
    "$": "$", "¥": "¥", "kr": "kr",
}  # fmt: skip
_CUR = "|".join(re.escape(s) for s in sorted(SYMBOLS, key=len, reverse=True))
_CODE = "|".join(EN)
_SIGN = rf"(?:(?<![A-Za-z])(?:{_CUR})|\b(?:{_CODE})\b)"
_SCALES = {"k": 1000, "K": 1000, "m": 1_000_000, "M": 1_000_000, "bn": 1_000_000_000}
_SCALE = r"(?:(?P<scale>k|K|m|M|bn)\b|\s(?P<word>thousand|million|billion)\b)?"
_AMOUNT = rf"(?P<num>{NUMBER})(?:[.,][-\u2013])?"  # "149,- €": the German way to write a whole price
_RANGE = rf"(?:\s?[-\u2013\u2014]\s?(?:{_SIGN})?\s?(?P<num2>{NUMBER}))?"
PREFIX = re.compile(rf"(?<![\w.,])(?P<sign>{_SIGN})\s?{_AMOUNT}{_SCALE}{_RANGE}{AFTER}")
SUFFIX = re.compile(rf"{BEFORE}{_AMOUNT}{_RANGE}\s?(?P<sign>{_SIGN})(?![\w$])")


def _code(sign: str, default_currency: str | None) -> tuple[str, bool]:
    """(ISO code, whether to name it plainly) for a sign, resolved by the shop's own currency."""
    default = (default_currency or "").upper()
    sign = SYMBOLS.get(sign, sign)
    if sign == "$":
        return (default, True) if default in DOLLAR_SIGN else ("USD", False)
    if sign == "¥":
        return ("CNY", False) if default == "CNY" else ("JPY", False)
    if sign == "kr":
        return (default, False) if default in ("SEK", "NOK", "DKK") else ("SEK", False)
    return sign, sign == default and sign in DOLLAR_SIGN


_CENTS_BARE = {"de"}  # languages that say a price's cents as a bare number after the currency


def currency_words(code: str, lang: str, *, plain: bool = False) -> Names:
    """The shop's own dollar is just "dollars" ("Dollar", "dólares"), its own pesos "pesos"."""
    if plain and code in DOLLAR_SIGN:
        return EN[code] if code == "MXN" else names("USD", lang)
    return names(code, lang)


def _whole(n: int, lang: str, noun: str | None = None) -> str:
    return cardinal(n, lang, before_noun=True, feminine=bool(noun) and is_feminine(noun))


def say_amount(p: Parsed, code: str, lang: str, *, plain: bool = False, scale: int = 1) -> str:
    said = _amount(p, currency_words(code, lang, plain=plain), lang, scale)
    return f"{said} {QUALIFIER[code]}" if lang == "en" and code in QUALIFIER and not plain else said


def _amount(p: Parsed, words: Names, lang: str, scale: int) -> str:
    one, many, sub1, subn = words
    if scale != 1:
        value = p.value * scale
        if value == value.to_integral_value():
            return f"{_whole(int(value), lang, one)} {many}"
        return f"{say(p, lang)} {cardinal(scale, lang).split()[-1]} {many}"
    cents = (p.fraction + "00")[:2] if p.fraction else ""
    if sub1 is None or len(p.fraction) > 2:  # no subunit to name: "1500 yen", "2.5 yen"
        number = say(p, lang) if p.fraction.strip("0") else _whole(p.whole, lang, one)
        return f"{number} {one if p.is_one else many}"
    whole = f"{_whole(p.whole, lang, one)} {one if p.whole == 1 else many}"
    if not cents or int(cents) == 0:
        return whole
    if p.whole == 0:
        return f"{_whole(int(cents), lang, sub1)} {sub1 if int(cents) == 1 else subn}"
    if lang in _CENTS_BARE:  # "neunzehn Euro neunzig"
        return f"{whole} {cardinal(int(cents), lang)}"
    if lang == "en" and int(cents) < 10:
        # Whisper writes "eighty seven dollars and five cents" as "$87.5"; "point oh five" comes back
        # as "$87.05" (and "49.05 euros").
        return f"{_whole(p.whole, lang)} point oh {cardinal(int(cents), lang)} {many}"
    sub = f"{_whole(int(cents), lang, sub1)} {sub1 if int(cents) == 1 else subn}"
    return f"{whole} {WORDS[lang].and_} {sub}"


def _scale(m: re.Match[str]) -> int:
    if m.group("scale"):
        return _SCALES[m.group("scale")]
    return {"thousand": 1000, "million": 1_000_000, "billion": 1_000_000_000}.get(m.group("word") or "", 1)


def say_prices(text: str, lang: str, default_currency: str | None) -> str:
    def spoken(m: re.Match[str]) -> str:
        code, plain = _code(m.group("sign"), default_currency)
        if code not in EN:
            return m.group(0)
        first = parse(m.group("num"), lang, money=True)
        scale = _scale(m) if "scale" in m.groupdict() else 1
        if not m.group("num2"):
            return say_amount(first, code, lang, plain=plain, scale=scale)
        second = parse(m.group("num2"), lang, money=True)
        to = WORDS[lang].to
        if not first.fraction.strip("0") and not second.fraction.strip("0"):
            # "$10-20" → "ten to twenty dollars"
            noun = currency_words(code, lang, plain=plain)[0]
            return f"{_whole(first.whole, lang, noun)} {to} {say_amount(second, code, lang, plain=plain)}"
        said = [say_amount(p, code, lang, plain=plain) for p in (first, second)]
        return f" {to} ".join(said)

    text = PREFIX.sub(spoken, text)
    return SUFFIX.sub(spoken, text)
