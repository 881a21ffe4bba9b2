"""The seller's manner in replies: catchphrases in text, fillers in voice, at the seller's own rates.

Rates come from the persona's measured profile (`analyse.py`): fillers per 100 words of the seller's
(verbatim) transcript, and catchphrase uses per 100 words (the summed counts of the measured
catchphrases over the words analysed). A reply of n words gets rate x n x strength of each, rounded
up or down at random with a seed taken from the reply itself, so one reply is always said the same
way and a batch of replies carries the seller's rate on average (not one per reply, not none).

- Text replies: catchphrases, never fillers ("um" reads as a typo).
- Voice notes: the same text with fillers put where a speaker hesitates: at the start of a sentence
  or after a comma, never inside a number, a price, a product name (`protected`) or what follows a
  colon (a labelled fact, a quoted catalog sentence: "Manufacturer name: Donnelly, Johnson and Leffler").
- A phrase the seller set by hand carries no count: it is used at `DEFAULT_PER_100_WORDS`.
- Sentence length: a composed reply's short statements are joined ("It is 49 dollars, and it comes
  in blue.") while the joined sentence stays within the seller's own mean sentence length, so a
  seller who talks in long sentences does not answer in clipped ones; the greeting runs into the
  statement after it ("Hi, the ... is 49 dollars."). Questions, exclamations and sentences opening
  with a connective ("But", "So") stay as they are; nothing is ever split.
- Strength (`style_strength` in the profile): "off" (no catchphrases, no fillers, sentences as
  composed), "natural" (the seller's rates), "strong" (`STRONG` times them).

Facts never come from here: catchphrases used in text are the composer's safe phrases (short, no
digits) and the guardrail checks the reply after they are in; fillers are words without content.
"""

from __future__ import annotations

import random
import re
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from echome.persona import lexicon as lx
from echome.persona.analyse import fillers_in
from echome.persona.schema import phrase_text

STRENGTHS = ("off", "natural", "strong")
STRONG = 1.6
DEFAULT_PER_100_WORDS = 1.0
MAX_CATCHPHRASES = 2  # in one reply, whatever the rate
# Fillers a speaker can put at the start of a sentence or after a comma without changing its
# grammar ("kind of" and "sort of" need a following phrase: they are measured, never inserted).
INSERTABLE = frozenset(
    {
        *lx.HESITATIONS.values(),
        "so",
        "well",
        "okay",
        "actually",
        "honestly",
        "basically",
        "literally",
        "you know",
        "i mean",
        "like",
        "anyway",
        "right",
    }
)
FORMAL = 0.7  # the analyser's formality score from which a speaker is "formal" (style.formality_label)
_CONTRACT = {
    ("it", "is"): "it's", ("that", "is"): "that's", ("there", "is"): "there's", ("what", "is"): "what's",
    ("i", "am"): "I'm", ("you", "are"): "you're", ("we", "are"): "we're", ("they", "are"): "they're",
    ("i", "will"): "I'll", ("we", "will"): "we'll", ("you", "will"): "you'll", ("it", "will"): "it'll",
    ("i", "have"): "I've", ("we", "have"): "we've", ("do", "not"): "don't", ("does", "not"): "doesn't",
    ("is", "not"): "isn't", ("are", "not"): "aren't", ("can", "not"): "can't", ("will", "not"): "won't",
    ("let", "us"): "let's", ("i", "would"): "I'd", ("we", "would"): "we'd",
}  # fmt: skip
# "we have it" and "I have one" contract badly ("we've it"): have only before a participle.
_CONTRACTIBLE = re.compile(
    r"\b(it|that|there|what|i|you|we|they|do|does|is|are|can|will|let|I|It|That|There|What|You|We|They|Do"
    r"|Does|Is|Are|Can|Will|Let)\s+(is|am|are|will|not|us|would|have(?=\s+(?:been|got|had|seen|made|sold)\b))\b"
)
_SENTENCE_START = re.compile(r"(?:^|(?<=[.!?])\s+)(?=[A-Za-z])")
_AFTER_COMMA = re.compile(r"(?<=[A-Za-z]),\s+(?=[A-Za-z])")
_DIGITS = re.compile(r"\d[\d.,:/\-]*\d|\d")
# A sentence and the space after it ("No." "$4.50." and "e.g." are not the ends of one: a period ends
# a sentence only before a space and a capital letter, or at the end).
_SENTENCE = re.compile(r".+?(?:[.!?](?=\s+[A-Z\"\u201c(])|[.!?]?$)\s*", re.S)
_DECIMAL_END = re.compile(r"\b(?:[A-Z]|[a-z]{1,3}\.[a-z])\.$")  # "J." or "e.g." before the period
# A statement is joined to the one before only when it opens with its subject (a pronoun, a
# determiner or a product's name): never an imperative ("Ask me ...") or a linked sentence ("But ...").
_SUBJECTS = frozenset(
    [
        "it",
        "its",
        "it's",
        "they",
        "they're",
        "this",
        "that",
        "these",
        "those",
        "the",
        "a",
        "an",
        "we",
        "we're",
        "our",
        "you",
        "you're",
        "your",
        "there",
        "there's",
        "each",
        "both",
        "all",
        "every",
        "he",
        "she",
        "his",
        "her",
    ]
)
# Openings of a first sentence that is a reply on its own ("Sorry, ...", "Yes, ..."): kept apart.
_CONNECTIVES = frozenset(["sorry", "yes", "no", "unfortunately", "hi", "hello", "thanks", "thank"])
MIN_JOINED_WORDS = 10  # a seller whose sentences are shorter than this gets the composer's own


