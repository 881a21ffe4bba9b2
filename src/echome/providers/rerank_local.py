"""Offline reranker: a scorer over the retrieval signals (no cross-encoder weights exist offline).

score = dense similarity + w_keyword x (BM25 / best BM25 among the candidates)
        + w_support x (best such score of any chunk of the same product)
        + w_product x (similarity of the query to the product's centroid vector)
and chunks of a product the customer named come first. The weights were measured on the ePQA
dev questions (see benchmarks/ and `echome eval retrieval`), not guessed."""

from __future__ import annotations

from collections.abc import Sequence

from echome.providers.base import Candidate

FOCUS_BONUS = 10.0


class LocalReranker:
    name = "local"

    def __init__(self, *, w_keyword: float = 0.3, w_support: float = 0.3, w_product: float = 1.0) -> None:
        self.w_keyword = w_keyword
        self.w_support = w_support
        self.w_product = w_product

    def rerank(self, query: str, candidates: Sequence[Candidate], *, top_k: int) -> list[Candidate]:
        if not candidates:
            return []
        k_hi = max((c.keyword or 0.0) for c in candidates) or 1.0
        base = {c.id: (c.dense or 0.0) + self.w_keyword * (c.keyword or 0.0) / k_hi for c in candidates}
        best: dict[str, float] = {}
        for c in candidates:
            key = str(c.metadata.get("product_id") or c.id)
            best[key] = max(best.get(key, -1e9), base[c.id])
        for c in candidates:
            key = str(c.metadata.get("product_id") or c.id)
            c.score = base[c.id] + self.w_support * best[key] + self.w_product * (c.product or 0.0)
            if c.focus:
                c.score += FOCUS_BONUS
        return sorted(candidates, key=lambda c: -c.score)[:top_k]


class NoReranker:
    name = "none"

    def rerank(self, query: str, candidates: Sequence[Candidate], *, top_k: int) -> list[Candidate]:
        for c in candidates:
            c.score = c.fused + (FOCUS_BONUS if c.focus else 0.0)
        return sorted(candidates, key=lambda c: -c.score)[:top_k]
