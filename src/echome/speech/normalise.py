"""Text a voice says right: what a reply's spoken part becomes before any TTS (local or ElevenLabs).

`speakable` turns the things voices misread into words — prices with their currency, decimals,
units, ranges, percentages, dates, times, ordinals, model codes — and drops what should never be
read out (links, e-mail addresses, markdown). Sentences and their punctuation stay, so the voice
keeps its prosody. Plain whole numbers stay digits: every voice reads "2700" right; but an English
number ending in a teen is said in words with the stress on "-teen" ("414" → "four hundred
four-teen"), or the local voice's "FOURteen" comes back as "440". Each catalog language reads its own
number formats ("1.299,00 €", "1 500 €" in French) and says units, percentages, times and currencies
in its own words. Normalising twice changes nothing.
"""

from __future__ import annotations

import re

from echome.speech.money import say_prices
from echome.speech.numbers import (
    AFTER,
    BEFORE,
    NUMBER,
    WORDS,
    cardinal,
    language_of,
    ordinal,
    parse,
    say,
    year,
)
from echome.speech.units import say_units

# -- what is never read out ------------------------------------------------------------------------
_URL = r"(?:https?://|www\.)[^\s<>()\[\]]*[^\s<>()\[\].,;:!?'\"]"
_TLD = r"(?:com|net|org|io|co|shop|store|app|eu|uk|de|fr|es|it|nl|pt)"
# The top-level domain in lower case: "Shop.com" is a domain, "today.It" a missing space.
_DOMAIN = rf"\b(?:[A-Za-z0-9-]+\.)+(?-i:{_TLD})(?:/[^\s]*[^\s.,;:!?)])?\b"
_EMAIL = r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"
_LINK = re.compile(rf"{_URL}|{_EMAIL}|{_DOMAIN}", re.I)
# "Write to us at x@y.com" → "Write to us": the word that pointed at the link goes with it.
_POINTER = re.compile(
    rf"(?:\b(?:at|via|on|under|here|visit|see|e-?mail|contact)\s*:?\s+)?(?:{_LINK.pattern})", re.I
)
_MD_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_MD_LINE = re.compile(r"^\s*(?:#{1,6}|>|[-*•+]|\d+[.)])\s+")
_MD_INLINE = re.compile(r"\*\*|__|(?<!\w)[*_](?=\S)|(?<=\S)[*_](?!\w)|`+|~~")
_SENTENCE = re.compile(r"(?<=[.!?])\s+|(?<=[\u3002\uff01\uff1f])")  # and the CJK full stops
MIN_WORDS_LEFT = 4  # fewer words left once a sentence's link is gone: the sentence was about the link


def _without_links(sentence: str) -> str:
    if not _LINK.search(sentence):
        return sentence
    left = _POINTER.sub("", sentence).strip()
    # "E-mail x@y.com or call us" → "or call us" → "Call us"
    left = re.sub(r"\s+(?:or|and)(?=\s*[,.!?]|$)", "", re.sub(r"^(?:or|and)\b[,\s]*", "", left, flags=re.I))
    if len(re.findall(r"\w+", left)) < MIN_WORDS_LEFT:
        return ""
    return left[0].upper() + left[1:]


def _line_spoken(line: str) -> str:
    line = _MD_LINE.sub("", _MD_LINK.sub(lambda m: "" if m.group(0)[0] == "!" else m.group(1), line))
    line = _MD_INLINE.sub("", line)
    return " ".join(s for s in map(_without_links, _SENTENCE.split(line.strip())) if s.strip())


def strip_unspoken(text: str) -> str:
    """Links, e-mail addresses and markdown out; lines joined, each ended so the voice pauses."""
    lines = [s for s in (tidy(_line_spoken(ln)) for ln in text.splitlines()) if s]
    out = " ".join(ln if ln[-1] in ".!?:;," else f"{ln}." for ln in lines[:-1])
    return tidy(f"{out} {lines[-1]}" if lines else "")


def tidy(text: str) -> str:
    text = " ".join(text.split())
    text = re.sub(r"\(\s*\)", "", text)
    text = re.sub(r"\s+([,.!?;:])", r"\1", text)
    text = re.sub(r"([,;:])(?=[.!?])", "", text)  # "Call us at: ." → "Call us."
    return re.sub(r"^[,.;:]\s*", "", text).strip()


