"""Text units and style measures for the persona analyser, and the human-readable style summary.

`analyse.py` turns segments into `Token`s and `Sentence`s and assembles the profile. The detectors that
return token spans (inclusive index pairs) for it to turn into evidence are in `habits.py` (fillers,
catchphrases) and `selling.py` (selling language, greetings, sign-offs).

Formality score (0 = very casual, 1 = very formal)::

    formality = 1 - (0.35 * c + 0.25 * s + 0.20 * f + 0.20 * p)
    c = min(1, contractions per 100 words / 6)
    s = min(1, informal markers (slang) per 100 words / 3)
    f = min(1, fillers per 100 words / 4)
    p = min(1, max(0, "I" + "you" pronouns per 100 words - 3) / 9)

Energy score (0 = calm, 1 = energetic): the mean of whichever of these are available::

    exclamations = min(1, share of sentences ending in "!" / 0.3)
    intensity    = min(1, mean |VADER compound| per sentence / 0.6)
    pace         = clamp((overall words per minute - 110) / 80)
    pitch        = clamp((f0_std_semitones - 1.5) / 3), or clamp((f0_range_semitones - 4) / 10)
"""

from __future__ import annotations

import math
import re
from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from echome.persona.lexicon import COMMON_WORDS, SUFFIXES
from echome.providers.base import Segment

RATE_PAUSE = 0.3  # s: gaps between words at least this long are pauses, not speaking time


@dataclass(slots=True)
class Token:
    text: str
    norm: str
    seg: int
    start: float
    end: float
    after: str  # raw text up to the next token of the same segment (or the segment's end)
    timed: bool
    prob: float = 1.0  # the recogniser's word probability (1.0 when it gave none)


@dataclass(slots=True)
class Sentence:
    lo: int
    hi: int  # inclusive token indices
    norm: str
    offsets: list[int]
    text: str
    end: str  # "?", "!", "." or ""
    punctuated: bool


def finite(x: float) -> float:
    return float(x) if isinstance(x, int | float) and math.isfinite(x) else 0.0


def span(s: Sentence, m: re.Match[str]) -> tuple[int, int]:
    return s.lo + bisect_right(s.offsets, m.start()) - 1, s.lo + bisect_right(s.offsets, m.end() - 1) - 1


def display(words: Iterable[str]) -> str:
    return " ".join("I" + w[1:] if w == "i" or w.startswith("i'") else w for w in words)


_VOWEL_GROUP = re.compile(r"[aeiouy]+")
# Vowel pairs spoken as two syllables (ra-di-o, va-ri-ous); not after t/s/c/g (-tion, -sion, -cial, -gion).
_HIATUS = re.compile(r"(?<![tscg])i[aou]|(?<!q)ua")
_LETTERS = re.compile(r"[^a-z]")


def count_syllables(word: str) -> int:
    """Rough English syllable count: vowel groups, minus silent endings, plus split vowel pairs."""
    w = _LETTERS.sub("", word.lower())
    if not w:
        return 0
    if len(w) <= 3:
        return 1
    n = len(_VOWEL_GROUP.findall(w))
    silent = (
        (w.endswith("e") and not w.endswith(("le", "ee", "ye")))
        or (w.endswith("ed") and not w.endswith(("ted", "ded")))
        or (w.endswith("es") and not w.endswith(("ses", "zes", "ches", "shes", "ges", "ces", "xes")))
    )
    if n > 1 and silent:
        n -= 1
    n += len(_HIATUS.findall(w))
    return max(1, n)


def readability(words: Sequence[str], sentences: int) -> dict[str, float]:
    """Flesch reading ease and Flesch-Kincaid grade over alphabetic words."""
    alpha = [w for w in words if any(c.isalpha() for c in w)]
    if not alpha or sentences <= 0:
        return {"flesch_reading_ease": 0.0, "flesch_kincaid_grade": 0.0}
    wps = len(alpha) / sentences
    spw = sum(count_syllables(w) for w in alpha) / len(alpha)
    return {
        "flesch_reading_ease": round(206.835 - 1.015 * wps - 84.6 * spw, 1),
        "flesch_kincaid_grade": round(0.39 * wps + 11.8 * spw - 15.59, 1),
    }


def _mtld_pass(words: Sequence[str], threshold: float) -> float:
    factors = 0.0
    types: set[str] = set()
    count = 0
    for w in words:
        count += 1
        types.add(w)
        if len(types) / count <= threshold:
            factors += 1
            types = set()
            count = 0
    if count:
        factors += (1 - len(types) / count) / (1 - threshold)
    return len(words) / factors if factors > 0 else float(len(words))


