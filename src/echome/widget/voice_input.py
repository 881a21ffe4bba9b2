"""A visitor's recorded question (hold to record in the widget): checked, then heard.

The browser's MediaRecorder sends WebM/Opus (Chromium, Firefox) or MP4/AAC (Safari). The recording is
decoded only up to the length limit, so a 10-minute recording costs no more than a 2-minute one;
silence is caught before speech to text (Whisper hears "Thank you." in silence), and a recording in a
language the persona does not answer in is refused with a message, as a Telegram voice note is.
"""

from __future__ import annotations

import io
import logging
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from echome.media.audio import RECOGNITION_RATE, AudioError, load_audio, write_wav
from echome.providers.base import ProviderError, SpeechToText

log = logging.getLogger("echome.widget")

# A 30 ms frame louder than this (RMS, about -40 dBFS) counts as sound; a recording needs a third of a
# second of such frames to be sent to speech to text.
SOUND_RMS = 0.01
MIN_SOUND_SECONDS = 0.3
MIN_SECONDS = 0.3
RECORDING_TYPES = {
    "audio/webm": "webm",
    "audio/ogg": "ogg",
    "audio/mp4": "m4a",
    "audio/mpeg": "mp3",
    "audio/wav": "wav",
    "audio/x-wav": "wav",
    "audio/wave": "wav",
    "video/webm": "webm",  # some browsers label an audio-only WebM recording so
    "application/octet-stream": "",  # the file's own first bytes say what it is
}
LANGUAGE_NAMES = {"en": "English", "de": "German", "fr": "French", "es": "Spanish", "it": "Italian",
                  "pt": "Portuguese", "nl": "Dutch", "pl": "Polish", "ja": "Japanese"}  # fmt: skip


class RecordingRefused(ValueError):
    """The recording cannot be answered; the message is meant for the visitor. `status`: HTTP."""

    def __init__(self, message: str, *, status: int = 422, code: str = "recording_refused") -> None:
        super().__init__(message)
        self.status, self.code = status, code


@dataclass(frozen=True)
class Heard:
    text: str
    language: str
    seconds: float


def check_type(content_type: str | None) -> str:
    """The recording's declared type if accepted; RecordingRefused (415) for any other."""
    kind = (content_type or "").split(";")[0].strip().lower()
    if kind not in RECORDING_TYPES:
        raise RecordingRefused(
            "send the recording as audio/webm, audio/ogg, audio/mp4, audio/mpeg, audio/wav or "
            "application/octet-stream",
            status=415,
            code="unsupported_media_type",
        )
    return kind


def extension_for(content_type: str | None, data: bytes = b"") -> str:
    """The file extension a kept recording gets: from its first bytes, else from its declared type."""
    head = data[:12]
    if head.startswith(b"OggS"):
        return "ogg"
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return "webm"
    if head.startswith(b"RIFF") and head[8:12] == b"WAVE":
        return "wav"
    if head[4:8] == b"ftyp":
        return "m4a"
    if head.startswith(b"ID3") or (len(head) > 1 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0):
        return "mp3"
    return RECORDING_TYPES.get(check_type(content_type)) or "bin"


def sound_seconds(wav: np.ndarray, rate: int = RECOGNITION_RATE) -> float:
    """Seconds of the recording louder than a quiet room."""
    hop = int(rate * 0.03)
    if wav.size < hop:
        return 0.0
    frames = wav[: wav.size // hop * hop].reshape(-1, hop).astype(np.float64)
    rms = np.sqrt(np.mean(frames**2, axis=1))
    return float(np.count_nonzero(rms > SOUND_RMS)) * 0.03


def decode_recording(data: bytes, *, max_seconds: int) -> np.ndarray:
    """The recording as 16 kHz mono; RecordingRefused when unreadable, too long, too short or silent."""
    if not data:
        raise RecordingRefused("the recording is empty")
    try:
        wav = load_audio(io.BytesIO(data), max_seconds=max_seconds + 1)
    except AudioError as exc:
        raise RecordingRefused(f"the recording could not be read ({exc})") from None
    seconds = wav.size / RECOGNITION_RATE
    if seconds > max_seconds:
        minutes = f"{max_seconds // 60} minutes" if max_seconds >= 120 else f"{max_seconds} seconds"
        raise RecordingRefused(
            f"that recording is too long: keep it under {minutes}, or type your question",
            code="recording_too_long",
        )
    if seconds < MIN_SECONDS:
        raise RecordingRefused("that recording is too short: hold the button while you speak")
    if sound_seconds(wav) < MIN_SOUND_SECONDS:
        raise RecordingRefused(
            "I couldn't hear anything in that recording: check your microphone, or type your question",
            code="recording_silent",
        )
    return wav


def hear(
    data: bytes, *, stt: SpeechToText, max_seconds: int, languages: tuple[str, ...], tmp_dir: Path
) -> Heard:
    """What the visitor said, or RecordingRefused with what to tell them."""
    wav = decode_recording(data, max_seconds=max_seconds)
    tmp_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=tmp_dir) as tmp:
        path = Path(tmp) / "question.wav"
        write_wav(path, wav, RECOGNITION_RATE)
        try:
            transcript = stt.transcribe(str(path))
        except (ProviderError, ValueError, OSError) as exc:
            log.warning("web chat recording not transcribed", extra={"error": str(exc)[:200]})
            raise RecordingRefused(
                "I couldn't listen to that recording right now: please type your question",
                status=503,
                code="unavailable",
            ) from None
    text = " ".join(transcript.text.split())
    if text and languages and transcript.language not in languages and transcript.language_probability >= 0.5:
        raise RecordingRefused(
            "Sorry, I can only answer in "
            + " or ".join(LANGUAGE_NAMES.get(code, code) for code in languages)
            + " for now. Could you ask that way?",
            code="recording_language",
        )
    if not text:
        raise RecordingRefused(
            "I couldn't make out any words: try again, or type your question", code="recording_silent"
        )
    return Heard(text=text, language=transcript.language, seconds=round(wav.size / RECOGNITION_RATE, 2))
