"""OpenAI embeddings (`POST {base_url}/embeddings`), e.g. text-embedding-3-small."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import httpx
import numpy as np

from echome.providers.base import ProviderError

_DIMS = {"text-embedding-3-small": 1536, "text-embedding-3-large": 3072, "text-embedding-ada-002": 1536}


class OpenAIEmbedder:
    def __init__(
        self,
        *,
        api_key: str,
        model: str = "text-embedding-3-small",
        base_url: str = "https://api.openai.com/v1",
        batch_size: int = 256,
        max_tokens: int = 512,
        timeout: float = 60.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.name = f"openai:{model}"
        self.model = model
        self.dim = _DIMS.get(model, 1536)
        # The model accepts 8191 tokens; 512 keeps chunks focused (see knowledge/chunk.py).
        self.max_tokens = max_tokens
        self.batch_size = batch_size
        self._client = httpx.Client(
            base_url=base_url.rstrip("/"),
            headers={"Authorization": f"Bearer {api_key}"},
            timeout=timeout,
            transport=transport,
        )

    def count_tokens(self, text: str) -> int:
        # tiktoken fetches its vocabulary at run time (fails offline); ~4 characters a token is
        # OpenAI's own rule of thumb and errs on the long side for English.
        return max(1, (len(text) + 3) // 4)

    def embed(self, texts: Sequence[str], *, kind: Literal["document", "query"] = "document") -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for start in range(0, len(texts), self.batch_size):
            batch = [t or " " for t in texts[start : start + self.batch_size]]
            try:
                r = self._client.post("/embeddings", json={"model": self.model, "input": batch})
            except httpx.HTTPError as exc:
                raise ProviderError(
                    f"OpenAI embeddings unreachable: {type(exc).__name__}", transient=True
                ) from None
            if r.status_code != 200:
                transient = r.status_code == 429 or r.status_code >= 500
                raise ProviderError(f"OpenAI embeddings failed: HTTP {r.status_code}", transient=transient)
            vecs = _vectors(r, expected=len(batch), dim=self.dim)
            vecs /= np.clip(np.linalg.norm(vecs, axis=1, keepdims=True), 1e-12, None)
            out[start : start + len(batch)] = vecs
        return out


def _vectors(r: httpx.Response, *, expected: int, dim: int) -> np.ndarray:
    """The batch's vectors in input order; a 200 that is not the documented shape (a proxy's page,
    a truncated body, a missing or repeated index, a wrong dimension) is a provider error."""
    try:
        data = r.json()["data"]
        by_index = {int(d["index"]): d["embedding"] for d in data}
        vecs = np.array([by_index[i] for i in range(expected)], dtype=np.float32)
    except (ValueError, KeyError, TypeError, IndexError):
        raise ProviderError("OpenAI embeddings returned a malformed response", transient=True) from None
    if len(data) != expected or vecs.shape != (expected, dim) or not np.isfinite(vecs).all():
        raise ProviderError("OpenAI embeddings returned a malformed response", transient=True)
    return vecs
