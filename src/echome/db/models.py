"""Tables. Every row that belongs to a seller carries ``user_id``; queries filter on it."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from echome.db.types import JSONType, UTCDateTime, new_id, utcnow

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: JSONType, list[Any]: JSONType}


def _id() -> Mapped[str]:
    return mapped_column(String(32), primary_key=True, default=new_id)


def _owner() -> Mapped[str]:
    return mapped_column(String(32), ForeignKey("users.id", ondelete="CASCADE"), index=True)


def _created() -> Mapped[datetime]:
    return mapped_column(default=utcnow)


def _updated() -> Mapped[datetime]:
    return mapped_column(default=utcnow, onupdate=utcnow)


# -- accounts ---------------------------------------------------------------------------------
class User(Base):
    __tablename__ = "users"
    id: Mapped[str] = _id()
    email: Mapped[str] = mapped_column(String(320), unique=True)
    display_name: Mapped[str | None] = mapped_column(String(200))
    password_hash: Mapped[str | None] = mapped_column(String(200))
    google_sub: Mapped[str | None] = mapped_column(String(255), unique=True)
    is_owner: Mapped[bool] = mapped_column(Boolean, default=False)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = _created()
    updated_at: Mapped[datetime] = _updated()


class AccessToken(Base):
    """Bearer tokens for the API and CLI. Only a SHA-256 of the token is stored."""

    __tablename__ = "access_tokens"
    id: Mapped[str] = _id()
    user_id: Mapped[str] = _owner()
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = _created()
    expires_at: Mapped[datetime | None] = mapped_column()
    last_used_at: Mapped[datetime | None] = mapped_column()
    revoked_at: Mapped[datetime | None] = mapped_column()


class BrowserSession(Base):
    """A signed-in browser. The cookie holds a random token; only its SHA-256 is stored, so a
    database read gives no usable cookie. Sign-out sets `revoked_at`; the row is then refused."""

    __tablename__ = "browser_sessions"
    id: Mapped[str] = _id()
    user_id: Mapped[str] = _owner()
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = _created()
    expires_at: Mapped[datetime] = mapped_column()
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column()
    user_agent: Mapped[str | None] = mapped_column(String(300))  # shown on the account page
    ip: Mapped[str | None] = mapped_column(String(64))


class ApiKey(Base):
    """A seller's provider secret (OpenAI, ElevenLabs, Telegram bot token...), Fernet-encrypted."""

    __tablename__ = "api_keys"
    __table_args__ = (UniqueConstraint("user_id", "scope", "provider"),)
    id: Mapped[str] = _id()
    user_id: Mapped[str] = _owner()
    # "" for seller-wide keys, a persona id for per-persona keys (e.g. one Telegram bot per persona).
    scope: Mapped[str] = mapped_column(String(32), default="")
    provider: Mapped[str] = mapped_column(String(50))
    ciphertext: Mapped[str] = mapped_column(Text)
    hint: Mapped[str] = mapped_column(String(8))
    created_at: Mapped[datetime] = _created()
    updated_at: Mapped[datetime] = _updated()


# -- personas ---------------------------------------------------------------------------------
class Persona(Base):
    __tablename__ = "personas"
    id: Mapped[str] = _id()
    user_id: Mapped[str] = _owner()
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    voice_provider: Mapped[str | None] = mapped_column(String(50))
    voice_id: Mapped[str | None] = mapped_column(String(200))
    voice_settings: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # Public name of the hosted chat page (/chat/{slug}) and the widget's data-persona.
    slug: Mapped[str | None] = mapped_column(String(80), unique=True)
    # Web chat and handoff: allowed_origins, approval_mode, handoff_rules, seller_chat_id, ...
    chat_settings: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = _created()
    updated_at: Mapped[datetime] = _updated()

    profile: Mapped[PersonaProfile | None] = relationship(
        back_populates="persona", cascade="all, delete-orphan", uselist=False
    )


class PersonaProfile(Base):
    __tablename__ = "persona_profiles"
    id: Mapped[str] = _id()
    user_id: Mapped[str] = _owner()
    persona_id: Mapped[str] = mapped_column(ForeignKey("personas.id", ondelete="CASCADE"), unique=True)
    auto_extracted: Mapped[dict[str, Any]] = mapped_column(default=dict)
    manual_overrides: Mapped[dict[str, Any]] = mapped_column(default=dict)
    version: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = _updated()

    persona: Mapped[Persona] = relationship(back_populates="profile")