def lexical_variety(words: Sequence[str], *, window: int = 50, threshold: float = 0.72) -> dict[str, float]:
    """Type-token ratio, MTLD (mean of both directions) and moving-average TTR over `window` words."""
    n = len(words)
    if n == 0:
        return {"type_token_ratio": 0.0, "mtld": 0.0, "mattr": 0.0}
    ttr = len(set(words)) / n
    mtld = (_mtld_pass(words, threshold) + _mtld_pass(list(reversed(words)), threshold)) / 2
    if n <= window:
        mattr = ttr
    else:
        counts: dict[str, int] = {}
        for w in words[:window]:
            counts[w] = counts.get(w, 0) + 1
        total = len(counts)
        for i in range(window, n):
            out, new = words[i - window], words[i]
            counts[out] -= 1
            if counts[out] == 0:
                del counts[out]
            counts[new] = counts.get(new, 0) + 1
            total += len(counts)
        mattr = total / (n - window + 1) / window
    return {"type_token_ratio": round(ttr, 3), "mtld": round(mtld, 1), "mattr": round(mattr, 3)}


def is_common(word: str) -> bool:
    """Whether `word` (normalised) or its stem after one simple suffix is in the common-English list."""
    if word in COMMON_WORDS:
        return True
    for suffix in SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 2:
            stem = word[: -len(suffix)]
            if stem in COMMON_WORDS or stem + "e" in COMMON_WORDS or stem + "y" in COMMON_WORDS:
                return True
            if len(stem) > 2 and stem[-1] == stem[-2] and stem[:-1] in COMMON_WORDS:  # stopped, bigger
                return True
    return False


def _clamp(x: float) -> float:
    return max(0.0, min(1.0, x))


def formality_score(
    *, contractions_100: float, slang_100: float, fillers_100: float, i_you_100: float
) -> float:
    informal = (
        0.35 * min(1.0, contractions_100 / 6)
        + 0.25 * min(1.0, slang_100 / 3)
        + 0.20 * min(1.0, fillers_100 / 4)
        + 0.20 * min(1.0, max(0.0, i_you_100 - 3) / 9)
    )
    return round(1 - informal, 2)


def formality_label(score: float) -> str:
    return "formal" if score >= 0.7 else "neutral" if score >= 0.45 else "casual"


def energy(
    *,
    exclamation_share: float,
    intensity: float,
    wpm: float | None,
    pitch: dict[str, Any] | None,
) -> tuple[float, str]:
    parts = [_clamp(exclamation_share / 0.3), _clamp(intensity / 0.6)]
    if wpm:
        parts.append(_clamp((wpm - 110) / 80))
    if pitch:
        std, rng = pitch.get("f0_std_semitones"), pitch.get("f0_range_semitones")
        if isinstance(std, int | float) and std > 0:
            parts.append(_clamp((float(std) - 1.5) / 3))
        elif isinstance(rng, int | float) and rng > 0:
            parts.append(_clamp((float(rng) - 4) / 10))
    score = round(sum(parts) / len(parts), 2)
    return score, "calm" if score < 0.35 else "moderate" if score < 0.6 else "energetic"


def rate_label(wpm: float) -> str:
    if wpm <= 0:
        return "unknown"
    return "slow" if wpm < 120 else "moderate" if wpm <= 165 else "fast"


# -- timing ---------------------------------------------------------------------------------------------
def recordings(segments: Sequence[Segment]) -> list[tuple[int, int]]:
    """Segment index ranges; time jumping back by more than a second starts a new recording."""
    out, lo = [], 0
    for i in range(1, len(segments)):
        if finite(segments[i].start) < finite(segments[i - 1].start) - 1.0:
            out.append((lo, i - 1))
            lo = i
    if segments:
        out.append((lo, len(segments) - 1))
    return out


def speech_seconds(segments: Sequence[Segment], toks: list[Token], recs: list[tuple[int, int]]) -> float:
    """Union of the segments' spans (first to last word when timed) within each recording, summed."""
    bounds: dict[int, list[float]] = {}
    for t in toks:
        if t.timed:
            b = bounds.setdefault(t.seg, [t.start, t.end])
            b[0], b[1] = min(b[0], t.start), max(b[1], t.end)
    spoken = {t.seg for t in toks}
    total = 0.0
    for lo, hi in recs:
        spans = sorted(
            tuple(bounds.get(i, (finite(segments[i].start), finite(segments[i].end))))
            for i in range(lo, hi + 1)
            if i in spoken
        )
        cur_a, cur_b = None, None
        for a, b in spans:
            if cur_b is None or a > cur_b:
                total += (cur_b - cur_a) if cur_b is not None else 0.0
                cur_a, cur_b = a, max(a, b)
            else:
                cur_b = max(cur_b, b)
        total += (cur_b - cur_a) if cur_b is not None else 0.0
    return total


