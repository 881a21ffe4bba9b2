"""Speaker labelling on synthetic audio (fast). Real speech: tests/integration/test_speakers_real.py."""

from __future__ import annotations

import sys
from itertools import pairwise

import numpy as np
import pytest

from echome.media.speakers import SpeakerReport, assign_speakers, select_voice_samples
from echome.media.voice_samples import GUARD
from echome.providers.base import MissingDependency, Segment, SpeakerEmbedder, Word
from echome.providers.speaker_mfcc import MfccSpeakerEmbedder

SR = 16_000
TONES = {"A": 220.0, "B": 330.0, "C": 495.0}


class ToneEmbedder:
    """Stands in for a voice model: the 'voice' is the pitch of a tone, heard through noise."""

    name = "tone"
    dim = 24

    def embed(self, wav: np.ndarray, sample_rate: int) -> np.ndarray:
        spec = np.abs(np.fft.rfft(wav * np.hanning(wav.size)))
        freqs = np.fft.rfftfreq(wav.size, 1 / sample_rate)
        edges = np.linspace(150, 750, self.dim + 1)
        vec = np.array([spec[(freqs >= a) & (freqs < b)].sum() for a, b in pairwise(edges)])
        vec = np.log1p(vec)
        return (vec / np.linalg.norm(vec)).astype(np.float32)


def tone(who: str, seconds: float, seed: int, level: float = 0.3, noise: float = 0.02) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * SR)) / SR
    x = level * np.sin(2 * np.pi * TONES[who] * t) + noise * rng.standard_normal(t.size)
    return x.astype(np.float32)


def conversation(turns: list[tuple[str, float]], gap: float = 0.5, seed: int = 0):
    """Audio and one segment per turn; returns (wav, segments, truth)."""
    parts, segs, truth, t = [], [], [], 0.0
    for i, (who, secs) in enumerate(turns):
        parts.append(tone(who, secs, seed + i))
        segs.append(Segment(t, t + secs, f"turn {i}"))
        truth.append(who)
        t += secs
        parts.append(np.zeros(int(gap * SR), np.float32))
        t += gap
    return np.concatenate(parts), segs, truth


def test_fake_embedder_satisfies_protocol() -> None:
    assert isinstance(ToneEmbedder(), SpeakerEmbedder)
    assert isinstance(MfccSpeakerEmbedder(), SpeakerEmbedder)


def test_two_speakers_dominant_first_and_every_segment_labelled() -> None:
    turns = [("A", 6), ("B", 4), ("A", 5), ("A", 6), ("B", 4), ("A", 5), ("A", 4), ("B", 3), ("A", 6)]
    wav, segs, truth = conversation(turns)
    report = assign_speakers(wav, SR, segs, embedder=ToneEmbedder())
    assert isinstance(report, SpeakerReport)
    assert report.dominant == "S1"
    assert [s.speaker for s in report.segments] == ["S1" if w == "A" else "S2" for w in truth]
    ids = [s["id"] for s in report.speakers]
    assert ids == ["S1", "S2"]
    s1, s2 = report.speakers
    assert s1["seconds"] == pytest.approx(32) and s2["seconds"] == pytest.approx(11)
    assert s1["share"] == pytest.approx(32 / 43, abs=1e-3) and s1["segments"] == 6 and s2["segments"] == 3
    assert set(report.centroids) == {"S1", "S2"} and len(report.centroids["S1"]) == ToneEmbedder.dim
    assert report.confidence > 0.8
    assert report.embedder == "tone" and report.windows > 9
    assert all(s.speaker is None for s in segs), "the caller's segments are left as they were"
    d = report.to_dict()
    assert d["dominant"] == "S1" and d["segments"][1]["speaker"] == "S2"


def test_the_minority_speaker_first_in_time_is_still_s2() -> None:
    wav, segs, _ = conversation([("B", 5), ("A", 8), ("B", 4), ("A", 9)])
    report = assign_speakers(wav, SR, list(reversed(segs)), embedder=ToneEmbedder())
    assert [s.speaker for s in report.segments] == ["S2", "S1", "S2", "S1"]  # returned in time order


def test_single_voice_is_one_speaker() -> None:
    wav, segs, _ = conversation([("A", 7)] * 12)
    report = assign_speakers(wav, SR, segs, embedder=ToneEmbedder())
    assert [s["id"] for s in report.speakers] == ["S1"]
    assert {s.speaker for s in report.segments} == {"S1"}
    assert 0.0 <= report.confidence <= 1.0


