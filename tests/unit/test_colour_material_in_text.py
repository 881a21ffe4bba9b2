"""A colour or a material said only in a product's description answers "what colour is it?" and
"what is it made of?", as a "Colour:" or "Material:" column would."""

from __future__ import annotations

from tests.support.memory_shop import offline_answers

SHEET = b"""Title,Price,Stock,Description
Wool Scarf,29.00,4,Soft merino scarf in grey. Hand wash only.
Chef Knife,45.00,2,Forged stainless steel blade. Sharpened by hand.
"""
LADEN = """Name;Preis;Beschreibung
Schal Winter;29,00;Weicher Schal in Grau. Nur Handwäsche.
""".encode()


def test_the_colour_and_the_material_in_a_description_answer_what_is_asked() -> None:
    colour, material, knife = offline_answers(
        SHEET, "What colour is the scarf?", "What is the scarf made of?", "What is the knife made of?"
    )
    assert "in grey" in colour and "Hand wash" not in colour, colour
    assert "merino" in material, material
    assert "stainless steel" in knife and "Sharpened" not in knife, knife


def test_a_colour_word_in_german() -> None:
    (out,) = offline_answers(LADEN, "Welche Farbe hat der Schal?")
    assert "in Grau" in out and "Handwäsche" not in out, out
