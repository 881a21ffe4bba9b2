"""The web chat's public API and the seller's widget settings, through HTTP: streamed answers with
per-sentence audio, allowed origins and CORS, visitor tokens, limits, hostile input, deleting a
conversation. The voice is the recording fake (no model) and speech to text hears a set sentence."""

from __future__ import annotations

import io
import json
import re
import time
import uuid
import wave
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient

from ..conftest import make_settings

SHOP = "https://shop.example.com"
CATALOG = (
    b"sku,name,description,price\n"
    b"LMP-2,Copper Desk Lamp,Brushed copper desk lamp with a linen shade. It ships in two days.,79\n"
    b"ARM-1,Oak Armoire,Solid oak armoire with two doors.,899\n"
)
HEARD = "How much is the copper desk lamp?"


@dataclass
class Shop:
    client: TestClient
    services: Any
    seller: dict[str, str]  # the seller's bearer header
    persona_id: str
    slug: str

    def visitor(self, origin: str | None = SHOP) -> dict[str, str]:
        headers = {"Origin": origin} if origin else {}
        r = self.client.post(f"/api/widget/{self.slug}/visitor", headers=headers)
        assert r.status_code == 201, r.text
        return {**headers, "X-Echome-Visitor": r.json()["token"]}

    def ask(self, visitor: dict[str, str], text: str, **body: Any) -> tuple[Any, list[tuple[str, Any]]]:
        r = self.client.post(
            f"/api/widget/{self.slug}/messages", json={"text": text, **body}, headers=visitor
        )
        return r, events(r.text) if r.status_code == 200 else []


def events(text: str) -> list[tuple[str, Any]]:
    out = []
    for block in text.split("\n\n"):
        lines = [ln for ln in block.splitlines() if ln and not ln.startswith(":")]
        name = next((ln[7:] for ln in lines if ln.startswith("event: ")), None)
        data = [ln[6:] for ln in lines if ln.startswith("data: ")]
        if name:
            out.append((name, json.loads("\n".join(data))))
    return out


@pytest.fixture
def shop(tmp_path: Path, database_url: str | None, request: pytest.FixtureRequest) -> Iterator[Shop]:
    from echome.app.main import create_app
    from echome.bootstrap import build_services
    from echome.providers.fakes import RecordingTTS, ScriptedSTT

    marker = request.node.get_closest_marker("settings")
    values = dict(marker.kwargs if marker else {})
    if request.node.get_closest_marker("llm"):  # the seller's LLM is the fake OpenAI server
        values["openai_base_url"] = request.getfixturevalue("fake_openai").base_url
    settings = make_settings(tmp_path, database_url=database_url, vector_store="memory", **values)
    services = build_services(settings)
    services._local_tts.set(RecordingTTS())  # speech without loading a voice model
    services._stt.set(ScriptedSTT(HEARD))
    try:
        with TestClient(create_app(services), base_url="http://testserver") as c:
            email = f"seller-{uuid.uuid4().hex[:8]}@example.com"
            me = c.post("/api/auth/signup", json={"email": email, "password": "correct horse"})
            csrf = {"X-CSRF-Token": me.headers["x-csrf-token"]}
            token = c.post("/api/auth/tokens", json={"name": "t"}, headers=csrf).json()["token"]
            c.cookies.clear()  # visitors have no seller session
            seller = {"Authorization": f"Bearer {token}"}
            persona = c.post("/api/personas", json={"name": "Ana"}, headers=seller).json()
            up = c.post(
                "/api/products/upload",
                files={"file": ("shop.csv", CATALOG)},
                data={"persona_id": persona["id"]},
                headers=seller,
            )
            services.executor.execute(up.json()["job_id"])
            w = c.patch(
                f"/api/personas/{persona['id']}/widget", json={"allowed_origins": [SHOP]}, headers=seller
            )
            assert w.status_code == 200, w.text
            yield Shop(c, services, seller, persona["id"], w.json()["slug"])
    finally:
        services.close()