def test_max_speakers_caps_the_count() -> None:
    turns = [("A", 8), ("B", 6), ("C", 6), ("A", 8), ("B", 6), ("C", 6)]
    wav, segs, _ = conversation(turns)
    three = assign_speakers(wav, SR, segs, embedder=ToneEmbedder())
    assert len(three.speakers) == 3
    assert [s.speaker for s in three.segments][:3] == ["S1", "S2", "S3"]
    two = assign_speakers(wav, SR, segs, embedder=ToneEmbedder(), max_speakers=2)
    assert len(two.speakers) == 2


def test_speaker_change_inside_a_segment_splits_it_at_a_word() -> None:
    wav, segs, _ = conversation([("A", 10), ("B", 4), ("A", 6)], gap=0.0)
    # one transcript segment over B then A, with words every 0.5 s
    words = [Word(10 + i * 0.5, 10 + i * 0.5 + 0.45, f" w{i}") for i in range(20)]
    merged = Segment(10.0, 20.0, "".join(w.text for w in words).strip(), words=words)
    report = assign_speakers(wav, SR, [segs[0], merged], embedder=ToneEmbedder())
    labels = [(round(s.start, 2), round(s.end, 2), s.speaker) for s in report.segments]
    assert labels == [(0.0, 10.0, "S1"), (10.0, 13.95, "S2"), (14.0, 20.0, "S1")]
    assert report.segments[1].text == "w0 w1 w2 w3 w4 w5 w6 w7"
    assert report.segments[2].words[0].text == " w8"


def test_a_last_word_put_in_the_next_speakers_segment_stays_with_its_speaker() -> None:
    # A talks 0-10 s, B 11.2-17.2 s, A again from 18.4 s. As a recogniser may cut it: A's last word
    # (9.5-10.0 s, too short to embed) opens the segment of B's answer, 1.2 s before B's first word.
    wav, segs, _ = conversation([("A", 10), ("B", 6), ("A", 8)], gap=1.2)

    def words(start: float, end: float) -> list[Word]:
        return [Word(t, t + 0.3, " w") for t in np.arange(start, end - 0.3, 0.35)]

    first = Segment(0.0, 9.45, "a", words=words(0.0, 9.45))
    last_word = Word(9.5, 10.0, " over")
    answer = Segment(9.5, 17.2, "b", words=[last_word, *words(11.2, 17.2)])
    report = assign_speakers(wav, SR, [first, answer, segs[2]], embedder=ToneEmbedder())
    labels = [(round(s.start, 2), round(s.end, 2), s.speaker) for s in report.segments]
    assert labels[:3] == [(0.0, 9.45, "S1"), (9.5, 10.0, "S1"), (11.2, 17.2, "S2")]
    assert report.segments[1].text == "over"


def test_segment_without_words_takes_the_majority_speaker() -> None:
    wav, _, _ = conversation([("A", 9), ("B", 3)], gap=0.0)
    report = assign_speakers(wav, SR, [Segment(0.0, 12.0, "all of it")], embedder=ToneEmbedder())
    assert len(report.segments) == 1 and report.segments[0].speaker == "S1"


def test_short_bits_take_the_label_of_the_speech_around_them() -> None:
    wav, segs, _ = conversation([("A", 8), ("B", 6), ("A", 8)])
    short = Segment(segs[1].start + 2.0, segs[1].start + 2.4, "yes")
    report = assign_speakers(wav, SR, [*segs, short], embedder=ToneEmbedder())
    assert [s.speaker for s in report.segments] == ["S1", "S2", "S2", "S1"]


def test_nothing_to_embed() -> None:
    empty = assign_speakers(np.zeros(SR, np.float32), SR, [], embedder=ToneEmbedder())
    assert empty.dominant is None and empty.speakers == [] and empty.segments == []
    silent = assign_speakers(
        np.zeros(5 * SR, np.float32), SR, [Segment(0, 2, "a"), Segment(2.5, 4, "b")], embedder=ToneEmbedder()
    )
    assert {s.speaker for s in silent.segments} == {"S1"} and silent.dominant == "S1"
    assert silent.confidence == 0.0 and silent.windows == 0
    wav, segs, _ = conversation([("A", 1.5)])
    one = assign_speakers(wav, SR, segs, embedder=ToneEmbedder())
    assert one.windows == 1 and one.dominant == "S1" and one.confidence == 0.0  # too little to judge


