"""Which languages a persona's voice speaks: the voices say it (local Piper voice: its model's one
language; ElevenLabs: by model), the Speaker sends a voice note only in those and says its numbers in
the reply's language, and the seller sees it (persona API, `echome persona show`)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine
from sqlalchemy.orm import sessionmaker
from sqlalchemy.pool import StaticPool
from typer.testing import CliRunner

from echome.answer.phrasing import Phrases
from echome.db.models import Base, Persona, User
from echome.providers.base import TextToSpeech
from echome.providers.fakes import FixedModels, RecordingTTS
from echome.providers.tts_elevenlabs import ElevenLabsTTS, model_languages
from echome.storage.local import LocalStorage
from echome.voice.local import LocalVoiceTTS
from echome.voice.speaker import Speaker, SpeakError
from tests.servers.fake_elevenlabs import PREMADE_VOICE, FakeElevenLabs

pytest_plugins = ["tests.servers.fixtures"]
SHOP = {"de", "fr", "es", "it", "nl", "pt", "en"}


def test_each_voice_says_which_languages_it_speaks(tmp_path: Path) -> None:
    local = LocalVoiceTTS()
    assert isinstance(local, TextToSpeech) and local.languages == {"en"}  # the stock en_US joe voice
    model = tmp_path / "de_DE-thorsten-medium.onnx"
    Path(f"{model}.json").write_text(json.dumps({"language": {"code": "de_DE", "family": "de"}}))
    assert LocalVoiceTTS(model).languages == {"de"}  # a Piper voice speaks its config's language
    Path(f"{model}.json").write_text("not json")
    assert LocalVoiceTTS(model).languages == {"en"}

    for multilingual in ("eleven_multilingual_v2", "eleven_turbo_v2_5", "eleven_flash_v2_5", "eleven_v3"):
        tts = ElevenLabsTTS("xi-key", model_id=multilingual)
        assert isinstance(tts, TextToSpeech) and tts.languages >= SHOP
    assert {"hu", "vi"} <= model_languages("eleven_flash_v2_5") and "hu" not in model_languages(
        "eleven_multilingual_v2"
    )
    for english in ("eleven_monolingual_v1", "eleven_flash_v2", "eleven_turbo_v2", "eleven_english_v9"):
        assert ElevenLabsTTS("xi-key", model_id=english).languages == {"en"}
    assert model_languages("eleven_multilingual_v3") >= SHOP  # a newer multilingual model

    fake = RecordingTTS(["en", "de"])
    assert isinstance(fake, TextToSpeech) and fake.languages == {"en", "de"}


@pytest.fixture
def shop(tmp_path: Path) -> Iterator[Any]:
    """An in-memory seller with two personas: Ana on ElevenLabs, Bo on the stock local voice."""
    engine = create_engine("sqlite://", poolclass=StaticPool, connect_args={"check_same_thread": False})
    Base.metadata.create_all(engine)
    sessions = sessionmaker(engine, expire_on_commit=False)
    with sessions.begin() as db:
        user = User(email="seller@example.com")
        db.add(user)
        db.flush()
        ana = Persona(user_id=user.id, name="Ana", voice_provider="elevenlabs", voice_id=PREMADE_VOICE)
        bo = Persona(user_id=user.id, name="Bo")
        db.add_all([ana, bo])
        db.flush()
        ids = {"user": user.id, "ana": ana.id, "bo": bo.id}

    def speaker(tts: Any) -> Speaker:
        return Speaker(sessions, FixedModels(tts=tts), LocalStorage(tmp_path), default_currency="EUR")

    yield type("Shop", (), {"ids": ids, "speaker": staticmethod(speaker)})
    engine.dispose()


def test_a_voice_note_is_sent_only_in_a_language_the_voice_speaks(shop: Any) -> None:
    user, ana, bo = shop.ids["user"], shop.ids["ana"], shop.ids["bo"]
    tts = RecordingTTS(["en", "de", "fr"])
    sp = shop.speaker(tts)
    assert sp.voice_languages(ana, user) == {"en", "de", "fr"}
    assert (
        sp.can_speak(ana, user, "de")
        and sp.can_speak(ana, user, "de-AT")
        and not sp.can_speak(ana, user, "es")
    )
    with pytest.raises(SpeakError, match="speaks de, en, fr, not es"):
        sp.save_reply(persona_id=ana, user_id=user, text="¿Algo más?", message_id="m0", language="es")
    assert tts.given == []

    # The stock local voice speaks English only: a German reply goes out as text alone.
    local = shop.speaker(LocalVoiceTTS())
    assert local.can_speak(bo, user, "en") and not local.can_speak(bo, user, "de")
    # No voice at all (an ElevenLabs key that was removed): its languages are unknown; speaking is
    # tried, and fails with the real reason (the reply carries it as its speech error).
    assert shop.speaker(None).voice_languages(ana, user) == frozenset()
    assert shop.speaker(None).can_speak(ana, user, "en")


def test_numbers_are_said_in_the_replys_language(shop: Any) -> None:
    user, ana = shop.ids["user"], shop.ids["ana"]
    tts = RecordingTTS(["de", "fr"])
    sp = shop.speaker(tts)
    de, fr = Phrases.for_language("de"), Phrases.for_language("fr")
    german = de.sale("Kicker", de.money(Decimal("599"), "EUR"), de.money(Decimal("698.99"), "EUR"))
    saved = sp.save_reply(persona_id=ana, user_id=user, text=german, message_id="m1", language="de")
    assert tts.given[-1] == (
        "Kicker ist gerade reduziert: fünfhundertneunundneunzig Euro statt "
        "sechshundertachtundneunzig Euro neunundneunzig."  # as a German says a price: "… Euro neunundneunzig"
    )
    assert saved.audio.startswith(b"OggS")
    french = fr.price("Kicker", fr.money(Decimal("12500"), "EUR"))  # "12 500 €", narrow no-break space
    sp.speak(persona_id=ana, user_id=user, text=french, language="fr")
    assert tts.given[-1] == "Kicker coûte douze mille cinq cents euros."


def test_elevenlabs_speaks_a_german_reply_and_an_english_model_refuses_it(
    shop: Any, fake_elevenlabs: FakeElevenLabs
) -> None:
    user, ana = shop.ids["user"], shop.ids["ana"]
    key, url = fake_elevenlabs.api_key, fake_elevenlabs.base_url
    multilingual = shop.speaker(ElevenLabsTTS(key, base_url=url, model_id="eleven_multilingual_v2"))
    assert multilingual.can_speak(ana, user, "de")
    multilingual.speak(persona_id=ana, user_id=user, text="Kicker kostet 1500 €.", language="de")
    [call] = fake_elevenlabs.calls
    assert call.json["text"] == "Kicker kostet eintausendfünfhundert Euro."
    assert call.json["model_id"] == "eleven_multilingual_v2"

    english = shop.speaker(ElevenLabsTTS(key, base_url=url, model_id="eleven_flash_v2"))
    assert not english.can_speak(ana, user, "de") and english.can_speak(ana, user, "en")
    with pytest.raises(SpeakError, match="speaks en, not de"):
        english.speak(persona_id=ana, user_id=user, text="Kicker kostet 1500 €.", language="de")
    assert len(fake_elevenlabs.calls) == 1  # nothing was sent to be mispronounced


# -- the seller sees it ----------------------------------------------------------------------------
def test_the_persona_api_lists_the_languages_its_voice_speaks(
    client: Any, make_seller: Any, services: Any
) -> None:
    headers, _user = make_seller()
    created = client.post("/api/personas", json={"name": "Ana"}, headers=headers)
    assert created.status_code == 201 and created.json()["voice_languages"] == ["en"]  # stock local voice
    pid = created.json()["id"]
    assert (
        client.put("/api/keys/elevenlabs", json={"value": "xi-" + "k" * 30}, headers=headers).status_code
        == 200
    )
    with services.sessions.begin() as db:
        persona = db.get(Persona, pid)
        persona.voice_provider, persona.voice_id = "elevenlabs", PREMADE_VOICE
    spoken = client.get(f"/api/personas/{pid}", headers=headers).json()["voice_languages"]
    assert set(spoken) >= SHOP and spoken == sorted(spoken)
    assert client.get("/api/personas", headers=headers).json()[0]["voice_languages"] == spoken
    # Without the key the cloned voice cannot speak at all, and the seller is told so.
    assert client.delete("/api/keys/elevenlabs", headers=headers).status_code == 204
    assert client.get(f"/api/personas/{pid}", headers=headers).json()["voice_languages"] == []


def test_persona_show_says_which_languages_the_voice_speaks(services: Any) -> None:
    from echome.cli.common import state
    from echome.cli.persona import persona_app

    with services.sessions.begin() as db:
        db.add(User(email="owner@example.com", is_owner=True))
    runner = CliRunner()
    state._services = services
    try:
        assert runner.invoke(persona_app, ["create", "Ana"]).exit_code == 0
        shown = runner.invoke(persona_app, ["show", "Ana"])
        assert shown.exit_code == 0, shown.output
        assert "voice speaks: en" in shown.output and "text only" in shown.output
        as_json = runner.invoke(persona_app, ["show", "Ana", "--json"])
        assert json.loads(as_json.output)["voice"]["languages"] == ["en"]
    finally:
        state._services = None
