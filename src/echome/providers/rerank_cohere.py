"""Cohere Rerank (`POST {base_url}/v2/rerank`)."""

from __future__ import annotations

from collections.abc import Sequence

import httpx

from echome.providers.base import Candidate, ProviderError


class CohereReranker:
    def __init__(
        self,
        *,
        api_key: str,
        model: str = "rerank-v3.5",
        base_url: str = "https://api.cohere.com",
        timeout: float = 20.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.name = f"cohere:{model}"
        self.model = model
        self._client = httpx.Client(
            base_url=base_url.rstrip("/"),
            headers={"Authorization": f"Bearer {api_key}"},
            timeout=timeout,
            transport=transport,
        )

    def rerank(self, query: str, candidates: Sequence[Candidate], *, top_k: int) -> list[Candidate]:
        if not candidates:
            return []
        try:
            r = self._client.post(
                "/v2/rerank",
                json={
                    "model": self.model,
                    "query": query,
                    "documents": [c.text for c in candidates],
                    "top_n": min(top_k, len(candidates)),
                },
            )
        except httpx.HTTPError as exc:
            raise ProviderError(f"Cohere rerank unreachable: {type(exc).__name__}", transient=True) from None
        if r.status_code != 200:
            transient = r.status_code == 429 or r.status_code >= 500  # rate limited or down: retry later
            raise ProviderError(f"Cohere rerank failed: HTTP {r.status_code}", transient=transient)
        out: list[Candidate] = []
        try:
            for item in r.json()["results"]:
                index = int(item["index"])
                score = float(item["relevance_score"])
                if not 0 <= index < len(candidates) or any(c is candidates[index] for c in out):
                    raise ValueError(index)
                out.append(candidates[index])
                out[-1].score = score
        except (ValueError, KeyError, TypeError):
            raise ProviderError("Cohere rerank returned a malformed response", transient=True) from None
        return out
