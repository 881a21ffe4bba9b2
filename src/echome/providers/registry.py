"""Config strings → provider objects, importing each vendor module only when it is chosen."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from echome.providers.base import (
    ChatModel,
    Embedder,
    Reranker,
    SpeakerEmbedder,
    SpeechToText,
    TextToSpeech,
    VectorStore,
    VoiceCloner,
)

log = logging.getLogger(__name__)


class ConfigError(ValueError):
    pass


def make_embedder(
    spec: str,
    *,
    openai_api_key: str | None = None,
    openai_base_url: str | None = None,
    cache_dir: Path | None = None,
) -> Embedder:
    kind, _, model = spec.partition(":")
    if kind == "local":
        if model not in ("", "minilm", "all-MiniLM-L6-v2"):
            raise ConfigError(f"unknown local embedder {model!r}; available: local:minilm")
        from echome.providers.embed_onnx import OnnxMiniLMEmbedder

        return OnnxMiniLMEmbedder(cache_dir=cache_dir)
    if kind == "openai":
        if not openai_api_key:
            raise ConfigError("the OpenAI embedder needs ECHOME_OPENAI_API_KEY")
        from echome.providers.embed_openai import OpenAIEmbedder

        return OpenAIEmbedder(
            api_key=openai_api_key,
            model=model or "text-embedding-3-small",
            base_url=openai_base_url or "https://api.openai.com/v1",
        )
    if kind == "fake":
        from echome.providers.fakes import HashingEmbedder

        return HashingEmbedder()
    raise ConfigError(f"unknown embedder {spec!r}; use local:minilm, openai:MODEL or fake:hashing")


def make_vector_store(
    kind: str,
    *,
    data_dir: Path,
    chroma_url: str | None = None,
    qdrant_url: str | None = None,
    qdrant_api_key: str | None = None,
) -> VectorStore:
    if kind == "flat":
        from echome.providers.store_flat import FlatStore

        store = FlatStore(path=data_dir / "vectors" / "flat.sqlite3")
        legacy = data_dir / "vectors" / "chroma"  # the embedded default before the flat store
        if legacy.is_dir() and not store.adopted("chroma"):
            from echome.providers.store_chroma import ChromaStore

            old = ChromaStore(path=legacy)
            copied = store.adopt("chroma", old.export())
            log.info("vectors moved from the embedded Chroma store", extra={"vectors": copied})
        return store
    if kind == "chroma":
        from echome.providers.store_chroma import ChromaStore

        return ChromaStore(path=data_dir / "vectors" / "chroma", url=chroma_url)
    if kind == "qdrant":
        from echome.providers.store_qdrant import QdrantStore

        return QdrantStore(
            url=qdrant_url,
            path=None if qdrant_url else data_dir / "vectors" / "qdrant",
            api_key=qdrant_api_key,
        )
    if kind == "memory":
        from echome.providers.fakes import MemoryVectorStore

        return MemoryVectorStore()
    raise ConfigError(f"unknown vector store {kind!r}; use flat, chroma, qdrant or memory")


def make_reranker(
    spec: str, *, cohere_api_key: str | None = None, cohere_base_url: str | None = None
) -> Reranker:
    kind, _, model = spec.partition(":")
    if kind == "local":
        from echome.providers.rerank_local import LocalReranker

        return LocalReranker()
    if kind == "none":
        from echome.providers.rerank_local import NoReranker

        return NoReranker()
    if kind == "cohere":
        if not cohere_api_key:
            raise ConfigError("the Cohere reranker needs ECHOME_COHERE_API_KEY")
        from echome.providers.rerank_cohere import CohereReranker

        return CohereReranker(
            api_key=cohere_api_key,
            model=model or "rerank-v3.5",
            base_url=cohere_base_url or "https://api.cohere.com",
        )
    raise ConfigError(f"unknown reranker {spec!r}; use local, none or cohere:MODEL")


# -- speech, voice, chat ---------------------------------------------------------------------------
def make_stt(
    spec: str,
    *,
    cache_dir: Path,
    beam_size: int = 1,
    verbatim: bool = False,
    openai_api_key: str | None = None,
    openai_base_url: str | None = None,
) -> SpeechToText:
    """`verbatim`: keep fillers, backchannels and false starts (local models; the OpenAI adapter
    has no such mode and transcribes clean)."""
    kind, _, model = spec.partition(":")
    if kind == "local":
        from echome.providers.stt_whisper import MODELS, FasterWhisperSTT

        if model not in MODELS:
            raise ConfigError(f"unknown local speech model {model!r}; available: {', '.join(MODELS)}")
        return FasterWhisperSTT(model, cache_dir=cache_dir, beam_size=beam_size, verbatim=verbatim)
    if kind == "openai":
        if not openai_api_key:
            raise ConfigError("openai speech-to-text needs an OpenAI key (`echome keys set openai`)")
        from echome.providers.stt_openai import OpenAIWhisperSTT

        return OpenAIWhisperSTT(
            api_key=openai_api_key,
            base_url=openai_base_url or "https://api.openai.com/v1",
            model=model or "whisper-1",
        )
    raise ConfigError(f"unknown speech-to-text {spec!r}; use local:base, local:tiny.en or openai:whisper-1")


def make_speaker_embedder(spec: str) -> SpeakerEmbedder:
    """`local:auto`: the GE2E network where its weights are installed, else the MFCC fingerprint."""
    kind, _, model = spec.partition(":")
    if kind == "local" and model in ("", "auto"):
        from echome.providers.base import MissingDependency
        from echome.providers.speaker_ge2e import GE2ESpeakerEmbedder

        try:
            return GE2ESpeakerEmbedder()
        except MissingDependency as exc:
            log.warning("speakers told apart by the MFCC fingerprint: %s", exc)
            model = "mfcc"
    if kind == "local" and model == "mfcc":
        from echome.providers.speaker_mfcc import MfccSpeakerEmbedder

        return MfccSpeakerEmbedder()
    if kind == "local" and model == "ge2e":
        from echome.providers.speaker_ge2e import GE2ESpeakerEmbedder

        return GE2ESpeakerEmbedder()
    if kind == "local" and model == "resemblyzer":
        from echome.providers.speaker_resemblyzer import ResemblyzerSpeakerEmbedder

        return ResemblyzerSpeakerEmbedder()
    raise ConfigError(
        f"unknown speaker embedder {spec!r}; use local:auto, local:ge2e, local:mfcc or local:resemblyzer"
    )


def make_tts(
    provider: str,
    *,
    api_key: str | None = None,
    base_url: str | None = None,
    model: str | None = None,
    phrases: Any = None,
) -> TextToSpeech:
    """`phrases`: the local voice's PhraseCache (short repeated sentences kept as audio), if any."""
    if provider == "local":
        from echome.voice.local import LocalVoiceTTS

        return LocalVoiceTTS(phrases=phrases)
    if provider == "elevenlabs":
        if not api_key:
            raise ConfigError(
                "ElevenLabs speech needs the seller's ElevenLabs key (`echome keys set elevenlabs`)"
            )
        from echome.providers.tts_elevenlabs import ElevenLabsTTS

        return ElevenLabsTTS(
            api_key=api_key,
            base_url=base_url or "https://api.elevenlabs.io",
            model_id=model or "eleven_multilingual_v2",
        )
    raise ConfigError(f"unknown voice provider {provider!r}; use local or elevenlabs")


