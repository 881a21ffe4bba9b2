"""Exact vector search over vectors kept in one SQLite file: the embedded default.

A seller's catalog is thousands to a few hundred thousand chunks. Scoring every one of them is one
matrix-vector product (the ePQA catalog's 9,407 x 384: about a millisecond), exact and the same on
every run, so an approximate index buys nothing at this size and costs at every write: Chroma's
upsert of those vectors took 1.4-3.0 s (its log, metadata tables and HNSW build, holding the GIL
throughout), this store's about 0.1 s. Collections larger than `cache_bytes` in total are read
again when used; a server with millions of vectors is what `qdrant` is for.

Each process keeps a collection's matrix in memory once read and checks the collection's write
counter (one indexed read) before every search, so a write by another process (a worker) is seen
at the next search. Vectors are stored normalised: scores are cosine similarities."""

from __future__ import annotations

import sqlite3
import threading
from collections import OrderedDict
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from echome import json_codec
from echome.private_files import private_file
from echome.providers.base import ProviderError, VectorHit, VectorRecord
from echome.sqlite_checkpoints import OFF_THE_WRITER, BackgroundCheckpoints

_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS collections (name TEXT PRIMARY KEY, generation INTEGER NOT NULL,"
    " dim INTEGER NOT NULL)",
    "CREATE TABLE IF NOT EXISTS vectors (collection TEXT NOT NULL, id TEXT NOT NULL,"
    " vector BLOB NOT NULL, document TEXT NOT NULL, metadata TEXT NOT NULL)",
    "CREATE UNIQUE INDEX IF NOT EXISTS vectors_by_id ON vectors (collection, id)",
    "CREATE TABLE IF NOT EXISTS adopted (source TEXT PRIMARY KEY, vectors INTEGER NOT NULL)",
)
_UPSERT = (
    "INSERT INTO vectors (collection, id, vector, document, metadata) VALUES (?, ?, ?, ?, ?)"
    " ON CONFLICT (collection, id) DO UPDATE SET vector = excluded.vector,"
    " document = excluded.document, metadata = excluded.metadata"
)
_ID_BATCH = 500


@dataclass
class _Matrix:
    """One collection as read at `generation`: row i is ids[i]."""

    generation: int
    ids: list[str]
    matrix: np.ndarray  # (n, dim) float32, rows normalised
    documents: list[str]
    metadata: list[dict[str, Any]]
    row_of: dict[str, int] = field(default_factory=dict)
    _columns: dict[str, np.ndarray] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.row_of = {i: n for n, i in enumerate(self.ids)}

    @property
    def nbytes(self) -> int:
        return int(self.matrix.nbytes) + 200 * len(self.ids)

    def rows_where(self, where: dict[str, str]) -> np.ndarray:
        mask = np.ones(len(self.ids), dtype=bool)
        for key, value in where.items():
            column = self._columns.get(key)
            if column is None:  # built once per key and reading (snapshots are never changed)
                column = np.array([m.get(key) for m in self.metadata] + [None], dtype=object)[:-1]
                self._columns[key] = column
            mask &= column == value
        return np.flatnonzero(mask)