def _num(value: Any) -> float:
    try:
        out = float(value)
    except (TypeError, ValueError):
        return 0.0
    return out if out == out and out >= 0 else 0.0  # NaN and negatives count as unmeasured


def _counted(items: Any) -> list[tuple[str, float]]:
    """(text, count) of a profile's phrase list; a hand-set phrase (no count) counts as 0."""
    if not isinstance(items, list):
        items = [items] if items else []
    out = []
    for item in items:
        text = phrase_text(item)
        if text:
            out.append((text.strip(), _num(item.get("count")) if isinstance(item, dict) else 0.0))
    return out


@dataclass(frozen=True)
class Manner:
    """How often this seller says fillers and catchphrases, per word, already scaled by strength."""

    fillers: tuple[tuple[str, float], ...] = ()  # insertable fillers and their weights
    filler_per_word: float = 0.0
    catchphrase_per_word: float = 0.0
    strength: str = "natural"
    catchphrases: tuple[str, ...] = field(default=())
    formality: float | None = None  # the seller's measured formality (0 casual .. 1 formal)
    sentence_words: float = 0.0  # the seller's mean words per sentence (0: not measured)

    @classmethod
    def from_profile(cls, profile: dict[str, Any]) -> Manner:
        strength = profile.get("style_strength")
        strength = strength if strength in STRENGTHS else "natural"
        if strength == "off":
            return cls(strength="off")
        scale = STRONG if strength == "strong" else 1.0
        words = (
            _num((profile.get("summary") or {}).get("words"))
            if isinstance(profile.get("summary"), dict)
            else 0
        )
        fillers = _counted(profile.get("fillers"))
        filler_rate = _num(profile.get("fillers_per_100_words"))
        if not filler_rate and fillers:
            measured = sum(c for _, c in fillers)
            filler_rate = 100 * measured / words if words and measured else DEFAULT_PER_100_WORDS
        usable = [(t.lower(), c or 1.0) for t, c in fillers if t.lower() in INSERTABLE]
        if filler_rate and fillers and not usable:
            usable = [("um", 1.0)]  # the seller hesitates, with fillers that cannot be inserted
        # (a seller who cleared their fillers by hand gets none, whatever rate was measured)
        phrases = _counted(profile.get("catchphrases"))
        used = sum(c for _, c in phrases)
        phrase_rate = (100 * used / words if words and used else DEFAULT_PER_100_WORDS) if phrases else 0.0
        return cls(
            fillers=tuple(usable),
            filler_per_word=scale * filler_rate / 100,
            catchphrase_per_word=scale * phrase_rate / 100,
            strength=strength,
            catchphrases=tuple(t for t, _ in phrases),
            formality=_formality(profile),
            sentence_words=_num((profile.get("sentence_length") or {}).get("mean"))
            if isinstance(profile.get("sentence_length"), dict)
            else 0.0,
        )

    # -- text ---------------------------------------------------------------------------------------
    def pick_catchphrases(self, phrases: Sequence[str], *, words: int, seed: str) -> list[str]:
        """Which of `phrases` (the ones fit for this reply) a reply of `words` words says."""
        if not phrases or self.catchphrase_per_word <= 0:
            return []
        rng = _rng("catch", seed)
        n = min(MAX_CATCHPHRASES, len(phrases), _draw(self.catchphrase_per_word * words, rng))
        return rng.sample(list(phrases), n)

    def register(self, text: str, *, protected: Sequence[str] = ()) -> str:
        """`text` in the seller's register: a casual or neutral speaker's contractions ("it is" →
        "it's"), never inside a protected name; a formal speaker's text is left as written."""
        if self.formality is None or self.formality >= FORMAL:
            return text
        blocked = _blocked(text, protected)

        def contract(m: re.Match[str]) -> str:
            if m.start() in blocked or m.start() + 1 in blocked:
                return m.group(0)
            first, second = m.group(1), m.group(2).lower()
            short = _CONTRACT[(first.lower(), second)]
            return (short[:1].upper() + short[1:]) if first[:1].isupper() else short

        return _CONTRACTIBLE.sub(contract, text)

    def paced(self, text: str, *, protected: Sequence[str] = (), opener: str = "") -> str:
        """`text` with neighbouring statements joined by ", and" while the result stays within the
        seller's mean sentence length, and the reply's `opener` (a greeting: "Hi!") run into the
        sentence after it ("Hi, the ... is 49 dollars."), as someone who talks in long sentences
        says it (see the module docstring)."""
        if self.strength == "off" or self.sentence_words < MIN_JOINED_WORDS:
            return text
        return self._greeted(self._joined(text, protected), opener, protected)

    def _greeted(self, text: str, opener: str, protected: Sequence[str]) -> str:
        if not opener.endswith(("!", ".")) or not text.startswith(opener) or "\n" in text:
            return text
        rest = text[len(opener) :].lstrip(" ")
        first = _SENTENCE.match(rest)
        if not rest[:1].isalpha() or first is None or not first.group().rstrip().endswith((".", "!")):
            return text  # a question after the greeting, or something that is not a sentence
        if len(opener.split()) + len(first.group().split()) > self.sentence_words:
            return text
        keep = _starts_protected(rest, 0, protected) or rest[1:2].isupper()
        return f"{opener[:-1]}, {rest if keep else rest[:1].lower() + rest[1:]}"

    def _joined(self, text: str, protected: Sequence[str]) -> str:
        parts = _SENTENCE.findall(text)
        if len(parts) < 2 or "".join(parts) != text or "\n" in text:
            return text  # not plain sentences (a list, a line break): left as composed
        out = [parts[0]]
        for part in parts[1:]:
            prev, body = out[-1], part.strip()
            first = body.split(" ", 1)[0].strip(",").lower()
            opens = prev.split(" ", 1)[0].strip(",").lower() if len(out) == 1 else ""
            joinable = (
                prev.rstrip().endswith(".")
                and body.endswith(".")
                and (first in _SUBJECTS or _starts_protected(body, 0, protected))
                and opens not in _CONNECTIVES
                and not _DECIMAL_END.search(prev.rstrip())
                and len(prev.split()) + len(body.split()) <= self.sentence_words
            )
            if not joinable:
                out.append(part)
                continue
            keep = _starts_protected(body, 0, protected) or body[1:2].isupper()
            out[-1] = prev.rstrip()[:-1] + ", and " + (body if keep else body[:1].lower() + body[1:])
            out[-1] += part[len(part.rstrip()) :]
        return "".join(out)

    # -- voice --------------------------------------------------------------------------------------
    def spoken(self, text: str, *, protected: Sequence[str] = (), seed: str | None = None) -> str:
        """`text` with fillers where the seller would hesitate (see the module docstring)."""
        if not self.fillers or self.filler_per_word <= 0 or not text.strip():
            return text
        rng = _rng("fill", seed if seed is not None else text)
        want = _draw(self.filler_per_word * len(text.split()), rng)
        if want > 0:  # the reply's own fillers count too (the analyser hears "So the ..." as one):
            want -= fillers_in(text)  # the voice note says them at the seller's rate, not above it
        if want <= 0:
            return text
        blocked = _blocked(text, protected)
        starts = [m.end() for m in _SENTENCE_START.finditer(text) if m.end() not in blocked]
        commas = [
            m.end()
            for m in _AFTER_COMMA.finditer(text)
            if m.end() not in blocked and m.start() not in blocked
        ]
        places = sorted(rng.sample(starts + commas, min(want, len(starts) + len(commas))))
        words, weights = zip(*self.fillers, strict=True)
        out, last = [], 0
        for at in places:
            filler = rng.choices(words, weights=weights)[0]
            out.append(text[last:at])
            if at in starts:
                out.append(_capital(filler) + ", ")
                nxt = text[at : at + 2]
                if (
                    nxt[:1].isupper()
                    and not nxt[1:2].isupper()
                    and not _starts_protected(text, at, protected)
                ):
                    out.append(text[at].lower())
                    at += 1
            else:
                out.append(f"{filler}, ")
            last = at
        out.append(text[last:])
        return "".join(out)


