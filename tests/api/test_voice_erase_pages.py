"""Deleting a persona whose voice was cloned at ElevenLabs deletes that voice there too
(`DELETE /v1/voices/{voice_id}` with the seller's key, asserted on the fake ElevenLabs server).
When ElevenLabs fails, the persona is deleted here all the same and the seller is told what is
left there (and it is logged), never silently lost."""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from echome.db.models import ApiKey, Persona
from echome.db.session import transaction
from echome.providers.base import ProviderError
from echome.providers.tts_elevenlabs import ElevenLabsVoiceCloner
from tests.servers.fixtures import fake_elevenlabs  # noqa: F401
from tests.support.web_pages import HTML
from tests.support.web_pages import csrf_token as _token
from tests.support.web_pages import sign_up as _sign_up

from ..conftest import make_settings

VOICE = "vc_ana_0123456789"


@pytest.fixture
def settings(tmp_path: Path, database_url: str | None, fake_elevenlabs: Any) -> Any:  # noqa: F811
    return make_settings(tmp_path, database_url=database_url, elevenlabs_base_url=fake_elevenlabs.base_url)


def _cloned(client: Any, services: Any, fake: Any, *, scope: str = "persona") -> str:
    """A seller whose persona has an ElevenLabs voice, made with the key stored on the page."""
    pid = _sign_up(client)
    page = client.get(f"/app/personas/{pid}/settings", headers=HTML).text
    key = {"provider": "elevenlabs", "scope": scope, "value": fake.api_key, "csrf_token": _token(page)}
    assert (
        client.post(f"/app/personas/{pid}/settings/keys", data=key, follow_redirects=False).status_code == 303
    )
    with transaction(services.sessions) as db:
        persona = db.get(Persona, pid)
        assert persona is not None
        persona.voice_provider, persona.voice_id = "elevenlabs", VOICE
    fake.voices[VOICE] = {"name": "Ana", "category": "cloned"}
    return pid


def _delete(client: Any, pid: str) -> Any:
    base = f"/app/personas/{pid}/settings"
    csrf = _token(client.get(base + "/delete-persona", headers=HTML).text)
    return client.post(
        base + "/delete-persona", data={"confirm": "Ana", "csrf_token": csrf}, follow_redirects=False
    )


def _personas(services: Any) -> int:
    with transaction(services.sessions) as db:
        return int(db.scalar(select(func.count()).select_from(Persona)) or 0)


def _deletes(fake: Any) -> list[Any]:
    return [c for c in fake.calls if c.method == "DELETE"]


def test_deleting_the_persona_deletes_its_voice_at_elevenlabs(
    client: Any,
    services: Any,
    fake_elevenlabs: Any,  # noqa: F811
) -> None:
    pid = _cloned(client, services, fake_elevenlabs)  # the key is the persona's own: deleted with it
    r = _delete(client, pid)
    assert r.status_code == 303 and r.headers["location"] == "/app/personas/new?done=persona-deleted"
    [call] = _deletes(fake_elevenlabs)
    assert call.path == f"/v1/voices/{VOICE}" and call.headers["xi-api-key"] == fake_elevenlabs.api_key
    assert VOICE not in fake_elevenlabs.voices
    assert _personas(services) == 0
    with transaction(services.sessions) as db:
        assert db.scalar(select(func.count()).select_from(ApiKey)) == 0


def test_when_elevenlabs_fails_the_persona_is_deleted_and_the_seller_told(
    client: Any,
    services: Any,
    fake_elevenlabs: Any,  # noqa: F811
    caplog: pytest.LogCaptureFixture,
) -> None:
    pid = _cloned(client, services, fake_elevenlabs, scope="account")
    fake_elevenlabs.fail(500, times=3)
    with caplog.at_level(logging.WARNING, logger="echome.erase"):
        r = _delete(client, pid)
    assert r.status_code == 303
    assert r.headers["location"] == "/app/personas/new?done=persona-deleted-voice-left"
    assert len(_deletes(fake_elevenlabs)) == 1 and VOICE in fake_elevenlabs.voices  # left there
    assert _personas(services) == 0  # deleted here all the same
    page = client.get(r.headers["location"], headers=HTML).text
    assert "Its cloned voice could not be deleted at ElevenLabs" in page
    assert "data-toast-stay" in page  # it stays until the seller dismisses it
    [record] = [rec for rec in caplog.records if "could not be deleted" in rec.getMessage()]
    assert record.voice_id == VOICE and record.persona_id == pid and "HTTP 500" in record.reason  # type: ignore[attr-defined]


def test_without_a_key_any_more_the_voice_left_is_reported(
    client: Any,
    services: Any,
    fake_elevenlabs: Any,  # noqa: F811
) -> None:
    pid = _cloned(client, services, fake_elevenlabs, scope="account")
    page = client.get(f"/app/personas/{pid}/settings", headers=HTML).text
    removed = {"provider": "elevenlabs", "scope": "account", "csrf_token": _token(page)}
    client.post(f"/app/personas/{pid}/settings/keys/remove", data=removed)
    r = _delete(client, pid)
    assert r.headers["location"].endswith("?done=persona-deleted-voice-left")
    assert _deletes(fake_elevenlabs) == [] and _personas(services) == 0


def test_deleting_the_account_deletes_the_voices_and_says_what_is_left(
    client: Any,
    services: Any,
    fake_elevenlabs: Any,  # noqa: F811
) -> None:
    pid = _cloned(client, services, fake_elevenlabs, scope="account")
    fake_elevenlabs.fail(503, times=3)
    base = f"/app/personas/{pid}/settings"
    csrf = _token(client.get(base + "/delete-account", headers=HTML).text)
    r = client.post(
        base + "/delete-account",
        data={"confirm": "ana@example.com", "csrf_token": csrf},
        follow_redirects=False,
    )
    assert r.status_code == 303 and r.headers["location"] == "/?account=deleted&voices=left"
    assert "Its cloned voices could not be deleted at ElevenLabs" in client.get(r.headers["location"]).text
    assert _deletes(fake_elevenlabs) and _personas(services) == 0


def test_the_api_deletes_the_voice_too(
    client: Any,
    services: Any,
    fake_elevenlabs: Any,  # noqa: F811
) -> None:
    pid = _cloned(client, services, fake_elevenlabs)
    csrf = _token(client.get(f"/app/personas/{pid}/settings", headers=HTML).text)
    assert client.delete(f"/api/personas/{pid}", headers={"X-CSRF-Token": csrf}).status_code == 204
    assert [c.path for c in _deletes(fake_elevenlabs)] == [f"/v1/voices/{VOICE}"]
    assert VOICE not in fake_elevenlabs.voices


def test_a_voice_deletion_is_bounded_by_its_own_timeout(fake_elevenlabs: Any) -> None:  # noqa: F811
    fake_elevenlabs.voices[VOICE] = {"name": "Ana"}
    cloner = ElevenLabsVoiceCloner(fake_elevenlabs.api_key, base_url=fake_elevenlabs.base_url)
    fake_elevenlabs.hang(5)
    started = time.monotonic()
    with pytest.raises(ProviderError, match="no answer within the timeout") as failed:
        cloner.delete_voice(VOICE, timeout=0.5)
    assert time.monotonic() - started < 3 and failed.value.transient
    assert cloner.delete_voice(VOICE) is True and cloner.delete_voice(VOICE) is False  # gone: no error
    cloner.close()
