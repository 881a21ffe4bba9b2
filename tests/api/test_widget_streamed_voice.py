"""The web chat speaking with an ElevenLabs voice (the fake ElevenLabs server): each sentence's audio
request relays ElevenLabs' stream, checked per visitor, sent to ElevenLabs a bounded number of times,
kept for the reply's voice note; a failing voice leaves the text reply whole. The local voice still
makes each sentence whole before announcing it."""

from __future__ import annotations

import io
from typing import Any

import pytest
from fastapi.testclient import TestClient

from echome.db.models import Message, Persona
from echome.db.session import transaction
from echome.media.audio import load_audio
from tests.servers.fake_elevenlabs import PREMADE_VOICE, FakeElevenLabs, tone
from tests.servers.fixtures import fake_elevenlabs  # noqa: F401

from .test_widget_api import Shop, _wait_for, shop  # noqa: F401  (shop: a fixture)

QUESTION = "How much is the copper desk lamp?"


@pytest.fixture
def voiced(
    request: pytest.FixtureRequest,
    fake_elevenlabs: FakeElevenLabs,  # noqa: F811
    database_url: str | None,
) -> Shop:
    """The shop, its persona speaking with an ElevenLabs voice (the seller's key for the persona)."""
    own = request.node.get_closest_marker("settings")
    values = {**(own.kwargs if own else {}), "elevenlabs_base_url": fake_elevenlabs.base_url}
    request.node.add_marker(pytest.mark.settings(**values), append=False)  # read by `shop`
    the_shop: Shop = request.getfixturevalue("shop")
    key = the_shop.client.put(
        "/api/keys/elevenlabs",
        json={"value": fake_elevenlabs.api_key, "persona_id": the_shop.persona_id},
        headers=the_shop.seller,
    )
    assert key.status_code in (200, 201), key.text
    with transaction(the_shop.services.sessions) as db:
        persona = db.get(Persona, the_shop.persona_id)
        assert persona is not None
        persona.voice_provider, persona.voice_id = "elevenlabs", PREMADE_VOICE
    return the_shop


def _streams(fake: FakeElevenLabs) -> list[Any]:
    return [c for c in fake.calls if c.path == f"/v1/text-to-speech/{PREMADE_VOICE}/stream"]


def _whole(fake: FakeElevenLabs) -> list[Any]:
    return [c for c in fake.calls if c.path == f"/v1/text-to-speech/{PREMADE_VOICE}"]


def _audio_events(evs: list[tuple[str, Any]]) -> list[dict[str, Any]]:
    return [d for e, d in evs if e == "audio"]


def _voice_note(chat: Shop, visitor: dict[str, str]) -> bytes:
    thread = _wait_for(
        lambda: (
            (t := chat.client.get(f"/api/widget/{chat.slug}/thread", headers=visitor).json())["messages"][-1][
                "audio"
            ]
            and t
        )
    )
    note = chat.client.get(thread["messages"][-1]["audio"], headers=visitor)
    assert note.status_code == 200
    return note.content


def _check_streamed_reply(chat: Shop, fake: FakeElevenLabs, fetch: TestClient) -> None:
    visitor = chat.visitor()
    r, evs = chat.ask(visitor, QUESTION)
    assert r.status_code == 200
    answer = next(d for e, d in evs if e == "answer")
    audio = _audio_events(evs)
    assert len(audio) == answer["audio_sentences"] >= 2 and "$79" in answer["text"]
    assert [a["index"] for a in audio] == list(range(len(audio)))
    assert all(a["duration"] is None for a in audio)  # announced before it is made
    assert _streams(fake) == [] and _whole(fake) == []  # ElevenLabs is asked only when the audio is
    for n, item in enumerate(audio, start=1):
        got = fetch.get(item["url"], headers=visitor)
        assert got.status_code == 200 and got.headers["content-type"] == "audio/mpeg"
        assert "content-length" not in got.headers  # relayed as it comes
        assert got.content == tone()  # ElevenLabs' chunks, all of them, in order
        assert len(_streams(fake)) == n
    said = [c.json["text"] for c in _streams(fake)]
    assert "seventy nine dollars" in said[0] and "$" not in "".join(said)  # said as `say` says it
    assert _whole(fake) == []
    # Asked again, a sentence comes from the cache: ElevenLabs is not paid twice.
    again = fetch.get(audio[0]["url"], headers=visitor)
    assert again.content == tone() and len(_streams(fake)) == len(audio)
    # The reply's voice note: every streamed sentence, decoded and joined into one OGG/Opus note.
    note = _voice_note(chat, visitor)
    assert note[:4] == b"OggS"
    seconds = load_audio(io.BytesIO(note)).size / 16_000
    assert abs(seconds - 0.5 * len(audio)) < 0.25
    with chat.services.sessions() as db:
        msg = db.get(Message, answer["message_id"])
        assert msg is not None and msg.meta["spoken_by"] == "stream"
        assert msg.tts_chars == sum(len(t) for t in said)


