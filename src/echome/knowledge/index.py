"""Ingestion: stored file → parse → chunk → embed → vector store + products/product_chunks.

Order matters for "a failed import changes nothing": everything that can fail on bad input
(parsing, chunking, embedding) runs before the database is touched, and the products and
their chunks are replaced in one transaction."""

from __future__ import annotations

import gc
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session, sessionmaker

from echome.db.models import Product, ProductChunk
from echome.db.types import new_id, utcnow
from echome.knowledge.chunk import Chunk, chunk_product
from echome.knowledge.records import ParsedCatalog
from echome.knowledge.retrieve import collection_name, products_collection
from echome.providers.base import Embedder, VectorRecord, VectorStore

Progress = Callable[[float, str], None]
EMBED_BATCH = 1024  # texts a call: fewer, fuller batches than 256 (the ePQA catalog: 6.7 s against 7.2 s)


@dataclass
class IngestReport:
    source: str
    format: str
    products: int = 0
    created: int = 0
    updated: int = 0
    chunks: int = 0
    warnings: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    columns: list[dict[str, str]] = field(default_factory=list)  # how each column was understood
    platform: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "format": self.format,
            "products": self.products,
            "created": self.created,
            "updated": self.updated,
            "chunks": self.chunks,
            "warnings": self.warnings[:50],
            "timings": {k: round(v, 3) for k, v in self.timings.items()},
            "platform": self.platform,
            "columns": self.columns[:300],
        }


_gc_lock = threading.Lock()
_gc_pauses = 0
_gc_resume = False


@contextmanager
def collector_paused() -> Iterator[None]:
    """Python's cycle collector paused while an import builds tens of thousands of objects that all
    live until it ends: its repeated passes over them were about 0.1 s of the ePQA import's 0.7 s
    outside the model. Reference counting still frees everything else at once; the collector
    resumes when the last concurrent import ends (if it was running before the first began)."""
    global _gc_pauses, _gc_resume
    with _gc_lock:
        if _gc_pauses == 0:
            _gc_resume = gc.isenabled()
            gc.disable()
        _gc_pauses += 1
    try:
        yield
    finally:
        with _gc_lock:
            _gc_pauses -= 1
            if _gc_pauses == 0 and _gc_resume:
                gc.enable()


@collector_paused()
def ingest_catalog(
    catalog: ParsedCatalog,
    *,
    user_id: str,
    persona_id: str | None,
    sessions: sessionmaker[Session],
    embedder: Embedder,
    store: VectorStore,
    progress: Progress | None = None,
) -> IngestReport:
    report = IngestReport(
        source=catalog.source,
        format=catalog.format,
        warnings=list(catalog.warnings),
        columns=list(catalog.columns),
        platform=catalog.platform,
    )
    say = progress or (lambda _p, _s: None)
    t = time.perf_counter()
    chunks_by_product: dict[str, list[Chunk]] = {}
    for rec in catalog.products:
        chunks_by_product[rec.external_key] = chunk_product(
            rec,
            source=catalog.source,
            count=embedder.count_tokens,
            max_tokens=embedder.max_tokens,
            owner=user_id,  # chunk ids are per seller
        )
    all_chunks = [c for cs in chunks_by_product.values() for c in cs]
    report.timings["chunk"] = time.perf_counter() - t

    keys = [r.external_key for r in catalog.products]
    with sessions() as s:
        existing = {
            p.external_key: (p.id, p.persona_id)
            for p in s.scalars(
                select(Product).where(Product.user_id == user_id, Product.external_key.in_(keys))
            )
        }
        old_ids = set(
            s.scalars(
                select(ProductChunk.id).where(ProductChunk.product_id.in_([i for i, _ in existing.values()]))
            )
        )
    product_ids = {k: existing[k][0] if k in existing else new_id() for k in keys}
    persona_of = {k: persona_id if persona_id is not None else existing.get(k, (None, None))[1] for k in keys}

    def record(c: Chunk, v: Any) -> VectorRecord:
        # Only what the store filters on, the persona: the text and citation live in product_chunks
        # (writing them to the vector store too cost a tenth of the import, measured with Chroma),
        # and search inside one product reads its chunk ids from there (`Retriever._dense`).
        # Chroma's upsert of the ePQA catalog's 9,407 vectors: 5.4 s with product id and SKU too,
        # 3.9 s with the persona alone.
        return VectorRecord(
            id=c.id, vector=v, document="", metadata={"persona_id": persona_of[c.product_key] or ""}
        )

    t = time.perf_counter()
    vectors = _embed_distinct(all_chunks, embedder=embedder, say=say)
    report.timings["embed"] = time.perf_counter() - t

    written = [c.id for c in all_chunks if c.id not in old_ids]
    try:
        t = time.perf_counter()
        say(86, "indexing vectors")
        # Vectors go in only once every one is ready, so a failed embedding writes nothing. (Writing
        # them on another thread while embedding was measured slower on 2 cores: 29.2 s against
        # 28.1 s for the ePQA catalog, the store's indexing competes with the model.)
        store.upsert(
            collection_name(user_id), [record(c, v) for c, v in zip(all_chunks, vectors, strict=True)]
        )
        store.upsert(products_collection(user_id), _centroids(all_chunks, vectors, product_ids, persona_of))
        say(93, "saving products")
        _save_rows(
            catalog,
            all_chunks,
            user_id=user_id,
            sessions=sessions,
            product_ids=product_ids,
            persona_of=persona_of,
            old_ids=old_ids,
            report=report,
        )
    except BaseException:  # nothing was saved: leave no new vectors behind
        store.delete(collection_name(user_id), ids=written)
        store.delete(products_collection(user_id), ids=[product_ids[k] for k in keys if k not in existing])
        raise
    stale = sorted(old_ids - {c.id for c in all_chunks})
    if stale:
        store.delete(collection_name(user_id), ids=stale)
    report.timings["store"] = time.perf_counter() - t
    report.products = len(catalog.products)
    report.chunks = len(all_chunks)
    return report


