"""Provider keys: encrypted at rest, masked in the API, absent from logs and error messages."""

from __future__ import annotations

import io
import logging
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from echome.accounts import keys as key_service
from echome.logs import configure_logging

SECRET = "sk-live-Zq8PLAINTEXTSECRET9931xyz"


def test_keys_are_masked_and_decryptable_for_use(client: Any, services: Any, make_seller: Any) -> None:
    headers, user = make_seller()
    r = client.put("/api/keys/openai", json={"value": SECRET}, headers=headers)
    assert r.status_code == 200
    assert r.json()["masked"] == "••••••••1xyz" and SECRET not in r.text
    listed = client.get("/api/keys", headers=headers)
    assert SECRET not in listed.text and listed.json()[0]["masked"].endswith("1xyz")
    with services.sessions() as s:
        assert key_service.get_secret(s, services.keystore, user_id=user["id"], provider="openai") == SECRET


def test_persona_scoped_key_falls_back_to_seller_key(client: Any, services: Any, make_seller: Any) -> None:
    headers, user = make_seller()
    pid = client.post("/api/personas", json={"name": "P"}, headers=headers).json()["id"]
    client.put("/api/keys/telegram_bot_token", json={"value": "111111:" + "a" * 35}, headers=headers)
    client.put(
        "/api/keys/telegram_bot_token",
        json={"value": "222222:" + "b" * 35, "persona_id": pid},
        headers=headers,
    )
    with services.sessions() as s:
        get = key_service.get_secret
        assert get(
            s, services.keystore, user_id=user["id"], provider="telegram_bot_token", scope=pid
        ).startswith("2222")
        assert get(s, services.keystore, user_id=user["id"], provider="telegram_bot_token").startswith("1111")
    assert client.delete(f"/api/personas/{pid}", headers=headers).status_code == 204
    assert [k["persona_id"] for k in client.get("/api/keys", headers=headers).json()] == [None]


def test_keys_are_unreadable_in_the_database(
    client: Any, services: Any, make_seller: Any, backend: str
) -> None:
    headers, _ = make_seller()
    client.put("/api/keys/elevenlabs", json={"value": SECRET}, headers=headers)
    if backend == "sqlite":
        services.engine.dispose()  # checkpoint the WAL so the main file holds everything
        raw = b"".join(p.read_bytes() for p in Path(services.settings.data_dir).glob("echome.db*"))
        assert b"1xyz" in raw  # the masked hint is there: we are looking at the right file
        assert SECRET.encode() not in raw and b"PLAINTEXTSECRET" not in raw
    with services.engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT * FROM api_keys")).all()
    dumped = repr(rows)
    assert rows and SECRET not in dumped and "PLAINTEXTSECRET" not in dumped


def test_keys_never_reach_logs_or_errors(client: Any, make_seller: Any) -> None:
    stream = io.StringIO()
    configure_logging(level="DEBUG", fmt="json", stream=stream)
    try:
        headers, _ = make_seller()
        client.put("/api/keys/openai", json={"value": SECRET}, headers=headers)
        bad = client.put("/api/keys/openai", json={"value": [SECRET]}, headers=headers)  # wrong type
        assert bad.status_code == 422 and SECRET not in bad.text
        unknown = client.put("/api/keys/nope", json={"value": SECRET}, headers=headers)
        assert unknown.status_code == 422 and SECRET not in unknown.text
        logging.getLogger("echome.test").info("done")
    finally:
        configure_logging(level="WARNING", fmt="text")
    logs = stream.getvalue()
    assert '"path": "/api/keys/openai"' in logs  # requests were logged
    assert SECRET not in logs and "PLAINTEXTSECRET" not in logs


def test_master_key_rotation_keeps_keys_readable(services: Any, client: Any, make_seller: Any) -> None:
    from echome.bootstrap import keystore_for, master_key_path
    from echome.secrets.keystore import KeyStore, prepend_key_file

    headers, user = make_seller()
    client.put("/api/keys/openai", json={"value": SECRET}, headers=headers)
    path = master_key_path(services.settings)
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    old_key = path.read_text().split()[0]
    prepend_key_file(path)
    rotated = keystore_for(services.settings)
    with services.sessions() as s, s.begin():
        assert key_service.rotate_all(s, rotated) == 1
    new_only = KeyStore([path.read_text().split()[0]])
    assert path.read_text().split()[1] == old_key
    with services.sessions() as s:
        assert key_service.get_secret(s, new_only, user_id=user["id"], provider="openai") == SECRET
