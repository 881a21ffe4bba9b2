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

from echome.jobs.limits import ResourceLimitExceeded, ResourceLimits, run_limited

RECOGNITION_RATE = 16_000
HQ_MAX_RATE = 48_000
# Decoding a recording: streaming keeps it near 100 MB whatever the length; 2 hours of audio
# decode in well under a minute on 2 cores.
EXTRACT_LIMITS = ResourceLimits(memory_bytes=1024 * 1024 * 1024, seconds=900)
# Samples per frame handed to a resampler: one frame of ~93 minutes at 48 kHz (2**28 samples)
# came back as nothing at all.
RESAMPLE_BLOCK = 1 << 20


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


def load_span(
    path: str | Path, start: float, end: float, *, sample_rate: int = RECOGNITION_RATE
) -> np.ndarray:
    """Mono float32 audio from `start` to `end` seconds, decoding only that part (a seek, then
    frames until `end`), so a quote near the end of an hour-long recording is quick to cut."""
    start, end = max(0.0, start), max(0.0, end)
    if end <= start:
        return np.zeros(0, np.float32)
    chunks: list[np.ndarray] = []
    first: float | None = None
    try:
        with av.open(str(path)) as container:
            if not container.streams.audio:
                raise AudioError("the file has no audio track")
            stream = container.streams.audio[0]
            if start > 0 and stream.time_base:
                container.seek(int(start / stream.time_base), stream=stream, backward=True)
            resampler = av.AudioResampler(format="flt", layout="mono", rate=sample_rate)
            for frame in container.decode(stream):
                t = float(frame.time) if frame.time is not None else 0.0
                if t + frame.samples / (frame.sample_rate or sample_rate) < start:
                    continue
                if t >= end:
                    break
                if first is None:
                    first = t
                for out in resampler.resample(frame):
                    chunks.append(out.to_ndarray().reshape(-1))
    except AudioError:
        raise
    except (av.FFmpegError, OSError, UnicodeDecodeError) as exc:
        raise AudioError(f"not an audio or video file ffmpeg can read ({_short(exc)})") from exc
    if not chunks or first is None:
        return np.zeros(0, np.float32)
    wav = np.concatenate(chunks).astype(np.float32)
    lo = max(0, round((start - first) * sample_rate))
    hi = max(lo, round((end - first) * sample_rate))
    return np.clip(wav[lo:hi], -1.0, 1.0)


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
            # libopus' default effort (10) took 118 ms for 11 s of speech, 5 takes 49 ms: a voice note
            # is sent as soon as it is encoded, and the file grows from ~4 to ~5.5 kB a second.
            stream.options = {"compression_level": "5"}
        frame_size = 960 if codec in ("opus", "libopus") else 4096
        resampler = av.AudioResampler(
            format=stream.format.name, layout="mono", rate=rate, frame_size=frame_size
        )
        clipped = np.clip(wav, -1, 1).astype(np.float32)
        for start in range(0, clipped.size, RESAMPLE_BLOCK):
            for f in resampler.resample(_mono_frame(clipped[start : start + RESAMPLE_BLOCK], sample_rate)):
                container.mux(stream.encode(f))
        for f in resampler.resample(None):
            container.mux(stream.encode(f))
        for packet in stream.encode(None):
            container.mux(packet)
    return buf.getvalue()


def extract_for_pipeline(
    src: str | Path,
    *,
    asr_path: str | Path,
    hq_path: str | Path,
    max_seconds: float,
    limits: ResourceLimits | None = EXTRACT_LIMITS,
) -> float:
    """Write a 16 kHz mono WAV for recognition and a mono FLAC voice copy; return the duration used.

    One streaming pass: each decoded frame is resampled and written to both files at once, so
    memory stays the same for a 2-minute clip and a 2-hour recording. The decoding of an uploaded
    or downloaded file runs in a child process under `limits` (None: in this process); a file that
    needs more memory or time than that fails with an AudioError saying so."""
    if limits is None:
        return _extract(str(src), str(asr_path), str(hq_path), max_seconds)
    try:
        return run_limited(
            _extract, str(src), str(asr_path), str(hq_path), max_seconds, limits=limits, returns=(AudioError,)
        )
    except ResourceLimitExceeded as exc:
        raise AudioError(f"decoding the recording {exc}") from None


