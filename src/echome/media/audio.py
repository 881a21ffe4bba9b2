"""Audio in and out with PyAV (ffmpeg's libraries from PyPI): decode anything, resample, encode.

Recognition wants 16 kHz mono; voice samples keep a high-quality mono copy (FLAC, up to 48 kHz).
"""

from __future__ import annotations

import io
import wave
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import av
import numpy as np

RECOGNITION_RATE = 16_000
HQ_MAX_RATE = 48_000


class AudioError(ValueError):
    """The file has no decodable audio; the message is meant for the seller."""


@dataclass
class AudioInfo:
    duration: float  # seconds
    sample_rate: int
    channels: int
    has_video: bool
    codec: str


def probe(path: str | Path) -> AudioInfo:
    try:
        with av.open(str(path)) as container:
            if not container.streams.audio:
                raise AudioError("the file has no audio track")
            stream = container.streams.audio[0]
            duration = 0.0
            if stream.duration is not None and stream.time_base is not None:
                duration = float(stream.duration * stream.time_base)
            elif container.duration is not None:
                duration = container.duration / av.time_base
            return AudioInfo(
                duration=duration,
                sample_rate=int(stream.rate or 0),
                channels=int(stream.channels or 0),
                has_video=bool(container.streams.video),
                codec=stream.codec_context.name,
            )
    except AudioError:
        raise
    except (av.FFmpegError, OSError, UnicodeDecodeError) as exc:
        raise AudioError(f"not an audio or video file ffmpeg can read ({_short(exc)})") from exc


def load_audio(
    path: str | Path | BinaryIO, *, sample_rate: int = RECOGNITION_RATE, max_seconds: float | None = None
) -> np.ndarray:
    """Decode to mono float32 in [-1, 1] at `sample_rate`."""
    chunks: list[np.ndarray] = []
    limit = None if max_seconds is None else int(max_seconds * sample_rate)
    total = 0
    try:
        with av.open(path if hasattr(path, "read") else str(path)) as container:
            if not container.streams.audio:
                raise AudioError("the file has no audio track")
            stream = container.streams.audio[0]
            resampler = av.AudioResampler(format="flt", layout="mono", rate=sample_rate)
            for frame in container.decode(stream):
                for out in resampler.resample(frame):
                    arr = out.to_ndarray().reshape(-1)
                    chunks.append(arr)
                    total += arr.size
                if limit is not None and total >= limit:
                    break
            else:
                for out in resampler.resample(None):
                    chunks.append(out.to_ndarray().reshape(-1))
    except AudioError:
        raise
    except (av.FFmpegError, OSError, UnicodeDecodeError) as exc:
        raise AudioError(f"not an audio or video file ffmpeg can read ({_short(exc)})") from exc
    wav = np.concatenate(chunks).astype(np.float32) if chunks else np.zeros(0, np.float32)
    if limit is not None:
        wav = wav[:limit]
    return np.clip(wav, -1.0, 1.0)


def write_wav(path: str | Path, wav: np.ndarray, sample_rate: int) -> None:
    Path(path).write_bytes(wav_bytes(wav, sample_rate))


def wav_bytes(wav: np.ndarray, sample_rate: int) -> bytes:
    pcm = (np.clip(wav, -1.0, 1.0) * 32767.0).astype("<i2")
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(sample_rate)
        w.writeframes(pcm.tobytes())
    return buf.getvalue()


def encode(wav: np.ndarray, sample_rate: int, *, codec: str, out_rate: int | None = None) -> bytes:
    """Encode mono float32 audio: codec "flac" → FLAC, "opus" → OGG/Opus (48 kHz), "mp3" → MP3."""
    fmt = {"flac": "flac", "opus": "ogg", "libopus": "ogg", "mp3": "mp3", "libmp3lame": "mp3"}[codec]
    rate = out_rate or (48_000 if codec in ("opus", "libopus") else sample_rate)
    buf = io.BytesIO()
    with av.open(buf, "w", format=fmt) as container:
        stream = container.add_stream("libopus" if codec == "opus" else codec, rate=rate, layout="mono")
        if codec in ("opus", "libopus"):
            stream.bit_rate = 32_000
        frame_size = 960 if codec in ("opus", "libopus") else 4096
        resampler = av.AudioResampler(
            format=stream.format.name, layout="mono", rate=rate, frame_size=frame_size
        )
        frame = av.AudioFrame.from_ndarray(
            np.clip(wav, -1, 1).astype(np.float32).reshape(1, -1), format="flt", layout="mono"
        )
        frame.sample_rate = sample_rate
        frames = resampler.resample(frame) + resampler.resample(None)
        for f in frames:
            for packet in stream.encode(f):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return buf.getvalue()


def extract_for_pipeline(
    src: str | Path, *, asr_path: str | Path, hq_path: str | Path, max_seconds: float
) -> float:
    """Write a 16 kHz mono WAV for recognition and a mono FLAC voice copy; return the duration used."""
    info = probe(src)
    if info.duration and info.duration > max_seconds + 1:
        raise AudioError(
            f"the recording is {span(info.duration)} long; the limit is {span(max_seconds)} "
            "(ECHOME_MAX_MEDIA_MINUTES)"
        )
    hq_rate = min(max(info.sample_rate, RECOGNITION_RATE), HQ_MAX_RATE)
    hq = load_audio(src, sample_rate=hq_rate, max_seconds=max_seconds)
    if hq.size < hq_rate * 0.5:
        raise AudioError("the file holds less than half a second of audio")
    Path(hq_path).write_bytes(encode(hq, hq_rate, codec="flac"))
    asr = resample(hq, hq_rate, RECOGNITION_RATE)
    write_wav(asr_path, asr, RECOGNITION_RATE)
    return asr.size / RECOGNITION_RATE


def resample(wav: np.ndarray, rate: int, target: int) -> np.ndarray:
    if rate == target or wav.size == 0:
        return wav.astype(np.float32)
    resampler = av.AudioResampler(format="flt", layout="mono", rate=target)
    frame = av.AudioFrame.from_ndarray(wav.astype(np.float32).reshape(1, -1), format="flt", layout="mono")
    frame.sample_rate = rate
    out = [f.to_ndarray().reshape(-1) for f in resampler.resample(frame) + resampler.resample(None)]
    return np.concatenate(out).astype(np.float32) if out else np.zeros(0, np.float32)


def span(seconds: float) -> str:
    """A length the seller reads at a glance: "45 s", "12 min", "3 h 5 min"."""
    if seconds < 90:
        return f"{seconds:.0f} s"
    minutes = round(seconds / 60)
    return f"{minutes} min" if minutes < 120 else f"{minutes // 60} h {minutes % 60} min"


def _short(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text if len(text) < 160 else text[:157] + "..."
