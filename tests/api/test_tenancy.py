"""A seller can never read, change or list another seller's rows, through any route family."""

from __future__ import annotations

from typing import Any

import pytest

from echome.db.session import transaction
from echome.jobs import store


@pytest.fixture
def two_sellers(make_seller: Any) -> tuple[dict[str, str], dict[str, Any], dict[str, str], dict[str, Any]]:
    a_headers, a = make_seller("alice@example.com")
    b_headers, b = make_seller("bob@example.com")
    return a_headers, a, b_headers, b


def test_personas(client: Any, two_sellers: Any) -> None:
    a_h, _, b_h, _ = two_sellers
    pid = client.post("/api/personas", json={"name": "Alice"}, headers=a_h).json()["id"]
    assert client.get("/api/personas", headers=b_h).json() == []
    assert client.get(f"/api/personas/{pid}", headers=b_h).status_code == 404
    assert client.patch(f"/api/personas/{pid}", json={"name": "Bob"}, headers=b_h).status_code == 404
    assert client.delete(f"/api/personas/{pid}", headers=b_h).status_code == 404
    mine = client.get(f"/api/personas/{pid}", headers=a_h)
    assert mine.status_code == 200 and mine.json()["name"] == "Alice"


def test_jobs(client: Any, services: Any, two_sellers: Any) -> None:
    a_h, a, b_h, _ = two_sellers
    job_id = services.submit_job(user_id=a["id"], kind="test.steps")
    assert client.get("/api/jobs", headers=b_h).json() == []
    assert client.get(f"/api/jobs/{job_id}", headers=b_h).status_code == 404
    assert client.get(f"/api/jobs/{job_id}/events", headers=b_h).status_code == 404
    assert client.post(f"/api/jobs/{job_id}/cancel", headers=b_h).status_code == 404
    own = client.get(f"/api/jobs/{job_id}", headers=a_h).json()
    assert own["status"] == "pending" and own["cancel_requested"] is False
    assert [j["id"] for j in client.get("/api/jobs", headers=a_h).json()] == [job_id]


def test_keys(client: Any, two_sellers: Any) -> None:
    a_h, _, b_h, _ = two_sellers
    pid = client.post("/api/personas", json={"name": "Alice"}, headers=a_h).json()["id"]
    assert (
        client.put("/api/keys/openai", json={"value": "sk-alice-0000000000001234"}, headers=a_h).status_code
        == 200
    )
    assert client.get("/api/keys", headers=b_h).json() == []
    assert client.delete("/api/keys/openai", headers=b_h).status_code == 404
    # Bob cannot attach a key to Alice's persona, nor delete one there.
    r = client.put(
        "/api/keys/telegram_bot_token", json={"value": "123456:" + "x" * 35, "persona_id": pid}, headers=b_h
    )
    assert r.status_code == 404
    assert client.delete(f"/api/keys/openai?persona_id={pid}", headers=b_h).status_code == 404
    assert [k["provider"] for k in client.get("/api/keys", headers=a_h).json()] == ["openai"]


def test_tokens(client: Any, two_sellers: Any) -> None:
    a_h, _, b_h, _ = two_sellers
    a_tokens = client.get("/api/auth/tokens", headers=a_h).json()
    assert all(
        t["id"] not in {x["id"] for x in client.get("/api/auth/tokens", headers=b_h).json()} for t in a_tokens
    )
    assert client.delete(f"/api/auth/tokens/{a_tokens[0]['id']}", headers=b_h).status_code == 404
    assert client.get("/api/auth/me", headers=a_h).status_code == 200


def test_store_functions_scope_by_owner(services: Any, two_sellers: Any) -> None:
    _, a, _, b = two_sellers
    job_id = services.submit_job(user_id=a["id"], kind="test.steps")
    with transaction(services.sessions) as s:
        with pytest.raises(store.JobNotFound):
            store.get_job(s, user_id=b["id"], job_id=job_id)
        with pytest.raises(store.JobNotFound):
            store.request_cancel(s, user_id=b["id"], job_id=job_id)
        assert store.list_jobs(s, user_id=b["id"]) == []
