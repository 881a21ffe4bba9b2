"""The common LangChain recipe, as the yardstick every figure is reported against:
each product's text split by a recursive character splitter into ~700-character windows,
embedded, dense top-k only (no keywords, no rerank)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from echome.knowledge.records import ParsedCatalog
from echome.providers.base import Embedder

SEPARATORS = ("\n\n", "\n", " ", "")


def recursive_split(
    text: str, *, size: int = 700, overlap: int = 100, seps: Sequence[str] = SEPARATORS
) -> list[str]:
    """Split on the coarsest separator that yields pieces under `size`, merging neighbours up to
    `size` with `overlap` characters carried over (LangChain's RecursiveCharacterTextSplitter)."""
    if len(text) <= size:
        return [text] if text.strip() else []
    sep = next((s for s in seps if s and s in text), "")
    parts = text.split(sep) if sep else list(text)
    rest = seps[seps.index(sep) + 1 :] if sep in seps else ("",)
    pieces: list[str] = []
    for p in parts:
        if len(p) > size:
            pieces.extend(recursive_split(p, size=size, overlap=overlap, seps=rest))
        elif p:
            pieces.append(p)
    out: list[str] = []
    current: list[str] = []
    length = 0
    for p in pieces:
        extra = len(p) + (len(sep) if current else 0)
        if current and length + extra > size:
            out.append(sep.join(current))
            while current and (length > overlap or length + extra > size):
                length -= len(current[0]) + (len(sep) if len(current) > 1 else 0)
                current.pop(0)
        current.append(p)
        length = len(sep.join(current))
    if current:
        out.append(sep.join(current))
    return [o for o in out if o.strip()]


class BaselineIndex:
    def __init__(self, catalog: ParsedCatalog, embedder: Embedder, *, size: int = 700) -> None:
        self.texts: list[str] = []
        skus: list[str] = []
        for rec in catalog.products:
            body = "\n".join([rec.name, *(f.text for f in rec.fields)])
            for piece in recursive_split(body, size=size):
                self.texts.append(piece)
                skus.append(rec.sku or "")
        self.skus = np.array(skus, dtype=object)
        self.embedder = embedder
        self.vectors = embedder.embed(self.texts) if self.texts else np.zeros((0, embedder.dim), np.float32)

    def search(self, query: str, sku: str | None = None, k: int = 10) -> list[str]:
        q = self.embedder.embed([query], kind="query")[0]
        scores = self.vectors @ q
        if sku is not None:
            scores = np.where(self.skus == sku, scores, -np.inf)
        order = np.argsort(-scores)[:k]
        return [self.texts[i] for i in order if np.isfinite(scores[i])]
