"""Hybrid retrieval: dense (vector store) + BM25, reciprocal-rank fusion, rerank, citations."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from echome.db.models import ProductChunk
from echome.knowledge.keyword import KeywordCache, KeywordIndex, build_index
from echome.providers.base import Candidate, Embedder, Reranker, VectorStore

RRF_K = 60


def collection_name(user_id: str) -> str:
    return f"product_embeddings_{user_id}"


@dataclass
class SearchResult:
    chunk_id: str
    text: str
    score: float
    sku: str | None
    name: str | None
    source: str | None
    page: int | None
    product_id: str | None
    field: str | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "score": round(self.score, 4),
            "sku": self.sku,
            "name": self.name,
            "source": self.source,
            "page": self.page,
            "product_id": self.product_id,
            "field": self.field,
            "chunk_id": self.chunk_id,
        }


def chunk_meta(row: ProductChunk) -> dict[str, Any]:
    meta = row.meta or {}
    return {
        "product_id": row.product_id,
        "persona_id": meta.get("persona_id") or "",
        "sku": meta.get("sku") or "",
        "name": meta.get("name"),
        "source": row.source,
        "page": row.page,
        "field": row.field,
    }


class Retriever:
    def __init__(
        self,
        *,
        sessions: sessionmaker[Session],
        embedder: Embedder,
        store: VectorStore,
        reranker: Reranker,
        keyword_cache: KeywordCache | None = None,
    ) -> None:
        self.sessions = sessions
        self.embedder = embedder
        self.store = store
        self.reranker = reranker
        self.keywords = keyword_cache or KeywordCache()

    def keyword_index(self, user_id: str) -> KeywordIndex:
        with self.sessions() as s:
            version = s.execute(
                select(func.count(ProductChunk.id), func.max(ProductChunk.created_at)).where(
                    ProductChunk.user_id == user_id
                )
            ).one()

        def build() -> KeywordIndex:
            with self.sessions() as s:
                rows = list(
                    s.scalars(
                        select(ProductChunk).where(ProductChunk.user_id == user_id).order_by(ProductChunk.id)
                    )
                )
            return build_index(
                [r.id for r in rows],
                [r.content for r in rows],
                [(r.meta or {}).get("embed_text", r.content) for r in rows],
                [chunk_meta(r) for r in rows],
            )

        return self.keywords.get(user_id, tuple(version), build)

    def search(
        self,
        *,
        user_id: str,
        query: str,
        top_k: int = 5,
        sku: str | None = None,
        persona_id: str | None = None,
        candidates: int = 20,
    ) -> tuple[list[SearchResult], dict[str, float]]:
        timings: dict[str, float] = {}
        t0 = time.perf_counter()
        query = query.strip()
        if not query:
            return [], timings
        vec = self.embedder.embed([query], kind="query")[0]
        timings["embed"] = time.perf_counter() - t0
        t = time.perf_counter()
        where = {k: v for k, v in (("sku", sku), ("persona_id", persona_id)) if v} or None
        dense = self.store.query(collection_name(user_id), vec, top_k=max(candidates, top_k), where=where)
        timings["dense"] = time.perf_counter() - t
        t = time.perf_counter()
        kw_index = self.keyword_index(user_id)
        keyword = kw_index.top(query, k=max(candidates, top_k), where=where)
        timings["keyword"] = time.perf_counter() - t
        t = time.perf_counter()
        pool: dict[str, Candidate] = {}
        for rank, hit in enumerate(dense):
            c = pool.setdefault(hit.id, Candidate(id=hit.id, text=hit.document, metadata=hit.metadata))
            c.dense, c.dense_rank = hit.score, rank
            c.fused += 1.0 / (RRF_K + rank + 1)
        for rank, (i, score) in enumerate(keyword):
            cid = kw_index.ids[i]
            c = pool.setdefault(cid, Candidate(id=cid, text=kw_index.texts[i], metadata=kw_index.meta[i]))
            c.keyword, c.keyword_rank = score, rank
            c.fused += 1.0 / (RRF_K + rank + 1)
        fused = sorted(pool.values(), key=lambda c: -c.fused)[:candidates]
        ranked = self.reranker.rerank(query, fused, top_k=top_k)
        timings["rerank"] = time.perf_counter() - t
        timings["total"] = time.perf_counter() - t0
        results = [
            SearchResult(
                chunk_id=c.id,
                text=c.text,
                score=c.score,
                sku=c.metadata.get("sku") or None,
                name=c.metadata.get("name"),
                source=c.metadata.get("source"),
                page=_int(c.metadata.get("page")),
                product_id=c.metadata.get("product_id") or None,
                field=c.metadata.get("field"),
            )
            for c in ranked
        ]
        return results, timings


def _int(v: Any) -> int | None:
    try:
        n = int(v) if v is not None and v != "" else None
    except (TypeError, ValueError):
        return None
    return n if n is not None and n >= 0 else None  # vector stores hold -1 for "no page"