# -- voice samples ---------------------------------------------------------------------------------
def labelled(turns: list[tuple[str, float]], gap: float = 0.5):
    wav, segs, truth = conversation(turns, gap=gap)
    for s, who in zip(segs, truth, strict=True):
        s.speaker = "S1" if who == "A" else "S2"
    return wav, segs


def test_voice_samples_come_only_from_the_speaker_and_keep_clear_of_others() -> None:
    wav, segs = labelled([("A", 20), ("B", 5), ("A", 2), ("A", 9), ("B", 6), ("A", 12)])
    chosen = select_voice_samples(wav, SR, segs, "S1")
    a_spans = [(s.start, s.end) for s in segs if s.speaker == "S1"]
    b_spans = [(s.start, s.end) for s in segs if s.speaker == "S2"]
    assert chosen
    for start, end in chosen:
        assert 3.0 <= end - start <= 15.0 + 1e-6
        assert any(a - 1e-6 <= start and end <= b + 0.5 + 1e-6 for a, b in _runs(a_spans, 0.6))
        assert all(end <= b0 - GUARD + 1e-6 or start >= b1 + GUARD - 1e-6 for b0, b1 in b_spans)
    total = sum(e - s for s, e in chosen)
    assert total > 35  # 20 s, 2 s + 9 s (one stretch across the short pause), 12 s, less guards
    for start, end in select_voice_samples(wav, SR, segs, "S2"):
        assert any(a - 1e-6 <= start and end <= b + 1e-6 for a, b in b_spans)


def _runs(spans: list[tuple[float, float]], gap: float) -> list[tuple[float, float]]:
    out: list[tuple[float, float]] = []
    for a, b in spans:
        if out and a - out[-1][1] <= gap:
            out[-1] = (out[-1][0], b)
        else:
            out.append((a, b))
    return out


def test_voice_samples_prefer_clean_audio_and_skip_clipping() -> None:
    wav, segs = labelled([("A", 8), ("B", 4), ("A", 8), ("B", 4), ("A", 8)], gap=1.0)
    noisy = segs[2]
    a, b = int(noisy.start * SR), int(noisy.end * SR)
    wav[a:b] += np.random.default_rng(1).normal(0, 0.1, b - a).astype(np.float32)
    # pauses between words give the noise floor: put some in every A turn
    for s in segs:
        for k in range(int(s.start) + 1, int(s.end), 2):
            wav[int(k * SR) : int((k + 0.3) * SR)] *= 0.01 if s is not noisy else 1.0
    clipped = segs[4]
    a, b = int(clipped.start * SR), int(clipped.end * SR)
    wav[a:b] = np.clip(wav[a:b] * 10, -1, 1)
    chosen = select_voice_samples(wav, SR, segs, "S1")
    assert chosen[0][0] == pytest.approx(segs[0].start, abs=0.01)  # the clean one first
    assert all(not (clipped.start <= s < clipped.end) for s, _ in chosen)
    assert any(noisy.start <= s < noisy.end for s, _ in chosen)


def test_voice_samples_limits() -> None:
    wav, segs = labelled([("A", 40), ("B", 3), ("A", 40)])
    pieces = select_voice_samples(wav, SR, segs, "S1", max_seconds=10)
    assert len(pieces) >= 6 and all(3 <= e - s <= 10 + 1e-6 for s, e in pieces)
    assert len(select_voice_samples(wav, SR, segs, "S1", max_files=3)) == 3
    capped = select_voice_samples(wav, SR, segs, "S1", max_seconds=10, max_total_seconds=25)
    assert 15 <= sum(e - s for s, e in capped) <= 25  # the cap is hard (ElevenLabs refuses more)
    assert select_voice_samples(wav, SR, segs, "S1", min_seconds=50) == []
    assert select_voice_samples(wav, SR, segs, "S9") == []
    everyone = select_voice_samples(wav, SR, segs, None, max_seconds=10)  # voices not told apart
    assert sum(e - s for s, e in everyone) > sum(e - s for s, e in pieces)


