"""The Settings and Channels pages over HTTP: keys write-only and masked, tested offline, API tokens
shown once and revoked, deleting a persona or the account with its rows, files and vectors, and the
Telegram bot connected against the fake Bot API."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from echome.db.models import (
    AccessToken,
    ApiKey,
    Client,
    Conversation,
    Message,
    Persona,
    PersonaMedia,
    PersonaProfileVersion,
    Product,
    ProductChunk,
    Transcript,
    User,
)
from echome.db.session import transaction
from echome.knowledge.retrieve import collection_name, products_collection
from echome.providers.base import VectorRecord
from tests.servers.fixtures import fake_telegram  # noqa: F401
from tests.support.web_pages import HTML
from tests.support.web_pages import csrf_token as _token
from tests.support.web_pages import sign_up as _sign_up

SECRET = "sk-proj-TOPSECRETvalue1234a1b2"


@pytest.fixture
def settings(tmp_path: Path, database_url: str | None) -> Any:
    from tests.conftest import make_settings

    # Nothing listens on port 9 of loopback: every provider is "offline".
    return make_settings(
        tmp_path,
        database_url=database_url,
        openai_base_url="http://127.0.0.1:9/v1",
        telegram_api_url="http://127.0.0.1:9",
    )


def _post(client: Any, url: str, data: dict[str, str], **kw: Any) -> Any:
    csrf = _token(client.get(url.split("/settings")[0] + "/settings", headers=HTML).text)
    return client.post(url, data={**data, "csrf_token": csrf}, headers=HTML, follow_redirects=False, **kw)


def test_a_key_is_write_only_masked_replaced_tested_and_removed(client: Any, services: Any) -> None:
    pid = _sign_up(client)
    base = f"/app/personas/{pid}/settings"
    r = _post(client, base + "/keys", {"provider": "openai", "scope": "account", "value": SECRET})
    assert r.status_code == 303
    page = client.get(base, headers=HTML).text
    assert SECRET not in page and SECRET[:-4] not in page
    assert "…a1b2" in page and "added" in page
    # Offline: the test says so in words, nothing crashes, the key stays.
    r = _post(client, base + "/keys/test", {"provider": "openai", "scope": "account"})
    assert r.status_code == 200 and "Could not reach OpenAI" in r.text and SECRET not in r.text
    # Replace for this persona only; an empty value is an error next to the field.
    r = _post(client, base + "/keys", {"provider": "openai", "scope": "persona", "value": "  "})
    assert r.status_code == 422 and "The key is empty." in r.text
    _post(client, base + "/keys", {"provider": "openai", "scope": "persona", "value": "sk-other-zzzz9999"})
    with transaction(services.sessions) as db:
        scopes = sorted(db.scalars(select(ApiKey.scope).where(ApiKey.provider == "openai")))
    assert scopes == ["", pid]
    _post(client, base + "/keys/remove", {"provider": "openai", "scope": "account"})
    _post(client, base + "/keys/remove", {"provider": "openai", "scope": "account"})  # twice: no error
    with transaction(services.sessions) as db:
        assert list(db.scalars(select(ApiKey.scope))) == [pid]


def test_the_key_check_reads_the_providers_verdict() -> None:
    import httpx

    from echome.accounts.key_check import KeyChecker

    def answer(request: httpx.Request) -> httpx.Response:
        ok = request.headers.get("authorization") == "Bearer good"
        return httpx.Response(200 if ok else 401, json={})

    check = KeyChecker(transport=httpx.MockTransport(answer))
    assert check("openai", "good").ok and "accepted" in check("openai", "good").message
    bad = check("openai", "bad")
    assert not bad.ok and "rejected" in bad.message
    assert not check("telegram_bot_token", "x").ok


def test_api_tokens_are_shown_once_and_revoked(client: Any, services: Any) -> None:
    pid = _sign_up(client)
    base = f"/app/personas/{pid}/settings"
    r = _post(client, base + "/tokens", {"name": "shop sync"})
    shown = re.search(r'id="new-token"[^>]*value="([^"]+)"', r.text)
    assert r.status_code == 200 and shown
    assert (
        client.get("/api/auth/me", headers={"Authorization": f"Bearer {shown.group(1)}"}).status_code == 200
    )
    page = client.get(base, headers=HTML).text
    assert "shop sync" in page and shown.group(1) not in page
    assert _post(client, base + "/tokens", {"name": ""}).status_code == 422
    with transaction(services.sessions) as db:
        tid = db.scalar(select(AccessToken.id).where(AccessToken.name == "shop sync"))
    assert _post(client, f"{base}/tokens/{tid}/revoke", {}).status_code == 303
    assert (
        client.get("/api/auth/me", headers={"Authorization": f"Bearer {shown.group(1)}"}).status_code == 401
    )


def _seed_persona(services: Any, uid: str, pid: str) -> dict[str, Any]:
    """A recording with a transcript and files, a profile version, a catalog with vectors, a
    conversation with a voice note, and a bot token: everything a persona owns."""
    storage, vectors = services.storage, services.vectors
    audio = storage.put("audio", uid, f"{pid}-media.flac", b"flac")
    upload = storage.put("media-uploads", uid, f"{pid}-orig.wav", b"wav")
    note = storage.put("audio", uid, f"responses/{pid}-reply.ogg", b"ogg")
    with transaction(services.sessions) as db:
        media = PersonaMedia(
            user_id=uid, persona_id=pid, kind="upload", source="a.wav", status="ready", audio_key=audio,
            upload_key=upload,
        )  # fmt: skip
        db.add(media)
        db.flush()
        db.add(Transcript(user_id=uid, media_id=media.id, model="m", language="en", text="hi"))
        persona = db.get(Persona, pid)
        assert persona is not None and persona.profile is not None
        db.add(PersonaProfileVersion(user_id=uid, profile_id=persona.profile.id, version=1))
        product = Product(user_id=uid, persona_id=pid, external_key=f"k-{pid}", name="Mug", source="mugs.csv")
        db.add(product)
        db.flush()
        chunk = ProductChunk(user_id=uid, product_id=product.id, content="A mug")
        client = Client(user_id=uid, persona_id=pid, channel="telegram", external_id=f"c-{pid}")
        db.add_all([chunk, client])
        db.flush()
        conv = Conversation(user_id=uid, persona_id=pid, client_id=client.id, channel="telegram")
        db.add(conv)
        db.flush()
        db.add(Message(user_id=uid, conversation_id=conv.id, role="assistant", content="hi", audio_ref=note))
        db.add(ApiKey(user_id=uid, scope=pid, provider="telegram_bot_token", ciphertext="x", hint=""))
        ids = {"product": product.id, "chunk": chunk.id}
    v = np.ones(8, dtype=np.float32)
    vectors.upsert(
        collection_name(uid), [VectorRecord(ids["chunk"], v, "A mug", {"product_id": ids["product"]})]
    )
    vectors.upsert(
        products_collection(uid), [VectorRecord(ids["product"], v, "Mug", {"product_id": ids["product"]})]
    )
    return {"files": [audio, upload, note], **ids}


def _count(services: Any, model: Any, *where: Any) -> int:
    with transaction(services.sessions) as db:
        return int(db.scalar(select(func.count()).select_from(model).where(*where)) or 0)


def test_deleting_a_persona_removes_its_rows_files_and_vectors(client: Any, services: Any) -> None:
    pid = _sign_up(client)
    uid = client.get("/api/auth/me").json()["id"]
    base = f"/app/personas/{pid}/settings"
    seeded = _seed_persona(services, uid, pid)
    assert "1 recording" in client.get(base + "/delete-persona", headers=HTML).text
    # A stored token this server cannot decrypt (master key changed) is a clear state, not a crash.
    channels = client.get(f"/app/personas/{pid}/channels", headers=HTML)
    assert channels.status_code == 200 and "cannot be read on this server" in channels.text
    r = _post(client, base + "/delete-persona", {"confirm": "Not Ana"})
    assert r.status_code == 422 and "exactly as shown" in r.text
    assert _count(services, Persona, Persona.id == pid) == 1  # nothing deleted on a wrong name
    r = _post(client, base + "/delete-persona", {"confirm": "Ana"})
    assert r.status_code == 303 and r.headers["location"] == "/app/personas/new?done=persona-deleted"
    for model in (Persona, PersonaMedia, Transcript, PersonaProfileVersion, Product, ProductChunk,
                  Conversation, Message, Client, ApiKey):  # fmt: skip
        assert _count(services, model, model.user_id == uid) == 0, model.__name__
    assert not any(services.storage.exists(k) for k in seeded["files"])
    assert services.vectors.vectors(collection_name(uid), [seeded["chunk"]]) == {}
    assert services.vectors.vectors(products_collection(uid), [seeded["product"]]) == {}
    assert _count(services, User, User.id == uid) == 1  # the account stays


def test_deleting_the_account_removes_everything_and_signs_out(client: Any, services: Any) -> None:
    pid = _sign_up(client)
    uid = client.get("/api/auth/me").json()["id"]
    seeded = _seed_persona(services, uid, pid)
    shared = services.storage.put("uploads", uid, "catalog.csv", b"sku,name")
    base = f"/app/personas/{pid}/settings"
    assert _post(client, base + "/delete-account", {"confirm": "bo@example.com"}).status_code == 422
    r = _post(client, base + "/delete-account", {"confirm": "ANA@example.com"})
    assert r.status_code == 303 and r.headers["location"].startswith("/?")
    assert _count(services, User, User.id == uid) == 0
    assert not any(services.storage.exists(k) for k in [*seeded["files"], shared])
    assert client.get("/app", headers=HTML, follow_redirects=False).status_code == 303  # signed out


def test_posts_without_the_session_token_are_refused(client: Any, services: Any) -> None:
    pid = _sign_up(client)
    base = f"/app/personas/{pid}"
    for url, data in (
        ("/settings/keys", {"provider": "openai", "scope": "account", "value": SECRET}),
        ("/settings/delete-persona", {"confirm": "Ana"}),
        ("/settings/delete-account", {"confirm": "ana@example.com"}),
        ("/settings/tokens", {"name": "x"}),
        ("/channels/telegram", {"token": "123:abc"}),
    ):
        r = client.post(base + url, data=data, headers=HTML, follow_redirects=False)
        assert r.status_code == 403 and "This request was refused" in r.text, url
    assert _count(services, Persona, Persona.id == pid) == 1
    assert _count(services, ApiKey) == 0


def test_another_sellers_ids_are_404(app: Any, client: Any, services: Any) -> None:
    pid = _sign_up(client)
    _post(client, f"/app/personas/{pid}/settings/tokens", {"name": "mine"})
    with transaction(services.sessions) as db:
        tid = db.scalar(select(AccessToken.id))
    with TestClient(app, base_url="http://testserver") as other:
        own = _sign_up(other, "bo@example.com", "Bo")
        csrf = _token(other.get(f"/app/personas/{own}/settings", headers=HTML).text)
        for url in ("/settings/delete-persona", "/channels/telegram/disconnect", "/settings/keys/test"):
            r = other.post(f"/app/personas/{pid}{url}", data={"csrf_token": csrf, "confirm": "Ana",
                           "provider": "openai", "scope": "account"}, headers=HTML)  # fmt: skip
            assert r.status_code == 404, url
        r = other.post(
            f"/app/personas/{own}/settings/tokens/{tid}/revoke", data={"csrf_token": csrf}, headers=HTML
        )
        assert r.status_code == 404
    assert _count(services, Persona, Persona.id == pid) == 1
    assert _count(services, AccessToken, AccessToken.revoked_at.is_(None)) == 1


def test_telegram_offline_is_a_clear_state_and_the_checklist_agrees(client: Any) -> None:
    pid = _sign_up(client)
    base = f"/app/personas/{pid}/channels"
    page = client.get(base, headers=HTML).text
    assert "Connect bot" in page and "Coming" in page and "WhatsApp" in page
    csrf = _token(page)
    bad = client.post(base + "/telegram", data={"token": "not a token", "csrf_token": csrf}, headers=HTML)
    assert bad.status_code == 422 and "Paste the whole token" in bad.text
    token = "123456:ABCdefGhIJKlmnoPQRstu-vwxyz0123456"
    r = client.post(base + "/telegram", data={"token": token, "csrf_token": csrf}, headers=HTML)
    assert r.status_code == 200 and "Telegram could not be reached" in r.text and token not in r.text
    assert "A channel connected" in client.get(f"/app/personas/{pid}", headers=HTML).text
    assert "Telegram bot connected." in client.get(f"/app/personas/{pid}", headers=HTML).text
    r = client.post(
        base + "/telegram/disconnect", data={"csrf_token": csrf}, headers=HTML, follow_redirects=False
    )
    assert r.status_code == 303
    assert (
        "Connect a Telegram bot so customers can reach you."
        in client.get(f"/app/personas/{pid}", headers=HTML).text
    )


@pytest.mark.parametrize("public", [False, True])
def test_telegram_connect_against_the_fake_bot_api(
    tmp_path: Path,
    database_url: str | None,
    fake_telegram: Any,  # noqa: F811
    public: bool,
) -> None:
    from echome.app.main import create_app
    from echome.bootstrap import build_services
    from tests.conftest import make_settings

    settings = make_settings(
        tmp_path, database_url=database_url, telegram_api_url=fake_telegram.api_url,
        public_url="https://shop.example.com" if public else None,
    )  # fmt: skip
    services = build_services(settings)
    try:
        with TestClient(create_app(services), base_url="http://testserver") as client:
            pid = _sign_up(client)
            base = f"/app/personas/{pid}/channels"
            csrf = _token(client.get(base, headers=HTML).text)
            r = client.post(
                base + "/telegram", data={"token": fake_telegram.token, "csrf_token": csrf}, headers=HTML
            )
            assert r.status_code == 200 and "@echome_test_bot" in r.text and fake_telegram.token not in r.text
            hook = f"https://shop.example.com/webhook/telegram/{pid}"
            if public:
                assert hook in r.text and "Last delivery error" in r.text
            else:
                assert "Polling" in r.text
            page = client.get(base, headers=HTML).text
            assert f'hx-get="{base}/telegram/state"' in page and fake_telegram.token not in page
            state = client.get(base + "/telegram/state", headers={"HX-Request": "true", **HTML}).text
            assert "@echome_test_bot" in state and fake_telegram.token not in state
            methods = [c.api_method.lower() for c in fake_telegram.calls]
            assert ("setwebhook" in methods) is public and "getme" in methods
            client.post(base + "/telegram/disconnect", data={"csrf_token": csrf}, headers=HTML)
            assert "deletewebhook" in [c.api_method.lower() for c in fake_telegram.calls]
            assert "Connect bot" in client.get(base, headers=HTML).text
    finally:
        services.close()
