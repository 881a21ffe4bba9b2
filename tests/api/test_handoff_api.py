"""The handoff desk's JSON API and live feed: the inbox, claim / release / reply / send draft, a
persona's settings (rules checked before saving), the Telegram link code; tenant checks and bad
input. The customer side is `POST /api/chat` on the "web" channel, as a shop's own page would call it."""

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


@dataclass
class Api:
    c: TestClient
    services: Any
    h: dict[str, str]  # the seller's token
    other: dict[str, str]  # another seller's token
    pid: str

    def ask(self, message: str, client: str = "visitor-9") -> dict[str, Any]:
        r = self.c.post(
            "/api/chat",
            json={"persona_id": self.pid, "message": message, "client_id": client},
            headers=self.h,
        )
        assert r.status_code == 200, r.text
        return r.json()  # type: ignore[no-any-return]


def _seller(c: TestClient) -> dict[str, str]:
    me = c.post(
        "/api/auth/signup",
        json={"email": f"s-{uuid.uuid4().hex[:8]}@example.com", "password": "correct horse"},
    )
    token = c.post(
        "/api/auth/tokens", json={"name": "t"}, headers={"X-CSRF-Token": me.headers["x-csrf-token"]}
    )
    c.cookies.clear()
    return {"Authorization": f"Bearer {token.json()['token']}"}


@pytest.fixture
def api(tmp_path: Path, sqlite_template: Path) -> Iterator[Api]:
    from echome.app.main import create_app
    from echome.bootstrap import build_services

    data = tmp_path / "data"
    data.mkdir()
    (data / "echome.db").write_bytes(sqlite_template.read_bytes())
    services = build_services(
        make_settings(tmp_path, database_url=None, vector_store="memory", embedder="fake")
    )
    try:
        with TestClient(create_app(services), base_url="http://testserver") as c:
            h, other = _seller(c), _seller(c)
            pid = c.post("/api/personas", json={"name": "Ana"}, headers=h).json()["id"]
            up = c.post(
                "/api/products/upload",
                files={"file": ("shop.csv", CATALOG)},
                data={"persona_id": pid},
                headers=h,
            )
            services.executor.execute(up.json()["job_id"])
            yield Api(c, services, h, other, pid)
    finally:
        services.close()


def test_inbox_lists_the_waiting_conversation_and_the_seller_answers_it(api: Api) -> None:
    out = api.ask("How much is the Harbor Linen Shirt? Can I talk to a real person?")
    assert out["handoff"]["state"] == "waiting" and out["handoff"]["reason"] == "customer_asked"
    assert out["answer"].startswith("I've asked Ana") and "$48" not in out["answer"]
    cid = out["conversation_id"]

    inbox = api.c.get("/api/handoff/conversations", headers=api.h).json()
    assert inbox["total"] == 1
    item = inbox["conversations"][0]
    assert item["id"] == cid and item["state"] == "waiting" and item["reason"] == "customer_asked"
    assert "$48" in item["draft"]["text"] and item["unanswered"] == 1 and item["channel"] == "web"
    assert api.c.get("/api/handoff/conversations?state=seller", headers=api.h).json()["total"] == 0

    detail = api.c.get(f"/api/handoff/conversations/{cid}", headers=api.h).json()
    assert [m["role"] for m in detail["messages"]][-3:] == ["user", "draft", "assistant"]

    # Further messages are recorded, not answered.
    held = api.ask("hello?")
    assert held["mode"] == "handed-off" and held["answer"] == "" and held["handoff"]["state"] == "waiting"

    r = api.c.post(f"/api/handoff/conversations/{cid}/claim", headers=api.h)
    assert r.status_code == 200 and r.json()["state"] == "seller"
    r = api.c.post(f"/api/handoff/conversations/{cid}/reply", json={"text": "Hi! Ana here."}, headers=api.h)
    assert r.status_code == 202 and r.json()["role"] == "seller"
    api.services.executor.execute(_pending(api, "handoff.deliver"))
    thread = api.c.get(f"/api/handoff/conversations/{cid}", headers=api.h).json()["messages"]
    assert thread[-1]["role"] == "seller" and thread[-1]["status"] == "sent"
    assert next(m for m in thread if m["role"] == "draft")["status"] == "superseded"

    # Let the persona answer: it answers the unanswered "hello?"... and the conversation is the persona's.
    r = api.c.post(f"/api/handoff/conversations/{cid}/release", headers=api.h)
    assert r.json()["state"] == "persona"
    assert api.ask("How much is the Fjord Wool Beanie?")["answer"].count("$22") == 1


