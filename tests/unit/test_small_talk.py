"""Small talk is answered in kind: a greeting, thanks, "are you a bot?" never get "we don't carry
that", and a message that also asks something is answered as a question."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from echome.answer.pipeline import Answerer
from echome.answer.small_talk import ACK, BOT, GREETING, HELP, THANKS, small_talk
from echome.providers.fakes import FixedModels
from tests.support.memory_shop import MemoryShop, memory_shop

CATALOG = b"""Handle,Title,Body (HTML),Variant SKU,Variant Price,Variant Inventory Qty
lamp,Luma Desk Lamp,<p>A dimmable LED desk lamp.</p>,LU-1,45.00,12
"""


@pytest.mark.parametrize(
    ("message", "kind"),
    [
        ("Hello", GREETING),
        ("Hi there!", GREETING),
        ("Hi Ana", GREETING),
        ("¡Hola!", GREETING),
        ("Guten Morgen", GREETING),
        ("Thanks, bye!", THANKS),
        ("ok great, thank you!", THANKS),
        ("Merci beaucoup, au revoir", THANKS),
        ("okay", ACK),
        ("Are you a bot?", BOT),
        ("Am I talking to a real person?", BOT),
        ("Bist du ein Bot?", BOT),
        ("Can you help me?", HELP),
        ("Hi! How much is the lamp?", None),
        ("Thanks! Is the lamp in stock?", None),
        ("Hey, do you sell lamps?", None),
        ("Okapi plush toy?", None),
        ("", None),
    ],
)
def test_what_is_small_talk(message: str, kind: str | None) -> None:
    assert small_talk(message, name="Ana") == kind


@pytest.fixture
def shop() -> Iterator[MemoryShop]:
    base = memory_shop(CATALOG, profile={}, name="shop.csv")
    yield base
    base.engine.dispose()


def ask(shop: MemoryShop, question: str, client: str = "c1") -> Any:
    answerer = Answerer(shop.sessions, shop.finder, FixedModels(chat=None), None)
    return answerer.answer(
        user_id=shop.user_id, persona_id=shop.persona_id, question=question, client_ref=client
    )


def test_small_talk_is_answered_in_kind_in_the_shoppers_language(shop: MemoryShop) -> None:
    hello = ask(shop, "Hello")
    assert hello.answer == "Hi! What can I help you find today?" and hello.mode == "composer"
    assert "carry" not in ask(shop, "Thanks, bye!").answer
    assert ask(shop, "Thanks, bye!").answer == "You're welcome! Have a great day."
    bot = ask(shop, "Are you a bot?").answer
    assert "AI assistant" in bot and "Ana" in bot
    assert ask(shop, "Hallo", client="c2").answer == "Hallo! Wobei kann ich Ihnen helfen?"
    assert "Avec plaisir" in ask(shop, "Merci beaucoup !", client="c3").answer
    # greeted again later in the conversation: greeted back
    assert ask(shop, "Hi again").answer.startswith("Hi!")
    # a greeting with a question is a question
    assert "$45" in ask(shop, "Hi! How much is the Luma Desk Lamp?").answer
