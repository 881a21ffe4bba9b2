"""Composition root: settings in, ready-to-use services out. Nothing else reads settings."""

from __future__ import annotations

import logging
import os
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from echome.channels import telegram_handler as _telegram_jobs  # noqa: F401  (registers telegram.update)
from echome.db.session import make_engine, make_session_factory, transaction
from echome.jobs import registry as job_registry
from echome.jobs import store as job_store
from echome.jobs.runner import JobExecutor, JobQueue, Worker, make_huey
from echome.knowledge import jobs as _knowledge_jobs  # noqa: F401  (registers catalog.import)
from echome.knowledge.retrieve import Retriever
from echome.persona import jobs as _persona_jobs  # noqa: F401  (registers persona.* jobs)
from echome.providers.base import (
    ChatModel,
    Embedder,
    SpeakerEmbedder,
    SpeechToText,
    TextToSpeech,
    VectorStore,
    VoiceCloner,
)
from echome.providers.registry import (
    make_chat,
    make_embedder,
    make_reranker,
    make_speaker_embedder,
    make_stt,
    make_tts,
    make_vector_store,
    make_voice_cloner,
)
from echome.ratelimit import MemoryRateLimiter, RateLimiter, RedisRateLimiter
from echome.secrets.keystore import KeyStore, load_or_create_key_file
from echome.settings import Settings
from echome.storage.base import FileStorage

log = logging.getLogger("echome")


