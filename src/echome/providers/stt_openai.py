"""OpenAI speech to text (`POST {base_url}/audio/transcriptions`) with segment and word timestamps.

Word timestamps need `response_format=verbose_json`, which whisper-1 supports. Uploads are capped at
25 MB: larger files are refused before sending (send FLAC or Opus instead of WAV to fit more audio).
The API reports no language confidence, so `language_probability` is 1.0 (its detection is taken
as given).
"""

from __future__ import annotations

import bisect
from pathlib import Path
from typing import Any

import httpx

from echome.providers.base import ProviderError, Segment, Transcript, Word
from echome.providers.http_retry import TRANSIENT_STATUSES

MAX_UPLOAD_BYTES = 25 * 1024 * 1024
_TYPES = {
    ".flac": "audio/flac",
    ".m4a": "audio/mp4",
    ".mp3": "audio/mpeg",
    ".mp4": "audio/mp4",
    ".mpeg": "audio/mpeg",
    ".mpga": "audio/mpeg",
    ".oga": "audio/ogg",
    ".ogg": "audio/ogg",
    ".wav": "audio/wav",
    ".webm": "audio/webm",
}
# Whisper answers with English language names; the rest of the app speaks ISO 639-1.
LANGUAGE_CODES = {
    "afrikaans": "af",
    "arabic": "ar",
    "bengali": "bn",
    "bulgarian": "bg",
    "catalan": "ca",
    "chinese": "zh",
    "croatian": "hr",
    "czech": "cs",
    "danish": "da",
    "dutch": "nl",
    "english": "en",
    "estonian": "et",
    "finnish": "fi",
    "french": "fr",
    "german": "de",
    "greek": "el",
    "hebrew": "he",
    "hindi": "hi",
    "hungarian": "hu",
    "indonesian": "id",
    "italian": "it",
    "japanese": "ja",
    "korean": "ko",
    "latvian": "lv",
    "lithuanian": "lt",
    "malay": "ms",
    "norwegian": "no",
    "persian": "fa",
    "polish": "pl",
    "portuguese": "pt",
    "romanian": "ro",
    "russian": "ru",
    "serbian": "sr",
    "slovak": "sk",
    "slovenian": "sl",
    "spanish": "es",
    "swahili": "sw",
    "swedish": "sv",
    "tagalog": "tl",
    "tamil": "ta",
    "thai": "th",
    "turkish": "tr",
    "ukrainian": "uk",
    "urdu": "ur",
    "vietnamese": "vi",
    "welsh": "cy",
}


def language_code(name: str) -> str:
    """ "english" → "en"; a code stays a code; an unknown name is returned lower-cased."""
    value = name.strip().lower()
    return LANGUAGE_CODES.get(value, value)


class OpenAIWhisperSTT:
    def __init__(
        self,
        api_key: str,
        *,
        base_url: str = "https://api.openai.com/v1",
        model: str = "whisper-1",
        timeout: float = 300.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.name = f"openai:{model}"
        self.model = model
        self.base_url = base_url.rstrip("/")
        self._secret = api_key or None
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._client = httpx.Client(
            base_url=self.base_url, headers=headers, timeout=timeout, transport=transport
        )

    def __repr__(self) -> str:
        key = "***" if self._secret else None
        return f"OpenAIWhisperSTT(model={self.model!r}, base_url={self.base_url!r}, api_key={key!r})"

    def close(self) -> None:
        self._client.close()

    def transcribe(self, audio_path: str, *, language: str | None = None) -> Transcript:
        path = Path(audio_path)
        if not path.is_file():
            raise ProviderError(f"audio file {path.name} does not exist")
        content_type = _TYPES.get(path.suffix.lower())
        if content_type is None:
            raise ProviderError(
                f"OpenAI transcription takes {', '.join(sorted(_TYPES))} files, "
                f"not {path.suffix or path.name}"
            )
        size = path.stat().st_size
        if size > MAX_UPLOAD_BYTES:
            raise ProviderError(
                f"{path.name} is {size / 1024 / 1024:.1f} MB; OpenAI transcription takes at most 25 MB "
                "per file (send a compressed format such as FLAC or Opus, or split the audio)"
            )
        data: dict[str, Any] = {
            "model": self.model,
            "response_format": "verbose_json",
            "timestamp_granularities[]": ["segment", "word"],
        }
        if language:
            data["language"] = language_code(language)
        with path.open("rb") as fh:
            try:
                r = self._client.post(
                    "/audio/transcriptions", data=data, files={"file": (path.name, fh, content_type)}
                )
            except httpx.TimeoutException:
                raise ProviderError(
                    "OpenAI transcription: no answer within the timeout", transient=True
                ) from None
            except httpx.HTTPError as exc:
                raise ProviderError(
                    f"OpenAI transcription unreachable ({type(exc).__name__})", transient=True
                ) from None
        if r.status_code != 200:
            raise ProviderError(self._describe(r), transient=r.status_code in TRANSIENT_STATUSES)
        try:
            body = r.json()
            return self._transcript(body, forced=language)
        except (ValueError, KeyError, TypeError) as exc:
            raise ProviderError(
                f"OpenAI transcription answered in an unexpected shape ({type(exc).__name__})", transient=True
            ) from None

    def _describe(self, r: httpx.Response) -> str:
        detail = ""
        try:
            err = r.json().get("error")
            detail = str(err.get("message", "")) if isinstance(err, dict) else str(err or "")
        except (ValueError, AttributeError):
            pass
        text = f"OpenAI transcription failed: HTTP {r.status_code}" + (f": {detail}" if detail else "")
        if self._secret:
            text = text.replace(self._secret, "***")
        return " ".join(text.split())[:400]

    def _transcript(self, body: dict[str, Any], *, forced: str | None) -> Transcript:
        duration = float(body.get("duration") or 0.0)
        segments = [
            Segment(
                start=float(s["start"]),
                end=float(s["end"]),
                text=str(s.get("text", "")).strip(),
                avg_logprob=_float_or_none(s.get("avg_logprob")),
                no_speech_prob=_float_or_none(s.get("no_speech_prob")),
            )
            for s in body.get("segments") or []
        ]
        words = [
            Word(float(w["start"]), float(w["end"]), str(w["word"]).strip())
            for w in body.get("words") or []
            if str(w.get("word", "")).strip()
        ]
        text = str(body.get("text", "")).strip()
        if not segments and (words or text):
            end = words[-1].end if words else duration
            segments = [Segment(start=words[0].start if words else 0.0, end=end, text=text)]
        assign_words(segments, words)
        segments = [s for s in segments if s.text]
        language = language_code(forced or str(body.get("language") or ""))
        return Transcript(
            text=text or " ".join(s.text for s in segments),
            language=language,
            language_probability=1.0,
            duration=duration,
            segments=segments,
            model=self.name,
        )


def assign_words(segments: list[Segment], words: list[Word]) -> None:
    """Put each word into the segment its midpoint falls in (or the nearer neighbour across a gap)."""
    if not segments:
        return
    segments.sort(key=lambda s: s.start)
    starts = [s.start for s in segments]
    for w in sorted(words, key=lambda w: w.start):
        mid = (w.start + w.end) / 2
        i = max(0, bisect.bisect_right(starts, mid) - 1)
        seg = segments[i]
        if mid > seg.end and i + 1 < len(segments) and segments[i + 1].start - mid < mid - seg.end:
            seg = segments[i + 1]
        seg.words.append(w)


def _float_or_none(value: Any) -> float | None:
    return None if value is None else float(value)
