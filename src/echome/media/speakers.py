"""Whose voice: tell the speakers of a recording apart, label every segment, pick the dominant one.

Speech is cut into windows of about 2 s (at word boundaries when the transcript has word timestamps, so
a turn change inside a segment can be found) and each window is embedded. Ward's tree over the window
vectors proposes 4, 3, 2 groups; the largest count whose groups are all well apart, measured against
the spread inside them (the embedder's `min_separation`), wins, else there is one speaker. Groups too
small to be a speaker are folded into the nearest big one, and a Viterbi pass over the windows in time
order removes one-window flips. Speakers are ranked by speaking time: "S1" is the dominant one, whose
speech feeds the voice and persona.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from itertools import pairwise
from typing import Any

import numpy as np
from scipy.cluster.hierarchy import fcluster, linkage

from echome.media.voice_samples import select_voice_samples
from echome.providers.base import Segment, SpeakerEmbedder, words_text

__all__ = ["SpeakerReport", "assign_speakers", "select_voice_samples"]

WINDOW = 2.0  # target seconds of speech per embedding
MAX_WINDOW = 3.0
MIN_WINDOW = 1.0  # shorter bits are too noisy to embed; they take the label of the speech around them
PROBE_STEP = 0.25  # seconds between the probes that place a turn change inside a segment
WORD_GAP = 0.8  # a pause this long between words closes a window (turns change at pauses)
# A group with less embedded speech than this is not a speaker: it is a window straddling a turn change,
# a laugh, a noise; its windows go to the nearest speaker.
MIN_SPEAKER_SECONDS = 4.0
SWITCH_PENALTY = 0.5  # in units of within-speaker spread; a one-window flip must gain twice this
# A third or fourth speaker must stand further apart: one voice split in two is the costly mistake
# (it can hand "dominant" to the other person), and a talker's own variation is what such splits find.
EXTRA_SPEAKER = 0.3
DEFAULT_SEPARATION = 1.0  # for embedders that do not state their own min_separation


@dataclass
class SpeakerReport:
    segments: list[Segment]  # copies with .speaker set; a segment where the speaker changes is split
    speakers: list[dict[str, Any]]  # [{"id": "S1", "seconds", "share", "segments"}], most speech first
    dominant: str | None
    # 0-1. Several speakers: share of the embedded speech clearly nearer its own speaker than any other.
    # One speaker: how far the best two-way split stays below the separation that makes two voices.
    confidence: float
    centroids: dict[str, list[float]] = field(default_factory=dict)  # speaker id -> mean embedding
    embedder: str = ""
    windows: int = 0  # how many speech windows were embedded

    def to_dict(self) -> dict[str, Any]:
        return {
            "dominant": self.dominant,
            "confidence": round(self.confidence, 3),
            "speakers": self.speakers,
            "centroids": self.centroids,
            "embedder": self.embedder,
            "windows": self.windows,
            "segments": [s.to_dict() for s in self.segments],
        }


@dataclass
class _Window:
    start: float
    end: float
    seg: int
    words: tuple[int, int] | None  # [lo, hi) into the segment's words
    usable: bool = True
    label: int = -1


def assign_speakers(
    wav: np.ndarray,
    sample_rate: int,
    segments: list[Segment],
    *,
    embedder: SpeakerEmbedder,
    max_speakers: int = 4,
    min_separation: float | None = None,
) -> SpeakerReport:
    """Label each segment "S1" (most speech), "S2", ...; `min_separation` overrides the embedder's."""
    name = getattr(embedder, "name", type(embedder).__name__)
    order = sorted(range(len(segments)), key=lambda i: (segments[i].start, segments[i].end))
    segs = [segments[i] for i in order]
    if not segs:
        return SpeakerReport([], [], None, 0.0, {}, name, 0)
    if min_separation is None:
        min_separation = getattr(embedder, "min_separation", DEFAULT_SEPARATION)
    min_sep = float(min_separation)

    windows = [w for i, s in enumerate(segs) for w in _windows(i, s)]
    total = wav.size / sample_rate
    pieces: list[np.ndarray] = []
    used: list[_Window] = []
    for w in windows:
        a, b = int(max(0.0, w.start) * sample_rate), int(min(total, w.end) * sample_rate)
        piece = wav[a:b]
        if not w.usable or piece.size < MIN_WINDOW * sample_rate * 0.9 or _rms(piece) < 1e-4:
            w.usable = False
            continue
        pieces.append(piece)
        used.append(w)

    if not used:  # nothing long enough to tell voices apart: one speaker, no confidence
        out = [replace(s, speaker="S1") for s in segs]
        return _report(out, {}, 0.0, name, 0)

    x = embed_stretches(embedder, pieces, sample_rate)
    x /= np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)
    seconds = np.array([w.end - w.start for w in used])
    labels, sep = _cluster(x, seconds, min_sep, max_speakers)
    labels = _fold_bridges(x, labels, used, seconds)
    if labels.max() > 0:
        labels = _smooth(_sqdist(x, _means(x, labels)) / _within(x, labels), labels)
    cost = _sqdist(x, _means(x, labels)) / _within(x, labels)
    confidence = _confidence(cost, labels, seconds, sep, min_sep)
    for w, lab in zip(used, labels, strict=True):
        w.label = int(lab)
    if labels.max() > 0:
        _place_turns(wav, sample_rate, segs, used, embedder, _pure_means(x, labels, used))
    _fill_unusable(windows)

    by_seg: dict[int, list[_Window]] = defaultdict(list)
    for w in windows:
        by_seg[w.seg].append(w)
    out: list[Segment] = []
    for i, s in enumerate(segs):
        out.extend(_label_segment(s, by_seg.get(i, [])))

    # rank clusters by speaking time: the most speech is S1
    time_by_label: dict[int, float] = defaultdict(float)
    for s in out:
        time_by_label[int(s.speaker or 0)] += max(0.0, s.end - s.start)
    ranked = sorted(time_by_label, key=lambda k: -time_by_label[k])
    ids = {k: f"S{r + 1}" for r, k in enumerate(ranked)}
    out = [replace(s, speaker=ids[int(s.speaker or 0)]) for s in out]
    means = _means(x, labels)
    cents = {ids[k]: _unit(means[k]) for k in ranked if k < len(means)}
    return _report(out, cents, confidence, name, len(used))


