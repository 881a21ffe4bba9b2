"""Server-side browser sessions and CSRF on the API: sign-out revokes, tokens are per session."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select, update

from echome.db.models import BrowserSession
from echome.db.types import utcnow

PASSWORD = "correct horse"


def _signup(client: Any, email: str = "ana@example.com") -> dict[str, str]:
    r = client.post("/api/auth/signup", json={"email": email, "password": PASSWORD})
    assert r.status_code == 201, r.text
    return {"X-CSRF-Token": r.headers["x-csrf-token"]}


def _other_browser(app: Any, email: str = "ana@example.com") -> tuple[TestClient, dict[str, str]]:
    c = TestClient(app, base_url="http://testserver")
    r = c.post("/api/auth/login", json={"email": email, "password": PASSWORD})
    assert r.status_code == 200, r.text
    return c, {"X-CSRF-Token": r.headers["x-csrf-token"]}


def test_the_cookie_holds_a_random_token_stored_only_hashed(client: Any, services: Any) -> None:
    _signup(client)
    cookie = client.cookies["echome_session"]
    assert len(cookie) >= 40 and "ana" not in cookie
    with services.sessions() as s:
        stored = s.scalars(select(BrowserSession.token_hash)).all()
    assert len(stored) == 1 and stored[0] != cookie and len(stored[0]) == 64


def test_a_copied_cookie_is_refused_after_sign_out(client: Any, app: Any) -> None:
    csrf = _signup(client)
    stolen = client.cookies["echome_session"]
    assert client.post("/api/auth/logout", headers=csrf).status_code == 204
    with TestClient(app, base_url="http://testserver") as thief:
        thief.cookies.set("echome_session", stolen)
        assert thief.get("/api/auth/me").status_code == 401
        assert thief.post("/api/personas", json={"name": "x"}, headers=csrf).status_code == 401


def test_sign_out_everywhere_revokes_every_browser(client: Any, app: Any) -> None:
    csrf = _signup(client)
    other, _ = _other_browser(app)
    with other:
        assert other.get("/api/auth/me").status_code == 200
        assert client.post("/api/auth/logout?everywhere=true", headers=csrf).status_code == 204
        assert other.get("/api/auth/me").status_code == 401
    assert client.get("/api/auth/me").status_code == 401


def test_revoking_sessions_with_a_bearer_token(client: Any, app: Any, make_seller: Any) -> None:
    headers, user = make_seller("bo@example.com")
    browser, _ = _other_browser(app, "bo@example.com")
    with browser:
        listed = client.get("/api/auth/sessions", headers=headers).json()
        assert len(listed) == 2 and not any(s["current"] for s in listed)  # signup's and this login
        assert client.delete("/api/auth/sessions", headers=headers).status_code == 204
        assert browser.get("/api/auth/me").status_code == 401
    assert client.get("/api/auth/me", headers=headers).json()["id"] == user["id"]  # tokens stay


def test_password_change_keeps_this_session_and_ends_the_others(client: Any, app: Any) -> None:
    csrf = _signup(client)
    other, _ = _other_browser(app)
    with other:
        wrong = client.post(
            "/api/auth/password",
            json={"current_password": "nope", "new_password": "new secret 1"},
            headers=csrf,
        )
        assert wrong.status_code == 422 and "current password is wrong" in wrong.json()["detail"]
        assert other.get("/api/auth/me").status_code == 200
        short = client.post(
            "/api/auth/password", json={"current_password": PASSWORD, "new_password": "short"}, headers=csrf
        )
        assert short.status_code == 422 and "at least 8" in short.json()["detail"]
        ok = client.post(
            "/api/auth/password",
            json={"current_password": PASSWORD, "new_password": "new secret 1"},
            headers=csrf,
        )
        assert ok.status_code == 204
        assert other.get("/api/auth/me").status_code == 401
    assert client.get("/api/auth/me").status_code == 200
    old = client.post("/api/auth/login", json={"email": "ana@example.com", "password": PASSWORD})
    assert old.status_code == 401


def test_csrf_token_is_per_session(client: Any, app: Any) -> None:
    mine = _signup(client)
    other, theirs = _other_browser(app)
    with other:
        assert mine != theirs
        refused = client.post("/api/personas", json={"name": "x"}, headers=theirs)
        assert refused.status_code == 403 and refused.json()["error"] == "csrf_failed"
        assert client.post("/api/personas", json={"name": "x"}, headers=mine).status_code == 201
    info = client.get("/api/auth/session").json()
    assert info["csrf_token"] == mine["X-CSRF-Token"] and info["user"]["email"] == "ana@example.com"


def test_reads_need_no_token_and_null_origins_are_refused(client: Any) -> None:
    csrf = _signup(client)
    assert client.get("/api/personas").status_code == 200
    sandboxed = client.post("/api/personas", json={"name": "x"}, headers={"Origin": "null", **csrf})
    assert sandboxed.status_code == 403


def test_an_expired_session_is_refused(client: Any, services: Any) -> None:
    _signup(client)
    with services.sessions() as s, s.begin():
        s.execute(update(BrowserSession).values(expires_at=utcnow() - timedelta(seconds=1)))
    assert client.get("/api/auth/me").status_code == 401


def test_signing_in_again_ends_the_browsers_previous_session(client: Any, services: Any) -> None:
    _signup(client)
    first = client.cookies["echome_session"]
    client.post("/api/auth/login", json={"email": "ana@example.com", "password": PASSWORD})
    assert client.cookies["echome_session"] != first
    with services.sessions() as s:
        revoked = s.scalars(select(BrowserSession.revoked_at).order_by(BrowserSession.created_at)).all()
    assert revoked[0] is not None and revoked[1] is None