def test_each_sentence_is_relayed_from_the_elevenlabs_stream(
    voiced: Shop,
    fake_elevenlabs: FakeElevenLabs,  # noqa: F811
) -> None:
    _check_streamed_reply(voiced, fake_elevenlabs, voiced.client)


@pytest.mark.redis
@pytest.mark.settings(redis_url="redis://127.0.0.1:6379/0")
def test_the_audio_request_may_reach_another_web_process(
    voiced: Shop,
    fake_elevenlabs: FakeElevenLabs,  # noqa: F811
) -> None:
    from echome.app.main import create_app
    from echome.bootstrap import build_services

    other = build_services(voiced.services.settings)  # a second web process: same database and Redis
    try:
        with TestClient(create_app(other), base_url="http://testserver") as client:
            _check_streamed_reply(voiced, fake_elevenlabs, client)
    finally:
        other.close()


def test_another_visitor_gets_404_and_starts_nothing(
    voiced: Shop,
    fake_elevenlabs: FakeElevenLabs,  # noqa: F811
) -> None:
    ana, bo = voiced.visitor(), voiced.visitor()
    _r, evs = voiced.ask(ana, QUESTION)
    url = _audio_events(evs)[0]["url"]
    assert voiced.client.get(url, headers=bo).status_code == 404
    assert voiced.client.get(url, headers={"Origin": ana["Origin"]}).status_code == 401
    assert _streams(fake_elevenlabs) == []
    assert voiced.client.get(url, headers=ana).content == tone()


def test_a_stream_that_breaks_off_gives_what_there_was_and_the_text_stands(
    voiced: Shop,
    fake_elevenlabs: FakeElevenLabs,  # noqa: F811
) -> None:
    fake_elevenlabs.chunk_bytes = 1000
    fake_elevenlabs.break_stream(after_chunks=2)
    visitor = voiced.visitor()
    _r, evs = voiced.ask(visitor, QUESTION)
    assert "$79" in next(d for e, d in evs if e == "answer")["text"]
    audio = _audio_events(evs)
    cut = voiced.client.get(audio[0]["url"], headers=visitor)
    assert cut.status_code == 200 and cut.content == tone()[:2000]
    assert voiced.client.get(audio[0]["url"], headers=visitor).content == tone()[:2000]  # kept, not re-asked
    for item in audio[1:]:
        assert voiced.client.get(item["url"], headers=visitor).content == tone()
    assert len(_streams(fake_elevenlabs)) == len(audio)
    assert _voice_note(voiced, visitor)[:4] == b"OggS"  # what there was
    thread = voiced.client.get(f"/api/widget/{voiced.slug}/thread", headers=visitor).json()
    assert "$79" in thread["messages"][-1]["text"]


def test_a_voice_failing_before_the_first_byte(
    voiced: Shop,
    fake_elevenlabs: FakeElevenLabs,  # noqa: F811
) -> None:
    visitor = voiced.visitor()
    _r, evs = voiced.ask(visitor, QUESTION)
    first, second = _audio_events(evs)[:2]
    fake_elevenlabs.fail(503)  # overloaded once: tried once more
    assert voiced.client.get(first["url"], headers=visitor).content == tone()
    assert len(_streams(fake_elevenlabs)) == 2
    fake_elevenlabs.fail(401, times=3)  # the key stopped working: not tried again
    refused = voiced.client.get(second["url"], headers=visitor)
    assert refused.status_code == 502 and "HTTP 401" in refused.json()["detail"]
    assert len(_streams(fake_elevenlabs)) == 3
    assert voiced.client.get(second["url"], headers=visitor).status_code == 404
    assert len(_streams(fake_elevenlabs)) == 3


def test_a_format_elevenlabs_does_not_stream_here_is_made_whole(
    voiced: Shop,
    fake_elevenlabs: FakeElevenLabs,  # noqa: F811
) -> None:
    visitor = voiced.visitor()
    _r, evs = voiced.ask(visitor, QUESTION, audio="ogg")
    audio = _audio_events(evs)
    assert audio and all(isinstance(a["duration"], float) for a in audio)
    got = voiced.client.get(audio[0]["url"], headers=visitor)
    assert got.headers["content-type"] == "audio/ogg" and got.content[:4] == b"OggS"
    assert int(got.headers["content-length"]) == len(got.content)
    assert _streams(fake_elevenlabs) == [] and len(_whole(fake_elevenlabs)) == len(audio)


def test_the_local_voice_still_makes_each_sentence_whole(shop: Shop) -> None:  # noqa: F811
    visitor = shop.visitor()
    _r, evs = shop.ask(visitor, QUESTION)
    audio = _audio_events(evs)
    assert audio and all(isinstance(a["duration"], float) for a in audio)
    got = shop.client.get(audio[0]["url"], headers=visitor)
    assert got.headers["content-type"] == "audio/mpeg" and int(got.headers["content-length"]) == len(
        got.content
    )