def test_send_draft_as_is_or_edited(api: Api) -> None:
    cid = api.ask("Could you give me a discount on the Harbor Linen Shirt?")["conversation_id"]
    r = api.c.post(f"/api/handoff/conversations/{cid}/send-draft", json={}, headers=api.h)
    assert r.status_code == 202 and r.json()["role"] == "assistant" and "$48" in r.json()["content"]
    assert (
        api.c.post(f"/api/handoff/conversations/{cid}/send-draft", json={}, headers=api.h).status_code == 409
    )
    cid2 = api.ask("Do you do custom embroidery?", client="visitor-10")["conversation_id"]
    r = api.c.post(
        f"/api/handoff/conversations/{cid2}/send-draft", json={"text": "Yes, from 5 pieces."}, headers=api.h
    )
    assert (
        r.status_code == 202 and r.json()["role"] == "seller" and r.json()["content"] == "Yes, from 5 pieces."
    )


def test_another_seller_sees_and_touches_nothing(api: Api) -> None:
    cid = api.ask("I want to speak to a human")["conversation_id"]
    assert api.c.get("/api/handoff/conversations", headers=api.other).json()["total"] == 0
    for method, path, body in [
        ("get", f"/api/handoff/conversations/{cid}", None),
        ("post", f"/api/handoff/conversations/{cid}/claim", None),
        ("post", f"/api/handoff/conversations/{cid}/release", None),
        ("post", f"/api/handoff/conversations/{cid}/reply", {"text": "hi"}),
        ("post", f"/api/handoff/conversations/{cid}/send-draft", {}),
        ("get", f"/api/personas/{api.pid}/handoff/settings", None),
        ("put", f"/api/personas/{api.pid}/handoff/settings", {"approval_mode": "all"}),
        ("post", f"/api/personas/{api.pid}/handoff/telegram-link", None),
        ("delete", f"/api/personas/{api.pid}/handoff/telegram-link", None),
    ]:
        r = api.c.request(method, path, json=body, headers=api.other)
        assert r.status_code == 404, (path, r.status_code)
    assert api.c.get("/api/handoff/events", headers=api.other).json()["events"] == []
    assert api.c.get(f"/api/handoff/conversations/{cid}", headers=api.h).json()["state"] == "waiting"
    assert api.c.get("/api/handoff/conversations").status_code == 401


def test_bad_input_gets_clear_4xx(api: Api) -> None:
    cid = api.ask("Can I talk to a person?")["conversation_id"]
    cases = [
        ("post", f"/api/handoff/conversations/{cid}/reply", {"text": "x" * 4001}, 422),
        ("post", f"/api/handoff/conversations/{cid}/reply", {"text": ""}, 422),
        ("post", f"/api/handoff/conversations/{cid}/reply", {"text": "   "}, 422),
        ("post", f"/api/handoff/conversations/{'0' * 32}/claim", None, 404),
        ("post", f"/api/handoff/conversations/{cid}/send-draft", {"draft_id": "nope"}, 409),
        ("get", "/api/handoff/events?after=-1", None, 422),
        ("get", "/api/handoff/conversations?state=lost", None, 422),
        ("get", "/api/handoff/conversations?persona_id=nobody", None, 404),
    ]
    for method, path, body, status in cases:
        r = api.c.request(method, path, json=body, headers=api.h)
        assert r.status_code == status, (path, body and str(body)[:40], r.status_code, r.text[:200])


