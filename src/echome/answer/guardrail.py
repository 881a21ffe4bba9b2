"""Facts in a draft, checked against the catalog before anything is sent.

Every price, number, model/part code (SKU-like token) and product-like name in the draft must be
backed by the evidence: the cited chunks' text and the typed fields (price, stock, variants, SKU) of
the cited products. A sentence holding an unsupported claim is dropped; the caller may first ask the
LLM to rewrite once with the list of problems (`correction`).

What counts as a claim:
- numbers: `12.99`, `1,299`, `90%`, `5mm`, `3-year`, `2nd`, and number words from two upward
  ("three", "twenty"): equal values match (`50` = `50.00`), so formatting never fails a true price.
  A reply in another language writes numbers its way (`check_draft(..., language="de")`): "698,99 €"
  is 698.99, "1.500 €" and "1 500 €" (no-break spaces) are 1500, "31.12.2026" is a date (31, 12,
  2026). A lone separator before three digits is read by the reply's language ("1,500" is 1500 in
  English, 1.5 in German); the evidence side counts every reading of its numbers;
- codes: tokens mixing letters and digits (`RIM300`, `WR55X10025`, `A-123`): matched case-insensitively
  against codes in the evidence and the seller's SKUs;
- names: a run of two or more capitalised words where some word occurs nowhere in the evidence, the
  catalog's product names or the allowed phrases (persona and customer names, greeting, sign-off).
  The words of the composer's phrase tables and the function words of the seven shop languages are
  never names. Outside English (whose common-word list tells a name from a noun) a run is a name only
  beside a word of a cited product's name ("Kicker Champ Ultra"), as German capitalises every noun.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from echome.answer.evidence import Evidence
from echome.answer.phrasing import template_texts
from echome.language import PROFILES
from echome.persona.style import is_common

NUMBER_WORDS = {
    "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10,
    "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16,
    "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40,
    "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90, "hundred": 100,
    "thousand": 1000, "dozen": 12, "half": Decimal("0.5"),
}  # fmt: skip
# A written number: a dd.mm.yyyy date, digits grouped by , . or a no-break/thin space with an optional
# decimal part, or plain digits with an optional decimal part ("698,99", "0.7").
_NUM = re.compile(
    r"(?<![\w.])(\d{1,2}\.\d{1,2}\.(?:\d{4}|\d{2})(?!\d)"
    r"|\d{1,3}(?:[,.\u00a0\u202f\u2009]\d{3})+(?:[.,]\d+)?|\d+(?:[.,]\d+)?)(?=\b|%|[a-zA-Z])"
)
_DATE = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{2,4})$")
_SPACES = re.compile(r"[\u00a0\u202f\u2009]")
_TOKEN = re.compile(r"[A-Za-z0-9]+(?:[-/][A-Za-z0-9]+)*")
_CODE_PART = re.compile(r"^(?=.*[A-Za-z])(?=.*\d)[A-Za-z0-9]+$")
# A digit run followed by a unit or ordinal suffix is a number, not a code: 5mm, 2nd, 10x, 24h.
_UNIT = re.compile(
    r"^\d+(?:\.\d+)?(?:st|nd|rd|th|s|x|k|m|mm|cm|km|in|ft|yd|g|kg|mg|lb|lbs|oz|ml|l|w|kw|v|mah|wh|kwh|"
    r"hz|khz|mhz|ghz|gb|mb|tb|kb|h|hr|hrs|min|mins|sec|d|yr|yrs|pc|pcs|pk|ct|p|gal|qt|db|rpm|psi|btu|"
    r"er|re)$",  # French ordinals: 1er, 1re
    re.I,
)
_SENTENCE = re.compile(r"(?<=[.!?])\s+|\n+")
_CAPWORD = re.compile(r"\b[A-Z][A-Za-z0-9'\u2019&-]*")
_WORD = re.compile(r"[A-Za-z0-9]+")
_FUNCTION = frozenset(
    [
        "the",
        "a",
        "an",
        "our",
        "my",
        "your",
        "his",
        "her",
        "their",
        "its",
        "this",
        "that",
        "these",
        "those",
        "and",
        "or",
        "of",
        "for",
        "with",
        "in",
        "on",
        "at",
        "to",
        "by",
        "from",
        "i",
        "you",
        "we",
        "he",
        "she",
        "they",
        "it",
        "is",
        "are",
        "was",
    ]
) | frozenset(w for p in PROFILES.values() for w in p.strong | p.words if w.isascii() and w.isalpha())
_PHRASE_WORDS = frozenset(w.lower() for text in template_texts() for w in re.findall(r"[A-Za-z0-9]+", text))


@dataclass
class Claim:
    kind: str  # "number" | "code" | "name"
    text: str

    def as_dict(self) -> dict[str, str]:
        return {"kind": self.kind, "text": self.text}


@dataclass
class Check:
    text: str  # what may be sent (unsupported sentences removed)
    unsupported: list[Claim] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)  # sentences dropped

    @property
    def ok(self) -> bool:
        return not self.unsupported

    def as_dict(self) -> dict[str, object]:
        return {"unsupported": [c.as_dict() for c in self.unsupported], "removed": self.removed}


@dataclass
class Support:
    """Everything a draft may state: numbers, codes and words from the evidence."""

    numbers: set[Decimal] = field(default_factory=set)
    codes: set[str] = field(default_factory=set)
    words: set[str] = field(default_factory=set)
    name_words: set[str] = field(default_factory=set)  # words of cited product names

    def add_text(self, text: str) -> None:
        self.numbers.update(numbers_in(text))
        self.codes.update(c.lower() for c in codes_in(text))
        self.words.update(w.lower() for w in _WORD.findall(text))
        for w in _WORD.findall(text):
            if w.lower() in NUMBER_WORDS:
                self.numbers.add(Decimal(NUMBER_WORDS[w.lower()]))


def support_for(
    evidence: Evidence, *, catalog_skus: Iterable[str] = (), allowed: Iterable[str] = ()
) -> Support:
    s = Support()
    for r in evidence.results:
        s.add_text(r.text)
        for extra in (r.name, r.sku):
            if extra:
                s.add_text(extra)
    for p in evidence.products.values():
        s.numbers.update(p.numbers())
        s.add_text(p.name)
        s.name_words.update(w.lower() for w in _WORD.findall(p.name) if not is_common(w.lower()))
        if p.sku:
            s.codes.add(p.sku.lower())
            s.add_text(p.sku)
        for v in p.variants:
            if v.get("sku"):
                s.codes.add(str(v["sku"]).lower())
            for k, val in (v.get("options") or {}).items():
                s.add_text(f"{k} {val}")
    s.codes.update(k.lower() for k in catalog_skus if k)
    s.words.update(_PHRASE_WORDS)
    for phrase in allowed:
        if phrase:
            s.words.update(w.lower() for w in _WORD.findall(phrase))
            s.codes.update(c.lower() for c in codes_in(phrase))
    return s


def readings(written: str, language: str | None = "en") -> list[tuple[Decimal, ...]]:
    """What a written number may mean, each reading a tuple of values that must all be supported.

    `language` None (the evidence side) gives every reading. A comma before other than three digits
    is a decimal mark, or (English, as before) a list "37,38" of two numbers."""
    date = _DATE.match(written)
    if date:
        return [tuple(Decimal(g) for g in date.groups())]
    s = _SPACES.sub("", written)
    seps = [c for c in s if c in ".,"]
    if not seps:
        return [(Decimal(s),)]
    last = max(s.rfind("."), s.rfind(","))
    head, tail = re.sub(r"\D", "", s[:last]), s[last + 1 :]
    if len(set(seps)) == 2 or s != written:
        return [(Decimal(f"{head}.{tail}"),)]  # "1.299,50", "1,299.50", "1 299,50"
    if len(seps) > 1:
        return [(Decimal(re.sub(r"\D", "", s)),)]  # "1.299.000"
    grouped, decimal = (Decimal(head + tail),), (Decimal(f"{head}.{tail}"),)
    if len(tail) == 3:
        if language is None:
            return [grouped, decimal]
        english = language.split("-")[0].lower() == "en"
        return [grouped if (seps[0] == ",") == english else decimal]
    if seps[0] == ".":
        return [decimal]
    pieces = (Decimal(head), Decimal(tail))
    if language is None:
        return [decimal, pieces]
    return [decimal, pieces] if language.split("-")[0].lower() == "en" else [decimal]


def numbers_in(text: str, language: str | None = None) -> set[Decimal]:
    """Every value the numbers in `text` may stand for (all readings unless `language` is given)."""
    out: set[Decimal] = set()
    for m in _NUM.finditer(text):
        for reading in readings(m.group(1), language):
            for d in reading:
                out.add(d.normalize())
                out.add(d)
    return out


def _supported(d: Decimal, support: Support) -> bool:
    return d in support.numbers or d.normalize() in support.numbers


def codes_in(text: str) -> list[str]:
    out = []
    for tok in _TOKEN.findall(text):
        if _UNIT.match(tok):
            continue
        parts = re.split(r"[-/]", tok)
        if any(_CODE_PART.match(p) and not _UNIT.match(p) for p in parts):
            out.append(tok)
    return out


def claims_in(sentence: str, support: Support, *, language: str = "en") -> list[Claim]:
    bad: list[Claim] = []
    for m in _NUM.finditer(sentence):
        if not any(all(_supported(d, support) for d in r) for r in readings(m.group(1), language)):
            bad.append(Claim("number", m.group(0)))
    for w in _WORD.findall(sentence):
        n = NUMBER_WORDS.get(w.lower())
        if n is not None and Decimal(n) not in support.numbers and w.lower() not in support.words:
            bad.append(Claim("number", w))
    for code in codes_in(sentence):
        if code.lower() in support.codes:
            continue
        # "RIM-300" vs "RIM300": compare without separators too.
        flat = re.sub(r"[-/]", "", code.lower())
        if flat in {re.sub(r"[-/]", "", c) for c in support.codes}:
            continue
        bad.append(Claim("code", code))
    bad.extend(Claim("name", n) for n in _unknown_names(sentence, support, english=language.startswith("en")))
    return bad


def _unknown_names(sentence: str, support: Support, *, english: bool = True) -> list[str]:
    """Runs of 2+ capitalised words that look like a product name the evidence does not hold: an
    unknown uncommon word ("Supco RIM500 Pro"), or an unknown word beside a word of a cited product's
    name ("Ocean Green Shirt"). "Great Question" and "Thanks Ana" are not names."""
    words = list(_CAPWORD.finditer(sentence))
    runs: list[list[str]] = []
    current: list[str] = []
    last_end = -10
    for m in words:
        gap = sentence[last_end : m.start()]
        if current and gap.strip() == "":
            current.append(m.group())
        else:
            if len(current) >= 2:
                runs.append(current)
            current = [m.group()]
        last_end = m.end()
    if len(current) >= 2:
        runs.append(current)
    out = []
    for run in runs:
        toks = [t for w in run for t in _WORD.findall(w)]
        unknown = [
            t.lower()
            for t in toks
            if t.lower() not in support.words and t.lower() not in _FUNCTION and not t.isdigit()
        ]
        product_like = any(t.lower() in support.name_words for t in toks)
        if (english and any(not is_common(t) for t in unknown)) or (unknown and product_like):
            out.append(" ".join(run))
    return out


def sentences(text: str) -> list[str]:
    return [s for s in (p.strip() for p in _SENTENCE.split(text)) if s]


def check_draft(draft: str, support: Support, *, language: str = "en") -> Check:
    """Keep the sentences whose every claim is supported; report the rest. `language`: the reply's
    (how its numbers are written, and whether capitalised nouns can be told from names)."""
    kept: list[str] = []
    result = Check(text="")
    for line in draft.splitlines():
        parts = []
        for sent in sentences(line):
            bad = claims_in(sent, support, language=language)
            if bad:
                result.unsupported.extend(bad)
                result.removed.append(sent)
            else:
                parts.append(sent)
        if parts:
            kept.append(" ".join(parts))
        elif not line.strip() and kept and kept[-1] != "":
            kept.append("")
    result.text = "\n".join(kept).strip()
    return result


def correction(check: Check) -> str:
    """The message that asks the model to rewrite a draft once."""
    listed = "; ".join(f"{c.kind} '{c.text}'" for c in check.unsupported[:12])
    return (
        "Your reply stated facts that are not in the product context: "
        f"{listed}. Rewrite the reply using only prices, numbers, codes and product names that appear in "
        "the product context. If the context does not answer the question, say so and offer to ask the "
        "seller."
    )
