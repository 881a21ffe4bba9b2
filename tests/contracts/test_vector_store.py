"""One contract for every VectorStore: flat (the embedded default), Chroma (embedded), Qdrant (local mode),
in-memory."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from echome.providers.base import VectorRecord, VectorStore


@pytest.fixture(params=["flat", "chroma", "qdrant", "memory"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Any:
    if request.param == "flat":
        from echome.providers.store_flat import FlatStore

        s = FlatStore(path=tmp_path / "flat.sqlite3")
        yield s
        s.close()
        return
    if request.param == "chroma":
        from echome.providers.store_chroma import ChromaStore

        yield ChromaStore(path=tmp_path / "chroma")
        return
    if request.param == "qdrant":
        from echome.providers.store_qdrant import QdrantStore

        s = QdrantStore(path=tmp_path / "qdrant")
        yield s
        s.client.close()
        return
    from echome.providers.fakes import MemoryVectorStore

    yield MemoryVectorStore()


def vec(*xs: float) -> np.ndarray:
    v = np.zeros(8, dtype=np.float32)
    v[: len(xs)] = xs
    return v / np.linalg.norm(v)


def records() -> list[VectorRecord]:
    return [
        VectorRecord("c1", vec(1, 0), "red chair", {"sku": "A", "product_id": "p1", "page": -1}),
        VectorRecord("c2", vec(0.9, 0.1), "red table", {"sku": "B", "product_id": "p2", "page": 3}),
        VectorRecord("c3", vec(0, 1), "blue lamp", {"sku": "B", "product_id": "p2", "page": 4}),
    ]


def test_upsert_and_query_by_cosine(store: VectorStore) -> None:
    store.upsert("col_a", records())
    hits = store.query("col_a", vec(1, 0), top_k=2)
    assert [h.id for h in hits] == ["c1", "c2"]
    assert hits[0].score == pytest.approx(1.0, abs=1e-4) and hits[0].score > hits[1].score
    assert hits[0].document == "red chair" and hits[0].metadata["sku"] == "A"
    assert store.count("col_a") == 3


def test_where_filter(store: VectorStore) -> None:
    store.upsert("col_a", records())
    hits = store.query("col_a", vec(1, 0), top_k=5, where={"sku": "B"})
    assert [h.id for h in hits] == ["c2", "c3"]
    assert store.query("col_a", vec(1, 0), top_k=5, where={"sku": "Z"}) == []


def test_upsert_replaces_by_id(store: VectorStore) -> None:
    store.upsert("col_a", records())
    store.upsert("col_a", [VectorRecord("c1", vec(0, 1), "red chair v2", {"sku": "A"})])
    assert store.count("col_a") == 3
    top = store.query("col_a", vec(0, 1), top_k=1)[0]
    assert top.id in ("c1", "c3")
    assert (
        next(h for h in store.query("col_a", vec(0, 1), top_k=3) if h.id == "c1").document == "red chair v2"
    )


def test_delete_by_ids_and_by_filter(store: VectorStore) -> None:
    store.upsert("col_a", records())
    store.delete("col_a", ids=["c1"])
    assert [h.id for h in store.query("col_a", vec(1, 0), top_k=5)] == ["c2", "c3"]
    store.delete("col_a", where={"product_id": "p2"})
    assert store.count("col_a") == 0


def test_collections_never_mix(store: VectorStore) -> None:
    store.upsert("product_embeddings_u1", records())
    store.upsert("product_embeddings_u2", [VectorRecord("x", vec(1, 0), "other seller", {"sku": "A"})])
    assert [h.id for h in store.query("product_embeddings_u2", vec(1, 0), top_k=10)] == ["x"]
    assert "x" not in {h.id for h in store.query("product_embeddings_u1", vec(1, 0), top_k=10)}


def test_missing_collection_and_drop(store: VectorStore) -> None:
    assert store.query("nothing_here", vec(1), top_k=3) == []
    assert store.count("nothing_here") == 0
    store.delete("nothing_here", ids=["a"])
    store.upsert("col_a", records())
    store.drop("col_a")
    assert store.count("col_a") == 0
    store.check()


def test_records_without_documents(store: VectorStore) -> None:
    """Ingestion writes vectors and filter fields only; the text lives in the database."""
    store.upsert(
        "col_a", [VectorRecord("c9", vec(1, 0), "", {"product_id": "p9", "sku": "Z", "persona_id": ""})]
    )
    hits = store.query("col_a", vec(1, 0), top_k=1, where={"product_id": "p9"})
    assert [(h.id, h.document, h.metadata["sku"]) for h in hits] == [("c9", "", "Z")]


def test_vectors_by_id(store: VectorStore) -> None:
    store.upsert("col_a", records())
    got = store.vectors("col_a", ["c3", "c1", "nope"])
    assert set(got) == {"c1", "c3"}
    assert np.allclose(got["c3"], vec(0, 1)) and np.allclose(got["c1"], vec(1, 0))
    assert store.vectors("col_a", []) == {} and store.vectors("no_such_collection", ["c1"]) == {}


def test_an_embedded_chroma_store_first_used_from_several_threads_at_once(tmp_path: Path) -> None:
    # The server's warm-up and a health check did this at start: Chroma's client, created twice at
    # once, failed one of them (KeyError on the path, or no 'bindings').
    import threading

    from echome.providers.store_chroma import ChromaStore

    for trial in range(3):
        store = ChromaStore(path=tmp_path / f"chroma{trial}")
        start, errors = threading.Barrier(4), []

        def use(
            store: ChromaStore = store, start: threading.Barrier = start, errors: list[str] = errors
        ) -> None:
            start.wait()
            try:
                store.check()
            except Exception as exc:
                errors.append(repr(exc))

        threads = [threading.Thread(target=use) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert errors == [], errors
