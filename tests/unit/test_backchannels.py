"""The verbatim mode's second listen (`echome.providers.whisper_backchannels`)."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from echome.providers.base import Segment, Word
from echome.providers.whisper_backchannels import RATE, find_bursts, is_response, listen_again, merge


def tone(seconds: float, db: float, freq: float = 180.0) -> np.ndarray:
    t = np.arange(int(seconds * RATE)) / RATE
    return (10 ** (db / 20) * np.sqrt(2) * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def track(parts: list[tuple[float, float, float]], seconds: float = 16.0) -> np.ndarray:
    """A quiet background (-70 dB) with tones (start, length, level dB) laid on it."""
    rng = np.random.default_rng(3)
    out = (rng.standard_normal(int(seconds * RATE)) * 10 ** (-70 / 20)).astype(np.float32)
    for start, length, db in parts:
        piece = tone(length, db)
        i = int(start * RATE)
        out[i : i + piece.size] += piece
    return out


def test_short_vocal_level_sounds_outside_speech_are_bursts() -> None:
    audio = track([(0.0, 3.0, -30), (5.0, 0.3, -36), (8.0, 4.0, -34), (14.0, 0.04, -20), (15.0, 0.4, -62)])
    bursts = find_bursts(audio, [(0.0, 3.0)])
    # the 0.3 s sound only: not the 4 s bed (too long), the click (too short) or the faint one
    assert len(bursts) == 1
    start, end = bursts[0]
    assert start == pytest.approx(5.0, abs=0.03) and end == pytest.approx(5.3, abs=0.03)


def test_sounds_inside_speech_or_with_no_speech_heard_are_not_bursts() -> None:
    audio = track([(0.0, 3.0, -30), (5.0, 0.3, -36)])
    assert find_bursts(audio, [(0.0, 3.0), (4.9, 5.5)]) == []
    assert find_bursts(audio, []) == []  # no speech to measure the speaker's level against
    assert find_bursts(np.zeros(0, dtype=np.float32), [(0.0, 1.0)]) == []


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        ("Mm-hmm.", True),
        ("Oh, yeah.", True),
        ("Um, yes.", True),
        ("Mhm", True),
        ("", False),
        ("The CD display", False),
        ("yeah yeah yeah yeah", False),
        ("Thank you.", False),
    ],
)
def test_only_fillers_and_response_words_are_kept(text: str, kept: bool) -> None:
    assert is_response(text) is kept


def words(*spec: tuple[str, float, float]) -> list[Word]:
    return [Word(a, b, t, 0.9) for t, a, b in spec]


def test_a_burst_goes_where_it_was_said_splitting_a_segment_that_spans_the_gap() -> None:
    long = Segment(
        0.0,
        33.0,
        "you don't. Actually",
        words=words(("you", 4.5, 4.7), ("don't.", 4.7, 4.9), ("Actually", 29.7, 30.1)),
    )
    later = Segment(
        33.0, 35.0, "on a phone", words=words(("on", 33.0, 33.2), ("a", 33.2, 33.3), ("phone", 33.3, 33.8))
    )
    burst = Segment(22.3, 22.7, "Mm-hmm.", words=words(("Mm-hmm.", 22.3, 22.7)))
    merged = merge([later, long], [burst])
    assert [s.text for s in merged] == ["you don't.", "Mm-hmm.", "Actually", "on a phone"]
    assert merged[0].end == 4.9 and merged[2].start == 29.7
    tail = Segment(40.0, 40.3, "Yeah.", words=words(("Yeah.", 40.0, 40.3)))
    assert [s.text for s in merge([long], [tail])][-1] == "Yeah."


class FakeWhisper:
    """faster-whisper's `transcribe` shape: (segments, info); records what it was asked."""

    def __init__(self, replies: list[tuple[str, float]]) -> None:
        self.replies = list(replies)
        self.calls: list[dict[str, object]] = []

    def transcribe(self, clip: np.ndarray, **kw: object) -> tuple[list[SimpleNamespace], None]:
        self.calls.append({"seconds": clip.size / RATE, **kw})
        text, no_speech = self.replies.pop(0)
        ws = [SimpleNamespace(start=0.25, end=0.5, word=f" {t}", probability=0.8) for t in text.split()]
        piece = SimpleNamespace(text=f" {text}", no_speech_prob=no_speech, avg_logprob=-0.5, words=ws)
        piece.compression_ratio = 26.0 if text.count("uh") > 5 else 1.0  # zlib's ratio of a loop
        return [piece], None


