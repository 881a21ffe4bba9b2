"""`/api/health`, request ids, structured logs, rate limits and the SSE progress stream."""

from __future__ import annotations

import io
import json
import time
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from echome.logs import configure_logging
from echome.providers.speaker_ge2e import find_weights

from ..conftest import make_settings


def test_health_reports_every_component(client: Any, backend: str) -> None:
    r = client.get("/api/health")
    assert r.status_code == 200
    body = r.json()
    assert body["status"] == "ok"
    assert set(body["components"]) >= {"database", "queue", "storage", "secrets", "rate_limits"}
    assert all(c["status"] == "ok" for c in body["components"].values())
    assert body["components"]["database"]["backend"] == backend
    # which speaker embedder "local:auto" chose: the neural one wherever the install command ran
    assert body["components"]["speakers"]["model"] == ("ge2e-numpy" if find_weights() else "mfcc-stats")


def test_health_is_503_when_a_component_is_down(tmp_path: Path) -> None:
    from echome.app.main import create_app
    from echome.bootstrap import build_services

    settings = make_settings(tmp_path, database_url="postgresql+psycopg://postgres@127.0.0.1:1/none")
    services = build_services(settings)
    with TestClient(create_app(services)) as c:
        r = c.get("/api/health")
    services.close()
    assert r.status_code == 503
    comps = r.json()["components"]
    assert comps["database"]["status"] == "error" and comps["storage"]["status"] == "ok"


def test_health_includes_registered_probes(services: Any, client: Any) -> None:
    def broken() -> None:
        raise RuntimeError("vector store unreachable")

    services.health_probes["vectors"] = broken
    r = client.get("/api/health")
    assert r.status_code == 503
    assert r.json()["components"]["vectors"]["error"] == "RuntimeError: vector store unreachable"


def test_request_id_is_echoed_and_logged_as_json(client: Any) -> None:
    stream = io.StringIO()
    configure_logging(level="INFO", fmt="json", stream=stream)
    try:
        r = client.get("/api/auth/me", headers={"X-Request-ID": "abc-123"})
        generated = client.get("/api/health").headers["x-request-id"]
        weird = client.get("/api/health", headers={"X-Request-ID": "bad id\nwith newline"})
    finally:
        configure_logging(level="WARNING", fmt="text")
    assert r.headers["x-request-id"] == "abc-123"
    assert len(generated) == 32 and weird.headers["x-request-id"] != "bad id\nwith newline"
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    access = [e for e in lines if e["logger"] == "echome.access"]
    me = next(e for e in access if e.get("path") == "/api/auth/me")
    assert me["request_id"] == "abc-123" and me["status"] == 401 and me["method"] == "GET"
    assert {"ts", "level", "msg", "duration_ms"} <= set(me)


@pytest.fixture
def limited(tmp_path: Path, database_url: str | None, request: pytest.FixtureRequest) -> Any:
    from echome.app.main import create_app
    from echome.bootstrap import build_services

    def _make(redis: bool, **kw: Any) -> tuple[TestClient, Any]:
        url = request.getfixturevalue("redis_url") if redis else None
        services = build_services(make_settings(tmp_path, database_url=database_url, redis_url=url, **kw))
        made.append(services)
        return TestClient(create_app(services), base_url="http://testserver"), services

    made: list[Any] = []
    yield _make
    for s in made:
        s.close()


@pytest.mark.parametrize("redis", [False, True], ids=["memory", "redis"])
def test_rate_limit_per_user(limited: Any, redis: bool) -> None:
    client, services = limited(redis, rate_limit_user_per_minute=5, rate_limit_ip_per_minute=1000)
    assert services.ratelimiter.name == ("redis" if redis else "memory")
    me = client.post("/api/auth/signup", json={"email": "rl@example.com", "password": "correct horse"})
    csrf = {"X-CSRF-Token": me.headers["x-csrf-token"]}  # a cookie-authenticated write
    token = client.post("/api/auth/tokens", json={}, headers=csrf).json()["token"]
    headers = {"Authorization": f"Bearer {token}"}
    codes = [client.get("/api/jobs", headers=headers).status_code for _ in range(6)]
    assert codes.count(429) >= 1 and codes[0] == 200
    r = client.get("/api/jobs", headers=headers)
    assert r.status_code == 429 and int(r.headers["retry-after"]) >= 1
    assert r.json()["error"] == "rate_limited"


@pytest.mark.parametrize("redis", [False, True], ids=["memory", "redis"])
def test_rate_limit_per_ip(limited: Any, redis: bool) -> None:
    client, _ = limited(redis, rate_limit_ip_per_minute=3)
    if time.time() % 60 > 50:  # fixed one-minute windows: do not let the 5 requests straddle two
        time.sleep(60.5 - time.time() % 60)
    codes = [
        client.post("/api/auth/login", json={"email": "x@example.com", "password": "x"}).status_code
        for _ in range(5)
    ]
    assert codes[:3] == [401, 401, 401] and codes[3:] == [429, 429]
    assert client.get("/api/health").status_code == 200  # health checks are never limited


def test_job_events_stream_progress_until_the_end(client: Any, services: Any, make_seller: Any) -> None:
    headers, user = make_seller()
    job_id = services.submit_job(user_id=user["id"], kind="test.steps", payload={"steps": 5, "delay": 0.1})
    worker = services.make_worker(threads=1)
    worker.start()
    try:
        with client.stream("GET", f"/api/jobs/{job_id}/events?interval=0.1", headers=headers) as r:
            assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
            events = []
            for line in r.iter_lines():
                if line.startswith("event:"):
                    kind = line.split(":", 1)[1].strip()
                elif line.startswith("data:"):
                    events.append((kind, json.loads(line[5:])))
    finally:
        worker.stop(graceful=True, timeout=5)
    assert events[-1][0] == "end" and events[-1][1]["status"] == "completed"
    assert all(k == "progress" for k, _ in events[:-1])
    progress = [e["progress"] for _, e in events]
    assert progress == sorted(progress) and len(set(progress)) >= 3