def _save_rows(
    catalog: ParsedCatalog,
    all_chunks: list[Chunk],
    *,
    user_id: str,
    sessions: sessionmaker[Session],
    product_ids: dict[str, str],
    persona_of: dict[str, str | None],
    old_ids: set[str],
    report: IngestReport,
) -> None:
    """Products and their chunks, replaced in one transaction."""
    keys = [r.external_key for r in catalog.products]
    with sessions() as s, s.begin():
        rows = {
            p.external_key: p
            for p in s.scalars(
                select(Product).where(Product.user_id == user_id, Product.external_key.in_(keys))
            )
        }
        now = utcnow()
        fresh: list[dict[str, Any]] = []
        for rec in catalog.products:
            values = {
                "persona_id": persona_of[rec.external_key],
                "updated_at": now,  # even when nothing else changed: the keyword index keys on it
                "sku": rec.sku,
                "name": rec.name,
                "description": rec.description,
                "price": rec.price,
                "currency": rec.currency,
                "stock": rec.stock,
                "url": rec.url,
                "category": rec.category,
                "attributes": rec.attributes,
                "source": catalog.source,
            }
            p = rows.get(rec.external_key)
            if p is None:
                key = rec.external_key
                ident = {"id": product_ids[key], "user_id": user_id, "external_key": key}
                fresh.append({**ident, "created_at": now, **values})
                report.created += 1
            else:
                for name, value in values.items():
                    setattr(p, name, value)
                report.updated += 1
        # Core executemany for new products and their chunks: thousands of rows without ORM objects.
        for start in range(0, len(fresh), 2000):
            s.execute(insert(Product.__table__), fresh[start : start + 2000])
        s.flush()
        for batch in _batches(sorted(old_ids)):
            s.execute(delete(ProductChunk).where(ProductChunk.id.in_(batch)))
        rows = [
            {
                "id": c.id,
                "user_id": user_id,
                "product_id": product_ids[c.product_key],
                "source": c.source,
                "chunk_index": c.index,
                "content": c.text,
                "page": c.page,
                "field": c.field[:100],
                "created_at": now,
                "meta": {
                    "sku": c.sku,
                    "name": c.name,
                    "persona_id": persona_of[c.product_key],
                    "keyword_text": c.keyword_text,
                },
            }
            for c in all_chunks
        ]
        for start in range(0, len(rows), 2000):
            s.execute(insert(ProductChunk.__table__), rows[start : start + 2000])


def _embed_distinct(chunks: list[Chunk], *, embedder: Embedder, say: Progress) -> list[Any]:
    """Embed each distinct text once, shortest first (batches pad little); one vector per chunk."""
    by_text: dict[str, list[int]] = {}
    for i, c in enumerate(chunks):
        by_text.setdefault(c.embed_text, []).append(i)
    texts = sorted(by_text, key=len)
    vectors: list[Any] = [None] * len(chunks)
    total = max(len(texts), 1)
    for start in range(0, len(texts), EMBED_BATCH):
        batch = texts[start : start + EMBED_BATCH]
        for text, v in zip(batch, embedder.embed(batch), strict=True):
            for i in by_text[text]:
                vectors[i] = v
        done = min(start + EMBED_BATCH, len(texts))
        say(10 + 75 * done / total, f"embedding {done}/{len(texts)} distinct chunk texts")
    return vectors


def _centroids(
    chunks: list[Chunk], vectors: list[Any], product_ids: dict[str, str], persona_of: dict[str, str | None]
) -> list[VectorRecord]:
    """One vector per product: the normalised mean of its chunks' vectors (what it is about)."""
    sums: dict[str, Any] = {}
    for c, v in zip(chunks, vectors, strict=True):
        sums[c.product_key] = v if c.product_key not in sums else sums[c.product_key] + v
    out = []
    for key, total in sums.items():
        norm = float(np.linalg.norm(total)) or 1.0
        out.append(
            VectorRecord(
                id=product_ids[key],
                vector=(total / norm).astype(np.float32),
                document="",  # search reads only its id and score; Chroma full-text indexes a document
                metadata={"persona_id": persona_of[key] or ""},  # its id is the product's
            )
        )
    return out


def _batches(items: list[str], size: int = 500) -> list[list[str]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


def delete_products(
    *, user_id: str, product_ids: list[str], sessions: sessionmaker[Session], store: VectorStore
) -> int:
    """Delete products, their chunks and their vectors."""
    with sessions() as s, s.begin():
        ids = list(
            s.scalars(select(Product.id).where(Product.user_id == user_id, Product.id.in_(product_ids)))
        )
        chunk_ids = list(s.scalars(select(ProductChunk.id).where(ProductChunk.product_id.in_(ids))))
        s.execute(delete(ProductChunk).where(ProductChunk.id.in_(chunk_ids)))
        s.execute(delete(Product).where(Product.id.in_(ids)))
    if chunk_ids:
        store.delete(collection_name(user_id), ids=chunk_ids)
    if ids:
        store.delete(products_collection(user_id), ids=ids)
    return len(ids)
