"""Pick clean stretches of one speaker's voice for cloning: whole same-speaker turns, trimmed away
from turn boundaries, without clipping, loudest (best signal-to-noise) first."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from echome.providers.base import Segment

EDGE = 0.15  # seconds trimmed at both ends, so no other voice bleeds in at a turn change


def _turns(segments: Sequence[Segment], speaker: str | None, join_gap: float) -> list[tuple[float, float]]:
    """Contiguous runs of `speaker` (segments closer than `join_gap` merge; any other voice splits)."""
    turns: list[tuple[float, float]] = []
    for seg in sorted(segments, key=lambda s: s.start):
        mine = speaker is None or seg.speaker == speaker
        if not mine:
            turns.append((-1.0, -1.0))  # a marker: the next stretch of ours starts a new turn
            continue
        if turns and turns[-1][0] >= 0 and seg.start - turns[-1][1] <= join_gap:
            turns[-1] = (turns[-1][0], max(turns[-1][1], seg.end))
        else:
            turns.append((seg.start, seg.end))
    return [t for t in turns if t[0] >= 0]


def select_voice_samples(
    wav: np.ndarray,
    sample_rate: int,
    segments: Sequence[Segment],
    speaker: str | None,
    *,
    min_seconds: float = 3.0,
    max_seconds: float = 15.0,
    max_total_seconds: float = 180.0,
    max_files: int = 25,
) -> list[tuple[float, float]]:
    """(start, end) spans in seconds, best first, within the caps."""
    duration = wav.size / sample_rate
    candidates: list[tuple[float, float, float]] = []
    for start, end in _turns(segments, speaker, join_gap=0.6):
        start, end = max(0.0, start + EDGE), min(duration, end - EDGE)
        t = start
        while end - t >= min_seconds:  # long turns give several samples
            stop = min(end, t + max_seconds)
            piece = wav[int(t * sample_rate) : int(stop * sample_rate)]
            if piece.size and float(np.mean(np.abs(piece) > 0.99)) < 0.001:  # no clipping
                rms = float(np.sqrt(np.mean(piece.astype(np.float64) ** 2)))
                if rms > 1e-3:  # not silence
                    candidates.append((rms, t, stop))
            t = stop
    candidates.sort(key=lambda c: -c[0])
    chosen: list[tuple[float, float]] = []
    total = 0.0
    for _, s, e in candidates:
        if len(chosen) >= max_files or total + (e - s) > max_total_seconds:
            continue
        chosen.append((round(s, 3), round(e, 3)))
        total += e - s
    return chosen
