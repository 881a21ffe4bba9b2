"""SQLite transactions in one process queue on the session layer's lock."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from sqlalchemy import text

from echome.db.session import make_engine, make_session_factory


def test_concurrent_writers_all_land_and_failures_give_the_lock_back(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'w.db'}")
    sessions = make_session_factory(engine)
    with sessions() as s, s.begin():
        s.execute(text("CREATE TABLE t (x INTEGER)"))
    errors: list[BaseException] = []

    def writer(i: int) -> None:
        try:
            for _ in range(50):
                with sessions() as s, s.begin():
                    s.execute(text("INSERT INTO t VALUES (:x)"), {"x": i})
                with sessions() as s:  # a read between writes, as request handlers do
                    s.execute(text("SELECT count(*) FROM t")).scalar()
                if i == 0:  # one thread keeps failing mid-transaction
                    with pytest.raises(Exception, match="no such table"), sessions() as s, s.begin():
                        s.execute(text("INSERT INTO missing VALUES (1)"))
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors and not any(t.is_alive() for t in threads)
    with engine.connect() as c:  # a plain connection with two transactions, then the lock is free
        c.execute(text("SELECT 1"))
        c.commit()
        c.execute(text("SELECT 2"))
        c.rollback()
    with sessions() as s:
        assert s.execute(text("SELECT count(*) FROM t")).scalar() == 300
    engine.dispose()
