"""Migrations run on SQLite and PostgreSQL and match the models exactly."""

from __future__ import annotations

import uuid
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


def test_stored_addresses_are_folded_so_their_accounts_still_sign_in(
    backend: str, request: Any, tmp_path: Path
) -> None:
    """Accounts stored before sign-in folded addresses (0007): "straße@…" is found from any
    spelling again; two accounts whose addresses fold alike are both left untouched."""
    from sqlalchemy.orm import Session

    from echome.accounts.users import get_user_by_email

    if backend == "postgresql":
        engine = make_engine(request.getfixturevalue("pg_database"))
        migrate.downgrade(engine, "0006")
    else:
        engine = make_engine(f"sqlite:///{tmp_path / 'emails.db'}")
        migrate.upgrade(engine, "0006")
    users = sa.table(
        "users",
        sa.column("id", sa.String),
        sa.column("email", sa.String),
        sa.column("is_owner", sa.Boolean),
        sa.column("is_active", sa.Boolean),
        sa.column("created_at", sa.DateTime),
        sa.column("updated_at", sa.DateTime),
    )
    now = sa.func.now()
    # Addresses no other test uses: on PostgreSQL the database is the run's shared one, where an
    # account "bob@example.com" left by another test made the full-width "bob" a clash, left as it was.
    d = f"fold-{uuid.uuid4().hex[:8]}"
    fullwidth_b, dotless_i = "\uff42", "\u0131"
    stored = {"a": f"straße@{d}.de", "b": f"{fullwidth_b}ob@{d}.com", "c": f"kim@{d}.com"}
    stored |= {"d": f"k{dotless_i}m@{d}.com"}  # casefold keeps the dotless i: nothing to do
    stored |= {"e": f"ǆ@{d}.com", "f": f"ǅ@{d}.com"}  # both fold to "ǆ@…": left alone
    with engine.begin() as conn:
        for uid, email in stored.items():
            conn.execute(
                users.insert().values(
                    id=uid, email=email, is_owner=False, is_active=True, created_at=now, updated_at=now
                )
            )
    try:
        migrate.upgrade(engine)
        with engine.connect() as conn:
            after = dict(conn.execute(sa.select(users.c.id, users.c.email)).all())
        with Session(engine) as s:
            found = [get_user_by_email(s, e) for e in (f"STRASSE@{d}.de", f"Straße@{d.title()}.de")]
    finally:  # PostgreSQL's database is the run's shared one
        with engine.begin() as conn:
            conn.execute(users.delete().where(users.c.id.in_(list(stored))))
        engine.dispose()
    assert [u.id if u else None for u in found] == ["a", "a"]
    assert after["a"] == f"strasse@{d}.de" and after["b"] == f"bob@{d}.com"
    assert after["c"] == f"kim@{d}.com" and after["d"] == f"k{dotless_i}m@{d}.com"
    assert after["e"] == f"ǆ@{d}.com" and after["f"] == f"ǅ@{d}.com"
