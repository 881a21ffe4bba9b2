"""Evidence for the persona analyser's traits: rates per minute and example passages.

Evidence items are {start, end, text}: start/end narrowed to the matched words (a token span), text the
whole segment text; at most EVIDENCE_CAP per trait, one per segment, preferring segments of ordinary length.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

from echome.persona.style import Token
from echome.providers.base import Segment

EVIDENCE_CAP = 5


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
