"""The app's frame in a real browser: personas, navigation, tenancy, keyboard, data on Home."""

from __future__ import annotations

import re
import sqlite3
import uuid

import httpx
import pytest
from playwright.sync_api import expect

from .conftest import PASSWORD, PHONE, Browsing, Look, Server, new_email, sign_up

pytestmark = pytest.mark.slow  # a real server and browser

SECTIONS = ("persona", "voice", "catalog", "conversations", "chat", "channels", "settings")


def test_a_second_seller_cannot_open_the_first_sellers_pages(browsing: Browsing, server: Server) -> None:
    first = browsing.new_page()
    sign_up(first, name="First")
    home = first.url
    second = browsing.new_page()
    sign_up(second, name="Second")
    for url in [home] + [f"{home}/{s}" for s in SECTIONS]:
        response = second.goto(url)
        assert response is not None and response.status == 404, url
        expect(second.get_by_role("heading", name="Persona not found")).to_be_visible()
        expect(second.get_by_text("First")).to_have_count(0)
    cookies = {c["name"]: c["value"] for c in second.context.cookies()}
    persona_id = home.rsplit("/", 1)[1]
    assert httpx.get(f"{server.url}/api/personas/{persona_id}", cookies=cookies).status_code == 404
    # The first seller still sees their own.
    assert first.goto(home).status == 200  # type: ignore[union-attr]


