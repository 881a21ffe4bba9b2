"""Conversations with the seller in the loop, as the pages serve them: a handed-off thread shows its
state, reason and the persona's draft; "I'll answer", the seller's reply, the draft sent as it is or
edited, "Let the persona answer" — each a form with its CSRF token, refused for another seller; the
inbox's live feed sends only the parts that changed; Home counts what waits for the seller.

The customer side is `POST /api/chat` on the "web" channel with the seller's browser session, as the
handoff API's own tests do."""

from __future__ import annotations

import dataclasses
import html
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.support.web_pages import HTML, csrf_token, sign_up

from ..conftest import make_settings

HX = {"HX-Request": "true", **HTML}


@dataclass
class Desk:
    c: TestClient
    services: Any
    pid: str  # Ana's persona
    cookies: dict[str, dict[str, str]]  # each seller's browser session

    def be(self, who: str) -> None:
        self.c.cookies.clear()
        for name, value in self.cookies[who].items():
            self.c.cookies.set(name, value)

    @property
    def inbox(self) -> str:
        return f"/app/personas/{self.pid}/conversations"

    def page(self, query: str = "") -> str:
        r = self.c.get(self.inbox + query, headers=HTML)
        assert r.status_code == 200, r.text[:500]
        return r.text

    def ask(self, message: str, client: str = "visitor-1") -> dict[str, Any]:
        token = csrf_token(self.page())
        r = self.c.post(
            "/api/chat",
            json={"persona_id": self.pid, "message": message, "client_id": client, "client_name": client},
            headers={"X-CSRF-Token": token},
        )
        assert r.status_code == 200, r.text
        return r.json()  # type: ignore[no-any-return]

    def client_of(self, conversation_id: str) -> str:
        from echome.db.models import Conversation

        with self.services.sessions() as db:
            conv = db.get(Conversation, conversation_id)
            assert conv is not None
            return str(conv.client_id)

    def messages(self, conversation_id: str) -> list[Any]:
        from echome.db.models import Message

        with self.services.sessions() as db:
            rows = db.scalars(
                select(Message)
                .where(Message.conversation_id == conversation_id)
                .order_by(Message.created_at, Message.id)
            ).all()
            return [(m.role, m.content, dict(m.meta or {}), m.id) for m in rows]

    def state(self, conversation_id: str) -> str:
        from echome.db.models import Conversation

        with self.services.sessions() as db:
            conv = db.get(Conversation, conversation_id)
            assert conv is not None
            return conv.state

    def post(self, path: str, data: dict[str, str], *, token: str | None = None) -> Any:
        form = {**data, "csrf_token": token if token is not None else csrf_token(self.page())}
        return self.c.post(path, data=form, headers=HTML, follow_redirects=False)


@pytest.fixture
def desk(tmp_path: Path, database_url: str | None) -> Iterator[Desk]:
    """On SQLite and on PostgreSQL (the inbox's queries differ most between them)."""
    from echome.app.main import create_app
    from echome.bootstrap import build_services

    services = build_services(
        make_settings(tmp_path, database_url=database_url, vector_store="memory", embedder="fake")
    )
    try:
        app = create_app(services)
        web = app.state.web
        # The live feed looks often and ends soon, so a test reads a whole one.
        live = dataclasses.replace(web.handoff, live_interval=0.05, live_seconds=0.6)
        app.state.web = dataclasses.replace(web, handoff=live)
        with TestClient(app, base_url="http://testserver") as c:
            cookies = {}
            sign_up(c, email=f"bo-{uuid.uuid4().hex[:6]}@example.com", name="Bo")
            cookies["other"] = dict(c.cookies.items())
            c.cookies.clear()
            pid = sign_up(c, email=f"ana-{uuid.uuid4().hex[:6]}@example.com", name="Ana")
            cookies["ana"] = dict(c.cookies.items())
            yield Desk(c, services, pid, cookies)
    finally:
        services.close()


def _action(desk: Desk, cid: str, what: str) -> str:
    return f"{desk.inbox}/{cid}/{what}"


