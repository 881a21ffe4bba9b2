"""The product-QA scorer follows shared/eval/product-qa/README.md exactly."""

from __future__ import annotations

import pytest

from echome.knowledge.evaluate import Question, chunk_gain, norm, score_ranking


def q(*evidence: tuple[str, int]) -> Question:
    return Question("1", "does it fit?", "S1", "Thing", [(norm(t), label) for t, label in evidence])


def test_containment_both_ways() -> None:
    ev = [(norm("It fits my   Kenmore fridge perfectly."), 2)]
    assert chunk_gain("Review: it fits my kenmore fridge perfectly. Five stars", ev) == 2
    assert chunk_gain("fits my kenmore fridge", ev) == 2  # chunk inside evidence, over 20 chars
    assert chunk_gain("kenmore fridge", ev) == 0  # too short to count
    assert chunk_gain("unrelated", ev) == 0


def test_ctx_budget_counts_characters_of_the_ranked_chunks() -> None:
    question = q(("the answer", 2))
    filler = "x" * 600
    assert score_ranking(["the answer"], question)["ctx@1000"] == 1.0
    assert score_ranking([filler, "the answer"], question)["ctx@1000"] == 1.0
    r = score_ranking([filler, filler, "the answer"], question)
    assert r["ctx@1000"] == 0.0 and r["ctx@2500"] == 1.0 and r["hit@5"] == 1.0
    assert r["mrr@10"] == pytest.approx(1 / 3)


def test_ndcg_uses_the_questions_own_labels_as_ideal() -> None:
    question = q(("best", 2), ("good", 1), ("bad", 0))
    perfect = score_ranking(["best", "good", "other"], question)
    swapped = score_ranking(["good", "best", "other"], question)
    assert perfect["ndcg@5"] == pytest.approx(1.0)
    assert 0 < swapped["ndcg@5"] < 1.0
    assert score_ranking(["bad"], question)["ndcg@5"] == 0.0