def _extract(src: str, asr_path: str, hq_path: str, max_seconds: float) -> float:
    info = probe(src)
    if info.duration and info.duration > max_seconds + 1:
        raise AudioError(
            f"the recording is {span(info.duration)} long; the limit is {span(max_seconds)} "
            "(ECHOME_MAX_MEDIA_MINUTES)"
        )
    hq_rate = min(max(info.sample_rate, RECOGNITION_RATE), HQ_MAX_RATE)
    limit = int(max_seconds * hq_rate)
    kept = 0
    try:
        with (
            av.open(src) as container,
            av.open(hq_path, "w", format="flac") as hq_out,
            wave.open(asr_path, "wb") as asr_out,
        ):
            stream = container.streams.audio[0]
            to_hq = av.AudioResampler(format="flt", layout="mono", rate=hq_rate)
            flac = hq_out.add_stream("flac", rate=hq_rate, layout="mono")
            to_flac = av.AudioResampler(format=flac.format.name, layout="mono", rate=hq_rate, frame_size=4096)
            to_asr = av.AudioResampler(format="flt", layout="mono", rate=RECOGNITION_RATE)
            asr_out.setnchannels(1)
            asr_out.setsampwidth(2)
            asr_out.setframerate(RECOGNITION_RATE)

            def write(frames: list[av.AudioFrame]) -> None:
                nonlocal kept
                for f in frames:
                    wav = np.clip(f.to_ndarray().reshape(-1), -1.0, 1.0)[: max(0, limit - kept)]
                    if not wav.size:
                        continue
                    kept += wav.size
                    frame = _mono_frame(wav, hq_rate)
                    for g in to_flac.resample(frame):
                        hq_out.mux(flac.encode(g))
                    for g in to_asr.resample(frame):
                        asr_out.writeframes(_pcm16(g.to_ndarray().reshape(-1)))

            for frame in container.decode(stream):
                write(to_hq.resample(frame))
                if kept >= limit:
                    break
            write(to_hq.resample(None))
            for g in to_flac.resample(None):
                hq_out.mux(flac.encode(g))
            hq_out.mux(flac.encode(None))
            for g in to_asr.resample(None):
                asr_out.writeframes(_pcm16(g.to_ndarray().reshape(-1)))
    except AudioError:
        raise
    except (av.FFmpegError, OSError, UnicodeDecodeError) as exc:
        raise AudioError(f"not an audio or video file ffmpeg can read ({_short(exc)})") from exc
    if kept < hq_rate * 0.5:
        raise AudioError("the file holds less than half a second of audio")
    with wave.open(asr_path, "rb") as w:
        return w.getnframes() / RECOGNITION_RATE


def _mono_frame(wav: np.ndarray, rate: int) -> av.AudioFrame:
    frame = av.AudioFrame.from_ndarray(
        wav.astype(np.float32, copy=False).reshape(1, -1), format="flt", layout="mono"
    )
    frame.sample_rate = rate
    return frame


def _pcm16(wav: np.ndarray) -> bytes:
    return (np.clip(wav, -1.0, 1.0) * 32767.0).astype("<i2").tobytes()


def resample(wav: np.ndarray, rate: int, target: int) -> np.ndarray:
    if rate == target or wav.size == 0:
        return wav.astype(np.float32)
    resampler = av.AudioResampler(format="flt", layout="mono", rate=target)
    out: list[np.ndarray] = []
    for start in range(0, wav.size, RESAMPLE_BLOCK):
        for f in resampler.resample(_mono_frame(wav[start : start + RESAMPLE_BLOCK], rate)):
            out.append(f.to_ndarray().reshape(-1))
    out += [f.to_ndarray().reshape(-1) for f in resampler.resample(None)]
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