def make_voice_cloner(
    provider: str, *, api_key: str | None = None, base_url: str | None = None
) -> VoiceCloner:
    if provider == "local":
        from echome.voice.local import LocalVoiceCloner

        return LocalVoiceCloner()
    if provider == "elevenlabs":
        if not api_key:
            raise ConfigError(
                "ElevenLabs cloning needs the seller's ElevenLabs key (`echome keys set elevenlabs`)"
            )
        from echome.providers.tts_elevenlabs import ElevenLabsVoiceCloner

        return ElevenLabsVoiceCloner(api_key=api_key, base_url=base_url or "https://api.elevenlabs.io")
    raise ConfigError(f"unknown voice provider {provider!r}; use local or elevenlabs")


def make_chat(
    provider: str,
    *,
    api_key: str | None,
    base_url: str,
    model: str,
    timeout: float = 30.0,
    max_retries: int = 2,
) -> ChatModel:
    if provider == "openai":
        from echome.providers.chat_openai import OpenAIChat

        return OpenAIChat(
            api_key=api_key, base_url=base_url, model=model, timeout=timeout, max_retries=max_retries
        )
    if provider == "anthropic":
        if not api_key:
            raise ConfigError("Anthropic needs an API key")
        from echome.providers.chat_anthropic import AnthropicChat

        return AnthropicChat(
            api_key=api_key, base_url=base_url, model=model, timeout=timeout, max_retries=max_retries
        )
    raise ConfigError(f"unknown chat provider {provider!r}; use openai or anthropic")
