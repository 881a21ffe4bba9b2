"""Which currency a price is said in: the one the catalog row states, else the one the seller's store
information states, else the configured default; with none of them the bare number, never a
guessed "$"."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from echome.answer.pipeline import Answerer
from echome.knowledge.store_doc import parse_store_info
from echome.knowledge.store_info import ingest_store_info, stated_currency
from echome.providers.fakes import FixedModels
from tests.support.memory_shop import MemoryShop, memory_shop

# A price list with no currency anywhere (as Shopware's and PrestaShop's exports are).
BARE = b"""ordernumber;price;_name
SW-1;59,99;Holunder Likor 0,7 Liter
SW-2;12;Korkenzieher Classic
"""
WITH_CURRENCY = b"""sku,name,price,currency
CH-1,Alpine Cheese Knife,24.50,CHF
"""


@pytest.mark.parametrize(
    ("texts", "code"),
    [
        (["All prices are in EUR and include VAT."], "EUR"),
        (["# Payment\nOur prices are shown in British pounds."], "GBP"),
        (["Alle Preise in Euro inkl. MwSt. zzgl. Versand"], "EUR"),
        (["Währung: CHF"], "CHF"),
        (["Tous nos prix sont en euros TTC."], "EUR"),
        (["Todos los precios están en €."], "EUR"),
        (["Prices incl. VAT are in US dollars."], "USD"),
        (["We ship worldwide. Returns within 30 days."], None),
        (["Shipping is 4.95 and free over 50."], None),
        (["Prices in EUR.", "Prices for UK customers are in GBP."], None),  # two currencies: none
        ([], None),
    ],
)
def test_the_currency_the_store_information_states(texts: list[str], code: str | None) -> None:
    assert stated_currency(texts) == code


@pytest.fixture
def shop() -> Iterator[MemoryShop]:
    base = memory_shop(BARE, profile={}, name="preise.csv")
    base.finder.default_currency = None  # no ECHOME_CATALOG_CURRENCY configured
    yield base
    base.engine.dispose()


def _ask(shop: MemoryShop, question: str) -> str:
    answerer = Answerer(shop.sessions, shop.finder, FixedModels(chat=None), None)
    return answerer.answer(user_id=shop.user_id, persona_id=shop.persona_id, question=question).answer


def _store_info(shop: MemoryShop, text: bytes) -> None:
    retriever = shop.finder.retriever
    ingest_store_info(
        parse_store_info(text, "payment.md"),
        user_id=shop.user_id,
        persona_id=None,
        sessions=shop.sessions,
        embedder=retriever.embedder,
        store=retriever.store,
    )
    retriever.keywords.invalidate(shop.user_id)


def test_a_price_nothing_names_a_currency_for_is_said_as_the_number(shop: MemoryShop) -> None:
    out = _ask(shop, "Was kostet der Holunder Likor 0,7 Liter?")
    assert "59,99" in out and not any(sign in out for sign in "$€£"), out
    out = _ask(shop, "How much is the Korkenzieher Classic?")
    assert "is 12." in out and "$" not in out and "USD" not in out, out


def test_the_store_information_names_the_currency(shop: MemoryShop) -> None:
    _store_info(shop, b"# Payment\nAll prices are in euros and include VAT. We accept cards and PayPal.\n")
    out = _ask(shop, "Was kostet der Holunder Likor 0,7 Liter?")
    assert "59,99\u00a0€" in out, out
    assert "€12" in _ask(shop, "How much is the Korkenzieher Classic?")


def test_the_configured_default_applies_when_the_store_states_none(shop: MemoryShop) -> None:
    shop.finder.default_currency = "GBP"
    assert "£12" in _ask(shop, "How much is the Korkenzieher Classic?")
    _store_info(shop, b"# Payment\nPrices are listed in EUR.\n")  # the seller's own words win
    assert "€12" in _ask(shop, "How much is the Korkenzieher Classic?")


def test_the_catalogs_own_currency_wins() -> None:
    shop = memory_shop(WITH_CURRENCY, profile={}, name="knives.csv")  # configured default: USD
    try:
        out = _ask(shop, "How much is the Alpine Cheese Knife?")
        assert "24.50 CHF" in out and "$" not in out, out
    finally:
        shop.engine.dispose()
