"""Voice samples come only from the chosen speaker's turns, away from other voices, within caps."""

from __future__ import annotations

import numpy as np
import pytest

from echome.media.voice_samples import GUARD, RELAXED, STRICT, select_voice_samples, voice_pieces
from echome.providers.base import Segment

RATE = 16000


def _audio(seconds: float, loud: list[tuple[float, float, float]]) -> np.ndarray:
    wav = np.zeros(int(seconds * RATE), np.float32)
    for start, end, amp in loud:
        t = np.arange(int((end - start) * RATE)) / RATE
        wav[int(start * RATE) : int(start * RATE) + t.size] = amp * np.sin(2 * np.pi * 180 * t)
    return wav


def test_only_the_speakers_turns_trimmed_and_capped() -> None:
    segs = [
        Segment(0.0, 6.0, "a", speaker="S1"),
        Segment(6.2, 9.0, "b", speaker="S2"),
        Segment(9.0, 30.0, "c", speaker="S1"),
        Segment(30.0, 31.0, "d", speaker="S1"),  # joins the previous turn
        Segment(31.5, 33.0, "e", speaker="S2"),
    ]
    wav = _audio(34, [(0, 6, 0.3), (6.2, 9, 0.9), (9, 31, 0.5), (31.5, 33, 0.9)])
    spans = select_voice_samples(wav, RATE, segs, "S1", max_seconds=10)
    assert spans, "S1 has long clean turns"
    for s, e in spans:
        assert 3.0 <= e - s <= 10.0
        assert (s >= 0.0 and e <= 6.0) or (s >= 9.0 and e <= 31.0), (s, e)  # inside S1's turns
        assert all(e <= a - GUARD or s >= b + GUARD for a, b in ((6.2, 9.0), (31.5, 33.0))), (s, e)
    assert spans[0][0] > 9.0, "the louder turn (better signal) comes first"
    assert select_voice_samples(wav, RATE, segs, "S1", max_total_seconds=12, max_seconds=10) == spans[:1]
    assert len(select_voice_samples(wav, RATE, segs, "S1", max_files=2, max_seconds=4)) == 2
    assert select_voice_samples(wav, RATE, segs, "S2") == []  # its turns are all under 3 s


def test_clipped_or_silent_stretches_are_skipped() -> None:
    segs = [Segment(0.0, 8.0, "loud", speaker="S1"), Segment(8.5, 16.0, "quiet", speaker="S1")]
    wav = _audio(16, [(0, 8, 1.5)])  # clipped first turn, silent second turn
    assert select_voice_samples(np.clip(wav, -1, 1), RATE, segs, "S1") == []


# -- the best available speech, when no clean stretch exists ------------------------------------------


def _speech(seconds: float, *, amp: float = 0.4, floor: float = 0.003, seed: int = 0) -> np.ndarray:
    """Syllable-like bursts (0.25 s on, 0.1 s off) over a noise floor: pauses give the SNR estimate."""
    rng = np.random.default_rng(seed)
    n = int(seconds * RATE)
    t = np.arange(n) / RATE
    on = (t % 0.35) < 0.25
    x = amp * on * np.sin(2 * np.pi * 180 * t) + floor * rng.standard_normal(n)
    return x.astype(np.float32)


def _crosstalk(turns: list[tuple[str, float]], gap: float = 0.15, **kw: float) -> tuple[np.ndarray, list]:
    """An interview with quick turns: S1 (the seller) and S2 alternate with `gap` s pauses."""
    parts, segs, t = [], [], 0.0
    for i, (who, secs) in enumerate(turns):
        parts += [_speech(secs, seed=i, **kw), np.zeros(int(gap * RATE), np.float32)]
        segs.append(Segment(t, t + secs, f"turn {i}", speaker=who))
        t += secs + gap
    return np.concatenate(parts), segs


