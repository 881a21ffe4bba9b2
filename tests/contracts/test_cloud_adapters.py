"""OpenAI embeddings and Cohere rerank adapters against fakes of their wire APIs."""

from __future__ import annotations

import json
from typing import Any

import httpx
import numpy as np
import pytest

from echome.providers.base import Candidate, Embedder, ProviderError
from echome.providers.embed_openai import OpenAIEmbedder
from echome.providers.rerank_cohere import CohereReranker


class FakeOpenAI:
    """`POST /v1/embeddings` as OpenAI answers it; records every request."""

    def __init__(self, *, fail_with: int | None = None) -> None:
        self.requests: list[httpx.Request] = []
        self.fail_with = fail_with

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if self.fail_with:
            return httpx.Response(self.fail_with, json={"error": {"message": "nope", "type": "server_error"}})
        body = json.loads(request.content)
        data = []
        for i, text in enumerate(body["input"]):
            v = np.zeros(1536, dtype=np.float32)
            v[len(text) % 1536] = 3.0
            data.append({"object": "embedding", "index": i, "embedding": v.tolist()})
        data.reverse()  # the API may answer out of order; `index` says where each belongs
        return httpx.Response(
            200,
            json={
                "object": "list",
                "data": data,
                "model": body["model"],
                "usage": {"prompt_tokens": 1, "total_tokens": 1},
            },
        )


def test_openai_embedder_request_shape_batching_and_order() -> None:
    fake = FakeOpenAI()
    emb = OpenAIEmbedder(api_key="sk-test-123", batch_size=2, transport=httpx.MockTransport(fake))
    assert isinstance(emb, Embedder)
    out = emb.embed(["a", "bbb", "cc"])
    assert out.shape == (3, 1536)
    assert [int(np.argmax(row)) for row in out] == [1, 3, 2]
    assert np.allclose(np.linalg.norm(out, axis=1), 1.0)
    assert len(fake.requests) == 2
    req = fake.requests[0]
    assert req.method == "POST" and req.url.path == "/v1/embeddings"
    assert req.headers["authorization"] == "Bearer sk-test-123"
    assert json.loads(req.content) == {"model": "text-embedding-3-small", "input": ["a", "bbb"]}


@pytest.mark.parametrize("status,transient", [(429, True), (500, True), (401, False)])
def test_openai_errors_say_whether_to_retry(status: int, transient: bool) -> None:
    emb = OpenAIEmbedder(api_key="sk-test-123", transport=httpx.MockTransport(FakeOpenAI(fail_with=status)))
    with pytest.raises(ProviderError) as err:
        emb.embed(["x"])
    assert err.value.transient is transient and "sk-test-123" not in str(err.value)


def test_cohere_rerank_request_and_order() -> None:
    seen: list[dict[str, Any]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        seen.append({"path": request.url.path, "auth": request.headers["authorization"], **body})
        ranked = sorted(range(len(body["documents"])), key=lambda i: -len(body["documents"][i]))
        results = [
            {"index": i, "relevance_score": 1.0 / (r + 1)} for r, i in enumerate(ranked[: body["top_n"]])
        ]
        return httpx.Response(200, json={"id": "x", "results": results, "meta": {}})

    rr = CohereReranker(api_key="co-key", transport=httpx.MockTransport(handler))
    cands = [Candidate(id=str(i), text="x" * n, metadata={}) for i, n in enumerate([3, 10, 1])]
    out = rr.rerank("which one?", cands, top_k=2)
    assert [c.id for c in out] == ["1", "0"] and out[0].score == 1.0
    assert seen == [
        {
            "path": "/v2/rerank",
            "auth": "Bearer co-key",
            "model": "rerank-v3.5",
            "query": "which one?",
            "documents": ["xxx", "x" * 10, "x"],
            "top_n": 2,
        }
    ]


@pytest.mark.parametrize(
    "body",
    [
        b"<html>proxy error</html>",
        json.dumps({"object": "list"}).encode(),
        json.dumps({"data": [{"index": 0}]}).encode(),
        json.dumps({"data": [{"index": 5, "embedding": [0.1] * 1536}]}).encode(),
        json.dumps({"data": [{"index": 0, "embedding": [0.1] * 3}]}).encode(),
        json.dumps(
            {"data": [{"index": 0, "embedding": [0.1] * 1536}, {"index": 0, "embedding": [0.1] * 1536}]}
        ).encode(),
    ],
    ids=["html", "no-data", "no-embedding", "wrong-index", "wrong-dimension", "repeated-index"],
)
def test_a_malformed_embeddings_answer_is_a_provider_error(body: bytes) -> None:
    emb = OpenAIEmbedder(
        api_key="sk-test-123", transport=httpx.MockTransport(lambda _r: httpx.Response(200, content=body))
    )
    with pytest.raises(ProviderError, match="malformed") as err:
        emb.embed(["x"])
    assert err.value.transient is True


@pytest.mark.parametrize("status,transient", [(429, True), (503, True), (400, False), (401, False)])
def test_cohere_errors_say_whether_to_retry(status: int, transient: bool) -> None:
    rr = CohereReranker(
        api_key="co-key",
        transport=httpx.MockTransport(lambda _r: httpx.Response(status, json={"message": "no"})),
    )
    with pytest.raises(ProviderError) as err:
        rr.rerank("q", [Candidate(id="a", text="a", metadata={})], top_k=1)
    assert err.value.transient is transient and "co-key" not in str(err.value)


@pytest.mark.parametrize(
    "results",
    [None, [{"index": 7, "relevance_score": 0.5}], [{"index": 0}], [{"index": 0, "relevance_score": 1}] * 2],
    ids=["no-results", "index-out-of-range", "no-score", "repeated-index"],
)
def test_a_malformed_rerank_answer_is_a_provider_error(results: Any) -> None:
    rr = CohereReranker(
        api_key="co-key",
        transport=httpx.MockTransport(lambda _r: httpx.Response(200, json={"results": results})),
    )
    with pytest.raises(ProviderError, match="malformed"):
        rr.rerank("q", [Candidate(id="a", text="a", metadata={})], top_k=1)
