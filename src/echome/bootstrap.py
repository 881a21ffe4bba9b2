"""Composition root: settings in, wired objects out. The only module below `cli/` and `app/` that
reads `Settings`; nothing it builds imports it back.

Cheap parts (database, storage, keys, queue) are built at once. Models and the stages that use them
are built on first use, once, under a lock (`Lazy`), so `echome users list` loads no model and the
warm-up thread and a request never build two copies. Job kinds are registered by
`wiring_jobs.register_jobs`, each built with its parts when a worker first runs one.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import os
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from echome.db.session import make_engine, make_session_factory
from echome.jobs.registry import JobRegistry
from echome.jobs.runner import JobExecutor, JobQueue, Worker, make_huey
from echome.jobs.submit import JobSubmitter
from echome.lazy import Lazy
from echome.private_files import private_dir
from echome.ratelimit import MemoryRateLimiter, RateLimiter, RedisRateLimiter
from echome.secrets.keystore import KeyStore, load_or_create_key_file
from echome.settings import Settings
from echome.storage.base import FileStorage
from echome.wiring_jobs import languages, register_jobs

if TYPE_CHECKING:  # the stages: imported when first built
    from echome.answer.pipeline import Answerer
    from echome.channels.chat_order import ChatLocks
    from echome.channels.telegram.api import TelegramApi
    from echome.channels.telegram.inbox import TelegramInbox
    from echome.channels.telegram.polling import TelegramPoller
    from echome.channels.telegram.seller_chat import SellerChat
    from echome.handoff.actions import HandoffActions
    from echome.handoff.desk import HandoffDesk
    from echome.handoff.schedule import QueuedJobs
    from echome.knowledge.retrieve import Retriever
    from echome.knowledge.store_info import StoreInfo
    from echome.net.egress import EgressPolicy
    from echome.persona.builder import ProfileBuilder
    from echome.persona.service import MediaIntake
    from echome.providers.base import Embedder, SpeakerEmbedder, SpeechToText, TextToSpeech, VectorStore
    from echome.providers.seller import SellerModels
    from echome.voice.builder import VoiceBuilder
    from echome.voice.speaker import Speaker

log = logging.getLogger("echome")


def _secret(value: Any) -> str | None:
    return value.get_secret_value() if value is not None else None


@dataclass
class Services:
    """Everything `echome serve`, `echome worker` and the commands use, wired from one `Settings`."""

    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    storage: FileStorage
    keystore: KeyStore
    ratelimiter: RateLimiter
    redis: Any | None
    session_secret: str
    registry: JobRegistry
    queue: JobQueue
    executor: JobExecutor
    jobs: JobSubmitter
    # Extra `/api/health` components (vector store, models).
    health_probes: dict[str, Callable[[], dict[str, Any] | None]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        s = self.settings
        self._embedder: Lazy[Embedder] = Lazy(self._make_embedder)
        self._vectors: Lazy[VectorStore] = Lazy(self._make_vectors)
        self._retriever: Lazy[Retriever] = Lazy(self._make_retriever)
        self._stt: Lazy[SpeechToText] = Lazy(self._make_stt)
        self._persona_stt: Lazy[SpeechToText] = Lazy(lambda: self._make_stt(verbatim=True))
        self._speaker_embedder: Lazy[SpeakerEmbedder] = Lazy(
            lambda: _registry().make_speaker_embedder(s.speaker_embedder)
        )
        self._local_tts: Lazy[TextToSpeech] = Lazy(self._make_local_tts)
        self._models: Lazy[SellerModels] = Lazy(self._make_models)
        self._speaker: Lazy[Speaker] = Lazy(self._make_speaker)
        self._answerer: Lazy[Answerer] = Lazy(self._make_answerer)
        self._profiles: Lazy[ProfileBuilder] = Lazy(self._make_profiles)
        self._voices: Lazy[VoiceBuilder] = Lazy(self._make_voices)
        self._telegram_inbox: Lazy[TelegramInbox] = Lazy(self._make_inbox)
        self._chat_locks: Lazy[ChatLocks] = Lazy(self._make_chat_locks)

    # -- models and stages (built on first use) ---------------------------------------------------
    @property
    def embedder(self) -> Embedder:
        return self._embedder()

    @property
    def vectors(self) -> VectorStore:
        return self._vectors()

    @property
    def retriever(self) -> Retriever:
        return self._retriever()

    @property
    def stt(self) -> SpeechToText:
        """The server's speech-to-text (local models; `openai:` uses the server-wide OpenAI key)."""
        return self._stt()

    @property
    def persona_stt(self) -> SpeechToText:
        """Speech-to-text for the seller's own recordings: verbatim (keeps "um", "mm-hmm", false
        starts), so the persona's filler and habit figures are measured on what was said. Customers'
        voice notes use the clean `stt`. Local models share one loaded copy between the two."""
        return self._persona_stt()

    @property
    def speaker_embedder(self) -> SpeakerEmbedder:
        return self._speaker_embedder()

    @property
    def models(self) -> SellerModels:
        """Each seller's chat model, voice and cloner, from the keys they stored."""
        return self._models()

    @property
    def speaker(self) -> Speaker:
        return self._speaker()

    @property
    def answerer(self) -> Answerer:
        return self._answerer()

    @property
    def profiles(self) -> ProfileBuilder:
        return self._profiles()

    @property
    def voices(self) -> VoiceBuilder:
        return self._voices()

    @property
    def telegram_inbox(self) -> TelegramInbox:
        return self._telegram_inbox()

    @property
    def chat_locks(self) -> ChatLocks:
        return self._chat_locks()

    @property
    def store_info(self) -> StoreInfo:
        """The seller's store information (policies, shipping, hours, FAQ) for store questions."""
        from echome.knowledge.store_info import StoreInfo

        return StoreInfo(self.sessions, self.retriever)

    # -- the seller in the loop (cheap: built on first use, no models) ---------------------------
    @functools.cached_property
    def handoff_jobs(self) -> QueuedJobs:
        from echome.handoff.schedule import QueuedJobs

        return QueuedJobs(self.sessions, self.jobs)

    @functools.cached_property
    def handoff_desk(self) -> HandoffDesk:
        """The answer pipeline's handoff part: triggers, the waiting state, the seller told."""
        from echome.handoff.desk import HandoffDesk

        return HandoffDesk(self.sessions, self.handoff_jobs)

    @functools.cached_property
    def handoff_actions(self) -> HandoffActions:
        """What the seller does: claim, reply, send the draft, let the persona answer."""
        from echome.handoff.actions import HandoffActions

        return HandoffActions(self.sessions, self.handoff_jobs)

    @functools.cached_property
    def seller_chat(self) -> SellerChat:
        from echome.channels.telegram.seller_chat import SellerChat

        return SellerChat(self.sessions, self.handoff_actions)

    @functools.cached_property
    def egress(self) -> EgressPolicy:
        """Where server-side fetches (media URLs) may connect."""
        from echome.net.egress import EgressPolicy, parse_networks

        return EgressPolicy(allow=parse_networks(self.settings.fetch_allow_networks))

    @property
    def media_intake(self) -> MediaIntake:
        from echome.persona.service import MediaIntake

        return MediaIntake(
            self.storage, self.jobs.submit, max_upload_bytes=self.settings.max_media_upload_bytes
        )

    def _make_embedder(self) -> Embedder:
        s = self.settings
        return _registry().make_embedder(
            s.embedder,
            openai_api_key=_secret(s.openai_api_key),
            openai_base_url=s.openai_base_url,
            cache_dir=s.effective_models_dir,
        )

    def _make_vectors(self) -> VectorStore:
        s = self.settings
        return _registry().make_vector_store(
            s.vector_store,
            data_dir=s.data_dir,
            chroma_url=s.chroma_url,
            qdrant_url=s.qdrant_url,
            qdrant_api_key=_secret(s.qdrant_api_key),
        )

    def _make_retriever(self) -> Retriever:
        from echome.knowledge.retrieve import Retriever

        s = self.settings
        reranker = _registry().make_reranker(
            s.reranker, cohere_api_key=_secret(s.cohere_api_key), cohere_base_url=s.cohere_base_url
        )
        return Retriever(
            sessions=self.sessions, embedder=self.embedder, store=self.vectors, reranker=reranker
        )

    def _make_stt(self, *, verbatim: bool = False) -> SpeechToText:
        s = self.settings
        return _registry().make_stt(
            s.stt,
            cache_dir=s.effective_models_dir,
            beam_size=s.stt_beam_size,
            verbatim=verbatim,
            openai_api_key=_secret(s.openai_api_key),
            openai_base_url=s.openai_base_url,
        )

    def _make_models(self) -> SellerModels:
        from echome.providers.seller import CloudEndpoints, SellerModels

        s = self.settings
        endpoints = CloudEndpoints(
            openai_base_url=s.openai_base_url,
            anthropic_base_url=s.anthropic_base_url,
            elevenlabs_base_url=s.elevenlabs_base_url,
            elevenlabs_model=s.elevenlabs_model,
            llm_base_url=s.llm_base_url,
            llm_openai_model=s.llm_openai_model,
            llm_anthropic_model=s.llm_anthropic_model,
            llm_timeout_seconds=s.llm_timeout_seconds,
            llm_max_retries=s.llm_max_retries,
        )
        return SellerModels(self.sessions, self.keystore, endpoints, local_tts=self._local_tts)

    def _make_local_tts(self) -> TextToSpeech:
        from echome.voice.phrase_cache import PhraseCache

        return _registry().make_tts("local", phrases=PhraseCache())

    def _make_speaker(self) -> Speaker:
        from echome.voice.speaker import Speaker

        s = self.settings
        language = next(iter(languages(s.persona_languages)), "en")  # numbers are said in it
        return Speaker(
            self.sessions, self.models, self.storage, default_currency=s.catalog_currency, language=language
        )

    def _make_answerer(self) -> Answerer:
        from echome.answer.evidence import EvidenceFinder
        from echome.answer.nearest_kind import NearestKinds
        from echome.answer.pipeline import Answerer
        from echome.knowledge.lookup import ProductLookup

        finder = EvidenceFinder(
            self.sessions,
            self.retriever,
            ProductLookup(self.retriever.keyword_index),
            self.store_info,
            default_currency=self.settings.catalog_currency,
            kinds=NearestKinds(self.embedder),
        )
        return Answerer(self.sessions, finder, self.models, self.speaker, handoff=self.handoff_desk)

    def _make_profiles(self) -> ProfileBuilder:
        from echome.persona.builder import ProfileBuilder

        return ProfileBuilder(self.sessions, self.storage, self.models)

    def _make_voices(self) -> VoiceBuilder:
        from echome.voice.builder import VoiceBuilder

        return VoiceBuilder(self.sessions, self.storage, self.models)

    def _make_inbox(self) -> TelegramInbox:
        from echome.channels.telegram.inbox import TelegramInbox

        return TelegramInbox(
            self.sessions,
            self.jobs,
            server_secret=self.session_secret,
            max_attempts=self.settings.job_max_attempts,
        )

    def _make_chat_locks(self) -> ChatLocks:
        from echome.channels.chat_order import LocalChatLocks, RedisChatLocks

        if self.redis is not None:
            return RedisChatLocks(self.redis, namespace=f"{self.settings.queue_name}:chat")
        return LocalChatLocks()

    # -- channels ---------------------------------------------------------------------------------
    def bot_api(self, token: str) -> TelegramApi:
        from echome.channels.telegram.api import TelegramApi

        return TelegramApi(token, api_url=self.settings.telegram_api_url)

    def make_poller(
        self, *, persona_id: str | None = None, long_poll: int = 25, rescan: float = 30.0
    ) -> TelegramPoller:
        from echome.channels.telegram.polling import TelegramPoller

        return TelegramPoller(
            self.sessions,
            self.models,
            self.telegram_inbox,
            bot_api=self.bot_api,
            persona_id=persona_id,
            long_poll=long_poll,
            rescan=rescan,
        )

    # -- jobs -------------------------------------------------------------------------------------
    def submit_job(self, *, user_id: str, kind: str, payload: dict[str, Any] | None = None) -> str:
        """Record a job and send it to the workers; returns its id."""
        return self.jobs.submit(user_id=user_id, kind=kind, payload=payload)

    def make_worker(self, *, threads: int | None = None) -> Worker:
        return Worker(
            self.sessions,
            self.queue,
            worker_id=self.executor.worker_id,
            threads=threads or self.settings.workers,
            lease_seconds=self.settings.job_lease_seconds,
        )

    def warm_up(self, stopping: Callable[[], bool] = lambda: False) -> dict[str, float]:
        """Import and load what answering a customer needs (vector store, embedder, the local voice,
        the answer stack, the Telegram client), so the first message after a restart does not wait for
        it - and, in the one-process mode, so those imports do not stall the web thread under traffic.
        Returns seconds per step; a step that fails is logged and skipped, as are those after `stopping`."""
        import importlib

        steps: dict[str, Callable[[], object]] = {
            "vector_store": lambda: self.vectors.count("warm-up"),
            "embedder": lambda: self.embedder.embed(["warm up"], kind="query"),
            "local_voice": lambda: self._local_tts().synthesize(
                "Hello.", voice_id="piper:joe"
            ),  # stock voice
            "answering": lambda: self.answerer,
            "telegram": lambda: importlib.import_module("telegram.request"),  # python-telegram-bot
        }
        timings: dict[str, float] = {}
        for name, step in steps.items():
            if stopping():
                break
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
        store = self._vectors.peek()
        if store is not None and hasattr(store, "close"):  # the flat store's SQLite connection
            store.close()
        self.engine.dispose()
        if self.redis is not None:
            self.redis.close()