def _nonce(page: str, action: str) -> dict[str, str]:
    """The hidden fields of the form posting to `action` (its one-time nonce, a draft's id)."""
    form = re.search(rf'<form[^>]*action="{re.escape(action)}"[^>]*>(.*?)</form>', page, re.S)
    assert form, f"no form posts to {action}"
    return {
        n: html.unescape(v)
        for n, v in re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', form.group(1))
        if n != "csrf_token"
    }


def test_a_handed_off_thread_shows_it_waits_with_the_draft_and_the_seller_replies(desk: Desk) -> None:
    out = desk.ask("Can I talk to a real person please?")
    cid = out["conversation_id"]
    assert out["handoff"]["state"] == "waiting"
    client = desk.client_of(cid)

    page = desk.page("?needs=1")  # "Needs you" lists the handed-off thread
    assert "Waiting for you" in page and "The customer asks for a person" in page
    assert "draft answer, not sent" in page
    for label in ("Send draft", "Edit and send", "I&#39;ll answer", "Let the persona answer", "Send reply"):
        assert label in page, label
    assert f'action="{_action(desk, cid, "reply")}"' in page
    assert 'sse-connect="' + desk.inbox + "/live?" in page

    # Without the form's token nothing is done.
    for what, data in [("reply", {"text": "Hi!"}), ("claim", {}), ("release", {}), ("send-draft", {})]:
        refused = desk.post(_action(desk, cid, what), data, token="")
        assert refused.status_code == 403 and "This request was refused" in refused.text, what
    assert [m for m in desk.messages(cid) if m[0] in ("seller", "assistant")][-1][2].get("kind")
    assert desk.state(cid) == "waiting"

    # An empty reply is sent back with the error beside the field.
    reply = _action(desk, cid, "reply")
    empty = desk.post(reply, {"text": "   ", **_nonce(page, reply)})
    assert empty.status_code == 422 and "Write your reply first" in empty.text
    assert 'aria-invalid="true"' in empty.text

    fields = {"text": "Hi! Ana here, I'll help you myself.", **_nonce(page, _action(desk, cid, "reply"))}
    sent = desk.post(_action(desk, cid, "reply"), fields)
    assert sent.status_code == 303
    assert sent.headers["location"] == f"{desk.inbox}?c={client}&done=replied"
    again = desk.post(_action(desk, cid, "reply"), fields)  # a double submit sends nothing twice
    assert again.status_code == 303
    seller = [m for m in desk.messages(cid) if m[0] == "seller"]
    assert [m[1] for m in seller] == ["Hi! Ana here, I'll help you myself."]
    assert seller[0][2]["by"] == "dashboard" and desk.state(cid) == "seller"

    thread = desk.page(f"?c={client}&done=replied")
    assert "You&#39;re answering" in thread and "Your reply is on its way" in thread
    assert 'class="msg msg-answer msg-seller"' in thread and "Sending…" in thread
    assert "Hi! Ana here, I&#39;ll help you myself." in thread
    # The draft was superseded by the seller's own reply: no draft waits any more.
    assert "draft answer, not sent" not in thread and "Send draft" not in thread

    # The customer's side reads the seller's message as the seller's (the handoff API's thread).
    api = desk.c.get(f"/api/handoff/conversations/{cid}").json()
    assert api["messages"][-1]["role"] == "seller" and api["state"] == "seller"

    back = desk.post(_action(desk, cid, "release"), {})
    assert back.status_code == 303 and back.headers["location"].endswith("done=released")
    assert desk.state(cid) == "persona"
    assert "Persona answering" in desk.page(f"?c={client}")


