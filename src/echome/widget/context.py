"""What the web chat needs from the composition root, handed in by the app factory."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session, sessionmaker

from echome.ratelimit import RateLimiter
from echome.storage.base import FileStorage
from echome.widget.speech import SentenceAudioCache, SpeechScheduler
from echome.widget.visitors import VisitorTokens

if TYPE_CHECKING:
    from echome.answer.pipeline import Answerer
    from echome.providers.base import SpeechToText
    from echome.voice.speaker import Speaker


@dataclass(frozen=True)
class WidgetLimits:
    """How much one visitor and one address may ask of the public chat (0: no limit)."""

    messages_per_minute: int = 12  # per visitor: typed messages and voice notes
    reads_per_minute: int = 120  # per visitor: the thread, new messages, audio
    ip_per_minute: int = 600  # every widget request from one address
    visitors_per_ip_per_hour: int = 60  # new visitor tokens from one address
    max_voice_bytes: int = 4 * 1024 * 1024
    max_voice_seconds: int = 120
    languages: tuple[str, ...] = ("en",)  # a voice note in another language is refused politely


@dataclass(frozen=True)
class WidgetContext:
    """The public chat's parts. The answer stage, the speaker and speech to text are built on first
    use (models load then), hence callables."""

    sessions: sessionmaker[Session]
    answerer: Callable[[], Answerer]
    speaker: Callable[[], Speaker]
    stt: Callable[[], SpeechToText]
    storage: FileStorage
    ratelimiter: RateLimiter
    tokens: VisitorTokens
    speech: SpeechScheduler
    audio_cache: SentenceAudioCache
    limits: WidgetLimits
    tmp_dir: Path
    public_url: str | None = None  # how sellers' sites reach this server (the embed code)
