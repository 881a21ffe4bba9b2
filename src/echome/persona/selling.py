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
GREETING_RE = _phrase_regex(sl.GREETINGS)
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
    return {
        "count": len(hits),
        "per_minute": ctx.per_min(len(hits)),
        "sentence_share": round(len(sentences) / n_sents, 3) if n_sents else 0.0,
        "phrases": [{"text": p, "count": c} for p, c in phrases.most_common(8)],
        "evidence": ctx.evidence((sp for _, sp, _ in hits), priority=lambda sp: per_sent[sent_of[sp]]),
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


def opening_or_closing(
    ctx: Ctx, sents: list[Sentence], recordings: list[tuple[int, int]], rx: re.Pattern[str], first: bool
) -> dict[str, Any] | None:
    """Greeting (first=True) or sign-off phrases found near the start or end of each recording; the
    most common combination wins."""
    rec_of = {seg: r for r, (lo, hi) in enumerate(recordings) for seg in range(lo, hi + 1)}
    by_rec: dict[int, list[Sentence]] = {}
    for s in sents:
        by_rec.setdefault(rec_of[ctx.toks[s.lo].seg], []).append(s)
    found: dict[str, list[tuple[int, int]]] = {}
    for inside in by_rec.values():
        window = inside[:2] if first else inside[-2:]
        matches = []
        for s in window:
            for m in rx.finditer(s.norm):
                lo, hi = span(s, m)
                if (lo - inside[0].lo < 12) if first else (inside[-1].hi - hi < 15):
                    matches.append((m.group(), (lo, hi)))
        if matches:
            text = ", ".join(dict.fromkeys(p for p, _ in matches))
            found.setdefault(text, []).append((matches[0][1][0], matches[-1][1][1]))
    if not found:
        return None
    text, spans = max(found.items(), key=lambda kv: (len(kv[1]), len(kv[0])))
    return {"text": display(text.split(" ")), "count": len(spans), "evidence": ctx.evidence(spans)}