# -- dates and times -------------------------------------------------------------------------------
_MONTHS_EN = WORDS["en"].month_names.lower().split()
_MON = r"(?P<mon>Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|Sept?(?:ember)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\.?"  # noqa: E501
_TH = r"(?:st|nd|rd|th)?"
ISO_DATE = re.compile(r"\b(?P<y>\d{4})-(?P<m>0[1-9]|1[0-2])-(?P<d>0[1-9]|[12]\d|3[01])\b")
DAY_MONTH = re.compile(
    rf"\b(?P<the>the\s+)?(?P<d>[0-3]?\d){_TH}(?:\s+of)?\s+{_MON}(?:,?\s+(?P<y>\d{{4}}))?\b"
)
MONTH_DAY = re.compile(rf"\b{_MON}\s+(?P<d>[0-3]?\d){_TH}\b(?:,?\s+(?P<y>\d{{4}})\b)?")
TIME = re.compile(
    r"(?<![\d:.])(?P<h>[01]?\d|2[0-3])(?::(?P<min>[0-5]\d))?\s?(?P<ap>[ap])\.?m\b(?P<dot>\.(?=\s*$|\s+(?-i:[A-Z])))?"
    r"\.?"
    r"|(?<![\d:.])(?P<h24>[01]?\d|2[0-3]):(?P<min24>[0-5]\d)(?![\d:.]\d|\w)",
    re.I,
)
# "10:00-18:00", "9am-5pm": the dash between two times is "to".
TIME_RANGE = re.compile(
    r"(?:(?<=\d:\d\d)|(?<=\d[ap]m)|(?<=\d [ap]m)|(?<=\.m\.))\s?[-\u2013]\s?"
    r"(?=\d{1,2}(?::\d\d|\s?[ap]\.?m\b))",
    re.I,
)


# French hours: "17h30", "9 h", "17h-19h".
FRENCH_TIME = re.compile(r"(?<![\w.,:])(?P<h>[01]?\d|2[0-3])\s?h\s?(?P<min>[0-5]\d)?(?!\w)")
_HOUR_WORD = {"de": "Uhr", "fr": "heures", "nl": "uur"}  # after the hour; elsewhere "and" between
_HOUR_AND = {"es": "y", "it": "e", "pt": "e"}
# The hours are feminine: "une heure", "vingt et une heures", "la una", "duas horas".
_FEMININE_HOUR = {
    "fr": {"un": "une"},
    "es": {"uno": "una", "veintiuno": "veintiuna"},
    "pt": {"um": "uma", "dois": "duas"},
}


def say_date(day: int, month: int, year_: int | None, lang: str, *, day_first: bool = False) -> str:
    name = WORDS[lang].month(month)
    if lang == "en":
        said = f"the {ordinal(day, lang)} of {name}" if day_first else f"{name} {ordinal(day, lang)}"
        return said + (f", {year(year_, lang)}" if year_ else "")
    y = f" {year_}" if year_ else ""
    if lang in ("es", "pt"):
        return f"{day} de {name}" + (f" de{y}" if y else "")
    return f"{day}. {name}{y}" if lang == "de" else f"{'1er' if day == 1 and lang == 'fr' else day} {name}{y}"


def say_dates(text: str, lang: str) -> str:
    def iso(m: re.Match[str]) -> str:
        return say_date(int(m.group("d")), int(m.group("m")), int(m.group("y")), lang)

    text = ISO_DATE.sub(iso, text)
    if lang != "en":
        return text

    def written(m: re.Match[str]) -> str:
        day, y = int(m.group("d")), m.group("y")
        if not 1 <= day <= 31:
            return m.group(0)
        month = [n[:3] for n in _MONTHS_EN].index(m.group("mon")[:3].lower()) + 1
        return say_date(day, month, int(y) if y else None, lang, day_first=m.re is DAY_MONTH)

    return MONTH_DAY.sub(written, DAY_MONTH.sub(written, text))


def say_times(text: str, lang: str) -> str:
    def spoken(m: re.Match[str]) -> str:
        if m.group("h24") is not None:
            h, mins, ap = int(m.group("h24")), int(m.group("min24")), ""
        else:
            h, mins, ap = int(m.group("h")), int(m.group("min") or 0), m.group("ap").lower()
            if not 1 <= h <= 12:
                return m.group(0)
        if lang != "en":
            return hour_spoken(h, mins, lang)
        said = cardinal(h, lang)
        if mins:
            said += f" {'oh ' if mins < 10 else ''}{cardinal(mins, lang)}"
        elif not ap:
            said += " hundred" if h > 12 else " o'clock"  # 17:00 is "seventeen hundred"
        if ap:
            said += f" {ap} m" + ("." if m.group("dot") else "")
        return said

    text = TIME_RANGE.sub(f" {WORDS[lang].to} ", text)
    if lang == "fr":
        text = FRENCH_TIME.sub(lambda m: hour_spoken(int(m.group("h")), int(m.group("min") or 0), lang), text)
    return TIME.sub(spoken, text)


