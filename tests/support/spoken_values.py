"""The numbers and prices in an English transcript, as values: what a listener took away.

Whisper writes what it hears in many ways — "$19.90", "19 dollars and 90 cents", "49€ and 90 cents",
"nineteen dollars", "1,299 euros", "2,700-6,500K" — so a spoken price is compared by value and
currency, never by spelling. `missing(expected, heard)` says which expected values did not come back.
"""

from __future__ import annotations

import re
from collections import Counter
from decimal import Decimal

Value = tuple[Decimal, str | None]  # (amount, ISO currency code or None for a plain number)

_ONES = [
    *("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven"),
    *("twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"),
]
_TENS = ["twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]
_SMALL = {w: i for i, w in enumerate(_ONES)} | {w: 20 + 10 * i for i, w in enumerate(_TENS)}
_SCALE = {"thousand": 1000, "million": 1_000_000, "billion": 1_000_000_000}

# Longest first: "australian dollars" before "dollars".
_NAMES = [
    (r"australian dollars?|dollars? australian|\$ ?australian|a\$|aud|au\$", "AUD"),
    (r"canadian dollars?|dollars? canadian|\$ ?canadian|c\$|cad|ca\$", "CAD"),
    (r"swiss francs?|swiss franks?|francs?|chf", "CHF"),  # "Franks": the same word, heard right
    (r"us dollars?|us\$|dollars?|bucks|usd|\$", "USD"),
    (r"euros?|eur|€", "EUR"),
    # "lbs": Whisper's spelling of the same word, "273 lbs and 90 pence".
    (r"british pounds?|pounds? sterling|pounds?|lbs?|quid|gbp|£", "GBP"),
    (r"japanese yen|yen|jpy|¥", "JPY"),
    (r"indian rupees?|rupees?|rupies|rupis?|rupy|inr|rs\.?|₹", "INR"),  # Whisper spells it many ways
]
_CURRENCY = "|".join(f"(?:{p})" for p, _ in _NAMES)
_SUB = r"cents?|pence|p|centimes?|paise|paisa|rappen"
_NUM = r"\d+(?:,\d{3})*(?:\.\d+)?"
# "$15 Australian": a qualifier after the amount names the dollar. "and" is often heard as "in".
_AMOUNT = re.compile(
    rf"(?P<pre>{_CURRENCY})?\s?(?P<num>{_NUM})"
    rf"(?:\s?(?P<post>{_CURRENCY}|australian|canadian)(?![a-z]))?"
    rf"(?:\s?(?:(?:and|in)\s)?(?P<sub>\d{{1,2}})(?:\s?(?:{_SUB})\b)?(?!\d|[.,]\d))?",
    re.I,
)


def _code(name: str | None) -> str | None:
    if not name:
        return None
    for pattern, code in _NAMES:
        if re.fullmatch(pattern, name.strip(), re.I):
            return code
    return None


def digits(text: str) -> str:
    """English number words as digits: "one hundred and forty nine" → "149", "two point five" → "2.5"."""
    tokens = re.findall(r"[A-Za-z]+|[^A-Za-z]+", text.replace("-", " - "))
    out: list[str] = []
    i = 0
    while i < len(tokens):
        word = tokens[i].lower()
        if word not in _SMALL and word not in ("hundred", *_SCALE):
            out.append(tokens[i])
            i += 1
            continue
        total = current = 0
        fraction = ""
        j = i
        while j < len(tokens):
            w = tokens[j].lower()
            if w.isspace() or w == "":
                j += 1
                continue
            if w in _SMALL:
                current += _SMALL[w]
            elif w == "hundred":
                current = max(current, 1) * 100
            elif w in _SCALE:
                total += max(current, 1) * _SCALE[w]
                current = 0
            elif (
                w == "and"
                and j + 2 < len(tokens)
                and tokens[j + 2].lower() in _SMALL
                and total + current >= 100
            ):
                pass
            elif w == "point" and j + 2 < len(tokens) and tokens[j + 2].lower() in _ONES[:10]:
                k = j + 2
                while k < len(tokens) and (tokens[k].isspace() or tokens[k].lower() in _ONES[:10]):
                    if not tokens[k].isspace():
                        fraction += str(_ONES.index(tokens[k].lower()))
                    k += 1
                j = k
                break
            else:
                break
            j += 1
        # hand back the whitespace the number swallowed
        while j > i and tokens[j - 1].isspace():
            j -= 1
        out.append(str(total + current) + (f".{fraction}" if fraction else ""))
        i = j
    return "".join(out).replace(" - ", "-")


# One spoken number written in two pieces: "two thousand eight hundred six" as "2800 6", "2,200 18",
# "2900-6" or "2500 8.05", "seven hundred four dollars" as "$700 $4", "700 $4" or, after a pause,
# "$1,700, $2.54". The second piece fits in the first's trailing zeros, which no range or pair of
# amounts does.
_PIECES = re.compile(
    r"(?<![\d.,])(?P<sign>[$€£¥₹])?(?P<a>\d{1,3}(?:,\d{3})+|\d+)(?P<sep>\s|\s?-\s?|,\s)"
    r"(?P<sign2>[$€£¥₹])?(?P<b>\d+)(?P<frac>\.\d+)?(?!\d|[.,]\d)"
)
# "four" and "two" written as the words they sound like, where only a digit can be: after a round
# number, before what it counts ("290 for gigabytes", "$700 for dollars", "2650 to Indian rupees").
_UNIT_WORD = (
    r"(?:(?:giga|mega|tera)bytes?|(?:milli|centi|kilo)?met(?:er|re)s?|(?:kilo)?grams?|lbs?|lit(?:er|re)s?"
    r"|inch(?:es)?|watts?|milliamps?|mah|frames?|fps|degrees?|kelvin|percent|mm|cm|kg|gb|km)\b"
)
_SOUNDS_LIKE = re.compile(
    r"(?<![\d.,])(?P<round>\d{1,3}(?:,\d{3})+|\d+)(?<=0)\s(?P<word>for|to|too)\s"
    rf"(?=[a-z])(?=(?:indian\s|swiss\s|japanese\s)?(?:{_CURRENCY}|{_UNIT_WORD}))",
    re.I,
)


def _joined(m: re.Match[str]) -> str:
    a, b = m.group("a").replace(",", ""), m.group("b")
    zeros = len(a) - len(a.rstrip("0"))
    signs = {m.group("sign"), m.group("sign2")} - {None}
    # after a comma, only a price said in two pieces: the same sign on both
    paused = "," in m.group("sep") and not (m.group("sign") and m.group("sign") == m.group("sign2"))
    if not zeros or len(b) > zeros or len(signs) > 1 or paused:
        return m.group(0)
    return f"{''.join(signs)}{int(a) + int(b)}{m.group('frac') or ''}"


def _as_digit(m: re.Match[str]) -> str:
    return f"{m.group('round')} {'4' if m.group('word').lower() == 'for' else '2'} "


def values(text: str) -> list[Value]:
    """Every number in `text`, with the currency said or written beside it (prices with their
    subunit folded in: "19 dollars and 90 cents" → 19.90 USD); both ends of a range take the
    currency said at one of them ("10 to 20 dollars", "$10-20")."""
    text = _PIECES.sub(_joined, _SOUNDS_LIKE.sub(_as_digit, digits(text)))
    found: list[tuple[int, int, Decimal, str | None]] = []
    for m in _AMOUNT.finditer(text):
        value = Decimal(m.group("num").replace(",", ""))
        post, pre = (m.group("post") or "").lower(), m.group("pre")
        if post in ("australian", "canadian"):
            post = f"{post} dollars" if pre and "$" in pre else ""
        code = _code(post) or _code(pre)
        sub = m.group("sub")
        if sub and code and "." not in m.group("num"):
            value += Decimal(sub) / 100
        elif sub:  # not a subunit after all: a number of its own
            found.append((m.start("sub"), m.end("sub"), Decimal(sub), None))
        found.append((m.start(), m.end(), value, code))
    found.sort()
    for i in range(len(found) - 1):
        (start, end, value, code), (nstart, nend, nvalue, ncode) = found[i], found[i + 1]
        if re.fullmatch(r"\s*(?:to|-|\u2013|and)\s*", text[end:nstart]) and (code is None) != (ncode is None):
            found[i], found[i + 1] = (start, end, value, code or ncode), (nstart, nend, nvalue, code or ncode)
    return [(v, c) for _, _, v, c in found]


def missing(expected: list[Value], heard: str) -> list[Value]:
    """The expected values `heard` lacks: a price needs its amount and currency, a plain number
    only its amount (said with or without a unit)."""
    got = Counter(values(heard))
    plain = Counter(v for v, _ in got.elements())
    lost = []
    for value, code in expected:
        if code is not None:
            if got[(value, code)] > 0:
                got[(value, code)] -= 1
                plain[value] -= 1
                continue
            lost.append((value, code))
        elif plain[value] > 0:
            plain[value] -= 1
        else:
            lost.append((value, code))
    return lost
