"""The diarization error rate on small hand-made RTTMs (see echome.media.diarization_score)."""

from __future__ import annotations

import pytest

from echome.media.diarization_score import Turn, read_rttm, score_diarization, turns_of_segments
from echome.providers.base import Segment

REF = """\
SPEAKER rec 1 0.00 4.00 <NA> <NA> alice <NA> <NA>
SPEAKER rec 1 4.00 2.00 <NA> <NA> bob <NA> <NA>
SPEAKER rec 1 7.00 3.00 <NA> <NA> alice <NA> <NA>
"""


def rttm(rows: list[tuple[float, float, str]]) -> str:
    return "".join(f"SPEAKER rec 1 {s:.2f} {d:.2f} <NA> <NA> {who} <NA> <NA>\n" for s, d, who in rows)


def test_reads_rttm_turns() -> None:
    turns = read_rttm(REF + ";; a comment\n\n")
    assert turns == [Turn(0.0, 4.0, "alice"), Turn(4.0, 6.0, "bob"), Turn(7.0, 10.0, "alice")]


def test_rejects_a_short_rttm_line() -> None:
    with pytest.raises(ValueError, match="line 1"):
        read_rttm("SPEAKER rec 1 0.0 1.0\n")


def test_perfect_hypothesis_scores_zero() -> None:
    ref = read_rttm(REF)
    score = score_diarization(ref, ref, collar=0.0)
    assert score.reference_seconds == pytest.approx(9.0)
    assert score.der == 0.0
    assert score.dominant_matches


def test_swapped_labels_score_zero_after_mapping() -> None:
    hyp = read_rttm(REF.replace("alice", "X").replace("bob", "alice").replace("X", "bob"))
    score = score_diarization(read_rttm(REF), hyp, collar=0.0)
    assert score.der == 0.0
    assert score.mapping == {"bob": "alice", "alice": "bob"}
    assert score.dominant_matches


def test_missed_turn_costs_its_share() -> None:
    hyp = read_rttm(rttm([(0, 4, "A"), (7, 3, "A")]))  # bob's 2 s turn not found
    score = score_diarization(read_rttm(REF), hyp, collar=0.0)
    assert score.missed == pytest.approx(2.0)
    assert score.false_alarm == 0.0 and score.confusion == 0.0
    assert score.der == pytest.approx(2 / 9)


def test_one_speaker_for_two_is_confusion() -> None:
    hyp = read_rttm(rttm([(0, 6, "A"), (7, 3, "A")]))
    score = score_diarization(read_rttm(REF), hyp, collar=0.0)
    assert score.confusion == pytest.approx(2.0)  # bob's turn, labelled as alice's
    assert score.missed == 0.0 and score.false_alarm == 0.0
    assert score.hypothesis_speakers == ["A"] and len(score.reference_speakers) == 2


def test_speech_in_a_pause_is_false_alarm() -> None:
    hyp = read_rttm(rttm([(0, 4, "A"), (4, 2, "B"), (6, 4, "A")]))  # the 6-7 s pause filled
    score = score_diarization(read_rttm(REF), hyp, collar=0.0)
    assert score.false_alarm == pytest.approx(1.0)
    assert score.der == pytest.approx(1 / 9)


def test_overlap_counts_each_reference_speaker() -> None:
    ref = read_rttm(rttm([(0, 4, "alice"), (2, 4, "bob")]))  # 2 s of both talking
    hyp = read_rttm(rttm([(0, 6, "A")]))
    score = score_diarization(ref, hyp, collar=0.0)
    assert score.reference_seconds == pytest.approx(8.0)
    # 0-2 and 2-4 right for alice; during the overlap bob is missed; 4-6 bob is called alice
    assert score.missed == pytest.approx(2.0)
    assert score.confusion == pytest.approx(2.0)
    assert score.der == pytest.approx(0.5)


def test_collar_forgives_boundary_errors_only() -> None:
    # every boundary of the hypothesis 0.2 s late
    hyp = [Turn(t.start + 0.2, t.end + 0.2, t.speaker) for t in read_rttm(REF)]
    strict = score_diarization(read_rttm(REF), hyp, collar=0.0)
    assert strict.der > 0.05
    assert score_diarization(read_rttm(REF), hyp, collar=0.25).der == pytest.approx(0.0, abs=1e-9)
    # the collar takes reference speech out of the score: 0.25 s inside each of alice's and bob's turns
    # at each of their 6 boundaries
    assert score_diarization(read_rttm(REF), hyp, collar=0.25).reference_seconds == pytest.approx(9.0 - 1.5)


def test_empty_hypothesis_misses_everything() -> None:
    score = score_diarization(read_rttm(REF), [], collar=0.0)
    assert score.der == pytest.approx(1.0)
    assert not score.dominant_matches


def test_segments_become_turns() -> None:
    segs = [Segment(0.0, 1.5, "hi", speaker="S1"), Segment(2.0, 2.0, "", speaker="S2")]
    assert turns_of_segments(segs) == [Turn(0.0, 1.5, "S1")]


def test_report_gives_seconds_and_shares() -> None:
    hyp = read_rttm(rttm([(0, 4, "A"), (7, 3, "A")]))
    d = score_diarization(read_rttm(REF), hyp, collar=0.0).to_dict()
    assert d["missed"]["seconds"] == pytest.approx(2.0)
    assert d["missed"]["share"] == pytest.approx(0.2222, abs=1e-4)
    assert d["speakers"] == {"reference": 2, "found": 1}
    assert d["dominant"] == {"reference": "alice", "hypothesis": "A", "matches": True}