class PersonaProfileVersion(Base):
    """Every save of a profile, so versions can be listed, diffed and restored."""

    __tablename__ = "persona_profile_versions"
    __table_args__ = (UniqueConstraint("profile_id", "version"),)
    id: Mapped[str] = _id()
    user_id: Mapped[str] = _owner()
    profile_id: Mapped[str] = mapped_column(ForeignKey("persona_profiles.id", ondelete="CASCADE"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    auto_extracted: Mapped[dict[str, Any]] = mapped_column(default=dict)
    manual_overrides: Mapped[dict[str, Any]] = mapped_column(default=dict)
    change: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = _created()


class PersonaMedia(Base):
    """One recording of the seller (a URL or an upload) and where its processing stands."""

    __tablename__ = "persona_media"
    __table_args__ = (Index("ix_persona_media_persona", "persona_id", "created_at"),)
    id: Mapped[str] = _id()
    user_id: Mapped[str] = _owner()
    persona_id: Mapped[str] = mapped_column(ForeignKey("personas.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))  # "url" | "upload"
    source: Mapped[str] = mapped_column(Text)  # the URL, or the uploaded file's name
    title: Mapped[str | None] = mapped_column(String(500))
    # pending → processing → ready | failed (reason in `error`)
    status: Mapped[str] = mapped_column(String(20), default="pending")
    error: Mapped[str | None] = mapped_column(Text)
    job_id: Mapped[str | None] = mapped_column(String(32))
    duration_seconds: Mapped[float | None] = mapped_column(Float)
    language: Mapped[str | None] = mapped_column(String(16))
    audio_key: Mapped[str | None] = mapped_column(String(500))  # FLAC voice copy in storage
    upload_key: Mapped[str | None] = mapped_column(String(500))  # the uploaded original, until processed
    meta: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = _created()
    updated_at: Mapped[datetime] = _updated()


class Transcript(Base):
    """Timestamped transcript of one media item, every segment labelled with its speaker."""

    __tablename__ = "transcripts"
    id: Mapped[str] = _id()
    user_id: Mapped[str] = _owner()
    media_id: Mapped[str] = mapped_column(ForeignKey("persona_media.id", ondelete="CASCADE"), unique=True)
    model: Mapped[str] = mapped_column(String(100))
    language: Mapped[str] = mapped_column(String(16))
    language_probability: Mapped[float] = mapped_column(Float, default=1.0)
    text: Mapped[str] = mapped_column(Text)
    segments: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    speakers: Mapped[dict[str, Any]] = mapped_column(default=dict)  # clustering report
    seller_speaker: Mapped[str | None] = mapped_column(String(16))  # the guess, or the seller's pick
    speaker_chosen_by: Mapped[str] = mapped_column(String(20), default="auto")  # "auto" | "seller"
    created_at: Mapped[datetime] = _created()
    updated_at: Mapped[datetime] = _updated()


class VoiceConsent(Base):
    """The seller's confirmation that they are the person in the media, or have that person's permission."""

    __tablename__ = "voice_consents"
    id: Mapped[str] = _id()
    user_id: Mapped[str] = _owner()
    persona_id: Mapped[str] = mapped_column(ForeignKey("personas.id", ondelete="CASCADE"), index=True)
    confirmed_by: Mapped[str] = mapped_column(String(320))  # the account's email
    statement: Mapped[str] = mapped_column(Text)
    media_ids: Mapped[list[str]] = mapped_column(JSONType, default=list)
    client: Mapped[str | None] = mapped_column(String(200))  # "api 127.0.0.1", "cli"
    created_at: Mapped[datetime] = _created()


# -- catalog ----------------------------------------------------------------------------------
class Product(Base):
    __tablename__ = "products"
    __table_args__ = (
        UniqueConstraint("user_id", "external_key"),
        # The Catalog pages: a persona's products in name order (paged in SQL) and its catalogs.
        Index("ix_products_owner_persona_name", "user_id", "persona_id", "name"),
        Index("ix_products_owner_persona_source", "user_id", "persona_id", "source"),
    )
    id: Mapped[str] = _id()
    user_id: Mapped[str] = _owner()
    persona_id: Mapped[str | None] = mapped_column(ForeignKey("personas.id", ondelete="SET NULL"))
    # Stable identity across re-imports: the SKU when there is one, else a key derived from the name.
    external_key: Mapped[str] = mapped_column(String(255))
    sku: Mapped[str | None] = mapped_column(String(255))
    name: Mapped[str] = mapped_column(String(500))
    description: Mapped[str | None] = mapped_column(Text)
    price: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    currency: Mapped[str | None] = mapped_column(String(3))
    stock: Mapped[int | None] = mapped_column(Integer)
    url: Mapped[str | None] = mapped_column(Text)
    category: Mapped[str | None] = mapped_column(String(255))
    attributes: Mapped[dict[str, Any]] = mapped_column(default=dict)
    source: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = _created()
    updated_at: Mapped[datetime] = _updated()


class ProductChunk(Base):
    __tablename__ = "product_chunks"
    id: Mapped[str] = _id()
    user_id: Mapped[str] = _owner()
    product_id: Mapped[str | None] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"), index=True)
    source: Mapped[str | None] = mapped_column(String(500))
    chunk_index: Mapped[int] = mapped_column(Integer, default=0)
    content: Mapped[str] = mapped_column(Text)
    page: Mapped[int | None] = mapped_column(Integer)
    field: Mapped[str | None] = mapped_column(String(100))
    token_count: Mapped[int | None] = mapped_column(Integer)
    meta: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = _created()


# -- customers --------------------------------------------------------------------------------
class Client(Base):
    __tablename__ = "clients"
    __table_args__ = (UniqueConstraint("user_id", "channel", "external_id"),)
    id: Mapped[str] = _id()
    user_id: Mapped[str] = _owner()
    persona_id: Mapped[str | None] = mapped_column(ForeignKey("personas.id", ondelete="SET NULL"))
    channel: Mapped[str] = mapped_column(String(30))
    external_id: Mapped[str] = mapped_column(String(320))
    name: Mapped[str | None] = mapped_column(String(200))
    notes: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = _created()
    updated_at: Mapped[datetime] = _updated()


class Conversation(Base):
    __tablename__ = "conversations"
    __table_args__ = (Index("ix_conversations_user_state", "user_id", "state"),)
    id: Mapped[str] = _id()
    user_id: Mapped[str] = _owner()
    persona_id: Mapped[str | None] = mapped_column(ForeignKey("personas.id", ondelete="SET NULL"))
    client_id: Mapped[str | None] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"), index=True)
    channel: Mapped[str] = mapped_column(String(30))
    # "persona" (the persona answers) | "waiting" (handed off, the seller has not answered yet) |
    # "seller" (the seller answers). Not "persona" means the persona stays silent.
    state: Mapped[str] = mapped_column(String(20), default="persona")
    handoff_reason: Mapped[str | None] = mapped_column(String(200))
    state_changed_at: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = _created()
    updated_at: Mapped[datetime] = _updated()


class Message(Base):
    __tablename__ = "messages"
    id: Mapped[str] = _id()
    user_id: Mapped[str] = _owner()
    conversation_id: Mapped[str] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[str] = mapped_column(String(20))
    content: Mapped[str] = mapped_column(Text)
    citations: Mapped[list[Any]] = mapped_column(default=list)
    timings: Mapped[dict[str, Any]] = mapped_column(default=dict)
    tokens: Mapped[int | None] = mapped_column(Integer)
    tts_chars: Mapped[int | None] = mapped_column(Integer)
    audio_ref: Mapped[str | None] = mapped_column(String(500))
    # How the turn was made: mode (llm/composer), guardrail changes, token split, provider errors.
    meta: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = _created()


class AnswerFeedback(Base):
    """The seller's rating of one answer (Test chat): up or down, a comment, a better answer. One per
    answer: rating again replaces it. Kept for evaluating and improving answers."""

    __tablename__ = "answer_feedback"
    id: Mapped[str] = _id()
    user_id: Mapped[str] = _owner()
    persona_id: Mapped[str | None] = mapped_column(ForeignKey("personas.id", ondelete="CASCADE"), index=True)
    message_id: Mapped[str] = mapped_column(ForeignKey("messages.id", ondelete="CASCADE"), unique=True)
    rating: Mapped[str] = mapped_column(String(10))  # "up" | "down"
    comment: Mapped[str | None] = mapped_column(Text)
    corrected_answer: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = _created()
    updated_at: Mapped[datetime] = _updated()


class HandoffEvent(Base):
    """What happened at the seller's desk (handed off, customer wrote, seller claimed, replied,
    released...), numbered in order: the dashboard's live feed reads the events after the last it saw."""

    __tablename__ = "handoff_events"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[str] = _owner()
    persona_id: Mapped[str | None] = mapped_column(ForeignKey("personas.id", ondelete="CASCADE"))
    conversation_id: Mapped[str | None] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(40))
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = _created()


class HandoffNotice(Base):
    """A message the persona's bot sent to the seller's own Telegram chat about one conversation, so
    the seller's reply to it (or a button under it) finds that conversation."""

    __tablename__ = "handoff_notices"
    __table_args__ = (UniqueConstraint("persona_id", "chat_id", "message_id"),)
    id: Mapped[str] = _id()
    user_id: Mapped[str] = _owner()
    persona_id: Mapped[str] = mapped_column(ForeignKey("personas.id", ondelete="CASCADE"))
    conversation_id: Mapped[str] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), index=True
    )
    chat_id: Mapped[int] = mapped_column(BigInteger)
    message_id: Mapped[int] = mapped_column(BigInteger)
    kind: Mapped[str] = mapped_column(String(20))  # "handoff" | "message" | "edit"
    draft_id: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = _created()


class ChannelUpdate(Base):
    """An update a channel delivered (Telegram update_id): recorded once, so a retried delivery is
    not answered twice, then handled by a job."""

    __tablename__ = "channel_updates"
    __table_args__ = (UniqueConstraint("persona_id", "channel", "update_id"),)
    id: Mapped[str] = _id()
    user_id: Mapped[str] = _owner()
    persona_id: Mapped[str] = mapped_column(ForeignKey("personas.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(30))
    update_id: Mapped[int] = mapped_column(BigInteger)
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    status: Mapped[str] = mapped_column(String(20), default="received")
    error: Mapped[str | None] = mapped_column(Text)
    job_id: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = _created()
    updated_at: Mapped[datetime] = _updated()


# -- jobs -------------------------------------------------------------------------------------
JOB_STATUSES = ("pending", "running", "completed", "failed", "cancelled")
TERMINAL_STATUSES = ("completed", "failed", "cancelled")


class Job(Base):
    """The user-visible truth about background work; the queue only carries job ids."""

    __tablename__ = "jobs"
    __table_args__ = (
        Index("ix_jobs_status_lease", "status", "lease_expires_at"),
        Index("ix_jobs_user_created", "user_id", "created_at"),
    )
    id: Mapped[str] = _id()
    user_id: Mapped[str] = _owner()
    kind: Mapped[str] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(20), default="pending")
    progress: Mapped[int] = mapped_column(Integer, default=0)
    stage: Mapped[str] = mapped_column(String(200), default="")
    error: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    max_attempts: Mapped[int] = mapped_column(Integer, default=4)
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    result_ref: Mapped[str | None] = mapped_column(String(500))
    cancel_requested: Mapped[bool] = mapped_column(Boolean, default=False)
    lease_owner: Mapped[str | None] = mapped_column(String(100))
    lease_expires_at: Mapped[datetime | None] = mapped_column()
    run_after: Mapped[datetime] = mapped_column(default=utcnow)
    created_at: Mapped[datetime] = _created()
    started_at: Mapped[datetime | None] = mapped_column()
    finished_at: Mapped[datetime | None] = mapped_column()
    updated_at: Mapped[datetime] = _updated()


class WorkerHeartbeat(Base):
    """Job consumers announce themselves here; `/api/health` and `echome jobs` read it."""

    __tablename__ = "worker_heartbeats"
    id: Mapped[str] = mapped_column(String(100), primary_key=True)
    hostname: Mapped[str] = mapped_column(String(255))
    pid: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime] = _created()
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
