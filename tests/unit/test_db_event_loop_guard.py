"""Database work on the server's event loop is logged (and fails the tests): while it waits for
SQLite's write lock every request waits, and a 30 s stall followed."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest
from sqlalchemy import text

from echome.db.session import LOOP_LOG, make_engine, watch_serving_loop


class _Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


def _query(engine) -> int:  # type: ignore[no-untyped-def]
    with engine.begin() as conn:
        return int(conn.execute(text("select 1")).scalar_one())


@pytest.mark.database_on_the_loop
def test_a_transaction_begun_on_the_event_loop_is_logged_with_where(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'guard.db'}")
    lines = _Lines()
    LOOP_LOG.addHandler(lines)
    try:

        async def route_on_the_loop() -> int:
            watch_serving_loop(asyncio.get_running_loop())  # as the app does at start
            return _query(engine)

        async def a_jobs_own_loop() -> int:
            return _query(engine)

        async def route_off_the_loop() -> int:
            return await asyncio.to_thread(_query, engine)

        assert asyncio.run(route_off_the_loop()) == 1
        assert _query(engine) == 1  # no loop at all: a job, the CLI
        assert asyncio.run(a_jobs_own_loop()) == 1  # a loop that serves no request
        assert lines.lines == []
        assert asyncio.run(route_on_the_loop()) == 1
    finally:
        LOOP_LOG.removeHandler(lines)
        engine.dispose()
    assert len(lines.lines) == 1
    assert "database work on the event loop" in lines.lines[0]
    assert "test_db_event_loop_guard.py" in lines.lines[0] and "_query" in lines.lines[0]
