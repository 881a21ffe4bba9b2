"""With the seller's cloud keys: LLM traits are added to the measured profile, and the voice is an
ElevenLabs instant clone built from the seller's own samples (fake servers speak the wire APIs)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from echome.jobs import store as job_store
from echome.media.audio import probe

from ..servers.fixtures import fake_elevenlabs, fake_openai  # noqa: F401
from ..support.media import librivox_clips
from ..support.sellers import seller_client

LLM_PERSONA = {
    "role": "Bookshop owner who reads aloud to customers",
    "personality_traits": ["measured", "literary"],
    "tone": "warm and formal",
    "speech_patterns": ["long sentences"],
    "dos": ["quote the book"],
    "donts": ["rush the customer"],
    "backstory": "Runs a small bookshop.",
    "selling_style": "storytelling",
}


@pytest.fixture
def cloud_client(
    tmp_path: Path,
    request: pytest.FixtureRequest,
    fake_openai: Any,  # noqa: F811
    fake_elevenlabs: Any,  # noqa: F811
) -> Any:
    template: Path = request.getfixturevalue("sqlite_template")
    settings = {
        "stt": "local:tiny.en",
        "openai_base_url": fake_openai.base_url,
        "elevenlabs_base_url": fake_elevenlabs.base_url,
    }
    with seller_client(tmp_path, template, **settings) as (c, services, user):
        for provider, server in (("openai", fake_openai), ("elevenlabs", fake_elevenlabs)):
            r = c.put(f"/api/keys/{provider}", json={"value": server.api_key})
            assert r.status_code in (200, 201), r.text
        yield c, services, user


def test_llm_traits_and_elevenlabs_voice(cloud_client: Any, fake_openai: Any, fake_elevenlabs: Any) -> None:  # noqa: F811
    client, services, user = cloud_client
    fake_openai.reply("not json at all", json.dumps(LLM_PERSONA))  # the first reply is invalid: retried
    pid = client.post("/api/personas", json={"name": "Marianne"}).json()["id"]
    files = [("files", (c.name, c.read_bytes(), "audio/wav")) for c, _ in librivox_clips()[:3]]
    r = client.post(f"/api/personas/{pid}/media/upload", files=files, data={"consent": "true"})
    assert r.status_code == 202, r.text
    services.executor.execute(r.json()["job_id"])
    with services.sessions() as s:
        job = job_store.get_job(s, user_id=user["id"], job_id=r.json()["job_id"])
    assert job.status == "completed", job.error

    merged = client.get(f"/api/personas/{pid}/profile").json()["merged"]
    assert merged["role"] == LLM_PERSONA["role"] and merged["dos"] == ["quote the book"]
    assert isinstance(merged["tone"], dict), "the measured tone is never replaced by the LLM's guess"
    assert merged["speaking_rate_wpm"] > 0 and merged["sources"]["role"] == "llm"
    chats = fake_openai.chat_calls()
    assert len(chats) == 2 and chats[0].json["response_format"]["type"] == "json_schema"
    assert "not json" in json.dumps(chats[1].json["messages"])  # the invalid reply was fed back

    voice = client.get(f"/api/personas/{pid}/voice").json()
    assert voice["provider"] == "elevenlabs" and voice["voice_id"] in fake_elevenlabs.voices
    add = [c for c in fake_elevenlabs.calls if c.path == "/v1/voices/add"]
    assert len(add) == 1 and add[0].headers["xi-api-key"] == fake_elevenlabs.api_key
    sent = [f for f in add[0].files if f.field == "files"]
    assert 1 <= len(sent) <= 25 and all(f.content_type.startswith("audio/") for f in sent)
    assert voice["consent"]["confirmed_by"] == "seller@example.com"

    said = client.post(f"/api/personas/{pid}/say", json={"text": "Welcome to the shop."})
    assert said.status_code == 200 and said.headers["x-voice-provider"] == "elevenlabs"
    tts = [c for c in fake_elevenlabs.calls if c.path.startswith("/v1/text-to-speech/")]
    assert tts[-1].path == f"/v1/text-to-speech/{voice['voice_id']}"
    assert tts[-1].json["voice_settings"]["stability"] == 0.5
    assert tts[-1].json["voice_settings"]["similarity_boost"] == 0.75

    # per-persona speech settings reach the next request
    assert client.put(f"/api/personas/{pid}/voice/settings", json={"stability": 0.3}).status_code == 200
    client.post(f"/api/personas/{pid}/say", json={"text": "Again."})
    tts = [c for c in fake_elevenlabs.calls if c.path.startswith("/v1/text-to-speech/")]
    assert tts[-1].json["voice_settings"]["stability"] == 0.3

    fake_elevenlabs.fail(401, times=5)
    bad = client.post(f"/api/personas/{pid}/say", json={"text": "Again."})
    assert bad.status_code == 422 and "speech failed" in bad.json()["detail"]


def test_say_without_media_uses_the_stock_voice(cloud_client: Any, tmp_path: Path) -> None:
    client, _, _ = cloud_client
    pid = client.post("/api/personas", json={"name": "New"}).json()["id"]
    r = client.post(f"/api/personas/{pid}/say", json={"text": "Hello there.", "format": "wav"})
    assert r.status_code == 200 and r.headers["x-voice-provider"] == "local"
    out = tmp_path / "x.wav"
    out.write_bytes(r.content)
    assert probe(out).duration > 0.3
    assert client.post(f"/api/personas/{pid}/say", json={"text": " "}).status_code == 422
    assert client.post(f"/api/personas/{pid}/voice", json={"consent": True}).status_code == 409