def embed_stretches(embedder: SpeakerEmbedder, pieces: Sequence[np.ndarray], rate: int) -> np.ndarray:
    """(len(pieces) x dim) float64: all at once where the embedder batches (`embed_many`), else in turn."""
    if not pieces:
        return np.zeros((0, int(getattr(embedder, "dim", 0))))
    many = getattr(embedder, "embed_many", None)
    if many is not None:
        return np.asarray(many(list(pieces), rate), dtype=np.float64).reshape(len(pieces), -1)
    return np.stack([np.asarray(embedder.embed(p, rate), dtype=np.float64) for p in pieces])


def _report(
    segs: list[Segment], cents: dict[str, list[float]], confidence: float, name: str, n: int
) -> SpeakerReport:
    seconds: dict[str, float] = defaultdict(float)
    count: dict[str, int] = defaultdict(int)
    for s in segs:
        seconds[s.speaker or "S1"] += max(0.0, s.end - s.start)
        count[s.speaker or "S1"] += 1
    total = sum(seconds.values()) or 1.0
    ids = sorted(seconds, key=lambda k: (-seconds[k], k))
    speakers = [
        {
            "id": k,
            "seconds": round(seconds[k], 2),
            "share": round(seconds[k] / total, 4),
            "segments": count[k],
        }
        for k in ids
    ]
    return SpeakerReport(segs, speakers, ids[0] if ids else None, confidence, cents, name, n)


def _windows(seg_index: int, seg: Segment) -> list[_Window]:
    words = seg.words
    if words and all(w.end >= w.start for w in words):
        out: list[_Window] = []
        lo = 0
        for i in range(1, len(words) + 1):
            if i < len(words):
                span = words[i].end - words[lo].start
                gap = words[i].start - words[i - 1].end
                if gap <= WORD_GAP and span <= MAX_WINDOW and words[i - 1].end - words[lo].start < WINDOW:
                    continue
            start, end = max(seg.start, words[lo].start), min(seg.end, words[i - 1].end)
            if end <= start:
                start, end = words[lo].start, words[i - 1].end
            out.append(_Window(start, end, seg_index, (lo, i), usable=end - start >= MIN_WINDOW))
            lo = i
        return out
    dur = seg.end - seg.start
    if dur <= 0:
        return [_Window(seg.start, seg.end, seg_index, None, usable=False)]
    n = max(1, round(dur / WINDOW))
    step = dur / n
    return [
        _Window(seg.start + k * step, seg.start + (k + 1) * step, seg_index, None, usable=step >= MIN_WINDOW)
        for k in range(n)
    ]


