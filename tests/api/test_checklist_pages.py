"""Home's checklist counts the products a persona's answers come from, as the answer stage chooses
them: its own catalogs when it has any, else the seller's shared ones. Checked against real answers
in Test chat (the offline composer over the imported catalogs)."""

from __future__ import annotations

import re
from typing import Any

from tests.support.web_pages import HTML
from tests.support.web_pages import csrf_token as _token
from tests.support.web_pages import sign_up as _sign_up

OWN = b"sku,name,price,currency\nLS-1,Linen Shirt,48.00,EUR\n"
SHARED = b"sku,name,price,currency\nCT-2,Canvas Tote,22.00,EUR\nWS-3,Wool Scarf,35.00,EUR\n"


def _import(client: Any, services: Any, csrf: str, content: bytes, persona_id: str | None) -> None:
    r = client.post(
        "/api/products/upload",
        files={"file": ("catalog.csv", content)},
        data={"persona_id": persona_id} if persona_id else {},
        headers={"X-CSRF-Token": csrf},
    )
    assert r.status_code == 202, r.text
    services.executor.execute(r.json()["job_id"])


def _answer(client: Any, pid: str, question: str) -> str:
    chat = client.get(f"/app/personas/{pid}/chat", headers=HTML).text
    after = re.search(r'name="after" id="chat-after" value="([^"]*)"', chat)
    assert after
    data = {"csrf_token": _token(chat), "after": after.group(1), "message": question}
    r = client.post(f"/app/personas/{pid}/chat", data=data, headers=HTML)
    assert r.status_code == 200, r.text
    answer = r'<li class="msg msg-answer".*?<div class="msg-text">(.*?)</div>'
    answers = re.findall(answer, r.text, flags=re.S)
    assert answers, "no answer on the page"
    return str(answers[-1])


def _catalog_step(client: Any, pid: str) -> str:
    home = client.get(f"/app/personas/{pid}", headers=HTML).text
    found = re.search(r'data-step="catalog">.*?</li>', home, flags=re.S)
    assert found, "Home has no catalog step"
    return found.group(0)


def test_the_catalog_step_counts_what_the_answers_come_from(client: Any, services: Any) -> None:
    pid = _sign_up(client)
    page = client.get(f"/app/personas/{pid}/persona", headers=HTML).text
    csrf = _token(page)
    made = client.post(
        "/app/personas", data={"name": "Bags", "csrf_token": csrf}, headers=HTML, follow_redirects=False
    )
    other = made.headers["location"].split("/")[3].split("?")[0]
    _import(client, services, csrf, SHARED, None)
    _import(client, services, csrf, OWN, pid)

    # Ana has a catalog of its own: 1 product, and the shared 2 are said to be unused ...
    step = _catalog_step(client, pid)
    assert "1 product of its own catalog your persona can answer about." in step
    assert "Your shared catalog (2 products) is not used" in step
    # ... as its answers show: the shared tote is not something Ana sells.
    assert "48" in _answer(client, pid, "How much is the Linen Shirt?")
    assert "22" not in _answer(client, pid, "How much is the Canvas Tote?")

    # Bags has none of its own: the shared catalog's 2 products, which it answers from.
    step = _catalog_step(client, other)
    assert "2 products of your shared catalog your persona can answer about." in step
    assert "22" in _answer(client, other, "How much is the Canvas Tote?")
    assert "48" not in _answer(client, other, "How much is the Linen Shirt?")


def test_a_recording_with_two_voices_waits_for_the_seller_to_choose(client: Any, services: Any) -> None:
    """Home and the persona page send the seller to say which voice is theirs; nothing is measured
    from the recording until then."""
    from echome.db.models import Persona, PersonaMedia, Transcript
    from echome.db.session import transaction

    pid = _sign_up(client)
    lines = [("S1", "Hi friends, welcome back to the shop."), ("S2", "So what is new this week?")] * 4
    segments = [
        {"start": 4.0 * i, "end": 4.0 * i + 3.5, "text": text, "speaker": who, "words": []}
        for i, (who, text) in enumerate(lines)
    ]
    with transaction(services.sessions) as db:
        persona = db.get(Persona, pid)
        assert persona is not None
        media = PersonaMedia(
            user_id=persona.user_id, persona_id=pid, kind="upload", source="interview.mp4",
            title="Interview with Ana", status="ready", duration_seconds=32.0,
        )  # fmt: skip
        db.add(media)
        db.flush()
        db.add(
            Transcript(
                user_id=persona.user_id, media_id=media.id, model="test", language="en",
                text=" ".join(t for _, t in lines), segments=segments, seller_speaker="S1",
                speakers={"speakers": [{"id": "S1", "share": 0.5}, {"id": "S2", "share": 0.5}]},
            )
        )  # fmt: skip
        user_id = persona.user_id
    services.profiles.rebuild(persona_id=pid, user_id=user_id, change="test")

    home = client.get(f"/app/personas/{pid}", headers=HTML).text
    step = re.search(r'data-step="persona">.*?</li>', home, flags=re.S)
    assert step and "1 recording with several people talking" in step.group(0)
    assert f"/app/personas/{pid}/persona#speakers" in step.group(0)
    page = client.get(f"/app/personas/{pid}/persona", headers=HTML).text
    assert "Tell us which voice is yours" in page and "Interview with Ana" in page
    assert "Waiting for you" in page and "Our guess" in page
    assert "No recordings measured yet" not in page

    # the seller confirms the guess: the recording is measured, nothing waits any more
    r = client.post(
        f"/app/personas/{pid}/persona/recordings/{media.id}/speaker",
        data={"csrf_token": _token(page), "speaker": "S1"},
        headers=HTML,
        follow_redirects=False,
    )
    assert r.status_code in (302, 303), r.text
    services.profiles.rebuild(persona_id=pid, user_id=user_id, change="test")
    page = client.get(f"/app/personas/{pid}/persona", headers=HTML).text
    assert "Tell us which voice is yours" not in page and "Waiting for you" not in page
    home = client.get(f"/app/personas/{pid}", headers=HTML).text
    step = re.search(r'data-step="persona">.*?</li>', home, flags=re.S)
    assert step and "Learned from how you talk" in step.group(0)
