"""Whose voice, on real speech: LibriSpeech test-other readers (shared/eval/speech/speakers) interleaved
into conversations. Runs with both torch-free embedders (GE2E in numpy, the default where its weights are
installed, and the MFCC fingerprint), and with Resemblyzer where torch is installed."""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache
from itertools import pairwise
from pathlib import Path

import numpy as np
import pytest

from echome.media.audio import load_audio
from echome.media.speakers import assign_speakers, select_voice_samples
from echome.providers.base import Segment, SpeakerEmbedder, Word
from echome.providers.speaker_mfcc import MfccSpeakerEmbedder

from ..support.speakers import ge2e_embedder

SPEECH = Path(__file__).resolve().parents[2].parent / "shared" / "eval" / "speech"
SPEAKERS = SPEECH / "speakers"
SR = 16_000
PATTERN = "ABAABAABA"  # A: 6 clips, B: 3, alternating turns

pytestmark = pytest.mark.skipif(not SPEAKERS.is_dir(), reason=f"no evaluation speech at {SPEAKERS}")


@cache
def clips(speaker: str) -> tuple[np.ndarray, ...]:
    return tuple(load_audio(p) for p in sorted((SPEAKERS / speaker).glob("*.flac")))


@cache
def sexes() -> dict[str, str]:
    out = {}
    for line in (SPEAKERS / "SPEAKERS.TXT").read_text().splitlines():
        parts = [p.strip() for p in line.split("|")]
        if not line.startswith(";") and len(parts) >= 2 and (SPEAKERS / parts[0]).is_dir():
            out[parts[0]] = parts[1]
    return out


@pytest.fixture(scope="module", params=["mfcc", "ge2e", "resemblyzer"])
def embedder(request: pytest.FixtureRequest) -> Iterator[SpeakerEmbedder]:
    if request.param == "mfcc":
        yield MfccSpeakerEmbedder()
        return
    if request.param == "ge2e":
        yield ge2e_embedder()
        return
    pytest.importorskip("torch")
    pytest.importorskip("resemblyzer")
    from echome.providers.speaker_resemblyzer import ResemblyzerSpeakerEmbedder

    yield ResemblyzerSpeakerEmbedder()


