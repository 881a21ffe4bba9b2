"""WAL checkpoints run on a thread of their own, not inside the writer's commit."""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

import numpy as np
from sqlalchemy import text

from echome.db.session import _make_engine
from echome.providers.base import VectorRecord
from echome.providers.store_flat import FlatStore
from echome.sqlite_checkpoints import OFF_THE_WRITER, BackgroundCheckpoints

ROWS = 800  # 800 rows of 4 KB: ~3.3 MB, past SQLite's automatic checkpoint at 1,000 pages


def _writer(path: Path) -> sqlite3.Connection:
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute(OFF_THE_WRITER)
    db.execute("CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, payload BLOB)")
    return db


def _write(db: sqlite3.Connection, start: int = 0) -> None:
    db.execute("BEGIN IMMEDIATE")
    db.executemany("INSERT INTO t VALUES (?, ?)", [(start + i, bytes(4096)) for i in range(ROWS)])
    db.execute("COMMIT")


def test_a_commit_leaves_the_log_and_the_thread_folds_it_back(tmp_path: Path) -> None:
    path = tmp_path / "x.sqlite3"
    db = _writer(path)
    _write(db)
    assert path.stat().st_size < 1_000_000  # the commit only appended to the log
    checkpoints = BackgroundCheckpoints(path, delay=0.01)
    checkpoints.wrote()
    checkpoints.close()
    assert checkpoints.passes == 1
    assert path.stat().st_size > ROWS * 4096  # the pages are in the database file now
    assert db.execute("SELECT count(*) FROM t").fetchone() == (ROWS,)
    db.close()


def test_without_a_pass_the_pages_stay_in_the_log(tmp_path: Path) -> None:
    path = tmp_path / "x.sqlite3"
    db = _writer(path)
    _write(db)
    BackgroundCheckpoints(path, delay=0.01).close()  # never told of a write: no thread, no pass
    assert path.stat().st_size < 1_000_000
    db.close()  # the last connection closing checkpoints: SQLite's own end of the log
    reopened = sqlite3.connect(path)
    assert reopened.execute("SELECT count(*) FROM t").fetchone() == (ROWS,)
    reopened.close()


def test_a_burst_of_commits_makes_one_pass_and_close_can_be_followed_by_more(tmp_path: Path) -> None:
    path = tmp_path / "x.sqlite3"
    db = _writer(path)
    checkpoints = BackgroundCheckpoints(path, delay=0.5)
    for n in range(5):
        db.execute("INSERT INTO t VALUES (?, x'00')", (n,))
        checkpoints.wrote()
    checkpoints.close()
    assert checkpoints.passes == 1
    _write(db, start=100)
    checkpoints.wrote()  # started again after close()
    checkpoints.close()
    assert checkpoints.passes == 2
    assert path.stat().st_size > ROWS * 4096
    db.close()


def test_the_flat_store_commits_without_checkpointing(tmp_path: Path) -> None:
    path = tmp_path / "flat.sqlite3"
    store = FlatStore(path=path)
    vectors = np.random.default_rng(0).random((3000, 384), dtype=np.float32)
    records = [VectorRecord(id=str(i), vector=v, document="", metadata={}) for i, v in enumerate(vectors)]
    store.upsert("c", records)
    wal = Path(f"{path}-wal")
    assert wal.stat().st_size > 3000 * 384 * 4  # the vectors went to the log ...
    store.close()  # ... and are folded back into the file at the latest on close
    assert path.stat().st_size > 3000 * 384 * 4
    again = FlatStore(path=path)
    assert again.count("c") == 3000
    again.close()


def test_the_database_engine_commits_without_checkpointing(tmp_path: Path) -> None:
    path = tmp_path / "echome.db"
    engine = _make_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        conn.execute(text("SELECT 1"))
    assert f"wal-checkpoints:{path.name}" not in {t.name for t in threading.enumerate()}  # read only
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY, payload BLOB)"))
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO t VALUES (:i, :p)"), [{"i": i, "p": bytes(4096)} for i in range(ROWS)])
        assert conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar() == 0
    assert f"wal-checkpoints:{path.name}" in {t.name for t in threading.enumerate()}  # rows written
    assert path.stat().st_size < 1_000_000
    engine.dispose()  # stops its checkpoint thread after a last pass
    assert path.stat().st_size > ROWS * 4096


def test_an_idle_thread_ends_and_the_next_write_starts_another(tmp_path: Path) -> None:
    path = tmp_path / "x.sqlite3"
    db = _writer(path)
    checkpoints = BackgroundCheckpoints(path, delay=0.01, idle=0.05)
    checkpoints.wrote()
    deadline = time.monotonic() + 10
    while checkpoints._thread is not None and time.monotonic() < deadline:
        time.sleep(0.01)
    assert checkpoints._thread is None and checkpoints.passes == 1  # gone, holding nothing
    _write(db)
    checkpoints.wrote()
    checkpoints.close()
    assert checkpoints.passes == 2
    assert path.stat().st_size > ROWS * 4096
    db.close()
