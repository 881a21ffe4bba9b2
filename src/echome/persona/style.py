"""Text units and style measures for the persona analyser, and the human-readable style summary.

`analyse.py` turns segments into `Token`s and `Sentence`s and assembles the profile; the detectors here
return token spans (inclusive index pairs) that it turns into evidence.

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
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from echome.persona import lexicon as lx
from echome.persona.lexicon import COMMON_WORDS, SUFFIXES
from echome.providers.base import Segment

RATE_PAUSE = 0.3  # s: gaps between words at least this long are pauses, not speaking time
_COMMA = re.compile(r"[,;\u2013\u2014]")


@dataclass(slots=True)
class Token:
    text: str
    norm: str
    seg: int
    start: float
    end: float
    after: str  # raw text up to the next token of the same segment (or the segment's end)
    timed: bool


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


# -- fillers ------------------------------------------------------------------------------------------
def find_fillers(sents: list[Sentence], toks: list[Token]) -> dict[str, list[tuple[int, int]]]:
    """Filler spans by canonical filler. "um"/"uh" and "basically"/"literally" count anywhere; other
    markers only in filler positions: at the start of a sentence (after any earlier fillers) or set off by
    commas ("like": ", like," / "like," not after "I'd"/"looks" / sentence-initial before "it's", "so"...;
    "you know": followed by a comma or ending the sentence, not after "do"/"if"/"as"; "so": sentence-initial
    before a comma or a pronoun/determiner; "kind of"/"sort of": not after "what"/"this"/"a"...)."""
    found: dict[str, list[tuple[int, int]]] = {}

    def comma_after(j: int) -> bool:
        return bool(_COMMA.search(toks[j].after))

    for s in sents:
        at_start = True
        j = s.lo
        while j <= s.hi:
            w = toks[j].norm
            prev = toks[j - 1].norm if j > s.lo else ""
            nxt = toks[j + 1].norm if j < s.hi else ""
            comma_before = j > s.lo and comma_after(j - 1)
            key, width = None, 1
            if w in lx.HESITATIONS:
                key = lx.HESITATIONS[w]
            elif w in lx.ALWAYS_FILLER_ADVERBS:
                key = w
            elif w in ("actually", "honestly", "seriously", "obviously", "anyway"):
                if at_start or (comma_before and comma_after(j)):
                    key = w
            elif w in lx.DISCOURSE_FILLERS:
                if at_start and (comma_after(j) or nxt in ("so", "um", "uh", "then", "now", "guys", "let's")):
                    key = "okay" if w == "ok" else w
            elif w == "like":
                if (
                    (comma_before and comma_after(j))
                    or (comma_after(j) and prev not in lx.LIKE_VERB_CONTEXT)
                    or (at_start and j > s.lo)
                    or (at_start and nxt in lx.LIKE_FILLER_NEXT)
                ):
                    key = "like"
            elif w == "you" and nxt == "know" and prev not in lx.YOU_KNOW_CLAUSE_CONTEXT:
                if comma_after(j + 1) or j + 1 == s.hi:
                    key, width = "you know", 2
            elif w == "i" and nxt == "mean" and (at_start or comma_before) and (comma_after(j + 1)):
                key, width = "i mean", 2
            elif w == "you" and nxt == "see" and at_start and comma_after(j + 1):
                key, width = "you see", 2
            elif w == "so" and at_start and (comma_after(j) or nxt in lx.SO_DISCOURSE_NEXT):
                key = "so"
            elif (
                w in ("kind", "sort")
                and nxt == "of"
                and prev
                and prev not in lx.KIND_OF_NOUN_CONTEXT
                and j + 1 < s.hi
                and toks[j + 2].norm not in lx.KIND_OF_NOUN_CONTEXT
            ):
                key, width = w + " of", 2
            if key:
                found.setdefault(key, []).append((j, j + width - 1))
            at_start = at_start and key is not None
            j += width
    return found


# -- catchphrases -------------------------------------------------------------------------------------
_BAD_END = lx.BAD_PHRASE_END | lx.S_CONTRACTIONS | {"i'm", "you're", "we're", "they're"}
# Common phrases and every 2+ word stretch of them ("you so much" from "thank you so much").
_COMMON_FRAGMENTS = frozenset(
    " ".join(words[i:j])
    for words in (p.split() for p in lx.COMMON_PHRASES)
    for i in range(len(words))
    for j in range(i + 2, len(words) + 1)
)


def find_catchphrases(sents: list[Sentence], toks: list[Token], names: set[str], n_words: int) -> list[dict]:
    """Repeated 2-6 word expressions within sentences, best first (at most ten).

    Kept when said in at least two sentences and at least 3 times (2-word) or 2 times (longer), raised to
    1 + words // 2500 for long transcripts. Dropped when it is a common English phrase or part of one, only
    function words, starts or ends mid-phrase ("and the", "love the"), holds digits, hesitations or names,
    or is a 2-word pair with a function word. Phrases made only of common words need 3+ words and 3+ uses
    unless they are known spoken catchphrases.
    Score = count * (1 + (n - 2) / 2) * (1 + uncommon words) * (2 if known);
    a phrase said mostly inside a longer kept phrase is dropped."""
    counts: Counter[tuple[str, ...]] = Counter()
    in_sents: Counter[tuple[str, ...]] = Counter()  # sentences containing the n-gram
    for s in sents:
        words = s.norm.split(" ")
        grams = [tuple(words[i : i + n]) for n in range(2, 7) for i in range(len(words) - n + 1)]
        counts.update(grams)
        in_sents.update(set(grams))
    scale = 1 + n_words // 2500
    cands: dict[tuple[str, ...], float] = {}
    for gram, c in counts.items():
        n = len(gram)
        if (
            c < max(3 if n == 2 else 2, scale)
            or in_sents[gram] < 2
            or gram[0] in lx.BAD_PHRASE_START
            or gram[-1] in _BAD_END
        ):
            continue
        phrase = " ".join(gram)
        known = phrase in lx.KNOWN_CATCHPHRASES
        if not known and phrase in _COMMON_FRAGMENTS:
            continue
        if len(set(gram)) == 1 or any(w in lx.HESITATIONS or any(ch.isdigit() for ch in w) for w in gram):
            continue
        if all(w in lx.STOPWORDS for w in gram) or any(w in names for w in gram):
            continue
        rare = sum(not is_common(w) for w in gram)
        if not known and rare == 0 and (n < 3 or c < max(3, scale + 1)):
            continue  # every word common: only longer phrases said at least three times
        if not known and n == 2 and (gram[0] in lx.STOPWORDS or gram[1] in lx.STOPWORDS):
            continue  # "it merino": a topic word with a function word
        cands[gram] = c * (1 + 0.5 * (n - 2)) * (1 + rare) * (2 if known else 1)
    kept: list[tuple[str, ...]] = []
    for gram in sorted(cands, key=lambda g: (-len(g), -cands[g])):
        n = len(gram)
        covered = any(
            len(k) > n
            and counts[k] >= 0.6 * counts[gram]
            and any(k[i : i + n] == gram for i in range(len(k) - n + 1))
            for k in kept
        )
        if not covered:
            kept.append(gram)
    kept.sort(key=lambda g: -cands[g])
    out: list[dict] = []
    for gram in kept[:10]:
        pattern = re.compile(r"(?<!\S)" + re.escape(" ".join(gram)) + r"(?!\S)")
        spans = [span(s, m) for s in sents for m in pattern.finditer(s.norm)]
        out.append({"text": display(gram), "count": counts[gram], "spans": spans})
    return out


def display(words: Iterable[str]) -> str:
    return " ".join("I" + w[1:] if w == "i" or w.startswith("i'") else w for w in words)


def name_words(toks: list[Token], sents: list[Sentence]) -> set[str]:
    """Words written capitalised mid-sentence most of the time (names), when the text has mixed case."""
    if sum(t.text.islower() for t in toks) < 0.5 * len(toks):
        return set()
    firsts = {s.lo for s in sents}
    caps: Counter[str] = Counter()
    seen: Counter[str] = Counter()
    for i, t in enumerate(toks):
        if i in firsts or t.norm == "i" or t.norm.startswith("i'") or not t.text[:1].isalpha():
            continue
        seen[t.norm] += 1
        caps[t.norm] += t.text[0].isupper()
    return {w for w, c in caps.items() if c >= 0.6 * seen[w]}


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