@dataclass
class Services:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    storage: FileStorage
    keystore: KeyStore
    ratelimiter: RateLimiter
    redis: Any | None
    session_secret: str
    # Extra `/api/health` components registered by later stages (vector store, models, channels).
    health_probes: dict[str, Callable[[], dict[str, Any] | None]] = field(default_factory=dict)
    queue: JobQueue = field(init=False)
    executor: JobExecutor = field(init=False)
    # Product knowledge: built lazily, so commands that never search load no model.
    _embedder: Embedder | None = field(default=None, init=False, repr=False)
    _vectors: VectorStore | None = field(default=None, init=False, repr=False)
    _retriever: Retriever | None = field(default=None, init=False, repr=False)
    # Media, speech and voice: also lazy; each model loads once per process.
    _stt: SpeechToText | None = field(default=None, init=False, repr=False)
    _speaker_embedder: SpeakerEmbedder | None = field(default=None, init=False, repr=False)
    _local_tts: TextToSpeech | None = field(default=None, init=False, repr=False)

    @property
    def embedder(self) -> Embedder:
        if self._embedder is None:
            s = self.settings
            self._embedder = make_embedder(
                s.embedder,
                openai_api_key=s.openai_api_key.get_secret_value() if s.openai_api_key else None,
                openai_base_url=s.openai_base_url,
            )
        return self._embedder

    @property
    def vectors(self) -> VectorStore:
        if self._vectors is None:
            s = self.settings
            self._vectors = make_vector_store(
                s.vector_store,
                data_dir=s.data_dir,
                chroma_url=s.chroma_url,
                qdrant_url=s.qdrant_url,
                qdrant_api_key=s.qdrant_api_key.get_secret_value() if s.qdrant_api_key else None,
            )
        return self._vectors

    @property
    def retriever(self) -> Retriever:
        if self._retriever is None:
            s = self.settings
            reranker = make_reranker(
                s.reranker,
                cohere_api_key=s.cohere_api_key.get_secret_value() if s.cohere_api_key else None,
                cohere_base_url=s.cohere_base_url,
            )
            self._retriever = Retriever(
                sessions=self.sessions, embedder=self.embedder, store=self.vectors, reranker=reranker
            )
        return self._retriever

    @property
    def stt(self) -> SpeechToText:
        """The server's speech-to-text (local models; `openai:` uses the server-wide OpenAI key)."""
        if self._stt is None:
            s = self.settings
            self._stt = make_stt(
                s.stt,
                cache_dir=s.data_dir / "models",
                beam_size=s.stt_beam_size,
                openai_api_key=s.openai_api_key.get_secret_value() if s.openai_api_key else None,
                openai_base_url=s.openai_base_url,
            )
        return self._stt

    @property
    def speaker_embedder(self) -> SpeakerEmbedder:
        if self._speaker_embedder is None:
            self._speaker_embedder = make_speaker_embedder(self.settings.speaker_embedder)
        return self._speaker_embedder

    def cloud_key(self, user_id: str, provider: str, scope: str = "") -> str | None:
        """The seller's key for a provider (persona scope first), decrypted for one call."""
        from echome.accounts.keys import get_secret

        with transaction(self.sessions) as db:
            return get_secret(db, self.keystore, user_id=user_id, provider=provider, scope=scope)

    def chat_for(self, user_id: str, scope: str = "") -> ChatModel | None:
        """The seller's LLM when they stored an OpenAI or Anthropic key, else None (offline mode)."""
        s = self.settings
        limits = {"timeout": s.llm_timeout_seconds, "max_retries": s.llm_max_retries}
        key = self.cloud_key(user_id, "openai", scope)
        if key or s.llm_base_url:
            # A self-hosted OpenAI-compatible server (Ollama, vLLM, llama.cpp, LM Studio) needs no key.
            return make_chat(
                "openai",
                api_key=key,
                base_url=s.llm_base_url or s.openai_base_url,
                model=s.llm_openai_model,
                **limits,
            )
        key = self.cloud_key(user_id, "anthropic", scope)
        if key:
            return make_chat(
                "anthropic", api_key=key, base_url=s.anthropic_base_url, model=s.llm_anthropic_model, **limits
            )
        return None

    def tts(self, provider: str, *, user_id: str, scope: str = "") -> TextToSpeech:
        if provider == "local":
            if self._local_tts is None:
                self._local_tts = make_tts("local")
            return self._local_tts
        s = self.settings
        return make_tts(
            provider,
            api_key=self.cloud_key(user_id, provider, scope),
            base_url=s.elevenlabs_base_url,
            model=s.elevenlabs_model,
        )

    def voice_cloner(self, provider: str, *, user_id: str, scope: str = "") -> VoiceCloner:
        if provider == "local":
            return make_voice_cloner("local")
        return make_voice_cloner(
            provider,
            api_key=self.cloud_key(user_id, provider, scope),
            base_url=self.settings.elevenlabs_base_url,
        )

    def submit_job(self, *, user_id: str, kind: str, payload: dict[str, Any] | None = None) -> str:
        """Record a job and send it to the workers; returns its id."""
        if job_registry.get_handler(kind) is None:
            raise ValueError(f"unknown job kind {kind!r}")
        with transaction(self.sessions) as s:
            job = job_store.create_job(
                s,
                user_id=user_id,
                kind=kind,
                payload=payload or {},
                max_attempts=self.settings.job_max_attempts,
            )
            job_id = job.id
        # Committed before it is sent, so a worker always finds the row. If sending fails the
        # job stays pending and a worker's reaper sends it again later.
        try:
            self.queue.enqueue(job_id)
        except Exception:
            log.exception("could not enqueue job; the reaper will retry", extra={"job_id": job_id})
        return job_id

    def make_worker(self, *, threads: int | None = None) -> Worker:
        return Worker(self, threads=threads or self.settings.workers)

    def warm_up(self) -> dict[str, float]:
        """Import and load what answering a customer needs (vector store, embedder, the local voice,
        the Telegram client), so the first message after a restart does not wait for it - and, in
        the one-process mode, so those seconds of imports do not stall the web thread under traffic.
        Returns seconds per step; a step that fails is logged and skipped (its job reports it)."""
        import importlib

        steps: dict[str, Callable[[], object]] = {
            "vector_store": lambda: self.vectors.count("warm-up"),
            "embedder": lambda: self.embedder.embed(["warm up"], kind="query"),
            "local_voice": lambda: self.tts("local", user_id="").synthesize("Hello."),
            "answering": lambda: importlib.import_module("echome.answer.pipeline"),
            "telegram": lambda: importlib.import_module("telegram.request"),  # python-telegram-bot
        }
        timings: dict[str, float] = {}
        for name, step in steps.items():
            t = time.perf_counter()
            try:
                step()
            except Exception as exc:  # a missing extra, a broken model file: the job will say so
                log.warning(
                    "warm-up step failed", extra={"step": name, "error": f"{type(exc).__name__}: {exc}"}
                )
                continue
            timings[name] = round(time.perf_counter() - t, 3)
        log.info("warmed up", extra={"seconds": timings})
        return timings

    def close(self) -> None:
        self.engine.dispose()
        if self.redis is not None:
            self.redis.close()


