"""Speak as the persona: its voice (ElevenLabs voice_id or the local voice) → audio file bytes.

A persona without a built voice speaks with the stock local voice, untransformed (neutral).
Messaging apps want OGG/Opus 48 kHz mono for voice notes; WAV and MP3 are offered for downloads.
A reply's voice note is stored at audio/{user}/responses/{message}.ogg.
Every voice (local or ElevenLabs) is given `speakable(text)`: prices, units, dates and codes in
words it says right, links and markdown gone. The text shown to the customer is never changed.
A reply is spoken in its own language (`language=`) and only by a voice that speaks it
(`can_speak`): the stock local voice speaks English only; ElevenLabs' multilingual models speak
the shop languages. A reply its voice cannot say is sent as text alone.
A web chat speaks a reply one sentence at a time (`Speaker.prepare`, then `PreparedVoice.say` per
sentence), so the first sentence plays while the next ones are being made. A voice that can send its
audio while making it (ElevenLabs) also streams a sentence (`PreparedVoice.stream`): the first bytes
play before the sentence is finished.
"""

from __future__ import annotations

import io
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, runtime_checkable

import numpy as np
from sqlalchemy.orm import Session, sessionmaker

from echome.db.models import Persona
from echome.db.session import transaction
from echome.media.audio import encode, load_audio, wav_bytes
from echome.providers.base import ModelsForSeller, ProviderError, TextToSpeech
from echome.speech import speakable
from echome.storage.base import FileStorage

Format = Literal["ogg", "wav", "mp3"]
MAX_CHARS = 5000
ELEVENLABS_DEFAULTS = {"stability": 0.5, "similarity_boost": 0.75}
# Digits grouped by a no-break or thin space ("1 500 €", French and Portuguese): one number to say.
_SPACED_GROUP = re.compile(r"(?<=\d)[\u00a0\u202f\u2009](?=\d{3}(?!\d))")
CONTENT_TYPES = {"ogg": "audio/ogg", "wav": "audio/wav", "mp3": "audio/mpeg"}
# The formats a streaming voice is asked for, by our format name (ElevenLabs' output_format names).
STREAM_OUTPUT: dict[str, str] = {"mp3": "mp3_44100_128"}


@runtime_checkable
class StreamingTextToSpeech(Protocol):
    """A voice that sends its audio while making it (optional, beside `TextToSpeech.synthesize`)."""

    def stream(
        self, text: str, *, voice_id: str, settings: dict[str, Any] | None = None, output_format: str = ...
    ) -> Iterator[bytes]: ...


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
    samples: np.ndarray | None = field(default=None, repr=False)  # mono float32, for joining sentences
    sample_rate: int = 0

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


def base_language(language: str) -> str:
    """Its language without region: "de-DE" and "de_AT" are "de"."""
    return language.replace("_", "-").split("-")[0].lower()


def spoken_languages(tts: object) -> frozenset[str]:
    """What a TextToSpeech says it speaks; one that does not say is taken to speak English only."""
    languages = getattr(tts, "languages", None)
    return frozenset(languages) if languages is not None else frozenset({"en"})


def response_key(user_id: str, message_id: str) -> tuple[str, str, str]:
    """(kind, owner, name) of a reply's voice note in storage."""
    return "audio", user_id, f"responses/{message_id}.ogg"


def _check_text(text: str) -> str:
    text = " ".join(_SPACED_GROUP.sub("", text).split())
    if not text:
        raise SpeakError("there is no text to speak")
    if len(text) > MAX_CHARS:
        raise SpeakError(f"the text is {len(text)} characters; at most {MAX_CHARS} can be spoken at once")
    return text