def _cluster(
    x: np.ndarray, seconds: np.ndarray, min_sep: float, max_speakers: int
) -> tuple[np.ndarray, float]:
    """Labels and the separation of the closest pair of speakers (or of the best rejected split).

    Ward's tree proposes k = max_speakers..2 groups; a k is accepted when every pair of groups is
    separated by at least `min_sep` (see _separation). Distances between means are judged against the
    spread inside the groups, so a channel or level shared by everyone in the recording does not matter.
    """
    n = x.shape[0]
    if n < 3:  # too little speech to judge: one speaker, and a separation that makes confidence 0
        return np.zeros(n, dtype=int), min_sep
    tree = linkage(x, method="ward")
    best_rejected = 0.0
    for k in range(min(max_speakers, n - 1), 1, -1):
        labels = fcluster(tree, t=k, criterion="maxclust") - 1
        labels = _refine(x, _fold_small(x, labels, seconds, k), seconds, k)
        if labels.max() == 0:
            continue
        sep = _separation(x, labels)
        if sep >= min_sep * (1.0 + EXTRA_SPEAKER * (k - 2)):
            return labels, sep
        if k == 2:
            best_rejected = max(best_rejected, sep)
    return np.zeros(n, dtype=int), best_rejected


def _refine(x: np.ndarray, labels: np.ndarray, seconds: np.ndarray, k: int) -> np.ndarray:
    """k-means steps from the tree's groups; a group that empties or shrinks below a speaker is gone."""
    for _ in range(8):
        means = _means(x, labels)
        new = np.argmin(_sqdist(x, means), axis=1)
        new = _fold_small(x, np.unique(new, return_inverse=True)[1], seconds, k)
        if np.array_equal(new, labels):
            break
        labels = new
    return labels


def _fold_small(x: np.ndarray, labels: np.ndarray, seconds: np.ndarray, max_speakers: int) -> np.ndarray:
    """Give the windows of groups too small to be a speaker (or past max_speakers) to the nearest big one."""
    k = int(labels.max()) + 1
    amount = np.bincount(labels, weights=seconds, minlength=k)
    big = [int(c) for c in np.argsort(-amount) if amount[c] >= MIN_SPEAKER_SECONDS][: max(1, max_speakers)]
    if not big:
        big = [int(np.argmax(amount))]
    keep = np.isin(labels, big)
    out = labels.copy()
    if (~keep).any():
        means = _means(x, labels)[big]
        out[~keep] = np.asarray(big)[np.argmin(_sqdist(x[~keep], means), axis=1)]
    return np.unique(out, return_inverse=True)[1]


def _fold_bridges(x: np.ndarray, labels: np.ndarray, used: list[_Window], seconds: np.ndarray) -> np.ndarray:
    """Drop a "speaker" made mostly of windows that sit between two other speakers (X in A X B).

    Such windows straddle a turn change and hold both voices; a neural embedder places that mixture
    away from either voice, so a few of them can pass for a third speaker.
    """
    if labels.max() < 2:
        return labels
    bridge = np.zeros(len(used), dtype=bool)
    for i in range(1, len(used) - 1):
        a, b, c = labels[i - 1], labels[i], labels[i + 1]
        close = used[i].start - used[i - 1].end < 1.0 and used[i + 1].start - used[i].end < 1.0
        bridge[i] = close and a != b and b != c and a != c
    out = labels.copy()
    for k in range(int(labels.max()) + 1):
        mine = labels == k
        if np.sum(seconds[mine & bridge]) < 0.5 * np.sum(seconds[mine]):
            continue
        others = [j for j in range(int(labels.max()) + 1) if j != k]
        means = _means(x, labels)[others]
        out[mine] = np.asarray(others)[np.argmin(_sqdist(x[mine], means), axis=1)]
    return np.unique(out, return_inverse=True)[1]


