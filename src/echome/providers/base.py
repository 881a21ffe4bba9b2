"""Capabilities as Protocols. Adapters take plain constructor arguments and never read settings."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, runtime_checkable

import numpy as np


class ProviderError(RuntimeError):
    """A provider failed; `transient` says whether trying again later may help."""

    def __init__(self, message: str, *, transient: bool = False) -> None:
        super().__init__(message)
        self.transient = transient


class MissingDependency(ProviderError):
    pass


@runtime_checkable
class Embedder(Protocol):
    name: str
    dim: int
    max_tokens: int  # the model's real window; longer input is truncated

    def embed(self, texts: Sequence[str], *, kind: Literal["document", "query"] = "document") -> np.ndarray:
        """L2-normalised float32 array of shape (len(texts), dim)."""
        ...

    def count_tokens(self, text: str) -> int: ...


@dataclass
class VectorRecord:
    id: str
    vector: np.ndarray
    document: str
    metadata: dict[str, Any] = field(default_factory=dict)


@dataclass
class VectorHit:
    id: str
    score: float  # cosine similarity, higher is better
    document: str
    metadata: dict[str, Any]


@runtime_checkable
class VectorStore(Protocol):
    name: str

    def upsert(self, collection: str, records: Sequence[VectorRecord]) -> None: ...

    def query(
        self, collection: str, vector: np.ndarray, *, top_k: int, where: dict[str, str] | None = None
    ) -> list[VectorHit]: ...

    def delete(
        self, collection: str, *, ids: Sequence[str] | None = None, where: dict[str, str] | None = None
    ) -> None: ...

    def count(self, collection: str) -> int: ...

    def drop(self, collection: str) -> None: ...

    def check(self) -> None: ...


@dataclass
class Candidate:
    """A retrieved chunk on its way to the answer: scores from each retriever, then the final one."""

    id: str
    text: str
    metadata: dict[str, Any]
    dense: float | None = None
    dense_rank: int | None = None
    keyword: float | None = None
    keyword_rank: int | None = None
    product: float | None = None  # how well the chunk's whole product matches the query
    focus: bool = False  # belongs to the product the query names
    fused: float = 0.0
    score: float = 0.0


@runtime_checkable
class Reranker(Protocol):
    name: str

    def rerank(self, query: str, candidates: Sequence[Candidate], *, top_k: int) -> list[Candidate]: ...
