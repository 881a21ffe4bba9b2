"""Voice samples come only from the chosen speaker's turns, away from other voices, within caps."""

from __future__ import annotations

import numpy as np

from echome.media.voice_samples import GUARD, select_voice_samples
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
