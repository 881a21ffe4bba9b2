"""Query latency at 10k and 100k chunks. Prints JSON.

The corpus is the ePQA catalog's chunks replicated with new product ids and SKUs until it holds
N chunks (their vectors are reused, so building 100k chunks does not take hours of embedding).
system:   the product's hybrid search (query embedding, dense + BM25, fusion, rerank)
answer:   a whole offline answer before speech (Answerer.answer; target p50 <= 50 ms at 10k chunks)
baseline: dense-only search on the same store (query embedding + vector top-10)
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
from sqlalchemy import insert

from echome.accounts.users import create_user
from echome.bootstrap import build_services
from echome.db import migrate
from echome.db.models import Persona, Product, ProductChunk
from echome.db.session import transaction
from echome.db.types import new_id, utcnow
from echome.knowledge.chunk import chunk_id, chunk_product
from echome.knowledge.evaluate import load_questions
from echome.knowledge.parse import parse_catalog
from echome.knowledge.retrieve import collection_name, products_collection
from echome.providers.base import VectorRecord
from echome.settings import Settings

QA = Path(__file__).resolve().parents[2] / "shared" / "eval" / "product-qa"


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, round(p / 100 * (len(values) - 1)))]


def centroids(records: list[VectorRecord]) -> list[VectorRecord]:
    """One vector per product, as ingestion writes them (the product prior reads these)."""
    groups: dict[str, list[VectorRecord]] = {}
    for r in records:
        groups.setdefault(r.metadata["product_id"], []).append(r)
    out = []
    for pid, rs in groups.items():
        mean = np.mean([r.vector for r in rs], axis=0)
        meta = {"product_id": pid, "sku": rs[0].metadata["sku"], "persona_id": ""}
        out.append(
            VectorRecord(pid, (mean / np.linalg.norm(mean)).astype(np.float32), rs[0].metadata["name"], meta)
        )
    return out


def build_corpus(services, uid: str, size: int, chunks, vectors) -> float:  # type: ignore[no-untyped-def]
    t = time.perf_counter()
    store, coll = services.vectors, collection_name(uid)
    replica = 0
    written = 0
    while written < size:
        pid_map: dict[str, str] = {}
        records, rows, products = [], [], []
        for c, v in zip(chunks, vectors, strict=True):
            if written >= size:
                break
            # Each copy has its own name, so a named question still points at one product.
            name = c.name if replica == 0 else f"{c.name} v{replica}"
            pid = pid_map.get(c.product_key)
            if pid is None:
                pid = pid_map[c.product_key] = new_id()
                products.append(
                    {
                        "id": pid,
                        "user_id": uid,
                        "external_key": f"{c.product_key}#{replica}",
                        "sku": f"{c.sku}-{replica}",
                        "name": name,
                        "attributes": {},
                        "created_at": utcnow(),
                        "updated_at": utcnow(),
                    }
                )
            cid = chunk_id(uid, replica, c.id)
            sku = f"{c.sku}-{replica}"
            records.append(
                VectorRecord(
                    cid,
                    v,
                    c.text,
                    {
                        "product_id": pid,
                        "sku": sku,
                        "name": name,
                        "source": c.source,
                        "page": -1,
                        "field": c.field,
                    },
                )
            )
            rows.append(
                {
                    "id": cid,
                    "user_id": uid,
                    "product_id": pid,
                    "source": c.source,
                    "chunk_index": c.index,
                    "content": c.text,
                    "field": c.field,
                    "created_at": utcnow(),
                    "meta": {
                        "sku": sku,
                        "name": name,
                        "keyword_text": c.keyword_text.replace(c.name, name, 1),
                    },
                }
            )
            written += 1
        store.upsert(coll, records)
        store.upsert(products_collection(uid), centroids(records))
        with transaction(services.sessions) as s:
            s.execute(insert(Product), products)
            s.execute(insert(ProductChunk), rows)
        replica += 1
    return time.perf_counter() - t


def _answer_latency(services, uid: str, questions) -> dict:  # type: ignore[no-untyped-def]
    """A whole answer before speech (`Answerer.answer`, offline composer): context, record lookup,
    retrieval, composing, guardrail and the conversation log; bare and named questions."""
    with transaction(services.sessions) as s:
        persona = Persona(user_id=uid, name="Bench")
        s.add(persona)
        s.flush()
        persona_id = persona.id
    answerer = services.answerer
    timed: dict[str, list[float]] = {"bare": [], "named": []}
    stages: dict[str, dict[str, list[float]]] = {"bare": {}, "named": {}}
    for i, q in enumerate(questions):
        for form, text in (("bare", q.question), ("named", f"{q.product_name}: {q.question}")):
            t = time.perf_counter()
            out = answerer.answer(
                user_id=uid, persona_id=persona_id, question=text, channel="bench", client_ref=f"{form}-{i}"
            )
            timed[form].append((time.perf_counter() - t) * 1000)
            for k, v in out.timings.items():
                stages[form].setdefault(k, []).append(v * 1000)
    return {
        form: {
            "p50": round(statistics.median(v), 2),
            "p95": round(pct(v, 95), 2),
            "stage_p50": {k: round(statistics.median(x), 2) for k, x in stages[form].items()},
        }
        for form, v in timed.items()
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="10000,100000")
    ap.add_argument("--queries", type=int, default=200)
    ap.add_argument("--vector-store", default="chroma")
    args = ap.parse_args()
    catalog = parse_catalog((QA / "catalog.csv").read_bytes(), "catalog.csv")
    questions = load_questions(QA / "questions.jsonl")
    random.Random(7).shuffle(questions)
    questions = questions[: args.queries]
    out: dict = {"queries": len(questions), "vector_store": args.vector_store, "sizes": {}}
    vectors = None
    for size in [int(x) for x in args.sizes.split(",")]:
        with tempfile.TemporaryDirectory() as tmp:
            services = build_services(
                Settings(
                    _env_file=None, data_dir=Path(tmp), vector_store=args.vector_store, log_level="WARNING"
                )
            )
            migrate.upgrade(services.engine)
            with transaction(services.sessions) as s:
                uid = create_user(s, email="bench@localhost", password="benchmark-only").id
            emb = services.embedder
            chunks = [
                c
                for p in catalog.products
                for c in chunk_product(
                    p, source="catalog.csv", count=emb.count_tokens, max_tokens=emb.max_tokens
                )
            ]
            if vectors is None:
                vectors = emb.embed([c.embed_text for c in chunks])
            build_s = build_corpus(services, uid, size, chunks, vectors)
            retriever = services.retriever
            t = time.perf_counter()
            retriever.keyword_index(uid)
            keyword_build_s = time.perf_counter() - t
            for q in questions[:5]:  # warm caches
                retriever.search(user_id=uid, query=q.question, top_k=5)
            system, named, dense_only = [], [], []
            stages: dict[str, dict[str, list[float]]] = {"bare": {}, "named": {}}
            for q in questions:
                t = time.perf_counter()
                _, timings = retriever.search(user_id=uid, query=q.question, top_k=5)
                system.append((time.perf_counter() - t) * 1000)
                for k, v in timings.items():
                    stages["bare"].setdefault(k, []).append(v * 1000)
                t = time.perf_counter()
                _, timings = retriever.search(user_id=uid, query=f"{q.product_name} {q.question}", top_k=5)
                named.append((time.perf_counter() - t) * 1000)
                for k, v in timings.items():
                    stages["named"].setdefault(k, []).append(v * 1000)
                t = time.perf_counter()
                vec = emb.embed([q.question], kind="query")[0]
                services.vectors.query(collection_name(uid), vec, top_k=10)
                dense_only.append((time.perf_counter() - t) * 1000)
            answers = _answer_latency(services, uid, questions)
            out["sizes"][str(size)] = {
                "answer_ms": answers,
                "chunks": services.vectors.count(collection_name(uid)),
                "build_s": round(build_s, 1),
                "keyword_index_build_s": round(keyword_build_s, 2),
                "system_ms": {"p50": round(statistics.median(system), 2), "p95": round(pct(system, 95), 2)},
                "system_named_ms": {
                    "p50": round(statistics.median(named), 2),
                    "p95": round(pct(named, 95), 2),
                },
                "stage_p50_ms": {
                    form: {k: round(statistics.median(v), 2) for k, v in st.items()}
                    for form, st in stages.items()
                },
                "baseline_dense_only_ms": {
                    "p50": round(statistics.median(dense_only), 2),
                    "p95": round(pct(dense_only, 95), 2),
                },
            }
            services.close()
    out["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
