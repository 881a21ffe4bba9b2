"""Streamed speech's parts on their own: a prepared voice's stream (the words `say` would give the
voice, None where it cannot stream) against ElevenLabs' wire format on an httpx MockTransport, and
sentences kept to be streamed in the memory and Redis caches, with their shared claim counts."""

from __future__ import annotations

import json
import time
import uuid

import httpx
import numpy as np
import pytest

from echome.media.audio import encode
from echome.providers.fakes import RecordingTTS
from echome.providers.tts_elevenlabs import ElevenLabsTTS
from echome.voice.speaker import PreparedVoice, SpeakError
from echome.widget.speech import MemorySentenceAudio, SentenceAudio

KEY = "xi-unit-key"
_MP3 = encode((0.3 * np.sin(np.arange(11_025) / 10)).astype(np.float32), 22_050, codec="mp3")
AUDIO = [_MP3[:1000], _MP3[1000:2000], _MP3[2000:]]  # half a second of MP3, as three chunks
SENTENCE = "The lamp is $79 (see https://shop.example.com/lamp)."


def _elevenlabs(requests: list[httpx.Request], *, status: int = 200, cut: bool = False) -> PreparedVoice:
    def answer(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        if status != 200:
            return httpx.Response(status, json={"detail": {"status": "invalid_api_key", "message": "no"}})
        if request.url.path.endswith("/stream"):
            parts = AUDIO[:1] if cut else AUDIO

            def body() -> object:
                yield from parts
                if cut:
                    raise httpx.ReadError("connection reset")

            return httpx.Response(200, headers={"content-type": "audio/mpeg"}, stream=_Stream(body()))
        return httpx.Response(200, headers={"content-type": "audio/mpeg"}, content=b"".join(AUDIO))

    tts = ElevenLabsTTS(KEY, base_url="https://api.elevenlabs.test", transport=httpx.MockTransport(answer))
    return PreparedVoice(tts=tts, provider="elevenlabs", voice_id="v1", settings={}, language="en")


class _Stream(httpx.SyncByteStream):
    def __init__(self, chunks: object) -> None:
        self.chunks = chunks

    def __iter__(self):  # type: ignore[no-untyped-def]
        yield from self.chunks  # type: ignore[attr-defined]


def test_a_stream_gives_the_voice_the_words_say_gives_it() -> None:
    requests: list[httpx.Request] = []
    voice = _elevenlabs(requests)
    assert voice.can_stream("mp3") and not voice.can_stream("ogg")
    chunks = voice.stream(SENTENCE, fmt="mp3")
    assert chunks is not None and requests == []  # nothing sent before the first chunk is wanted
    assert list(chunks) == AUDIO
    assert voice.say(SENTENCE, fmt="mp3").audio == _MP3
    streamed, whole = (json.loads(r.content)["text"] for r in requests)
    assert streamed == whole == voice.words(SENTENCE)
    assert "$" not in streamed and "https" not in streamed and "seventy nine" in streamed
    assert requests[0].url.params["output_format"] == "mp3_44100_128"


def test_a_voice_that_cannot_stream_says_so() -> None:
    local = PreparedVoice(
        tts=RecordingTTS(), provider="local", voice_id="piper:joe", settings={}, language="en"
    )
    assert not local.can_stream("mp3") and local.stream(SENTENCE, fmt="mp3") is None
    assert local.stream(SENTENCE, fmt="ogg") is None
    assert _elevenlabs([]).stream(SENTENCE, fmt="wav") is None


def test_stream_failures_are_speak_errors() -> None:
    requests: list[httpx.Request] = []
    with pytest.raises(SpeakError, match="nothing to speak"):
        _elevenlabs(requests).stream("https://shop.example.com/lamp", fmt="mp3")
    refused = _elevenlabs(requests, status=401).stream(SENTENCE, fmt="mp3")
    assert refused is not None
    with pytest.raises(SpeakError, match="HTTP 401") as err:
        next(refused)
    assert not err.value.transient
    cut = _elevenlabs(requests, cut=True).stream(SENTENCE, fmt="mp3")
    assert cut is not None and next(cut) == AUDIO[0]
    with pytest.raises(SpeakError, match="broke off") as err:
        next(cut)
    assert err.value.transient


# -- sentences to be streamed, in the caches --------------------------------------------------------
PENDING = SentenceAudio(
    "visitor", "persona", "audio/mpeg", b"", text="Hi!\nIt's €5.", language="de", sentences=3
)


def test_a_sentence_to_stream_and_its_claims_in_memory() -> None:
    cache = MemorySentenceAudio(ttl=0.3)
    cache.put("m1:0", PENDING)
    got = cache.get("m1:0")
    assert got == PENDING and got.to_stream
    assert [cache.claim("m1:0") for _ in range(3)] == [1, 2, 3] and cache.claim("m1:1") == 1
    settled = PENDING.settled(b"\xff\xfbaudio", 12)
    assert not settled.to_stream and (settled.audio, settled.characters, settled.sentences) == (
        b"\xff\xfbaudio",
        12,
        3,
    )
    cache.drop("m1:")
    assert cache.get("m1:0") is None and cache.claim("m1:0") == 1  # forgotten with the entry
    time.sleep(0.35)
    assert cache.claim("m1:0") == 1  # and after its time


@pytest.mark.redis
def test_a_sentence_to_stream_and_its_claims_in_redis(redis_url: str) -> None:
    import redis

    from echome.widget.speech import RedisSentenceAudio

    namespace = f"echome-test-{uuid.uuid4().hex[:8]}"
    one, two = redis.Redis.from_url(redis_url), redis.Redis.from_url(redis_url)
    here, there = RedisSentenceAudio(one, namespace=namespace), RedisSentenceAudio(two, namespace=namespace)
    here.put("m1:0", PENDING)
    assert there.get("m1:0") == PENDING  # another web process reads what to say
    assert [here.claim("m1:0"), there.claim("m1:0"), here.claim("m1:0")] == [1, 2, 3]
    there.put("m1:0", PENDING.settled(b"\xff\xfb\n\naudio", 9))
    back = here.get("m1:0")
    assert back is not None and not back.to_stream
    assert (back.audio, back.characters, back.sentences, back.language) == (b"\xff\xfb\n\naudio", 9, 3, "de")
    plain = SentenceAudio("visitor", "persona", "audio/ogg", b"OggS")
    here.put("m2:0", plain)
    assert there.get("m2:0") == plain
    here.drop("m1:")
    assert here.get("m1:0") is None and here.claim("m1:0") == 1
    here.drop("m1:"), here.drop("m2:")
    one.close(), two.close()
