"""ElevenLabs text to speech (`POST /v1/text-to-speech/{voice_id}`, and `.../stream` for audio that
arrives while it is being made) and instant voice cloning (`POST /v1/voices/add`,
`DELETE /v1/voices/{voice_id}`).

Instant cloning takes at most 25 samples of at most 10 MB each; the adapter checks both before
uploading so a bad selection fails here with a clear message rather than as a vague HTTP 400.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, Literal
from urllib.parse import quote

import httpx

from echome.providers.base import ClonedVoice, ProviderError, Speech
from echome.providers.http_retry import TRANSIENT_STATUSES

DEFAULT_VOICE_SETTINGS: dict[str, float] = {"stability": 0.5, "similarity_boost": 0.75}
# Allowed ranges of the voice_settings the API accepts.
_RANGES: dict[str, tuple[float, float]] = {
    "stability": (0.0, 1.0),
    "similarity_boost": (0.0, 1.0),
    "style": (0.0, 1.0),
    "speed": (0.7, 1.2),
}
# Characters one request may carry, per model (unknown models are left to the API to judge).
MAX_CHARACTERS = {
    "eleven_multilingual_v2": 10_000,
    "eleven_flash_v2_5": 40_000,
    "eleven_turbo_v2_5": 40_000,
    "eleven_flash_v2": 30_000,
    "eleven_turbo_v2": 30_000,
}
# The languages each model speaks, as ElevenLabs documents them (docs "Models"). A model not listed
# here is taken as multilingual v2 when its id says "multilingual", else as English only: a voice
# note in a language the model cannot say is worse than none.
MULTILINGUAL_V2_LANGUAGES = frozenset(
    {
        "en", "ja", "zh", "de", "hi", "fr", "ko", "pt", "it", "es", "id", "nl", "tr", "fil", "pl",
        "sv", "bg", "ro", "ar", "cs", "el", "fi", "hr", "ms", "sk", "da", "ta", "uk", "ru",
    }
)  # fmt: skip
V2_5_LANGUAGES = MULTILINGUAL_V2_LANGUAGES | {"hu", "no", "vi"}
MODEL_LANGUAGES: dict[str, frozenset[str]] = {
    "eleven_multilingual_v2": MULTILINGUAL_V2_LANGUAGES,
    "eleven_flash_v2_5": V2_5_LANGUAGES,
    "eleven_turbo_v2_5": V2_5_LANGUAGES,
    "eleven_v3": V2_5_LANGUAGES,  # documented for 70+ languages; these are the ones listed for v2.5
    "eleven_multilingual_v1": frozenset({"en", "de", "pl", "es", "it", "fr", "pt", "hi"}),
    "eleven_flash_v2": frozenset({"en"}),
    "eleven_turbo_v2": frozenset({"en"}),
    "eleven_monolingual_v1": frozenset({"en"}),
}
MAX_CLONE_FILES = 25
MAX_CLONE_FILE_BYTES = 10_000_000
_AUDIO_TYPES = {
    ".mp3": "audio/mpeg",
    ".wav": "audio/wav",
    ".flac": "audio/flac",
    ".ogg": "audio/ogg",
    ".opus": "audio/ogg",
    ".m4a": "audio/mp4",
    ".mp4": "audio/mp4",
    ".aac": "audio/aac",
    ".webm": "audio/webm",
}
_GONE = frozenset({"voice_not_found", "voice_does_not_exist"})


class _ElevenLabsClient:
    _what = "ElevenLabs"

    def __init__(
        self, api_key: str, *, base_url: str, timeout: float, transport: httpx.BaseTransport | None
    ) -> None:
        if not api_key:
            raise ProviderError("ElevenLabs needs an API key")
        self.base_url = base_url.rstrip("/")
        self._secret = api_key
        self._client = httpx.Client(
            base_url=self.base_url, headers={"xi-api-key": api_key}, timeout=timeout, transport=transport
        )

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self.base_url!r}, api_key='***')"

    def close(self) -> None:
        self._client.close()

    def _send(
        self, action: str, method: str, path: str, *, allow: tuple[int, ...] = (), **kwargs: Any
    ) -> httpx.Response:
        try:
            r = self._client.request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            raise _unreachable(action, exc) from None
        if r.status_code >= 400 and r.status_code not in allow:
            raise ProviderError(self._describe(action, r), transient=r.status_code in TRANSIENT_STATUSES)
        return r

    def _describe(self, action: str, r: httpx.Response) -> str:
        status, message = error_detail(r)
        hint = {
            401: "the API key is wrong or has no access",
            404: "not found",
            422: "the request was refused as invalid",
            429: "too many requests right now",
        }.get(r.status_code, "")
        if status == "quota_exceeded":
            hint = "the account's character quota is used up"
        parts = [p for p in (hint, status, message) if p]
        text = f"ElevenLabs {action} failed (HTTP {r.status_code})" + (
            ": " + "; ".join(parts) if parts else ""
        )
        text = text.replace(self._secret, "***")
        return " ".join(text.split())[:400]


def _unreachable(action: str, exc: httpx.HTTPError) -> ProviderError:
    if isinstance(exc, httpx.TimeoutException):
        return ProviderError(f"ElevenLabs {action}: no answer within the timeout", transient=True)
    return ProviderError(f"ElevenLabs {action}: unreachable ({type(exc).__name__})", transient=True)


def error_detail(r: httpx.Response) -> tuple[str, str]:
    """(status, message) from `{"detail": {...}}`, `{"detail": [{"loc", "msg"}]}` or `{"detail": "..."}`."""
    try:
        detail = r.json().get("detail")
    except (ValueError, AttributeError):
        return "", ""
    if isinstance(detail, dict):
        return str(detail.get("status") or detail.get("code") or ""), str(detail.get("message") or "")
    if isinstance(detail, list):
        msgs = []
        for item in detail[:3]:
            if isinstance(item, dict):
                loc = ".".join(str(x) for x in item.get("loc", []) if x != "body")
                msgs.append(f"{loc}: {item.get('msg', '')}" if loc else str(item.get("msg", "")))
        return "validation_error", "; ".join(msgs)
    return "", str(detail or "")


def model_languages(model_id: str) -> frozenset[str]:
    """The languages an ElevenLabs TTS model speaks (see MODEL_LANGUAGES)."""
    known = MODEL_LANGUAGES.get(model_id)
    if known is not None:
        return known
    return MULTILINGUAL_V2_LANGUAGES if "multilingual" in model_id else frozenset({"en"})


def voice_settings(settings: dict[str, Any] | None) -> dict[str, Any]:
    """The `voice_settings` object: defaults, then the known keys of `settings` (others are ignored)."""
    out: dict[str, Any] = dict(DEFAULT_VOICE_SETTINGS)
    for key, value in (settings or {}).items():
        if key == "use_speaker_boost":
            out[key] = bool(value)
        elif key in _RANGES:
            low, high = _RANGES[key]
            try:
                number = float(value)
            except (TypeError, ValueError):
                raise ProviderError(f"voice setting {key} must be a number, not {value!r}") from None
            if not low <= number <= high:
                raise ProviderError(f"voice setting {key}={number} is outside {low}..{high}")
            out[key] = number
    return out


class ElevenLabsTTS(_ElevenLabsClient):
    def __init__(
        self,
        api_key: str,
        *,
        base_url: str = "https://api.elevenlabs.io",
        model_id: str = "eleven_multilingual_v2",
        output_format: str = "mp3_44100_128",
        timeout: float = 60.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        codec, _, rest = output_format.partition("_")
        rate = rest.split("_")[0]
        if codec not in ("mp3", "pcm") or not rate.isdigit():
            raise ValueError(f"unsupported output_format {output_format!r}; use mp3_RATE_KBPS or pcm_RATE")
        super().__init__(api_key, base_url=base_url, timeout=timeout, transport=transport)
        self.name = f"elevenlabs:{model_id}"
        self.model_id = model_id
        self.languages = model_languages(model_id)
        self.output_format = output_format
        self._format: Literal["mp3", "pcm"] = "mp3" if codec == "mp3" else "pcm"
        self._rate = int(rate)

    def _body(self, text: str, voice_id: str, settings: dict[str, Any] | None) -> dict[str, Any]:
        if not text.strip():
            raise ProviderError("nothing to say: the text is empty")
        if not voice_id:
            raise ProviderError("no ElevenLabs voice id given")
        limit = MAX_CHARACTERS.get(self.model_id)
        if limit is not None and len(text) > limit:
            raise ProviderError(
                f"the text has {len(text)} characters; {self.model_id} takes at most {limit} per request"
            )
        return {"text": text, "model_id": self.model_id, "voice_settings": voice_settings(settings)}

    def synthesize(self, text: str, *, voice_id: str, settings: dict[str, Any] | None = None) -> Speech:
        body = self._body(text, voice_id, settings)
        r = self._send(
            "speech",
            "POST",
            f"/v1/text-to-speech/{quote(voice_id, safe='')}",
            params={"output_format": self.output_format},
            json=body,
            headers={"accept": "audio/mpeg" if self._format == "mp3" else "audio/pcm"},
        )
        kind = r.headers.get("content-type", "").split(";")[0].strip()
        if not r.content or kind.startswith(("application/json", "text/")):
            raise ProviderError(f"ElevenLabs speech returned no audio ({kind or 'empty'})", transient=True)
        return Speech(audio=r.content, format=self._format, sample_rate=self._rate, characters=len(text))

    def stream(
        self,
        text: str,
        *,
        voice_id: str,
        settings: dict[str, Any] | None = None,
        output_format: str = "mp3_44100_128",
    ) -> Iterator[bytes]:
        """`text` spoken, as the audio bytes arrive (`POST /v1/text-to-speech/{voice_id}/stream`).

        The request is checked here and sent on the first `next()`. Errors before the first byte are
        `synthesize`'s; a stream that breaks off raises a transient ProviderError after the bytes it
        gave. Stopping early (closing the iterator, or dropping it) releases the connection."""
        body = self._body(text, voice_id, settings)
        codec, _, rest = output_format.partition("_")
        if codec not in ("mp3", "pcm") or not rest.split("_")[0].isdigit():
            raise ProviderError(f"unsupported output_format {output_format!r}; use mp3_RATE_KBPS or pcm_RATE")
        request = self._client.build_request(
            "POST",
            f"/v1/text-to-speech/{quote(voice_id, safe='')}/stream",
            params={"output_format": output_format},
            json=body,
            headers={"accept": "audio/mpeg" if codec == "mp3" else "audio/pcm"},
        )
        return self._chunks(request)

    def _chunks(self, request: httpx.Request) -> Iterator[bytes]:
        try:
            r = self._client.send(request, stream=True)
        except httpx.HTTPError as exc:
            raise _unreachable("speech", exc) from None
        sent = 0
        try:
            if r.status_code >= 400:
                with contextlib.suppress(httpx.HTTPError):  # the status says enough
                    r.read()
                raise ProviderError(
                    self._describe("speech", r), transient=r.status_code in TRANSIENT_STATUSES
                )
            kind = r.headers.get("content-type", "").split(";")[0].strip()
            if kind.startswith(("application/json", "text/")):
                raise ProviderError(f"ElevenLabs speech returned no audio ({kind})", transient=True)
            try:
                for chunk in r.iter_bytes():
                    if chunk:
                        sent += len(chunk)
                        yield chunk
            except httpx.HTTPError as exc:
                if not sent:
                    raise _unreachable("speech", exc) from None
                raise ProviderError(
                    f"ElevenLabs speech broke off after {sent} bytes ({type(exc).__name__})", transient=True
                ) from None
            if not sent:
                raise ProviderError("ElevenLabs speech returned no audio (empty)", transient=True)
        finally:
            r.close()


class ElevenLabsVoiceCloner(_ElevenLabsClient):
    def __init__(
        self,
        api_key: str,
        *,
        base_url: str = "https://api.elevenlabs.io",
        remove_background_noise: bool = False,
        timeout: float = 180.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        super().__init__(api_key, base_url=base_url, timeout=timeout, transport=transport)
        self.name = "elevenlabs:ivc"
        self.remove_background_noise = remove_background_noise

    def clone(
        self,
        *,
        name: str,
        samples: Sequence[str],
        description: str = "",
        labels: dict[str, str] | None = None,
    ) -> ClonedVoice:
        """Instant voice clone from `samples`, best first (samples past the 25th are left out)."""
        if not name.strip():
            raise ProviderError("the voice needs a name")
        if not samples:
            raise ProviderError("no voice samples to clone from")
        chosen, skipped = list(samples[:MAX_CLONE_FILES]), list(samples[MAX_CLONE_FILES:])
        sent = [_describe_sample(Path(p)) for p in chosen]
        data = {
            "name": name.strip(),
            "description": description,
            "remove_background_noise": "true" if self.remove_background_noise else "false",
        }
        if labels:
            data["labels"] = json.dumps(labels)
        with contextlib.ExitStack() as stack:
            files = [
                ("files", (info["name"], stack.enter_context(Path(path).open("rb")), info["content_type"]))
                for path, info in zip(chosen, sent, strict=True)
            ]
            r = self._send("voice cloning", "POST", "/v1/voices/add", data=data, files=files)
        try:
            answer = r.json()
            voice_id = str(answer["voice_id"])
        except (ValueError, KeyError, TypeError):
            raise ProviderError(
                "ElevenLabs voice cloning answered without a voice_id", transient=True
            ) from None
        return ClonedVoice(
            provider="elevenlabs",
            voice_id=voice_id,
            settings=dict(DEFAULT_VOICE_SETTINGS),
            detail={
                "files": [{k: v for k, v in s.items() if k != "content_type"} for s in sent],
                "file_count": len(sent),
                "total_seconds": round(sum(s["seconds"] for s in sent), 1),
                "skipped_samples": [Path(p).name for p in skipped],
                "remove_background_noise": self.remove_background_noise,
                "requires_verification": bool(answer.get("requires_verification", False)),
            },
        )

    def delete_voice(self, voice_id: str, *, timeout: float | None = None) -> bool:
        """Delete a cloned voice; False when ElevenLabs no longer has it. `timeout` (seconds) bounds
        this one request (cloning uploads need the client's long one; a deletion does not)."""
        if not voice_id:
            raise ProviderError("no ElevenLabs voice id given")
        extra: dict[str, Any] = {"timeout": timeout} if timeout is not None else {}
        r = self._send(
            "voice deletion", "DELETE", f"/v1/voices/{quote(voice_id, safe='')}", allow=(400, 404), **extra
        )
        if r.status_code == 404 or (r.status_code == 400 and error_detail(r)[0] in _GONE):
            return False
        if r.status_code >= 400:
            raise ProviderError(self._describe("voice deletion", r))
        return True


def _describe_sample(path: Path) -> dict[str, Any]:
    from echome.media.audio import AudioError, probe

    if not path.is_file():
        raise ProviderError(f"voice sample {path.name} does not exist")
    size = path.stat().st_size
    if size == 0:
        raise ProviderError(f"voice sample {path.name} is empty")
    if size > MAX_CLONE_FILE_BYTES:
        raise ProviderError(
            f"voice sample {path.name} is {size / 1e6:.1f} MB; ElevenLabs takes at most "
            f"{MAX_CLONE_FILE_BYTES / 1e6:.0f} MB per sample (cut it shorter or compress it)"
        )
    content_type = _AUDIO_TYPES.get(path.suffix.lower())
    if content_type is None:
        raise ProviderError(
            f"voice sample {path.name}: unsupported file type (use {', '.join(sorted(_AUDIO_TYPES))})"
        )
    try:
        seconds = probe(path).duration
    except AudioError as exc:
        raise ProviderError(f"voice sample {path.name}: {exc}") from None
    return {"name": path.name, "bytes": size, "seconds": round(seconds, 2), "content_type": content_type}
