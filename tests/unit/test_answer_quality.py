"""The answer-quality scorer (`echome eval answers`): facts stated, numbers invented, declines."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from echome.answer.quality import Question, catalog_numbers, load_questions, number_values, score

KNOWN = catalog_numbers("sku;price;qty\nA-1;59,99;100\nB-2;1.299,00;3\nC;12.50;0")


def test_written_numbers_are_read_every_way_they_may_mean() -> None:
    assert {Decimal("59.99"), Decimal("1299"), Decimal("12.5")} <= KNOWN
    assert number_values("$1,299.99") >= {Decimal("1299.99")}
    assert number_values("37,5 %") >= {Decimal("37.5")}
    assert {Decimal("89"), Decimal("12")} <= catalog_numbers("name,sku,price,stock\nDrill,DR-1,89.00,12\n")


def test_a_correct_answer_states_every_fact_and_invents_no_number() -> None:
    q = Question("How much is A and how many are left?", expect_all=[["59,99", "59.99"], ["100"]])
    assert score(q, "A is €59.99 and we have 100 in stock.", known=KNOWN).correct
    missing = score(q, "A is €59.99.", known=KNOWN)
    assert not missing.correct and missing.missing == [["100"]]
    invented = score(q, "A is €59.99, 100 left, and 20% off today.", known=KNOWN)
    assert not invented.correct and invented.invented == ["20"]


def test_off_catalog_answers_must_decline_without_numbers() -> None:
    q = Question("Do you sell bikes?", offcatalog=True)
    assert score(q, "Sorry, we don't carry bikes. Shall I ask the owner?", known=KNOWN).correct
    assert not score(q, "Our B-2 is only 1.299,00 €!", known=KNOWN).correct
    assert not score(q, "Here is something similar you may like.", known=KNOWN).correct
    assert score(q, "Anything", known=KNOWN, mode="no-evidence").declined


def test_questions_file_errors_name_the_line(tmp_path: Path) -> None:
    f = tmp_path / "q.jsonl"
    f.write_text(
        '{"question": "a?", "expect_all": [["1"]]}\n\n{"question": "b?", "offcatalog": true}\nnope\n'
    )
    try:
        load_questions(f)
    except ValueError as exc:
        assert "line 4" in str(exc)
    else:
        raise AssertionError("a bad line must be refused")
    f.write_text('{"question": "a?", "expect_all": [["1"]]}\n{"question": "b?", "offcatalog": true}\n')
    assert [q.offcatalog for q in load_questions(f)] == [False, True]
