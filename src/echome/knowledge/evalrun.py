"""`echome eval retrieval DIR`: ingest the folder's catalog into a throwaway seller, score the
system and the baseline on the same questions in the same run."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from echome.knowledge.baseline import BaselineIndex
from echome.knowledge.evaluate import FORMS, compare, evaluate, load_questions
from echome.knowledge.index import ingest_catalog
from echome.knowledge.parse import parse_catalog
from echome.knowledge.retrieve import Retriever
from echome.providers.base import Embedder, VectorStore


def run_retrieval_eval(
    folder: Path,
    *,
    user_id: str,
    sessions: sessionmaker[Session],
    embedder: Embedder,
    store: VectorStore,
    retriever: Retriever,
    limit: int | None = None,
    baseline: bool = True,
    say: Callable[[str], None] = lambda _m: None,
) -> dict[str, Any]:
    """Score retrieval on `folder` for a seller (`user_id`) whose catalog is empty: the caller gives a
    throwaway one, so the eval never touches a real seller's products."""
    catalog_path = next((folder / n for n in ("catalog.csv", "catalog.xlsx") if (folder / n).exists()), None)
    if catalog_path is None or not (folder / "questions.jsonl").exists():
        raise FileNotFoundError(f"{folder} needs catalog.csv and questions.jsonl")
    questions = load_questions(folder / "questions.jsonl")[: limit or None]
    catalog = parse_catalog(catalog_path.read_bytes(), catalog_path.name)
    say(f"ingesting {len(catalog.products)} products")
    t = time.perf_counter()
    report = ingest_catalog(
        catalog, user_id=user_id, persona_id=None, sessions=sessions, embedder=embedder, store=store
    )
    ingest_s = time.perf_counter() - t

    def search(query: str, sku: str | None) -> list[str]:
        results, _ = retriever.search(user_id=user_id, query=query, sku=sku, top_k=10)
        return [r.text for r in results]

    say(f"scoring {len(questions)} questions x {len(FORMS)} forms")
    t = time.perf_counter()
    system = evaluate(questions, search)
    query_s = time.perf_counter() - t
    out: dict[str, Any] = {
        "questions": len(questions),
        "embedder": embedder.name,
        "vector_store": store.name,
        "reranker": retriever.reranker.name,
        "chunks": report.chunks,
        "ingest_seconds": round(ingest_s, 2),
        "query_ms_mean": round(1000 * query_s / max(1, len(questions) * len(FORMS)), 2),
    }
    if baseline:
        say("baseline: 700-character windows, dense only")
        t = time.perf_counter()
        base = BaselineIndex(catalog, embedder)
        out["baseline_chunks"] = len(base.texts)
        out["baseline_ingest_seconds"] = round(time.perf_counter() - t, 2)
        base_metrics = evaluate(questions, lambda q, sku: base.search(q, sku))
        out["metrics"] = compare(system, base_metrics)
    else:
        out["metrics"] = compare(system, {})
    return out
