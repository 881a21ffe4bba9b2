"""Test chat and Conversations in a real browser: a question with a playable voice note, sources and
the safety check, rating an answer, the inbox with j/k and one pane at a time on a phone."""

from __future__ import annotations

import re
import sqlite3
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from .conftest import PHONE, Browsing, Look, Server, screenshot, sign_up

pytestmark = pytest.mark.slow  # a real server and browser

APPAREL = Path(__file__).resolve().parents[2].parent / "shared" / "eval" / "csv" / "apparel.csv"


def _import_catalog(page: Any, persona_id: str) -> None:
    """The catalog through the HTTP API with the browser's own session (the Catalog page is another
    family's); waits for the import job."""
    token = page.locator("input[name=csrf_token]").first.get_attribute("value")
    r = page.request.post(
        "/api/products/upload",
        multipart={
            "file": {"name": "apparel.csv", "mimeType": "text/csv", "buffer": APPAREL.read_bytes()},
            "persona_id": persona_id,
        },
        headers={"X-CSRF-Token": token},
    )
    assert r.status == 202, r.text()
    job = r.json()["job_id"]
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        status = page.request.get(f"/api/jobs/{job}").json()["status"]
        if status in ("completed", "failed", "cancelled"):
            assert status == "completed"
            return
        time.sleep(0.3)
    pytest.fail("the catalog import did not finish")


def _telegram_thread(server: Server, user_id: str, persona_id: str, name: str) -> None:
    """What a Telegram customer's conversation leaves in the database."""
    now = "2026-01-01 09:00:00.000000"
    client, conv = uuid.uuid4().hex, uuid.uuid4().hex
    db = sqlite3.connect(server.database, timeout=30)
    try:
        with db:
            db.execute(
                "INSERT INTO clients (id, user_id, persona_id, channel, external_id, name, notes, created_at,"
                " updated_at) VALUES (?, ?, ?, 'telegram', ?, ?, ?, ?, ?)",
                (
                    client,
                    user_id,
                    persona_id,
                    uuid.uuid4().hex[:8],
                    name,
                    '{"stage": "needs_seller", "preferences": ["linen"]}',
                    now,
                    now,
                ),
            )
            db.execute(
                "INSERT INTO conversations (id, user_id, persona_id, client_id, channel, created_at,"
                " updated_at) VALUES (?, ?, ?, ?, 'telegram', ?, ?)",
                (conv, user_id, persona_id, client, now, now),
            )
            for second, (role, text, meta) in enumerate(
                (
                    ("user", "Do you ship to Lisbon?", '{"transcribed_from": "AgAD"}'),
                    (
                        "assistant",
                        "Let me ask about shipping to Lisbon and come back to you.",
                        '{"mode": "composer"}',
                    ),
                )
            ):
                db.execute(
                    "INSERT INTO messages (id, user_id, conversation_id, role, content, citations, timings,"
                    " meta, created_at) VALUES (?, ?, ?, ?, ?, '[]', '{}', ?, ?)",
                    (uuid.uuid4().hex, user_id, conv, role, text, meta, now.replace(":00.", f":0{second}.")),
                )
    finally:
        db.close()