def conversation(a: str, b: str, *, split: str = "clips"):
    """A's and B's clips in turns with short pauses.

    split="clips": one segment per clip; "pieces": each clip cut in ~4 s segments (no word times);
    "words": made-up word times every 0.35 s, and each B turn shares one segment with the A turn after it.
    Returns (wav, segments, truth) where truth lists (start, end, speaker) per clip.
    """
    rng = np.random.default_rng(7)
    it = {a: iter(clips(a)[:6]), b: iter(clips(b)[:3])}
    parts, truth, t = [], [], 0.0
    for c in PATTERN:
        who = a if c == "A" else b
        gap = np.zeros(int(rng.uniform(0.3, 0.7) * SR), np.float32)
        clip = next(it[who])
        parts += [gap, clip]
        start = t + gap.size / SR
        t = start + clip.size / SR
        truth.append((start, t, who))
    segments: list[Segment] = []
    if split == "clips":
        segments = [Segment(s, e, who) for s, e, who in truth]
    elif split == "pieces":
        for s, e, who in truth:
            edges = np.linspace(s, e, max(1, int((e - s) // 4)) + 1)
            segments += [Segment(x, y, who) for x, y in pairwise(edges)]
    else:
        turns = [
            [Word(x, min(x + 0.3, e), f" {who}") for x in np.arange(s, e - 0.2, 0.35)] for s, e, who in truth
        ]
        i = 0
        while i < len(turns):
            words = turns[i] + (turns[i + 1] if PATTERN[i] == "B" and i + 1 < len(turns) else [])
            segments.append(Segment(words[0].start, words[-1].end, "", words=words))
            i += 2 if PATTERN[i] == "B" and i + 1 < len(turns) else 1
    return np.concatenate(parts), segments, truth


def truth_at(truth: list[tuple[float, float, str]], t: float) -> str | None:
    near = min(truth, key=lambda r: 0.0 if r[0] <= t <= r[1] else min(abs(t - r[0]), abs(t - r[1])))
    return near[2]


def accuracy(segments: list[Segment], truth: list[tuple[float, float, str]], a: str) -> float:
    """Share of the labelled time where S1 means A and anything else means not-A (per 0.1 s)."""
    right = total = 0
    for s in segments:
        for t in np.arange(s.start, s.end, 0.1):
            total += 1
            right += (truth_at(truth, t) == a) == (s.speaker == "S1")
    return right / max(total, 1)


PAIRS = [
    ("1688", "1998"),  # male + female
    ("3080", "2414"),  # female + male
    ("2033", "2414"),  # two men: the hard case
    ("1998", "3080"),  # two women
    ("367", "1998"),  # two women
]


@pytest.mark.parametrize(("a", "b"), PAIRS)
def test_dominant_speaker_and_segment_labels(embedder: SpeakerEmbedder, a: str, b: str) -> None:
    wav, segments, truth = conversation(a, b)
    report = assign_speakers(wav, SR, segments, embedder=embedder)
    labels = [s.speaker for s in report.segments]
    expected = ["S1" if who == a else "S2" for _, _, who in truth]
    print(f"{embedder.name} {a}+{b} ({sexes()[a]}{sexes()[b]}): {labels} conf={report.confidence:.2f}")
    assert report.dominant == "S1" and len(report.speakers) == 2
    assert labels == expected
    assert report.speakers[0]["share"] > 0.55


@pytest.mark.parametrize("split", ["pieces", "words"])
@pytest.mark.parametrize(("a", "b"), [PAIRS[0], PAIRS[2]])
def test_labels_when_segments_do_not_follow_turns(
    embedder: SpeakerEmbedder, split: str, a: str, b: str
) -> None:
    wav, segments, truth = conversation(a, b, split=split)
    report = assign_speakers(wav, SR, segments, embedder=embedder)
    acc = accuracy(report.segments, truth, a)
    print(f"{embedder.name} {a}+{b} {split}: accuracy {acc:.3f}, {len(report.segments)} segments")
    assert report.dominant == "S1" and len(report.speakers) == 2
    assert acc >= 0.95
    if split == "words":  # every B turn was glued to the next A turn: the segments must have been split
        assert len(report.segments) == len(truth)


def test_same_sex_pairs_are_told_apart(embedder: SpeakerEmbedder) -> None:
    by_sex: dict[str, list[str]] = {}
    for spk, sex in sexes().items():
        by_sex.setdefault(sex, []).append(spk)
    results = []
    for group in by_sex.values():
        for i, a in enumerate(group):
            for b in group[i + 1 :]:
                wav, segments, truth = conversation(a, b)
                report = assign_speakers(wav, SR, segments, embedder=embedder)
                results.append((a, b, report.dominant, accuracy(report.segments, truth, a)))
    print(embedder.name, results)
    assert len(results) == 6
    assert all(r[2] == "S1" for r in results)
    assert np.mean([r[3] for r in results]) >= 0.95


@pytest.mark.parametrize("speaker", ["1688", "1998", "2033", "2414", "3080", "367"])
def test_one_voice_is_one_speaker(embedder: SpeakerEmbedder, speaker: str) -> None:
    parts, segments, t = [], [], 0.0
    for clip in clips(speaker):
        parts += [clip, np.zeros(int(0.5 * SR), np.float32)]
        segments.append(Segment(t, t + clip.size / SR, speaker))
        t += clip.size / SR + 0.5
    report = assign_speakers(np.concatenate(parts), SR, segments, embedder=embedder)
    assert [s["id"] for s in report.speakers] == ["S1"]
    assert {s.speaker for s in report.segments} == {"S1"}


def test_voice_samples_come_from_the_dominant_speaker_only(embedder: SpeakerEmbedder) -> None:
    a, b = PAIRS[2]
    wav, segments, truth = conversation(a, b)
    report = assign_speakers(wav, SR, segments, embedder=embedder)
    chosen = select_voice_samples(wav, SR, report.segments, report.dominant or "S1")
    assert len(chosen) >= 4
    b_spans = [(s, e) for s, e, who in truth if who == b]
    for start, end in chosen:
        assert 3.0 <= end - start <= 15.0 + 1e-6
        assert all(end <= s or start >= e for s, e in b_spans), (start, end)  # no B inside
        assert truth_at(truth, start + 0.5) == a and truth_at(truth, end - 0.5) == a
