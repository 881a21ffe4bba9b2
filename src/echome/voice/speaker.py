"""Speak as the persona: its voice (ElevenLabs voice_id or the local voice) → audio file bytes.

A persona without a built voice speaks with the stock local voice, untransformed (neutral).
Messaging apps want OGG/Opus 48 kHz mono for voice notes; WAV and MP3 are offered for downloads.
A reply's voice note is stored at audio/{user}/responses/{message}.ogg.
Every voice (local or ElevenLabs) is given `speakable(text)`: prices, units, dates and codes in
words it says right, links and markdown gone. The text shown to the customer is never changed.
"""

from __future__ import annotations

import io
import time
from dataclasses import dataclass, field
from typing import Any, Literal

from sqlalchemy.orm import Session, sessionmaker

from echome.db.models import Persona
from echome.db.session import transaction
from echome.media.audio import encode, load_audio, wav_bytes
from echome.providers.base import ModelsForSeller, ProviderError
from echome.speech import speakable
from echome.storage.base import FileStorage

Format = Literal["ogg", "wav", "mp3"]
MAX_CHARS = 5000
ELEVENLABS_DEFAULTS = {"stability": 0.5, "similarity_boost": 0.75}
CONTENT_TYPES = {"ogg": "audio/ogg", "wav": "audio/wav", "mp3": "audio/mpeg"}


class SpeakError(ValueError):
    def __init__(self, message: str, *, transient: bool = False) -> None:
        super().__init__(message)
        self.transient = transient


@dataclass
class Spoken:
    audio: bytes
    format: Format
    provider: str
    voice_id: str
    characters: int
    duration: float
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def content_type(self) -> str:
        return CONTENT_TYPES[self.format]


@dataclass
class SavedAudio:
    key: str
    audio: bytes
    duration: float
    characters: int
    provider: str
    timings: dict[str, float] = field(default_factory=dict)


def response_key(user_id: str, message_id: str) -> tuple[str, str, str]:
    """(kind, owner, name) of a reply's voice note in storage."""
    return "audio", user_id, f"responses/{message_id}.ogg"


@dataclass(eq=False)
class Speaker:
    sessions: sessionmaker[Session]
    models: ModelsForSeller
    storage: FileStorage
    default_currency: str | None = None  # the catalog's currency: which dollar a bare "$" is
    language: str = "en"  # how numbers are said

    def voice_of(self, persona_id: str, user_id: str) -> tuple[str, str, dict[str, Any]]:
        with transaction(self.sessions) as db:
            persona = db.get(Persona, persona_id)
            if persona is None or persona.user_id != user_id:
                raise SpeakError("persona not found")
            provider = persona.voice_provider or "local"
            voice_id = persona.voice_id or "piper:joe"
            vs = dict(persona.voice_settings or {})
        if provider == "elevenlabs":
            settings = {**ELEVENLABS_DEFAULTS, **(vs.get("tts_overrides") or {})}
        else:
            settings = dict(vs.get("params") or {})
        return provider, voice_id, settings

    def speak(self, *, persona_id: str, user_id: str, text: str, fmt: Format = "ogg") -> Spoken:
        text = " ".join(text.split())
        if not text:
            raise SpeakError("there is no text to speak")
        if len(text) > MAX_CHARS:
            raise SpeakError(f"the text is {len(text)} characters; at most {MAX_CHARS} can be spoken at once")
        provider, voice_id, settings = self.voice_of(persona_id, user_id)
        timings: dict[str, float] = {}
        t0 = time.perf_counter()
        words = speakable(text, language=self.language, default_currency=self.default_currency)
        timings["normalise"] = time.perf_counter() - t0
        if not words:
            raise SpeakError("there is nothing to speak once links and markup are left out")
        t0 = time.perf_counter()
        try:
            tts = self.models.tts(provider, user_id=user_id, scope=persona_id)
            speech = tts.synthesize(words, voice_id=voice_id, settings=settings)
        except ProviderError as exc:
            raise SpeakError(f"speech failed: {exc}", transient=exc.transient) from None
        except ValueError as exc:
            raise SpeakError(str(exc)) from None
        timings["synthesize"] = time.perf_counter() - t0
        t1 = time.perf_counter()
        rate = speech.sample_rate or 22_050
        wav = load_audio(io.BytesIO(speech.audio), sample_rate=rate)
        duration = wav.size / rate
        if speech.format == fmt:
            audio = speech.audio
        elif fmt == "wav":
            audio = wav_bytes(wav, rate)
        else:
            audio = encode(wav, rate, codec="opus" if fmt == "ogg" else "mp3")
        timings["encode"] = time.perf_counter() - t1
        return Spoken(
            audio=audio,
            format=fmt,
            provider=provider,
            voice_id=voice_id,
            characters=speech.characters,
            duration=round(duration, 2),
            timings=timings,
        )

    def save_reply(self, *, persona_id: str, user_id: str, text: str, message_id: str) -> SavedAudio:
        """Speak a reply as an OGG/Opus voice note and store it under the reply's message id."""
        spoken = self.speak(persona_id=persona_id, user_id=user_id, text=text, fmt="ogg")
        kind, owner, name = response_key(user_id, message_id)
        key = self.storage.put(kind, owner, name, spoken.audio)
        return SavedAudio(
            key=key,
            audio=spoken.audio,
            duration=spoken.duration,
            characters=spoken.characters,
            provider=spoken.provider,
            timings=spoken.timings,
        )
