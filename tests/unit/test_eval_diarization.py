"""`echome eval diarization`'s run: transcribe, label speakers, score against the RTTM (fakes for the
models: a tone stands in for a voice)."""

from __future__ import annotations

from itertools import pairwise
from pathlib import Path

import numpy as np
import pytest

from echome.cli.eval_diarization import run_diarization_eval
from echome.providers.base import Segment, Transcript

SR = 16_000
TURNS = [("alice", 0.0, 5.0), ("bob", 5.5, 10.5), ("alice", 11.0, 16.0), ("bob", 16.5, 20.0)]


class ToneEmbedder:
    name = "tone"
    dim = 16
    min_separation = 1.0

    def embed(self, wav: np.ndarray, sample_rate: int) -> np.ndarray:
        spec = np.abs(np.fft.rfft(wav * np.hanning(wav.size)))
        freqs = np.fft.rfftfreq(wav.size, 1 / sample_rate)
        edges = np.linspace(150, 600, self.dim + 1)
        vec = np.log1p([spec[(freqs >= a) & (freqs < b)].sum() for a, b in pairwise(edges)])
        return (vec / np.linalg.norm(vec)).astype(np.float32)


class TurnSTT:
    """Hears one segment per turn, whatever the audio; remembers that it got a file to read."""

    name = "fake:turns"

    def __init__(self, segments: list[Segment]) -> None:
        self.segments, self.files = segments, []

    def transcribe(self, audio_path: str, *, language: str | None = None) -> Transcript:
        self.files.append(Path(audio_path).stat().st_size)
        return Transcript("", "en", 1.0, 20.0, list(self.segments), self.name)


def recording() -> np.ndarray:
    rng = np.random.default_rng(3)
    wav = 0.005 * rng.standard_normal(20 * SR)
    for who, a, b in TURNS:
        t = np.arange(int((b - a) * SR)) / SR
        wav[int(a * SR) : int(a * SR) + t.size] += 0.3 * np.sin(
            2 * np.pi * (220 if who == "alice" else 400) * t
        )
    return wav.astype(np.float32)


def rttm(turns: list[tuple[str, float, float]]) -> str:
    return "".join(f"SPEAKER rec 1 {a} {b - a} <NA> <NA> {w} <NA> <NA>\n" for w, a, b in turns)


def test_two_voices_scored_against_their_reference() -> None:
    stt = TurnSTT([Segment(a, b, w) for w, a, b in TURNS])
    report = run_diarization_eval(recording(), SR, rttm(TURNS), stt=stt, embedder=ToneEmbedder())
    assert stt.files and stt.files[0] > 20 * SR  # the recording went to the recogniser as a file
    assert report["speakers"] == {"reference": 2, "found": 2}
    assert report["der"] == pytest.approx(0.0, abs=1e-6)
    assert report["dominant"]["matches"]
    assert report["collar"] == 0.25 and report["embedder"] == "tone"


def test_a_wrong_reference_shows_as_error() -> None:
    stt = TurnSTT([Segment(a, b, w) for w, a, b in TURNS])
    wrong = [("alice", 0.0, 10.5), ("bob", 11.0, 20.0)]  # one turn each: half the time mislabelled
    report = run_diarization_eval(recording(), SR, rttm(wrong), stt=stt, embedder=ToneEmbedder(), collar=0.0)
    assert report["confusion"]["share"] > 0.3
    assert report["der"] == pytest.approx(
        report["missed"]["share"] + report["false_alarm"]["share"] + report["confusion"]["share"], abs=1e-3
    )


def test_an_rttm_without_turns_is_refused() -> None:
    with pytest.raises(ValueError, match="no SPEAKER turns"):
        run_diarization_eval(recording(), SR, "", stt=TurnSTT([]), embedder=ToneEmbedder())
