"""Numbers as a voice should say them, per language: reading a written number (which separator is
the decimal one), and saying it (cardinals, ordinals, years, decimals) with `num2words`."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from num2words import num2words

LANGUAGES = ("en", "de", "fr", "es", "it", "nl", "pt")

# A written number: thousands grouped by , . ' or a (thin) no-break space, or plain digits, then an
# optional decimal part. Never a piece of a longer token (versions, IP addresses, codes).
NUMBER = r"(?:\d{1,3}(?:[,.\u00a0\u202f'\u2019]\d{3})+(?:[.,]\d+)?|\d+(?:[.,]\d+)?)"
BEFORE = r"(?<![\w.,:/@$€£¥₹-])"
AFTER = r"(?![\w@]|[.,:/]\d)"


@dataclass(frozen=True)
class Words:
    point: str
    to: str  # in a range: "10 to 20"
    percent: str
    minus: str
    by: str  # dimensions: "30 by 40 cm"
    and_: str  # "19 dollars and 90 cents"
    month_names: str  # January to December, space-separated

    def month(self, n: int) -> str:
        return self.month_names.split()[n - 1]


WORDS = {
    "en": Words("point", "to", "percent", "minus", "by", "and",
                "January February March April May June July August September October November December"),
    "de": Words("Komma", "bis", "Prozent", "minus", "mal", "und",
                "Januar Februar März April Mai Juni Juli August September Oktober November Dezember"),
    "fr": Words("virgule", "à", "pour cent", "moins", "sur", "et",
                "janvier février mars avril mai juin juillet août septembre octobre novembre décembre"),
    "es": Words("coma", "a", "por ciento", "menos", "por", "con",
                "enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre diciembre"),
    "it": Words("virgola", "a", "per cento", "meno", "per", "e",
                "gennaio febbraio marzo aprile maggio giugno luglio agosto settembre ottobre novembre "
                "dicembre"),
    "nl": Words("komma", "tot", "procent", "min", "bij", "en",
                "januari februari maart april mei juni juli augustus september oktober november december"),
    "pt": Words("vírgula", "a", "por cento", "menos", "por", "e",
                "janeiro fevereiro março abril maio junho julho agosto setembro outubro novembro dezembro"),
}  # fmt: skip

# "one" before a noun: "ein Euro", "einhundertein Euro", "un euro", "veintiún euros", "treinta y un
# euros" (num2words gives the counting form, "eins", "uno", "veintiuno").
_BEFORE_NOUN = {
    "de": [(r"eins$", "ein")],
    "es": [(r"veintiuno$", "veintiún"), (r"\buno$", "un")],
    "it": [(r"^uno$", "un")],
}
# ... and before a feminine noun: "une livre", "doscientas libras", "duas libras", "eine Krone".
_FEMININE = {
    "de": [(r"^eins$", "eine"), (r"eins$", "ein")],
    "fr": [(r"\bun$", "une")],
    "es": [(r"uno$", "una"), (r"ientos\b", "ientas")],
    "it": [(r"^uno$", "una")],
    "pt": [(r"\bum$", "uma"), (r"\bdois$", "duas"), (r"entos\b", "entas")],
}
# The teens with their stress on "-teen", as people say them to be understood: the stock voice
# stresses "FOURteen" like "FORty", and Whisper writes "414 gigabytes" back as "440".
_TEEN = re.compile(r"\b(thir|four|fif|six|seven|eigh|nine)teen")


def language_of(language: str) -> str | None:
    """From "en-US" to "en"; None for a language whose numbers we do not know how to say."""
    code = language.replace("_", "-").split("-")[0].lower()
    return code if code in WORDS else None


@dataclass(frozen=True)
class Parsed:
    whole: int
    fraction: str  # the decimal digits as written ("90" in 19.90), "" for a whole number

    @property
    def value(self) -> Decimal:
        return Decimal(f"{self.whole}.{self.fraction}" if self.fraction else str(self.whole))

    @property
    def is_one(self) -> bool:
        return self.whole == 1 and not self.fraction.strip("0")


def parse(written: str, lang: str, *, money: bool = False) -> Parsed:
    """Read a written number. With both separators the last one is the decimal one ("1.299,00",
    "1,299.99"). A lone separator before exactly three digits groups thousands in a price ("$1,299",
    "1.299 €") and elsewhere when it is not the language's decimal mark ("2,500 kg" in English is
    2500, in German 2.5); before one, two or four digits it is always the decimal mark."""
    s = re.sub(r"[\u00a0\u202f'\u2019]", "", written)
    seps = [c for c in s if c in ".,"]
    if not seps:
        return Parsed(int(s), "")
    last = max(s.rfind("."), s.rfind(","))
    head, tail = s[:last], s[last + 1 :]
    if len(set(seps)) == 2:
        return Parsed(int(re.sub(r"\D", "", head)), tail)
    if len(seps) > 1:  # "1,299,000" / "1.299.000"
        return Parsed(int(re.sub(r"\D", "", s)), "")
    decimal_mark = "." if lang == "en" else ","
    if len(tail) == 3 and (money or seps[0] != decimal_mark):
        return Parsed(int(head + tail), "")
    return Parsed(int(head), tail)


def _tidy(words: str, lang: str) -> str:
    # English number words read better without num2words' commas ("one thousand, two hundred") and
    # hyphens: the local voice pauses in "forty-nine", and Whisper then hears "for 9".
    words = words.replace(",", "")
    if lang != "en":
        return words
    # American style, no "and": Whisper writes "one hundred and four dollars" as "$100 and $4".
    return _TEEN.sub(r"\1-teen", words.replace("-", " ").replace(" and ", " "))


def cardinal(n: int, lang: str, *, before_noun: bool = False, feminine: bool = False) -> str:
    words = _tidy(num2words(n, lang=lang), lang)
    if before_noun:
        for ending, before in (_FEMININE if feminine else _BEFORE_NOUN).get(lang, ()):
            words = re.sub(ending, before, words)
    return words


def ordinal(n: int, lang: str) -> str:
    return _tidy(num2words(n, lang=lang, to="ordinal"), lang)


def year(n: int, lang: str) -> str:
    return _tidy(num2words(n, lang=lang, to="year"), lang)


def digits_after_point(fraction: str, lang: str) -> str:
    return " ".join(cardinal(int(d), lang) for d in fraction)


def teen_ending(n: int) -> bool:
    """Whether `n` ends in a teen ("414", "2019"), said in English words to stress the "-teen"."""
    return 13 <= n % 100 <= 19


def say(p: Parsed, lang: str) -> str:
    """A whole number stays digits (every voice reads "2700" right) unless it ends in an English teen
    ("414" → "four hundred four-teen"); a decimal is spoken in words, digit by digit after the point
    ("2.75" → "two point seven five")."""
    if not p.fraction:
        return cardinal(p.whole, lang) if lang == "en" and teen_ending(p.whole) else str(p.whole)
    return f"{cardinal(p.whole, lang)} {WORDS[lang].point} {digits_after_point(p.fraction, lang)}"
