"""ElevenLabs speech and instant cloning, OpenAI transcription: against local fakes of their APIs."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from echome.media.audio import encode, load_audio, write_wav
from echome.providers.base import ClonedVoice, ProviderError, Segment, SpeechToText, TextToSpeech, VoiceCloner
from echome.providers.stt_openai import OpenAIWhisperSTT
from echome.providers.tts_elevenlabs import ElevenLabsTTS, ElevenLabsVoiceCloner
from tests.servers.fake_elevenlabs import PREMADE_VOICE, FakeElevenLabs
from tests.servers.fake_openai import FakeOpenAI

pytest_plugins = ["tests.servers.fixtures"]


def _tone(seconds: float, rate: int = 16_000) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    return (0.3 * np.sin(2 * np.pi * 180 * t)).astype(np.float32)


def _wav(path: Path, seconds: float = 1.0) -> Path:
    write_wav(path, _tone(seconds), 16_000)
    return path


# -- ElevenLabs text to speech ------------------------------------------------------------------
def test_tts_request_and_playable_mp3(fake_elevenlabs: FakeElevenLabs, tmp_path: Path) -> None:
    tts = ElevenLabsTTS(fake_elevenlabs.api_key, base_url=fake_elevenlabs.base_url)
    assert isinstance(tts, TextToSpeech) and tts.name == "elevenlabs:eleven_multilingual_v2"
    speech = tts.synthesize("Hello there!", voice_id=PREMADE_VOICE)
    assert (speech.format, speech.sample_rate, speech.characters) == ("mp3", 44100, 12)
    out = tmp_path / "speech.mp3"
    out.write_bytes(speech.audio)
    audio = load_audio(out)
    assert 0.4 < audio.size / 16_000 < 0.7 and float(np.sqrt(np.mean(audio**2))) > 0.1
    [call] = fake_elevenlabs.calls
    assert (call.method, call.path) == ("POST", f"/v1/text-to-speech/{PREMADE_VOICE}")
    assert call.query == {"output_format": ["mp3_44100_128"]}
    assert call.headers["xi-api-key"] == fake_elevenlabs.api_key
    assert call.json == {
        "text": "Hello there!",
        "model_id": "eleven_multilingual_v2",
        "voice_settings": {"stability": 0.5, "similarity_boost": 0.75},
    }
    assert fake_elevenlabs.api_key not in repr(tts)


def test_tts_settings_override_defaults(fake_elevenlabs: FakeElevenLabs) -> None:
    tts = ElevenLabsTTS(
        fake_elevenlabs.api_key, base_url=fake_elevenlabs.base_url, model_id="eleven_flash_v2_5"
    )
    settings = {"stability": 0.3, "style": 0.2, "use_speaker_boost": True, "speed": 1.1, "voice_name": "x"}
    tts.synthesize("Hi", voice_id=PREMADE_VOICE, settings=settings)
    body = fake_elevenlabs.calls[0].json
    assert body["model_id"] == "eleven_flash_v2_5"
    assert body["voice_settings"] == {
        "stability": 0.3,
        "similarity_boost": 0.75,
        "style": 0.2,
        "use_speaker_boost": True,
        "speed": 1.1,
    }


def test_tts_pcm_output(fake_elevenlabs: FakeElevenLabs) -> None:
    tts = ElevenLabsTTS(fake_elevenlabs.api_key, base_url=fake_elevenlabs.base_url, output_format="pcm_16000")
    speech = tts.synthesize("Hi", voice_id=PREMADE_VOICE)
    assert (speech.format, speech.sample_rate, len(speech.audio)) == ("pcm", 16000, 16000)  # 0.5 s of s16
    assert fake_elevenlabs.calls[0].headers["accept"] == "audio/pcm"


@pytest.mark.parametrize(
    "text,settings,needle",
    [
        ("", None, "empty"),
        ("x" * 10_001, None, "at most 10000"),
        ("Hi", {"speed": 2.0}, "speed=2.0 is outside 0.7..1.2"),
        ("Hi", {"stability": "high"}, "must be a number"),
    ],
)
def test_tts_refuses_invalid_requests_before_sending(
    fake_elevenlabs: FakeElevenLabs, text: str, settings: dict[str, object] | None, needle: str
) -> None:
    tts = ElevenLabsTTS(fake_elevenlabs.api_key, base_url=fake_elevenlabs.base_url)
    with pytest.raises(ProviderError, match=needle):
        tts.synthesize(text, voice_id=PREMADE_VOICE, settings=settings)
    assert fake_elevenlabs.calls == []


def test_tts_errors(fake_elevenlabs: FakeElevenLabs) -> None:
    good = ElevenLabsTTS(fake_elevenlabs.api_key, base_url=fake_elevenlabs.base_url)
    cases: list[tuple[ElevenLabsTTS, str, bool, str]] = [
        (
            ElevenLabsTTS("xi-wrong", base_url=fake_elevenlabs.base_url),
            PREMADE_VOICE,
            False,
            "invalid_api_key",
        ),
        (good, "no-such-voice", False, "voice_not_found"),
        (
            ElevenLabsTTS(
                fake_elevenlabs.api_key, base_url=fake_elevenlabs.base_url, output_format="pcm_8000"
            ),
            PREMADE_VOICE,
            False,
            "HTTP 422",
        ),
    ]
    for tts, voice, transient, needle in cases:
        with pytest.raises(ProviderError) as err:
            tts.synthesize("Hi", voice_id=voice)
        assert err.value.transient is transient and needle in str(err.value), str(err.value)
    assert "the API key is wrong" in _error(ElevenLabsTTS("xi-wrong", base_url=fake_elevenlabs.base_url))
    for status in (429, 500):
        fake_elevenlabs.fail(status)
        with pytest.raises(ProviderError) as err:
            good.synthesize("Hi", voice_id=PREMADE_VOICE)
        assert err.value.transient is True and f"HTTP {status}" in str(err.value)


def _error(tts: ElevenLabsTTS) -> str:
    with pytest.raises(ProviderError) as err:
        tts.synthesize("Hi", voice_id=PREMADE_VOICE)
    return str(err.value)


# -- ElevenLabs instant voice cloning -----------------------------------------------------------
def test_clone_multipart_request_then_speak_and_delete(
    fake_elevenlabs: FakeElevenLabs, tmp_path: Path
) -> None:
    wav = _wav(tmp_path / "intro.wav", 1.0)
    flac = tmp_path / "demo.flac"
    flac.write_bytes(encode(_tone(0.5, 24_000), 24_000, codec="flac"))
    cloner = ElevenLabsVoiceCloner(fake_elevenlabs.api_key, base_url=fake_elevenlabs.base_url)
    assert isinstance(cloner, VoiceCloner)
    voice = cloner.clone(
        name=" Dana ",
        samples=[str(wav), str(flac)],
        description="Dana's own voice",
        labels={"accent": "british"},
    )
    assert voice == ClonedVoice(
        provider="elevenlabs",
        voice_id="clonedVoice0001",
        settings={"stability": 0.5, "similarity_boost": 0.75},
        detail={
            "files": [
                {"name": "intro.wav", "bytes": wav.stat().st_size, "seconds": 1.0},
                {"name": "demo.flac", "bytes": flac.stat().st_size, "seconds": 0.5},
            ],
            "file_count": 2,
            "total_seconds": 1.5,
            "skipped_samples": [],
            "remove_background_noise": False,
            "requires_verification": False,
        },
    )
    [call] = fake_elevenlabs.calls
    assert (call.method, call.path) == ("POST", "/v1/voices/add")
    assert call.headers["xi-api-key"] == fake_elevenlabs.api_key
    assert call.form == {
        "name": ["Dana"],
        "description": ["Dana's own voice"],
        "remove_background_noise": ["false"],
        "labels": [json.dumps({"accent": "british"})],
    }
    assert [(f.field, f.filename, f.content_type, f.data) for f in call.files] == [
        ("files", "intro.wav", "audio/wav", wav.read_bytes()),
        ("files", "demo.flac", "audio/flac", flac.read_bytes()),
    ]
    tts = ElevenLabsTTS(fake_elevenlabs.api_key, base_url=fake_elevenlabs.base_url)
    assert tts.synthesize("Welcome back!", voice_id=voice.voice_id, settings=voice.settings).audio
    assert cloner.delete_voice(voice.voice_id) is True
    assert fake_elevenlabs.calls[-1].method == "DELETE"
    assert fake_elevenlabs.calls[-1].path == f"/v1/voices/{voice.voice_id}"
    assert voice.voice_id not in fake_elevenlabs.voices
    assert cloner.delete_voice(voice.voice_id) is False  # already gone


def test_clone_sends_at_most_25_samples(fake_elevenlabs: FakeElevenLabs, tmp_path: Path) -> None:
    samples = [str(_wav(tmp_path / f"s{i:02d}.wav", 0.2)) for i in range(27)]
    cloner = ElevenLabsVoiceCloner(
        fake_elevenlabs.api_key, base_url=fake_elevenlabs.base_url, remove_background_noise=True
    )
    voice = cloner.clone(name="Dana", samples=samples)
    [call] = fake_elevenlabs.calls
    assert [f.filename for f in call.files] == [f"s{i:02d}.wav" for i in range(25)]
    assert call.form["remove_background_noise"] == ["true"] and "labels" not in call.form
    assert voice.detail["file_count"] == 25 and voice.detail["skipped_samples"] == ["s25.wav", "s26.wav"]
    assert voice.detail["total_seconds"] == 5.0


def test_clone_refuses_bad_samples_before_uploading(fake_elevenlabs: FakeElevenLabs, tmp_path: Path) -> None:
    cloner = ElevenLabsVoiceCloner(fake_elevenlabs.api_key, base_url=fake_elevenlabs.base_url)
    ok = str(_wav(tmp_path / "ok.wav"))
    big = tmp_path / "long.wav"
    with big.open("wb") as fh:
        fh.truncate(10_000_001)
    notes = tmp_path / "notes.txt"
    notes.write_text("not audio")
    fake = tmp_path / "fake.mp3"
    fake.write_bytes(b"\x00" * 2000)
    cases = [
        ([ok, str(big)], "long.wav is 10.0 MB; ElevenLabs takes at most 10 MB"),
        ([str(notes)], "notes.txt: unsupported file type"),
        ([str(tmp_path / "missing.wav")], "missing.wav does not exist"),
        ([str(fake)], "fake.mp3: not an audio or video file"),
        ([], "no voice samples"),
    ]
    for samples, needle in cases:
        with pytest.raises(ProviderError) as err:
            cloner.clone(name="Dana", samples=samples)
        assert needle in str(err.value) and err.value.transient is False
    assert fake_elevenlabs.calls == []


def test_clone_errors(fake_elevenlabs: FakeElevenLabs, tmp_path: Path) -> None:
    sample = [str(_wav(tmp_path / "a.wav"))]
    with pytest.raises(ProviderError) as err:
        ElevenLabsVoiceCloner("xi-wrong", base_url=fake_elevenlabs.base_url).clone(name="D", samples=sample)
    assert err.value.transient is False and "HTTP 401" in str(err.value) and "xi-wrong" not in str(err.value)
    fake_elevenlabs.fail(503)
    cloner = ElevenLabsVoiceCloner(fake_elevenlabs.api_key, base_url=fake_elevenlabs.base_url)
    with pytest.raises(ProviderError) as err:
        cloner.clone(name="D", samples=sample)
    assert err.value.transient is True
    assert fake_elevenlabs.voices.keys() == {PREMADE_VOICE}


# -- OpenAI transcription ------------------------------------------------------------------------
def test_transcribe_request_and_mapping(fake_openai: FakeOpenAI, tmp_path: Path) -> None:
    audio = _wav(tmp_path / "speech.wav")
    stt = OpenAIWhisperSTT(fake_openai.api_key, base_url=fake_openai.base_url)
    assert isinstance(stt, SpeechToText) and stt.name == "openai:whisper-1"
    tr = stt.transcribe(str(audio))
    assert (tr.text, tr.language, tr.language_probability, tr.duration, tr.model) == (
        "Hi, I'm Dana. This blender crushes ice in ten seconds.",
        "en",
        1.0,
        6.5,
        "openai:whisper-1",
    )
    assert [(s.start, s.end, s.text, s.avg_logprob, s.no_speech_prob) for s in tr.segments] == [
        (0.0, 1.6, "Hi, I'm Dana.", -0.21, 0.01),
        (2.0, 5.9, "This blender crushes ice in ten seconds.", -0.34, 0.02),
    ]
    assert [w.text for w in tr.segments[0].words] == ["Hi", "I'm", "Dana"]
    second = ["This", "blender", "crushes", "ice", "in", "ten", "seconds"]
    assert [w.text for w in tr.segments[1].words] == second
    assert (tr.segments[1].words[0].start, tr.segments[1].words[0].end) == (2.0, 2.3)
    [call] = fake_openai.calls
    assert (call.method, call.path) == ("POST", "/v1/audio/transcriptions")
    assert call.headers["authorization"] == f"Bearer {fake_openai.api_key}"
    assert call.form == {
        "model": ["whisper-1"],
        "response_format": ["verbose_json"],
        "timestamp_granularities[]": ["segment", "word"],
    }
    assert [(f.field, f.filename, f.content_type, f.data) for f in call.files] == [
        ("file", "speech.wav", "audio/wav", audio.read_bytes())
    ]
    assert fake_openai.api_key not in repr(stt)


@pytest.mark.parametrize("given,sent,expected", [("es", "es", "es"), ("English", "en", "en")])
def test_transcribe_with_language(
    fake_openai: FakeOpenAI, tmp_path: Path, given: str, sent: str, expected: str
) -> None:
    stt = OpenAIWhisperSTT(fake_openai.api_key, base_url=fake_openai.base_url)
    tr = stt.transcribe(str(_wav(tmp_path / "a.wav")), language=given)
    assert fake_openai.calls[0].form["language"] == [sent]
    assert tr.language == expected


def test_words_in_gaps_go_to_the_nearer_segment(fake_openai: FakeOpenAI, tmp_path: Path) -> None:
    fake_openai.transcription = {
        "task": "transcribe",
        "language": "german",
        "duration": 5.0,
        "text": "Hallo. Ähm, also gut.",
        "segments": [
            {"start": 0.0, "end": 1.0, "text": " Hallo.", "avg_logprob": -0.1, "no_speech_prob": 0.0},
            {"start": 3.0, "end": 4.0, "text": " Ähm, also gut.", "avg_logprob": -0.2, "no_speech_prob": 0.1},
            {"start": 4.0, "end": 4.5, "text": " ", "avg_logprob": -0.9, "no_speech_prob": 0.9},
        ],
        "words": [
            {"word": "also", "start": 3.4, "end": 3.7},
            {"word": "Hallo", "start": 0.1, "end": 0.9},
            {"word": "Ähm", "start": 1.1, "end": 1.3},
            {"word": "gut", "start": 2.6, "end": 2.9},
        ],
    }
    tr = OpenAIWhisperSTT(fake_openai.api_key, base_url=fake_openai.base_url).transcribe(
        str(_wav(tmp_path / "a.wav"))
    )
    assert tr.language == "de"
    assert [[w.text for w in s.words] for s in tr.segments] == [["Hallo", "Ähm"], ["gut", "also"]]
    assert [s.text for s in tr.segments] == ["Hallo.", "Ähm, also gut."]  # the empty segment is dropped
    assert Segment.from_dict(tr.segments[1].to_dict()).words[0].text == "gut"


def test_transcript_without_segments_gets_one(fake_openai: FakeOpenAI, tmp_path: Path) -> None:
    fake_openai.transcription = {
        "language": "english",
        "duration": 2.0,
        "text": "Just words.",
        "words": [{"word": "Just", "start": 0.2, "end": 0.5}, {"word": "words", "start": 0.5, "end": 1.1}],
    }
    tr = OpenAIWhisperSTT(fake_openai.api_key, base_url=fake_openai.base_url).transcribe(
        str(_wav(tmp_path / "a.wav"))
    )
    [seg] = tr.segments
    assert (seg.start, seg.end, seg.text, [w.text for w in seg.words]) == (
        0.2,
        1.1,
        "Just words.",
        ["Just", "words"],
    )


def test_transcribe_refuses_files_the_api_would_reject(fake_openai: FakeOpenAI, tmp_path: Path) -> None:
    stt = OpenAIWhisperSTT(fake_openai.api_key, base_url=fake_openai.base_url)
    big = tmp_path / "long.wav"
    with big.open("wb") as fh:
        fh.truncate(25 * 1024 * 1024 + 1)
    odd = tmp_path / "speech.aiff"
    odd.write_bytes(b"FORM" + b"\x00" * 200)
    for path, needle in [
        (big, "long.wav is 25.0 MB; OpenAI transcription takes at most 25 MB"),
        (odd, "not .aiff"),
        (tmp_path / "missing.wav", "does not exist"),
    ]:
        with pytest.raises(ProviderError) as err:
            stt.transcribe(str(path))
        assert needle in str(err.value) and err.value.transient is False
    assert fake_openai.calls == []


def test_transcribe_errors(fake_openai: FakeOpenAI, tmp_path: Path) -> None:
    audio = str(_wav(tmp_path / "a.wav"))
    with pytest.raises(ProviderError) as err:
        OpenAIWhisperSTT("sk-wrong-0123456789", base_url=fake_openai.base_url).transcribe(audio)
    assert err.value.transient is False and "HTTP 401: Incorrect API key" in str(err.value)
    with pytest.raises(ProviderError) as err:
        OpenAIWhisperSTT(
            fake_openai.api_key, base_url=fake_openai.base_url, model="gpt-4o-transcribe"
        ).transcribe(audio)
    assert err.value.transient is False and "not compatible with model" in str(err.value)
    stt = OpenAIWhisperSTT(fake_openai.api_key, base_url=fake_openai.base_url)
    for status in (429, 500):
        fake_openai.fail(status)
        with pytest.raises(ProviderError) as err:
            stt.transcribe(audio)
        assert err.value.transient is True and f"HTTP {status}" in str(err.value)
    fake_openai.garbage()
    with pytest.raises(ProviderError) as err:
        stt.transcribe(audio)
    assert err.value.transient is True and "unexpected shape" in str(err.value)
