"""ElevenLabs streaming speech (`POST /v1/text-to-speech/{voice_id}/stream`) against the local fake of
its API: the request sent, the audio as it arrives, errors before the first byte and a stream that
breaks off."""

from __future__ import annotations

import httpx
import pytest

from echome.providers.base import ProviderError
from echome.providers.tts_elevenlabs import ElevenLabsTTS
from tests.servers.fake_elevenlabs import PREMADE_VOICE, FakeElevenLabs, tone

pytest_plugins = ["tests.servers.fixtures"]


def _tts(fake: FakeElevenLabs, **kw: object) -> ElevenLabsTTS:
    return ElevenLabsTTS(fake.api_key, base_url=fake.base_url, **kw)  # type: ignore[arg-type]


def test_the_stream_request_and_its_audio_in_order(fake_elevenlabs: FakeElevenLabs) -> None:
    fake_elevenlabs.chunk_bytes = 700
    tts = _tts(fake_elevenlabs, model_id="eleven_flash_v2_5")
    chunks = tts.stream("Hello there!", voice_id=PREMADE_VOICE, settings={"stability": 0.3, "speed": 1.1})
    assert fake_elevenlabs.calls == []  # nothing is sent before the first chunk is asked for
    got = list(chunks)
    assert b"".join(got) == tone("mp3_44100_128") and len(fake_elevenlabs.chunks()) > 3
    assert all(got)
    [call] = fake_elevenlabs.calls
    assert (call.method, call.path) == ("POST", f"/v1/text-to-speech/{PREMADE_VOICE}/stream")
    assert call.query == {"output_format": ["mp3_44100_128"]}
    assert call.headers["xi-api-key"] == fake_elevenlabs.api_key and call.headers["accept"] == "audio/mpeg"
    assert call.json == {
        "text": "Hello there!",
        "model_id": "eleven_flash_v2_5",
        "voice_settings": {"stability": 0.3, "similarity_boost": 0.75, "speed": 1.1},
    }


def test_the_output_format_asked_for_is_sent(fake_elevenlabs: FakeElevenLabs) -> None:
    tts = _tts(fake_elevenlabs)  # whole-audio requests of this adapter would ask for mp3_44100_128
    low = b"".join(tts.stream("Hi", voice_id=PREMADE_VOICE, output_format="mp3_22050_32"))
    assert low == tone("mp3_22050_32") and low != tone("mp3_44100_128")
    pcm = b"".join(tts.stream("Hi", voice_id=PREMADE_VOICE, output_format="pcm_16000"))
    assert len(pcm) == 16_000  # half a second of 16-bit samples
    assert [c.query["output_format"] for c in fake_elevenlabs.calls] == [["mp3_22050_32"], ["pcm_16000"]]
    assert fake_elevenlabs.calls[1].headers["accept"] == "audio/pcm"


@pytest.mark.parametrize(
    ("text", "kw", "needle"),
    [
        ("", {}, "empty"),
        ("x" * 10_001, {}, "at most 10000"),
        ("Hi", {"settings": {"speed": 2.0}}, "outside 0.7..1.2"),
        ("Hi", {"output_format": "opus_48000"}, "unsupported output_format"),
        ("Hi", {"voice_id": ""}, "no ElevenLabs voice id"),
    ],
)
def test_bad_requests_are_refused_before_sending(
    fake_elevenlabs: FakeElevenLabs, text: str, kw: dict[str, object], needle: str
) -> None:
    args: dict[str, object] = {"voice_id": PREMADE_VOICE, **kw}
    with pytest.raises(ProviderError, match=needle):
        list(_tts(fake_elevenlabs).stream(text, **args))  # type: ignore[arg-type]
    assert fake_elevenlabs.calls == []


def _first_error(tts: ElevenLabsTTS, voice_id: str = PREMADE_VOICE) -> ProviderError:
    chunks = tts.stream("Hi", voice_id=voice_id)
    with pytest.raises(ProviderError) as err:
        next(chunks)
    return err.value


def test_errors_before_the_first_byte_read_as_synthesize_reads_them(fake_elevenlabs: FakeElevenLabs) -> None:
    wrong = _first_error(ElevenLabsTTS("xi-wrong-key", base_url=fake_elevenlabs.base_url))
    assert not wrong.transient and "HTTP 401" in str(wrong) and "the API key is wrong" in str(wrong)
    assert "invalid_api_key" in str(wrong) and "xi-wrong-key" not in str(wrong)
    gone = _first_error(_tts(fake_elevenlabs), voice_id="no-such-voice")
    assert not gone.transient and "voice_not_found" in str(gone)
    for status, words in ((429, "too_many_concurrent_requests"), (500, "internal_error"), (503, "HTTP 503")):
        fake_elevenlabs.fail(status)
        err = _first_error(_tts(fake_elevenlabs))
        assert err.transient and f"HTTP {status}" in str(err) and words in str(err), str(err)
    fake_elevenlabs.garbage()  # a 200 that is JSON, not audio
    err = _first_error(_tts(fake_elevenlabs))
    assert err.transient and "returned no audio" in str(err)
    fake_elevenlabs.hang(3.0)
    err = _first_error(_tts(fake_elevenlabs, timeout=0.3))
    assert err.transient and "no answer within the timeout" in str(err)


def test_a_stream_that_breaks_off_is_a_transient_error_after_the_audio_it_gave(
    fake_elevenlabs: FakeElevenLabs,
) -> None:
    fake_elevenlabs.chunk_bytes = 1000
    fake_elevenlabs.break_stream(after_chunks=2)
    got: list[bytes] = []
    with pytest.raises(ProviderError) as err:
        for chunk in _tts(fake_elevenlabs).stream("Hi", voice_id=PREMADE_VOICE):
            got.append(chunk)
    assert err.value.transient and "broke off after 2000 bytes" in str(err.value)
    assert b"".join(got) == tone()[:2000]
    # The next stream is whole again.
    assert b"".join(_tts(fake_elevenlabs).stream("Hi", voice_id=PREMADE_VOICE)) == tone()


def test_stopping_early_lets_go_of_the_connection(fake_elevenlabs: FakeElevenLabs) -> None:
    fake_elevenlabs.chunk_bytes = 500
    fake_elevenlabs.chunk_delay = 0.1  # the stream takes about a second
    one = httpx.HTTPTransport(limits=httpx.Limits(max_connections=1))
    tts = _tts(fake_elevenlabs, transport=one, timeout=3.0)
    chunks = tts.stream("Hi", voice_id=PREMADE_VOICE)
    first = next(chunks)
    chunks.close()  # type: ignore[attr-defined]  # the listener left after the first chunk
    assert first == tone()[:500]
    # With one connection in the pool, this request waits for ever (a pool timeout) unless the
    # abandoned stream gave its connection back.
    fake_elevenlabs.chunk_delay = 0.0
    assert b"".join(tts.stream("Hi", voice_id=PREMADE_VOICE)) == tone()
    assert tts.synthesize("Hi", voice_id=PREMADE_VOICE).audio == tone()
