"""Google sign-in against a local OpenID provider (oidc-provider-mock): PKCE, state, nonce."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from echome.db.models import User

from ..conftest import make_settings

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def provider() -> Iterator[str]:
    oidc = pytest.importorskip("oidc_provider_mock")
    with oidc.run_server_in_thread(require_nonce=True) as server:
        yield f"http://localhost:{server.server_port}"


@pytest.fixture
def oauth_client(provider: str, tmp_path: Path, database_url: str | None) -> Iterator[tuple[TestClient, Any]]:
    from echome.app.main import create_app
    from echome.bootstrap import build_services

    settings = make_settings(
        tmp_path,
        database_url=database_url,
        google_client_id="echome-test",
        google_client_secret="client-secret",
        google_discovery_url=f"{provider}/.well-known/openid-configuration",
    )
    services = build_services(settings)
    with TestClient(create_app(services), base_url="http://testserver") as c:
        yield c, services
    services.close()


def start_login(client: TestClient) -> tuple[str, dict[str, list[str]]]:
    r = client.get("/api/auth/google/login", params={"next": "/welcome"}, follow_redirects=False)
    assert r.status_code == 302, r.text
    location = r.headers["location"]
    return location, parse_qs(urlsplit(location).query)


def approve(authorize_url: str, sub: str) -> str:
    """What the user does at the provider: pick an account; returns our callback URL."""
    r = httpx.post(authorize_url, data={"sub": sub}, follow_redirects=False)
    assert r.status_code == 302, r.text
    return r.headers["location"]


def callback_path(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


def test_full_flow_signs_in_with_pkce_state_and_nonce(oauth_client: Any, provider: str) -> None:
    client, services = oauth_client
    authorize_url, query = start_login(client)
    assert authorize_url.startswith(provider)
    assert query["response_type"] == ["code"]
    assert query["code_challenge_method"] == ["S256"] and len(query["code_challenge"][0]) >= 43
    assert query["state"][0] and query["nonce"][0]
    assert "openid" in query["scope"][0].split()
    sub = f"google-{uuid.uuid4().hex[:6]}@example.com"
    redirect = approve(authorize_url, sub)
    assert redirect.startswith("http://testserver/api/auth/google/callback")
    r = client.get(callback_path(redirect), follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/welcome"
    me = client.get("/api/auth/me").json()
    assert me["email"] == sub and me["google_linked"] is True and me["has_password"] is False
    with services.sessions() as s:
        assert s.scalar(select(User.google_sub).where(User.email == sub)) == sub


def test_replayed_callback_gets_400(oauth_client: Any) -> None:
    client, _ = oauth_client
    authorize_url, _ = start_login(client)
    redirect = approve(authorize_url, f"replay-{uuid.uuid4().hex[:6]}@example.com")
    assert client.get(callback_path(redirect), follow_redirects=False).status_code == 303
    again = client.get(callback_path(redirect), follow_redirects=False)
    assert again.status_code == 400
    assert again.json()["error"] == "oauth_error"


def test_forged_state_gets_400(oauth_client: Any) -> None:
    client, _ = oauth_client
    authorize_url, _ = start_login(client)
    redirect = approve(authorize_url, "forged@example.com")
    forged = re.sub(r"state=[^&]+", "state=attacker-chosen", callback_path(redirect))
    r = client.get(forged, follow_redirects=False)
    assert r.status_code == 400 and r.json()["error"] == "oauth_error"
    assert client.get("/api/auth/me").status_code == 401


def test_callback_from_another_browser_gets_400(oauth_client: Any, provider: str) -> None:
    """A code+state captured from someone else's login is useless without their session."""
    client, services = oauth_client
    authorize_url, _ = start_login(client)
    redirect = approve(authorize_url, "victim@example.com")
    from echome.app.main import create_app

    with TestClient(create_app(services), base_url="http://testserver") as attacker:
        r = attacker.get(callback_path(redirect), follow_redirects=False)
    assert r.status_code == 400


@pytest.mark.parametrize(
    "query",
    ["", "?code=abc", "?state=abc", "?error=access_denied&state=x", "?code=abc&state=abc", "?code=&state="],
)
def test_malformed_callbacks_get_400_never_500(oauth_client: Any, query: str) -> None:
    client, _ = oauth_client
    start_login(client)
    r = client.get(f"/api/auth/google/callback{query}", follow_redirects=False)
    assert r.status_code == 400, r.text
    assert set(r.json()) >= {"error", "detail"}


def test_unverified_email_does_not_take_over_a_password_account(oauth_client: Any) -> None:
    client, _ = oauth_client
    r = client.post("/api/auth/signup", json={"email": "owner@example.com", "password": "correct horse"})
    client.post("/api/auth/logout", headers={"X-CSRF-Token": r.headers["x-csrf-token"]})
    authorize_url, _ = start_login(client)
    redirect = approve(authorize_url, "owner@example.com")  # the mock does not assert email_verified
    r = client.get(callback_path(redirect), follow_redirects=False)
    assert r.status_code == 400 and "sign in with your password" in r.json()["detail"]
    assert client.get("/api/auth/me").status_code == 401


def test_google_routes_404_when_not_configured(client: Any) -> None:
    r = client.get("/api/auth/google/login", follow_redirects=False)
    assert r.status_code == 404 and "not configured" in r.json()["detail"]
