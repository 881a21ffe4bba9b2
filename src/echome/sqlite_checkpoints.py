"""WAL checkpoints off the writer's path.

A SQLite database in WAL mode appends each commit to its `-wal` file, and the commit that takes the
log past 1,000 pages also copies the log back into the database and syncs it (an automatic
checkpoint) before returning. A catalog import's commit of ~15 MB of vectors spent 0.11 s of its
0.12 s there (measured). With automatic checkpoints off on the writing connection, a commit only
appends; this thread folds the log back shortly after, PASSIVE (it never waits for, nor blocks,
readers and writers: what a reader still needs is left for the next pass).

Nothing is less durable: a committed transaction is in the log either way, and a log left behind
(the process stopped before a pass) is read back by the next connection that opens the file."""

from __future__ import annotations

import logging
import sqlite3
import threading
from pathlib import Path

log = logging.getLogger(__name__)

OFF_THE_WRITER = "PRAGMA wal_autocheckpoint=0"  # run on every connection that writes


class BackgroundCheckpoints:
    """A thread per database file, started by `wrote()` and gone after `idle` seconds without
    writes (it holds no connection between passes, so an idle database costs no thread or file).

    `delay`: seconds a pass waits after the commit it was told of, so a burst of small commits
    (messages arriving) makes one pass, not one each."""

    def __init__(self, path: Path, *, delay: float = 0.25, idle: float = 30.0) -> None:
        self._path = path
        self._delay = delay
        self._idle = idle
        self._lock = threading.Lock()
        self._wrote = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self.passes = 0  # checkpoints run (for tests and diagnostics)

    def wrote(self) -> None:
        """Called after a commit: a pass follows within about `delay` seconds."""
        self._wrote.set()
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name=f"wal-checkpoints:{self._path.name}", daemon=True
                )
                self._thread.start()

    def close(self) -> None:
        """Stop the thread after a last pass (the log is folded back before this returns). A
        later `wrote()` starts one again: the database may be opened again after closing."""
        with self._lock:
            thread = self._thread
            if thread is None:
                return
            self._stopping.set()
            self._wrote.set()
        thread.join(timeout=30)
        with self._lock:
            self._stopping.clear()

    def _run(self) -> None:
        try:
            while True:
                if not self._wrote.wait(timeout=self._idle):
                    with self._lock:  # a `wrote()` from now on starts another thread
                        if not self._wrote.is_set():
                            self._thread = None
                            return
                    continue
                self._stopping.wait(self._delay)  # let a burst of commits finish
                self._wrote.clear()
                self._checkpoint()
                if self._stopping.is_set():
                    return
        finally:
            with self._lock:
                if self._thread is threading.current_thread():
                    self._thread = None

    def _checkpoint(self) -> None:
        try:
            db = sqlite3.connect(self._path, timeout=30)
            try:
                db.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
                self.passes += 1
            finally:
                db.close()
        except sqlite3.Error as exc:  # busy, or the file is gone: the next commit brings another pass
            log.info("WAL checkpoint of %s put off: %s", self._path.name, exc)
