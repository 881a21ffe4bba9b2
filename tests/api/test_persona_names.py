"""A persona's name works wherever its id does (API and CLI), never across sellers."""

from __future__ import annotations

from typing import Any


def test_names_work_wherever_ids_do(client: Any, make_seller: Any) -> None:
    headers, _user = make_seller()
    other_headers, _other = make_seller()
    pid = client.post("/api/personas", json={"name": "Ana Lima"}, headers=headers).json()["id"]

    assert client.get("/api/personas/Ana Lima", headers=headers).json()["id"] == pid
    assert client.get("/api/personas/Ana%20Lima/media", headers=headers).json() == []
    assert client.get("/api/personas/Ana Lima/profile", headers=headers).status_code == 200
    r = client.put(
        "/api/keys/telegram_bot_token",
        json={"value": "123456:" + "x" * 35, "persona_id": "Ana Lima"},
        headers=headers,
    )
    assert r.status_code == 200 and r.json()["persona_id"] == pid  # stored under the id
    chat = client.post("/api/chat", json={"persona_id": "Ana Lima", "message": "hello"}, headers=headers)
    assert chat.status_code == 200, chat.text
    assert client.get("/api/clients?persona_id=Ana Lima", headers=headers).json()[0]["persona_id"] == pid

    # Another seller's persona is not found by its name either.
    assert client.get("/api/personas/Ana Lima", headers=other_headers).status_code == 404
    assert (
        client.post("/api/chat", json={"persona_id": "Ana Lima", "message": "hi"}, headers=other_headers)
    ).status_code == 404

    # Two personas of one seller with the same name: the name is ambiguous, the ids still work.
    twin = client.post("/api/personas", json={"name": "Ana Lima"}, headers=headers).json()["id"]
    r = client.get("/api/personas/Ana Lima", headers=headers)
    assert r.status_code == 409 and "use the id" in r.json()["detail"]
    assert client.get(f"/api/personas/{twin}", headers=headers).json()["id"] == twin

    assert client.delete(f"/api/personas/{twin}", headers=headers).status_code == 204
    assert client.delete("/api/personas/Ana Lima", headers=headers).status_code == 204
    assert client.get("/api/keys", headers=headers).json() == []  # its scoped key went with it