def _within(x: np.ndarray, labels: np.ndarray) -> float:
    """Pooled mean squared distance of a window to its group's mean."""
    means = _means(x, labels)
    k = means.shape[0]
    total = float(np.sum((x - means[labels]) ** 2))
    return max(total / max(x.shape[0] - k, 1), 1e-12)


def _separation(x: np.ndarray, labels: np.ndarray) -> float:
    """Smallest squared distance between two group means, in units of the spread inside the groups.

    The noise every mean carries (spread / size) is taken off, so small groups are not favoured.
    """
    means = _means(x, labels)
    counts = np.bincount(labels)
    w = _within(x, labels)
    k = means.shape[0]
    seps = [
        (float(np.sum((means[a] - means[b]) ** 2)) - w * (1 / counts[a] + 1 / counts[b])) / w
        for a in range(k)
        for b in range(a + 1, k)
    ]
    return min(seps) if seps else 0.0


def _means(x: np.ndarray, labels: np.ndarray) -> np.ndarray:
    k = int(labels.max()) + 1
    sums = np.zeros((k, x.shape[1]))
    np.add.at(sums, labels, x)
    return sums / np.maximum(np.bincount(labels, minlength=k), 1)[:, None]


def _sqdist(x: np.ndarray, means: np.ndarray) -> np.ndarray:
    return np.sum((x[:, None, :] - means[None, :, :]) ** 2, axis=2)


