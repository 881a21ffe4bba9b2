"""A handoff notice in a conversation's thread ("I've asked Ana to answer you personally…") is said
by the desk, not checked by the guardrail: its bubble says it was sent automatically and shows no
"Safety check" line, while the persona's checked answers keep theirs.

The pages' own fixture (`test_handoff_pages`): real app, browser session, SQLite and PostgreSQL."""

from __future__ import annotations

import re

from tests.api.test_handoff_pages import Desk, desk  # noqa: F401  (the fixture)
from tests.support.web_pages import csrf_token

CATALOG = b"""name,sku,price,stock,description
Harbor Linen Shirt,HL-100,48.00,12,Breathable linen shirt with mother-of-pearl buttons.
"""


def _bubble(page: str, message_id: str) -> str:
    """The message's list item: its classes and everything up to the next message or the thread's end."""
    found = re.search(rf'<li class="([^"]*)" id="m-{message_id}">(.*?)(?=<li class="msg |</ol>)', page, re.S)
    assert found, f"no message m-{message_id} on the page"
    return found.group(1) + found.group(2)


def test_a_handoff_notice_shows_no_safety_check_line(desk: Desk) -> None:  # noqa: F811
    up = desk.c.post(
        "/api/products/upload",
        files={"file": ("shop.csv", CATALOG)},
        data={"persona_id": desk.pid},
        headers={"X-CSRF-Token": csrf_token(desk.page())},
    )
    assert up.status_code in (200, 202), up.text
    desk.services.executor.execute(up.json()["job_id"])

    answered = desk.ask("How much is the Harbor Linen Shirt?")
    assert answered["handoff"] is None and "$48" in answered["answer"]
    handed = desk.ask("Can I talk to a real person please?")
    assert handed["handoff"]["state"] == "waiting"
    notice_id = handed["message_id"]
    meta = next(m[2] for m in desk.messages(handed["conversation_id"]) if m[3] == notice_id)
    assert meta["kind"] == "handoff-notice" and meta.get("guardrail")  # the turn's check, not the notice's

    page = desk.page(f"?c={desk.client_of(handed['conversation_id'])}")
    answer = _bubble(page, answered["message_id"])
    assert "Safety check: nothing to change" in answer and "Sources (1)" in answer
    notice = _bubble(page, notice_id)
    assert "msg-notice" in notice and "Sent automatically about the handoff" in notice
    assert "I&#39;ve asked Ana to answer you personally" in notice
    assert "Safety check" not in notice and "Composed from your catalog" not in notice
