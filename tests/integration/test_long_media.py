"""A 118-minute 48 kHz recording keeps its audio at the right times, in bounded memory.

Issue 13: between ~93 and 120 minutes at 48 kHz (the limit is 120) resampling returned 0 samples,
and the job failed with "no speech found in 0 s" after 45 s and 6.8 GB. The recording here is
generated streamed into FLAC (mostly silence, ~1 MB on disk) with one-second 1 kHz tones at known
times, the last ones past the 93-minute mark."""

from __future__ import annotations

import resource
import wave
from pathlib import Path

import av
import numpy as np
import pytest

from echome.jobs.limits import ResourceLimits
from echome.media.audio import RECOGNITION_RATE, extract_for_pipeline, probe

pytestmark = pytest.mark.slow

RATE = 48_000
MINUTES = 118
TONES = (60, 3_000, 5_700, 7_000)  # seconds: 1 min, 50 min, 95 min, 116 min 40 s
MB = 1024 * 1024


def write_recording(path: Path) -> None:
    """Second by second into a FLAC encoder: never more than a second of samples in memory."""
    with av.open(str(path), "w", format="flac") as out:
        stream = out.add_stream("flac", rate=RATE, layout="mono")
        tone = (0.5 * np.sin(2 * np.pi * 1000 * np.arange(RATE) / RATE) * 32767).astype(np.int16)
        silence = np.zeros(RATE, np.int16)
        for second in range(MINUTES * 60):
            frame = av.AudioFrame.from_ndarray(
                (tone if second in TONES else silence).reshape(1, -1), format="s16", layout="mono"
            )
            frame.sample_rate, frame.pts = RATE, second * RATE
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))


def loudness(samples: np.ndarray) -> float:
    return float(np.abs(samples).max()) if samples.size else 0.0


def window(wav: wave.Wave_read, start: float, seconds: float) -> np.ndarray:
    rate = wav.getframerate()
    wav.setpos(int(start * rate))
    return np.frombuffer(wav.readframes(int(seconds * rate)), "<i2") / 32767


def test_two_hour_recording_keeps_its_audio_at_the_right_times(
    tmp_path: Path, record_property: pytest.RecordProperty
) -> None:
    src = tmp_path / "long.flac"
    write_recording(src)
    assert src.stat().st_size < 5 * MB and probe(src).duration == MINUTES * 60

    asr, hq = tmp_path / "speech16k.wav", tmp_path / "voice.flac"
    # 400 MB for the step: the whole recording as 48 kHz floats alone is 1.4 GB.
    limits = ResourceLimits(memory_bytes=400 * MB, seconds=300)
    duration = extract_for_pipeline(src, asr_path=asr, hq_path=hq, max_seconds=120 * 60, limits=limits)
    record_property("child_peak_rss_mb", resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024)

    assert duration == MINUTES * 60
    with wave.open(str(asr)) as wav:
        assert wav.getframerate() == RECOGNITION_RATE and wav.getnframes() == MINUTES * 60 * RECOGNITION_RATE
        for t in TONES:
            assert loudness(window(wav, t + 0.005, 0.99)) > 0.45, f"the tone at {t} s is missing"
            assert loudness(window(wav, t - 0.5, 0.495)) < 0.05, f"sound before {t} s"
            assert loudness(window(wav, t + 1.01, 0.5)) < 0.05, f"sound after {t + 1} s"
        assert loudness(window(wav, 6_000, 60)) < 0.01
    info = probe(hq)
    assert info.sample_rate == RATE and info.duration == pytest.approx(MINUTES * 60, abs=0.05)
    with av.open(str(hq)) as container:  # the voice copy: the last tone, found by seeking
        stream = container.streams.audio[0]
        container.seek(int(6_990 / stream.time_base), stream=stream)
        heard = []
        for frame in container.decode(stream):
            start = float(frame.pts * stream.time_base)
            if start > 7_003:
                break
            if loudness(frame.to_ndarray().reshape(-1) / 32767) > 0.45:
                heard.append(start)
        assert heard and 6_999.9 <= heard[0] <= 7_000.1 and heard[-1] < 7_001
