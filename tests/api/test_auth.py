"""Local accounts, sessions and API tokens."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select, update

from echome.db.models import AccessToken, User
from echome.db.types import utcnow


def test_signup_sets_an_httponly_lax_session_cookie(client: Any) -> None:
    r = client.post("/api/auth/signup", json={"email": "Ana@Example.com", "password": "correct horse"})
    assert r.status_code == 201
    assert r.json()["email"] == "ana@example.com"
    cookie = r.headers["set-cookie"].lower()
    assert "echome_session=" in cookie and "httponly" in cookie and "samesite=lax" in cookie
    assert client.get("/api/auth/me").json()["email"] == "ana@example.com"


def test_login_logout_and_wrong_password(client: Any) -> None:
    r = client.post("/api/auth/signup", json={"email": "bo@example.com", "password": "correct horse"})
    # Signing out is a cookie-authenticated write too: it carries the session's CSRF token.
    client.post("/api/auth/logout", headers={"X-CSRF-Token": r.headers["x-csrf-token"]})
    assert client.get("/api/auth/me").status_code == 401
    bad = client.post("/api/auth/login", json={"email": "bo@example.com", "password": "wrong horse"})
    assert bad.status_code == 401 and bad.json() == {
        "error": "unauthorized",
        "detail": "wrong email or password",
    }
    nobody = client.post("/api/auth/login", json={"email": "nobody@example.com", "password": "x"})
    assert nobody.status_code == 401
    ok = client.post("/api/auth/login", json={"email": "BO@example.com", "password": "correct horse"})
    assert ok.status_code == 200
    assert client.get("/api/auth/me").json()["email"] == "bo@example.com"


def test_passwords_are_stored_as_argon2_hashes(client: Any, services: Any) -> None:
    client.post("/api/auth/signup", json={"email": "cy@example.com", "password": "correct horse"})
    with services.sessions() as s:
        stored = s.scalar(select(User.password_hash).where(User.email == "cy@example.com"))
    assert stored.startswith("$argon2id$") and "correct horse" not in stored


def test_signup_rejects_duplicates_bad_email_and_short_password(client: Any) -> None:
    assert (
        client.post(
            "/api/auth/signup", json={"email": "d@example.com", "password": "correct horse"}
        ).status_code
        == 201
    )
    dup = client.post("/api/auth/signup", json={"email": "D@example.com", "password": "correct horse"})
    assert dup.status_code == 409 and dup.json()["error"] == "conflict"
    assert (
        client.post(
            "/api/auth/signup", json={"email": "not-an-email", "password": "correct horse"}
        ).status_code
        == 422
    )
    short = client.post("/api/auth/signup", json={"email": "e@example.com", "password": "short"})
    assert short.status_code == 422 and "at least 8" in short.json()["detail"]


def test_forged_session_cookie_is_rejected(client: Any) -> None:
    client.cookies.set("echome_session", "eyJ1aWQiOiAiYWJjIn0=.forged.signature")
    r = client.get("/api/auth/me")
    assert r.status_code == 401


def test_bearer_tokens_issue_list_use_and_revoke(client: Any, make_seller: Any) -> None:
    headers, user = make_seller()
    assert client.get("/api/auth/me", headers=headers).json()["id"] == user["id"]
    tokens = client.get("/api/auth/tokens", headers=headers).json()
    assert len(tokens) == 1 and "token" not in tokens[0]
    r = client.delete(f"/api/auth/tokens/{tokens[0]['id']}", headers=headers)
    assert r.status_code == 204
    again = client.get("/api/auth/me", headers=headers)
    assert again.status_code == 401 and again.json()["detail"] == "invalid, revoked or expired token"


def test_expired_token_gets_401(client: Any, make_seller: Any, services: Any) -> None:
    headers, user = make_seller()
    with services.sessions() as s, s.begin():
        s.execute(
            update(AccessToken)
            .where(AccessToken.user_id == user["id"])
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )
    r = client.get("/api/jobs", headers=headers)
    assert r.status_code == 401 and r.json()["error"] == "unauthorized"


def test_malformed_authorization_headers(client: Any) -> None:
    for value in ("Basic abc", "Bearer", "Bearer em_nonsense", "Bearer not-ours"):
        r = client.get("/api/auth/me", headers={"Authorization": value})
        assert r.status_code == 401, value
        assert r.headers["www-authenticate"] == "Bearer"


def test_cross_site_cookie_writes_are_refused(client: Any) -> None:
    signup = client.post("/api/auth/signup", json={"email": "f@example.com", "password": "correct horse"})
    token = {"X-CSRF-Token": signup.headers["x-csrf-token"]}
    r = client.post(
        "/api/personas", json={"name": "Evil"}, headers={"Origin": "https://evil.example", **token}
    )
    assert r.status_code == 403
    # Same origin is not enough: a cookie-authenticated write must carry the session's CSRF token.
    bare = client.post("/api/personas", json={"name": "Evil"}, headers={"Origin": "http://testserver"})
    assert bare.status_code == 403 and bare.json()["error"] == "csrf_failed"
    ok = client.post("/api/personas", json={"name": "Mine"}, headers={"Origin": "http://testserver", **token})
    assert ok.status_code == 201
    assert [p["name"] for p in client.get("/api/personas").json()] == ["Mine"]


def test_password_guessing_is_limited_per_account(client: Any) -> None:
    client.post("/api/auth/signup", json={"email": "g@example.com", "password": "correct horse"})
    codes = [
        client.post("/api/auth/login", json={"email": "g@example.com", "password": f"guess {i}"}).status_code
        for i in range(12)
    ]
    assert codes[:10] == [401] * 10 and codes[10:] == [429, 429]
    other = client.post("/api/auth/login", json={"email": "h@example.com", "password": "guess"})
    assert other.status_code == 401
