"""Answer feedback validation and how stored answers read on the pages (sources, safety check)."""

from __future__ import annotations

import pytest

from echome.answer.feedback import FeedbackError, check_verdict
from echome.web.message_view import citations_of, safety_of


def test_a_verdict_needs_a_rating_and_bounded_notes() -> None:
    assert check_verdict(" UP ", "  ", "").rating == "up"
    v = check_verdict("down", " too vague ", " It is $60. ")
    assert (v.comment, v.corrected_answer) == ("too vague", "It is $60.")
    for args, field in (
        (("meh", "", ""), "rating"),
        (("up", "x" * 2001, ""), "comment"),
        (("up", "", "y" * 4001), "corrected"),
    ):
        with pytest.raises(FeedbackError) as err:
            check_verdict(*args)
        assert err.value.field == field


def test_the_safety_check_reads_in_the_sellers_words() -> None:
    assert safety_of({}) is None
    clean = safety_of({"guardrail": {"composer": {"unsupported": [], "removed": []}}})
    assert clean is not None and not clean.changed
    cut = safety_of(
        {
            "guardrail": {
                "first_draft": {
                    "unsupported": [{"kind": "number", "text": "$12"}],
                    "removed": ["It is $12."],
                },
                "regenerated": {
                    "unsupported": [{"kind": "code", "text": "AB12"}],
                    "removed": ["Ask for AB12."],
                },
            }
        }
    )
    assert cut is not None and cut.rewritten and cut.removed == ["Ask for AB12."]
    assert cut.claims == ["number “$12”", "product code “AB12”"]


def test_citations_are_deduplicated_and_snippets_shortened() -> None:
    raw = [
        {"name": "Shirt", "sku": "S1", "text": "word " * 200},
        {"name": "Shirt", "sku": "S1", "text": "word " * 200},
    ]
    (only,) = citations_of([*raw, "not a citation"])
    assert only.sku == "S1" and len(only.snippet) <= 280 and only.snippet.endswith("…")