@dataclass(eq=False)
class PreparedVoice:
    """A persona's voice ready to speak (its provider, voice and settings looked up once): a reply
    said one sentence at a time costs one lookup, not one per sentence."""

    tts: TextToSpeech
    provider: str
    voice_id: str
    settings: dict[str, Any]
    language: str
    default_currency: str | None = None

    def words(self, text: str) -> str:
        """What the voice is given to say for `text` (`speakable`); SpeakError when nothing is left."""
        words = speakable(_check_text(text), language=self.language, default_currency=self.default_currency)
        if not words:
            raise SpeakError("there is nothing to speak once links and markup are left out")
        return words

    def can_stream(self, fmt: Format) -> bool:
        """Whether `stream` can send audio in `fmt` (a cloud voice that streams; not the local one)."""
        return fmt in STREAM_OUTPUT and isinstance(self.tts, StreamingTextToSpeech)

    def stream(self, text: str, *, fmt: Format = "mp3") -> Iterator[bytes] | None:
        """`text` as `fmt` audio bytes while the voice makes them, or None when this voice cannot
        stream `fmt` (then `say` it). Nothing is sent before the first `next()`; a failure raises
        SpeakError (after the bytes already given, when the stream broke off); closing the iterator
        early lets go of the connection."""
        if not self.can_stream(fmt):
            return None
        tts: Any = self.tts
        try:
            chunks = tts.stream(
                self.words(text),
                voice_id=self.voice_id,
                settings=self.settings,
                output_format=STREAM_OUTPUT[fmt],
            )
        except ProviderError as exc:
            raise SpeakError(f"speech failed: {exc}", transient=exc.transient) from None
        return _spoken_stream(chunks)

    def say(self, text: str, *, fmt: Format = "ogg") -> Spoken:
        """`text` (one sentence or a whole reply) as audio in `fmt`; the samples are kept on the
        result (`samples`, `sample_rate`) so sentences can be joined without decoding them again."""
        timings: dict[str, float] = {}
        t0 = time.perf_counter()
        words = self.words(text)
        timings["normalise"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        try:
            speech = self.tts.synthesize(words, voice_id=self.voice_id, settings=self.settings)
        except ProviderError as exc:
            raise SpeakError(f"speech failed: {exc}", transient=exc.transient) from None
        except ValueError as exc:
            raise SpeakError(str(exc)) from None
        timings["synthesize"] = time.perf_counter() - t0
        t1 = time.perf_counter()
        rate = speech.sample_rate or 22_050
        wav = load_audio(io.BytesIO(speech.audio), sample_rate=rate)
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
            provider=self.provider,
            voice_id=self.voice_id,
            characters=speech.characters,
            duration=round(wav.size / rate, 2),
            timings=timings,
            samples=wav,
            sample_rate=rate,
        )


def _spoken_stream(chunks: Iterator[bytes]) -> Iterator[bytes]:
    try:
        yield from chunks
    except ProviderError as exc:
        raise SpeakError(f"speech failed: {exc}", transient=exc.transient) from None
    finally:
        close = getattr(chunks, "close", None)
        if close is not None:
            close()


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

    def voice_languages(self, persona_id: str, user_id: str) -> frozenset[str]:
        """The languages the persona's voice speaks (none when its provider cannot be reached, e.g.
        its ElevenLabs key was removed)."""
        provider, _voice_id, _settings = self.voice_of(persona_id, user_id)
        try:
            tts = self.models.tts(provider, user_id=user_id, scope=persona_id)
        except (ProviderError, ValueError):
            return frozenset()
        return spoken_languages(tts)

    def can_speak(self, persona_id: str, user_id: str, language: str) -> bool:
        """Whether a voice note of a reply in `language` may be sent: the voice speaks it. A voice
        whose provider cannot be reached says yes here, so that speaking fails with the real reason
        (a removed key), which the reply then carries as its speech error."""
        languages = self.voice_languages(persona_id, user_id)
        return not languages or base_language(language) in languages

    def prepare(self, *, persona_id: str, user_id: str, language: str | None = None) -> PreparedVoice:
        """The persona's voice, looked up once, to say a reply sentence by sentence (`PreparedVoice.say`).
        A voice that does not speak `language` is refused here, before any sentence."""
        provider, voice_id, settings = self.voice_of(persona_id, user_id)
        try:
            tts = self.models.tts(provider, user_id=user_id, scope=persona_id)
        except ProviderError as exc:
            raise SpeakError(f"speech failed: {exc}", transient=exc.transient) from None
        except ValueError as exc:
            raise SpeakError(str(exc)) from None
        if language is not None and base_language(language) not in spoken_languages(tts):
            spoken = ", ".join(sorted(spoken_languages(tts))) or "no language"
            raise SpeakError(f"this voice speaks {spoken}, not {base_language(language)}")
        return PreparedVoice(
            tts=tts,
            provider=provider,
            voice_id=voice_id,
            settings=settings,
            language=language or self.language,
            default_currency=self.default_currency,
        )

    def speak(
        self,
        *,
        persona_id: str,
        user_id: str,
        text: str,
        fmt: Format = "ogg",
        language: str | None = None,
    ) -> Spoken:
        """`text` in the persona's voice. `language`: the text's (numbers are said in it, and a voice
        that does not speak it is refused); the Speaker's own language when not given."""
        words = _check_text(text)
        t0 = time.perf_counter()
        voice = self.prepare(persona_id=persona_id, user_id=user_id, language=language)
        looked_up = time.perf_counter() - t0
        spoken = voice.say(words, fmt=fmt)
        spoken.timings["synthesize"] += looked_up  # finding the voice counts as synthesis
        return spoken

    def save_reply(
        self, *, persona_id: str, user_id: str, text: str, message_id: str, language: str | None = None
    ) -> SavedAudio:
        """Speak a reply as an OGG/Opus voice note and store it under the reply's message id."""
        spoken = self.speak(persona_id=persona_id, user_id=user_id, text=text, fmt="ogg", language=language)
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
