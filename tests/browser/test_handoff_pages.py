"""The seller in the loop, in a real browser against `echome serve`: a web chat customer asks for a
person; the seller, looking at Conversations, sees the thread arrive waiting for them (live, no
reload) with the reason and the persona's draft; they reply; the reply is stored as the seller's
and the customer reads it through the widget's own thread API. The Channels page's web chat,
notifications and handoff settings are looked at too."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from .conftest import Browsing, Look, Server, sign_up

pytestmark = pytest.mark.slow  # a real server and browser


class Customer:
    """A visitor of the seller's web chat, through the widget's public API (no Origin: not a page)."""

    def __init__(self, server: Server, slug: str) -> None:
        self.api = f"{server.url}/api/widget/{slug}"
        r = httpx.post(f"{self.api}/visitor", timeout=30)
        assert r.status_code == 201, r.text
        self.headers = {"X-Echome-Visitor": r.json()["token"]}

    def say(self, text: str) -> str:
        """Sends a message and reads the streamed answer to its end."""
        with httpx.stream(
            "POST",
            f"{self.api}/messages",
            json={"text": text, "audio": "none"},
            headers=self.headers,
            timeout=180,
        ) as r:
            assert r.status_code == 200, r.read()
            return r.read().decode()

    def thread(self) -> dict[str, Any]:
        r = httpx.get(f"{self.api}/thread", headers=self.headers, timeout=30)
        assert r.status_code == 200, r.text
        return r.json()  # type: ignore[no-any-return]


def test_a_customer_asks_for_a_person_and_the_seller_answers_from_conversations(
    browsing: Browsing, server: Server, look_at: Look
) -> None:
    page = browsing.new_page()
    sign_up(page, name="Ana")
    persona_id = page.url.rsplit("/", 1)[1]

    # Channels: the web chat's code and address, notifications, when the seller steps in.
    page.goto(f"/app/personas/{persona_id}/channels")
    expect(page.get_by_role("heading", name="Web chat")).to_be_visible()
    code = page.get_by_label("Code for your site")
    expect(code).to_have_value(re.compile(r'<script src=".*/widget\.js" data-persona="[a-z0-9-]+" async>'))
    slug = page.get_by_label("Address of your chat").input_value()
    page.get_by_label("Add a site").fill("https://shop.example.com/cart")
    page.get_by_role("button", name="Allow this site").click()
    expect(page.locator("#f-origin-error")).to_contain_text("has no path")
    page.get_by_label("Add a site").fill("https://shop.example.com")
    page.get_by_role("button", name="Allow this site").click()
    expect(page.get_by_role("list", name="Sites allowed to embed your web chat")).to_contain_text(
        "https://shop.example.com"
    )
    page.get_by_label("A pattern").check()
    page.get_by_label("Words or pattern").fill("(a+)+$")
    page.get_by_label("Why it needs you").fill("Odd pattern")
    page.get_by_role("button", name="Add rule").click()
    expect(page.locator("#f-what-error")).to_contain_text("nested quantifiers")
    expect(page.get_by_role("heading", name="Notifications to your Telegram")).to_be_visible()
    look_at(page, "channels-web-chat-handoff")

    # Conversations, empty, open while the first customer writes.
    inbox = f"/app/personas/{persona_id}/conversations"
    page.goto(inbox)
    expect(page.get_by_role("heading", name="No conversations yet")).to_be_visible()
    page.wait_for_load_state("load")  # the live feed is connected by the page's scripts

    customer = Customer(server, slug)
    told = customer.say("Hello! Can I talk to a real person about a custom order?")
    assert "event: done" in told or "event: answer" in told

    # The thread arrives without a reload, waiting for the seller, with the reason and the draft.
    panel = page.locator(".handoff")
    expect(panel).to_contain_text("Waiting for you", timeout=30_000)
    expect(page.locator("[data-thread]")).to_have_count(1)
    expect(panel.get_by_role("button", name="Send draft")).to_be_visible()
    expect(panel.get_by_text("Edit and send")).to_be_visible()
    expect(panel.get_by_role("button", name="I'll answer")).to_be_visible()
    expect(panel.get_by_role("button", name="Let the persona answer")).to_be_visible()
    expect(page.locator(".thread-reason").first).to_contain_text(re.compile("asks for a person|custom order"))
    look_at(page, "conversations-waiting")

    # A further customer message shows in the open thread, live.
    customer.say("I'm still here, thanks!")
    expect(page.locator(".inbox-thread .thread")).to_contain_text("I'm still here, thanks!", timeout=30_000)

    # The seller replies: stored as theirs, shown as theirs, and the conversation is theirs.
    page.get_by_label("Your reply").fill("Hi, it's Ana! Yes, I make custom orders. What do you have in mind?")
    page.get_by_role("button", name="Send reply").click()
    mine = page.locator(".msg-seller").last
    expect(mine).to_contain_text("Yes, I make custom orders")
    expect(mine.locator(".msg-who")).to_have_text("You")
    expect(page.locator(".handoff")).to_contain_text("You're answering")
    expect(page.get_by_role("status").filter(has_text="Your reply is on its way")).to_be_visible()
    expect(mine).to_contain_text("Delivered", timeout=30_000)  # the web chat's delivery job ran
    look_at(page, "conversations-seller-answering")

    thread = customer.thread()
    assert thread["state"] == "seller"
    last = thread["messages"][-1]
    assert last["role"] == "seller" and "Yes, I make custom orders" in last["text"]

    # Let the persona answer again.
    page.get_by_role("button", name="Let the persona answer").click()
    expect(page.locator(".handoff")).to_contain_text("Persona answering")
    assert customer.thread()["state"] == "persona"
