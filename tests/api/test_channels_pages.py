"""The Channels page never waits for Telegram: it renders at once, and the bot's state (getMe,
getWebhookInfo) is a fragment loaded after it (htmx), answered within a bound whatever Telegram
does: slow, unreachable, or fine. Checked against the fake Bot API over real HTTP."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.servers.fixtures import fake_telegram  # noqa: F401
from tests.support.web_pages import HTML
from tests.support.web_pages import csrf_token as _token
from tests.support.web_pages import sign_up as _sign_up

from ..conftest import make_settings

HX = {"HX-Request": "true", **HTML}
CHECK_SECONDS = 1.5  # how long these tests' pages wait for Telegram


def _client(tmp_path: Path, database_url: str | None, api_url: str) -> Iterator[TestClient]:
    from echome.app.main import create_app
    from echome.bootstrap import build_services

    services = build_services(make_settings(tmp_path, database_url=database_url, telegram_api_url=api_url))
    try:
        app = create_app(services)
        web = app.state.web
        app.state.web = dataclasses.replace(
            web, settings=dataclasses.replace(web.settings, bot_check_seconds=CHECK_SECONDS)
        )
        with TestClient(app, base_url="http://testserver") as client:
            yield client
    finally:
        services.close()


@pytest.fixture
def with_fake(tmp_path: Path, database_url: str | None, fake_telegram: Any) -> Iterator[TestClient]:  # noqa: F811
    yield from _client(tmp_path, database_url, fake_telegram.api_url)


@pytest.fixture
def offline(tmp_path: Path, database_url: str | None) -> Iterator[TestClient]:
    yield from _client(tmp_path, database_url, "http://127.0.0.1:9")  # nothing listens there


def _connect(client: TestClient, token: str) -> str:
    pid = _sign_up(client)
    base = f"/app/personas/{pid}/channels"
    r = client.post(base + "/telegram", data={"token": token, "csrf_token": _token(client.get(base).text)})
    assert r.status_code == 200, r.text
    return base


def test_a_slow_telegram_leaves_the_page_fast_and_the_state_says_so(
    with_fake: TestClient,
    fake_telegram: Any,  # noqa: F811
) -> None:
    base = _connect(with_fake, fake_telegram.token)
    asked = len(fake_telegram.calls)
    fake_telegram.hang(10)  # the next request to Telegram takes 10 s

    started = time.monotonic()
    page = with_fake.get(base, headers=HTML)
    assert time.monotonic() - started < CHECK_SECONDS
    assert page.status_code == 200 and "Asking Telegram about your bot" in page.text
    assert f'hx-get="{base}/telegram/state"' in page.text and 'hx-trigger="load"' in page.text
    assert len(fake_telegram.calls) == asked  # rendering asked Telegram nothing

    started = time.monotonic()
    slow = with_fake.get(base + "/telegram/state", headers=HX)
    assert time.monotonic() - started < CHECK_SECONDS + 2
    assert slow.status_code == 200 and 'id="bot-state"' in slow.text
    assert f"Telegram did not answer within {CHECK_SECONDS:g} seconds" in slow.text
    assert "<html" not in slow.text  # a fragment for the page, not a page

    fine = with_fake.get(base + "/telegram/state", headers=HX)
    assert "@echome_test_bot" in fine.text and "Polling" in fine.text
    assert fake_telegram.token not in fine.text
    assert [c.api_method.lower() for c in fake_telegram.calls[asked:]] == ["getme", "getme", "getwebhookinfo"]


def test_an_unreachable_telegram_is_a_clear_state(offline: TestClient) -> None:
    base = _connect(offline, "123456:ABCdefGhIJKlmnoPQRstu-vwxyz0123456")
    assert "Asking Telegram about your bot" in offline.get(base, headers=HTML).text
    state = offline.get(base + "/telegram/state", headers=HX)
    assert state.status_code == 200 and "Telegram could not be reached" in state.text
    assert "Your token is kept" in state.text


def test_the_state_fragment_is_the_sellers_own_and_only_for_the_page(
    with_fake: TestClient,
    fake_telegram: Any,  # noqa: F811
) -> None:
    base = _connect(with_fake, fake_telegram.token)
    direct = with_fake.get(base + "/telegram/state", headers=HTML, follow_redirects=False)
    assert direct.status_code == 303 and direct.headers["location"] == base
    csrf = _token(with_fake.get(base, headers=HTML).text)
    with_fake.post(base + "/telegram/disconnect", data={"csrf_token": csrf})
    gone = with_fake.get(base + "/telegram/state", headers=HX)  # disconnected in another tab
    assert gone.status_code == 204 and gone.headers["hx-redirect"] == base
    with_fake.cookies.clear()
    _sign_up(with_fake, "bo@example.com", "Bo")
    assert with_fake.get(base + "/telegram/state", headers=HX).status_code == 404
