"""The Channels page beside the Telegram bot: the web chat (embed code, hosted page, its address,
the sites allowed to embed it), the seller's own Telegram chat for handoffs (a one-time code, then
linked, then unlinked) and when the seller steps in (approval, timeouts, triggers, their own rules,
a dangerous regex refused with the reason). Every form needs its CSRF token; another seller's
persona is a 404. Telegram is the fake Bot API over real HTTP."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import markupsafe
import pytest
from fastapi.testclient import TestClient

from tests.servers.fixtures import fake_telegram  # noqa: F401
from tests.support.web_pages import HTML, csrf_token, sign_up

from ..conftest import make_settings


@pytest.fixture
def client(tmp_path: Path, sqlite_template: Path, fake_telegram: Any) -> Iterator[TestClient]:  # noqa: F811
    from echome.app.main import create_app
    from echome.bootstrap import build_services

    data = tmp_path / "data"
    data.mkdir()
    (data / "echome.db").write_bytes(sqlite_template.read_bytes())
    services = build_services(
        make_settings(tmp_path, database_url=None, telegram_api_url=fake_telegram.api_url)
    )
    try:
        with TestClient(create_app(services), base_url="http://testserver") as c:
            c.app_services = services  # type: ignore[attr-defined]
            yield c
    finally:
        services.close()


def _post(c: TestClient, url: str, data: dict[str, str], *, page: str) -> Any:
    token = csrf_token(c.get(page, headers=HTML).text)
    return c.post(url, data={**data, "csrf_token": token}, headers=HTML, follow_redirects=False)


def _persona(c: TestClient, pid: str) -> Any:
    from echome.db.models import Persona

    with c.app_services.sessions() as db:  # type: ignore[attr-defined]
        return db.get(Persona, pid)


def test_web_chat_section_shows_the_code_and_edits_address_and_sites(client: TestClient) -> None:
    pid = sign_up(client, "ana@example.com", "Ana")
    base = f"/app/personas/{pid}/channels"
    page = client.get(base, headers=HTML).text
    slug = _persona(client, pid).slug
    assert slug == "ana"  # made from the persona's name on first look
    embed = '<script src="/widget.js" data-persona="ana" async></script>'
    assert f'value="{markupsafe.escape(embed)}"' in page
    assert 'href="/chat/ana"' in page and "ECHOME_PUBLIC_URL" in page
    assert 'data-copy="embed-code"' in page and "Coming later" in page

    bad = _post(client, base + "/web/slug", {"slug": "A!"}, page=base)
    assert bad.status_code == 422 and "lower-case letters, digits and hyphens" in bad.text
    assert 'id="f-slug-error"' in bad.text and _persona(client, pid).slug == "ana"
    ok = _post(client, base + "/web/slug", {"slug": "ana-vintage"}, page=base)
    assert ok.status_code == 303 and ok.headers["location"].endswith("done=slug-saved#web-chat-title")
    assert 'href="/chat/ana-vintage"' in client.get(base, headers=HTML).text

    path = _post(client, base + "/web/origins", {"origin": "https://shop.example.com/cart"}, page=base)
    assert path.status_code == 422 and "has no path" in html.unescape(path.text)
    assert 'id="f-origin-error"' in path.text and 'value="https://shop.example.com/cart"' in path.text
    wild = _post(client, base + "/web/origins", {"origin": "https://*.example.com"}, page=base)
    assert wild.status_code == 422 and "Wildcards are not accepted" in wild.text
    added = _post(client, base + "/web/origins", {"origin": "https://Shop.Example.com:443"}, page=base)
    assert added.status_code == 303
    page = client.get(base + "?done=origin-added", headers=HTML).text
    assert ">https://shop.example.com<" in page and "Site allowed" in page
    assert _persona(client, pid).chat_settings["allowed_origins"] == ["https://shop.example.com"]
    removed = _post(client, base + "/web/origins/remove", {"origin": "https://shop.example.com"}, page=base)
    assert removed.status_code == 303
    assert _persona(client, pid).chat_settings["allowed_origins"] == []
    assert "No site yet" in client.get(base, headers=HTML).text

    # Another seller taking the slug gets told it is taken.
    client.cookies.clear()
    bo = sign_up(client, "bo@example.com", "Bo")
    theirs = f"/app/personas/{bo}/channels"
    taken = _post(client, theirs + "/web/slug", {"slug": "ana-vintage"}, page=theirs)
    assert taken.status_code == 422 and "is taken" in html.unescape(taken.text)


def test_the_sellers_own_telegram_code_link_and_unlink(
    client: TestClient,
    fake_telegram: Any,  # noqa: F811
) -> None:
    from echome.db.session import transaction
    from echome.handoff.link import redeem

    pid = sign_up(client, "ana@example.com", "Ana")
    base = f"/app/personas/{pid}/channels"
    page = client.get(base, headers=HTML).text
    assert "Notifications to your Telegram" in page
    assert "Connect your persona's Telegram bot above first" in page

    connected = _post(client, base + "/telegram", {"token": fake_telegram.token}, page=base)
    assert connected.status_code == 200
    assert "Create a link code" in connected.text

    made = _post(client, base + "/notify/code", {}, page=base)
    assert made.status_code == 200
    code = re.search(r'value="/start ([A-Za-z0-9_-]{16,64})"', made.text)
    assert code, "the page shows the /start command"
    assert f"https://t.me/{fake_telegram.bot_username}?start={code.group(1)}" in made.text
    assert "works once, for 15 minutes" in made.text

    with transaction(client.app_services.sessions) as db:  # type: ignore[attr-defined]
        from echome.db.models import Persona

        persona = db.get(Persona, pid)
        assert redeem(db, persona, code.group(1), chat_id=4242, user_id=4242, name="Ana K")
    page = client.get(base, headers=HTML).text
    assert "Linked" in page and "Ana K" in page and "Unlink my Telegram" in page

    gone = _post(client, base + "/notify/unlink", {}, page=base)
    assert gone.status_code == 303 and gone.headers["location"].endswith("done=notify-unlinked#notify-title")
    assert "seller_telegram" not in _persona(client, pid).chat_settings
    assert "Create a link code" in client.get(base, headers=HTML).text


def test_handoff_settings_are_checked_and_saved(client: TestClient) -> None:
    pid = sign_up(client, "ana@example.com", "Ana")
    base = f"/app/personas/{pid}/channels"
    page = client.get(base, headers=HTML).text
    assert "When you step in" in page and 'name="trigger_customer_asked" checked' in page

    bad = _post(
        client,
        base + "/handoff",
        {"approval_mode": "all", "approval_timeout_minutes": "soon", "handoff_timeout_minutes": "0",
         "approval_timeout_action": "holding"},
        page=base,
    )  # fmt: skip
    assert bad.status_code == 422 and 'id="f-approval_timeout_minutes-error"' in bad.text
    assert "whole number of minutes from 1 to 10,080" in bad.text
    assert 'value="all" checked' in bad.text  # what was chosen is kept
    assert "approval_mode" not in (_persona(client, pid).chat_settings or {})

    ok = _post(
        client,
        base + "/handoff",
        {"approval_mode": "all", "approval_timeout_minutes": "45", "handoff_timeout_minutes": "0",
         "approval_timeout_action": "holding", "trigger_customer_asked": "on", "trigger_complaint": "on"},
        page=base,
    )  # fmt: skip
    assert ok.status_code == 303 and ok.headers["location"].endswith("done=handoff-saved#handoff-title")
    settings = client.get(f"/api/personas/{pid}/handoff/settings").json()
    assert settings["approval_mode"] == "all" and settings["approval_timeout_minutes"] == 45
    assert settings["approval_timeout_action"] == "holding" and settings["handoff_timeout_minutes"] == 0
    assert settings["handoff_triggers"] == ["customer_asked", "complaint"]
    assert settings["claimed_timeout_minutes"] == 60  # a post without the field leaves it as it was
    page = client.get(base, headers=HTML).text
    assert 'id="f-claimed_timeout_minutes"' in page and '<option value="holding" selected>' in page

    claimed = {"approval_mode": "off", "approval_timeout_minutes": "45", "handoff_timeout_minutes": "0",
               "approval_timeout_action": "holding", "claimed_timeout_minutes": "15",
               "claimed_timeout_action": "release", "trigger_customer_asked": "on",
               "trigger_complaint": "on"}  # fmt: skip
    wrong = _post(client, base + "/handoff", {**claimed, "claimed_timeout_action": "ignore"}, page=base)
    assert wrong.status_code == 422 and 'id="f-claimed_timeout_action-error"' in wrong.text
    assert client.get(f"/api/personas/{pid}/handoff/settings").json()["claimed_timeout_minutes"] == 60
    assert _post(client, base + "/handoff", claimed, page=base).status_code == 303
    settings = client.get(f"/api/personas/{pid}/handoff/settings").json()
    assert settings["claimed_timeout_minutes"] == 15 and settings["claimed_timeout_action"] == "release"
    page = client.get(base, headers=HTML).text
    assert 'name="trigger_discount">' in page and 'name="trigger_complaint" checked' in page

    rule = {"kind": "regex", "what": "(a+)+$", "reason": "x"}
    nested = _post(client, base + "/handoff/rules", rule, page=base)
    assert nested.status_code == 422 and "nested quantifiers" in nested.text
    assert 'id="f-what-error"' in nested.text and 'value="(a+)+$"' in nested.text
    no_reason = _post(client, base + "/handoff/rules", {"kind": "keywords", "what": "invoice"}, page=base)
    assert no_reason.status_code == 422 and 'id="f-reason-error"' in no_reason.text
    added = _post(
        client, base + "/handoff/rules", {"kind": "keywords", "what": "wholesale, invoice", "reason": "B2B"},
        page=base,
    )  # fmt: skip
    assert added.status_code == 303
    rules = client.get(f"/api/personas/{pid}/handoff/settings").json()["handoff_rules"]
    assert rules == [{"keywords": ["wholesale", "invoice"], "reason": "B2B"}]
    page = client.get(base, headers=HTML).text
    assert "wholesale, invoice" in page and "B2B" in page
    key = re.search(r'name="rule" value="([0-9a-f]+)"', page)
    assert key
    removed = _post(client, base + "/handoff/rules/remove", {"rule": key.group(1)}, page=base)
    assert removed.status_code == 303
    assert removed.headers["location"].endswith("done=rule-removed#rules-title")
    again = _post(client, base + "/handoff/rules/remove", {"rule": key.group(1)}, page=base)
    assert again.headers["location"].endswith("done=rule-gone#rules-title")
    assert client.get(f"/api/personas/{pid}/handoff/settings").json()["handoff_rules"] == []


def test_a_link_code_without_a_bot_goes_back_to_the_section(client: TestClient) -> None:
    pid = sign_up(client, "ana@example.com", "Ana")
    base = f"/app/personas/{pid}/channels"
    r = _post(client, base + "/notify/code", {}, page=base)
    assert r.status_code == 303
    assert r.headers["location"].endswith("/channels#notify-title")
    page = client.get(base, headers=HTML).text
    assert "Connect your persona's Telegram bot above first" in page


FORMS = [
    ("/web/slug", {"slug": "mine"}),
    ("/web/origins", {"origin": "https://evil.example"}),
    ("/web/origins/remove", {"origin": "https://shop.example.com"}),
    ("/notify/code", {}),
    ("/notify/unlink", {}),
    ("/handoff", {"approval_mode": "all", "approval_timeout_minutes": "5", "handoff_timeout_minutes": "5",
                  "approval_timeout_action": "holding"}),
    ("/handoff/rules", {"kind": "keywords", "what": "refund", "reason": "Refund"}),
    ("/handoff/rules/remove", {"rule": "0" * 12}),
]  # fmt: skip


def test_every_form_needs_its_token_and_another_seller_gets_404(client: TestClient) -> None:
    pid = sign_up(client, "ana@example.com", "Ana")
    base = f"/app/personas/{pid}/channels"
    client.get(base, headers=HTML)
    before = dict(_persona(client, pid).chat_settings or {})
    for path, data in FORMS:
        r = client.post(base + path, data=data, headers=HTML, follow_redirects=False)
        assert r.status_code == 403, (path, r.status_code)
    assert _persona(client, pid).chat_settings == before and _persona(client, pid).slug == "ana"

    client.cookies.clear()
    bo = sign_up(client, "bo@example.com", "Bo")
    token = csrf_token(client.get(f"/app/personas/{bo}/channels", headers=HTML).text)
    for path, data in FORMS:
        r = client.post(base + path, data={**data, "csrf_token": token}, headers=HTML, follow_redirects=False)
        assert r.status_code == 404, (path, r.status_code)
    assert client.get(base, headers=HTML).status_code == 404
    assert _persona(client, pid).chat_settings == before and _persona(client, pid).slug == "ana"
