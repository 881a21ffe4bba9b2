"""Edges of the seller handoff at the HTTP surface: `POST /api/chat` without a `client_id` is a
conversation of its own (a handed-off one never holds later calls); the hosted chat page can be
framed by the persona's allowed sites (no X-Frame-Options: DENY beside its frame-ancestors) while
every other response keeps DENY; the claimed-conversation timeout is a setting of the handoff API.

Real app, routes and database (SQLite and PostgreSQL); the fake embedder."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from ..conftest import make_settings

CATALOG = b"""name,sku,price,stock,description
Harbor Linen Shirt,HL-100,48.00,12,Breathable linen shirt with mother-of-pearl buttons.
Fjord Wool Beanie,FW-220,22.00,40,Soft merino wool beanie that keeps its shape.
"""
SHOP = "https://shop.example.com"


@dataclass
class Api:
    c: TestClient
    services: Any
    h: dict[str, str]  # the seller's token
    pid: str

    def chat(self, message: str, **body: Any) -> dict[str, Any]:
        r = self.c.post(
            "/api/chat", json={"persona_id": self.pid, "message": message, **body}, headers=self.h
        )
        assert r.status_code == 200, r.text
        return r.json()  # type: ignore[no-any-return]


@pytest.fixture
def api(tmp_path: Path, database_url: str | None) -> Iterator[Api]:
    from echome.app.main import create_app
    from echome.bootstrap import build_services

    services = build_services(
        make_settings(tmp_path, database_url=database_url, vector_store="memory", embedder="fake")
    )
    try:
        with TestClient(create_app(services), base_url="http://testserver") as c:
            me = c.post(
                "/api/auth/signup",
                json={"email": f"s-{uuid.uuid4().hex[:8]}@example.com", "password": "correct horse"},
            )
            csrf = {"X-CSRF-Token": me.headers["x-csrf-token"]}
            token = c.post("/api/auth/tokens", json={"name": "t"}, headers=csrf).json()["token"]
            c.cookies.clear()
            h = {"Authorization": f"Bearer {token}"}
            pid = c.post("/api/personas", json={"name": "Ana"}, headers=h).json()["id"]
            up = c.post(
                "/api/products/upload",
                files={"file": ("shop.csv", CATALOG)},
                data={"persona_id": pid},
                headers=h,
            )
            services.executor.execute(up.json()["job_id"])
            yield Api(c, services, h, pid)
    finally:
        services.close()


def test_api_chat_without_a_client_id_is_never_locked_into_a_handed_off_conversation(api: Api) -> None:
    handed = api.chat("Can I talk to a real person?")
    assert handed["handoff"] is not None and handed["handoff"]["state"] == "waiting"

    # The next call names no customer either: the persona answers it, in a conversation of its own.
    later = api.chat("How much is the Harbor Linen Shirt?")
    assert later["handoff"] is None and later["mode"] == "composer" and "$48" in later["answer"]
    assert later["conversation_id"] != handed["conversation_id"]
    assert later["client_id"] != handed["client_id"]
    # Nobody else's history was read into it: it is the customer's first message.
    assert len(api.c.get(f"/api/clients/{later['client_id']}", headers=api.h).json()["history"]) == 2

    # The handed-off conversation waits for the seller, on the API's own channel, and continues
    # with the client id its answer returned: still the seller's, not the persona's.
    inbox = api.c.get("/api/handoff/conversations", headers=api.h).json()
    assert [(c["id"], c["channel"]) for c in inbox["conversations"]] == [(handed["conversation_id"], "api")]
    held = api.chat("Hello? Anyone there?", client_id=handed["client_id"])
    assert held["conversation_id"] == handed["conversation_id"] and held["mode"] == "handed-off"
    assert held["handoff"]["state"] == "waiting" and "$48" not in held["answer"]

    # A customer named with the caller's own id keeps one conversation across calls, as before.
    first = api.chat("Tell me about the Fjord Wool Beanie", client_id="session-7")
    again = api.chat("How much is it?", client_id="session-7")
    assert again["conversation_id"] == first["conversation_id"] and "$22" in again["answer"]


def test_the_hosted_chat_page_can_be_framed_by_the_allowed_sites_and_nothing_else_can(api: Api) -> None:
    w = api.c.patch(f"/api/personas/{api.pid}/widget", json={"allowed_origins": [SHOP]}, headers=api.h)
    assert w.status_code == 200, w.text
    page = api.c.get(f"/chat/{w.json()['slug']}", headers={"Accept": "text/html"})
    assert page.status_code == 200
    assert f"frame-ancestors {SHOP}" in page.headers["content-security-policy"]
    assert "x-frame-options" not in page.headers  # DENY would keep it out of the shop's own page
    assert page.headers["x-content-type-options"] == "nosniff"

    # Everything else still refuses to be framed, in both headers.
    for path in (
        "/widget.js",
        f"/api/widget/{w.json()['slug']}",
        "/api/health",
        "/chat/no-such-chat",
        "/login",
    ):
        r = api.c.get(path, headers={"Accept": "text/html"})
        assert r.headers.get("x-frame-options") == "DENY", (path, r.status_code)
        assert "frame-ancestors 'none'" in r.headers["content-security-policy"], path
    r = api.c.get(f"/api/personas/{api.pid}", headers=api.h)
    assert r.status_code == 200 and r.headers["x-frame-options"] == "DENY"

    # With no site allowed, the hosted page allows no frame at all: DENY stays with it.
    w = api.c.patch(f"/api/personas/{api.pid}/widget", json={"allowed_origins": []}, headers=api.h)
    assert w.status_code == 200, w.text
    page = api.c.get(f"/chat/{w.json()['slug']}", headers={"Accept": "text/html"})
    assert page.status_code == 200 and "frame-ancestors 'none'" in page.headers["content-security-policy"]
    assert page.headers["x-frame-options"] == "DENY"


def test_the_claimed_timeout_is_a_handoff_setting_of_the_api(api: Api) -> None:
    url = f"/api/personas/{api.pid}/handoff/settings"
    shown = api.c.get(url, headers=api.h).json()
    assert shown["claimed_timeout_minutes"] == 60 and shown["claimed_timeout_action"] == "holding"
    r = api.c.put(
        url, json={"claimed_timeout_minutes": 15, "claimed_timeout_action": "release"}, headers=api.h
    )
    assert r.status_code == 200, r.text
    assert r.json()["claimed_timeout_minutes"] == 15 and r.json()["claimed_timeout_action"] == "release"
    assert api.c.get(url, headers=api.h).json()["claimed_timeout_action"] == "release"
    for bad in ({"claimed_timeout_minutes": -1}, {"claimed_timeout_action": "send_draft"}):
        assert api.c.put(url, json=bad, headers=api.h).status_code == 422, bad
