"""The verbatim mode's guard (`whisper_coverage`): speech the primed pass skipped is decoded again
unprimed, and only there."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from echome.providers.base import Segment, Word, words_text
from echome.providers.whisper_coverage import coverage, fill_skipped, hear_failed, regions

RATE = 16_000


def ws(*spec: tuple[str, float, float]) -> list[Word]:
    return [Word(a, b, t, 0.9) for t, a, b in spec]


class FakeWhisper:
    """faster-whisper's `transcribe` shape; each reply is (words at clip times, no_speech, logprob)."""

    def __init__(self, *replies: tuple[list[tuple[str, float, float]], float, float]) -> None:
        self.replies = list(replies)
        self.calls: list[dict[str, object]] = []

    def transcribe(self, clip: np.ndarray, **kw: object) -> tuple[list[SimpleNamespace], None]:
        self.calls.append({"seconds": clip.size / RATE, **kw})
        spec, no_speech, logprob = self.replies.pop(0)
        words = [SimpleNamespace(start=a, end=b, word=f" {t}", probability=0.9) for t, a, b in spec]
        text = " ".join(t for t, _, _ in spec)
        return [
            SimpleNamespace(text=f" {text}", no_speech_prob=no_speech, avg_logprob=logprob, words=words)
        ], None


def test_regions_join_short_pauses_and_coverage_counts_time_under_words() -> None:
    assert regions([(0.0, 0.6), (0.7, 1.5), (3.0, 3.5)]) == [(0.0, 1.5)]  # the 0.5 s one is too short
    assert coverage(ws(("a", 1.0, 2.0)), 0.0, 4.0) == pytest.approx((2.15 - 0.85) / 4)
    assert coverage([], 0.0, 4.0) == 0.0


def test_a_skipped_region_is_heard_again_unprimed_and_only_it() -> None:
    audio = np.zeros(12 * RATE, dtype=np.float32)
    primed = [
        Segment(0.3, 0.6, "Uh, uh,", words=ws(("Uh,", 0.3, 0.45), ("uh,", 0.45, 0.6))),
        Segment(6.0, 9.0, "um the price is fine", words=ws(("um", 6.0, 6.5), ("the", 6.6, 7.0),
                ("price", 7.0, 7.8), ("is", 7.9, 8.2), ("fine", 8.3, 9.0))),
    ]  # fmt: skip
    speech = [(0.0, 4.0), (6.0, 9.0)]
    # clip times: the clip starts at 0.0 (the region's 1 s of context is cut at the recording's start)
    model = FakeWhisper(([("There's", 0.1, 0.5), ("iron", 0.6, 1.2), ("in", 1.3, 1.6), ("our", 1.7, 2.2),
                          ("blood.", 2.3, 3.8), ("Next", 4.6, 5.0)], 0.1, -0.3))  # fmt: skip
    out = fill_skipped(model, audio, primed, speech, language="en", beam=1)
    assert [s.text for s in out] == ["There's iron in our blood. Next", "um the price is fine"]
    call = model.calls[0]
    assert call["vad_filter"] is False and not call.get("hotwords") and call["seconds"] == pytest.approx(5.0)
    # the region that was covered keeps its primed words, fillers and all
    assert out[1] is primed[1]


def test_a_decode_whisper_judges_silence_or_no_better_changes_nothing() -> None:
    audio = np.zeros(8 * RATE, dtype=np.float32)
    primed = [Segment(0.3, 0.6, "Uh,", words=ws(("Uh,", 0.3, 0.6)))]
    silence = FakeWhisper(([("Thank", 0.5, 1.0), ("you.", 1.0, 3.5)], 0.9, -1.4))
    assert fill_skipped(silence, audio, primed, [(0.0, 4.0)], language="en", beam=1) == primed
    no_better = FakeWhisper(([("Uh", 0.3, 0.6)], 0.1, -0.3))
    assert fill_skipped(no_better, audio, primed, [(0.0, 4.0)], language="en", beam=1) == primed
    covered = FakeWhisper()  # a well-covered region is never decoded again
    whole = [Segment(0.0, 3.9, "a b", words=ws(("a", 0.0, 1.9), ("b", 2.0, 3.9)))]
    assert fill_skipped(covered, audio, whole, [(0.0, 4.0)], language="en", beam=1) == whole
    assert covered.calls == []


def test_two_skipped_neighbours_share_the_pause_between_them_without_doubling_words() -> None:
    audio = np.zeros(12 * RATE, dtype=np.float32)
    speech = [(1.0, 3.0), (4.0, 6.0)]
    # each decode (with 1 s of context either side) hears "three", said in the pause halfway between
    first = FakeWhisper(
        ([("one", 1.0, 2.0), ("two", 2.0, 3.0), ("three", 3.1, 3.9)], 0.1, -0.3),  # clip from 0.0
        ([("three", 0.1, 0.9), ("four", 1.1, 2.9)], 0.1, -0.3),  # clip from 3.0
    )
    out = fill_skipped(first, audio, [], speech, language="en", beam=1)
    assert words_text([w for s in out for w in s.words]) == "one two three four"


def test_a_failed_primed_decode_is_replaced_by_the_unprimed_words_of_its_time() -> None:
    audio = np.zeros(8 * RATE, dtype=np.float32)
    kept = [Segment(0.0, 2.7, "He might even have been made amiable himself.", words=ws(("He", 0.0, 0.4),
            ("might", 0.4, 0.6), ("himself.", 2.1, 2.7)))]  # fmt: skip
    # The unprimed decode of 1.7-4.2 s (the failed span 2.7-3.2 s with 1 s either side): the word
    # before the span belongs to the kept segment and is not taken twice.
    model = FakeWhisper(([("himself.", 0.4, 1.0), ("Yes,", 1.05, 1.3), ("sir.", 1.3, 1.5)], 0.1, -0.4))
    out = hear_failed(model, audio, kept, [(2.7, 3.2)], language="en", beam=1)
    assert [s.text for s in out] == [kept[0].text, "Yes, sir."]
    call = model.calls[0]
    assert not call.get("hotwords") and call["vad_filter"] is False and call["seconds"] == pytest.approx(2.5)
    # Whisper judging the time silence: the failed decode leaves nothing behind
    silent = FakeWhisper(([("I'm", 0.1, 0.3), ("sure.", 0.3, 0.5)], 0.8, -1.5))
    assert hear_failed(silent, audio, kept, [(2.7, 3.2)], language="en", beam=1) == kept


def test_words_are_spaced_as_written() -> None:
    """Adapters strip each word; text rebuilt from words (a segment split by speaker) is spaced."""
    spoken = ws(
        ("Mm", 0, 1),
        ("-hmm.", 1, 2),
        ("I-", 2, 3),
        ("I", 3, 4),
        ("liked", 4, 5),
        ("it,", 5, 6),
        ("yes", 6, 7),
    )
    assert words_text(spoken) == "Mm-hmm. I- I liked it, yes"
