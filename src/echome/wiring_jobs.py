"""Job kinds and the parts each is built from, built when a worker first runs one.

Part of the composition root: only `bootstrap.build_services` calls `register_jobs`, with its
`Services` (typed `Any`: nothing outside `cli/` and `app/` imports `bootstrap`), whose settings it
reads.
"""

from __future__ import annotations

from typing import Any

from echome.jobs.registry import load_plugins


def register_jobs(services: Any) -> None:
    """Every job kind, with the parts it is built from (built when a worker first runs one)."""
    s = services.settings
    tmp = s.data_dir / "tmp"
    reg = services.registry

    def parse_limits() -> Any:
        from echome.jobs.limits import MB, ResourceLimits

        return ResourceLimits(memory_bytes=s.parse_memory_mb * MB, seconds=s.parse_seconds)

    def catalog_import() -> Any:
        from echome.knowledge.jobs import CatalogImportJob

        r = services.retriever
        return CatalogImportJob(
            services.sessions, services.storage, r.embedder, r.store, r.keywords, limits=parse_limits()
        )

    def store_info_import() -> Any:
        from echome.knowledge.jobs import StoreInfoImportJob

        r = services.retriever
        return StoreInfoImportJob(
            services.sessions, services.storage, r.embedder, r.store, r.keywords, limits=parse_limits()
        )

    def persona_voice() -> Any:
        from echome.persona.jobs import PersonaVoiceJob

        return PersonaVoiceJob(services.voices, services.models, tmp_root=tmp)

    def persona_analyse() -> Any:
        from echome.persona.jobs import PersonaAnalyseJob, PersonaVoiceJob

        return PersonaAnalyseJob(
            services.profiles, PersonaVoiceJob(services.voices, services.models, tmp_root=tmp)
        )

    def persona_media() -> Any:
        from echome.jobs.limits import MB, ResourceLimits
        from echome.media.transcribe import MediaLimits, MediaTranscriber
        from echome.persona.jobs import PersonaMediaJob

        limits = MediaLimits(
            max_seconds=s.max_media_minutes * 60,
            max_bytes=s.max_media_upload_bytes,
            max_items=s.max_media_items,
            languages=languages(s.persona_languages),
            decode=ResourceLimits(memory_bytes=s.media_decode_memory_mb * MB, seconds=s.media_decode_seconds),
        )
        transcriber = MediaTranscriber(
            services.sessions,
            services.storage,
            services.persona_stt,  # verbatim: the persona measures fillers and habits on it
            services.speaker_embedder,
            limits,
            services.egress,
        )
        return PersonaMediaJob(transcriber, services.profiles, persona_voice(), tmp_root=tmp)

    def telegram_update() -> Any:
        from echome.channels.telegram.update_job import TelegramLimits, TelegramUpdateJob

        limits = TelegramLimits(
            max_voice_bytes=s.telegram_max_voice_bytes,
            max_voice_seconds=s.telegram_max_voice_seconds,
            chat_per_minute=s.telegram_chat_per_minute,
            languages=languages(s.persona_languages),
        )
        return TelegramUpdateJob(
            services.sessions,
            services.answerer,
            services._stt,
            services.models,
            services.storage,
            services.ratelimiter,
            services.chat_locks,
            bot_api=services.bot_api,
            limits=limits,
            tmp_dir=tmp,
            seller_chat=services.seller_chat,
        )

    def handoff_notify() -> Any:
        from echome.handoff.jobs import NotifySellerJob

        return NotifySellerJob(services.sessions, services.models, services.bot_api)

    def handoff_deliver() -> Any:
        from echome.handoff.jobs import DeliverReplyJob

        return DeliverReplyJob(
            services.sessions, services.storage, services.models, lambda: services.speaker, services.bot_api
        )

    def handoff_timeout() -> Any:
        from echome.handoff.jobs import HandoffTimeoutJob

        return HandoffTimeoutJob(services.sessions, services.handoff_actions, services.handoff_jobs)

    def handoff_resume() -> Any:
        from echome.handoff.jobs import ResumeAnsweringJob

        return ResumeAnsweringJob(services.sessions, lambda: services.answerer, services.handoff_jobs)

    reg.register_lazy("catalog.import", catalog_import)
    reg.register_lazy("store_info.import", store_info_import)
    reg.register_lazy("persona.media", persona_media)
    reg.register_lazy("persona.analyse", persona_analyse)
    reg.register_lazy("persona.voice", persona_voice)
    reg.register_lazy("telegram.update", telegram_update)
    reg.register_lazy("handoff.notify", handoff_notify)
    reg.register_lazy("handoff.deliver", handoff_deliver)
    reg.register_lazy("handoff.timeout", handoff_timeout)
    reg.register_lazy("handoff.resume", handoff_resume)
    load_plugins(reg, s.plugin_modules)


def languages(value: str) -> tuple[str, ...]:
    """The persona languages setting ("en,de") as a tuple."""
    return tuple(x.strip() for x in value.split(",") if x.strip())