def test_personas_are_created_and_switched_from_the_navigation(browsing: Browsing, look_at: Look) -> None:
    page = browsing.new_page()
    sign_up(page, name="Ana")
    page.locator(".switcher summary").click()
    page.get_by_role("link", name="New persona").click()
    expect(page.get_by_role("heading", name="Create a persona")).to_be_visible()
    page.get_by_role("button", name="Create persona").click()  # no name
    expect(page.locator("#f-name-error")).to_have_text(re.compile("Give your persona a name"))
    page.get_by_label("Name").fill("Ana")  # taken
    page.get_by_role("button", name="Create persona").click()
    expect(page.locator("#f-name-error")).to_have_text(re.compile("already have a persona named"))
    look_at(page, "persona-new-error")
    page.get_by_label("Name").fill("Ana's Vintage")
    page.get_by_role("button", name="Create persona").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Ana's Vintage")
    expect(page.get_by_text("Persona created.")).to_be_visible()

    page.locator(".switcher summary").click()
    page.locator(".switcher-menu").get_by_role("link", name="Ana", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Ana")
    page.goto("/app")  # the persona last opened
    expect(page.get_by_role("heading", level=1)).to_have_text("Ana")


def test_every_section_opens_from_the_navigation_and_says_where_you_are(
    browsing: Browsing, look_at: Look
) -> None:
    page = browsing.new_page()
    sign_up(page)
    nav = page.get_by_role("navigation", name="Main")
    for label in ("Persona", "Voice", "Catalog", "Conversations", "Test chat", "Channels", "Settings"):
        nav.get_by_role("link", name=label, exact=True).click()
        expect(nav.get_by_role("link", name=label, exact=True)).to_have_attribute("aria-current", "page")
        expect(page.locator(".eyebrow").first).to_have_text(label, ignore_case=True)
    page.goto("/app/personas/new")
    look_at(page, "persona-new")
    page.goto("/app/styleguide")  # every component once
    expect(page.get_by_role("heading", name="Components", level=1)).to_be_visible()
    look_at(page, "components")
    page.goto("/no/such/page")
    expect(page.get_by_role("heading", name="Page not found")).to_be_visible()
    look_at(page, "error-404")


def test_sign_up_and_home_by_keyboard_alone(browsing: Browsing) -> None:
    page = browsing.new_page()
    page.goto("/signup")
    email = new_email("keys")
    typed = {"display_name": "Kim", "email": email, "password": PASSWORD}
    focused_without_ring: list[str] = []
    for _ in range(40):
        page.keyboard.press("Tab")
        active = page.evaluate(
            """() => {
              const el = document.activeElement, style = getComputedStyle(el);
              const ring = style.outlineStyle !== 'none' || style.boxShadow !== 'none';
              return {name: el.name || '', tag: el.tagName, text: el.textContent.trim(), ring};
            }"""
        )
        if not active["ring"]:
            focused_without_ring.append(f"{active['tag']} {active['name'] or active['text']}")
        if active["name"] in typed:
            page.keyboard.type(typed.pop(active["name"]))
        elif active["tag"] == "BUTTON" and active["text"] == "Create account" and not typed:
            page.keyboard.press("Enter")
            break
    page.wait_for_url(re.compile(r"/app/personas/[0-9a-f]{32}/setup/recordings$"))  # the guided setup
    expect(page.get_by_role("heading", level=1)).to_have_text("Add recordings")
    assert not focused_without_ring, f"focus not visible on: {focused_without_ring}"
    # From Home, the next step is reachable by keyboard too.
    page.goto(page.url.removesuffix("/setup/recordings"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Kim")
    page.keyboard.press("Tab")  # the skip link
    page.keyboard.press("Enter")
    for _ in range(10):
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement.textContent.trim()") == "Set up voice":
            break
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/app/personas/[0-9a-f]{32}/voice$"))
    expect(page.locator(".eyebrow").first).to_have_text("Voice")


def test_home_checklist_reads_the_real_data(browsing: Browsing, server: Server, look_at: Look) -> None:
    page = browsing.new_page()
    sign_up(page, name="Bea")
    persona_id = page.url.rsplit("/", 1)[1]
    user_id = httpx.get(
        f"{server.url}/api/auth/me", cookies={c["name"]: c["value"] for c in page.context.cookies()}
    ).json()["id"]
    _store(server, user_id, persona_id)
    page.reload()
    steps = page.locator(".checklist > li")
    expect(steps.filter(has_text="Your catalog")).to_contain_text("3 products")
    expect(steps.filter(has_text="Your catalog")).to_have_class(re.compile("is-done"))
    expect(steps.filter(has_text="A channel connected")).to_have_class(re.compile("is-done"))
    expect(steps.filter(has_text="A first test answer")).to_have_class(re.compile("is-done"))
    expect(steps.filter(has_text="Your voice")).not_to_have_class(re.compile("is-done"))
    expect(page.get_by_text("3 of 5 steps done")).to_be_visible()
    look_at(page, "home-checklist-progress")


def test_phone_navigation_opens_and_closes(browsing: Browsing) -> None:
    page = browsing.new_page(viewport=PHONE)
    sign_up(page)
    nav_link = page.get_by_role("navigation", name="Main").get_by_role("link", name="Catalog")
    expect(nav_link).to_be_hidden()
    page.get_by_role("button", name="Menu").click()
    expect(nav_link).to_be_visible()
    page.keyboard.press("Escape")
    expect(nav_link).to_be_hidden()
    page.get_by_role("button", name="Menu").click()
    nav_link.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Catalog")


def test_theme_choice_is_remembered(browsing: Browsing) -> None:
    page = browsing.new_page(color_scheme="light")
    page.goto("/")
    page.get_by_role("button", name="Dark").click()
    expect(page.locator("html")).to_have_attribute("data-theme", "dark")
    page.reload()
    expect(page.locator("html")).to_have_attribute("data-theme", "dark")
    expect(page.get_by_role("button", name="Dark")).to_have_attribute("aria-pressed", "true")
    background = page.evaluate("() => getComputedStyle(document.body).backgroundColor")
    assert background == "rgb(14, 16, 20)"
    page.get_by_role("button", name="Automatic").click()
    page.reload()
    expect(page.locator("html")).not_to_have_attribute("data-theme", re.compile("."))


def _store(server: Server, user_id: str, persona_id: str) -> None:
    """What the import, the Telegram connection and a test chat leave in the database."""
    now = "2026-01-01 00:00:00.000000"
    db = sqlite3.connect(server.database, timeout=30)
    try:
        with db:
            for n in range(3):
                db.execute(
                    "INSERT INTO products (id, user_id, persona_id, external_key, name, attributes,"
                    " created_at, updated_at) VALUES (?, ?, NULL, ?, ?, '{}', ?, ?)",
                    (uuid.uuid4().hex, user_id, f"sku-{n}", f"Product {n}", now, now),
                )
            db.execute(
                "INSERT INTO api_keys (id, user_id, scope, provider, ciphertext, hint, created_at,"
                " updated_at) VALUES (?, ?, ?, 'telegram_bot_token', 'x', 'abcd', ?, ?)",
                (uuid.uuid4().hex, user_id, persona_id, now, now),
            )
            conversation = uuid.uuid4().hex
            db.execute(
                "INSERT INTO conversations (id, user_id, persona_id, client_id, channel, created_at,"
                " updated_at) VALUES (?, ?, ?, NULL, 'web', ?, ?)",
                (conversation, user_id, persona_id, now, now),
            )
            db.execute(
                "INSERT INTO messages (id, user_id, conversation_id, role, content, citations, timings, meta,"
                " created_at) VALUES (?, ?, ?, 'assistant', 'Hello!', '[]', '{}', '{}', ?)",
                (uuid.uuid4().hex, user_id, conversation, now),
            )
    finally:
        db.close()