def hour_spoken(h: int, mins: int, lang: str) -> str:
    """A time of day outside English: "neun Uhr dreißig", "dix-sept heures trente", "nueve y media"."""
    hour = cardinal(h, lang, before_noun=lang == "de")  # "ein Uhr"
    feminine = _FEMININE_HOUR.get(lang, {})
    hour = re.sub(r"\w+$", lambda m: feminine.get(m.group(0), m.group(0)), hour)
    if lang == "fr":
        word = "heure" if h == 1 else "heures"
        return f"{hour} {word}" + (f" {cardinal(mins, lang)}" if mins else "")
    if lang in _HOUR_WORD:
        return f"{hour} {_HOUR_WORD[lang]}" + (f" {cardinal(mins, lang)}" if mins else "")
    return hour + (f" {_HOUR_AND[lang]} {cardinal(mins, lang)}" if mins else "")


# -- ordinals, model codes, plain numbers ----------------------------------------------------------
ORDINAL = {
    "en": re.compile(r"\b(\d+)(?:st|nd|rd|th)\b"),
    "fr": re.compile(r"\b(\d+)(?:er|re|e|ème|eme)\b"),
    "nl": re.compile(r"\b(\d+)(?:ste|de|e)\b"),
    "es": re.compile(r"\b(\d+)\.?[ºª]"),
    "it": re.compile(r"\b(\d+)\.?[ºª]"),
    "pt": re.compile(r"\b(\d+)\.?[ºª]"),
}
# A token mixing letters and digits ("TR-200", "X2", "WH-1000XM4"), not part of a word or a path.
CODE = re.compile(
    r"(?<![\w'\u2019@/.-])(?=[\w-]*\d)(?=[\w-]*[A-Za-z])[A-Za-z0-9]+(?:-[A-Za-z0-9]+)*(?![\w@/-])"
)
_PIECE = re.compile(r"[A-Za-z]+|\d+")
_VOWEL = re.compile(r"[aeiouyAEIOUY]")


def say_code(code: str) -> str:
    """Letters spelled where they are not a word ("WH" → "W H", "USB" → "U S B"; "Pro" and the "in"
    of "3-in-1" stay), digits read as a number
    unless they are a long serial ("1000" stays, "483920" → "4 8 3 9 2 0")."""
    said = []
    for piece in _PIECE.findall(code):
        if piece.isdigit():
            long_serial = len(piece) > 4 or (len(piece) > 1 and piece[0] == "0")
            said.append(" ".join(piece) if long_serial else piece)
        elif len(piece) == 1 or not _VOWEL.search(piece) or (piece.isupper() and len(piece) <= 3):
            said.append(" ".join(piece.upper()))
        else:
            said.append(piece)
    return " ".join(said)


PLAIN = re.compile(rf"{BEFORE}(?P<num>{NUMBER}){AFTER}")


def say_plain_numbers(text: str, lang: str) -> str:
    """Thousands separators out ("1.299" in German is 1299), decimals in words."""
    return PLAIN.sub(lambda m: say(parse(m.group("num"), lang), lang), text)


# Languages that group thousands with a plain space: "1 500 €", "2 000 avis".
SPACE_GROUPED = {"fr"}
_SPACE_GROUPS = re.compile(r"(?<![\d.,])\d{1,3}(?: \d{3})+(?!\d|[.,]\d{3}|\s?%)")


_LONG_DIGITS = re.compile(r"\d{19,}")


def speakable(text: str, *, language: str = "en", default_currency: str | None = None) -> str:
    """The words a TTS engine should say for `text`, a reply's spoken part, in `language`.

    `default_currency` (ISO code) is the shop's own: it says which dollar a bare "$" is ("$" in a
    Mexican shop is pesos) and whether to name it plainly ("dollars", not "Australian dollars").
    A language whose numbers we do not know only loses its links and markdown.
    """
    text = strip_unspoken(text)
    lang = language_of(language)
    if lang is None or not text:
        return text
    # A run of more digits than any amount has is read digit by digit ("4 8 1 5 ..."), never parsed
    # as one number (Python refuses to parse ints over 4,300 digits).
    text = _LONG_DIGITS.sub(lambda m: " ".join(m.group(0)), text)
    if lang in SPACE_GROUPED:
        text = _SPACE_GROUPS.sub(lambda m: m.group(0).replace(" ", "\u202f"), text)
    text = say_dates(text, lang)
    text = say_times(text, lang)
    text = say_prices(text, lang, default_currency)
    text = say_units(text, lang)
    if lang in ORDINAL:
        text = ORDINAL[lang].sub(lambda m: ordinal(int(m.group(1)), lang), text)
    text = CODE.sub(lambda m: say_code(m.group(0)), text)
    text = say_plain_numbers(text, lang)
    return tidy(text)
