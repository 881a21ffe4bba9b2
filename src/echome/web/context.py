"""What the pages need from the composition root, handed in by the app factory."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session, sessionmaker

from echome.ratelimit import RateLimiter
from echome.web.form_once import FormReceipts, MemoryFormReceipts

if TYPE_CHECKING:
    from echome.accounts.erase import VoiceRemover
    from echome.accounts.key_check import KeyCheck
    from echome.answer.pipeline import Answerer
    from echome.channels.telegram.api import TelegramApi
    from echome.handoff.actions import HandoffActions
    from echome.knowledge.retrieve import Retriever
    from echome.persona.service import MediaIntake
    from echome.providers.base import VectorStore
    from echome.secrets.keystore import KeyStore
    from echome.storage.base import FileStorage
    from echome.voice.speaker import Speaker


@dataclass(frozen=True)
class CatalogTools:
    """The Catalog pages' stages: uploads stored and imported as jobs, search, deletion. The
    retriever and the vector store are built on first use (models load then), hence callables."""

    storage: FileStorage
    submit_job: Callable[..., str]
    retriever: Callable[[], Retriever]
    vectors: Callable[[], VectorStore]
    max_upload_bytes: int


@dataclass(frozen=True)
class ChatTools:
    """Test chat and Conversations: the answer stage (built on first use, hence a callable) and the
    file storage holding voice notes."""

    answerer: Callable[[], Answerer]
    storage: FileStorage


@dataclass(frozen=True)
class PersonaTools:
    """The Persona and Voice pages: recordings taken in (stored, then processed as jobs), the
    recordings' audio, jobs, and speech in the persona's voice (built on first use, a callable)."""

    storage: FileStorage
    submit_job: Callable[..., str]
    media_intake: MediaIntake
    speaker: Callable[[], Speaker]


@dataclass(frozen=True)
class SettingsTools:
    """Settings and Channels: keys stored encrypted and tested, deleting a persona or the account with
    their files and vectors, and the persona's Telegram bot (how this server receives its messages)."""

    keystore: KeyStore
    storage: FileStorage
    vectors: Callable[[], VectorStore]
    products_changed: Callable[[str], None]  # a seller's products changed: search caches forget them
    check_key: Callable[[str, str], KeyCheck]  # (provider, secret) -> the provider's verdict
    bot_api: Callable[[str], TelegramApi]
    webhook_secret: Callable[[str], str]  # persona id -> the secret Telegram sends with updates
    public_url: str | None  # webhooks need it; without it `echome serve` polls
    polling: bool  # `echome serve` polls Telegram for bots without a webhook
    token_ttl_days: int  # lifetime of new API tokens
    bot_check_seconds: float = 8.0  # the longest the Channels page waits for Telegram's answers
    remove_voice: VoiceRemover | None = None  # a deleted persona's voice cloned at ElevenLabs


@dataclass(frozen=True)
class HandoffTools:
    """The seller in the loop: Conversations' claim / reply / send draft / release (the very actions
    the JSON API calls; built on first use, hence a callable) and the Channels page's web chat, whose
    embed code names this server's public address (None: the code is relative to this server)."""

    actions: Callable[[], HandoffActions]
    public_url: str | None
    live_interval: float = 1.0  # seconds between the inbox's looks for news (its live feed)
    live_seconds: float = 300.0  # a live feed ends after this; the browser opens it again


@dataclass(frozen=True)
class WebContext:
    sessions: sessionmaker[Session]
    ratelimiter: RateLimiter
    allow_signup: bool
    google_enabled: bool
    login_attempts_per_minute: int  # per account, shared with the API's sign-in
    ip_limit_per_minute: int  # form posts per client address (0 = off)
    catalog: CatalogTools | None = None  # the Catalog pages (routes_catalog)
    chat: ChatTools | None = None  # Test chat and Conversations (routes_chat, routes_conversations)
    persona: PersonaTools | None = None  # the Persona and Voice pages (routes_persona, routes_voice)
    settings: SettingsTools | None = None  # Settings and Channels (routes_settings, routes_channels)
    handoff: HandoffTools | None = None  # Conversations' handoff desk, Channels' web chat and alerts
    # Create forms' one-time nonces (form_once.py): Redis when the server has it, else memory.
    form_receipts: FormReceipts = field(default_factory=MemoryFormReceipts)