def _wait_for(check: Any, timeout: float = 10.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("timed out")


# -- answering ----------------------------------------------------------------------------------------
def test_an_answer_streams_sentence_by_sentence_with_audio_for_each(shop: Shop) -> None:
    visitor = shop.visitor()
    r, evs = shop.ask(visitor, "How much is the copper desk lamp?")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
    assert r.headers["access-control-allow-origin"] == SHOP
    names = [name for name, _ in evs]
    assert names[0] == "accepted" and names[-1] == "done"
    answer = next(data for name, data in evs if name == "answer")
    texts = [data["text"] for name, data in evs if name == "text"]
    assert len(texts) >= 2 and "".join(texts) == answer["text"] and "$79" in answer["text"]
    assert names.index("answer") > max(i for i, n in enumerate(names) if n == "text")
    audio = [data for name, data in evs if name == "audio"]
    assert len(audio) == answer["audio_sentences"] >= 1
    assert [a["index"] for a in audio] == list(range(len(audio)))
    for item in audio:
        got = shop.client.get(item["url"], headers=visitor)
        assert got.status_code == 200 and got.headers["content-type"] == "audio/mpeg"
        assert got.content[:3] == b"ID3" or got.content[0] == 0xFF  # an MP3 stream
    # The whole reply is kept as one voice note, as a Telegram reply's is.
    thread = _wait_for(
        lambda: (
            (t := shop.client.get(f"/api/widget/{shop.slug}/thread", headers=visitor).json())["messages"][-1][
                "audio"
            ]
            and t
        )
    )
    assert [(m["role"], m["text"]) for m in thread["messages"]] == [
        ("user", "How much is the copper desk lamp?"),
        ("assistant", answer["text"]),
    ]
    note = shop.client.get(thread["messages"][-1]["audio"], headers=visitor)
    assert note.status_code == 200 and note.content[:4] == b"OggS"
    assert thread["cursor"] == answer["message_id"] and thread["state"] == "persona"
    newer = shop.client.get(f"/api/widget/{shop.slug}/thread?after={thread['cursor']}", headers=visitor)
    assert newer.json()["messages"] == []


def test_text_only_when_the_visitor_turned_speech_off(shop: Shop) -> None:
    _r, evs = shop.ask(shop.visitor(), "How much is the oak armoire?", audio="none")
    assert not [e for e, _ in evs if e.startswith("audio")]
    assert next(d for e, d in evs if e == "answer")["audio_sentences"] == 0


def test_the_conversation_goes_on_across_page_loads(shop: Shop) -> None:
    visitor = shop.visitor()
    shop.ask(visitor, "How much is the copper desk lamp?", audio="none")
    shop.ask(visitor, "Does it ship fast?", audio="none")
    thread = shop.client.get(f"/api/widget/{shop.slug}/thread", headers=visitor).json()
    assert [m["role"] for m in thread["messages"]] == ["user", "assistant", "user", "assistant"]


def test_the_sellers_reply_reaches_the_widget_and_drafts_do_not(shop: Shop) -> None:
    from echome.db.models import Conversation, Message
    from echome.db.session import transaction

    visitor = shop.visitor()
    _r, evs = shop.ask(visitor, "Can I get a discount on the lamp?", audio="none")
    cursor = next(d for e, d in evs if e == "answer")["message_id"]
    with transaction(shop.services.sessions) as db:  # what the seller's side leaves: a draft, a reply
        reply = db.get(Message, cursor)
        conv = db.get(Conversation, reply.conversation_id)
        conv.state = "seller"
        db.add(Message(user_id=reply.user_id, conversation_id=conv.id, role="assistant",
                       content="Draft: 10% off?", meta={"draft": True}))  # fmt: skip
        db.add(Message(user_id=reply.user_id, conversation_id=conv.id, role="seller",
                       content="Hi, it's Ana: 10% off for you today."))  # fmt: skip
        db.add(Message(user_id=reply.user_id, conversation_id=conv.id, role="system", content="handed off"))
    newer = shop.client.get(f"/api/widget/{shop.slug}/thread?after={cursor}", headers=visitor).json()
    assert [(m["role"], m["text"]) for m in newer["messages"]] == [
        ("seller", "Hi, it's Ana: 10% off for you today.")
    ]
    assert newer["state"] == "seller" and newer["cursor"] != cursor
    again = shop.client.get(f"/api/widget/{shop.slug}/thread?after={newer['cursor']}", headers=visitor).json()
    assert again["messages"] == []
    whole = shop.client.get(f"/api/widget/{shop.slug}/thread", headers=visitor).json()
    assert "Draft" not in json.dumps(whole) and "handed off" not in json.dumps(whole)
    assert set(whole["messages"][0]) == {"id", "role", "text", "at", "audio"}  # nothing of the seller's


# -- who may ask --------------------------------------------------------------------------------------
def test_cors_only_for_allowed_origins(shop: Shop) -> None:
    preflight = {
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type, x-echome-visitor",
    }
    ok = shop.client.options(f"/api/widget/{shop.slug}/messages", headers={"Origin": SHOP, **preflight})
    assert ok.status_code == 204 and ok.headers["access-control-allow-origin"] == SHOP
    assert "x-echome-visitor" in ok.headers["access-control-allow-headers"].lower()
    evil = "https://evil.example.com"
    refused = shop.client.options(f"/api/widget/{shop.slug}/messages", headers={"Origin": evil, **preflight})
    assert refused.status_code == 403 and "access-control-allow-origin" not in refused.headers
    extra = shop.client.options(
        f"/api/widget/{shop.slug}/messages",
        headers={"Origin": SHOP, "Access-Control-Request-Method": "PUT"},
    )
    assert extra.status_code == 403
    visitor = shop.visitor()
    posted = shop.client.post(
        f"/api/widget/{shop.slug}/messages",
        json={"text": "How much is the lamp?"},
        headers={**visitor, "Origin": evil},
    )
    assert posted.status_code == 403 and posted.json()["error"] == "origin_not_allowed"
    assert "access-control-allow-origin" not in posted.headers
    new = shop.client.post(f"/api/widget/{shop.slug}/visitor", headers={"Origin": evil})
    assert new.status_code == 403 and "access-control-allow-origin" not in new.headers
    # A site allowed later works at once; one removed is refused at once.
    shop.client.patch(
        f"/api/personas/{shop.persona_id}/widget", json={"allowed_origins": [SHOP, evil]}, headers=shop.seller
    )
    assert shop.client.post(f"/api/widget/{shop.slug}/visitor", headers={"Origin": evil}).status_code == 201
    shop.client.patch(
        f"/api/personas/{shop.persona_id}/widget", json={"allowed_origins": []}, headers=shop.seller
    )
    assert shop.client.post(f"/api/widget/{shop.slug}/visitor", headers={"Origin": SHOP}).status_code == 403
    # The server's own hosted page needs no listing; a request from no page at all (curl) has no Origin.
    assert (
        shop.client.post(
            f"/api/widget/{shop.slug}/visitor", headers={"Origin": "http://testserver"}
        ).status_code
        == 201
    )
    assert shop.client.post(f"/api/widget/{shop.slug}/visitor").status_code == 201
    assert shop.client.post(f"/api/widget/{shop.slug}/visitor", headers={"Origin": "null"}).status_code == 403


def test_errors_carry_cors_headers_so_the_widget_can_read_them(shop: Shop) -> None:
    visitor = shop.visitor()
    r = shop.client.post(f"/api/widget/{shop.slug}/messages", json={"text": "   "}, headers=visitor)
    assert r.status_code == 422 and r.headers["access-control-allow-origin"] == SHOP
    forged = {**visitor, "X-Echome-Visitor": visitor["X-Echome-Visitor"][:-2] + "xx"}
    r = shop.client.get(f"/api/widget/{shop.slug}/thread", headers=forged)
    assert r.status_code == 401 and r.headers["access-control-allow-origin"] == SHOP


def test_a_visitor_cannot_read_or_write_another_visitors_conversation(shop: Shop) -> None:
    ana, bo = shop.visitor(), shop.visitor()
    _r, evs = shop.ask(ana, "How much is the copper desk lamp? My name is Ana.")
    answer = next(d for e, d in evs if e == "answer")
    audio_url = next(d for e, d in evs if e == "audio")["url"]
    assert shop.client.get(f"/api/widget/{shop.slug}/thread", headers=bo).json()["messages"] == []
    after = shop.client.get(f"/api/widget/{shop.slug}/thread?after={answer['message_id']}", headers=bo)
    assert after.json()["messages"] == []
    assert shop.client.get(audio_url, headers=bo).status_code == 404
    _wait_for(
        lambda: (
            shop.client.get(f"/api/widget/{shop.slug}/audio/{answer['message_id']}", headers=ana).status_code
            == 200
        )
    )
    assert (
        shop.client.get(f"/api/widget/{shop.slug}/audio/{answer['message_id']}", headers=bo).status_code
        == 404
    )
    # Forged, missing and other personas' tokens.
    token = ana["X-Echome-Visitor"]
    _, vid, sig = token.split(".")
    _, bo_id, _ = bo["X-Echome-Visitor"].split(".")
    for bad in (f"v1.{bo_id}.{sig}", f"v1.{vid}.{'A' * 43}", "", "v1.../..", vid):
        r = shop.client.get(
            f"/api/widget/{shop.slug}/thread", headers={"Origin": SHOP, "X-Echome-Visitor": bad}
        )
        assert r.status_code == 401, bad
    assert shop.client.get(f"/api/widget/{shop.slug}/thread", headers={"Origin": SHOP}).status_code == 401
    other = shop.client.post("/api/personas", json={"name": "Bea"}, headers=shop.seller).json()
    r = shop.client.get(f"/api/widget/{other['id']}/thread", headers={"X-Echome-Visitor": token})
    assert r.status_code == 401
    # Deleting is only one's own.
    assert shop.client.delete(f"/api/widget/{shop.slug}/thread", headers=bo).json() == {"deleted": 0}
    assert len(shop.client.get(f"/api/widget/{shop.slug}/thread", headers=ana).json()["messages"]) == 2


def test_html_in_a_message_is_kept_as_text(shop: Shop) -> None:
    visitor = shop.visitor()
    hostile = '<img src=x onerror="alert(1)"><script>alert(2)</script> how much is the lamp?'
    r, _evs = shop.ask(visitor, hostile, audio="none")
    assert r.status_code == 200 and "text/html" not in r.headers["content-type"]
    thread = shop.client.get(f"/api/widget/{shop.slug}/thread", headers=visitor)
    assert thread.headers["content-type"] == "application/json"
    assert thread.json()["messages"][0]["text"] == hostile  # stored and returned verbatim, as data


def test_the_hosted_page_escapes_the_persona_name_and_allows_framing_only_by_allowed_sites(
    shop: Shop,
) -> None:
    shop.client.patch(
        f"/api/personas/{shop.persona_id}", json={"name": '<script>alert("x")</script>'}, headers=shop.seller
    )
    page = shop.client.get(f"/chat/{shop.slug}", headers={"Accept": "text/html"})
    assert page.status_code == 200 and "<script>alert" not in page.text and "&lt;script&gt;" in page.text
    csp = page.headers["content-security-policy"]
    assert f"frame-ancestors {SHOP}" in csp and "script-src 'self'" in csp and "unsafe-inline" not in csp
    scripts = re.findall(r"<script[^>]*>(.*?)</script>", page.text, re.S)
    assert scripts == [""]  # one script, loaded from our own file: nothing inline
    info = shop.client.get(f"/api/widget/{shop.slug}").json()
    assert info["name"] == '<script>alert("x")</script>' and "AI assistant" in info["disclosure"]
    assert shop.client.get("/chat/no-such-chat", headers={"Accept": "text/html"}).status_code == 404


# -- limits -----------------------------------------------------------------------------------------------
@pytest.mark.settings(widget_messages_per_minute=3)
def test_a_visitor_sending_too_fast_is_told_to_wait(shop: Shop) -> None:
    visitor = shop.visitor()
    for _ in range(3):
        assert shop.ask(visitor, "How much is the lamp?", audio="none")[0].status_code == 200
    r, _ = shop.ask(visitor, "How much is the lamp?", audio="none")
    assert r.status_code == 429 and int(r.headers["retry-after"]) >= 1
    assert r.headers["access-control-allow-origin"] == SHOP
    assert (
        shop.ask(shop.visitor(), "How much is the lamp?", audio="none")[0].status_code == 200
    )  # others go on


@pytest.mark.settings(widget_visitors_per_ip_per_hour=2, widget_ip_per_minute=8)
def test_one_address_cannot_make_endless_visitors_or_requests(shop: Shop) -> None:
    shop.visitor(), shop.visitor()
    r = shop.client.post(f"/api/widget/{shop.slug}/visitor", headers={"Origin": SHOP})
    assert r.status_code == 429 and "new conversations" in r.json()["detail"]
    codes = [shop.client.get(f"/api/widget/{shop.slug}").status_code for _ in range(8)]
    assert codes[-1] == 429


def test_message_size_limits(shop: Shop) -> None:
    visitor = shop.visitor()
    r, _ = shop.ask(visitor, "lamp " * 500)  # 2,500 characters
    assert r.status_code == 422 and "at most 2000" in r.json()["detail"]
    r, _ = shop.ask(visitor, "x" * 9000)
    assert r.status_code == 422
    r, _ = shop.ask(visitor, "")
    assert r.status_code == 422
    r = shop.client.post(
        f"/api/widget/{shop.slug}/messages",
        content=b"{not json",
        headers={**visitor, "Content-Type": "application/json"},
    )
    assert r.status_code in (400, 422)
    r, _ = shop.ask(visitor, "lamp", audio="flac")
    assert r.status_code == 422


# -- voice questions ----------------------------------------------------------------------------------------
def _wav(seconds: float, amplitude: float, rate: int = 16_000) -> bytes:
    t = np.arange(int(seconds * rate)) / rate
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes((amplitude * np.sin(2 * np.pi * 200 * t) * 32767).astype("<i2").tobytes())
    return out.getvalue()


def test_a_recorded_question_is_heard_and_answered(shop: Shop) -> None:
    visitor = shop.visitor()
    r = shop.client.post(
        f"/api/widget/{shop.slug}/voice?audio=ogg",
        content=_wav(2.0, 0.3),
        headers={**visitor, "Content-Type": "audio/wav"},
    )
    assert r.status_code == 200, r.text
    evs = events(r.text)
    assert ("heard", {"text": HEARD}) in evs
    answer = next(d for e, d in evs if e == "answer")
    assert "$79" in answer["text"]
    audio = next(d for e, d in evs if e == "audio")
    assert shop.client.get(audio["url"], headers=visitor).headers["content-type"] == "audio/ogg"
    thread = shop.client.get(f"/api/widget/{shop.slug}/thread", headers=visitor).json()
    assert thread["messages"][0]["text"] == HEARD


@pytest.mark.settings(widget_max_voice_seconds=10, widget_max_voice_bytes=200_000)
def test_recordings_that_cannot_be_answered_get_a_clear_refusal(shop: Shop) -> None:
    visitor = shop.visitor()
    url = f"/api/widget/{shop.slug}/voice"
    wav = {**visitor, "Content-Type": "audio/wav"}
    silent = shop.client.post(url, content=_wav(3.0, 0.0005), headers=wav)
    assert silent.status_code == 422 and silent.json()["error"] == "recording_silent"
    long = shop.client.post(url, content=_wav(12.0, 0.1, rate=8_000), headers=wav)  # 192 kB
    assert long.status_code == 422 and long.json()["error"] == "recording_too_long"
    big = shop.client.post(url, content=b"\0" * 300_000, headers=wav)
    assert big.status_code == 413
    html = shop.client.post(url, content=b"<html>", headers={**visitor, "Content-Type": "text/html"})
    assert html.status_code == 415
    junk = shop.client.post(url, content=b"RIFF" + b"\1" * 5000, headers=wav)
    assert junk.status_code == 422 and "could not be read" in junk.json()["detail"]
    assert shop.client.get(f"/api/widget/{shop.slug}/thread", headers=visitor).json()["messages"] == []


# -- deleting ------------------------------------------------------------------------------------------
def test_deleting_the_conversation_removes_it_everywhere(shop: Shop) -> None:
    from sqlalchemy import func, select

    from echome.db.models import Client, Message

    visitor, other = shop.visitor(), shop.visitor()
    _r, evs = shop.ask(visitor, "How much is the copper desk lamp? My name is Ana.")
    shop.ask(other, "How much is the oak armoire?", audio="none")
    message_id = next(d for e, d in evs if e == "answer")["message_id"]
    audio_url = next(d for e, d in evs if e == "audio")["url"]
    voice = shop.client.post(
        f"/api/widget/{shop.slug}/voice?audio=none",
        content=_wav(1.0, 0.3),
        headers={**visitor, "Content-Type": "audio/wav"},
    )
    assert voice.status_code == 200
    _wait_for(
        lambda: (
            shop.client.get(f"/api/widget/{shop.slug}/audio/{message_id}", headers=visitor).status_code == 200
        )
    )
    stored = shop.services.storage.list("audio", _seller_id(shop))
    assert any("responses/" in k for k in stored) and any("customer-notes/widget-" in k for k in stored)

    r = shop.client.delete(f"/api/widget/{shop.slug}/thread", headers=visitor)
    assert r.status_code == 200 and r.json() == {"deleted": 4}
    assert shop.client.get(f"/api/widget/{shop.slug}/thread", headers=visitor).json()["messages"] == []
    assert shop.client.get(audio_url, headers=visitor).status_code == 404
    assert shop.client.get(f"/api/widget/{shop.slug}/audio/{message_id}", headers=visitor).status_code == 404
    left = shop.services.storage.list("audio", _seller_id(shop))
    assert not [k for k in left if message_id in k or "customer-notes/widget-" in k]
    with shop.services.sessions() as db:
        refs = set(db.scalars(select(Client.external_id)))
        assert f"widget:{visitor['X-Echome-Visitor'].split('.')[1]}" not in refs  # with its notes (the name)
        assert db.scalar(select(func.count()).select_from(Message)) == 2  # the other visitor's
    # The same token starts over with an empty conversation.
    assert shop.ask(visitor, "How much is the lamp?", audio="none")[0].status_code == 200


def _seller_id(shop: Shop) -> str:
    return shop.client.get("/api/auth/me", headers=shop.seller).json()["id"]


# -- the seller's settings -------------------------------------------------------------------------------
def test_widget_settings_for_the_seller_only(shop: Shop) -> None:
    base = f"/api/personas/{shop.persona_id}/widget"
    got = shop.client.get(base, headers=shop.seller).json()
    assert got["slug"] == shop.slug == "ana" and got["allowed_origins"] == [SHOP]
    assert got["embed_code"] == '<script src="/widget.js" data-persona="ana" async></script>'
    bad = shop.client.patch(
        base, json={"allowed_origins": ["https://ok.example", "https://x.example/path"]}, headers=shop.seller
    )
    assert bad.status_code == 422 and "x.example/path" in bad.json()["detail"]
    assert shop.client.get(base, headers=shop.seller).json()["allowed_origins"] == [SHOP]  # unchanged
    renamed = shop.client.patch(base, json={"slug": "Ana-Lamps"}, headers=shop.seller)
    assert renamed.json()["slug"] == "ana-lamps"
    assert (
        shop.client.get("/api/widget/ana").status_code == 404
        and shop.client.get("/api/widget/ana-lamps").status_code == 200
    )
    assert shop.client.patch(base, json={"slug": "no"}, headers=shop.seller).status_code == 422
    # Another seller: not their persona, and the slug is taken.
    me = shop.client.post(
        "/api/auth/signup",
        json={"email": f"bo-{uuid.uuid4().hex[:6]}@example.com", "password": "correct horse"},
    )
    csrf = {"X-CSRF-Token": me.headers["x-csrf-token"]}
    token = shop.client.post("/api/auth/tokens", json={"name": "t"}, headers=csrf).json()["token"]
    shop.client.cookies.clear()
    bo = {"Authorization": f"Bearer {token}"}
    assert shop.client.get(base, headers=bo).status_code == 404
    assert (
        shop.client.patch(base, json={"allowed_origins": ["https://evil.example"]}, headers=bo).status_code
        == 404
    )
    theirs = shop.client.post("/api/personas", json={"name": "Ana Lamps"}, headers=bo).json()
    auto = shop.client.get(f"/api/personas/{theirs['id']}/widget", headers=bo).json()["slug"]
    assert auto.startswith("ana-lamps-") and auto != "ana-lamps"  # made from the name, not taken
    taken = shop.client.patch(f"/api/personas/{theirs['id']}/widget", json={"slug": "ana-lamps"}, headers=bo)
    assert taken.status_code == 409
    assert shop.client.get(base).status_code == 401


def test_the_script_is_small_cached_and_never_parses_html(shop: Shop) -> None:
    r = shop.client.get("/widget.js", headers={"Accept-Encoding": "gzip"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/javascript")
    assert r.headers["content-encoding"] == "gzip" and int(r.headers["content-length"]) <= 40 * 1024
    assert "__ECHOME_WIDGET_CSS__" not in r.text and ":host" in r.text
    for parses_html in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("):
        assert parses_html not in r.text, parses_html
    again = shop.client.get("/widget.js", headers={"If-None-Match": r.headers["etag"]})
    assert again.status_code == 304
    assert shop.client.get("/widget/page.css").status_code == 200
