"""ChromaDB vector store: embedded PersistentClient, or HttpClient for a Chroma server."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from echome.providers.base import MissingDependency, ProviderError, VectorHit, VectorRecord

_BATCH = 4000
_ID_BATCH = 500  # ids per get: Chroma binds each as an SQL variable


def _where(where: dict[str, str] | None) -> dict[str, Any] | None:
    if not where:
        return None
    clauses = [{k: {"$eq": v}} for k, v in where.items()]
    return clauses[0] if len(clauses) == 1 else {"$and": clauses}


def _clean_meta(meta: dict[str, Any]) -> dict[str, Any]:
    # Chroma accepts str/int/float/bool values only, and no None.
    return {k: v for k, v in meta.items() if isinstance(v, str | int | float | bool)}


class ChromaStore:
    name = "chroma"

    def __init__(self, *, path: Path | None = None, url: str | None = None, client: Any = None) -> None:
        self._path, self._url, self._client = path, url, client
        self._handles: dict[str, Any] = {}
        # Chroma's clients are not safe to create from two threads at once (the server's warm-up
        # and a health check did: KeyError, "no attribute 'bindings'"); using one is.
        self._creating = threading.Lock()

    @property
    def client(self) -> Any:
        if self._client is None:
            with self._creating:
                if self._client is None:
                    self._client = self._new_client()
        return self._client

    def _new_client(self) -> Any:
        try:
            import chromadb
            from chromadb.config import Settings as ChromaSettings
        except ImportError as exc:  # pragma: no cover
            raise MissingDependency("Chroma needs chromadb: pip install chromadb") from exc
        opts = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
        if self._url:
            from urllib.parse import urlsplit

            u = urlsplit(self._url)
            return chromadb.HttpClient(
                host=u.hostname or "localhost",
                port=u.port or 8000,
                ssl=u.scheme == "https",
                settings=opts,
            )
        else:
            assert self._path is not None
            self._path.mkdir(parents=True, exist_ok=True)
            return chromadb.PersistentClient(path=str(self._path), settings=opts)

    def _collection(self, name: str, *, create: bool = True) -> Any:
        # Looking a collection up costs ~1.5 ms, a search needs two: handles are kept (the app
        # never drops a collection another process uses; `drop` forgets the handle).
        col = self._handles.get(name)
        if col is not None:
            return col
        if create:
            col = self.client.get_or_create_collection(name, metadata={"hnsw:space": "cosine"})
        else:
            try:
                col = self.client.get_collection(name)
            except Exception:
                return None
        self._handles[name] = col
        return col

    def upsert(self, collection: str, records: Sequence[VectorRecord]) -> None:
        if not records:
            return
        col = self._collection(collection)
        for i in range(0, len(records), _BATCH):
            part = records[i : i + _BATCH]
            docs = [r.document for r in part]
            col.upsert(
                ids=[r.id for r in part],
                embeddings=np.stack([r.vector for r in part]).astype(np.float32),
                # Documents are full-text indexed by Chroma: skip them when there are none.
                **({"documents": docs} if any(docs) else {}),
                metadatas=[_clean_meta(r.metadata) or {"_": 1} for r in part],
            )

    def query(
        self, collection: str, vector: np.ndarray, *, top_k: int, where: dict[str, str] | None = None
    ) -> list[VectorHit]:
        col = self._collection(collection, create=False)
        if col is None:
            return []
        try:
            res = col.query(
                query_embeddings=[np.asarray(vector, dtype=np.float32)],
                n_results=top_k,
                where=_where(where),
                include=["documents", "metadatas", "distances"],
            )
        except Exception as exc:
            raise ProviderError(f"Chroma query failed: {type(exc).__name__}: {exc}") from exc
        ids = res["ids"][0]
        return [
            VectorHit(id=i, score=1.0 - float(d), document=doc or "", metadata=dict(meta or {}))
            for i, d, doc, meta in zip(
                ids, res["distances"][0], res["documents"][0], res["metadatas"][0], strict=True
            )
        ]

    def vectors(self, collection: str, ids: Sequence[str]) -> dict[str, np.ndarray]:
        col = self._collection(collection, create=False)
        if col is None or not ids:
            return {}
        out: dict[str, np.ndarray] = {}
        try:
            for i in range(0, len(ids), _ID_BATCH):
                got = col.get(ids=list(ids[i : i + _ID_BATCH]), include=["embeddings"])
                out.update(zip(got["ids"], np.asarray(got["embeddings"], dtype=np.float32), strict=True))
        except Exception as exc:
            raise ProviderError(f"Chroma get failed: {type(exc).__name__}: {exc}") from exc
        return out

    def delete(
        self, collection: str, *, ids: Sequence[str] | None = None, where: dict[str, str] | None = None
    ) -> None:
        col = self._collection(collection, create=False)
        if col is None:
            return
        if ids is not None:
            for i in range(0, len(ids), _BATCH):
                col.delete(ids=list(ids[i : i + _BATCH]))
        elif where:
            col.delete(where=_where(where))

    def count(self, collection: str) -> int:
        col = self._collection(collection, create=False)
        return 0 if col is None else int(col.count())

    def drop(self, collection: str) -> None:
        if self._collection(collection, create=False) is not None:
            self._handles.pop(collection, None)
            self.client.delete_collection(collection)

    def check(self) -> None:
        self.client.heartbeat()

    def export(self, page: int = 5000) -> Iterator[tuple[str, list[VectorRecord]]]:
        """Every collection with all its records (to move them into another store)."""
        for col in self.client.list_collections():
            name = col if isinstance(col, str) else col.name
            handle = self.client.get_collection(name)
            records: list[VectorRecord] = []
            for offset in range(0, int(handle.count()), page):
                got = handle.get(limit=page, offset=offset, include=["embeddings", "documents", "metadatas"])
                for i, vector, doc, meta in zip(
                    got["ids"], got["embeddings"], got["documents"], got["metadatas"], strict=True
                ):
                    meta = {k: v for k, v in (meta or {}).items() if k != "_"}  # `upsert`'s placeholder
                    records.append(VectorRecord(i, np.asarray(vector, dtype=np.float32), doc or "", meta))
            yield name, records
