"""Offline reranker: a scorer over the retrieval signals (no cross-encoder weights exist offline).

It combines the fused rank, the dense and keyword scores, how strongly the chunk's product is
supported by the other candidates, and the chunk's length: an answer has to reach the model in
little text, so between two equally relevant chunks the shorter one wins."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from echome.providers.base import Candidate


class LocalReranker:
    name = "local"

    def __init__(
        self,
        *,
        w_fused: float = 1.0,
        w_dense: float = 0.6,
        w_keyword: float = 0.3,
        w_product: float = 0.4,
        w_length: float = 0.15,
        ideal_chars: int = 160,
    ) -> None:
        self.w = (w_fused, w_dense, w_keyword, w_product, w_length)
        self.ideal_chars = ideal_chars

    def rerank(self, query: str, candidates: Sequence[Candidate], *, top_k: int) -> list[Candidate]:
        if not candidates:
            return []
        w_fused, w_dense, w_kw, w_prod, w_len = self.w
        top_fused = max(c.fused for c in candidates) or 1.0
        dense = [c.dense for c in candidates if c.dense is not None]
        d_lo, d_hi = (min(dense), max(dense)) if dense else (0.0, 1.0)
        kws = [c.keyword for c in candidates if c.keyword is not None]
        k_hi = max(kws) if kws else 1.0
        support: dict[str, float] = defaultdict(float)
        for c in candidates:
            support[str(c.metadata.get("product_id") or c.metadata.get("sku") or "")] += c.fused
        s_hi = max(support.values()) or 1.0
        for c in candidates:
            d = ((c.dense if c.dense is not None else d_lo) - d_lo) / ((d_hi - d_lo) or 1.0)
            k = (c.keyword or 0.0) / (k_hi or 1.0)
            p = support[str(c.metadata.get("product_id") or c.metadata.get("sku") or "")] / s_hi
            length = min(1.0, self.ideal_chars / max(len(c.text), 1))
            c.score = w_fused * c.fused / top_fused + w_dense * d + w_kw * k + w_prod * p + w_len * length
        return sorted(candidates, key=lambda c: -c.score)[:top_k]


class NoReranker:
    name = "none"

    def rerank(self, query: str, candidates: Sequence[Candidate], *, top_k: int) -> list[Candidate]:
        for c in candidates:
            c.score = c.fused
        return list(candidates)[:top_k]