def test_the_draft_is_sent_as_it_is_or_as_the_seller_edited_it(desk: Desk) -> None:
    first = desk.ask("Could I get a discount on a bigger order?", client="visitor-2")["conversation_id"]
    client = desk.client_of(first)
    page = desk.page(f"?c={client}")
    hidden = _nonce(page, _action(desk, first, "send-draft"))
    draft = next(m for m in desk.messages(first) if m[0] == "draft")
    assert hidden["draft_id"] == draft[3] and draft[1][:40] in html.unescape(page)
    r = desk.post(_action(desk, first, "send-draft"), hidden)
    assert r.status_code == 303 and r.headers["location"].endswith("done=draft-sent")
    sent = desk.messages(first)[-1]
    assert sent[0] == "assistant" and sent[1] == draft[1] and desk.state(first) == "persona"
    # The same draft again (another tab): nothing is sent twice, and the page says why.
    stale = desk.post(_action(desk, first, "send-draft"), {"draft_id": hidden["draft_id"]})
    assert stale.status_code == 303 and stale.headers["location"].endswith("done=no-draft")
    assert "already sent or replaced" in desk.page(f"?c={client}&done=no-draft")

    second = desk.ask("I want to speak to a human", client="visitor-3")["conversation_id"]
    page = desk.page(f"?c={desk.client_of(second)}")
    hidden = _nonce(page, _action(desk, second, "send-draft"))
    too_long = desk.post(_action(desk, second, "send-draft"), {**hidden, "text": "x" * 4001})
    assert too_long.status_code == 422 and "Keep it under 4,000 characters" in too_long.text
    assert "Edit and send" in too_long.text and " open>" in too_long.text  # the edit stays open
    r = desk.post(_action(desk, second, "send-draft"), {**hidden, "text": "Yes — from 5 pieces, 10% off."})
    assert r.status_code == 303
    last = desk.messages(second)[-1]
    assert last[0] == "seller" and last[1] == "Yes — from 5 pieces, 10% off."


def test_ill_answer_claims_and_htmx_gets_errors_it_can_swap(desk: Desk) -> None:
    cid = desk.ask("Is there a person I can talk to?", client="visitor-4")["conversation_id"]
    client = desk.client_of(cid)
    r = desk.post(_action(desk, cid, "claim"), {})
    assert r.status_code == 303 and r.headers["location"] == f"{desk.inbox}?c={client}&done=claimed"
    assert desk.state(cid) == "seller"
    page = desk.page(f"?c={client}&done=claimed")
    assert "You&#39;re answering" in page and "I&#39;ll answer" not in page
    assert "Let the persona answer" in page and "stays silent here" in page
    # A boosted form's mistake comes back as 200 (htmx swaps only successes), the address unchanged.
    token = csrf_token(page)
    r = desk.c.post(_action(desk, cid, "reply"), data={"text": "", "csrf_token": token}, headers=HX)
    assert r.status_code == 200 and "Write your reply first" in r.text
    assert r.headers["hx-push-url"] == f"{desk.inbox}?c={client}"


def test_another_seller_gets_404_for_every_action(desk: Desk) -> None:
    cid = desk.ask("Can I talk to a real person?", client="visitor-5")["conversation_id"]
    client = desk.client_of(cid)
    desk.be("other")
    home = desk.c.get("/app", headers=HTML, follow_redirects=True)
    theirs = re.search(r"/app/personas/([0-9a-f]{32})", str(home.url) + home.text)
    assert theirs and theirs.group(1) != desk.pid
    token = csrf_token(home.text)
    other_inbox = f"/app/personas/{theirs.group(1)}/conversations"
    for what, data in [
        ("claim", {}),
        ("release", {}),
        ("reply", {"text": "Hello from another shop"}),
        ("send-draft", {}),
    ]:
        # Through Ana's persona (not theirs) and through their own persona with Ana's conversation.
        for base in (desk.inbox, other_inbox):
            r = desk.c.post(f"{base}/{cid}/{what}", data={**data, "csrf_token": token}, headers=HTML)
            assert r.status_code == 404, (base, what, r.status_code)
            assert "not found" in r.text.lower()
    assert desk.c.get(f"{desk.inbox}?c={client}", headers=HTML).status_code == 404
    assert desk.c.get(f"{other_inbox}?c={client}", headers=HTML).status_code == 404
    assert desk.c.get(f"{desk.inbox}/live", headers=HTML).status_code == 404
    desk.be("ana")
    assert desk.state(cid) == "waiting"
    assert all(m[0] != "seller" for m in desk.messages(cid))