def test_settings_are_checked_before_saving_and_keep_the_web_chat_keys(api: Api) -> None:
    from echome.db.models import Persona

    with api.services.sessions.begin() as db:
        p = db.get(Persona, api.pid)
        p.chat_settings = {"allowed_origins": ["https://shop.example"]}
    url = f"/api/personas/{api.pid}/handoff/settings"
    bad = api.c.put(url, json={"handoff_rules": [{"regex": "(a+)+$", "reason": "x"}]}, headers=api.h)
    assert bad.status_code == 422 and "nested quantifiers" in bad.text
    assert api.c.put(url, json={"approval_timeout_minutes": 0}, headers=api.h).status_code == 422
    ok = api.c.put(
        url,
        json={
            "approval_mode": "all",
            "handoff_rules": [{"keywords": ["wholesale"], "reason": "B2B"}],
            "handoff_triggers": ["customer_asked"],
        },
        headers=api.h,
    )
    assert ok.status_code == 200, ok.text
    assert ok.json()["approval_mode"] == "all" and ok.json()["handoff_triggers"] == ["customer_asked"]
    with api.services.sessions() as db:
        assert db.get(Persona, api.pid).chat_settings["allowed_origins"] == ["https://shop.example"]  # type: ignore[union-attr]
    out = api.ask("Do you sell wholesale?", client="visitor-20")
    assert out["handoff"]["reason"] == "rule" and out["handoff"]["reason_text"] == "B2B"


def test_telegram_link_code_and_unlink(api: Api) -> None:
    url = f"/api/personas/{api.pid}/handoff/telegram-link"
    r = api.c.post(url, headers=api.h)
    assert r.status_code == 201
    code = r.json()
    assert code["command"] == f"/start {code['code']}" and len(code["code"]) >= 16
    assert code["deep_link"] is None  # no bot token stored: no bot to link to yet
    again = api.c.post(url, headers=api.h).json()
    assert again["code"] != code["code"]
    from echome.db.models import Persona

    with api.services.sessions() as db:
        stored = db.get(Persona, api.pid).chat_settings["seller_link"]  # type: ignore[union-attr]
    assert code["code"] not in str(stored) and again["code"] not in str(stored)  # only a digest is kept
    assert api.c.get(url, headers=api.h).json()["linked"] is False
    assert api.c.delete(url, headers=api.h).json()["linked"] is False


def test_events_as_json_and_as_a_live_feed(api: Api) -> None:
    cid = api.ask("Can I talk to a real person?")["conversation_id"]
    api.ask("hello?")
    events = api.c.get("/api/handoff/events?after=0", headers=api.h).json()
    kinds = [e["kind"] for e in events["events"]]
    assert kinds == ["handed_off", "customer_message"] and events["last_id"] == events["events"][-1]["id"]
    assert events["events"][0]["conversation_id"] == cid and events["events"][1]["data"]["text"] == "hello?"
    assert api.c.get(f"/api/handoff/events?after={events['last_id']}", headers=api.h).json()["events"] == []

    first = events["events"][0]["id"]
    with api.c.stream(
        "GET",
        "/api/handoff/events?wait=1",
        headers={**api.h, "Accept": "text/event-stream", "Last-Event-ID": str(first)},
    ) as r:
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
        body = "".join(r.iter_text())
    assert "event: customer_message" in body and f"id: {events['last_id']}" in body
    assert "event: handed_off" not in body  # resumed after the id the browser last saw


def _pending(api: Api, kind: str) -> str:
    from sqlalchemy import select

    from echome.db.models import Job

    with api.services.sessions() as db:
        return db.scalars(select(Job.id).where(Job.kind == kind, Job.status == "pending")).one()


def test_deleting_the_persona_leaves_no_handoff_rows(api: Api) -> None:
    from sqlalchemy import func, select

    from echome.db.models import HandoffEvent, HandoffNotice, Message

    api.ask("Can I talk to a real person?")
    api.c.post(f"/api/personas/{api.pid}/handoff/telegram-link", headers=api.h)
    with api.services.sessions() as db:
        assert db.scalar(select(func.count()).select_from(HandoffEvent)) == 1
    assert api.c.delete(f"/api/personas/{api.pid}", headers=api.h).status_code == 204
    with api.services.sessions() as db:
        for table in (HandoffEvent, HandoffNotice, Message):
            assert db.scalar(select(func.count()).select_from(table)) == 0, table
