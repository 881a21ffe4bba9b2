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
