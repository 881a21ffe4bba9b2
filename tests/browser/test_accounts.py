"""Accounts in a real browser: sign up, sign in, sign out, everywhere, password change, CSRF."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from .conftest import PASSWORD, Browsing, Look, Server, sign_in, sign_up

pytestmark = pytest.mark.slow  # a real server and browser

SIGNIN_PAGE = re.compile(r"/signin\?")


def test_sign_up_starts_the_guided_setup_and_sign_in_opens_home(browsing: Browsing, look_at: Look) -> None:
    page = browsing.new_page()
    page.goto("/")
    look_at(page, "landing")
    page.get_by_role("link", name="Create account").first.click()
    expect(page.get_by_role("heading", name="Create your account")).to_be_visible()
    look_at(page, "signup")
    email = sign_up(page, name="Ana Souza", home=False)
    # A new seller starts the guided setup of their first persona, at its first step.
    expect(page.get_by_role("heading", level=1)).to_have_text("Add recordings")
    expect(page.locator('.stepper [aria-current="step"]')).to_contain_text("Add recordings")
    home = re.sub(r"/setup/recordings$", "", page.url)

    # A seller who already has an account signs in to their Home, not to the setup.
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_text("You are signed out.")).to_be_visible()
    sign_in(page, email)
    expect(page).to_have_url(home)
    expect(page.get_by_role("heading", level=1)).to_have_text("Ana Souza")
    checklist = page.locator(".checklist > li")
    expect(checklist).to_have_count(5)
    expect(page.get_by_text("0 of 5 steps done")).to_be_visible()
    for title in ("Your voice", "Your persona", "Your catalog", "A channel connected", "A first test answer"):
        expect(page.get_by_role("heading", name=re.compile(title))).to_be_visible()
    # Each unfinished step links to its page.
    expect(page.get_by_role("link", name="Upload catalog")).to_have_attribute(
        "href", re.compile(r"/catalog$")
    )
    expect(page.get_by_role("navigation", name="Main").get_by_role("link", name="Home")).to_have_attribute(
        "aria-current", "page"
    )
    look_at(page, "home-checklist")


def test_wrong_password_is_explained_next_to_the_field(browsing: Browsing, look_at: Look) -> None:
    page = browsing.new_page()
    email = sign_up(page)
    page.context.clear_cookies()
    page.goto("/signin")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password", exact=True).fill("not my password")
    page.get_by_role("button", name="Sign in").click()
    password = page.get_by_label("Password", exact=True)
    expect(password).to_have_attribute("aria-invalid", "true")
    error = page.locator("#f-password-error")
    expect(error).to_have_text(re.compile("Wrong email or password"))
    expect(password).to_have_attribute("aria-describedby", re.compile("f-password-error"))
    expect(page.get_by_label("Email")).to_have_value(email)  # nothing typed is lost
    look_at(page, "signin-wrong-password")
    assert "/app/" not in page.url


def test_an_empty_form_says_what_is_missing(page: Any) -> None:
    page.goto("/signin")
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("#f-email-error")).to_have_text(re.compile("Enter the email"))
    expect(page.locator("#f-password-error")).to_have_text(re.compile("Enter your password"))


def test_after_sign_out_the_old_cookie_is_refused(browsing: Browsing, server: Server) -> None:
    page = browsing.new_page()
    sign_up(page)
    old = {c["name"]: c["value"] for c in page.context.cookies()}["echome_session"]
    assert httpx.get(f"{server.url}/api/auth/me", cookies={"echome_session": old}).status_code == 200
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_text("You are signed out.")).to_be_visible()

    # The stolen copy of the cookie is worthless now: in a browser and for the API.
    thief = browsing.new_page()
    thief.context.add_cookies([{"name": "echome_session", "value": old, "url": server.url}])
    thief.goto("/app")
    expect(thief).to_have_url(SIGNIN_PAGE)
    expect(thief.get_by_text("Your session has ended")).to_be_visible()
    me = httpx.get(f"{server.url}/api/auth/me", cookies={"echome_session": old})
    assert me.status_code == 401


def test_sign_out_everywhere_ends_every_browser(browsing: Browsing, look_at: Look) -> None:
    laptop = browsing.new_page()
    email = sign_up(laptop)
    phone = browsing.new_page()
    sign_in(phone, email)
    laptop.get_by_role("link", name=re.compile("Ana")).last.click()  # the account link
    expect(laptop.get_by_role("heading", level=1)).to_be_visible()
    expect(laptop.locator("table tbody tr")).to_have_count(2)
    look_at(laptop, "account")
    laptop.get_by_role("button", name="Sign out everywhere").click()
    expect(laptop.get_by_text("You are signed out on every device.")).to_be_visible()
    phone.reload()
    expect(phone).to_have_url(SIGNIN_PAGE)
    laptop.goto("/app")
    expect(laptop).to_have_url(SIGNIN_PAGE)


def test_password_change_keeps_this_browser_and_ends_the_others(browsing: Browsing, look_at: Look) -> None:
    mine = browsing.new_page()
    email = sign_up(mine)
    other = browsing.new_page()
    sign_in(other, email)

    mine.goto("/app/account")
    mine.get_by_label("Current password").fill("a wrong guess")
    mine.get_by_label("New password", exact=True).fill("a brand new secret")
    mine.get_by_label("New password again").fill("a brand new secret")
    mine.get_by_role("button", name="Change password").click()
    expect(mine.locator("#f-current_password-error")).to_have_text(re.compile("current password is wrong"))
    look_at(mine, "account-password-error")

    mine.get_by_label("Current password").fill(PASSWORD)
    mine.get_by_label("New password", exact=True).fill("a brand new secret")
    mine.get_by_label("New password again").fill("a brand new secret")
    mine.get_by_role("button", name="Change password").click()
    expect(mine.get_by_text("Password changed.")).to_be_visible()
    expect(mine.locator("table tbody tr")).to_have_count(1)  # only this browser is left

    other.goto("/app")
    expect(other).to_have_url(SIGNIN_PAGE)
    other.get_by_label("Email").fill(email)
    other.get_by_label("Password", exact=True).fill(PASSWORD)
    other.get_by_role("button", name="Sign in").click()
    expect(other.locator("#f-password-error")).to_be_visible()
    sign_in(other, email, "a brand new secret")


def test_a_form_post_without_its_csrf_token_is_refused(
    browsing: Browsing, server: Server, look_at: Look
) -> None:
    page = browsing.new_page()
    sign_up(page)
    page.goto("/app/personas/new")
    page.get_by_label("Name").fill("Forged")
    page.locator("form[action='/app/personas'] input[name=csrf_token]").evaluate("el => el.remove()")
    page.get_by_role("button", name="Create persona").click()
    expect(page.get_by_role("heading", name="This request was refused")).to_be_visible()
    expect(page.get_by_text("nothing was changed")).to_be_visible()
    look_at(page, "error-403-csrf")
    # The same post with a wrong token, and a script's write without the header, are refused too.
    cookies = {c["name"]: c["value"] for c in page.context.cookies()}
    forged = httpx.post(
        f"{server.url}/app/personas",
        data={"name": "Forged", "csrf_token": "guessed"},
        cookies=cookies,
        headers={"Accept": "text/html"},
    )
    assert forged.status_code == 403
    api = httpx.post(f"{server.url}/api/personas", json={"name": "Forged"}, cookies=cookies)
    assert api.status_code == 403 and api.json()["error"] == "csrf_failed"
    names = httpx.get(f"{server.url}/api/personas", cookies=cookies).json()
    assert "Forged" not in [p["name"] for p in names]