def _smooth(cost: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Viterbi in time order: `cost` is distance to each speaker, a change costs SWITCH_PENALTY."""
    n, k = cost.shape
    if k == 1 or n < 3:
        return labels
    score = -cost[0]
    back = np.zeros((n, k), dtype=int)
    for t in range(1, n):
        move = score.max() - SWITCH_PENALTY
        back[t] = np.where(score >= move, np.arange(k), int(np.argmax(score)))
        score = np.maximum(score, move) - cost[t]
    path = np.zeros(n, dtype=int)
    path[-1] = int(np.argmax(score))
    for t in range(n - 1, 0, -1):
        path[t - 1] = back[t, path[t]]
    return np.unique(path, return_inverse=True)[1]


def _confidence(
    cost: np.ndarray, labels: np.ndarray, seconds: np.ndarray, sep: float, min_sep: float
) -> float:
    """One speaker: how far the best split stays below min_sep. Several: share of windows clearly nearer
    their own speaker (by one unit of within-speaker spread) than any other."""
    if cost.shape[1] == 1:
        return float(np.clip(1.0 - sep / min_sep, 0.0, 1.0))
    own = cost[np.arange(len(labels)), labels]
    other = np.where(np.eye(cost.shape[1], dtype=bool)[labels], np.inf, cost).min(axis=1)
    clear = other - own >= 1.0
    return float(np.sum(seconds[clear]) / max(float(seconds.sum()), 1e-9))


def _pure_means(x: np.ndarray, labels: np.ndarray, used: list[_Window]) -> np.ndarray:
    """Speaker means without the windows next to a turn change inside a segment (they may hold both)."""
    means = _means(x, labels)
    mixed = np.zeros(len(used), dtype=bool)
    for i, (a, b) in enumerate(pairwise(used)):
        if a.seg == b.seg and a.label != b.label:
            mixed[i] = mixed[i + 1] = True
    for k in range(means.shape[0]):
        pure = (labels == k) & ~mixed
        if pure.any():
            means[k] = x[pure].mean(axis=0)
    return means


def _place_turns(
    wav: np.ndarray,
    rate: int,
    segs: list[Segment],
    used: list[_Window],
    embedder: SpeakerEmbedder,
    means: np.ndarray,
) -> None:
    """Where two neighbouring windows of one segment disagree, move their border to the word boundary
    that best fits "first speaker, then second" (a 2 s window may straddle the real change).

    The speech of both windows is probed with stretches of one length (the embedder's own window,
    `window_seconds`, at least MIN_WINDOW) every PROBE_STEP; the border goes where the probes centred
    before it lie nearest the first speaker and those after it the second. Embedding the two sides of
    each candidate border instead compares stretches of every length down to under a second, which
    an embedder that pads short input to its window (GE2E: 1.6 s) scores worse the shorter they are:
    that pulled borders a word or two away from the real change."""
    probe = max(MIN_WINDOW, float(getattr(embedder, "window_seconds", MIN_WINDOW)))
    for w1, w2 in pairwise(used):
        if w1.seg != w2.seg or w1.label == w2.label or w1.words is None or w2.words is None:
            continue
        if w1.words[1] != w2.words[0]:
            continue
        words = segs[w1.seg].words
        lo, hi = w1.words[0], w2.words[1]
        a, b = words[lo].start, words[hi - 1].end
        if hi - lo < 3 or b - a < probe + PROBE_STEP:
            continue
        starts = np.arange(a, b - probe + 1e-9, PROBE_STEP)
        pieces = [wav[int(t * rate) : int((t + probe) * rate)] for t in starts]
        v = embed_stretches(embedder, pieces, rate)
        v /= np.maximum(np.linalg.norm(v, axis=1, keepdims=True), 1e-12)
        centres = starts + probe / 2
        near_first = np.sum((v - means[w1.label]) ** 2, axis=1)
        near_second = np.sum((v - means[w2.label]) ** 2, axis=1)
        borders = list(range(lo + 1, hi))
        costs = [
            float(near_first[centres < cut].sum() + near_second[centres >= cut].sum())
            for cut in ((words[j - 1].end + words[j].start) / 2 for j in borders)
        ]
        best_j = borders[int(np.argmin(costs))]
        w1.words, w2.words = (lo, best_j), (best_j, hi)
        w1.end, w2.start = words[best_j - 1].end, words[best_j].start


def _fill_unusable(windows: list[_Window]) -> None:
    """Windows too short to embed take the label of the nearest labelled window of their segment. One
    that a pause closing windows (WORD_GAP) cuts off from the rest of its segment, but that runs on with
    no such pause into another segment's speech, takes that speech's label instead: a question's last
    word that the recogniser put at the start of the answer's segment goes with the question."""
    labelled = [w for w in windows if w.label >= 0]
    if not labelled:
        return

    def pause(a: _Window, b: _Window) -> float:
        return max(a.start - b.end, b.start - a.end, 0.0)

    for w in windows:
        if w.label >= 0:
            continue
        mid = (w.start + w.end) / 2
        joined = [o for o in labelled if pause(w, o) <= WORD_GAP]
        if joined and not any(o.seg == w.seg for o in joined):
            near = min(joined, key=lambda o: pause(w, o))
        else:
            near = min(labelled, key=lambda o: (o.seg != w.seg, abs((o.start + o.end) / 2 - mid)))
        w.label = near.label


def _label_segment(seg: Segment, windows: list[_Window]) -> list[Segment]:
    if not windows:
        return [replace(seg, speaker="0")]
    runs: list[list[_Window]] = []
    for w in sorted(windows, key=lambda w: w.start):
        if runs and runs[-1][-1].label == w.label:
            runs[-1].append(w)
        else:
            runs.append([w])
    if len(runs) == 1 or any(w.words is None for w in windows):
        amount: dict[int, float] = defaultdict(float)
        for w in windows:
            amount[w.label] += w.end - w.start
        return [replace(seg, speaker=str(max(amount, key=lambda k: amount[k])))]
    # the speaker changes inside the segment: split it at the word boundary
    out = []
    for r, run in enumerate(runs):
        lo, hi = run[0].words[0], run[-1].words[1]  # type: ignore[index]
        words = seg.words[lo:hi]
        start = seg.start if r == 0 else words[0].start
        end = seg.end if r == len(runs) - 1 else words[-1].end
        text = words_text(words)
        out.append(
            replace(seg, start=start, end=end, text=text, words=list(words), speaker=str(run[0].label))
        )
    return out


def _unit(v: np.ndarray) -> list[float]:
    return [round(float(a), 5) for a in v / max(float(np.linalg.norm(v)), 1e-12)]


def _rms(x: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(x, dtype=np.float64)))) if x.size else 0.0
