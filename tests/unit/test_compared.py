"""Two products set side by side without asking a price or stock ("the difference between the candle
and the knife", "Unterschied zwischen Dartpfeil und Dartscheibe") are each introduced: price and
what it is; a side may name its product by the one name word only it has."""

from __future__ import annotations

from echome.knowledge.lookup import ProductNames
from tests.support.memory_shop import offline_answers

SHEET = b"""Title,Price,Stock,Description
Soy Candle Lavender,14.00,12,Hand-poured soy wax candle that burns for 40 hours.
Chef Knife 20cm,45.00,0,Forged steel kitchen knife with a riveted handle.
Wool Scarf,29.00,3,Soft merino scarf in grey.
"""


def test_the_difference_between_two_products_introduces_each() -> None:
    diff, better, cheaper = offline_answers(
        SHEET,
        "What is the difference between the candle and the knife?",
        "Which is better, the candle or the scarf?",
        "Which is cheaper, the candle or the knife?",
    )
    assert "Soy Candle Lavender is $14" in diff and "Hand-poured soy wax candle" in diff, diff
    assert "Chef Knife 20cm is $45" in diff and "Forged steel kitchen knife" in diff, diff
    assert "merino" in better and "soy wax" in better, better
    assert "Soy Candle Lavender is the cheaper one" in cheaper, cheaper


def test_a_side_names_its_product_by_a_word_only_its_name_has_when_two_are_compared() -> None:
    names = ProductNames(
        [("dart", "Dartpfeil Set Steel 22g", None, None), ("board", "Dartscheibe Turnier", None, None)],
        language="de",
    )
    found = names.find("Was ist der Unterschied zwischen Dartpfeil und Dartscheibe?")
    assert [m.product_id for m in found.mentions] == ["dart", "board"]
    # without a word of comparing, two such words may be parts of something else
    assert names.find("Passt der Dartpfeil oder die Dartscheibe?").mentions == []