class FlatStore:
    name = "flat"

    def __init__(self, *, path: Path, cache_bytes: int = 512 * 1024 * 1024) -> None:
        self._path = path
        self._cache_bytes = cache_bytes
        self._lock = threading.RLock()
        self._db: sqlite3.Connection | None = None
        self._cache: OrderedDict[str, _Matrix] = OrderedDict()
        self._checkpoints = BackgroundCheckpoints(path)

    # -- the file ------------------------------------------------------------------------------
    @property
    def db(self) -> sqlite3.Connection:
        if self._db is None:
            with self._lock:
                if self._db is None:
                    private_file(self._path)  # 0600 before SQLite opens it (-wal/-shm copy the mode)
                    db = sqlite3.connect(
                        self._path, timeout=30, check_same_thread=False, isolation_level=None
                    )
                    db.execute("PRAGMA journal_mode=WAL")
                    db.execute("PRAGMA synchronous=NORMAL")
                    db.execute(OFF_THE_WRITER)  # a catalog's vectors: 0.11 s of checkpoint a commit
                    for statement in _SCHEMA:
                        db.execute(statement)
                    self._db = db
        return self._db

    def close(self) -> None:
        with self._lock:
            self._checkpoints.close()
            if self._db is not None:
                self._db.close()
                self._db = None
            self._cache.clear()

    def _generation(self, collection: str) -> tuple[int, int] | None:
        row = self.db.execute(
            "SELECT generation, dim FROM collections WHERE name = ?", (collection,)
        ).fetchone()
        return None if row is None else (int(row[0]), int(row[1]))

    def _write(self, collection: str, dim: int | None, work: Any) -> None:
        """Run `work(db)` and bump the collection's counter in one transaction."""
        with self._transaction(collection) as db:
            known = self._generation(collection)
            if known is None and dim is None:
                return
            if known is not None and dim is not None and known[1] != dim:
                raise ProviderError(
                    f"vectors of {dim} dimensions cannot join collection {collection!r} of {known[1]}"
                    " (the embedder changed: import the catalog again into a new store)"
                )
            work(db)
            db.execute(
                "INSERT INTO collections (name, generation, dim) VALUES (?, 1, ?) ON CONFLICT (name)"
                " DO UPDATE SET generation = generation + 1",
                (collection, dim or 0),
            )

    @contextmanager
    def _transaction(self, collection: str) -> Iterator[sqlite3.Connection]:
        """One write transaction; the collection's cached matrix is dropped whatever happens."""
        with self._lock:
            db = self.db
            db.execute("BEGIN IMMEDIATE")
            try:
                yield db
                db.execute("COMMIT")
                self._checkpoints.wrote()
            except BaseException:
                db.execute("ROLLBACK")
                raise
            finally:
                self._cache.pop(collection, None)

    # -- the protocol --------------------------------------------------------------------------
    def upsert(self, collection: str, records: Sequence[VectorRecord]) -> None:
        if not records:
            return
        matrix = np.stack([np.asarray(r.vector, dtype=np.float32).reshape(-1) for r in records])
        norms = np.linalg.norm(matrix, axis=1, keepdims=True)
        matrix = matrix / np.where(norms > 0, norms, 1.0)
        meta = [json_codec.dumps(_clean_meta(r.metadata)) for r in records]
        rows = [
            (collection, r.id, matrix[n].tobytes(), r.document or "", meta[n]) for n, r in enumerate(records)
        ]
        self._write(collection, matrix.shape[1], lambda db: db.executemany(_UPSERT, rows))

    def query(
        self, collection: str, vector: np.ndarray, *, top_k: int, where: dict[str, str] | None = None
    ) -> list[VectorHit]:
        m = self._matrix(collection)
        if m is None or not m.ids or top_k <= 0:
            return []
        q = np.asarray(vector, dtype=np.float32).reshape(-1)
        if q.shape[0] != m.matrix.shape[1]:
            raise ProviderError(
                f"a {q.shape[0]}-dimension query on a {m.matrix.shape[1]}-dimension collection"
            )
        q = q / (float(np.linalg.norm(q)) or 1.0)
        scores = m.matrix @ q  # all rows: cheaper than copying the filtered rows out first
        if where:
            rows = m.rows_where(where)
            scores = scores[rows]
        else:
            rows = np.arange(len(m.ids))
        k = min(top_k, len(rows))
        if k == 0:
            return []
        best = np.argpartition(-scores, k - 1)[:k] if k < len(rows) else np.arange(len(rows))
        best = best[np.lexsort((rows[best], -scores[best]))]  # ties: the earlier write first
        return [
            VectorHit(
                id=m.ids[rows[i]],
                score=float(scores[i]),
                document=m.documents[rows[i]],
                metadata=dict(m.metadata[rows[i]]),
            )
            for i in best
        ]

    def vectors(self, collection: str, ids: Sequence[str]) -> dict[str, np.ndarray]:
        m = self._matrix(collection) if ids else None
        if m is None:
            return {}
        return {i: m.matrix[m.row_of[i]].copy() for i in ids if i in m.row_of}

    def delete(
        self, collection: str, *, ids: Sequence[str] | None = None, where: dict[str, str] | None = None
    ) -> None:
        if ids is not None:
            batches = [list(ids[i : i + _ID_BATCH]) for i in range(0, len(ids), _ID_BATCH)]

            def work(db: sqlite3.Connection) -> None:
                for b in batches:
                    marks = ",".join("?" * len(b))
                    db.execute(
                        f"DELETE FROM vectors WHERE collection = ? AND id IN ({marks})", [collection, *b]
                    )

        elif where:
            clause = " AND ".join("json_extract(metadata, ?) = ?" for _ in where)
            args = [collection] + [x for k, v in where.items() for x in (f'$."{k}"', v)]

            def work(db: sqlite3.Connection) -> None:
                db.execute(f"DELETE FROM vectors WHERE collection = ? AND {clause}", args)

        else:
            return
        self._write(collection, None, work)

    def count(self, collection: str) -> int:
        with self._lock:
            row = self.db.execute(
                "SELECT count(*) FROM vectors WHERE collection = ?", (collection,)
            ).fetchone()
        return int(row[0])

    def drop(self, collection: str) -> None:
        with self._transaction(collection) as db:
            db.execute("DELETE FROM vectors WHERE collection = ?", (collection,))
            db.execute("DELETE FROM collections WHERE name = ?", (collection,))

    def check(self) -> None:
        with self._lock:
            self.db.execute("SELECT 1").fetchone()

    # -- moving in from another store --------------------------------------------------------
    def adopted(self, source: str) -> bool:
        with self._lock:
            return self.db.execute("SELECT 1 FROM adopted WHERE source = ?", (source,)).fetchone() is not None

    def adopt(self, source: str, collections: Iterable[tuple[str, Sequence[VectorRecord]]]) -> int:
        """Copy another store's collections in (once per `source`); returns the vectors copied."""
        if self.adopted(source):
            return 0
        copied = 0
        for name, records in collections:
            self.upsert(name, records)
            copied += len(records)
        with self._lock:
            self.db.execute("INSERT OR IGNORE INTO adopted (source, vectors) VALUES (?, ?)", (source, copied))
        return copied

    # -- reading a collection ------------------------------------------------------------------
    def _matrix(self, collection: str) -> _Matrix | None:
        with self._lock:
            known = self._generation(collection)
            if known is None:
                self._cache.pop(collection, None)
                return None
            cached = self._cache.get(collection)
            if cached is not None and cached.generation == known[0]:
                self._cache.move_to_end(collection)
                return cached
            rows = self.db.execute(
                "SELECT id, vector, document, metadata FROM vectors WHERE collection = ? ORDER BY rowid",
                (collection,),
            ).fetchall()
            dim = known[1]
            matrix = np.frombuffer(b"".join(r[1] for r in rows), dtype=np.float32).reshape(len(rows), dim)
            m = _Matrix(
                generation=known[0],
                ids=[r[0] for r in rows],
                matrix=matrix,
                documents=[r[2] for r in rows],
                metadata=[json_codec.loads(r[3]) for r in rows],
            )
            self._cache[collection] = m
            total = sum(x.nbytes for x in self._cache.values())
            while total > self._cache_bytes and len(self._cache) > 1:
                _, old = self._cache.popitem(last=False)
                total -= old.nbytes
            return m


def _clean_meta(meta: dict[str, Any]) -> dict[str, Any]:
    # Filter values are strings, numbers and booleans (what Chroma and Qdrant accept too).
    return {k: v for k, v in meta.items() if isinstance(v, str | int | float | bool)}
