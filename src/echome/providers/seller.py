"""Per-seller providers: a seller's stored keys turned into the chat model, voice and cloner they
pay for. Keys are decrypted for one call and never kept; without a key the offline parts answer."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.orm import Session, sessionmaker

from echome.accounts.keys import get_secret
from echome.db.session import transaction
from echome.providers.base import ChatModel, TextToSpeech, VoiceCloner
from echome.providers.registry import make_chat, make_tts, make_voice_cloner
from echome.secrets.keystore import KeyStore


@dataclass(frozen=True)
class CloudEndpoints:
    """Where each vendor is reached and which models are used with a seller's key."""

    openai_base_url: str = "https://api.openai.com/v1"
    anthropic_base_url: str = "https://api.anthropic.com"
    elevenlabs_base_url: str = "https://api.elevenlabs.io"
    elevenlabs_model: str = "eleven_multilingual_v2"
    llm_base_url: str | None = None  # a self-hosted OpenAI-compatible server (needs no key)
    llm_openai_model: str = "gpt-4o-mini"
    llm_anthropic_model: str = "claude-3-5-haiku-latest"
    llm_timeout_seconds: float = 20.0
    llm_max_retries: int = 2


class SellerModels:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        keystore: KeyStore,
        endpoints: CloudEndpoints,
        *,
        local_tts: Callable[[], TextToSpeech],
        local_cloner: Callable[[], VoiceCloner] = lambda: make_voice_cloner("local"),
    ) -> None:
        self.sessions = sessions
        self.keystore = keystore
        self.endpoints = endpoints
        self._local_tts = local_tts
        self._local_cloner = local_cloner

    def key(self, user_id: str, provider: str, scope: str = "") -> str | None:
        """The seller's key for a provider (persona scope first), decrypted for one call."""
        with transaction(self.sessions) as db:
            return get_secret(db, self.keystore, user_id=user_id, provider=provider, scope=scope)

    def chat(self, user_id: str, scope: str = "") -> ChatModel | None:
        """The seller's LLM when they stored an OpenAI or Anthropic key, else None (offline mode)."""
        e = self.endpoints
        limits = {"timeout": e.llm_timeout_seconds, "max_retries": e.llm_max_retries}
        key = self.key(user_id, "openai", scope)
        if key or e.llm_base_url:
            return make_chat(
                "openai",
                api_key=key,
                base_url=e.llm_base_url or e.openai_base_url,
                model=e.llm_openai_model,
                **limits,
            )
        key = self.key(user_id, "anthropic", scope)
        if key:
            return make_chat(
                "anthropic", api_key=key, base_url=e.anthropic_base_url, model=e.llm_anthropic_model, **limits
            )
        return None

    def tts(self, provider: str, *, user_id: str, scope: str = "") -> TextToSpeech:
        if provider == "local":
            return self._local_tts()
        return make_tts(
            provider,
            api_key=self.key(user_id, provider, scope),
            base_url=self.endpoints.elevenlabs_base_url,
            model=self.endpoints.elevenlabs_model,
        )

    def voice_cloner(self, provider: str, *, user_id: str, scope: str = "") -> VoiceCloner:
        if provider == "local":
            return self._local_cloner()
        return make_voice_cloner(
            provider, api_key=self.key(user_id, provider, scope), base_url=self.endpoints.elevenlabs_base_url
        )

    def voice_provider(self, user_id: str, scope: str = "") -> str:
        """`auto`: ElevenLabs when the seller stored its key, else the local voice."""
        return "elevenlabs" if self.key(user_id, "elevenlabs", scope) else "local"