# -- embedders -------------------------------------------------------------------------------------
def test_mfcc_embedder_vectors() -> None:
    emb = MfccSpeakerEmbedder()
    x = tone("A", 2.0, 0) + tone("C", 2.0, 1, level=0.1)
    v = emb.embed(x, SR)
    assert v.shape == (emb.dim,) and v.dtype == np.float32
    assert np.linalg.norm(v) == pytest.approx(1.0, abs=1e-5)
    for odd in (np.zeros(SR, np.float32), np.zeros(10, np.float32), x[:100]):
        w = emb.embed(odd, SR)
        assert np.all(np.isfinite(w)) and np.linalg.norm(w) == pytest.approx(1.0, abs=1e-5)
    # the same sound at 48 kHz gives (nearly) the same vector
    t = np.arange(int(2.0 * 48_000)) / 48_000
    hi = (0.3 * np.sin(2 * np.pi * 220 * t) + 0.1 * np.sin(2 * np.pi * 495 * t)).astype(np.float32)
    lo = hi[::3]
    assert float(emb.embed(hi, 48_000) @ emb.embed(lo, SR)) > 0.98
    assert float(v @ emb.embed(tone("B", 2.0, 3), SR)) < float(v @ emb.embed(x[::-1].copy(), SR))


def test_resemblyzer_says_how_to_install_when_torch_is_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    from echome.providers import speaker_resemblyzer

    monkeypatch.setitem(sys.modules, "torch", None)  # import torch -> ImportError, with or without torch
    with pytest.raises(MissingDependency) as err:
        speaker_resemblyzer.ResemblyzerSpeakerEmbedder()
    assert "pip install torch==2.13.0 && pip install -e '.[speaker]'" in str(err.value)


class BatchingToneEmbedder(ToneEmbedder):
    """Counts how it is called: an embedder with `embed_many` gets the windows together."""

    def __init__(self) -> None:
        self.singles = 0
        self.batches: list[int] = []

    def embed(self, wav: np.ndarray, sample_rate: int) -> np.ndarray:
        self.singles += 1
        return super().embed(wav, sample_rate)

    def embed_many(self, wavs: list[np.ndarray], sample_rate: int) -> np.ndarray:
        self.batches.append(len(wavs))
        return np.stack([super(BatchingToneEmbedder, self).embed(w, sample_rate) for w in wavs])


def test_ten_minutes_go_to_a_batching_embedder_in_one_batch() -> None:
    turns = [("A" if i % 3 else "B", 5.5) for i in range(100)]  # 100 turns, ~10 minutes with the gaps
    wav, segs, _ = conversation(turns, gap=0.5)
    assert wav.size / SR >= 600
    emb = BatchingToneEmbedder()
    report = assign_speakers(wav, SR, segs, embedder=emb)
    assert report.windows >= 250
    assert emb.singles == 0 and emb.batches[0] == report.windows
    assert [s["id"] for s in report.speakers] == ["S1", "S2"]
    # the time it takes is measured by benchmarks/speaker_separation.py (embed_ms_per_audio_second)


class PaddingToneEmbedder(BatchingToneEmbedder):
    """Like GE2E: it hears `window_seconds` at a time and pads shorter input with silence, so a short
    stretch comes out as a blend of the voice and of the padding."""

    window_seconds = 1.6

    def __init__(self) -> None:
        super().__init__()
        self.lengths: list[list[float]] = []

    def embed_many(self, wavs: list[np.ndarray], sample_rate: int) -> np.ndarray:
        self.lengths.append([w.size / sample_rate for w in wavs])
        need = int(self.window_seconds * sample_rate)
        padded = [np.concatenate([w, np.zeros(max(0, need - w.size), np.float32)]) for w in wavs]
        return super().embed_many(padded, sample_rate)


def test_a_turn_inside_a_segment_is_placed_with_stretches_the_embedder_hears_whole() -> None:
    wav, segs, _ = conversation([("A", 10), ("B", 4), ("A", 6)], gap=0.0)
    words = [Word(10 + i * 0.5, 10 + i * 0.5 + 0.45, f" w{i}") for i in range(20)]
    merged = Segment(10.0, 20.0, "".join(w.text for w in words).strip(), words=words)
    emb = PaddingToneEmbedder()
    report = assign_speakers(wav, SR, [segs[0], merged], embedder=emb)
    labels = [(round(s.start, 2), round(s.end, 2), s.speaker) for s in report.segments]
    assert labels == [(0.0, 10.0, "S1"), (10.0, 13.95, "S2"), (14.0, 20.0, "S1")]
    # the first batch is the clustering windows; every later one probes a turn change
    assert len(emb.lengths) >= 2
    probes = [length for batch in emb.lengths[1:] for length in batch]
    assert probes and all(abs(length - emb.window_seconds) < 1e-3 for length in probes)