def articulation(toks: list[Token]) -> tuple[int, float]:
    """Timed words and the time spent saying them (runs of words split at pauses of RATE_PAUSE or more)."""
    timed = [t for t in toks if t.timed]
    total, run_a, run_b = 0.0, None, None
    for t in timed:
        if run_b is not None and 0 <= t.start - run_b < RATE_PAUSE:
            run_b = max(run_b, t.end)
            continue
        if run_b is not None:
            total += run_b - run_a
        run_a, run_b = t.start, t.end
    if run_b is not None:
        total += run_b - run_a
    return len(timed), total


# -- summary lines ---------------------------------------------------------------------------------
def _get(d: Any, *keys: str, default: Any = None) -> Any:
    for k in keys:
        if not isinstance(d, dict) or k not in d:
            return default
        d = d[k]
    return d


def _num(x: Any) -> float:
    return float(x) if isinstance(x, int | float) and not isinstance(x, bool) else 0.0


def _texts(items: Any, limit: int) -> list[str]:
    if not isinstance(items, list):
        return []
    out = [str(i["text"]) for i in items if isinstance(i, dict) and i.get("text")]
    return out[:limit]


def style_summary(profile: dict[str, Any]) -> list[str]:
    """Short human-readable lines describing the speaker; tolerant of profiles the seller edited."""
    lines: list[str] = []
    reliable = _get(profile, "summary", "reliable", default=True) is not False
    wpm = _num(profile.get("speaking_rate_wpm_overall")) or _num(profile.get("speaking_rate_wpm"))
    label = profile.get("speaking_rate_label") or rate_label(wpm)
    if wpm > 0 and reliable:
        lines.append(
            {"slow": "Speaks slowly", "moderate": "Speaks at a moderate pace", "fast": "Speaks fast"}.get(
                str(label), "Speaks"
            )
            + f" ({wpm:.0f} wpm)"
        )
    mean_len = _num(_get(profile, "sentence_length", "mean"))
    if reliable and 0 < mean_len < 10:
        lines.append(f"Short, punchy sentences (about {mean_len:.0f} words)")
    elif reliable and mean_len > 22:
        lines.append(f"Long, flowing sentences (about {mean_len:.0f} words)")
    fillers = profile.get("fillers") if isinstance(profile.get("fillers"), list) else []
    frequent = [f for f in fillers if isinstance(f, dict) and _num(f.get("per_minute")) >= 1.0]
    for f in frequent[:2]:
        lines.append(f"Often says '{f.get('text')}' ({_num(f.get('per_minute')):.1f}/min)")
    words = _num(_get(profile, "summary", "words"))
    if not frequent and words >= 150 and _num(profile.get("filler_rate_per_minute")) < 0.5:
        lines.append("Rarely uses filler words")
    phrases = _texts(profile.get("catchphrases"), 3)
    if phrases:
        lines.append("Catchphrases: " + ", ".join(f"'{p}'" for p in phrases))
    greeting, sign_off = _get(profile, "greeting", "text"), _get(profile, "sign_off", "text")
    if greeting:
        lines.append(f"Opens with '{greeting}'")
    if sign_off:
        lines.append(f"Signs off with '{sign_off}'")
    form = _get(profile, "formality", "label")
    score = _num(_get(profile, "formality", "score"))
    if form and reliable:
        text = {"casual": "Casual, conversational", "neutral": "Neutral", "formal": "Formal"}.get(
            str(form), ""
        )
        if text:
            lines.append(f"{text} language (formality {score:.2f})")
    sentiment = _num(_get(profile, "tone", "sentiment_mean"))
    energy_label = _get(profile, "tone", "energy_label")
    if not reliable:
        pass
    elif sentiment >= 0.3:
        lines.append("Upbeat, positive tone")
    elif sentiment <= -0.2:
        lines.append("Often negative or critical tone")
    if reliable and energy_label in ("calm", "energetic"):
        lines.append("Energetic delivery" if energy_label == "energetic" else "Calm delivery")
    approach = _get(profile, "selling", "approach", default=[])
    approach_lines = {
        "consultative": "Asks the customer questions",
        "benefit-led": "Leads with benefits (what it does for the customer)",
        "feature-led": "Leads with specs and features",
        "benefits-and-features": "Balances benefits with specs",
        "urgency": "Creates urgency (limited time, low stock)",
        "social-proof": "Uses social proof (reviews, what other customers say)",
        "storyteller": "Tells personal stories",
        "call-to-action": "Gives clear calls to action",
    }
    if isinstance(approach, list):
        lines.extend(approach_lines[a] for a in approach if a in approach_lines)
    signature = _texts(_get(profile, "vocabulary", "signature_words"), 5)
    if signature:
        lines.append("Favourite words: " + ", ".join(signature))
    return lines
