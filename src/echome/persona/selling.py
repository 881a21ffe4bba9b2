"""Selling language in one speaker's sentences: questions to the listener, benefit, feature, urgency,
social-proof, storytelling and call-to-action phrases, the selling approach they add up to, and the
greeting and sign-off. The profile layout and the approach thresholds are in `analyse.py`'s docstring;
the phrase lists are in `selling_lexicon.py`.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from typing import Any

from echome.persona import lexicon as lx
from echome.persona import selling_lexicon as sl
from echome.persona.style import Sentence, display, span
from echome.persona.trait_evidence import EVIDENCE_CAP, Ctx


def _phrase_regex(phrases: Iterable[str], *extra: str) -> re.Pattern[str]:
    """Whole-word match of any phrase (longest first) in a normalised sentence; `extra` are raw regexes."""
    alts = [re.escape(a) for a in sorted({p.replace("-", " ") for p in phrases}, key=len, reverse=True)]
    return re.compile(r"(?<!\S)(?:" + "|".join([*alts, *extra]) + r")(?!\S)")


_UNIT_RE = (
    r"(?:[$\u20ac\u00a3]\d\S*|\d[\d.,]*%"
    + r"|(?:\d[\d.,]*|"
    + "|".join(sorted(sl.NUMBER_WORDS))
    + r") ?(?:"
    + "|".join(re.escape(u) for u in sorted(sl.UNITS, key=len, reverse=True))
    + "))"
)
_CATEGORIES = {
    "benefits": _phrase_regex(sl.BENEFIT),
    "features": _phrase_regex(sl.FEATURE, _UNIT_RE),
    "urgency": _phrase_regex(sl.URGENCY),
    "social_proof": _phrase_regex(sl.SOCIAL_PROOF),
    "storytelling": _phrase_regex(sl.STORYTELLING),
    "call_to_action": _phrase_regex(sl.CALL_TO_ACTION),
}
_LEAD_IN = re.compile(r"^(?:(?:so|um|uh|and|but|okay|ok|now|well|like|guys) )+")
GREETING_RE = _phrase_regex(sl.GREETINGS, *sl.GREETING_PATTERNS)
SIGN_OFF_RE = _phrase_regex(sl.SIGN_OFFS)


def is_question(s: Sentence) -> bool:
    if s.punctuated:
        return s.end == "?"
    text = _LEAD_IN.sub("", s.norm)
    return any(text == o or text.startswith(o + " ") for o in lx.QUESTION_OPENERS)


def _listener_question(s: Sentence) -> bool:
    words = set(s.norm.split(" "))
    return bool(words & lx.YOU_WORDS) or (" " + s.norm).endswith(
        tuple(" " + t for t in lx.TAG_QUESTION_ENDINGS)
    )


def _trait(ctx: Ctx, hits: list[tuple[Sentence, tuple[int, int], str]], n_sents: int) -> dict[str, Any]:
    phrases = Counter(p for _, _, p in hits)
    sentences = {s.lo for s, _, _ in hits}
    sent_of = {sp: s.lo for s, sp, _ in hits}
    per_sent = Counter(s.lo for s, _, _ in hits)  # clearest examples: sentences with the most hits
    top = phrases.most_common(8)
    listed = {p for p, _ in top}  # evidence quotes one of the listed phrases
    return {
        "count": len(hits),
        "per_minute": ctx.per_min(len(hits)),
        "sentence_share": round(len(sentences) / n_sents, 3) if n_sents else 0.0,
        "phrases": [{"text": p, "count": c} for p, c in top],
        "evidence": ctx.evidence(
            (sp for _, sp, p in hits if p in listed), priority=lambda sp: per_sent[sent_of[sp]]
        ),
    }


def selling_traits(ctx: Ctx, sents: list[Sentence]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    questions = [s for s in sents if is_question(s) and _listener_question(s)]
    q = _trait(ctx, [(s, (s.lo, s.hi), "question") for s in questions], len(sents))
    q.pop("phrases")
    q["examples"] = [s.text for s in questions[:EVIDENCE_CAP]]
    out["listener_questions"] = q
    for name, rx in _CATEGORIES.items():
        hits = [(s, span(s, m), m.group()) for s in sents for m in rx.finditer(s.norm)]
        out[name] = _trait(ctx, hits, len(sents))
    out["approach"] = _approach(out)
    return out


def _approach(t: dict[str, Any]) -> list[str]:
    def strong(name: str, share: float = 0.03) -> bool:
        return t[name]["count"] >= 2 and t[name]["sentence_share"] >= share

    labels = []
    if strong("listener_questions", 0.08):
        labels.append("consultative")
    b, f = t["benefits"]["count"], t["features"]["count"]
    if b >= 2 and b >= 1.5 * f and strong("benefits"):
        labels.append("benefit-led")
    elif f >= 2 and f >= 1.5 * b and strong("features"):
        labels.append("feature-led")
    elif b >= 2 and f >= 2:
        labels.append("benefits-and-features")
    for name, label, share in (
        ("urgency", "urgency", 0.03),
        ("social_proof", "social-proof", 0.03),
        ("storytelling", "storyteller", 0.08),
        ("call_to_action", "call-to-action", 0.03),
    ):
        if strong(name, share):
            labels.append(label)
    return labels


OPENING_SECONDS = 20.0  # how far into (or before the end of) a recording openings and closings are looked for


def opening_or_closing(
    ctx: Ctx,
    sents: list[Sentence],
    recordings: list[tuple[int, int]],
    rx: re.Pattern[str],
    first: bool,
    *,
    min_recordings: int = 1,
) -> dict[str, Any] | None:
    """Greeting (first=True) or sign-off: phrases of `rx` said within OPENING_SECONDS of the first (last)
    word of a recording. The phrase used in most recordings wins (at least `min_recordings`), joined by the
    phrases said alongside it in every one of those recordings, in spoken order; count = those recordings."""
    rec_of = {seg: r for r, (lo, hi) in enumerate(recordings) for seg in range(lo, hi + 1)}
    by_rec: dict[int, list[Sentence]] = {}
    for s in sents:
        by_rec.setdefault(rec_of[ctx.toks[s.lo].seg], []).append(s)
    found: dict[str, dict[int, tuple[int, int]]] = {}  # phrase -> recording -> span
    for r, inside in by_rec.items():
        t0, t1 = ctx.toks[inside[0].lo].start, max(ctx.toks[s.hi].end for s in inside)
        for s in inside:
            for m in rx.finditer(s.norm):
                lo, hi = span(s, m)
                near = ctx.toks[lo].start - t0 if first else t1 - ctx.toks[hi].end
                if near <= OPENING_SECONDS:
                    spans = found.setdefault(m.group(), {})
                    if first:
                        spans.setdefault(r, (lo, hi))
                    else:
                        spans[r] = (lo, hi)
    if not found:
        return None
    best = max(found, key=lambda p: (len(found[p]), len(p)))
    recs = set(found[best])
    if len(recs) < min_recordings:
        return None
    chosen = [p for p, spans in found.items() if recs <= set(spans)]
    first_rec = min(recs)
    chosen.sort(key=lambda p: found[p][first_rec][0])
    spans = [(min(found[p][r][0] for p in chosen), max(found[p][r][1] for p in chosen)) for r in sorted(recs)]
    text = ", ".join(chosen)
    return {"text": display(text.split(" ")), "count": len(recs), "evidence": ctx.evidence(spans)}
