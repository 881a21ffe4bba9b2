"""A 2-speaker interview never comes out as one speaker: real voices (LibriSpeech readers of
shared/eval/speech/speakers) arranged as an interview (a host's short question, then a longer answer,
five times) are told apart by the default speaker embedder exactly as the persona media job calls it.

- On the true turns (what a recogniser that cut at every turn would give), every ordered pair of the six
  readers: deterministic and fast.
- Through the whole media stage (upload, audio, the real verbatim transcript, speakers, stored
  transcript) for pairs of clearly different voices. The recogniser's segments do not follow turns and
  its temperature fallback makes transcripts differ from run to run, so the pairs that sit near the
  embedder's separation threshold are only measured on the true turns.
"""

from __future__ import annotations

from itertools import permutations
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sqlalchemy import select

from echome.db.models import Persona, PersonaMedia, Transcript, User
from echome.db.session import transaction
from echome.media.audio import RECOGNITION_RATE, encode, extract_for_pipeline, load_audio, write_wav
from echome.media.speakers import SpeakerReport, assign_speakers
from echome.media.transcribe import MediaLimits, MediaTranscriber
from echome.providers.base import Segment
from echome.providers.registry import make_speaker_embedder
from echome.providers.speaker_ge2e import find_weights
from echome.settings import Settings

from ..support.media import SPEAKERS, speaker_clips

SR = 16_000
TURNS = 5  # question + answer pairs

pytestmark = [
    pytest.mark.skipif(not SPEAKERS.is_dir(), reason=f"no evaluation speech at {SPEAKERS}"),
]

READERS = ("1688", "1998", "2033", "2414", "3080", "367")  # SPEAKERS.TXT: 1688, 2033, 2414 men
# The default is the GE2E network where its weights are installed (the README's install), which tells
# every ordered pair apart. Without them it is the MFCC fingerprint, which puts these two women 1.42
# apart on the true turns, under the 1.5 it needs to count two voices.
DEFAULT_IS_MFCC = find_weights() is None
TOO_CLOSE = {("367", "3080")} if DEFAULT_IS_MFCC else set()
ON_TURNS = [
    pytest.param(
        host,
        guest,
        marks=[pytest.mark.xfail(strict=True, raises=AssertionError, reason="found as one speaker")]
        if (host, guest) in TOO_CLOSE
        else [],
    )
    for host, guest in permutations(READERS, 2)
]
# Through the media stage: clearly different voices (separation 2.1-3.3 on the true turns)
# Through the real model: one pair in the suite (about 55 s each; the three measured are in the
# session notes: 2414+3080, 1998+1688 and 3080+1998 all two speakers, 0.96-0.99 accuracy).
THROUGH_THE_JOB = [("2414", "3080")]


@pytest.fixture
def settings(tmp_path: Path, database_url: str | None) -> Any:
    from ..conftest import make_settings

    # The default speaker fingerprint, as a seller gets; tiny.en keeps the suite's time down (the base
    # model, the default, was measured on three pairs: see THROUGH_THE_JOB).
    return make_settings(tmp_path, database_url=database_url, stt="local:tiny.en")


def _quiet_cut(x: np.ndarray, at: float, reach: float = 0.6) -> int:
    """Sample index of the quietest 50 ms within `reach` of `at` seconds: where a sentence can end."""
    hop = int(0.05 * SR)
    a, b = int(max(0.0, at - reach) * SR), int(min(x.size / SR, at + reach) * SR)
    n = (b - a) // hop
    if n < 2:
        return int(at * SR)
    energy = np.mean(np.square(x[a : a + n * hop].reshape(n, hop), dtype=np.float64), axis=1)
    return a + int(np.argmin(energy)) * hop + hop // 2


def _level(x: np.ndarray, rms: float = 0.05) -> np.ndarray:
    """One mixing level for both voices, as an interview's producer would set it."""
    return (x * (rms / max(float(np.sqrt(np.mean(np.square(x, dtype=np.float64)))), 1e-9))).astype(np.float32)


def interview(host: str, guest: str, *, seed: int = 0) -> tuple[np.ndarray, list[tuple[float, float, str]]]:
    """Host questions of 2-5 s (the start of one of the host's clips, ended at a pause), answers of
    6-14 s (the guest's clips in order, the last one ended at a pause), 0.2-0.7 s between turns.
    Returns the audio and the truth as (start, end, "host" | "guest")."""
    rng = np.random.default_rng(seed)
    questions = [load_audio(p) for p in speaker_clips(host)]
    answers = [load_audio(p) for p in speaker_clips(guest)]
    parts: list[np.ndarray] = []
    truth: list[tuple[float, float, str]] = []
    t, next_answer = 0.0, 0
    for k in range(TURNS):
        q = questions[k % len(questions)]
        length = rng.uniform(2.0, 5.0)
        if q.size / SR > length + 0.6:
            q = q[: _quiet_cut(q, length)]
        want, pieces, got = rng.uniform(6.0, 14.0), [], 0.0
        while got < want:
            clip = answers[next_answer % len(answers)]
            next_answer += 1
            if got + clip.size / SR > want + 2.0 and clip.size / SR > 4.0:
                clip = clip[: _quiet_cut(clip, max(3.0, want - got))]
            pieces += [clip, np.zeros(int(rng.uniform(0.25, 0.5) * SR), np.float32)]
            got += clip.size / SR
        for who, turn in (("host", q), ("guest", np.concatenate(pieces[:-1]))):
            gap = np.zeros(int(rng.uniform(0.2, 0.7) * SR), np.float32)
            parts += [gap, _level(turn)]
            start = t + gap.size / SR
            t = start + turn.size / SR
            truth.append((start, t, who))
    parts.append(np.zeros(int(0.5 * SR), np.float32))
    return np.concatenate(parts), truth


