"""Bad input gets a clear 4xx JSON error and changes nothing already stored."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from ..conftest import make_settings


def snapshot(client: Any, headers: dict[str, str]) -> Any:
    return (
        client.get("/api/personas", headers=headers).json(),
        client.get("/api/keys", headers=headers).json(),
        client.get("/api/jobs", headers=headers).json(),
    )


@pytest.fixture
def seller(client: Any, make_seller: Any) -> dict[str, str]:
    headers, _ = make_seller()
    client.post("/api/personas", json={"name": "Original"}, headers=headers)
    client.put("/api/keys/openai", json={"value": "sk-original-key-000000001111"}, headers=headers)
    return headers


def test_malformed_json(client: Any, seller: dict[str, str]) -> None:
    before = snapshot(client, seller)
    pid = before[0][0]["id"]
    for body in (b"{not json", b"", b"[1,2", b'{"name": "x"'):
        r = client.patch(
            f"/api/personas/{pid}", content=body, headers={**seller, "Content-Type": "application/json"}
        )
        assert r.status_code in (400, 422), body
        assert set(r.json()) >= {"error", "detail"}
    r = client.post("/api/personas", content=b"{oops", headers={**seller, "Content-Type": "application/json"})
    assert r.status_code == 400 and r.json() == {
        "error": "invalid_json",
        "detail": "request body is not valid JSON",
    }
    assert snapshot(client, seller) == before


def test_wrong_types(client: Any, seller: dict[str, str]) -> None:
    before = snapshot(client, seller)
    pid = before[0][0]["id"]
    cases = [
        ("post", "/api/personas", {"name": 42}),
        ("post", "/api/personas", {"name": ""}),
        ("post", "/api/personas", ["name"]),
        ("patch", f"/api/personas/{pid}", {"name": {"a": 1}}),
        ("put", "/api/keys/openai", {"value": 123}),
        ("put", "/api/keys/openai", {}),
        ("post", "/api/auth/tokens", {"ttl_days": "forever"}),
    ]
    for method, url, body in cases:
        r = getattr(client, method)(url, json=body, headers=seller)
        assert r.status_code == 422, (url, body, r.text)
        data = r.json()
        assert data["error"] == "invalid_request" and data["detail"] and data["fields"]
    assert client.get("/api/jobs?limit=0", headers=seller).status_code == 422
    assert client.get("/api/jobs?status=exploded", headers=seller).status_code == 422
    assert snapshot(client, seller) == before


def test_unknown_ids_and_routes(client: Any, seller: dict[str, str]) -> None:
    for url in ("/api/personas/nope", "/api/jobs/nope", "/api/jobs/nope/events"):
        r = client.get(url, headers=seller)
        assert r.status_code == 404 and r.json()["error"] == "not_found", url
    assert client.delete("/api/keys/anthropic", headers=seller).status_code == 404
    r = client.get("/api/does-not-exist", headers=seller)
    assert r.status_code == 404 and r.json() == {"error": "not_found", "detail": "no such endpoint"}
    r = client.delete("/api/jobs", headers=seller)
    assert r.status_code == 405 and r.json()["error"] == "method_not_allowed"


def test_unknown_provider_and_bad_key_values(client: Any, seller: dict[str, str]) -> None:
    before = snapshot(client, seller)
    r = client.put("/api/keys/myspace", json={"value": "secret-value-1234567"}, headers=seller)
    assert r.status_code == 422 and "unknown provider" in r.json()["detail"]
    for value in ("   ", "a\nb\x00c" * 3, "x" * 5000):
        assert client.put("/api/keys/openai", json={"value": value}, headers=seller).status_code == 422
    assert snapshot(client, seller) == before


@pytest.fixture
def small_client(tmp_path: Path, database_url: str | None) -> Any:
    from echome.app.main import create_app
    from echome.bootstrap import build_services

    services = build_services(make_settings(tmp_path, database_url=database_url, max_body_bytes=1000))
    with TestClient(create_app(services), base_url="http://testserver") as c:
        yield c
    services.close()


def test_oversized_bodies_get_413(small_client: Any) -> None:
    r = small_client.post("/api/auth/signup", json={"email": "big@example.com", "password": "p" * 2000})
    assert r.status_code == 413 and r.json()["error"] == "payload_too_large"

    def chunks() -> Any:  # no Content-Length: streamed, counted as it arrives
        for _ in range(20):
            yield b" " * 100

    r = small_client.post("/api/auth/login", content=chunks(), headers={"Content-Type": "application/json"})
    assert r.status_code == 413
    assert (
        small_client.post("/api/auth/login", json={"email": "big@example.com", "password": "x"}).status_code
        == 401
    )


def test_a_streamed_body_over_the_limit_is_refused_by_the_middleware_itself() -> None:
    """A route that reads the stream itself (no FastAPI body parsing to turn the error into a
    response): the middleware answers 413 instead of crashing."""
    from starlette.requests import Request
    from starlette.responses import PlainTextResponse

    from echome.app.middleware import BodyLimitMiddleware

    async def reads_everything(scope: Any, receive: Any, send: Any) -> None:
        size = 0
        async for chunk in Request(scope, receive).stream():
            size += len(chunk)
        await PlainTextResponse(str(size))(scope, receive, send)

    def chunks() -> Any:
        for _ in range(20):
            yield b" " * 100

    c = TestClient(BodyLimitMiddleware(reads_everything, max_bytes=1000))  # no lifespan
    r = c.post("/upload", content=chunks())
    assert r.status_code == 413 and r.json()["error"] == "payload_too_large"
    assert c.post("/upload", content=b"x" * 999).text == "999"
