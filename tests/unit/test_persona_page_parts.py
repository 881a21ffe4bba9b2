"""Pieces the Persona and Voice pages added below the web layer: cutting a moment of a recording,
the expected-version check, choosing a speaker, sizes in words, and traits read and typed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from echome.db.models import PersonaMedia, PersonaProfile, Transcript
from echome.media.audio import encode, load_audio, load_span
from echome.persona import profile as profiles
from echome.persona.service import MediaInputError, choose_speaker, size_label
from echome.web import persona_traits as traits

RATE = 16_000


def test_load_span_cuts_exactly_the_moment_without_decoding_from_the_start(tmp_path: Path) -> None:
    t = np.arange(RATE * 60) / RATE
    wav = (0.3 * np.sin(2 * np.pi * 220 * t)).astype(np.float32)
    wav[RATE * 30 : RATE * 31] = 0.0  # a second of silence at 0:30
    path = tmp_path / "a.flac"
    path.write_bytes(encode(wav, RATE, codec="flac"))
    part = load_span(path, 29.5, 31.5, sample_rate=RATE)
    assert part.size == 2 * RATE
    assert np.array_equal(part, load_audio(path)[int(29.5 * RATE) : int(31.5 * RATE)])
    assert np.abs(part[int(0.55 * RATE) : int(1.45 * RATE)]).max() == 0.0
    assert load_span(path, 5, 5).size == 0 and load_span(path, 70, 80).size == 0


def test_a_save_from_a_stale_version_is_a_conflict() -> None:
    profile = PersonaProfile(version=4)
    profiles.check_version(profile, 4)
    profiles.check_version(profile, None)  # the API's PUT/PATCH do not check
    with pytest.raises(profiles.VersionConflict) as exc:
        profiles.check_version(profile, 3)
    assert (exc.value.expected, exc.value.current) == (3, 4)


def test_choosing_a_speaker_the_recording_does_not_have_is_refused() -> None:
    submitted: list[dict[str, Any]] = []

    class Db:
        def commit(self) -> None:
            submitted.append({"commit": True})

    def submit(*, user_id: str, kind: str, payload: dict[str, Any] | None = None) -> str:
        submitted.append({"user_id": user_id, "kind": kind, **(payload or {})})
        return "job1"

    media = PersonaMedia(id="m1", user_id="u1", persona_id="p1", title="talk.mp4")
    tr = Transcript(speakers={"speakers": [{"id": "S1"}, {"id": "S2"}]}, seller_speaker="S1")
    with pytest.raises(MediaInputError) as exc:
        choose_speaker(Db(), submit, media=media, transcript=tr, speaker="S3")  # type: ignore[arg-type]
    assert exc.value.status == 422 and "S1, S2" in str(exc.value) and not submitted
    assert choose_speaker(Db(), submit, media=media, transcript=tr, speaker="S2") == "job1"  # type: ignore[arg-type]
    assert (tr.seller_speaker, tr.speaker_chosen_by) == ("S2", "seller")
    assert submitted[-1] == {
        "user_id": "u1",
        "kind": "persona.analyse",
        "persona_id": "p1",
        "change": "speaker S2 chosen in talk.mp4",
        "build_voice": True,  # the voice may now be copied from the speech the seller said is theirs
    }
    assert choose_speaker(Db(), submit, media=media, transcript=tr, speaker="all") == "job1"  # type: ignore[arg-type]
    assert (tr.seller_speaker, tr.speaker_chosen_by) == (None, "seller")
    assert submitted[-1]["change"] == "every voice taken as yours in talk.mp4"


def test_size_labels() -> None:
    assert size_label(1024**3) == "1024 MB"
    assert size_label(3 * 1024**2 // 2) == "1.5 MB"
    assert size_label(150_000) == "146 KB"


def test_traits_read_in_words_and_typed_values_become_overrides() -> None:
    by = traits.BY_FIELD
    assert traits.in_words(by["formality"], {"label": "casual", "score": 0.312}) == "casual (0.31 of 1)"
    assert traits.in_words(by["speaking_rate_wpm_overall"], 141.6) == "142 wpm"
    assert (
        traits.in_words(by["catchphrases"], [{"text": "you know what"}, "honestly"])
        == "you know what, honestly"
    )
    assert traits.parse(by["personality_traits"], "warm\n\n  patient \n", []) == ["warm", "patient"]
    assert traits.parse(by["vocabulary"], "linen\ncosy", []) == {"signature_words": ["linen", "cosy"]}
    assert traits.parse(by["sentence_length"], "12,5", []) == {"mean": 12.5}
    assert traits.parse(by["greeting"], "  ", []) is None  # no greeting
    assert traits.parse(by["selling"], "", ["urgency", "nonsense"]) == {"approach": ["urgency"]}
    for field, raw in (("speaking_rate_wpm_overall", "fast"), ("speaking_rate_label", "very"), ("role", " ")):
        with pytest.raises(traits.TraitInputError):
            traits.parse(by[field], raw, [])
    assert traits.problem("role", "x" * 301) == "Role is longer than 300 characters."
    assert traits.problem("speaking_rate_wpm", 900.0) == "Speaking_rate_wpm must be at most 500."
    assert traits.problem("role", "owner") is None


def test_quotes_come_from_the_value_and_its_parts_once_each() -> None:
    q = {"start": 1.0, "end": 2.0, "text": "hi there", "media_id": "m"}
    value = {"evidence": [q], "benefits": {"evidence": [q, {"start": 5, "end": 6, "text": "it lasts"}]}}
    found = traits.quotes(value)
    assert [f["text"] for f in found] == ["hi there", "it lasts"]
    assert traits.playable(found[0]) and not traits.playable(found[1])  # measured before media ids
