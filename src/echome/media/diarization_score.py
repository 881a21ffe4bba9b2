"""Who-spoke-when against a reference: the diarization error rate (DER) and its parts.

Scored as in NIST's md-eval: every reference speaker's speaking time counts (two people talking at once
is two seconds of reference speech per second), a zone of `collar` seconds either side of every
reference turn boundary is left out of the score, and hypothesis speakers are mapped one-to-one onto
reference speakers so as to maximise the time they agree (the Hungarian method). In each stretch of time
with `n_ref` reference and `n_hyp` hypothesis speakers, of which `n_match` are mapped pairs both talking:

    missed = max(0, n_ref - n_hyp)    false alarm = max(0, n_hyp - n_ref)
    confusion = min(n_ref, n_hyp) - n_match

and DER = (missed + false alarm + confusion) / reference speech time. It can exceed 1.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy.optimize import linear_sum_assignment

__all__ = ["DiarizationScore", "Turn", "read_rttm", "score_diarization", "turns_of_segments"]


@dataclass(frozen=True)
class Turn:
    start: float
    end: float
    speaker: str


@dataclass
class DiarizationScore:
    reference_seconds: float  # scored reference speech, each speaker's time counted
    missed: float
    false_alarm: float
    confusion: float
    collar: float
    reference_speakers: list[str]  # most speech first
    hypothesis_speakers: list[str]  # most speech first
    mapping: dict[str, str] = field(default_factory=dict)  # hypothesis speaker -> reference speaker
    reference_dominant: str | None = None
    hypothesis_dominant: str | None = None

    @property
    def der(self) -> float:
        return self.error / self.reference_seconds if self.reference_seconds > 0 else 0.0

    @property
    def error(self) -> float:
        return self.missed + self.false_alarm + self.confusion

    @property
    def dominant_matches(self) -> bool:
        """The hypothesis's most-speaking speaker is mapped onto the reference's."""
        dom = self.hypothesis_dominant
        return dom is not None and self.mapping.get(dom) == self.reference_dominant

    def to_dict(self) -> dict[str, Any]:
        share = self.reference_seconds if self.reference_seconds > 0 else 1.0
        return {
            "der": round(self.der, 4),
            "reference_seconds": round(self.reference_seconds, 3),
            **{
                name: {"seconds": round(v, 3), "share": round(v / share, 4)}
                for name, v in (
                    ("missed", self.missed),
                    ("false_alarm", self.false_alarm),
                    ("confusion", self.confusion),
                )
            },
            "collar": self.collar,
            "speakers": {
                "reference": len(self.reference_speakers),
                "found": len(self.hypothesis_speakers),
            },
            "mapping": self.mapping,
            "dominant": {
                "reference": self.reference_dominant,
                "hypothesis": self.hypothesis_dominant,
                "matches": self.dominant_matches,
            },
        }


def read_rttm(text: str) -> list[Turn]:
    """SPEAKER lines of an RTTM file (start and duration in fields 4 and 5, the speaker in field 8)."""
    turns = []
    for n, line in enumerate(text.splitlines(), 1):
        parts = line.split()
        if not parts or parts[0] != "SPEAKER":
            continue
        if len(parts) < 8:
            raise ValueError(f"RTTM line {n}: expected at least 8 fields, got {len(parts)}")
        start, dur = float(parts[3]), float(parts[4])
        if dur < 0:
            raise ValueError(f"RTTM line {n}: negative duration")
        turns.append(Turn(start, start + dur, parts[7]))
    return turns


def turns_of_segments(segments: Iterable[Any]) -> list[Turn]:
    """Turns from labelled transcript segments (anything with .start, .end and .speaker)."""
    return [Turn(s.start, s.end, s.speaker or "?") for s in segments if s.end > s.start]


def score_diarization(
    reference: list[Turn], hypothesis: list[Turn], *, collar: float = 0.25
) -> DiarizationScore:
    ref, hyp = _by_speaker(reference), _by_speaker(hypothesis)
    ref_names, hyp_names = _ranked(ref), _ranked(hyp)

    # elementary intervals: between any two consecutive boundaries nobody starts or stops
    edges = {0.0}
    for spans in (*ref.values(), *hyp.values()):
        for a, b in spans:
            edges.update((a, b))
    no_score = _merge([(t - collar, t + collar) for spans in ref.values() for a, b in spans for t in (a, b)])
    for a, b in no_score:
        edges.update((max(0.0, a), b))
    t = np.array(sorted(edges))
    if t.size < 2:
        return DiarizationScore(0.0, 0.0, 0.0, 0.0, collar, ref_names, hyp_names)
    mid, width = (t[:-1] + t[1:]) / 2, np.diff(t)
    width = np.where(_active(no_score, mid), 0.0, width)

    r = np.stack([_active(ref[s], mid) for s in ref_names]) if ref_names else np.zeros((0, mid.size), bool)
    h = np.stack([_active(hyp[s], mid) for s in hyp_names]) if hyp_names else np.zeros((0, mid.size), bool)
    agree = (r[:, None, :] & h[None, :, :]).astype(float) @ width  # [ref, hyp] seconds both talk
    rows, cols = linear_sum_assignment(agree, maximize=True) if agree.size else ([], [])
    mapping = {hyp_names[c]: ref_names[r_] for r_, c in zip(rows, cols, strict=True) if agree[r_, c] > 0}

    n_ref, n_hyp = r.sum(axis=0), h.sum(axis=0)
    n_match = np.zeros(mid.size)
    for hyp_name, ref_name in mapping.items():
        n_match += r[ref_names.index(ref_name)] & h[hyp_names.index(hyp_name)]
    return DiarizationScore(
        reference_seconds=float(n_ref @ width),
        missed=float(np.maximum(0, n_ref - n_hyp) @ width),
        false_alarm=float(np.maximum(0, n_hyp - n_ref) @ width),
        confusion=float((np.minimum(n_ref, n_hyp) - n_match) @ width),
        collar=collar,
        reference_speakers=ref_names,
        hypothesis_speakers=hyp_names,
        mapping=mapping,
        reference_dominant=ref_names[0] if ref_names else None,
        hypothesis_dominant=hyp_names[0] if hyp_names else None,
    )


def _by_speaker(turns: list[Turn]) -> dict[str, list[tuple[float, float]]]:
    spans: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for turn in turns:
        if turn.end > turn.start:
            spans[turn.speaker].append((turn.start, turn.end))
    return {s: _merge(v) for s, v in spans.items()}


def _ranked(spans: dict[str, list[tuple[float, float]]]) -> list[str]:
    """Speakers by total speaking time (the whole recording, collar included), most first."""
    return sorted(spans, key=lambda s: (-sum(b - a for a, b in spans[s]), s))


def _merge(spans: list[tuple[float, float]]) -> list[tuple[float, float]]:
    out: list[tuple[float, float]] = []
    for a, b in sorted(spans):
        if out and a <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        else:
            out.append((a, b))
    return out


def _active(spans: list[tuple[float, float]], points: np.ndarray) -> np.ndarray:
    """Which points fall inside one of the (merged, sorted) spans."""
    if not spans:
        return np.zeros(points.size, dtype=bool)
    starts = np.array([a for a, _ in spans])
    ends = np.array([b for _, b in spans])
    i = np.searchsorted(starts, points, side="right") - 1
    return (i >= 0) & (points < ends[np.maximum(i, 0)])
