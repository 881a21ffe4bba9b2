"""The web chat's parts on their own: visitor tokens, origins, slugs, sentences, recordings, the speech
threads and the sentence audio kept for the browser."""

from __future__ import annotations

import io
import threading
import time
import wave

import numpy as np
import pytest

from echome.answer.pipeline import Answer
from echome.voice.sentences import speech_sentences, text_pieces
from echome.widget.events import sse
from echome.widget.origins import (
    OriginError,
    allowed_origins,
    frame_ancestors,
    normalise_origin,
    normalise_origins,
    request_origin,
)
from echome.widget.personas import SlugError, check_slug, slug_from_name
from echome.widget.speech import MemorySentenceAudio, SentenceAudio, SpeechScheduler
from echome.widget.turn import handed_off
from echome.widget.visitors import VisitorRefused, VisitorTokens
from echome.widget.voice_input import (
    RecordingRefused,
    check_type,
    decode_recording,
    extension_for,
    sound_seconds,
)

PERSONA = "a" * 32
OTHER = "b" * 32


# -- visitor tokens --------------------------------------------------------------------------------
def test_a_token_names_its_visitor_for_its_persona_only() -> None:
    tokens = VisitorTokens("server secret")
    visitor, token = tokens.issue(PERSONA)
    assert tokens.check(PERSONA, token) == visitor
    assert tokens.check(PERSONA, f"  {token} ").id == visitor.id
    with pytest.raises(VisitorRefused, match="not valid for this chat"):
        tokens.check(OTHER, token)  # made for another persona
    with pytest.raises(VisitorRefused, match="not valid"):
        VisitorTokens("another server").check(PERSONA, token)


def test_a_forged_or_borrowed_visitor_id_is_refused() -> None:
    tokens = VisitorTokens("server secret")
    mine, token = tokens.issue(PERSONA)
    other, other_token = tokens.issue(PERSONA)
    assert mine.id != other.id and mine.client_ref == f"widget:{mine.id}"
    # Another visitor's id with my signature, my id with a made-up signature, bits flipped.
    _, my_id, my_sig = token.split(".")
    _, other_id, _ = other_token.split(".")
    for forged in (
        f"v1.{other_id}.{my_sig}",
        f"v1.{my_id}.{'A' * 43}",
        f"v1.{my_id}.{my_sig[:-1]}{'B' if my_sig[-1] != 'B' else 'C'}",
    ):
        with pytest.raises(VisitorRefused, match="not valid"):
            tokens.check(PERSONA, forged)
    for malformed in ("", None, "v2.x.y", my_id, f"v1.{my_id}", "v1.../..", "x" * 5000):
        with pytest.raises(VisitorRefused):
            tokens.check(PERSONA, malformed)


def test_tokens_need_a_secret() -> None:
    with pytest.raises(ValueError):
        VisitorTokens("")


# -- origins ------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("given", "origin"),
    [
        ("https://shop.example.com", "https://shop.example.com"),
        ("HTTPS://Shop.Example.COM/", "https://shop.example.com"),
        ("https://shop.example.com:443", "https://shop.example.com"),
        ("http://localhost:8080", "http://localhost:8080"),
        ("http://127.0.0.1:3000", "http://127.0.0.1:3000"),
        ("http://[::1]:3000", "http://[::1]:3000"),
        ("https://bücher.de", "https://xn--bcher-kva.de"),
    ],
)
def test_origins_are_written_as_browsers_send_them(given: str, origin: str) -> None:
    assert normalise_origin(given) == origin


@pytest.mark.parametrize(
    ("given", "why"),
    [
        ("shop.example.com", "starts with https://"),
        ("ftp://shop.example.com", "starts with https://"),
        ("https://shop.example.com/products", "no path"),
        ("https://shop.example.com?x=1", "no path, query"),
        ("https://shop.example.com#top", "no path, query or fragment"),
        ("https://user:pw@shop.example.com", "no user name"),
        ("https://*.example.com", "wildcards"),
        ("https://shop.example.com:99999", "port"),
        ("https://shop..example.com", "not a valid host"),
        ("https://", "host is missing"),
        ("javascript:alert(1)", "starts with https://"),
        ("https://shop example.com", "not an origin"),
        ("", "required"),
    ],
)
def test_anything_but_an_origin_is_refused_with_the_reason(given: str, why: str) -> None:
    with pytest.raises(OriginError, match=why):
        normalise_origin(given)


