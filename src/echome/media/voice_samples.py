"""Pick the cleanest stretches of one speaker's speech for voice cloning (after echome.media.speakers)."""

from __future__ import annotations

from dataclasses import replace
from itertools import pairwise

import numpy as np

from echome.providers.base import Segment

RUN_GAP = 1.5  # a longer pause ends a stretch (music, a cut in the video, someone unheard)
GUARD = 0.3  # seconds kept away from another speaker's speech (overlap, breath, a word cut short)


def select_voice_samples(
    wav: np.ndarray,
    sample_rate: int,
    segments: list[Segment],
    speaker: str | None,
    *,
    min_seconds: float = 3.0,
    max_seconds: float = 15.0,
    max_total_seconds: float = 180.0,
    max_files: int = 25,
) -> list[tuple[float, float]]:
    """The cleanest stretches of one speaker for voice cloning, best first, as (start, end) seconds.

    A stretch is contiguous speech of `speaker` with no other voice inside it or within GUARD of it,
    cut at pauses or word boundaries into pieces of min_seconds..max_seconds. Pieces with clipping are
    left out; the rest are ranked by estimated signal-to-noise ratio, then length. `speaker=None` takes
    every segment as one voice (speakers not told apart).
    """
    segs = sorted((s for s in segments if s.end > s.start), key=lambda s: (s.start, s.end))
    if speaker is None:
        segs = [replace(s, speaker=None) for s in segs]
    total = wav.size / sample_rate
    others = [(s.start - GUARD, s.end + GUARD) for s in segs if s.speaker != speaker]
    runs: list[list[Segment]] = []
    last_other = -1.0
    for s in segs:
        if s.speaker != speaker:
            last_other = max(last_other, s.end)
            continue
        if runs and s.start - runs[-1][-1].end <= RUN_GAP and runs[-1][-1].end >= last_other:
            runs[-1].append(s)
        else:
            runs.append([s])

    pieces: list[tuple[float, float]] = []
    for run in runs:
        cuts = _cut_points(run)
        for a, b in _subtract(max(0.0, run[0].start), min(total, run[-1].end), others):
            pieces.extend(_split(wav, sample_rate, a, b, cuts, min_seconds, max_seconds))

    scored = []
    for a, b in pieces:
        quality = _quality(wav[int(a * sample_rate) : int(b * sample_rate)], sample_rate)
        if quality is not None:
            scored.append((quality + 0.3 * (b - a), a, b))
    scored.sort(key=lambda t: -t[0])
    chosen: list[tuple[float, float]] = []
    used = 0.0
    for _, a, b in scored:
        if len(chosen) >= max_files:
            break
        if used + (b - a) > max_total_seconds:  # a hard cap (ElevenLabs refuses more): a shorter one may fit
            continue
        chosen.append((round(a, 3), round(b, 3)))
        used += b - a
    return chosen


def _cut_points(run: list[Segment]) -> list[float]:
    """Where a stretch may be cut: pauses between segments, then between words."""
    points = [(x.end + y.start) / 2 for x, y in pairwise(run)]
    for s in run:
        points += [(x.end + y.start) / 2 for x, y in pairwise(s.words)]
    return sorted(points)


def _subtract(a: float, b: float, blocked: list[tuple[float, float]]) -> list[tuple[float, float]]:
    spans = [(a, b)]
    for lo, hi in blocked:
        if hi <= a or lo >= b:
            continue
        nxt = []
        for x, y in spans:
            if hi <= x or lo >= y:
                nxt.append((x, y))
                continue
            if lo > x:
                nxt.append((x, lo))
            if hi < y:
                nxt.append((hi, y))
        spans = nxt
    return spans


def _split(
    wav: np.ndarray, rate: int, a: float, b: float, cuts: list[float], shortest: float, longest: float
) -> list[tuple[float, float]]:
    out = []
    cur = a
    while b - cur > longest:
        ok = [c for c in cuts if cur + shortest <= c <= cur + longest]
        cut = max(ok) if ok else _quietest(wav, rate, cur + shortest, cur + longest)
        out.append((cur, cut))
        cur = cut
    out.append((cur, b))
    return [(x, y) for x, y in out if y - x >= shortest]


def _quietest(wav: np.ndarray, rate: int, a: float, b: float) -> float:
    """Middle of the quietest 50 ms in [a, b]: the least harmful place to cut speech with no timestamps."""
    hop = int(0.05 * rate)
    seg = wav[int(a * rate) : int(b * rate)]
    n = seg.size // hop
    if n < 2:
        return b
    energy = np.mean(np.square(seg[: n * hop].reshape(n, hop), dtype=np.float64), axis=1)
    return a + (int(np.argmin(energy)) + 0.5) * hop / rate


def _quality(x: np.ndarray, rate: int) -> float | None:
    """Estimated SNR in dB (pauses between words give the noise floor), None when clipped or silent."""
    if x.size < rate:
        return None
    if np.mean(np.abs(x) >= 0.99) > 0.0005:  # clipping distorts the voice and the clone copies it
        return None
    hop = int(0.02 * rate)
    n = x.size // hop
    energy = np.mean(np.square(x[: n * hop].reshape(n, hop), dtype=np.float64), axis=1)
    db = 10 * np.log10(energy + 1e-12)
    loud, floor = float(np.percentile(db, 90)), float(np.percentile(db, 10))
    if loud < -55:
        return None
    snr = min(loud - floor, 40.0)
    return snr - max(0.0, -35.0 - loud)  # very quiet speech: the clone gets the hiss after gain