def test_test_chat_answers_with_a_voice_note_sources_and_a_rating(
    browsing: Browsing, server: Server, look_at: Look
) -> None:
    page = browsing.new_page()
    sign_up(page, name="Ana")
    persona_id = page.url.rsplit("/", 1)[1]
    _import_catalog(page, persona_id)

    # "Ask about this product" on the Catalog page opens Test chat pre-filled.
    page.goto(f"/app/personas/{persona_id}/chat?q=How+much+is+the+Classic+Varsity+Top%3F")
    expect(page.get_by_role("heading", level=1)).to_have_text("Talk to Ana")
    box = page.get_by_label("Your question")
    expect(box).to_have_value("How much is the Classic Varsity Top?")
    expect(page.get_by_label("Answer with a voice note too")).to_be_checked()
    look_at(page, "test-chat-empty")
    page.get_by_role("button", name="Send").click()

    answer = page.locator(".msg-answer").last
    expect(answer).to_contain_text("$60", timeout=60_000)
    expect(box).to_have_value("")  # ready for the next question
    player = answer.locator("audio")
    expect(player).to_have_count(1)
    duration = player.evaluate(
        """a => new Promise((ok, fail) => {
             a.addEventListener('loadedmetadata', () => ok(a.duration), {once: true});
             a.addEventListener('error', () => fail(new Error('the voice note did not load')), {once: true});
             a.preload = 'auto'; a.load();
           })"""
    )
    assert duration > 0.3
    answer.get_by_text(re.compile(r"Sources \(\d+\)")).click()
    expect(answer.locator(".sources")).to_contain_text("Classic Varsity Top")
    answer.get_by_text(re.compile("Safety check")).click()
    expect(answer.locator(".fold-body").first).to_be_visible()

    # A thumbs-down with a comment and a better answer, saved for evaluation.
    answer.get_by_text("Add a comment or a better answer").click()
    answer.get_by_label("Comment").fill("Say which sizes are left.")
    answer.get_by_label("A better answer").fill("It's $60, in Small, Medium and Large.")
    answer.get_by_role("button", name="Needs work").click()
    expect(answer.get_by_role("status")).to_contain_text("Saved with your notes")
    expect(answer.get_by_role("button", name="Needs work")).to_have_attribute("aria-pressed", "true")

    # A second question by keyboard, without a voice note.
    page.get_by_label("Answer with a voice note too").uncheck()
    box.fill("Do you have the Ocean Blue Shirt?")
    box.press("Control+Enter")
    expect(page.locator(".msg-answer")).to_have_count(2, timeout=60_000)
    expect(page.locator(".msg-answer").last.locator("audio")).to_have_count(0)
    look_at(page, "test-chat")

    # After a reload (the same page without script would show) the rating is still there.
    page.reload()
    expect(page.locator(".msg-answer").first.get_by_role("button", name="Needs work")).to_have_attribute(
        "aria-pressed", "true"
    )
    page.goto(f"/app/personas/{persona_id}")
    step = page.locator(".checklist > li").filter(has_text="A first test answer")
    expect(step).to_have_class(re.compile("is-done"))


def test_conversations_inbox_threads_keyboard_and_phone_panes(
    browsing: Browsing, server: Server, look_at: Look
) -> None:
    page = browsing.new_page()
    sign_up(page, name="Bea")
    persona_id = page.url.rsplit("/", 1)[1]
    inbox = f"/app/personas/{persona_id}/conversations"
    page.goto(inbox)
    expect(page.get_by_role("heading", name="No conversations yet")).to_be_visible()
    look_at(page, "conversations-empty")
    page.get_by_role("link", name="Try it in Test chat").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Talk to Bea")

    user_id = page.request.get("/api/auth/me").json()["id"]
    for name in ("Maya", "Leo", "Ines"):
        _telegram_thread(server, user_id, persona_id, name)
    page.get_by_label("Answer with a voice note too").uncheck()
    page.get_by_label("Your question").fill("Hello, what do you sell?")
    page.get_by_role("button", name="Send").click()
    expect(page.locator(".msg-answer")).to_have_count(1, timeout=60_000)

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Conversations").click()
    threads = page.locator("[data-thread]")
    expect(threads).to_have_count(4)
    expect(threads.first).to_have_attribute("aria-current", "true")  # the newest: the test chat
    expect(page.get_by_text("move between threads")).to_be_visible()
    page.wait_for_load_state("load")  # the page's script listens for j/k once it has run
    page.keyboard.press("j")
    expect(threads.nth(1)).to_have_attribute("aria-current", "true")
    expect(page).to_have_url(re.compile(r"\?c=[0-9a-f]{32}$"))
    expect(page.locator(".inbox-thread")).to_contain_text("Voice note, transcribed")
    expect(page.locator(".inbox-card")).to_contain_text("linen")
    page.keyboard.press("k")
    expect(threads.first).to_have_attribute("aria-current", "true")
    page.get_by_label("Channel").select_option("telegram")
    expect(threads).to_have_count(3)
    page.get_by_text("Needs you", exact=True).first.click()
    expect(threads).to_have_count(3)
    look_at(page, "conversations")

    # A phone: one pane at a time, list → thread → card.
    phone = browsing.new_page(viewport=PHONE)
    phone.context.add_cookies(page.context.cookies())
    phone.goto(inbox)
    expect(phone.locator(".inbox-list")).to_be_visible()
    expect(phone.locator(".inbox-thread")).to_be_hidden()
    phone.locator("[data-thread]").filter(has_text="Maya").click()
    expect(phone.locator(".inbox-thread")).to_be_visible()
    expect(phone.locator(".inbox-list")).to_be_hidden()
    screenshot(phone, "conversations-thread")
    phone.get_by_role("link", name="Customer details").click()
    expect(phone.locator(".inbox-card")).to_be_visible()
    expect(phone.locator(".inbox-thread")).to_be_hidden()
    look_at(phone, "conversations-card")
    phone.get_by_role("link", name="Back to the thread").click()
    phone.get_by_role("link", name="All threads").click()
    expect(phone.locator(".inbox-list")).to_be_visible()