def _events(body: str) -> dict[str, str]:
    """Event name → its data (the HTML fragment), from a server-sent event stream."""
    out: dict[str, str] = {}
    for block in body.split("\n\n"):
        lines = block.splitlines()
        name = next((ln[7:] for ln in lines if ln.startswith("event: ")), None)
        if name:
            out[name] = "\n".join(ln[6:] for ln in lines if ln.startswith("data: "))
    return out


def _live_url(page: str) -> str:
    found = re.search(r'sse-connect="([^"]+)"', page)
    assert found
    return html.unescape(found.group(1))


def test_the_live_feed_sends_only_what_changed(desk: Desk) -> None:
    cid = desk.ask("Can I talk to a real person?", client="visitor-6")["conversation_id"]
    client = desk.client_of(cid)
    url = _live_url(desk.page(f"?c={client}"))

    quiet = desk.c.get(url)
    assert quiet.status_code == 200 and quiet.headers["content-type"].startswith("text/event-stream")
    assert _events(quiet.text) == {}  # nothing happened since the page was shown

    # A new customer is handed off meanwhile: the list changes, the open thread does not.
    desk.ask("I need a human for a wholesale question", client="visitor-7")
    events = _events(desk.c.get(url).text)
    assert set(events) == {"threads", "count"}
    assert "visitor-7" in events["threads"] and "Waiting for you" in events["threads"]
    assert events["count"] == "2"

    # The open thread is taken over elsewhere (the seller's Telegram): its state and messages change.
    desk.services.handoff_actions.reply(user_id=_uid(desk), conversation_id=cid, text="On it!", by="telegram")
    events = _events(desk.c.get(url).text)
    assert {"status", "messages", "threads"} <= set(events)
    assert "You&#39;re answering" in events["status"] and "On it!" in events["messages"]
    assert "Send draft" not in events["status"]

    # Opened again by the browser with the keys it last got (Last-Event-ID), nothing is sent twice.
    stream = desk.c.get(url)
    last_id = [ln[4:] for ln in stream.text.splitlines() if ln.startswith("id: ")]
    assert last_id and _events(stream.text)
    assert _events(desk.c.get(url, headers={"Last-Event-ID": last_id[-1]}).text) == {}


def _uid(desk: Desk) -> str:
    return str(desk.c.get("/api/auth/me").json()["id"])


def _make_live(desk: Desk) -> None:
    """Every step of Home's checklist done, so Home is the dashboard."""
    from echome.db.models import ApiKey, Client, Conversation, Message, Persona, PersonaProfile, Product
    from echome.db.session import transaction

    uid = _uid(desk)
    with transaction(desk.services.sessions) as db:
        persona = db.get(Persona, desk.pid)
        assert persona is not None
        persona.voice_id = "local:abc"
        profile = db.query(PersonaProfile).filter(PersonaProfile.persona_id == desk.pid).one()
        profile.auto_extracted = {"tone": {"energy": "calm"}}
        db.add(Product(user_id=uid, external_key="k", name="Linen Shirt", persona_id=desk.pid))
        db.add(ApiKey(user_id=uid, scope=desk.pid, provider="telegram_bot_token", ciphertext="x", hint="1"))
        tester = Client(user_id=uid, persona_id=desk.pid, channel="test", external_id="me", notes={})
        db.add(tester)
        db.flush()
        conv = Conversation(user_id=uid, persona_id=desk.pid, client_id=tester.id, channel="test")
        db.add(conv)
        db.flush()
        db.add(Message(user_id=uid, conversation_id=conv.id, role="assistant", content="Hello!"))


def test_home_counts_the_conversations_waiting_and_links_to_them(desk: Desk) -> None:
    _make_live(desk)
    home = desk.c.get(f"/app/personas/{desk.pid}", headers=HTML).text
    assert "Handed to you" in home and "No conversation waits for you" in home
    desk.ask("Can I talk to a real person?", client="visitor-8")
    desk.ask("I want to speak to a human", client="visitor-9")
    home = desk.c.get(f"/app/personas/{desk.pid}", headers=HTML).text
    assert "2</span> conversations waiting for your reply" in home
    assert f'href="{desk.inbox}?needs=1"' in home
    listed = desk.page("?needs=1")
    assert listed.count("Waiting for you") >= 2 and "visitor-8" in listed and "visitor-9" in listed
