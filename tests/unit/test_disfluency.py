"""Counting fillers and word errors the way the verbatim-transcription eval does."""

from __future__ import annotations

from echome.providers.stt_whisper import VERBATIM_PROMPT, _echoes_prompt
from echome.speech.disfluency import count_fillers, edit_distance, fillers, score, words


def test_words_lower_case_strip_punctuation_and_keep_backchannels_whole() -> None:
    assert words("Mm-hmm. I- I think, uh-huh, he was ill-disposed.") == [
        "mm-hmm", "i", "i", "think", "uh-huh", "he", "was", "ill", "disposed",
    ]  # fmt: skip


def test_filler_spellings_count_as_one_filler() -> None:
    assert fillers(words("Umm, Mhm. Mm hmm, uhh, Hm.")) == {"um": 1, "mm-hmm": 2, "uh": 1, "hmm": 1}
    assert count_fillers("Like, you know, yeah, oh well, so I mean it.") == 0  # lexical words are not fillers
    assert count_fillers("Um, uh uh, the er, ah") == 5


def test_score_counts_kept_and_invented_fillers_and_word_errors() -> None:
    s = score("Yeah. Um. When they're when you've got", "Um, um, uh, when you've got")
    assert (s.reference_fillers, s.transcript_fillers, s.kept_fillers, s.invented_fillers) == (1, 3, 1, 2)
    assert (s.reference_words, s.errors) == (7, 3)  # yeah→um, when→uh, they're dropped
    assert edit_distance(["a", "b", "c"], ["a", "x", "c", "d"]) == 2


def test_a_segment_repeating_the_priming_text_is_recognised() -> None:
    assert _echoes_prompt(VERBATIM_PROMPT)
    assert _echoes_prompt("I mean, like, you know, mm-hmm.")
    assert not _echoes_prompt("Um, so, uh")  # too short to tell from real speech
    assert not _echoes_prompt("I mean, like, you know the price")
