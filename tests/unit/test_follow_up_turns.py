# ruff: noqa: E501  (a Shopify export: its header is as long as the platform writes it)
"""A shopper's conversation as it goes: "do you have X?" is answered as a seller would (in stock, its
price, what it is), and "what about the olive one?" turns to that product of the same kind."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from echome.answer.asks import whether_words
from echome.answer.other_one import other_of_kind
from echome.knowledge.lookup import ProductNames
from tests.support.memory_shop import MemoryShop, ask_offline, memory_shop

CATALOG = b"""Handle,Title,Body (HTML),Option1 Name,Option1 Value,Variant SKU,Variant Price,Variant Inventory Qty
winter,Soft Winter Jacket,<p>Thick black winter jacket with fleece lining.</p>,Title,Default Title,,50.00,5
olive,Olive Green Jacket,<p>Loose olive green jacket.</p>,Title,Default Title,,65.00,3
leather,Classic Leather Jacket,<p>Zipped leather jacket.</p>,Title,Default Title,,80.00,2
hoodie,Chaz Hoodie,<p>A warm hoodie.</p>,Color,Black,,52.00,4
hoodie,,,,Green,,52.00,1
zip,Green Zip Hoodie,<p>A light zip hoodie.</p>,Title,Default Title,,45.00,2
shirt,Ocean Blue Shirt,<p>Ocean blue cotton shirt.</p>,Title,Default Title,,40.00,9
"""


@pytest.fixture(scope="module")
def shop() -> Iterator[MemoryShop]:
    made = memory_shop(CATALOG, profile={}, name="apparel.csv")
    yield made
    made.engine.dispose()


def ask(shop: MemoryShop, question: str, client: str) -> Any:
    return ask_offline(shop, question, client_ref=client)


def test_do_you_have_is_answered_with_stock_price_and_what_it_is(shop: MemoryShop) -> None:
    out = ask(shop, "Hi, I'm looking for a jacket for winter", "c1")
    assert "The Soft Winter Jacket is in stock. It is $50. Thick black winter jacket" in out.answer, (
        out.answer
    )
    # asked for its stock only: its stock only
    out = ask(shop, "Is the Soft Winter Jacket in stock?", "c1")
    assert "in stock" in out.answer and "$50" not in out.answer


def test_greetings_and_joining_words_are_not_what_is_asked_for() -> None:
    assert whether_words("Hi, do you have the Soft Winter Jacket?") == ["soft", "winter", "jacket"]
    assert whether_words("ok and do you have any silk tops?") == ["silk", "tops"]


def test_the_olive_one_after_a_jacket_is_the_olive_jacket(shop: MemoryShop) -> None:
    ask(shop, "Do you have the Soft Winter Jacket?", "c2")
    out = ask(shop, "What about the olive one?", "c2")
    assert "Olive Green Jacket" in out.answer and "Soft Winter" not in out.answer, out.answer
    out = ask(shop, "How much is the leather one?", "c2")
    assert "$80" in out.answer, out.answer
    out = ask(shop, "is the black one warm?", "c2")  # none is black by name: by its text
    assert "Soft Winter Jacket" in out.answer, out.answer


def test_a_version_of_the_product_under_discussion_keeps_the_question_on_it(shop: MemoryShop) -> None:
    ask(shop, "Tell me about the Chaz Hoodie", "c3")
    out = ask(shop, "Is the green one in stock?", "c3")  # the hoodie in green, not another product
    assert "Chaz Hoodie" in out.answer and "in stock" in out.answer, out.answer


NAMES = ProductNames(
    [
        ("j1", "Soft Winter Jacket", None, None),
        ("j2", "Olive Green Jacket", None, None),
        ("j3", "Green Rain Jacket", None, None),
        ("s1", "Olive Shirt", None, None),
    ]
)


def turned(question: str, focus: str = "j1", held: dict[str, set[str]] | None = None) -> list[str]:
    return other_of_kind(
        question, NAMES, focus, sells=lambda _p: True, holders=lambda w: (held or {}).get(w, set())
    )


def test_other_of_kind_picks_by_the_words_before_one_within_the_kind() -> None:
    assert turned("What about the olive one?") == ["j2"]  # the olive shirt is not a jacket
    assert turned("and the green ones?") == ["j2", "j3"]  # several: the shopper is asked which
    assert turned("the cheaper one?") == []  # which by price is answered elsewhere
    assert turned("Does it come in olive?") == []  # no "the X one"
    assert turned("the olive one?", held={"olive": {"j1"}}) == []  # the jacket itself is olive
    assert turned("the blue one?") == []  # nothing is blue
    assert turned("and the shirt one?") == ["s1"]  # no jacket: another kind, by its name


def test_yes_and_ok_are_how_a_shopper_talks_not_what_they_ask_for() -> None:
    from echome.answer.asks import subject_of
    from echome.knowledge.coverage import subject_words

    # "ok" held by no product made "ok I'll take the nano in blue" a thing the shop does not carry
    assert subject_words(subject_of("ok I'll take the nano in blue")) == ["nano", "blue"]
    assert subject_words(subject_of("yes please, the olive jacket")) == ["olive", "jacket"]
    # "I'll take" is buying; "how long does it take" asks about the thing
    assert subject_words(subject_of("I'll take the gloves")) == ["gloves"]
    assert "take" in subject_words(subject_of("How long does the delivery take?"))