def _storage(settings: Settings) -> FileStorage:
    if settings.storage_backend == "s3":
        from echome.storage.s3 import S3Storage

        if not settings.s3_bucket:
            raise ValueError("ECHOME_S3_BUCKET is required when ECHOME_STORAGE_BACKEND=s3")
        return S3Storage(
            bucket=settings.s3_bucket,
            prefix=settings.s3_prefix,
            endpoint_url=settings.s3_endpoint_url,
            region=settings.s3_region,
        )
    from echome.storage.local import LocalStorage

    return LocalStorage(settings.data_dir / "files")


def master_key_path(settings: Settings) -> Path:
    return settings.data_dir / "keys" / "master.key"


def _keystore(settings: Settings) -> KeyStore:
    if settings.master_keys is not None:
        keys = [k.strip() for k in settings.master_keys.get_secret_value().split(",") if k.strip()]
    else:
        keys = load_or_create_key_file(master_key_path(settings))
    return KeyStore(keys)


def _session_secret(settings: Settings) -> str:
    if settings.session_secret is not None:
        return settings.session_secret.get_secret_value()
    path = settings.data_dir / "keys" / "session.key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as fh:
                fh.write(secrets.token_urlsafe(48))
        except FileExistsError:
            pass
    return path.read_text().strip()


def build_services(settings: Settings) -> Services:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    job_registry.load_plugins(settings.plugin_modules)
    engine = make_engine(settings.effective_database_url)
    redis_client = None
    limiter: RateLimiter
    if settings.redis_url:
        import redis

        redis_client = redis.Redis.from_url(settings.redis_url, socket_timeout=5, socket_connect_timeout=5)
        limiter = RedisRateLimiter(redis_client, namespace=f"{settings.queue_name}:rl")
    else:
        limiter = MemoryRateLimiter()
    services = Services(
        settings=settings,
        engine=engine,
        sessions=make_session_factory(engine),
        storage=_storage(settings),
        keystore=_keystore(settings),
        ratelimiter=limiter,
        redis=redis_client,
        session_secret=_session_secret(settings),
    )
    services.executor = JobExecutor(services)
    huey = make_huey(
        name=settings.queue_name, redis_url=settings.redis_url, sqlite_path=str(settings.queue_path)
    )
    services.queue = JobQueue(huey, services.executor, nice=settings.worker_nice)
    services.health_probes["vector_store"] = lambda: (
        services.vectors.check(),
        {"backend": services.vectors.name},
    )[1]
    services.health_probes["embedder"] = lambda: _embedder_probe(services)
    return services


def _embedder_probe(services: Services) -> dict[str, Any]:
    """The model loads once (lazily) and embeds a probe; later checks reuse the loaded model."""
    vec = services.embedder.embed(["health check"], kind="query")
    if vec.shape != (1, services.embedder.dim):
        raise RuntimeError(f"embedder returned shape {vec.shape}")
    return {"model": services.embedder.name}
