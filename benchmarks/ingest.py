"""Ingestion benchmark on the ePQA catalog. Prints JSON.

system:   parse -> chunk -> embed -> Chroma + SQLite (the product's real path, `ingest_catalog`)
raw:      the embedder alone on exactly the system's chunk texts (all of them, and the distinct
          ones the system actually embeds)
baseline: the LangChain recipe on the same catalog -- 700-character recursive windows,
          embedded and written to Chroma (dense only)
"""

from __future__ import annotations

import argparse
import json
import resource
import tempfile
import time
from pathlib import Path

from echome.accounts.users import create_user
from echome.bootstrap import build_services
from echome.db import migrate
from echome.db.session import transaction
from echome.knowledge.baseline import recursive_split
from echome.knowledge.chunk import chunk_product
from echome.knowledge.index import ingest_catalog
from echome.knowledge.parse import parse_catalog
from echome.providers.base import VectorRecord
from echome.settings import Settings

DEFAULT = Path(__file__).resolve().parents[2] / "shared" / "eval" / "product-qa" / "catalog.csv"


def median(values: list[float]) -> float:
    return sorted(values)[len(values) // 2]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--catalog", type=Path, default=DEFAULT)
    ap.add_argument("--vector-store", default="chroma")
    ap.add_argument("--repeat", type=int, default=3, help="runs of each, interleaved; medians reported")
    args = ap.parse_args()
    data = args.catalog.read_bytes()
    system_runs: list[float] = []
    raw_runs: list[float] = []
    distinct_runs: list[float] = []
    baseline_runs: list[float] = []
    with tempfile.TemporaryDirectory() as tmp:
        services = build_services(
            Settings(_env_file=None, data_dir=Path(tmp), vector_store=args.vector_store, log_level="WARNING")
        )
        migrate.upgrade(services.engine)
        emb = services.embedder
        emb.embed(["warm up the model"])  # model load is not ingestion
        services.vectors.count("warmup")
        chunks = [
            c
            for p in parse_catalog(data, args.catalog.name).products
            for c in chunk_product(
                p, source=args.catalog.name, count=emb.count_tokens, max_tokens=emb.max_tokens
            )
        ]
        texts = sorted((c.embed_text for c in chunks), key=len)
        distinct = sorted(set(texts), key=len)
        for run in range(args.repeat):
            with transaction(services.sessions) as s:
                uid = create_user(s, email=f"bench{run}@localhost", password="benchmark-only").id
            t = time.perf_counter()
            catalog = parse_catalog(data, args.catalog.name)
            report = ingest_catalog(
                catalog,
                user_id=uid,
                persona_id=None,
                sessions=services.sessions,
                embedder=emb,
                store=services.vectors,
            )
            system_runs.append(time.perf_counter() - t)

            for target, runs in ((texts, raw_runs), (distinct, distinct_runs)):
                t = time.perf_counter()
                for i in range(0, len(target), 256):
                    emb.embed(target[i : i + 256])
                runs.append(time.perf_counter() - t)

            t = time.perf_counter()
            base_catalog = parse_catalog(data, args.catalog.name)
            windows = [
                piece
                for rec in base_catalog.products
                for piece in recursive_split("\n".join([rec.name, *(f.text for f in rec.fields)]), size=700)
            ]
            vectors = emb.embed(windows)
            services.vectors.upsert(
                f"baseline_windows_{run}",
                [
                    VectorRecord(id=f"w{i}", vector=v, document=w, metadata={})
                    for i, (w, v) in enumerate(zip(windows, vectors, strict=True))
                ],
            )
            baseline_runs.append(time.perf_counter() - t)
        services.close()

    products = report.products
    system_s, raw_s, baseline_s = median(system_runs), median(raw_runs), median(baseline_runs)
    print(
        json.dumps(
            {
                "catalog": args.catalog.name,
                "products": products,
                "embedder": emb.name,
                "vector_store": args.vector_store,
                "runs": args.repeat,
                "system": {
                    "wall_s": round(system_s, 2),
                    "runs_s": [round(x, 2) for x in system_runs],
                    "chunks": report.chunks,
                    "distinct_texts_embedded": len(distinct),
                    "chunks_per_s": round(report.chunks / system_s, 1),
                    "products_per_s": round(products / system_s, 2),
                    "stages_s": {k: round(v, 2) for k, v in report.timings.items()},
                },
                "raw_embedding_s": round(raw_s, 2),
                "raw_embedding_runs_s": [round(x, 2) for x in raw_runs],
                "raw_embedding_distinct_texts_s": round(median(distinct_runs), 2),
                "system_over_raw_embedding": round(system_s / raw_s, 3),
                "system_over_raw_distinct": round(system_s / median(distinct_runs), 3),
                "baseline": {
                    "wall_s": round(baseline_s, 2),
                    "runs_s": [round(x, 2) for x in baseline_runs],
                    "chunks": len(windows),
                    "chunks_per_s": round(len(windows) / baseline_s, 1),
                    "products_per_s": round(products / baseline_s, 2),
                },
                "throughput_vs_baseline": round(baseline_s / system_s, 2),
                "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