def test_a_list_of_origins_names_every_bad_one_and_drops_repeats() -> None:
    assert normalise_origins(["https://a.example", "https://A.example/", "http://b.example:81"]) == [
        "https://a.example",
        "http://b.example:81",
    ]
    with pytest.raises(OriginError) as caught:
        normalise_origins(["https://ok.example", "https://bad.example/path", "nope"])
    assert "bad.example/path" in str(caught.value) and "'nope'" in str(caught.value)
    with pytest.raises(OriginError, match="at most"):
        normalise_origins([f"https://s{i}.example" for i in range(60)])


def test_stored_origins_and_the_origin_header() -> None:
    assert allowed_origins({"allowed_origins": ["https://a.example", "junk", 5, "https://a.example"]}) == (
        "https://a.example",
    )
    assert allowed_origins({}) == () and allowed_origins(None) == ()
    assert allowed_origins({"allowed_origins": "https://a.example"}) == ()
    assert request_origin(None) is None
    assert request_origin("null") == "null" and request_origin("https://A.example") == "https://a.example"
    assert frame_ancestors(()) == "frame-ancestors 'none'"
    assert (
        frame_ancestors(("https://a.example", "http://b:81"))
        == "frame-ancestors https://a.example http://b:81"
    )


# -- slugs --------------------------------------------------------------------------------------------
def test_slugs() -> None:
    assert slug_from_name("Ana's Vintage Café!") == "ana-s-vintage-cafe"
    assert slug_from_name("Bo") == "chat-bo"
    assert slug_from_name("日本") == "chat"
    assert check_slug(" Ana-Vintage ") == "ana-vintage"
    for bad in (
        "ab",
        "-ana",
        "ana-",
        "ana_vintage",
        "ana vintage",
        "x" * 61,
        "0123456789abcdef0123456789abcdef",
    ):
        with pytest.raises(SlugError):
            check_slug(bad)


# -- sentences ----------------------------------------------------------------------------------------
def test_text_pieces_join_back_to_the_reply() -> None:
    reply = (
        "Hi! The Oak Armoire is $899.00, e.g. the same as last year. Dr. Rossi made it.\n"
        "- Brown\n- Black\nSee https://shop.example.com/a.b. Anything else?"
    )
    pieces = text_pieces(reply)
    assert "".join(pieces) == reply
    assert pieces[:3] == [
        "Hi! ",
        "The Oak Armoire is $899.00, e.g. the same as last year. ",
        "Dr. Rossi made it.\n",
    ]
    assert text_pieces("") == [] and text_pieces("no end") == ["no end"]


def test_speech_sentences_join_short_ones_and_cut_long_ones() -> None:
    said = speech_sentences("Hi! The lamp costs 79 dollars. It ships in two days. Yes.")
    assert said == ["Hi! The lamp costs 79 dollars.", "It ships in two days. Yes."]
    long = "This lamp, " + ", ".join(["with a linen shade"] * 20) + "."
    cut = speech_sentences(long)
    assert len(cut) > 1 and all(len(s) <= 220 for s in cut)
    assert " ".join(cut).split() == long.split()


# -- recordings ---------------------------------------------------------------------------------------
def _wav(seconds: float, *, amplitude: float, rate: int = 16_000) -> bytes:
    t = np.arange(int(seconds * rate)) / rate
    samples = (amplitude * np.sin(2 * np.pi * 220 * t) * 32767).astype("<i2")
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(samples.tobytes())
    return out.getvalue()


def test_a_recording_is_checked_before_speech_to_text() -> None:
    wav = decode_recording(_wav(2.0, amplitude=0.3), max_seconds=120)
    assert abs(wav.size / 16_000 - 2.0) < 0.05 and sound_seconds(wav) > 1.5
    with pytest.raises(RecordingRefused, match="couldn't hear anything") as silent:
        decode_recording(_wav(3.0, amplitude=0.001), max_seconds=120)
    assert silent.value.code == "recording_silent"
    with pytest.raises(RecordingRefused, match="too long") as long:
        decode_recording(_wav(12.0, amplitude=0.3), max_seconds=10)
    assert long.value.code == "recording_too_long"
    with pytest.raises(RecordingRefused, match="too short"):
        decode_recording(_wav(0.1, amplitude=0.3), max_seconds=10)
    with pytest.raises(RecordingRefused, match="could not be read"):
        decode_recording(b"this is not audio at all" * 10, max_seconds=10)
    with pytest.raises(RecordingRefused, match="empty"):
        decode_recording(b"", max_seconds=10)


