"""The web app's pages over HTTP (the browser suite drives the same pages in Chromium)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from echome.db.models import ApiKey, Conversation, Message, Persona, Product
from echome.db.session import transaction
from tests.support.web_pages import HTML
from tests.support.web_pages import csrf_token as _token
from tests.support.web_pages import sign_up as _sign_up

TEMPLATES = Path(__file__).resolve().parents[2] / "src" / "echome" / "web" / "templates"


def test_pages_send_a_strict_content_security_policy(client: Any) -> None:
    r = client.get("/", headers=HTML)
    assert r.status_code == 200 and "text/html" in r.headers["content-type"]
    csp = r.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert "frame-ancestors 'none'" in csp and "form-action 'self'" in csp
    assert r.headers["cache-control"] == "no-store"


def test_no_template_has_inline_script_style_or_handlers() -> None:
    for path in TEMPLATES.rglob("*.html"):
        text = path.read_text()
        assert not re.search(r"<script(?![^>]*\bsrc=)", text), f"inline <script> in {path.name}"
        assert not re.search(r"\son[a-z]+\s*=", text), f"on* handler in {path.name}"
        assert not re.search(r"\sstyle\s*=", text), f"style attribute in {path.name}"
        assert "<style" not in text, f"<style> in {path.name}"
        assert "javascript:" not in text.lower(), f"javascript: URL in {path.name}"


def test_every_asset_a_page_uses_is_served_here(client: Any) -> None:
    html = client.get("/", headers=HTML).text
    urls = re.findall(r'(?:src|href)="([^"#]+)"', html)
    assets = [u for u in urls if u.startswith("/static/")]
    assert assets and not [u for u in urls if u.startswith(("http:", "https:", "//"))]
    for url in assets:
        r = client.get(url, headers={"Accept-Encoding": "gzip"})
        assert r.status_code == 200, url
        assert "immutable" in r.headers["cache-control"], url
    css = client.get(next(u for u in assets if "components.css" in u), headers={"Accept-Encoding": "gzip"})
    assert css.headers["content-encoding"] == "gzip"
    fonts = re.findall(r"url\((fonts/[^)]+)\)", client.get("/static/app/vendor/inter.css").text)
    assert fonts and all(client.get(f"/static/app/vendor/{f}").status_code == 200 for f in fonts)


def test_sign_up_creates_a_first_persona_and_shows_its_checklist(client: Any) -> None:
    pid = _sign_up(client)
    home = client.get(f"/app/personas/{pid}", headers=HTML)
    assert home.status_code == 200
    assert "0 of 5 steps done" in home.text
    for href in ("/voice", "/persona", "/catalog", "/channels", "/chat"):
        assert f'href="/app/personas/{pid}{href}"' in home.text
    assert client.get("/app", follow_redirects=False).headers["location"] == f"/app/personas/{pid}"


def test_the_checklist_is_computed_from_stored_data(client: Any, services: Any) -> None:
    pid = _sign_up(client)
    uid = client.get("/api/auth/me").json()["id"]
    with transaction(services.sessions) as db:
        other = Persona(user_id=uid, name="Other shop")
        db.add(other)
        db.flush()
        db.add_all(
            [Product(user_id=uid, external_key=f"k{i}", name=f"P{i}", persona_id=None) for i in range(2)]
            + [Product(user_id=uid, external_key="mine", name="Mine", persona_id=pid)]
            + [Product(user_id=uid, external_key="theirs", name="Theirs", persona_id=other.id)]
        )
        db.add(ApiKey(user_id=uid, scope=other.id, provider="telegram_bot_token", ciphertext="x", hint="1"))
        conv = Conversation(user_id=uid, persona_id=pid, channel="web")
        db.add(conv)
        db.flush()
        db.add(Message(user_id=uid, conversation_id=conv.id, role="user", content="hi"))
    text = client.get(f"/app/personas/{pid}", headers=HTML).text
    # Its own product only, as the answer stage: a persona with a catalog of its own does not use the
    # shared one (and never another persona's).
    assert "1 product of its own catalog your persona can answer about" in text
    assert "Your shared catalog (2 products) is not used" in text
    assert "1 of 5 steps done" in text  # the bot is the other persona's; no answer yet
    with transaction(services.sessions) as db:
        db.add(Message(user_id=uid, conversation_id=conv.id, role="assistant", content="hello"))
        db.get(Persona, pid).voice_id = "local:abc"  # type: ignore[union-attr]
    text = client.get(f"/app/personas/{pid}", headers=HTML).text
    assert "3 of 5 steps done" in text and "Local voice ready" in text


def test_another_sellers_persona_pages_are_404(app: Any, client: Any) -> None:
    pid = _sign_up(client)
    with TestClient(app, base_url="http://testserver") as other:
        _sign_up(other, "bo@example.com", "Bo")
        for suffix in (
            "",
            "/persona",
            "/voice",
            "/catalog",
            "/conversations",
            "/chat",
            "/channels",
            "/settings",
        ):
            r = other.get(f"/app/personas/{pid}{suffix}", headers=HTML)
            assert r.status_code == 404 and "Persona not found" in r.text and "Ana" not in r.text
        assert other.get(f"/app/personas/{'x' * 5000}", headers=HTML).status_code == 404


def test_pages_need_a_session_and_come_back_after_sign_in(client: Any) -> None:
    r = client.get("/app/account?tab=1", headers=HTML, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/signin?next=/app/account%3Ftab%3D1"
    client.cookies.set("echome_session", "made-up")
    r = client.get("/app", headers=HTML, follow_redirects=False)
    assert r.headers["location"].endswith("&expired=1")
    assert "Your session has ended" in client.get(r.headers["location"], headers=HTML).text
    hx = client.get("/app", headers={"HX-Request": "true"}, follow_redirects=False)
    assert hx.headers["hx-redirect"].startswith("/signin?next=/app")


def test_sign_in_form_errors_sit_next_to_their_fields(client: Any) -> None:
    _sign_up(client)
    client.cookies.clear()
    token = _token(client.get("/signin", headers=HTML).text)
    r = client.post("/signin", data={"email": "ana@example.com", "password": "nope", "csrf_token": token})
    assert r.status_code == 401
    assert 'id="f-password-error"' in r.text and "Wrong email or password" in r.text
    assert 'value="ana@example.com"' in r.text and "nope" not in r.text  # the password is not echoed
    ok = client.post(
        "/signin",
        data={
            "email": "ANA@example.com",
            "password": "correct horse",
            "csrf_token": token,
            "next": "//evil.example",
        },
        follow_redirects=False,
    )
    assert ok.status_code == 303 and ok.headers["location"] == "/app"  # never off-site


def test_sign_in_form_without_its_token_is_refused_and_keeps_the_email(client: Any) -> None:
    _sign_up(client)
    client.cookies.clear()
    r = client.post("/signin", data={"email": "ana@example.com", "password": "correct horse"})
    assert r.status_code == 403 and "form had expired" in r.text and 'value="ana@example.com"' in r.text
    assert client.get("/api/auth/me").status_code == 401


def test_sign_up_validation(client: Any) -> None:
    token = _token(client.get("/signup", headers=HTML).text)
    short = client.post("/signup", data={"email": "a@example.com", "password": "short", "csrf_token": token})
    assert short.status_code == 422 and "at least 8 characters" in short.text
    bad = client.post(
        "/signup", data={"email": "not-an-email", "password": "long enough", "csrf_token": token}
    )
    assert bad.status_code == 422 and "not a valid email address" in bad.text
    _sign_up(client)
    client.cookies.clear()
    token = _token(client.get("/signup", headers=HTML).text)
    dup = client.post(
        "/signup", data={"email": "Ana@Example.com", "password": "long enough", "csrf_token": token}
    )
    assert dup.status_code == 409 and "already exists" in dup.text


def test_form_posts_of_a_signed_in_seller_need_the_session_token(client: Any) -> None:
    _sign_up(client)
    for data in ({"name": "X"}, {"name": "X", "csrf_token": "forged"}):
        r = client.post("/app/personas", data=data, headers=HTML)
        assert r.status_code == 403 and "This request was refused" in r.text
    evil = {"Origin": "https://evil.example", **HTML}
    token = _token(client.get("/app/personas/new", headers=HTML).text)
    assert (
        client.post("/app/personas", data={"name": "X", "csrf_token": token}, headers=evil).status_code == 403
    )
    assert [p["name"] for p in client.get("/api/personas").json()] == ["Ana"]
    # htmx sends the token as a header instead of a field.
    r = client.post(
        "/app/personas", data={"name": "Y"}, headers={"X-CSRF-Token": token}, follow_redirects=False
    )
    assert r.status_code == 303


def test_sign_out_revokes_the_session(client: Any) -> None:
    _sign_up(client)
    cookie = client.cookies["echome_session"]
    token = _token(client.get("/app/personas/new", headers=HTML).text)
    r = client.post("/signout", data={"csrf_token": token}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/?signed_out=1"
    client.cookies.set("echome_session", cookie)
    assert client.get("/api/auth/me").status_code == 401


def test_password_form_validation(client: Any) -> None:
    _sign_up(client)
    token = _token(client.get("/app/account", headers=HTML).text)
    r = client.post(
        "/app/account/password",
        data={"csrf_token": token, "current_password": "", "new_password": "abc", "confirm_password": "abd"},
    )
    assert r.status_code == 422
    for field in ("current_password", "new_password", "confirm_password"):
        assert f'id="f-{field}-error"' in r.text


def test_unknown_pages_are_html_for_browsers_and_json_for_clients(client: Any) -> None:
    page = client.get("/no-such-page", headers=HTML)
    assert page.status_code == 404 and "Page not found" in page.text
    assert client.get("/no-such-page").json()["error"] == "not_found"
    assert client.get("/api/nothing", headers=HTML).json()["error"] == "not_found"
    assert client.get("/signout", headers=HTML).status_code == 405


def test_bad_form_bodies_never_crash(client: Any) -> None:
    token = _token(client.get("/signin", headers=HTML).text)
    odd = {"email": "a\x00b@example.com", "password": "x" * 5000, "csrf_token": token}
    assert client.post("/signin", data=odd).status_code in (401, 422)
    broken = client.post(
        "/signin", content=b"--x\r\nbroken", headers={"Content-Type": "multipart/form-data; boundary=x"}
    )
    # Whatever python-multipart makes of it, the answer is our page, not a crash.
    assert broken.status_code in (400, 403) and "text/html" in broken.headers["content-type"]


def test_a_form_over_the_body_limit_gets_a_page_and_an_api_client_json(
    tmp_path: Path, database_url: str | None
) -> None:
    """A browser posting a 2 GB video with JavaScript off is told on a page, not with JSON."""
    from echome.app.main import create_app
    from echome.bootstrap import build_services

    from ..conftest import make_settings

    services = build_services(
        make_settings(tmp_path, database_url=database_url, max_body_bytes=1000, max_media_upload_bytes=5000)
    )
    big = {"content-type": "multipart/form-data; boundary=x"}
    with TestClient(create_app(services), base_url="http://testserver") as c:
        page = c.post(
            "/app/personas/p1/voice/media/upload",
            content=b"x" * 1_100_000,
            headers=big | {"accept": "text/html,application/xhtml+xml"},
        )
        api = c.post("/api/personas/p1/media/upload", content=b"x" * 1_100_000, headers=big)
    services.close()
    assert page.status_code == 413 and page.headers["content-type"].startswith("text/html")
    assert "That file is too large" in page.text and "nothing was uploaded" in page.text
    assert "Content-Security-Policy" in page.headers
    assert api.status_code == 413 and api.json()["error"] == "payload_too_large"
