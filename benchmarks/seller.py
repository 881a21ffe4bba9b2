"""A fresh seller for a benchmark: migrated services on a data dir, one user, one persona "Ana"."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from echome.accounts import keys as key_service
from echome.accounts.users import create_user
from echome.bootstrap import Services, build_services
from echome.db import migrate
from echome.db.models import Persona
from echome.db.session import transaction
from echome.knowledge.index import ingest_catalog
from echome.knowledge.parse import parse_catalog
from echome.settings import Settings


def bench_seller(
    data_dir: Path, *, bot_token: str | None = None, **settings: Any
) -> tuple[Services, str, str]:
    """(services, user id, persona id); with `bot_token`, the persona's Telegram bot token is stored."""
    services = build_services(Settings(_env_file=None, data_dir=data_dir, log_level="WARNING", **settings))
    migrate.upgrade(services.engine)
    with transaction(services.sessions) as db:
        uid = create_user(db, email="bench@localhost", password="benchmark-only").id
        persona = Persona(user_id=uid, name="Ana")
        db.add(persona)
        db.flush()
        if bot_token:
            key_service.set_key(
                db,
                services.keystore,
                user_id=uid,
                provider="telegram_bot_token",
                value=bot_token,
                scope=persona.id,
            )
        return services, uid, persona.id


def ingest(services: Services, user_id: str, paths: Iterable[Path]) -> None:
    """Catalog files into the seller's knowledge, as an import job would (for every persona)."""
    for path in paths:
        ingest_catalog(
            parse_catalog(path.read_bytes(), path.name), user_id=user_id, persona_id=None,
            sessions=services.sessions, embedder=services.embedder, store=services.vectors,
        )  # fmt: skip
    services.retriever.keywords.invalidate(user_id)
