"""Two products whose names share words, set side by side in one question ("the Blue Linen Shirt or
the Blue Linen Shirt XL", two sofas of one range), are both found, each by its own side; a
connecting word inside a product's name does not split it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from echome.answer.pipeline import Answerer
from echome.knowledge.lookup import ProductNames
from echome.providers.fakes import FixedModels
from tests.support.memory_shop import MemoryShop, memory_shop

SHOP = [
    ("shirt", "Blue Linen Shirt", "BL-1", None),
    ("shirt-xl", "Blue Linen Shirt XL", "BL-1-XL", None),
    ("yellow", "Haven Sofa Yellow", "HS-Y", None),
    ("grey", "Haven Sofa Grey", "HS-G", None),
    ("mill", "Salt and Pepper Mill", "SPM", None),
    ("salt", "Sea Salt Flakes", "SSF", None),
    ("parasol", "Parasol Sombra, 350cm", "PS-350", None),
    ("lamp", "Luma Desk Lamp", "LU-1", None),
    ("white", "Cotton Throw White", "CT-W", None),
]


def named(question: str) -> list[str]:
    return [m.product_id for m in ProductNames(SHOP).find(question).mentions]


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("Compare the Blue Linen Shirt and the Blue Linen Shirt XL", ["shirt", "shirt-xl"]),
        ("Which is cheaper, the Blue Linen Shirt XL or the Blue Linen Shirt?", ["shirt-xl", "shirt"]),
        ("Blue Linen Shirt vs Blue Linen Shirt XL: what's the difference?", ["shirt", "shirt-xl"]),
        ("Is the Blue Linen Shirt cheaper than the Blue Linen Shirt XL?", ["shirt", "shirt-xl"]),
        (
            "What's the price difference between the Haven Sofa Yellow and the Haven Sofa Grey?",
            ["yellow", "grey"],
        ),
        ("haven sofa grey versus haven sofa yellow", ["grey", "yellow"]),
        ("Ist das Haven Sofa Grey günstiger als das Haven Sofa Yellow?", ["grey", "yellow"]),
        ("La Haven Sofa Yellow es más barata que la Haven Sofa Grey?", ["yellow", "grey"]),
        ("Is the Haven Sofa Yellow, compared to the Haven Sofa Grey, any softer?", ["yellow", "grey"]),
    ],
)
def test_both_products_are_found_when_both_are_named(question: str, expected: list[str]) -> None:
    assert named(question) == expected


def test_one_product_named_alone_is_still_that_product() -> None:
    assert named("How much is the Blue Linen Shirt?") == ["shirt"]
    assert named("How much is the Blue Linen Shirt XL?") == ["shirt-xl"]
    assert named("Do you have the Haven Sofa Grey in stock and how much is it?") == ["grey"]


def test_a_connecting_word_inside_a_name_does_not_split_it() -> None:
    assert named("How much is the Salt and Pepper Mill?") == ["mill"]
    assert named("Is the Salt and Pepper Mill or the Sea Salt Flakes cheaper?") == ["mill", "salt"]
    assert named("Wie groß ist der Parasol Sombra, 350cm und was kostet er?") == ["parasol"]


def test_a_name_spread_over_both_sides_is_not_the_product_meant() -> None:
    """Every word of a "Boho Bangle Bracelet" is in the question, but across the two products it
    names (a real jewellery catalog's trio)."""
    shop = [("boho", "Boho Earrings", None, None), ("bangle", "Bangle Bracelet", None, None)]
    shop += [("boho-bangle", "Boho Bangle Bracelet", None, None)]
    names = ProductNames(shop)

    def found(q: str) -> list[str]:
        return [m.product_id for m in names.find(q).mentions]

    assert found("What's the price difference between the Boho Earrings and the Bangle Bracelet?") == [
        "boho",
        "bangle",
    ]
    assert found("Is the Boho Bangle Bracelet cheaper than the Boho Earrings?") == ["boho-bangle", "boho"]
    assert found("boho bangle bracelet or bangle bracelet?") == ["boho-bangle", "bangle"]
    assert found("How much is the Boho Bangle Bracelet?") == ["boho-bangle"]


def test_a_side_naming_a_product_by_one_word_does_not_add_it() -> None:
    # "white" is the last word of the Cotton Throw White, but here it is a colour asked of the lamp.
    assert named("Is the Luma Desk Lamp available in black or white?") == ["lamp"]


CATALOG = b"""Handle,Title,Option1 Name,Option1 Value,Variant SKU,Variant Price,Variant Inventory Qty
shirt,Blue Linen Shirt,Title,Default Title,BL-1,39.00,5
shirt-xl,Blue Linen Shirt XL,Title,Default Title,BL-1-XL,44.00,3
yellow,Haven Sofa Yellow,Title,Default Title,HS-Y,899.00,1
grey,Haven Sofa Grey,Title,Default Title,HS-G,799.00,2
terminal,Card Payment Terminal,Title,Default Title,CPT-1,129.00,7
"""


@pytest.fixture
def shop() -> Iterator[MemoryShop]:
    base = memory_shop(CATALOG, profile={}, name="range.csv")
    yield base
    base.engine.dispose()


def test_the_answer_compares_both_products_of_one_range(shop: MemoryShop) -> None:
    answerer = Answerer(shop.sessions, shop.finder, FixedModels(chat=None), None)

    def ask(question: str) -> str:
        return answerer.answer(user_id=shop.user_id, persona_id=shop.persona_id, question=question).answer

    out = ask("Which is cheaper, the Blue Linen Shirt or the Blue Linen Shirt XL?")
    assert "$39" in out and "$44" in out and "the Blue Linen Shirt is the cheaper one" in out, out
    out = ask("What's the price difference between the Haven Sofa Yellow and the Haven Sofa Grey?")
    assert "$899" in out and "$799" in out, out


def test_a_product_whose_name_holds_a_store_topic_is_still_a_product(shop: MemoryShop) -> None:
    answerer = Answerer(shop.sessions, shop.finder, FixedModels(chat=None), None)
    out = answerer.answer(
        user_id=shop.user_id,
        persona_id=shop.persona_id,
        question="Which is cheaper, the Card Payment Terminal or the Blue Linen Shirt?",
    )
    assert out.mode == "composer" and "$129" in out.answer and "$39" in out.answer, out.answer
    out = answerer.answer(
        user_id=shop.user_id, persona_id=shop.persona_id, question="Which payment methods do you accept?"
    )
    assert "$" not in out.answer  # a question about the store's payment methods stays one
