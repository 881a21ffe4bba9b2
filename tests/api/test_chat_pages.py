"""Test chat and Conversations over HTTP: asking, rating, voice notes, the inbox, tenancy, CSRF
(the browser suite drives the same pages in Chromium)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from echome.db.models import AnswerFeedback, Client, Conversation, Message
from echome.db.session import transaction
from tests.support.web_pages import HTML
from tests.support.web_pages import csrf_token as _token
from tests.support.web_pages import sign_up as _sign_up

HX = {"HX-Request": "true"}
APPAREL = Path(__file__).resolve().parents[2].parent / "shared" / "eval" / "csv" / "apparel.csv"


def _chat(pid: str) -> str:
    return f"/app/personas/{pid}/chat"


def _after(html: str) -> str:
    found = re.search(r'name="after" id="chat-after" value="([^"]*)"', html)
    assert found is not None
    return found.group(1)


def _ask(client: Any, pid: str, question: str, *, htmx: bool = False, voice: bool = False) -> Any:
    page = client.get(_chat(pid), headers=HTML).text
    data = {"csrf_token": _token(page), "after": _after(page), "message": question}
    if voice:
        data["voice"] = "on"
    return client.post(
        _chat(pid), data=data, headers={**HTML, **(HX if htmx else {})}, follow_redirects=False
    )


def _count(services: Any, model: Any) -> int:
    with transaction(services.sessions) as db:
        return int(db.scalar(select(func.count()).select_from(model)) or 0)


@pytest.fixture
def shop(client: Any, services: Any) -> tuple[Any, Any, str]:
    """A seller signed up through the pages, with a real Shopify export imported."""
    pid = _sign_up(client)
    token = _token(client.get(_chat(pid), headers=HTML).text)
    up = client.post(
        "/api/products/upload",
        files={"file": ("apparel.csv", APPAREL.read_bytes())},
        data={"persona_id": pid},
        headers={"X-CSRF-Token": token},
    )
    assert up.status_code == 202, up.text
    services.executor.execute(up.json()["job_id"])
    return client, services, pid


def test_a_test_question_is_answered_with_sources_and_completes_the_checklist(shop: Any) -> None:
    client, _services, pid = shop
    home = client.get(f"/app/personas/{pid}", headers=HTML).text
    assert (
        re.search(r'class="step[^"]*"[^>]*data-step="test"', home) and 'is-done" data-step="test"' not in home
    )
    r = _ask(client, pid, "How much is the Classic Varsity Top?")
    assert r.status_code == 303 and r.headers["location"] == _chat(pid) + "#latest"
    page = client.get(_chat(pid), headers=HTML).text
    assert "How much is the Classic Varsity Top?" in page
    assert "$60" in page and "Sources (" in page and "Classic Varsity Top" in page
    assert "Safety check" in page and "Rate this answer" in page
    home = client.get(f"/app/personas/{pid}", headers=HTML).text
    assert 'is-done" data-step="test"' in home and "Your persona has answered a question." in home


def test_htmx_appends_the_turn_and_a_double_submit_answers_once(shop: Any) -> None:
    client, services, pid = shop
    page = client.get(_chat(pid), headers=HTML).text
    data = {"csrf_token": _token(page), "after": _after(page), "message": "Do you sell the Ocean Blue Shirt?"}
    first = client.post(_chat(pid), data=data, headers={**HTML, **HX})
    assert first.status_code == 200 and "<html" not in first.text
    assert first.text.count('class="msg ') == 2 and "Ocean Blue Shirt?" in first.text
    # The same form sent again (its `after` is stale): the answer already given comes back.
    again = client.post(_chat(pid), data=data, headers={**HTML, **HX})
    assert again.status_code == 200 and again.text.count('class="msg ') == 2
    assert _count(services, Message) == 2
    # Without htmx the same.
    assert client.post(_chat(pid), data=data, headers=HTML, follow_redirects=False).status_code == 303
    assert _count(services, Message) == 2


def test_bad_questions_are_shown_next_to_the_field(client: Any, services: Any) -> None:
    pid = _sign_up(client)
    r = _ask(client, pid, "   ")
    assert r.status_code == 422 and 'id="f-message-error"' in r.text and "Type a question" in r.text
    long = "Is it blue? " * 200
    r = _ask(client, pid, long)
    assert r.status_code == 422 and "under 2,000 characters" in r.text and "Is it blue?" in r.text
    hx = _ask(client, pid, "", htmx=True)
    assert hx.status_code == 200 and hx.headers["hx-retarget"] == "#chat-form"
    assert 'id="f-message-error"' in hx.text and "<html" not in hx.text
    assert _count(services, Message) == 0


def test_the_question_is_prefilled_from_the_address(client: Any) -> None:
    pid = _sign_up(client)
    page = client.get(_chat(pid) + "?q=Is+the+%3Cb%3Eblue%3C%2Fb%3E+one+in+stock%3F", headers=HTML).text
    assert ">Is the &lt;b&gt;blue&lt;/b&gt; one in stock?</textarea>" in page
    assert "Ask your first question" in page


def test_answers_are_rated_once_each_and_kept(shop: Any) -> None:
    client, services, pid = shop
    _ask(client, pid, "How much is the Classic Varsity Top?")
    page = client.get(_chat(pid), headers=HTML).text
    mid = re.search(r'id="fb-([0-9a-f]{32})"', page).group(1)  # type: ignore[union-attr]
    url = f"{_chat(pid)}/answers/{mid}/feedback"
    token = _token(page)
    up = client.post(url, data={"csrf_token": token, "rating": "up"}, headers=HX)
    assert up.status_code == 200 and 'aria-pressed="true"' in up.text and "Saved" in up.text
    down = client.post(
        url,
        data={
            "csrf_token": token,
            "rating": "down",
            "comment": "Too short",
            "corrected": "It is $60, in S-L.",
        },
        follow_redirects=False,
    )
    assert down.status_code == 303 and down.headers["location"].endswith(f"#m-{mid}")
    with transaction(services.sessions) as db:
        rows = db.scalars(select(AnswerFeedback)).all()
        assert [(f.rating, f.comment, f.corrected_answer, f.persona_id) for f in rows] == [
            ("down", "Too short", "It is $60, in S-L.", pid)
        ]
    bad = client.post(url, data={"csrf_token": token, "rating": "meh", "comment": "kept"}, headers=HX)
    assert bad.status_code == 200 and "Choose" in bad.text and ">kept</textarea>" in bad.text
    long = client.post(url, data={"csrf_token": token, "rating": "up", "comment": "x" * 2001})
    assert long.status_code == 422 and f'id="fb-{mid}-comment-error"' in long.text
    assert (
        client.post(url.replace(mid, "0" * 32), data={"csrf_token": token, "rating": "up"}).status_code == 404
    )
    with transaction(services.sessions) as db:
        assert db.scalar(select(AnswerFeedback.rating)) == "down"


def test_forms_without_the_session_token_are_refused(shop: Any) -> None:
    client, services, pid = shop
    for data in ({"message": "Hello?"}, {"message": "Hello?", "csrf_token": "forged"}):
        r = client.post(_chat(pid), data=data, headers=HTML)
        assert r.status_code == 403 and "This request was refused" in r.text
    assert _count(services, Message) == 0
    _ask(client, pid, "Hello, do you have shirts?")
    with transaction(services.sessions) as db:
        mid = db.scalar(select(Message.id).where(Message.role == "assistant"))
    r = client.post(f"{_chat(pid)}/answers/{mid}/feedback", data={"rating": "up"}, headers=HTML)
    assert r.status_code == 403 and _count(services, AnswerFeedback) == 0
    assert client.post(f"{_chat(pid)}/restart", data={}, headers=HTML).status_code == 403


def test_start_over_begins_a_new_test_conversation(shop: Any) -> None:
    client, services, pid = shop
    _ask(client, pid, "Do you have the Ocean Blue Shirt?")
    page = client.get(_chat(pid), headers=HTML).text
    r = client.post(f"{_chat(pid)}/restart", data={"csrf_token": _token(page)}, follow_redirects=False)
    assert r.status_code == 303
    page = client.get(_chat(pid), headers=HTML).text
    assert "Ask your first question" in page and "Ocean Blue Shirt?" not in page
    assert _count(services, Conversation) == 2


def _telegram_customer(services: Any, uid: str, pid: str, *, audio_key: str | None = None) -> tuple[str, str]:
    with transaction(services.sessions) as db:
        customer = Client(
            user_id=uid,
            persona_id=pid,
            channel="telegram",
            external_id="4242",
            name="Maya",
            notes={
                "stage": "needs_seller",
                "preferences": ["linen shirts"],
                "budget": {"text": "under $80"},
                "products_discussed": [{"product_id": "p1", "name": "Ocean Blue Shirt", "sku": "OBS-1"}],
            },
        )
        db.add(customer)
        db.flush()
        conv = Conversation(user_id=uid, persona_id=pid, client_id=customer.id, channel="telegram")
        db.add(conv)
        db.flush()
        db.add(
            Message(
                user_id=uid,
                conversation_id=conv.id,
                role="user",
                content="Do you ship to Lisbon?",
                meta={"transcribed_from": "AgAD"},
            )
        )
        db.flush()
        answer = Message(
            user_id=uid,
            conversation_id=conv.id,
            role="assistant",
            content="Let me ask Ana about shipping to Lisbon.",
            citations=[{"name": "Ocean Blue Shirt", "sku": "OBS-1", "text": "Ocean blue cotton shirt."}],
            audio_ref=audio_key,
            meta={"mode": "composer", "guardrail": {"composer": {"unsupported": [], "removed": []}}},
        )
        db.add(answer)
        db.flush()
        return customer.id, answer.id


def test_conversations_inbox_lists_threads_with_filters_thread_and_card(client: Any, services: Any) -> None:
    pid = _sign_up(client)
    url = f"/app/personas/{pid}/conversations"
    empty = client.get(url, headers=HTML).text
    assert "No conversations yet" in empty and f'href="/app/personas/{pid}/chat"' in empty
    uid = client.get("/api/auth/me").json()["id"]
    key = services.storage.put("audio", uid, "responses/test.ogg", b"OggS fake voice note")
    cid, mid = _telegram_customer(services, uid, pid, audio_key=key)
    _ask(client, pid, "Hello there")  # the seller's own test chat is a thread too
    with transaction(services.sessions) as db:
        db.scalars(select(Client).where(Client.channel == "test")).one().notes = {"stage": "browsing"}
    page = client.get(url, headers=HTML).text
    assert "Maya" in page and "You (test chat)" in page and "Needs you" in page
    assert "<kbd>j</kbd>" in page and 'data-pane="list"' in page
    telegram = client.get(url + "?channel=telegram", headers=HTML).text
    assert "Maya" in telegram and "You (test chat)" not in telegram
    needs = client.get(url + "?needs=1", headers=HTML).text
    assert "Maya" in needs and "You (test chat)" not in needs
    assert "No threads match" in client.get(url + "?channel=web", headers=HTML).text
    assert "Maya" in client.get(url + "?today=1", headers=HTML).text
    thread = client.get(f"{url}?c={cid}", headers=HTML).text
    assert 'data-pane="thread"' in thread and "Voice note, transcribed" in thread
    assert "Do you ship to Lisbon?" in thread and "Sources (1)" in thread and "SKU OBS-1" in thread
    assert f'src="/app/personas/{pid}/messages/{mid}/audio"' in thread
    assert "linen shirts" in thread and "under $80" in thread and "Ocean Blue Shirt" in thread
    assert 'data-pane="card"' in client.get(f"{url}?c={cid}&pane=card", headers=HTML).text
    audio = client.get(f"/app/personas/{pid}/messages/{mid}/audio")
    assert audio.status_code == 200 and audio.content == b"OggS fake voice note"
    assert audio.headers["content-type"] == "audio/ogg"
    assert client.get(f"{url}?c={'0' * 32}", headers=HTML).status_code == 404


def test_another_sellers_chat_threads_and_voice_notes_are_404(app: Any, client: Any, services: Any) -> None:
    pid = _sign_up(client)
    uid = client.get("/api/auth/me").json()["id"]
    key = services.storage.put("audio", uid, "responses/x.ogg", b"OggS")
    cid, mid = _telegram_customer(services, uid, pid, audio_key=key)
    with TestClient(app, base_url="http://testserver") as other:
        own = _sign_up(other, "bo@example.com", "Bo")
        token = _token(other.get(_chat(own), headers=HTML).text)
        for path in (
            _chat(pid),
            f"/app/personas/{pid}/conversations",
            f"/app/personas/{pid}/messages/{mid}/audio",
        ):
            r = other.get(path, headers=HTML)
            assert r.status_code == 404 and "Maya" not in r.text, path
        # Through their own persona's addresses, the first seller's ids are not found either.
        assert other.get(f"/app/personas/{own}/messages/{mid}/audio", headers=HTML).status_code == 404
        assert other.get(f"/app/personas/{own}/conversations?c={cid}", headers=HTML).status_code == 404
        r = other.post(f"{_chat(own)}/answers/{mid}/feedback", data={"csrf_token": token, "rating": "down"})
        assert r.status_code == 404
        r = other.post(_chat(pid), data={"csrf_token": token, "message": "hi"}, headers=HTML)
        assert r.status_code == 404
    assert _count(services, AnswerFeedback) == 0
    with transaction(services.sessions) as db:
        assert db.scalar(select(func.count()).select_from(Message).where(Message.user_id != uid)) == 0
