"""Pick the cleanest stretches of one speaker's speech for voice cloning (after echome.media.speakers).

Two sets of rules: STRICT (the first choice: stretches of 3 s or more, no other voice within 0.3 s, no
clipping) and RELAXED, the best available speech when a recording has no clean stretch (interviews,
lives with music and crosstalk): pieces from 1.5 s, kept only 0.1 s away from another voice, a little
clipping tolerated. Both rank pieces by the same estimated signal-to-noise ratio.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from itertools import pairwise

import numpy as np

from echome.providers.base import Segment

RUN_GAP = 1.5  # a longer pause ends a stretch (music, a cut in the video, someone unheard)
GUARD = 0.3  # seconds kept away from another speaker's speech (overlap, breath, a word cut short)
FULL_SCALE = 0.99  # a sample this loud is taken as clipped


@dataclass(frozen=True)
class SampleRules:
    min_seconds: float  # shortest piece taken
    guard: float  # seconds kept away from another speaker's speech
    max_clipped: float  # share of a piece's samples that may sit at full scale
    # Score taken off (in dB of estimated SNR) for a piece that needed a relaxed rule, so a clean piece
    # of the same quality is preferred.
    compromise_penalty: float = 0.0


STRICT = SampleRules(min_seconds=3.0, guard=GUARD, max_clipped=0.0005)
RELAXED = SampleRules(min_seconds=1.5, guard=0.1, max_clipped=0.005, compromise_penalty=5.0)


@dataclass(frozen=True)
class VoicePiece:
    """One chosen stretch, with what a seller should know about it."""

    start: float
    end: float
    snr_db: float  # estimated signal-to-noise ratio (quiet speech is marked down)
    clipped: bool  # holds more full-scale samples than the strict rules allow
    near_other: bool  # another speaker talks within GUARD of it

    @property
    def seconds(self) -> float:
        return self.end - self.start


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
    pieces = voice_pieces(
        wav,
        sample_rate,
        segments,
        speaker,
        rules=replace(STRICT, min_seconds=min_seconds),
        max_seconds=max_seconds,
        max_total_seconds=max_total_seconds,
        max_files=max_files,
    )
    return [(p.start, p.end) for p in pieces]


def voice_pieces(
    wav: np.ndarray,
    sample_rate: int,
    segments: list[Segment],
    speaker: str | None,
    *,
    rules: SampleRules = STRICT,
    max_seconds: float = 15.0,
    max_total_seconds: float = 180.0,
    max_files: int = 25,
) -> list[VoicePiece]:
    """Stretches of `speaker` under `rules`, best first (see select_voice_samples), with their quality.

    Another speaker's speech itself is never inside a piece, whatever the rules; `rules.guard` is the
    margin kept around it.
    """
    segs = sorted((s for s in segments if s.end > s.start), key=lambda s: (s.start, s.end))
    if speaker is None:
        segs = [replace(s, speaker=None) for s in segs]
    total = wav.size / sample_rate
    other_speech = [(s.start, s.end) for s in segs if s.speaker != speaker]
    others = [(a - rules.guard, b + rules.guard) for a, b in other_speech]
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

    spans: list[tuple[float, float]] = []
    for run in runs:
        cuts = _cut_points(run)
        for a, b in _subtract(max(0.0, run[0].start), min(total, run[-1].end), others):
            spans.extend(_split(wav, sample_rate, a, b, cuts, rules.min_seconds, max_seconds))

    scored: list[tuple[float, VoicePiece]] = []
    for a, b in spans:
        x = wav[int(a * sample_rate) : int(b * sample_rate)]
        clipped = _clipped_share(x)
        if clipped > rules.max_clipped:  # clipping distorts the voice and the clone copies it
            continue
        snr = _quality(x, sample_rate)
        if snr is None:
            continue
        piece = VoicePiece(
            start=round(a, 3),
            end=round(b, 3),
            snr_db=round(snr, 1),
            clipped=clipped > STRICT.max_clipped,
            near_other=any(lo - GUARD < b and hi + GUARD > a for lo, hi in other_speech),
        )
        penalty = rules.compromise_penalty * (piece.clipped + piece.near_other + (b - a < STRICT.min_seconds))
        scored.append((snr + 0.3 * (b - a) - penalty, piece))
    scored.sort(key=lambda t: -t[0])
    chosen: list[VoicePiece] = []
    used = 0.0
    for _, piece in scored:
        if len(chosen) >= max_files:
            break
        if used + piece.seconds > max_total_seconds:  # a hard cap (ElevenLabs refuses more)
            continue  # a shorter one may fit
        chosen.append(piece)
        used += piece.seconds
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


def _clipped_share(x: np.ndarray) -> float:
    return float(np.mean(np.abs(x) >= FULL_SCALE)) if x.size else 0.0


def _quality(x: np.ndarray, rate: int) -> float | None:
    """Estimated SNR in dB (pauses between words give the noise floor), None when silent or too short."""
    if x.size < rate:
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