def _registry() -> Any:
    from echome.providers import registry

    return registry


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


def keystore_for(settings: Settings) -> KeyStore:
    """The keystore of these settings: ECHOME_MASTER_KEYS, or the key file in the data dir."""
    if settings.master_keys is not None:
        keys = [k.strip() for k in settings.master_keys.get_secret_value().split(",") if k.strip()]
    else:
        keys = load_or_create_key_file(master_key_path(settings))
    return KeyStore(keys)


def _session_secret(settings: Settings) -> str:
    if settings.session_secret is not None:
        return settings.session_secret.get_secret_value()
    path = settings.data_dir / "keys" / "session.key"
    path.parent.mkdir(parents=True, exist_ok=True)
    new = os.O_WRONLY | os.O_CREAT | os.O_EXCL  # made once, 0600; another process may be first
    with contextlib.suppress(FileExistsError), os.fdopen(os.open(path, new, 0o600), "w") as fh:
        fh.write(secrets.token_urlsafe(48))
    return path.read_text().strip()


def build_services(settings: Settings) -> Services:
    private_dir(settings.data_dir)  # 0700: the databases, keys and every upload live under it
    engine = make_engine(settings.effective_database_url)
    sessions = make_session_factory(engine)
    redis_client = None
    limiter: RateLimiter
    if settings.redis_url:
        import redis

        redis_client = redis.Redis.from_url(settings.redis_url, socket_timeout=5, socket_connect_timeout=5)
        limiter = RedisRateLimiter(redis_client, namespace=f"{settings.queue_name}:rl")
    else:
        limiter = MemoryRateLimiter()
    registry = JobRegistry()
    huey = make_huey(
        name=settings.queue_name, redis_url=settings.redis_url, sqlite_path=str(settings.queue_path)
    )
    queue = JobQueue(huey, nice=settings.worker_nice)
    executor = JobExecutor(
        sessions,
        registry,
        queue,
        lease_seconds=settings.job_lease_seconds,
        retry_base_seconds=settings.job_retry_base_seconds,
        retry_max_seconds=settings.job_retry_max_seconds,
    )
    queue.bind(executor.execute)
    services = Services(
        settings=settings,
        engine=engine,
        sessions=sessions,
        storage=_storage(settings),
        keystore=keystore_for(settings),
        ratelimiter=limiter,
        redis=redis_client,
        session_secret=_session_secret(settings),
        registry=registry,
        queue=queue,
        executor=executor,
        jobs=JobSubmitter(sessions, registry, queue, max_attempts=settings.job_max_attempts),
    )
    register_jobs(services)
    services.health_probes["vector_store"] = lambda: (
        services.vectors.check(),
        {"backend": services.vectors.name},
    )[1]
    services.health_probes["embedder"] = lambda: _embedder_probe(services)
    services.health_probes["speakers"] = lambda: {"model": services.speaker_embedder.name}
    return services


def _embedder_probe(services: Services) -> dict[str, Any]:
    """The model loads once (lazily) and embeds a probe; later checks reuse the loaded model."""
    vec = services.embedder.embed(["health check"], kind="query")
    if vec.shape != (1, services.embedder.dim):
        raise RuntimeError(f"embedder returned shape {vec.shape}")
    return {"model": services.embedder.name}
