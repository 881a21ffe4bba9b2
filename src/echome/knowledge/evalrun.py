"""`echome eval retrieval DIR`: ingest the folder's catalog into a throwaway seller, score the
system and the baseline on the same questions in the same run."""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from echome.knowledge.baseline import BaselineIndex
from echome.knowledge.evaluate import FORMS, compare, evaluate, load_questions
from echome.knowledge.parse import parse_catalog
from echome.settings import Settings


def run_retrieval_eval(
    folder: Path,
    settings: Settings,
    *,
    limit: int | None = None,
    baseline: bool = True,
    say: Callable[[str], None] = lambda _m: None,
) -> dict[str, Any]:
    from echome.accounts.users import create_user
    from echome.bootstrap import build_services
    from echome.db import migrate
    from echome.db.session import transaction
    from echome.knowledge.index import ingest_catalog

    catalog_path = next((folder / n for n in ("catalog.csv", "catalog.xlsx") if (folder / n).exists()), None)
    if catalog_path is None or not (folder / "questions.jsonl").exists():
        raise FileNotFoundError(f"{folder} needs catalog.csv and questions.jsonl")
    questions = load_questions(folder / "questions.jsonl")[: limit or None]
    catalog = parse_catalog(catalog_path.read_bytes(), catalog_path.name)
    with tempfile.TemporaryDirectory(prefix="echome-eval-") as tmp:
        local = settings.model_copy(
            update={
                "data_dir": Path(tmp),
                "database_url": None,
                "redis_url": None,
                "storage_backend": "local",
            }
        )
        services = build_services(local)
        migrate.upgrade(services.engine)
        with transaction(services.sessions) as s:
            user_id = create_user(s, email="eval@localhost", password="throwaway-eval").id
        say(f"ingesting {len(catalog.products)} products")
        t = time.perf_counter()
        report = ingest_catalog(
            catalog,
            user_id=user_id,
            persona_id=None,
            sessions=services.sessions,
            embedder=services.embedder,
            store=services.vectors,
        )
        ingest_s = time.perf_counter() - t

        def search(query: str, sku: str | None) -> list[str]:
            results, _ = services.retriever.search(user_id=user_id, query=query, sku=sku, top_k=10)
            return [r.text for r in results]

        say(f"scoring {len(questions)} questions x {len(FORMS)} forms")
        t = time.perf_counter()
        system = evaluate(questions, search)
        query_s = time.perf_counter() - t
        out: dict[str, Any] = {
            "questions": len(questions),
            "embedder": services.embedder.name,
            "vector_store": services.vectors.name,
            "reranker": services.retriever.reranker.name,
            "chunks": report.chunks,
            "ingest_seconds": round(ingest_s, 2),
            "query_ms_mean": round(1000 * query_s / max(1, len(questions) * len(FORMS)), 2),
        }
        if baseline:
            say("baseline: 700-character windows, dense only")
            t = time.perf_counter()
            base = BaselineIndex(catalog, services.embedder)
            out["baseline_chunks"] = len(base.texts)
            out["baseline_ingest_seconds"] = round(time.perf_counter() - t, 2)
            base_metrics = evaluate(questions, lambda q, sku: base.search(q, sku))
            out["metrics"] = compare(system, base_metrics)
        else:
            out["metrics"] = compare(system, {})
        services.close()
    return out