def test_listen_again_keeps_backchannels_and_drops_content_and_silence() -> None:
    audio = track([(0.0, 3.0, -30), (5.0, 0.3, -36), (8.0, 0.3, -36), (11.0, 0.3, -36)])
    main = [Segment(0.0, 3.0, "hello there", words=words(("hello", 0.1, 1.0), ("there", 1.1, 2.9)))]
    model = FakeWhisper([("Mm-hmm.", 0.3), ("and the price", 0.2), ("Yeah.", 0.9)])
    found = listen_again(model, audio, main, prompt="Um, uh.", language="en", beam=1)
    assert [s.text for s in found] == ["Mm-hmm."]
    assert found[0].start == pytest.approx(5.0, abs=0.03)
    assert found[0].words[0].start == pytest.approx(found[0].start - 0.25 + 0.25, abs=0.05)
    assert len(model.calls) == 3
    call = model.calls[0]
    assert call["vad_filter"] is False and call["hotwords"] == "Um, uh." and call["beam_size"] == 5
    assert call["temperature"] == 0.0  # deterministic: no sampled retries
    assert 0.7 < float(call["seconds"]) < 0.9  # the burst with its context either side


def test_a_filter_span_the_main_pass_wrote_nothing_in_is_listened_to() -> None:
    """A lone "um" between sentences: the filter calls it speech, the main pass wrote no word there."""
    audio = track([(0.0, 3.0, -30), (5.0, 0.4, -36)])
    main = [Segment(0.0, 3.0, "hello there", words=words(("hello", 0.1, 1.0), ("there", 1.1, 2.9)))]
    speech = [(0.0, 3.0), (4.8, 5.6)]
    model = FakeWhisper([("Um.", 0.2)])
    found = listen_again(model, audio, main, prompt="Um, uh.", language="en", beam=1, speech=speech)
    assert [s.text for s in found] == ["Um."] and found[0].start == pytest.approx(5.0, abs=0.03)
    # with a word heard in that span, the span is speech already transcribed: nothing to listen to
    heard = [*main, Segment(5.0, 5.4, "so", words=words(("so", 5.0, 5.4)))]
    assert (
        listen_again(FakeWhisper([]), audio, heard, prompt="Um.", language="en", beam=1, speech=speech) == []
    )


def test_a_repetition_loop_is_not_a_backchannel() -> None:
    audio = track([(0.0, 3.0, -30), (5.0, 0.4, -36)])
    main = [Segment(0.0, 3.0, "hello there", words=words(("hello", 0.1, 1.0), ("there", 1.1, 2.9)))]
    loop = FakeWhisper([(", ".join(["uh"] * 40), 0.2)])
    assert listen_again(loop, audio, main, prompt="Um.", language="en", beam=1, speech=[(0.0, 3.0)]) == []
    assert len(loop.calls) == 1


class ContinuingWhisper(FakeWhisper):
    """Whisper going on past a short sound into the clip's padding: several pieces ("a | b | c")."""

    def transcribe(self, clip: np.ndarray, **kw: object) -> tuple[list[SimpleNamespace], None]:
        pieces, _ = super().transcribe(clip, **kw)
        (one,) = pieces
        out = []
        for part in one.text.split("|"):
            p = SimpleNamespace(**vars(one))
            p.text, p.words = f" {part.strip()}", [w for w in one.words if w.word.strip() in part.split()]
            out.append(p)
        return out, None


def test_pieces_past_what_the_sound_can_hold_are_the_model_continuing() -> None:
    # a third of a second of humming: "Mm-hmm." was heard, the "Yeah"s were written into the padding
    audio = track([(0.0, 3.0, -30), (5.0, 0.3, -36), (8.0, 1.2, -36)])
    main = [Segment(0.0, 3.0, "hello there", words=words(("hello", 0.1, 1.0), ("there", 1.1, 2.9)))]
    model = ContinuingWhisper([("Mm-hmm. | Yeah. Yeah. Yeah. Yeah.", 0.3), ("Oh, yeah. | Mm-hmm.", 0.3)])
    found = listen_again(model, audio, main, prompt="Um.", language="en", beam=1, speech=[(0.0, 3.0)])
    # a longer sound holds all it was heard saying
    assert [s.text for s in found] == ["Mm-hmm.", "Oh, yeah. Mm-hmm."]
    # the first piece alone longer than the sound can hold: nothing was heard there for sure
    many = ContinuingWhisper([("yeah yeah yeah yeah yeah yeah | Mm.", 0.3)])
    short = track([(0.0, 3.0, -30), (5.0, 0.3, -36)])
    assert listen_again(many, short, main, prompt="Um.", language="en", beam=1, speech=[(0.0, 3.0)]) == []
