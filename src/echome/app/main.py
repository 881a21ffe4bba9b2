"""FastAPI app factory. `echome serve` builds it with the embedded worker running inside."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import APIRouter, Depends, FastAPI
from fastapi.responses import HTMLResponse
from starlette.middleware.sessions import SessionMiddleware

from echome import __version__
from echome.app.browser_auth import SIGNIN_COOKIE, SessionPolicy
from echome.app.deps import limit_ip
from echome.app.errors import error_docs, install_error_handlers
from echome.app.middleware import BodyLimitMiddleware, RequestIdMiddleware
from echome.app.openapi import install_openapi
from echome.app.routes import (
    auth,
    chat,
    google,
    handoff,
    health,
    jobs,
    keys,
    media,
    personas,
    products,
    profile,
    store_info,
    telegram,
    voice,
)
from echome.app.routes.auth import LOGIN_ATTEMPTS_PER_MINUTE
from echome.bootstrap import Services
from echome.db.session import watch_serving_loop
from echome.web import WebContext, install_web
from echome.web.context import CatalogTools, ChatTools, HandoffTools, PersonaTools, SettingsTools
from echome.web.form_once import form_receipts
from echome.web.mount import too_large_page
from echome.widget import WidgetContext, WidgetLimits, install_widget
from echome.widget import routes_seller as widget_settings

log = logging.getLogger("echome")

# The signed sign-in cookie lives only through a sign-in (Google's state, the sign-in forms' token).
SIGNIN_COOKIE_MAX_AGE = 2 * 3600


def create_app(services: Services, *, run_worker: bool = False) -> FastAPI:
    """The web app. With `run_worker`, job consumer threads run in this process (embedded mode)."""
    settings = services.settings

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        watch_serving_loop(asyncio.get_running_loop())  # no database work may wait on it
        worker = services.make_worker() if run_worker else None
        if worker is not None:
            worker.start()
        try:
            yield
        finally:
            if worker is not None:
                worker.stop(graceful=True, timeout=10)

    app = FastAPI(
        title="Echo Me",
        version=__version__,
        description="Your AI sales representative: your catalog, your style, your voice.",
        lifespan=lifespan,
        docs_url=None,  # served below from packaged assets: no CDN
        redoc_url=None,
    )
    _offline_docs(app)
    app.state.services = services
    app.state.oauth = None
    if settings.google_client_id and settings.google_client_secret is not None:
        from echome.accounts.google import GoogleConfig, make_oauth

        app.state.oauth = make_oauth(
            GoogleConfig(
                client_id=settings.google_client_id,
                client_secret=settings.google_client_secret.get_secret_value(),
                discovery_url=settings.google_discovery_url,
            )
        )

    install_error_handlers(app)
    install_openapi(app)
    # Added innermost first: request id (and the security headers) wraps everything, so even a
    # 413 or a 500 carries them.
    # Who is signed in is a server-side session (browser_auth); this signed cookie only carries
    # the sign-in handshake.
    app.state.session_policy = SessionPolicy.from_secret(
        services.session_secret,
        max_age_seconds=settings.session_max_age,
        cookie_secure=settings.cookie_secure,
    )
    app.add_middleware(
        SessionMiddleware,
        secret_key=services.session_secret,
        session_cookie=SIGNIN_COOKIE,
        max_age=SIGNIN_COOKIE_MAX_AGE,
        same_site="lax",
        https_only=settings.cookie_secure,
    )
    app.add_middleware(
        BodyLimitMiddleware,
        max_bytes=settings.max_body_bytes,
        large_paths=("/media/upload",),
        large_max_bytes=settings.max_media_upload_bytes + 1024 * 1024,
        page=too_large_page,
    )
    app.add_middleware(RequestIdMiddleware)

    app.include_router(health.router)
    app.include_router(telegram.router)  # authenticated by its secret token, not rate-limited per IP
    api = APIRouter(dependencies=[Depends(limit_ip)], responses=error_docs(429))
    for module in (auth, google, jobs, keys, personas, profile, media, voice, products, store_info, chat):
        api.include_router(module.router)
    api.include_router(handoff.router)  # the seller's handoff desk: inbox, actions, live events
    api.include_router(widget_settings.router)  # the seller's web chat settings
    app.include_router(api)

    install_web(
        app,
        WebContext(
            sessions=services.sessions,
            ratelimiter=services.ratelimiter,
            allow_signup=settings.allow_signup,
            google_enabled=app.state.oauth is not None,
            login_attempts_per_minute=LOGIN_ATTEMPTS_PER_MINUTE,
            ip_limit_per_minute=settings.rate_limit_ip_per_minute,
            catalog=CatalogTools(
                storage=services.storage,
                submit_job=services.submit_job,
                retriever=lambda: services.retriever,
                vectors=lambda: services.vectors,
                max_upload_bytes=settings.max_upload_bytes,
            ),
            chat=ChatTools(answerer=lambda: services.answerer, storage=services.storage),
            persona=PersonaTools(
                storage=services.storage,
                submit_job=services.submit_job,
                media_intake=services.media_intake,
                speaker=lambda: services.speaker,
            ),
            settings=_settings_tools(services),
            handoff=HandoffTools(actions=lambda: services.handoff_actions, public_url=settings.public_url),
            form_receipts=form_receipts(services.redis, namespace=f"{settings.queue_name}:form"),
        ),
    )
    install_widget(app, _widget_context(services))  # /widget.js, /chat/{slug}, /api/widget/
    return app


def _widget_context(services: Services) -> WidgetContext:
    from echome.widget.speech import MemorySentenceAudio, RedisSentenceAudio, SpeechScheduler
    from echome.widget.visitors import VisitorTokens
    from echome.wiring_jobs import languages

    s = services.settings
    return WidgetContext(
        sessions=services.sessions,
        answerer=lambda: services.answerer,
        speaker=lambda: services.speaker,
        stt=lambda: services.stt,
        storage=services.storage,
        ratelimiter=services.ratelimiter,
        tokens=VisitorTokens(services.session_secret),
        speech=SpeechScheduler(workers=s.widget_speech_threads, nice=s.worker_nice),
        audio_cache=(
            RedisSentenceAudio(services.redis, namespace=f"{s.queue_name}:widget-audio")
            if services.redis is not None
            else MemorySentenceAudio()
        ),
        limits=WidgetLimits(
            messages_per_minute=s.widget_messages_per_minute,
            reads_per_minute=s.widget_reads_per_minute,
            ip_per_minute=s.widget_ip_per_minute,
            visitors_per_ip_per_hour=s.widget_visitors_per_ip_per_hour,
            max_voice_bytes=s.widget_max_voice_bytes,
            max_voice_seconds=s.widget_max_voice_seconds,
            languages=tuple(languages(s.persona_languages)),
        ),
        tmp_dir=s.data_dir / "tmp" / "widget",
        public_url=s.public_url,
    )


def _settings_tools(services: Services) -> SettingsTools:
    from echome.accounts.erase import CloudVoiceRemover
    from echome.accounts.key_check import KeyChecker, KeyEndpoints

    s = services.settings
    endpoints = KeyEndpoints(
        openai_base_url=s.openai_base_url,
        anthropic_base_url=s.anthropic_base_url,
        elevenlabs_base_url=s.elevenlabs_base_url,
        cohere_base_url=s.cohere_base_url,
    )
    return SettingsTools(
        keystore=services.keystore,
        storage=services.storage,
        vectors=lambda: services.vectors,
        products_changed=lambda user_id: services.retriever.keywords.invalidate(user_id),
        check_key=KeyChecker(endpoints),
        bot_api=services.bot_api,
        webhook_secret=lambda persona_id: services.telegram_inbox.webhook_secret(persona_id),
        public_url=s.public_url,
        # As `echome serve` decides (cli/serve.py).
        polling=s.telegram_polling == "on" or (s.telegram_polling == "auto" and not s.public_url),
        token_ttl_days=s.token_ttl_days,
        remove_voice=CloudVoiceRemover(lambda: services.models),
    )


def _offline_docs(app: FastAPI) -> None:
    """/docs (Swagger UI) and /redoc with their scripts from the fastapi-offline package."""
    import fastapi_offline
    from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
    from fastapi.staticfiles import StaticFiles

    assets = Path(fastapi_offline.__file__).parent / "static"
    app.mount("/static/docs", StaticFiles(directory=assets), name="docs-assets")

    @app.get("/docs", include_in_schema=False)
    def swagger() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=app.openapi_url or "/openapi.json",
            title="Echo Me API",
            swagger_js_url="/static/docs/swagger-ui-bundle.js",
            swagger_css_url="/static/docs/swagger-ui.css",
            swagger_favicon_url="/static/docs/favicon.png",
        )

    @app.get("/redoc", include_in_schema=False)
    def redoc() -> HTMLResponse:
        return get_redoc_html(
            openapi_url=app.openapi_url or "/openapi.json",
            title="Echo Me API",
            redoc_js_url="/static/docs/redoc.standalone.js",
            redoc_favicon_url="/static/docs/favicon.png",
            with_google_fonts=False,
        )
