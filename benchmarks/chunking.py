"""Chunking of long prose: seconds per text size, the current code against the previous
(quadratic-cost) implementation in the same run. Prints JSON.

Texts are generated (seeded) in two shapes a seller uploads as .txt / .md:
  prose    sentences with full stops, paragraphs
  run-on   no sentence ends and no line breaks (pasted text, OCR output): every word is a unit
Both go through `parse_catalog` (the text reader) and then chunking with the local embedder's real
token counter (MiniLM WordPiece), as an import does. The baseline is the code this replaced,
copied below; it runs only up to `--baseline-max-mb` (10 MB of run-on text takes it minutes).
For every size both ran on, the pieces are compared: the output must be identical.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import resource
import time
from collections.abc import Callable

from echome.knowledge.chunk import chunk_product, fits, sentence_groups, split_to_budget
from echome.knowledge.parse import parse_catalog
from echome.providers.embed_onnx import OnnxMiniLMEmbedder

TokenCounter = Callable[[str], int]
_SENT = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'(])|\n+")
VOCABULARY = (
    "the cotton shirt is machine washable at forty degrees and keeps its shape after many washes "
    "our delivery takes two to four working days within the country returns are free for thirty "
    "days battery lasts about eleven hours on a single charge the strap is made of vegetable tanned "
    "leather stitched by hand in our workshop sizes run small so order one size up if unsure"
)
WORDS = VOCABULARY.split()


def baseline_split_to_budget(text: str, *, count: TokenCounter, budget: int, overlap: int) -> list[str]:
    """The previous implementation: every candidate piece re-counted from scratch."""
    if fits(text, count, budget):
        return [text]
    sentences = [s.strip() for s in _SENT.split(text) if s and s.strip()]
    units: list[str] = []
    for s in sentences:
        if count(s) <= budget:
            units.append(s)
            continue
        piece: list[str] = []
        for w in s.split():
            if piece and count(" ".join([*piece, w])) > budget:
                units.append(" ".join(piece))
                piece = []
            piece.append(w)
        if piece:
            units.append(" ".join(piece))
    pieces: list[str] = []
    current: list[str] = []
    for u in units:
        if current and count(" ".join([*current, u])) > budget:
            pieces.append(" ".join(current))
            carry: list[str] = []
            for prev in reversed(current):
                if count(" ".join([prev, *carry])) > overlap:
                    break
                carry.insert(0, prev)
            current = carry if count(" ".join([*carry, u])) <= budget else []
        current.append(u)
    if current:
        pieces.append(" ".join(current))
    return pieces


def make_text(shape: str, size: int, seed: int = 7) -> str:
    rnd = random.Random(seed)
    out: list[str] = []
    total = 0
    while total < size:
        words = [rnd.choice(WORDS) for _ in range(rnd.randint(6, 24))]
        if shape == "prose":
            part = " ".join(words).capitalize() + (".\n\n" if rnd.random() < 0.15 else ". ")
        else:
            part = " ".join(words) + " "
        out.append(part)
        total += len(part)
    return "".join(out)[:size]


def split_fields(text: str, split: Callable[..., list[str]], count: TokenCounter, budget: int) -> list[str]:
    """What chunk_product does with a document's text fields: sentence groups, then the budget."""
    pieces: list[str] = []
    for rec in parse_catalog(text.encode(), "notes.txt").products:
        for f in rec.fields:
            texts = sentence_groups(f.text, target_chars=240) if len(f.text) > 240 else [f.text]
            pieces += [p for t in texts for p in split(t, count=count, budget=budget, overlap=24)]
    return pieces


def timed(fn: Callable[[], object]) -> tuple[float, object]:
    t = time.perf_counter()
    out = fn()
    return time.perf_counter() - t, out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes-mb", default="0.25,1,10")
    ap.add_argument("--shapes", default="run-on,prose")
    ap.add_argument("--baseline-max-mb", type=float, default=1.0)
    args = ap.parse_args()
    emb = OnnxMiniLMEmbedder()
    count = emb.count_tokens
    count("warm up")
    budget = emb.max_tokens - 12  # what chunk_product leaves for a field after the product's name
    rows = []
    for shape in args.shapes.split(","):
        for mb in (float(x) for x in args.sizes_mb.split(",")):
            text = make_text(shape, int(mb * 1_000_000))
            row: dict[str, object] = {"shape": shape, "mb": mb}
            secs, pieces = timed(lambda t=text: split_fields(t, split_to_budget, count, budget))
            row["seconds"] = round(secs, 2)
            row["pieces"] = len(pieces)  # type: ignore[arg-type]
            over = [p for p in pieces if count(p) > budget]  # type: ignore[union-attr]
            row["pieces_over_budget"] = len(over)
            rec = parse_catalog(text.encode(), "notes.txt").products[0]
            secs, _ = timed(lambda r=rec: chunk_product(r, source="notes.txt", count=count, max_tokens=256))
            row["chunk_product_seconds"] = round(secs, 2)
            if mb <= args.baseline_max_mb:
                secs, old = timed(lambda t=text: split_fields(t, baseline_split_to_budget, count, budget))
                row["baseline_seconds"] = round(secs, 2)
                row["speedup"] = round(row["baseline_seconds"] / max(row["seconds"], 1e-3), 1)  # type: ignore[operator]
                row["identical_to_baseline"] = old == pieces
            rows.append(row)
            print(json.dumps(row), flush=True, file=__import__("sys").stderr)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"benchmark": "chunking", "budget": budget, "runs": rows, "peak_rss_mb": round(peak)}))


if __name__ == "__main__":
    main()