def test_relaxed_rules_take_short_pieces_beside_crosstalk_but_never_the_other_voice() -> None:
    turns = [("S1", 2.6), ("S2", 0.8)] * 6 + [("S1", 1.2)]
    wav, segs = _crosstalk(turns, gap=0.05)  # closer than the relaxed guard: the pieces are trimmed
    assert select_voice_samples(wav, RATE, segs, "S1") == []  # strict: every turn is under 3 s + guards
    pieces = voice_pieces(wav, RATE, segs, "S1", rules=RELAXED)
    assert len(pieces) == 6  # each 2.6 s turn once; the 1.2 s turn is too short even now
    others = [(s.start, s.end) for s in segs if s.speaker == "S2"]
    for p in pieces:
        assert RELAXED.min_seconds <= p.seconds <= 2.6 - (RELAXED.guard - 0.05) + 1e-6
        assert any(s.start - 1e-6 <= p.start and p.end <= s.end + 1e-6 for s in segs if s.speaker == "S1")
        assert all(
            p.end <= a - RELAXED.guard + 1e-3 or p.start >= b + RELAXED.guard - 1e-3 for a, b in others
        )
        assert p.near_other and not p.clipped
        assert p.snr_db > 30  # bursts over a floor 40 dB down
    trim = RELAXED.guard - 0.05  # taken off each side that meets S2 (the first turn starts the recording)
    assert sum(p.seconds for p in pieces) == pytest.approx(6 * 2.6 - 11 * trim, abs=0.01)


def test_relaxed_pieces_are_ranked_by_quality_and_clean_ones_win_near_ties() -> None:
    # (speaker, start, end, noise floor): the piece beside S2 is a little cleaner than the lone one
    layout = [
        ("S1", 0.0, 2.6, 0.007),
        ("S2", 2.75, 3.55, 0.01),
        ("S1", 5.0, 7.6, 0.01),
        ("S1", 9.5, 12.1, 0.05),
    ]
    wav = np.zeros(13 * RATE, np.float32)
    segs = []
    for i, (who, start, end, floor) in enumerate(layout):
        piece = _speech(end - start, floor=floor, seed=i)
        wav[int(start * RATE) : int(start * RATE) + piece.size] = piece
        segs.append(Segment(start, end, f"turn {i}", speaker=who))
    pieces = voice_pieces(wav, RATE, segs, "S1", rules=RELAXED)
    assert [p.near_other for p in pieces] == [False, True, False]
    assert [p.start for p in pieces] == [5.0, 0.0, 9.5]  # lone, then beside S2, the noisy one last
    assert 0 < pieces[1].snr_db - pieces[0].snr_db < RELAXED.compromise_penalty
    assert pieces[2].snr_db < pieces[0].snr_db - 10


def test_relaxed_rules_tolerate_a_little_clipping_but_not_distortion() -> None:
    wav, segs = _crosstalk([("S1", 5.0), ("S2", 1.0), ("S1", 5.0)], gap=1.0)
    first, second = segs[0], segs[2]
    rng = np.random.default_rng(3)
    for seg, share in ((first, 0.002), (second, 0.05)):  # 0.2 % of samples at full scale, then 5 %
        a, b = int(seg.start * RATE), int(seg.end * RATE)
        hits = rng.choice(np.arange(a, b), int(share * (b - a)), replace=False)
        wav[hits] = 1.0
    assert select_voice_samples(wav, RATE, segs, "S1") == []
    pieces = voice_pieces(wav, RATE, segs, "S1", rules=RELAXED)
    assert len(pieces) == 1 and pieces[0].clipped and pieces[0].start < first.end


def test_relaxed_rules_find_nothing_in_silence_or_crumbs() -> None:
    wav, segs = _crosstalk([("S1", 1.2), ("S2", 3.0), ("S1", 1.4), ("S2", 3.0)])
    assert voice_pieces(wav, RATE, segs, "S1", rules=RELAXED) == []  # every seller turn under 1.5 s
    quiet = [Segment(0.0, 6.0, "silence", speaker="S1")]
    assert voice_pieces(np.zeros(6 * RATE, np.float32), RATE, quiet, "S1", rules=RELAXED) == []


def test_strict_pieces_report_their_quality_too() -> None:
    wav, segs = _crosstalk([("S1", 8.0), ("S2", 1.0), ("S1", 8.0)], gap=1.0)
    strict = voice_pieces(wav, RATE, segs, "S1", rules=STRICT)
    assert [(p.start, p.end) for p in strict] == select_voice_samples(wav, RATE, segs, "S1")
    assert strict and all(not p.near_other and not p.clipped and p.snr_db > 30 for p in strict)