def test_a_ten_minute_recording_is_not_decoded_to_the_end() -> None:
    ten_minutes = _wav(600.0, amplitude=0.3, rate=8_000)
    t0 = time.perf_counter()
    with pytest.raises(RecordingRefused, match="under 2 minutes"):
        decode_recording(ten_minutes, max_seconds=120)
    assert time.perf_counter() - t0 < 5.0


def test_recording_types() -> None:
    assert extension_for("audio/webm;codecs=opus") == "webm" and extension_for("audio/mp4") == "m4a"
    assert check_type("Audio/WebM; codecs=opus") == "audio/webm"
    # The bytes say what the file is, whatever it was labelled.
    assert extension_for("application/octet-stream", _wav(0.1, amplitude=0.1)) == "wav"
    assert extension_for("audio/webm", b"OggS\0\2") == "ogg"
    assert extension_for("application/octet-stream", b"\x1a\x45\xdf\xa3\x01") == "webm"
    assert extension_for("application/octet-stream", b"\0\0\0\x20ftypM4A ") == "m4a"
    assert extension_for("application/octet-stream", b"not audio") == "bin"
    for bad in (None, "", "text/html", "application/json", "audio/x-unknown"):
        with pytest.raises(RecordingRefused) as refused:
            check_type(bad)
        assert refused.value.status == 415


# -- speech threads and sentence audio ----------------------------------------------------------------
def test_first_sentences_are_spoken_first_and_cancelled_ones_never() -> None:
    scheduler = SpeechScheduler(workers=1)
    gate = threading.Event()
    order: list[str] = []
    blocker = scheduler.submit(gate.wait, priority=0)  # holds the only thread
    time.sleep(0.05)
    later = scheduler.submit(lambda: order.append("fifth sentence of a reply"), priority=4)
    cancelled = scheduler.submit(lambda: order.append("cancelled"), priority=0)
    first = scheduler.submit(lambda: order.append("first sentence of another reply"), priority=0)
    assert cancelled.cancel()
    gate.set()
    blocker.result(timeout=5), later.result(timeout=5), first.result(timeout=5)
    assert order == ["first sentence of another reply", "fifth sentence of a reply"]
    failing = scheduler.submit(lambda: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        failing.result(timeout=5)


def test_sentence_audio_is_bounded_and_expires() -> None:
    cache = MemorySentenceAudio(max_bytes=250, ttl=0.2)
    for i in range(3):
        cache.put(f"m1:{i}", SentenceAudio("v", "p", "audio/mpeg", bytes(100)))
    assert cache.get("m1:0") is None and cache.get("m1:2") is not None  # oldest gone beyond 250 bytes
    cache.drop("m1:")
    assert cache.get("m1:1") is None and cache.get("m1:2") is None
    cache.put("m2:0", SentenceAudio("v", "p", "audio/mpeg", b"x"))
    time.sleep(0.25)
    assert cache.get("m2:0") is None


@pytest.mark.redis
def test_sentence_audio_in_redis(redis_url: str) -> None:
    import uuid

    import redis

    from echome.widget.speech import RedisSentenceAudio

    client = redis.Redis.from_url(redis_url)
    cache = RedisSentenceAudio(client, namespace=f"echome-test-{uuid.uuid4().hex[:8]}", ttl=30)
    audio = bytes(range(256)) + b"\n\n"
    cache.put("m1:0", SentenceAudio("visitor", "persona", "audio/mpeg", audio))
    cache.put("m1:1", SentenceAudio("visitor", "persona", "audio/mpeg", b"x"))
    cache.put("m10:0", SentenceAudio("visitor", "persona", "audio/mpeg", b"y"))
    got = cache.get("m1:0")
    assert got == SentenceAudio("visitor", "persona", "audio/mpeg", audio)
    cache.drop("m1:")
    assert cache.get("m1:0") is None and cache.get("m1:1") is None and cache.get("m10:0") is not None
    cache.drop("m10:")
    client.close()


# -- the event stream -------------------------------------------------------------------------------------
def test_events_and_handoff() -> None:
    event = sse("text", {"index": 0, "text": "<b>€5</b>\nnext"})
    assert event == b'event: text\ndata: {"index": 0, "text": "<b>\xe2\x82\xac5</b>\\nnext"}\n\n'
    assert not handed_off(Answer(answer="x", citations=[], spoken="x"))
    assert handed_off(Answer(answer="x", citations=[], spoken="x", mode="handed-off"))