def who_at(truth: list[tuple[float, float, str]], t: float) -> str:
    for start, end, who in truth:
        if start <= t <= end:
            return who
    return min(truth, key=lambda r: min(abs(t - r[0]), abs(t - r[1])))[2]  # a pause: the nearest turn


def scores(segments: list[Segment], truth: list[tuple[float, float, str]], guest: str) -> dict[str, float]:
    """Per 0.1 s of labelled speech: overall accuracy with `guest` as the guest's label, and the share
    of each person's time given their own label."""
    frames = [(who_at(truth, t), s.speaker) for s in segments for t in np.arange(s.start, s.end, 0.1)]
    right = [(who == "guest") == (label == guest) for who, label in frames]
    host = [label != guest for who, label in frames if who == "host"]
    mine = [label == guest for who, label in frames if who == "guest"]
    return {
        "accuracy": float(np.mean(right)),
        "host": float(np.mean(host)) if host else 0.0,
        "guest": float(np.mean(mine)) if mine else 0.0,
    }


def _process(services: Any, wav: np.ndarray, work: Path) -> tuple[Transcript, str]:
    """The persona media stage as `persona.media` builds and runs it (see echome.wiring_jobs)."""
    with transaction(services.sessions) as db:
        user = User(email="host@example.com")
        db.add(user)
        db.flush()
        persona = Persona(user_id=user.id, name="Guest")
        db.add(persona)
        db.flush()
        key = services.storage.put("media-uploads", user.id, "interview.flac", encode(wav, SR, codec="flac"))
        media = PersonaMedia(
            user_id=user.id, persona_id=persona.id, kind="upload", source="interview.flac", upload_key=key
        )
        db.add(media)
        db.flush()
        media_id = media.id
    transcriber = MediaTranscriber(
        services.sessions,
        services.storage,
        services.persona_stt,
        services.speaker_embedder,
        MediaLimits(),
        services.egress,
    )
    result = transcriber.process(media_id=media_id, work_dir=work, progress=lambda _f, _m: None)
    assert result.status == "ready", result.error
    with services.sessions() as db:
        row = db.scalar(select(Transcript).where(Transcript.media_id == media_id))
        assert row is not None
        db.expunge(row)
    return row, services.speaker_embedder.name


def _separate_on_turns(wav: np.ndarray, truth: list[tuple[float, float, str]], work: Path) -> SpeakerReport:
    """What `MediaTranscriber._speakers` does with the job's 16 kHz file, on segments cut at the turns."""
    work.mkdir(parents=True, exist_ok=True)
    write_wav(work / "upload.wav", wav, SR)
    asr = work / "speech16k.wav"
    extract_for_pipeline(work / "upload.wav", asr_path=asr, hq_path=work / "voice.flac", max_seconds=3600)
    segments = [Segment(start, end, f"{who} speaks") for start, end, who in truth]
    embedder = make_speaker_embedder(Settings.model_fields["speaker_embedder"].default)
    return assign_speakers(
        load_audio(asr, sample_rate=RECOGNITION_RATE), RECOGNITION_RATE, segments, embedder=embedder
    )


@pytest.mark.parametrize(("host", "guest"), ON_TURNS)
def test_an_interview_on_its_turns_has_two_speakers(tmp_path: Path, host: str, guest: str) -> None:
    wav, truth = interview(host, guest)
    report = _separate_on_turns(wav, truth, tmp_path)
    got = scores(report.segments, truth, report.dominant or "S1")
    print(
        f"{report.embedder} host {host} + guest {guest} on turns: {len(report.speakers)} speakers, "
        f"accuracy {got['accuracy']:.3f}, host time right {got['host']:.3f}, conf {report.confidence:.2f}"
    )
    assert [s["id"] for s in report.speakers] == ["S1", "S2"]
    assert got["accuracy"] >= 0.95 and got["host"] >= 0.85  # measured: 0.97-1.0 and 0.87-1.0


@pytest.mark.slow  # the real speech model (base, the default) over about 80 s of audio per pair
@pytest.mark.parametrize("backend", ["sqlite"])  # the database is not what is tested here
@pytest.mark.parametrize(("host", "guest"), THROUGH_THE_JOB)
def test_an_interview_has_two_speakers_and_the_guest_is_the_seller(
    services: Any, tmp_path: Path, host: str, guest: str
) -> None:
    wav, truth = interview(host, guest)
    row, embedder = _process(services, wav, tmp_path / "work")
    segments = [Segment.from_dict(d) for d in row.segments]
    found = [s["id"] for s in row.speakers["speakers"]]
    got = scores(segments, truth, row.seller_speaker or "S1")
    guest_time = sum(e - s for s, e, who in truth if who == "guest")
    print(
        f"{embedder} host {host} + guest {guest}: {len(found)} speakers, seller {row.seller_speaker}, "
        f"accuracy {got['accuracy']:.3f}, host time right {got['host']:.3f}, guest time right "
        f"{got['guest']:.3f}, {len(segments)} segments, guest share {guest_time / (wav.size / SR):.2f}"
    )
    assert found == ["S1", "S2"], row.speakers
    assert row.seller_speaker == "S1"  # the guest talks most: their speech feeds persona and voice
    # Turn changes inside the recogniser's segments cost a little. GE2E, tiny.en: this pair 0.964-0.965
    # overall and 0.923 of the host's time in 3 runs (0.907-0.914 and 0.76-0.79 before turns were placed
    # with whole-window probes); six pairs on their tiny.en transcripts 0.958-0.993 and 0.86-0.97.
    assert got["accuracy"] >= 0.92
    assert got["host"] >= 0.75  # most of the host's questions stay out of the guest's persona
