"""Evidence for the persona analyser's traits: rates per minute and example passages.

Evidence items are {start, end, text}: start/end narrowed to the matched words (a token span), text the
whole segment text; at most EVIDENCE_CAP per trait, one per segment, preferring segments of ordinary length.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

from echome.persona.lexicon import HESITATIONS
from echome.persona.style import Token
from echome.providers.base import Segment

EVIDENCE_CAP = 5
# A word of speech: a hyphenated backchannel ("mm-hmm", "uh-huh": one sound, a listener's response,
# not two fillers), an amount ("$49", "100%", "2.5") or letters with inner apostrophes ("don't").
TOKEN_RE = re.compile(
    r"(?i:\b(?:mm-hmm|uh-huh|uh-uh|mm-mm)\b)"
    r"|[$\u20ac\u00a3]?\d+(?:[.,]\d+)*%?(?![^\W_])|[^\W_]+(?:['\u2019][^\W_]+)*"
)
_SPELLINGS = {**HESITATIONS, "ok": "okay"}  # canonical filler spellings
SELLING_PHRASE_TRAITS = ("benefits", "features", "urgency", "social_proof", "storytelling", "call_to_action")


class Ctx:
    """Shared state: tokens, sentences and evidence building."""

    def __init__(self, segments: Sequence[Segment], toks: list[Token], minutes: float) -> None:
        self.segments, self.toks, self.minutes = segments, toks, minutes
        self.seg_len = Counter(t.seg for t in toks)

    def per_min(self, count: float) -> float:
        return round(count / self.minutes, 2) if self.minutes > 0 else 0.0

    def evidence(
        self, spans: Iterable[tuple[int, int]], cap: int = EVIDENCE_CAP, priority: Any = None
    ) -> list[dict[str, Any]]:
        """Up to `cap` examples in transcript order, one per segment: highest `priority(span)` first,
        then segments of ordinary length (5-25 words) over very short or very long ones."""
        best: dict[int, tuple[float, int, int, int]] = {}
        for lo, hi in spans:
            seg = self.toks[lo].seg
            n = self.seg_len[seg]
            key = (-(priority((lo, hi)) if priority else 0.0), max(0, n - 25) + 2 * max(0, 5 - n), lo, hi)
            if seg not in best or key < best[seg]:
                best[seg] = key
        chosen = sorted(sorted(best.values())[:cap], key=lambda k: k[2])
        out = []
        for _, _, lo, hi in chosen:
            a, b = self.toks[lo], self.toks[hi]
            text = " ".join((self.segments[s].text or "").strip() for s in range(a.seg, b.seg + 1))
            out.append({"start": round(a.start, 2), "end": round(max(a.end, b.end), 2), "text": text})
        return out


def _words(text: str) -> str:
    """Case-, punctuation- and filler-spelling-insensitive form of a text, padded for whole-word search."""
    words = (m.group().lower().replace("\u2019", "'") for m in TOKEN_RE.finditer(text or ""))
    return " " + " ".join(_SPELLINGS.get(w, w) for w in words) + " "


def _quoted(forms: list[str], quote: str, *, every: bool) -> bool:
    q = _words(quote)
    hits = [_words(f) in q for f in forms if _words(f).strip()]
    return bool(hits) and (all(hits) if every else any(hits))


def _phrase_traits(profile: dict[str, Any]) -> Iterable[tuple[str, str, list[str], bool, list[Any]]]:
    """(kind, label, forms, every form needed, evidence) for each trait the profile claims."""
    for kind in ("fillers", "catchphrases"):
        for t in profile.get(kind) or []:
            yield kind, t.get("text", ""), [t.get("text", "")], True, t.get("evidence") or []
    for t in (profile.get("vocabulary") or {}).get("signature_words") or []:
        yield "signature_words", t.get("text", ""), [t.get("text", "")], True, t.get("evidence") or []
    for kind in ("greeting", "sign_off"):
        t = profile.get(kind)
        if isinstance(t, dict):
            text = t.get("text", "")
            yield kind, text, text.split(", "), True, t.get("evidence") or []
    selling = profile.get("selling") or {}
    for kind in SELLING_PHRASE_TRAITS:
        t = selling.get(kind)
        if isinstance(t, dict) and t.get("count"):
            forms = [p.get("text", "") for p in t.get("phrases") or []]
            yield kind, ", ".join(forms), forms, False, t.get("evidence") or []


def evidence_precision(profile: dict[str, Any]) -> dict[str, Any]:
    """Whether each claimed phrase trait (fillers, catchphrases, signature words, greeting, sign-off,
    selling phrases) is quoted by its evidence: every quote must contain the trait (a greeting of several
    phrases: all of them; a selling category: one of its phrases), case-, punctuation- and filler-spelling-
    insensitively. A trait without evidence, or with a quote that lacks it, is a defect.
    Returns {traits, supported, precision (1.0 when there are no traits), defects: [{kind, text, quote}]}."""
    n = ok = 0
    defects: list[dict[str, str]] = []
    for kind, label, forms, every, evidence in _phrase_traits(profile):
        n += 1
        quotes = [e.get("text", "") if isinstance(e, dict) else str(e) for e in evidence]
        bad = [q for q in quotes if not _quoted(forms, q, every=every)]
        if quotes and not bad:
            ok += 1
        else:
            defects.append({"kind": kind, "text": label, "quote": bad[0] if bad else ""})
    return {"traits": n, "supported": ok, "precision": round(ok / n, 3) if n else 1.0, "defects": defects}
