"""Echo Me settings: the only module that reads the environment.

Every value can be set as an environment variable with the ``ECHOME_`` prefix or in a ``.env``
file in the working directory. ``.env.example`` lists them all.
"""

from __future__ import annotations

import ipaddress
import os
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


def default_data_dir() -> Path:
    """Per-user data directory (XDG on Linux, ~/Library on macOS, %LOCALAPPDATA% on Windows)."""
    if os.name == "nt":
        base = Path(os.environ.get("LOCALAPPDATA", Path.home() / "AppData" / "Local"))
    elif os.uname().sysname == "Darwin":
        base = Path.home() / "Library" / "Application Support"
    else:
        base = Path(os.environ.get("XDG_DATA_HOME", Path.home() / ".local" / "share"))
    return base / "echome"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="ECHOME_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    # -- storage of everything --------------------------------------------------------------
    data_dir: Path = Field(default_factory=default_data_dir, description="Holds DB, vectors, media, keys.")
    models_dir: Path | None = Field(
        default=None,
        description="Local models built or joined from the packaged weights (default: DATA_DIR/models); "
        "several data dirs on one machine can share one, each build being made once",
    )
    database_url: str | None = Field(
        default=None, description="SQLAlchemy URL; PostgreSQL: postgresql+psycopg://user@host/db"
    )
    redis_url: str | None = Field(default=None, description="Redis URL: queue + rate limits when set.")
    auto_migrate: bool = Field(default=True, description="Run migrations when serve/worker starts.")

    # -- files ------------------------------------------------------------------------------
    storage_backend: Literal["local", "s3"] = "local"
    s3_bucket: str | None = None
    s3_prefix: str = ""
    s3_endpoint_url: str | None = None
    s3_region: str | None = None

    # -- web --------------------------------------------------------------------------------
    host: str = "127.0.0.1"
    port: int = 8000
    public_url: str | None = Field(default=None, description="External base URL (OAuth redirects, webhooks).")
    session_secret: SecretStr | None = Field(
        default=None, description="Cookie signing secret; generated into the data dir when unset."
    )
    session_max_age: int = 14 * 24 * 3600
    cookie_secure: bool = False
    max_body_bytes: int = Field(default=120 * 1024 * 1024, description="Largest accepted request body.")
    rate_limit_user_per_minute: int = 600
    rate_limit_ip_per_minute: int = 1200
    token_ttl_days: int = Field(default=365, description="Lifetime of new API tokens.")

    # -- accounts ---------------------------------------------------------------------------
    google_client_id: str | None = None
    google_client_secret: SecretStr | None = None
    google_discovery_url: str = "https://accounts.google.com/.well-known/openid-configuration"
    owner_email: str = "owner@localhost"
    allow_signup: bool = True

    # -- secrets ----------------------------------------------------------------------------
    master_keys: SecretStr | None = Field(
        default=None,
        description="Comma-separated Fernet keys, newest first; generated into the data dir when unset.",
    )

    # -- jobs -------------------------------------------------------------------------------
    queue_name: str = Field(default="echome", description="Queue (and Redis key) namespace.")
    workers: int = Field(default=2, description="Job threads in `echome serve` / `echome worker`.")
    worker_nice: int = Field(
        default=10,
        ge=0,
        le=19,
        description="How much lower the job threads' CPU priority is (Linux nice): web requests and "
        "webhook acknowledgements go first when jobs keep every core busy. 0 leaves it alone.",
    )
    job_lease_seconds: float = Field(
        default=30.0, description="A running job not renewed this long is rerun."
    )
    job_max_attempts: int = 4
    job_retry_base_seconds: float = 2.0
    job_retry_max_seconds: float = 300.0
    job_plugins: str = Field(default="", description="Extra modules that register job kinds (comma list).")

    # -- product knowledge -------------------------------------------------------------------
    embedder: str = Field(
        default="local:minilm",
        description="local:minilm (offline ONNX), openai:text-embedding-3-small, fake:hashing",
    )
    openai_api_key: SecretStr | None = Field(default=None, description="Server-wide OpenAI key (embeddings).")
    openai_base_url: str = "https://api.openai.com/v1"
    vector_store: Literal["flat", "chroma", "qdrant", "memory"] = Field(
        default="flat",
        description="flat (exact search, a SQLite file in the data dir), chroma, qdrant, memory;"
        " with a Chroma or Qdrant URL set and this left unset, that server",
    )
    chroma_url: str | None = Field(default=None, description="Chroma server; embedded when unset.")
    qdrant_url: str | None = Field(default=None, description="Qdrant server; local mode when unset.")
    qdrant_api_key: SecretStr | None = None
    reranker: str = Field(default="local", description="local (offline scorer), cohere:rerank-v3.5, none")
    cohere_api_key: SecretStr | None = None
    cohere_base_url: str = "https://api.cohere.com"
    max_upload_bytes: int = Field(default=100 * 1024 * 1024, description="Largest catalog file accepted.")
    parse_memory_mb: int = Field(
        default=1024, ge=64, le=1024 * 1024, description="Memory reading one catalog file may use."
    )
    parse_seconds: float = Field(
        default=300.0, gt=0, le=86400, description="Time reading one such file may take."
    )

    # -- media, speech and voice -------------------------------------------------------------
    stt: str = Field(
        default="local:base",
        description="Speech to text: local:base (multilingual), local:tiny.en (fastest), openai:whisper-1",
    )
    stt_beam_size: int = Field(default=1, ge=1, le=10, description="Whisper beam size (1 = greedy, fastest).")
    speaker_embedder: str = Field(
        default="local:auto",
        description=(
            "Speaker fingerprints: local:auto (local:ge2e where its weights are installed, else"
            " local:mfcc), local:ge2e (neural, no torch), local:mfcc (no weights), local:resemblyzer"
            " (speaker extra, torch)"
        ),
    )
    max_media_minutes: float = Field(default=120.0, gt=0, description="Longest recording accepted.")
    max_media_items: int = Field(default=25, ge=1, description="Most items taken from one playlist URL.")
    media_decode_memory_mb: int = Field(
        default=1024, ge=64, le=1024 * 1024, description="Memory decoding one recording may use."
    )
    media_decode_seconds: float = Field(
        default=900.0, gt=0, le=86400, description="Time decoding one recording may take."
    )
    max_media_upload_bytes: int = Field(
        default=1024 * 1024 * 1024, description="Largest uploaded audio/video file (also caps downloads)."
    )
    persona_languages: str = Field(
        default="en", description="Languages the persona analyser accepts (comma list of ISO codes)."
    )
    fetch_allow_networks: str = Field(
        default="",
        description="Networks media URLs may be fetched from although they are private or local "
        "(comma list of addresses or CIDRs, e.g. 192.168.1.0/24). Sellers can then reach them too.",
    )
    elevenlabs_base_url: str = "https://api.elevenlabs.io"
    elevenlabs_model: str = "eleven_multilingual_v2"
    anthropic_base_url: str = "https://api.anthropic.com"
    llm_openai_model: str = Field(default="gpt-4o-mini", description="Model used with a seller's OpenAI key.")
    llm_anthropic_model: str = Field(
        default="claude-3-5-haiku-latest", description="Model used with a seller's Anthropic key."
    )
    llm_base_url: str | None = Field(
        default=None,
        description="OpenAI-compatible server for answers (Ollama http://localhost:11434/v1, vLLM).",
    )
    llm_timeout_seconds: float = Field(default=20.0, gt=0, description="Per LLM request; then retries.")
    llm_max_retries: int = Field(
        default=2, ge=0, description="LLM retries before the offline composer answers."
    )
    catalog_currency: str | None = Field(
        default=None,
        description="Currency of catalog prices that name none and whose seller states none in their "
        "store information (ISO code); unset, such prices are said as plain numbers, never a guessed '$'.",
    )

    # -- Telegram ---------------------------------------------------------------------------
    telegram_api_url: str = Field(default="https://api.telegram.org", description="Bot API server.")
    telegram_polling: Literal["auto", "on", "off"] = Field(
        default="auto",
        description="`echome serve` polls getUpdates for bots: auto = when public_url is unset.",
    )
    telegram_max_voice_bytes: int = Field(
        default=20 * 1024 * 1024,
        gt=0,
        description="Largest customer voice note downloaded (Telegram: 20 MB).",
    )
    telegram_max_voice_seconds: int = Field(
        default=300, gt=0, description="Longest customer voice note heard."
    )
    telegram_chat_per_minute: int = Field(
        default=20, ge=0, description="Messages answered per customer chat per minute (0 = no limit)."
    )

    # -- web chat widget --------------------------------------------------------------------
    widget_messages_per_minute: int = Field(
        default=12, ge=0, description="Messages (typed or recorded) one web chat visitor may send per minute."
    )
    widget_reads_per_minute: int = Field(
        default=120, ge=0, description="Thread and audio requests per web chat visitor per minute."
    )
    widget_ip_per_minute: int = Field(
        default=600, ge=0, description="Web chat requests per address per minute (0 = no limit)."
    )
    widget_visitors_per_ip_per_hour: int = Field(
        default=60, ge=0, description="New web chat visitors (conversations) per address per hour."
    )
    widget_max_voice_seconds: int = Field(
        default=120, gt=0, le=600, description="Longest recorded question a web chat visitor may send."
    )
    widget_max_voice_bytes: int = Field(
        default=4 * 1024 * 1024, gt=0, description="Largest recorded question a web chat visitor may send."
    )
    widget_speech_threads: int = Field(
        default=2, ge=1, le=16, description="Threads speaking web chat replies sentence by sentence."
    )

    # -- logging ----------------------------------------------------------------------------
    log_level: str = "INFO"
    log_format: Literal["json", "text"] = "json"

    @field_validator("fetch_allow_networks", mode="after")
    @classmethod
    def _networks(cls, value: str) -> str:
        for item in (x.strip() for x in value.split(",")):
            if item:
                try:
                    ipaddress.ip_network(item, strict=False)
                except ValueError:
                    raise ValueError(f"not an IP address or network (CIDR): {item!r}") from None
        return value

    @field_validator("data_dir", "models_dir", mode="after")
    @classmethod
    def _expand(cls, value: Path | None) -> Path | None:
        return None if value is None else value.expanduser().resolve()

    @model_validator(mode="after")
    def _store_from_url(self) -> Settings:
        # A server URL alone means that server (before the flat store, a Chroma URL was enough).
        if "vector_store" not in self.model_fields_set:
            if self.chroma_url:
                self.vector_store = "chroma"
            elif self.qdrant_url:
                self.vector_store = "qdrant"
        return self

    # -- derived ----------------------------------------------------------------------------
    @property
    def effective_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'echome.db'}"

    @property
    def effective_models_dir(self) -> Path:
        return self.models_dir or self.data_dir / "models"

    @property
    def is_sqlite(self) -> bool:
        return self.effective_database_url.startswith("sqlite")

    @property
    def queue_path(self) -> Path:
        return self.data_dir / "queue.db"

    @property
    def embedded(self) -> bool:
        """Embedded mode: no external database or queue configured."""
        return self.database_url is None and self.redis_url is None

    @property
    def plugin_modules(self) -> list[str]:
        return [m.strip() for m in self.job_plugins.split(",") if m.strip()]