def _formality(profile: dict[str, Any]) -> float | None:
    """The seller's formality score; a label set by hand stands for its range's middle."""
    value = profile.get("formality")
    if (
        isinstance(value, dict)
        and isinstance(value.get("score"), int | float)
        and value.get("label") != "unknown"
    ):
        return float(value["score"])
    label = value.get("label") if isinstance(value, dict) else value
    return {"casual": 0.3, "neutral": 0.55, "formal": 0.85}.get(str(label).strip().lower()) if label else None


def _rng(kind: str, seed: str) -> random.Random:
    return random.Random(zlib.crc32(f"{kind}:{seed}".encode()))


def _draw(expected: float, rng: random.Random) -> int:
    """`expected` rounded down or up at random, so the mean over many draws is `expected`."""
    whole = int(expected)
    return whole + (1 if rng.random() < expected - whole else 0)


# What follows a colon to the end of its sentence: a labelled fact ("Manufacturer name: Donnelly,
# Johnson and Leffler") or the catalog's own sentence after "About the X:", said as written.
_AFTER_COLON = re.compile(r":\s+[^.!?\n]+")


def _blocked(text: str, protected: Sequence[str]) -> set[int]:
    """Positions strictly inside a number, a protected name or what follows a colon (where nothing
    may be inserted)."""
    spans = [(m.start(), m.end()) for m in _DIGITS.finditer(text)]
    spans += [(m.start(), m.end()) for m in _AFTER_COLON.finditer(text)]
    low = text.lower()
    for name in protected:
        name = name.strip().lower()
        if not name:
            continue
        start = low.find(name)
        while start >= 0:
            spans.append((start, start + len(name)))
            start = low.find(name, start + 1)
    return {i for a, b in spans for i in range(a + 1, b)}


def _starts_protected(text: str, at: int, protected: Sequence[str]) -> bool:
    rest = text[at:].lower()
    return (
        rest.startswith("i ")
        or rest.startswith("i'")
        or any(n.strip() and rest.startswith(n.strip().lower()) for n in protected)
    )


def _capital(word: str) -> str:
    return word[:1].upper() + word[1:]
