"""Engine and session factory for SQLite (embedded) and PostgreSQL (scaled)."""

from __future__ import annotations

import asyncio
import logging
import threading
import traceback
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from echome import json_codec
from echome.private_files import make_private, private_file
from echome.sqlite_checkpoints import OFF_THE_WRITER, BackgroundCheckpoints

_HOLDS_LOCK = "echome.sqlite_write_lock"
_LOCK_TIMEOUT = 30.0  # seconds, as SQLite's busy_timeout below
# Database work must never run on the server's event loop: while it waits for a connection or for
# SQLite's write lock, every other request waits too, and a request holding that lock until its page
# is sent (which needs the loop) can never give it back: 30 s, then "database is locked". Each time
# it happens is logged here, with where; the tests fail on any such line.
LOOP_LOG = logging.getLogger("echome.db.event_loop")
# The loops that serve requests (the app registers its own at start). A job that runs a loop of its
# own (the Telegram update job) stalls nobody else by waiting on it, so it is not watched.
_SERVING: weakref.WeakSet[asyncio.AbstractEventLoop] = weakref.WeakSet()


def watch_serving_loop(loop: asyncio.AbstractEventLoop) -> None:
    _SERVING.add(loop)


def _warn_if_on_event_loop(_conn: Any) -> None:
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        return  # a worker thread, a job, the CLI: where database work belongs
    if loop not in _SERVING:
        return
    stack = traceback.extract_stack()[:-1]
    here = Path(__file__).resolve()
    frames = [  # our own code, not the libraries' nor Python's
        f
        for f in stack
        if not f.filename.startswith("<")
        and "site-packages" not in f.filename
        and "/lib/python" not in f.filename
        and Path(f.filename) != here
    ]
    where = " <- ".join(f"{Path(f.filename).name}:{f.lineno} {f.name}" for f in reversed(frames[-4:]))
    LOOP_LOG.warning("database work on the event loop (every request waits while it does): %s", where)


def make_engine(url: str, *, echo: bool = False) -> Engine:
    engine = _make_engine(url, echo=echo)
    event.listen(engine, "begin", _warn_if_on_event_loop, insert=True)  # before any wait
    return engine


# JSON columns are written and read through orjson on both databases (echome/json_codec.py).
_JSON_COLUMNS: dict[str, Any] = {"json_serializer": json_codec.dumps, "json_deserializer": json_codec.loads}


def _make_engine(url: str, *, echo: bool = False) -> Engine:
    if url.startswith("sqlite"):
        path = url.split("///", 1)[1].split("?", 1)[0] if "///" in url else ""
        if path and path != ":memory:":
            # Made 0600 before SQLite opens it: its -wal and -shm files copy the database's mode.
            private_file(Path(path))
            for side in ("-wal", "-shm"):
                make_private(Path(path + side))
        engine = create_engine(
            url,
            echo=echo,
            connect_args={"timeout": 30, "check_same_thread": False},
            **_JSON_COLUMNS,
        )
        checkpoints = BackgroundCheckpoints(Path(path)) if path and path != ":memory:" else None
        if checkpoints is not None:
            event.listen(engine, "commit", lambda conn: _after_writes(conn, checkpoints))
            event.listen(engine, "engine_disposed", lambda _engine: checkpoints.close())

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            # WAL lets the web threads read while a job thread writes; busy_timeout waits for locks.
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            if checkpoints is not None:
                cur.execute(OFF_THE_WRITER)  # folded back by `checkpoints`, not inside a commit
            cur.close()

        # SQLite has one writer at a time; the others sleep and retry in its busy handler, and under
        # a burst (webhooks arriving while job threads write) those sleeps pile up into seconds. So
        # this process's transactions queue on a lock instead, taken at BEGIN and given back when
        # the connection returns to the pool (after its COMMIT or ROLLBACK). Other processes (the
        # CLI) still meet the busy handler.
        writes = threading.Lock()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn: Any) -> None:
            info = conn.connection.info
            if not info.get(_HOLDS_LOCK):
                if not writes.acquire(timeout=_LOCK_TIMEOUT):
                    raise OperationalError("BEGIN IMMEDIATE", None, TimeoutError("database is locked"))
                info[_HOLDS_LOCK] = True
            try:
                # Take SQLite's write lock at BEGIN so writers queue instead of failing to upgrade.
                conn.exec_driver_sql("BEGIN IMMEDIATE")
            except BaseException:
                info.pop(_HOLDS_LOCK, None)
                writes.release()
                raise

        @event.listens_for(engine, "checkin")
        def _sqlite_checkin(_dbapi_conn: Any, record: Any) -> None:
            if record is not None and record.info.pop(_HOLDS_LOCK, False):
                writes.release()

        # pysqlite's own transaction handling must be off for the BEGIN above to be ours.
        @event.listens_for(engine, "connect", insert=True)
        def _sqlite_autocommit(dbapi_conn: Any, _record: Any) -> None:
            dbapi_conn.isolation_level = None

        return engine
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return create_engine(
        url,
        echo=echo,
        pool_pre_ping=True,
        pool_size=10,
        max_overflow=20,
        **_JSON_COLUMNS,
    )


def _after_writes(conn: Any, checkpoints: BackgroundCheckpoints) -> None:
    """A commit that changed rows asks for a checkpoint pass; the many read-only ones do not (nor
    does a schema change alone: its pages wait for the next pass, or SQLite's own at the last close)."""
    record = conn.connection
    changes = record.dbapi_connection.total_changes
    if changes != record.info.get("changes_seen", 0):
        record.info["changes_seen"] = changes
        checkpoints.wrote()


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session that commits on success and rolls back on error."""
    with factory() as session, session.begin():
        yield session
