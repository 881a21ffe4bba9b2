"""Migrations run on SQLite and PostgreSQL and match the models exactly."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from echome.db import migrate
from echome.db.models import Base
from echome.db.session import make_engine


def _engine(backend: str, request: Any, tmp_path: Path) -> sa.Engine:
    if backend == "postgresql":
        url = request.getfixturevalue("pg_database")
        return make_engine(url)
    engine = make_engine(f"sqlite:///{tmp_path / 'fresh.db'}")
    migrate.upgrade(engine)
    return engine


def test_schema_matches_models(backend: str, request: Any, tmp_path: Path) -> None:
    engine = _engine(backend, request, tmp_path)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata)
    engine.dispose()
    assert diff == [], f"models and migrations disagree: {diff}"


def test_at_head_and_every_table_present(backend: str, request: Any, tmp_path: Path) -> None:
    engine = _engine(backend, request, tmp_path)
    assert migrate.current_revision(engine) == migrate.head_revision(engine)
    tables = set(sa.inspect(engine).get_table_names())
    engine.dispose()
    expected = {
        "users",
        "personas",
        "persona_profiles",
        "persona_profile_versions",
        "products",
        "product_chunks",
        "clients",
        "api_keys",
        "access_tokens",
        "jobs",
        "conversations",
        "messages",
        "worker_heartbeats",
        "answer_feedback",
    }
    assert expected <= tables


def test_downgrade_and_upgrade_again_on_sqlite(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'roundtrip.db'}")
    migrate.upgrade(engine)
    migrate.downgrade(engine, "base")
    assert "users" not in sa.inspect(engine).get_table_names()
    migrate.upgrade(engine)
    assert "users" in sa.inspect(engine).get_table_names()
    engine.dispose()
