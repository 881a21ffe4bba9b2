"""A price range a question puts on what it asks for, and the answers it gets."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import pytest

from echome.answer.price_range import price_range
from tests.support.memory_shop import MemoryShop, memory_shop
from tests.unit.test_composer_records import CATALOG, ask

D = Decimal


@pytest.mark.parametrize(
    ("question", "low", "high", "rest"),
    [
        ("Do you have any hoodies under 60?", None, D(60), "Do you have any hoodies  ?"),
        ("Anything below $35.50?", None, D("35.50"), "Anything  ?"),
        ("hoodies between 50 and 65 euros", D(50), D(65), "hoodies  "),
        ("Do you have anything over 100 dollars?", D(100), None, "Do you have anything  ?"),
        ("Haben Sie Jacken unter 100 €?", None, D(100), "Haben Sie Jacken  ?"),
        ("zwischen 20 und 40 Euro", D(20), D(40), " "),
        ("Quelque chose à moins de 30 euros ?", None, D(30), "Quelque chose à   ?"),
        ("algo por menos de 20€", None, D(20), "algo por  "),
    ],
)
def test_a_price_range_and_what_is_left_of_the_question(
    question: str, low: Decimal | None, high: Decimal | None, rest: str
) -> None:
    r = price_range(question)
    assert r is not None and (r.low, r.high) == (low, high) and r.without(question) == rest


@pytest.mark.parametrize(
    "question",
    [
        "Do you have more than 5 in stock?",  # a count
        "tents for more than 4 people",
        "toys for kids under 5",  # an age
        "a rug over 2 m long",  # a length
        "under 60 cm wide",
        "Can I buy 2 of them?",
        "How much is the Nordwind Puffer Jacket?",
    ],
)
def test_numbers_that_are_not_prices_make_no_range(question: str) -> None:
    assert price_range(question) is None


@pytest.fixture
def shop() -> Iterator[MemoryShop]:
    opened = memory_shop(CATALOG, profile={}, name="shop.csv")
    yield opened
    opened.engine.dispose()


def test_a_range_lists_what_is_in_it_or_the_nearest_one(shop: MemoryShop) -> None:
    out = ask(shop, "Do you have anything under 20?")
    assert "Cedar Camp Mug" in out.answer and "$18" in out.answer and "Puffer" not in out.answer
    out = ask(shop, "Do you have any jackets under 125?")
    assert "Nordwind Puffer Jacket" in out.answer and "$119" in out.answer
    # none in range: the cheapest of the kind, with its price (so the shopper sees it is over)
    out = ask(shop, "Do you have any jackets under 50?")
    assert "lowest-priced" in out.answer and "$119" in out.answer
    assert "don't carry" not in out.answer
    # a named product asked about a range: its price
    out = ask(shop, "Is the Luma Desk Lamp under 50 dollars?")
    assert "$45" in out.answer
