"""Hostile input gets a documented 4xx in the one error shape, never a 500; every response carries
the security headers; the spec documents every error and the real media types; the README states
the real body limit."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from echome.settings import Settings

from ..conftest import make_settings

ROOT = Path(__file__).resolve().parents[2]
HUGE = "99999999999999999999"  # past 64 bits: SQLite's OverflowError, PostgreSQL's bigint range
SECURITY_HEADERS = {
    "x-content-type-options": "nosniff",
    "content-security-policy": "frame-ancestors 'none'",
    "referrer-policy": "no-referrer",
}


def is_error(r: Any, status: int) -> None:
    assert r.status_code == status, (r.status_code, r.text)
    body = r.json()
    assert isinstance(body["error"], str) and isinstance(body["detail"], str), body
    assert set(body) <= {"error", "detail", "fields"}


@pytest.fixture
def seller(make_seller: Any) -> dict[str, str]:
    return make_seller()[0]


@pytest.fixture
def persona(client: Any, seller: dict[str, str]) -> str:
    pid = client.post("/api/personas", json={"name": "P"}, headers=seller).json()["id"]
    client.patch(f"/api/personas/{pid}/profile/overrides", json={"tone": "warm"}, headers=seller)
    return pid  # with profile version 1


# -- no 500 from input -------------------------------------------------------------------------------
@pytest.mark.parametrize("path", ["/api/products", "/api/clients", "/api/jobs"])
def test_huge_offsets_are_a_422(client: Any, seller: dict[str, str], path: str) -> None:
    for offset in (HUGE, str(2**63), "-1"):
        r = client.get(path, params={"offset": offset}, headers=seller)
        is_error(r, 422)
        assert r.json()["error"] == "invalid_request" and r.json()["fields"][0]["loc"] == ["query", "offset"]
    assert client.get(path, params={"offset": 1_000_000}, headers=seller).status_code == 200


def test_huge_limits_on_clients_are_a_422(client: Any, seller: dict[str, str]) -> None:
    is_error(client.get("/api/clients", params={"limit": HUGE}, headers=seller), 422)
    is_error(client.get("/api/clients/nobody", params={"limit": HUGE}, headers=seller), 422)


def test_huge_profile_version_numbers_are_a_422(client: Any, seller: dict[str, str], persona: str) -> None:
    base = f"/api/personas/{persona}/profile"
    for number in (HUGE, str(2**31)):  # 2**31 overflows PostgreSQL's INTEGER column
        is_error(client.get(f"{base}/versions/{number}", headers=seller), 422)
        is_error(client.post(f"{base}/versions/{number}/restore", headers=seller), 422)
        is_error(client.get(f"{base}/diff", params={"from": number}, headers=seller), 422)
        is_error(client.get(f"{base}/diff", params={"from": 1, "to": number}, headers=seller), 422)
    is_error(client.get(f"{base}/versions/{2**31 - 1}", headers=seller), 404)  # the largest is looked up
    assert client.get(f"{base}/versions/1", headers=seller).status_code == 200


def test_nul_in_an_id_is_a_4xx(client: Any, seller: dict[str, str]) -> None:
    # PostgreSQL refuses NUL in text even in a WHERE clause: a 422, not a 500 (SQLite: not found).
    r = client.get("/api/personas/a%00b", headers=seller)
    assert r.status_code in (404, 422) and r.json()["error"] in ("not_found", "invalid_request")


def test_telegram_secret_header_of_any_bytes_is_a_403(client: Any, seller: dict[str, str]) -> None:
    pid = client.post("/api/personas", json={"name": "Bot"}, headers=seller).json()["id"]
    update = {"update_id": 1, "message": {"text": "hi"}}
    for secret in ("ü-not-ascii".encode(), b"\xff\xfe", b"x" * 5000, b"wrong"):
        r = client.post(
            f"/webhook/telegram/{pid}", json=update, headers={"X-Telegram-Bot-Api-Secret-Token": secret}
        )
        is_error(r, 403)
    is_error(client.post(f"/webhook/telegram/{pid}", json=update), 403)  # missing


def test_telegram_update_id_out_of_range_is_a_400(client: Any, services: Any, seller: dict[str, str]) -> None:
    pid = client.post("/api/personas", json={"name": "Bot"}, headers=seller).json()["id"]
    secret = services.telegram_inbox.webhook_secret(pid)
    r = client.post(
        f"/webhook/telegram/{pid}",
        json={"update_id": int(HUGE)},
        headers={"X-Telegram-Bot-Api-Secret-Token": secret},
    )
    is_error(r, 400)
    deep = b"[" * 100_000 + b"]" * 100_000  # deeper than the JSON parser recurses
    r = client.post(
        f"/webhook/telegram/{pid}",
        content=deep,
        headers={"X-Telegram-Bot-Api-Secret-Token": secret, "Content-Type": "application/json"},
    )
    is_error(r, 400)


def test_validation_errors_have_the_one_error_shape(client: Any, seller: dict[str, str]) -> None:
    r = client.post("/api/personas", json={"name": ""}, headers=seller)
    is_error(r, 422)
    assert r.json()["error"] == "invalid_request"
    assert r.json()["fields"] == [
        {
            "loc": ["body", "name"],
            "msg": "String should have at least 1 character",
            "type": "string_too_short",
        }
    ]


# -- the spec ----------------------------------------------------------------------------------------
def test_every_error_is_documented_with_the_one_schema(client: Any) -> None:
    spec = client.get("/openapi.json").json()
    schemas = spec["components"]["schemas"]
    assert "HTTPValidationError" not in schemas and "ValidationError" not in schemas
    assert set(schemas["ErrorOut"]["required"]) == {"error", "detail"}
    operations = [(p, m, op) for p, item in spec["paths"].items() for m, op in item.items()]
    assert len(operations) >= 50
    for path, method, op in operations:
        responses = op["responses"]
        where = f"{method.upper()} {path}"
        for code, response in responses.items():
            if code.startswith(("4", "5")) and not (path == "/api/health" and code == "503"):
                schema = response["content"]["application/json"]["schema"]
                assert schema == {"$ref": "#/components/schemas/ErrorOut"}, (where, code)
        if op.get("security"):
            assert {"401", "429"} <= set(responses), where
        if "{" in path:
            assert "404" in responses, where
        if op.get("parameters") or op.get("requestBody"):
            assert "422" in responses, where
        if op.get("requestBody"):
            assert {"400", "413"} <= set(responses), where
    # Statuses only some routes answer, where they answer them.
    paths = spec["paths"]
    assert "409" in paths["/api/auth/signup"]["post"]["responses"]
    assert "429" in paths["/api/auth/login"]["post"]["responses"]
    assert "415" in paths["/api/products/upload"]["post"]["responses"]
    assert "409" in paths["/api/personas/{persona_id}/profile"]["get"]["responses"]  # ambiguous name
    assert "503" in paths["/api/products/search"]["get"]["responses"]
    assert "403" in paths["/webhook/telegram/{persona_id}"]["post"]["responses"]


def test_audio_routes_declare_audio(client: Any) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    say = paths["/api/personas/{persona_id}/say"]["post"]["responses"]["200"]["content"]
    assert set(say) == {"audio/ogg", "audio/wav", "audio/mpeg"}
    audio = paths["/api/chat/audio/{message_id}"]["get"]["responses"]["200"]["content"]
    assert set(audio) == {"audio/ogg"}


def test_say_answers_with_a_declared_audio_type(client: Any, services: Any, seller: dict[str, str]) -> None:
    from echome.providers.fakes import RecordingTTS

    services._local_tts.set(RecordingTTS())  # the wire format without loading a voice model
    pid = client.post("/api/personas", json={"name": "Voice"}, headers=seller).json()["id"]
    declared = client.get("/openapi.json").json()["paths"]["/api/personas/{persona_id}/say"]["post"]
    for fmt in ("ogg", "wav", "mp3"):
        r = client.post(
            f"/api/personas/{pid}/say", json={"text": "Hello there.", "format": fmt}, headers=seller
        )
        assert r.status_code == 200, r.text
        assert r.headers["content-type"] in declared["responses"]["200"]["content"], fmt


# -- security headers --------------------------------------------------------------------------------
def has_security_headers(r: Any) -> None:
    for name, value in SECURITY_HEADERS.items():
        assert r.headers.get(name) == value, (r.status_code, name, r.headers.get(name))
    assert r.headers.get("x-request-id")


def test_security_headers_on_every_response(client: Any, seller: dict[str, str]) -> None:
    has_security_headers(client.get("/api/health"))
    has_security_headers(client.get("/docs"))
    has_security_headers(client.get("/openapi.json"))
    has_security_headers(client.get("/api/personas", headers=seller))
    has_security_headers(client.get("/no/such/page"))  # 404
    has_security_headers(client.get("/api/personas"))  # 401
    has_security_headers(client.post("/api/personas", json={}, headers=seller))  # 422


def test_security_headers_on_a_413_from_the_body_limit(tmp_path: Path, database_url: str | None) -> None:
    from echome.app.main import create_app
    from echome.bootstrap import build_services

    services = build_services(make_settings(tmp_path, database_url=database_url, max_body_bytes=1000))
    with TestClient(create_app(services), base_url="http://testserver") as c:
        r = c.post("/api/auth/login", json={"email": "x@example.com", "password": "p" * 2000})
    services.close()
    is_error(r, 413)
    has_security_headers(r)


def test_security_headers_and_error_shape_on_a_crash(app: Any) -> None:
    @app.get("/crash-for-test", include_in_schema=False)
    def crash() -> None:
        raise RuntimeError("boom")

    with TestClient(app, raise_server_exceptions=False) as c:
        r = c.get("/crash-for-test")
    is_error(r, 500)
    assert "boom" not in r.text
    has_security_headers(r)


# -- the README --------------------------------------------------------------------------------------
def test_readme_states_the_real_body_limit() -> None:
    readme = (ROOT / "README.md").read_text()
    row = re.search(r"^\| `ECHOME_MAX_BODY_BYTES` \| `(\d+)`", readme, re.M)
    assert row, "README has no ECHOME_MAX_BODY_BYTES row"
    assert int(row.group(1)) == Settings.model_fields["max_body_bytes"].default
