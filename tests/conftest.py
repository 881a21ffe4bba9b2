"""Shared fixtures: every database test runs on SQLite and PostgreSQL, queue tests on SQLite and Redis.

PostgreSQL (127.0.0.1:5432, user postgres) gets a database created for this run and dropped at the
end; Redis (127.0.0.1:6379) gets a key namespace per test. With CI set, an unreachable server fails
the run instead of skipping its tests.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

SUPPORT = Path(__file__).parent / "support"
sys.path.insert(0, str(SUPPORT))

PG_ADMIN_URL = os.environ.get("ECHOME_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("ECHOME_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
IN_CI = bool(os.environ.get("CI"))


def pytest_configure(config: pytest.Config) -> None:
    # One models folder for the run, its xdist workers and the servers and commands tests start
    # (tests/support/echome_env.py): each local model is built once, not once per data dir. Its
    # builds are keyed by the packaged files' checksums and the build's version, so a folder kept
    # from an earlier run is reused safely. Tests of the build itself pass their own folder.
    import tempfile

    os.environ.setdefault(
        "ECHOME_MODELS_DIR", str(Path(tempfile.gettempdir()) / f"echome-test-models-{os.getuid()}")
    )


# -- no internet --------------------------------------------------------------------------------
# pytest-socket, switched on in pyproject's addopts (`--allow-hosts=127.0.0.0/8,::1,localhost
# --allow-unix-socket`): while a test's fixtures are set up and its body runs, connecting anywhere
# but loopback raises SocketConnectBlockedError. It does not watch collection, fixture teardown or
# subprocesses a test starts.


# -- no database work on the event loop ---------------------------------------------------------
# echome.db.session logs each transaction begun on a running event loop (it stalls the whole server
# while it waits for the database); any such line fails the test that caused it. Servers a test runs
# in a subprocess are checked on their log (tests/support/live_server.py).
@pytest.fixture(autouse=True)
def _no_database_work_on_the_event_loop(request: pytest.FixtureRequest) -> Iterator[None]:
    import logging

    from echome.db.session import LOOP_LOG

    seen: list[str] = []

    class Catch(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            seen.append(record.getMessage())

    handler = Catch(level=logging.WARNING)
    LOOP_LOG.addHandler(handler)
    try:
        yield
    finally:
        LOOP_LOG.removeHandler(handler)
    if request.node.get_closest_marker("database_on_the_loop") is None:
        assert not seen, "database work on the event loop:\n" + "\n".join(sorted(set(seen)))


# -- server availability ------------------------------------------------------------------------
def _reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def require_server(name: str, host: str, port: int) -> None:
    if _reachable(host, port):
        return
    if IN_CI:
        pytest.fail(f"{name} at {host}:{port} is unreachable and CI is set")
    pytest.skip(f"{name} at {host}:{port} is not running")


# -- databases ----------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def pg_database() -> Iterator[str]:
    """A PostgreSQL database for this run, migrated once, dropped at the end."""
    require_server("PostgreSQL", "127.0.0.1", 5432)
    from echome.db.migrate import upgrade
    from echome.db.session import make_engine

    name = f"echome_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    try:
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file copied for each test (migrating per test would be slow)."""
    from echome.db.migrate import upgrade
    from echome.db.session import make_engine

    path = tmp_path_factory.mktemp("template") / "echome.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()  # closing the last connection checkpoints the WAL into the file
    return path


def _truncate(url: str) -> None:
    from echome.db.models import Base

    engine = sa.create_engine(url)
    tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(sa.text(f"TRUNCATE {tables} CASCADE"))
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest) -> str:
    if request.param == "postgresql":
        request.applymarker(pytest.mark.postgres)
    return request.param  # type: ignore[no-any-return]


@pytest.fixture
def database_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> str | None:
    """None means the embedded default (SQLite in the data dir)."""
    if backend == "postgresql":
        url: str = request.getfixturevalue("pg_database")
        _truncate(url)
        return url
    template: Path = request.getfixturevalue("sqlite_template")
    data = tmp_path / "data"
    data.mkdir(exist_ok=True)
    shutil.copy(template, data / "echome.db")
    return None


@pytest.fixture
def redis_url() -> Iterator[str]:
    require_server("Redis", "127.0.0.1", 6379)
    yield REDIS_URL


def make_settings(
    tmp_path: Path, *, database_url: str | None, redis_url: str | None = None, **kw: Any
) -> Any:
    from echome.settings import Settings

    values: dict[str, Any] = {
        "data_dir": tmp_path / "data",
        "database_url": database_url,
        "redis_url": redis_url,
        "queue_name": f"echome-test-{uuid.uuid4().hex[:8]}",
        "job_lease_seconds": 2.0,
        "job_retry_base_seconds": 0.2,
        "job_retry_max_seconds": 1.0,
        "job_plugins": "testjobs",
        "log_format": "json",
        # A model-free embedder keeps most tests fast; tests of the real model set it explicitly.
        "embedder": "fake:hashing",
        "vector_store": "flat",
        # The tests' shop sells in dollars: their catalogs name no currency (the product's default
        # is none, so such prices are said as plain numbers; tests of that unset it).
        "catalog_currency": "USD",
    }
    values.update(kw)
    return Settings(_env_file=None, **values)


@pytest.fixture
def settings(tmp_path: Path, database_url: str | None) -> Any:
    return make_settings(tmp_path, database_url=database_url)


@pytest.fixture
def services(settings: Any) -> Iterator[Any]:
    from echome.bootstrap import build_services

    svc = build_services(settings)
    yield svc
    _flush_queue(svc)
    svc.close()


def _flush_queue(svc: Any) -> None:
    with contextlib.suppress(Exception):
        svc.queue.huey.flush()


@pytest.fixture
def app(services: Any) -> Any:
    from echome.app.main import create_app

    return create_app(services, run_worker=False)


@pytest.fixture
def client(app: Any) -> Iterator[Any]:
    from fastapi.testclient import TestClient

    with TestClient(app, base_url="http://testserver") as c:
        yield c


@pytest.fixture
def make_seller(app: Any) -> Any:
    """Sign up a seller; returns (headers with a bearer token, user json)."""
    from fastapi.testclient import TestClient

    def _make(email: str | None = None) -> tuple[dict[str, str], dict[str, Any]]:
        email = email or f"seller-{uuid.uuid4().hex[:8]}@example.com"
        with TestClient(app, base_url="http://testserver") as c:
            r = c.post("/api/auth/signup", json={"email": email, "password": "correct horse"})
            assert r.status_code == 201, r.text
            user = r.json()
            # A write with the session cookie carries the session's CSRF token.
            csrf = {"X-CSRF-Token": r.headers["x-csrf-token"]}
            t = c.post("/api/auth/tokens", json={"name": "test"}, headers=csrf)
            assert t.status_code == 201, t.text
        return {"Authorization": f"Bearer {t.json()['token']}"}, user

    return _make
