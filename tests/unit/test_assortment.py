""" "What do you sell?" is answered with what the shop sells: its main categories, or products of
different kinds, in the shopper's language; never with "I don't have that in my catalog"."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from echome.answer.asks import asks_what_is_sold
from echome.answer.pipeline import Answerer
from echome.providers.fakes import FixedModels
from tests.support.memory_shop import MemoryShop, memory_shop

# A seller's own sheet without categories: two candles (one kind), a battery pack whose name
# holds a number the guardrail must find in the evidence, and three more things.
PLAIN = b"""Title,Price,Stock,Description
Trail Runner Shoe,89.00,5,Lightweight trail running shoe.
AA Battery 4-Pack,6.50,40,Alkaline batteries for remotes.
Chef Knife,45.00,0,Forged steel kitchen knife.
Soy Candle,14.00,12,Hand-poured soy wax candle.
Beeswax Candle,16.00,3,Rolled beeswax candle.
Wool Scarf,29.00,,Soft merino scarf in grey.
"""

CATEGORISED = b"""Title,Price,Category
Chef Knife,45.00,Kitchen > Knives
Paring Knife,19.00,Kitchen > Knives
Cutting Board,25.00,Kitchen
Soy Candle,14.00,Home > Candles
Wool Scarf,29.00,Clothing
"""


@contextmanager
def shop_of(catalog: bytes) -> Iterator[MemoryShop]:
    shop = memory_shop(catalog, profile={}, name="shop.csv")
    try:
        yield shop
    finally:
        shop.engine.dispose()


def ask(shop: MemoryShop, question: str) -> str:
    answerer = Answerer(shop.sessions, shop.finder, FixedModels(chat=None), None)
    return answerer.answer(user_id=shop.user_id, persona_id=shop.persona_id, question=question).answer


def test_questions_about_the_whole_shop_in_the_seven_languages() -> None:
    for q in (
        "What do you sell?",
        "Hi! What kind of products do you have?",
        "Show me what you have",
        "Was verkaufen Sie?",
        "Que vendez-vous ?",
        "¿Qué venden?",
        "Cosa vendete?",
        "Wat verkopen jullie?",
        "O que vocês vendem?",
    ):
        assert asks_what_is_sold(q), q
    for q in ("What do you have in blue?", "What do you sell for kids?", "Do you sell scarves?"):
        assert not asks_what_is_sold(q), q


def test_a_shop_without_categories_lists_products_of_different_kinds() -> None:
    with shop_of(PLAIN) as shop:
        out = ask(shop, "What do you sell?")
        assert out.startswith("Hi! Here is some of what I sell: "), out
        assert "AA Battery 4-Pack" in out  # its "4" is evidence, not an invented number
        assert ("Soy Candle" in out) != ("Beeswax Candle" in out), out  # one candle of the two
        assert out.endswith("What can I help you find today?"), out
        assert "Unter anderem finden Sie bei mir:" in ask(shop, "Was verkaufen Sie?")


def test_a_shop_with_categories_names_its_main_ones() -> None:
    with shop_of(CATEGORISED) as shop:
        out = ask(shop, "what products do you have?")
        assert "Here is what I sell: Kitchen, Clothing and Home." in out, out


def test_a_shopper_asking_what_to_buy_is_shown_what_there_is() -> None:
    with shop_of(PLAIN) as shop:
        for q in ("I need a present for my dad", "What do you recommend?"):
            out = ask(shop, q)
            assert "Here is some of what I sell: " in out and "don't carry" not in out, (q, out)
        # advice asked about something the shop has: that product, not "I don't have that detail"
        shoe = ask(shop, "Any gift ideas for a runner?")
        assert "Trail Runner Shoe is $89" in shoe and "detail" not in shoe, shoe
        assert "don't carry" in ask(shop, "Do you sell laptops?")


def test_a_gift_in_a_products_name_is_not_a_request_for_advice() -> None:
    from echome.answer.asks import asks_recommendation

    assert asks_recommendation("Ich suche ein Geschenk für meinen Vater")
    assert asks_recommendation("Any gift ideas?")
    for q in ("Do you sell the Pu Erh Tee Geschenkset?", "Do you sell the Jasmine Tee Geschenk Set?"):
        assert not asks_recommendation(q), q
    with shop_of(PLAIN) as shop:
        assert "what I sell" not in ask(shop, "Do you sell gift cards?")


GIFTS = b"""Title,Price,Description
Gold Bird Necklace,79.99,A 14k gold necklace with a bird between two chains.
Moon Charm Bracelet,39.99,A gold chain friendship bracelet with a moon.
Silver Threader Necklace,29.99,A long silver necklace.
Boho Earrings,19.99,Silver earrings with beads.
"""


def test_a_gift_asked_for_by_taste_lists_what_fits_it_names_first() -> None:
    with shop_of(GIFTS) as shop:
        answerer = Answerer(shop.sessions, shop.finder, FixedModels(chat=None), None)
        out = answerer.answer(
            user_id=shop.user_id,
            persona_id=shop.persona_id,
            question="I want a present for my wife, she likes gold",
        )
        assert "These might suit: Gold Bird Necklace and Moon Charm Bracelet." in out.answer, out.answer
        # no taste said: what the shop sells
        out = answerer.answer(
            user_id=shop.user_id, persona_id=shop.persona_id, question="What do you recommend?"
        )
        assert "Here is what I sell:" in out.answer and "might suit" not in out.answer, out.answer
