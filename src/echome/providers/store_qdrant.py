"""Qdrant vector store: a server URL in production, local (embedded) mode for tests and laptops."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from echome.providers.base import MissingDependency, ProviderError, VectorHit, VectorRecord

_BATCH = 2000
_NS = uuid.UUID("6f1c9f3e-8a55-4b7e-9d0c-2f3a5e1b7c11")


def _point_id(chunk_id: str) -> str:
    # Qdrant ids must be unsigned ints or UUIDs; ours are hex strings, kept in the payload.
    return str(uuid.uuid5(_NS, chunk_id))


class QdrantStore:
    name = "qdrant"

    def __init__(
        self,
        *,
        url: str | None = None,
        path: Path | None = None,
        api_key: str | None = None,
        client: Any = None,
    ) -> None:
        self._url, self._path, self._api_key, self._client = url, path, api_key, client
        self._known: set[str] = set()

    @property
    def client(self) -> Any:
        if self._client is None:
            try:
                from qdrant_client import QdrantClient
            except ImportError as exc:  # pragma: no cover
                raise MissingDependency("Qdrant needs qdrant-client: pip install qdrant-client") from exc
            if self._url:
                self._client = QdrantClient(url=self._url, api_key=self._api_key)
            elif self._path is not None:
                self._path.mkdir(parents=True, exist_ok=True)
                self._client = QdrantClient(path=str(self._path))
            else:
                self._client = QdrantClient(location=":memory:")
        return self._client

    def _ensure(self, collection: str, dim: int) -> None:
        if collection in self._known:
            return
        from qdrant_client import models

        if not self.client.collection_exists(collection):
            self.client.create_collection(
                collection, vectors_config=models.VectorParams(size=dim, distance=models.Distance.COSINE)
            )
            for key in ("sku", "product_id", "persona_id") if self._url else ():
                # Only servers have payload indexes; local mode filters without them.
                with contextlib.suppress(Exception):
                    self.client.create_payload_index(collection, key, models.PayloadSchemaType.KEYWORD)
        self._known.add(collection)

    def _filter(self, where: dict[str, str] | None) -> Any:
        if not where:
            return None
        from qdrant_client import models

        return models.Filter(
            must=[models.FieldCondition(key=k, match=models.MatchValue(value=v)) for k, v in where.items()]
        )

    def upsert(self, collection: str, records: Sequence[VectorRecord]) -> None:
        if not records:
            return
        from qdrant_client import models

        self._ensure(collection, int(records[0].vector.shape[0]))
        for i in range(0, len(records), _BATCH):
            part = records[i : i + _BATCH]
            self.client.upsert(
                collection,
                points=[
                    models.PointStruct(
                        id=_point_id(r.id),
                        vector=np.asarray(r.vector, dtype=np.float32).tolist(),
                        payload={**r.metadata, "chunk_id": r.id, "document": r.document},
                    )
                    for r in part
                ],
                wait=True,
            )

    def query(
        self, collection: str, vector: np.ndarray, *, top_k: int, where: dict[str, str] | None = None
    ) -> list[VectorHit]:
        if not self.client.collection_exists(collection):
            return []
        try:
            res = self.client.query_points(
                collection,
                query=np.asarray(vector, dtype=np.float32).tolist(),
                limit=top_k,
                query_filter=self._filter(where),
                with_payload=True,
            )
        except Exception as exc:
            raise ProviderError(f"Qdrant query failed: {type(exc).__name__}: {exc}") from exc
        hits = []
        for p in res.points:
            payload = dict(p.payload or {})
            cid = payload.pop("chunk_id", str(p.id))
            doc = payload.pop("document", "")
            hits.append(VectorHit(id=cid, score=float(p.score), document=doc, metadata=payload))
        return hits

    def vectors(self, collection: str, ids: Sequence[str]) -> dict[str, np.ndarray]:
        if not ids or not self.client.collection_exists(collection):
            return {}
        out: dict[str, np.ndarray] = {}
        try:
            for i in range(0, len(ids), _BATCH):
                points = self.client.retrieve(
                    collection,
                    ids=[_point_id(x) for x in ids[i : i + _BATCH]],
                    with_payload=["chunk_id"],
                    with_vectors=True,
                )
                for p in points:
                    cid = (p.payload or {}).get("chunk_id", str(p.id))
                    out[cid] = np.asarray(p.vector, dtype=np.float32)
        except Exception as exc:
            raise ProviderError(f"Qdrant retrieve failed: {type(exc).__name__}: {exc}") from exc
        return out

    def delete(
        self, collection: str, *, ids: Sequence[str] | None = None, where: dict[str, str] | None = None
    ) -> None:
        if not self.client.collection_exists(collection):
            return
        from qdrant_client import models

        if ids is not None:
            for i in range(0, len(ids), _BATCH):
                self.client.delete(
                    collection,
                    points_selector=models.PointIdsList(points=[_point_id(x) for x in ids[i : i + _BATCH]]),
                    wait=True,
                )
        elif where:
            self.client.delete(
                collection, points_selector=models.FilterSelector(filter=self._filter(where)), wait=True
            )

    def count(self, collection: str) -> int:
        if not self.client.collection_exists(collection):
            return 0
        return int(self.client.count(collection, exact=True).count)

    def drop(self, collection: str) -> None:
        if self.client.collection_exists(collection):
            self.client.delete_collection(collection)
        self._known.discard(collection)

    def check(self) -> None:
        self.client.get_collections()
