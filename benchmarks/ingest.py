"""Ingestion and embedding benchmark on the ePQA catalog. Prints JSON.

embedders: the same distinct chunk texts (3,000 by default, evenly spaced over the catalog's chunks)
  ours      the product's local embedder as configured by default (int8 graph built once from the
            packaged weights, cached in the data dir; its build is not timed)
  packaged  the same model run as the packaged ONNX file runs it (fp32 compute): the embedder before
            issue 16, the baseline in this run
  peer      sentence-transformers fp32 on torch, from the optional torch venv (benchmarks/st_peer.py,
            `--peer-python`); left out, with the reason, when that venv is missing
  Runs alternate ours, peer, packaged (`--repeat` rounds); medians are reported, with how close the
  vectors are (cosine per text; the peer's fp32 weights are the reference).
system:   parse -> chunk -> embed -> vector store + SQLite (the product's real path, `ingest_catalog`,
          on the configured store: the flat store by default)
raw:      the embedder alone on exactly the system's chunk texts (all of them, and the distinct
          ones the system actually embeds), in the system's calls (EMBED_BATCH texts each); right
          after each system run (all after one untimed import). `system_over_raw_distinct` is the
          ratio of the medians, `..._paired` the median of each round's ratio (steadier on a host
          whose speed drifts); `system_over_own_embedding` is each run over its own embedding stage
store:    the vector store alone: one record per chunk (the raw run's vectors, the system's metadata
          keys) upserted into a new collection; the same into embedded Chroma (the default store
          before the flat one) for comparison
baseline: the LangChain recipe on the same catalog -- 700-character recursive windows,
          embedded and written to embedded Chroma (dense only)
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from echome.accounts.users import create_user
from echome.bootstrap import build_services
from echome.db import migrate
from echome.db.session import transaction
from echome.knowledge.baseline import recursive_split
from echome.knowledge.chunk import chunk_product
from echome.knowledge.index import EMBED_BATCH, ingest_catalog
from echome.knowledge.parse import parse_catalog
from echome.providers.base import VectorRecord
from echome.providers.embed_onnx import OnnxMiniLMEmbedder, cpu_count
from echome.providers.store_chroma import ChromaStore
from echome.settings import Settings

HERE = Path(__file__).resolve().parent
DEFAULT = HERE.parents[1] / "shared" / "eval" / "product-qa" / "catalog.csv"
PEER_PYTHON = Path(os.environ.get("ECHOME_ST_PYTHON", HERE.parents[1] / "venv-st" / "bin" / "python"))


def median(values: list[float]) -> float:
    return sorted(values)[len(values) // 2]


def cosines(a: np.ndarray, b: np.ndarray) -> dict[str, float]:
    c = (a * b).sum(axis=1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))
    return {
        "min": round(float(c.min()), 4),
        "mean": round(float(c.mean()), 5),
        "below_0.99": int((c < 0.99).sum()),
    }


class Peer:
    """benchmarks/st_peer.py running in the torch venv, kept alive between runs."""

    def __init__(self, python: Path) -> None:
        self._err = tempfile.TemporaryFile(mode="w+")  # noqa: SIM115 -- open while the peer runs
        self.proc = subprocess.Popen(
            [str(python), str(HERE / "st_peer.py")],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._err,
            text=True,
        )
        line = self.proc.stdout.readline() if self.proc.stdout else ""
        if not line:
            self._err.seek(0)
            raise RuntimeError(f"the peer did not start: {self._err.read()[-600:]}")
        self.info = json.loads(line)

    def run(self, texts_file: Path, vectors_file: Path | None = None) -> float:
        assert self.proc.stdin and self.proc.stdout
        req = {"texts": str(texts_file), "vectors": str(vectors_file) if vectors_file else None}
        self.proc.stdin.write(json.dumps(req) + "\n")
        self.proc.stdin.flush()
        return float(json.loads(self.proc.stdout.readline())["seconds"])

    def close(self) -> None:
        if self.proc.stdin:
            self.proc.stdin.close()
        self.proc.wait(timeout=60)
        self._err.close()


def sample_texts(chunk_texts: list[str], n: int) -> list[str]:
    """`n` distinct chunk texts evenly spaced in catalog order (every product contributes)."""
    distinct = list(dict.fromkeys(chunk_texts))
    step = max(1, len(distinct) // n)
    return distinct[::step][:n]


def bench_embedders(
    texts: list[str], *, ours: Any, repeat: int, peer_python: Path, tmp: Path
) -> dict[str, Any]:
    packaged = OnnxMiniLMEmbedder(variant="packaged")
    packaged.embed(["warm up the model"])
    texts_file = tmp / "texts.json"
    texts_file.write_text(json.dumps(texts), encoding="utf-8")
    peer: Peer | None = None
    peer_note = None
    if peer_python.is_file():
        try:
            peer = Peer(peer_python)
        except Exception as exc:  # a broken venv: the rest of the benchmark still runs
            peer_note = f"{type(exc).__name__}: {exc}"
    else:
        peer_note = f"no torch venv at {peer_python} (see benchmarks/st_peer.py)"
    runs: dict[str, list[float]] = {"ours": [], "packaged": [], "peer": []}
    vectors: dict[str, np.ndarray] = {}
    for r in range(repeat):  # alternating, so drifting machine load hits every embedder alike
        t = time.perf_counter()
        v = ours.embed(texts)
        runs["ours"].append(time.perf_counter() - t)
        vectors.setdefault("ours", v)
        if peer is not None:
            runs["peer"].append(peer.run(texts_file, tmp / "peer.npy" if r == 0 else None))
        t = time.perf_counter()
        v = packaged.embed(texts)
        runs["packaged"].append(time.perf_counter() - t)
        vectors.setdefault("packaged", v)
    out: dict[str, Any] = {"texts": len(texts), "cores": cpu_count(), "runs": repeat}
    for name, rs in runs.items():
        if rs:
            out[name] = {
                "texts_per_s": round(len(texts) / median(rs), 1),
                "median_s": round(median(rs), 2),
                "runs_s": [round(x, 2) for x in rs],
            }
    out["ours"]["graph"] = ours.variant
    out["ours_over_packaged"] = round(median(runs["packaged"]) / median(runs["ours"]), 2)
    agreement = {"ours_vs_packaged": cosines(vectors["ours"], vectors["packaged"])}
    if peer is not None:
        out["peer"].update(peer.info)
        peer.close()
        out["ours_over_peer"] = round(median(runs["peer"]) / median(runs["ours"]), 2)
        out["packaged_over_peer"] = round(median(runs["peer"]) / median(runs["packaged"]), 2)
        fp32 = np.load(tmp / "peer.npy")
        agreement["ours_vs_peer_fp32"] = cosines(vectors["ours"], fp32)
        agreement["packaged_vs_peer_fp32"] = cosines(vectors["packaged"], fp32)
    else:
        out["peer"] = {"skipped": peer_note}
    out["cosine"] = agreement
    return out


def bench_ingest(data: bytes, name: str, services: Any, *, repeat: int, chroma_dir: Path) -> dict[str, Any]:
    emb = services.embedder
    chunks = [
        c
        for p in parse_catalog(data, name).products
        for c in chunk_product(p, source=name, count=emb.count_tokens, max_tokens=emb.max_tokens)
    ]
    texts = sorted((c.embed_text for c in chunks), key=len)
    distinct = sorted(set(texts), key=len)
    system_runs: list[float] = []
    own_embed_runs: list[float] = []  # each system run's own embedding stage
    raw_runs: list[float] = []
    distinct_runs: list[float] = []
    baseline_runs: list[float] = []
    store_runs: list[float] = []
    chroma_runs: list[float] = []
    chroma = ChromaStore(path=chroma_dir)

    def import_for(email: str) -> Any:
        """The product's path for a new seller: parse, then `ingest_catalog`."""
        with transaction(services.sessions) as s:
            uid = create_user(s, email=email, password="benchmark-only").id
        t = time.perf_counter()
        got = ingest_catalog(
            parse_catalog(data, name),
            user_id=uid,
            persona_id=None,
            sessions=services.sessions,
            embedder=emb,
            store=services.vectors,
        )
        return got, time.perf_counter() - t

    # One untimed import first: the first import in a process also pays for first-touching its
    # memory (the raw run right after it never does), which is start-up, not ingestion.
    import_for("warmup@localhost")
    for run in range(repeat):
        report, seconds = import_for(f"bench{run}@localhost")
        system_runs.append(seconds)
        own_embed_runs.append(report.timings["embed"])

        for target, runs in ((texts, raw_runs), (distinct, distinct_runs)):
            t = time.perf_counter()
            got = []
            for i in range(0, len(target), EMBED_BATCH):
                got.extend(emb.embed(target[i : i + EMBED_BATCH]))
            runs.append(time.perf_counter() - t)
            if target is texts:
                every = got  # one vector per chunk, as the system writes them

        # The vector store's own cost: the same number of vectors, with the metadata the system
        # writes, upserted alone into a new collection (what no change in our code can remove).
        records = [
            VectorRecord(
                id=f"s{i}",
                vector=v,
                document="",
                metadata={"persona_id": ""},
            )
            for i, v in enumerate(every)
        ]
        t = time.perf_counter()
        services.vectors.upsert(f"store_alone_{run}", records)
        store_runs.append(time.perf_counter() - t)
        t = time.perf_counter()
        chroma.upsert(f"store_alone_{run}", records)
        chroma_runs.append(time.perf_counter() - t)

        t = time.perf_counter()
        base_catalog = parse_catalog(data, name)
        windows = [
            piece
            for rec in base_catalog.products
            for piece in recursive_split("\n".join([rec.name, *(f.text for f in rec.fields)]), size=700)
        ]
        vectors = emb.embed(windows)
        chroma.upsert(
            f"baseline_windows_{run}",
            [
                VectorRecord(id=f"w{i}", vector=v, document=w, metadata={})
                for i, (w, v) in enumerate(zip(windows, vectors, strict=True))
            ],
        )
        baseline_runs.append(time.perf_counter() - t)

    products = report.products
    system_s, raw_s, baseline_s = median(system_runs), median(raw_runs), median(baseline_runs)
    return {
        "products": products,
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
        "raw_embedding_distinct_runs_s": [round(x, 2) for x in distinct_runs],
        "system_over_raw_embedding": round(system_s / raw_s, 3),
        "system_over_raw_distinct": round(system_s / median(distinct_runs), 3),
        # each round's system run over the raw run right after it: a machine whose speed drifts
        # between rounds (a shared host) moves both runs of a round alike
        "system_over_raw_distinct_paired": round(
            median([a / b for a, b in zip(system_runs, distinct_runs, strict=True)]), 3
        ),
        # each run's whole time over the embedding inside that same run: the host's speed moves
        # both alike, so this is the steadiest view of what ingestion adds around the model (it
        # cannot see the embedding itself running slower inside the system: the two above can)
        "system_over_own_embedding": round(
            median([a / b for a, b in zip(system_runs, own_embed_runs, strict=True)]), 3
        ),
        "own_embedding_runs_s": [round(x, 2) for x in own_embed_runs],
        "vector_store_alone_s": round(median(store_runs), 2),
        "vector_store_alone_runs_s": [round(x, 2) for x in store_runs],
        "embedded_chroma_alone_s": round(median(chroma_runs), 2),
        # what is left once the store's own upsert is taken out: parsing, chunking, rows, centroids
        "system_minus_store_over_raw_distinct": round(
            (system_s - median(store_runs)) / median(distinct_runs), 3
        ),
        "baseline": {
            "wall_s": round(baseline_s, 2),
            "runs_s": [round(x, 2) for x in baseline_runs],
            "chunks": len(windows),
            "chunks_per_s": round(len(windows) / baseline_s, 1),
            "products_per_s": round(products / baseline_s, 2),
        },
        "throughput_vs_baseline": round(baseline_s / system_s, 2),
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--catalog", type=Path, default=DEFAULT)
    ap.add_argument("--vector-store", default=Settings.model_fields["vector_store"].default)
    ap.add_argument("--repeat", type=int, default=3, help="runs of each, interleaved; medians reported")
    ap.add_argument(
        "--texts", type=int, default=3000, help="distinct chunk texts for the embedder comparison"
    )
    ap.add_argument("--peer-python", type=Path, default=PEER_PYTHON, help="python of the torch venv")
    ap.add_argument("--only", choices=("embedders", "ingest"), help="run one part")
    args = ap.parse_args()
    data = args.catalog.read_bytes()
    result: dict[str, Any] = {"catalog": args.catalog.name, "vector_store": args.vector_store}
    with tempfile.TemporaryDirectory() as tmp:
        services = build_services(
            Settings(_env_file=None, data_dir=Path(tmp), vector_store=args.vector_store, log_level="WARNING")
        )
        migrate.upgrade(services.engine)
        emb = services.embedder
        emb.embed(["warm up the model"])  # model load (and the first-use graph build) is not ingestion
        services.vectors.count("warmup")
        result["embedder"] = emb.name
        if args.only != "ingest":
            chunk_texts = [
                c.embed_text
                for p in parse_catalog(data, args.catalog.name).products
                for c in chunk_product(
                    p, source=args.catalog.name, count=emb.count_tokens, max_tokens=emb.max_tokens
                )
            ]
            result["embedders"] = bench_embedders(
                sample_texts(chunk_texts, args.texts),
                ours=emb,
                repeat=args.repeat,
                peer_python=args.peer_python,
                tmp=Path(tmp),
            )
        if args.only != "embedders":
            result.update(
                bench_ingest(
                    data, args.catalog.name, services, repeat=args.repeat, chroma_dir=Path(tmp) / "chroma-ref"
                )
            )
        services.close()
    result["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    json.dump(result, sys.stdout, indent=2)
    print()


if __name__ == "__main__":
    main()
