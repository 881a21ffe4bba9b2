"""A shopper's word the catalog never uses is read as the catalog's words of the same stem, in the
catalog's own language ("Haben Sie Dartpfeile?" of a "Dartpfeil Set"), and "Do you have the X?"
asking nothing else of X is answered with whether it is there."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from echome.answer.asks import whether_words
from echome.answer.evidence import asks_only_whether
from echome.answer.pipeline import Answerer
from echome.knowledge.coverage import cover
from echome.knowledge.keyword import build_index, catalog_language
from echome.knowledge.lookup import ProductNames
from echome.providers.fakes import FixedModels
from tests.support.memory_shop import MemoryShop, memory_shop

# A small German shop's own sheet: the kind is the name's first word, the plural is asked for.
SHOP = """Name;Preis;Lagerbestand;Beschreibung
Dartpfeil Set Steel 22g;24,90;12;Drei Steeldarts mit Messingschaft und Flights.
Dartscheibe Turnier;59,00;4;Sisal-Dartscheibe in Turniergröße mit Zahlenring.
Regenschirm automatisch;19,90;0;Automatischer Regenschirm, winddicht, mit Tasche.
Wanderschuh Herren;89,00;7;Wasserdichte Wanderschuhe mit Vibram-Sohle.
Kinderfahrrad 16 Zoll;179,00;3;Leichtes Kinderfahrrad mit Stützrädern.
""".encode()

GERMAN = [
    "Dartpfeil Set Steel 22g: price 24.90; in stock (12)\nDrei Steeldarts mit Messingschaft und Flights.",
    "Dartscheibe Turnier: price 59.00; in stock (4)\nSisal-Dartscheibe in Turniergröße mit Zahlenring.",
    "Kinderfahrrad 16 Zoll: price 179.00; in stock (3)\nLeichtes Kinderfahrrad mit Stützrädern.",
]


def index(texts: list[str]) -> Any:
    ids = [f"c{i}" for i in range(len(texts))]
    meta = [{"product_id": f"p{i}", "name": t.split(":")[0]} for i, t in enumerate(texts)]
    return build_index(ids, texts, texts, meta)


def test_the_catalog_language_is_read_from_the_sellers_words_not_the_overview_line() -> None:
    # every text starts with the overview line chunking writes in English ("price ...; in stock")
    assert catalog_language(GERMAN) == "de"
    assert catalog_language(["Bamboo Matcha Whisk: price 18.00; in stock\nA whisk for the tea."]) == "en"
    assert catalog_language([]) == "en"


def test_a_word_the_catalog_does_not_use_is_searched_by_its_stem() -> None:
    kw = index(GERMAN)
    assert kw.language == "de"
    assert kw.forms("dartpfeile") == ("dartpfeil",)
    assert kw.forms("dartpfeil") == ("dartpfeil",)  # a word the catalog uses is matched as it is
    assert kw.forms("tisch") == ()  # no stem of the catalog's
    scores = kw.scores("Haben Sie Dartpfeile?")
    assert scores[0] > 0 and scores[1] == scores[2] == 0
    found = cover(kw, ["kinderfahrrader"])
    assert found is not None and found.share == 1.0 and found.product_id == "p2"


def test_a_name_word_is_found_by_its_stem_only_where_the_catalog_language_is_known() -> None:
    products = [("dart", "Dartpfeil Set Steel 22g", None, None), ("board", "Dartscheibe Turnier", None, None)]
    german = ProductNames(products, language="de")
    assert german.points_at("Habt ihr Dartscheiben?", "board")
    assert german.holds("dart", "Dartpfeile")
    assert not ProductNames(products).points_at("Habt ihr Dartscheiben?", "board")
    english = ProductNames(
        [("aa", "AA Battery", None, None), ("lamp", "Desk Lamp", None, None)], language="en"
    )
    found = english.find("How much are the batteries?")
    assert [m.product_id for m in found.mentions] == ["aa"]
    assert found.asked("How much are the batteries?") == "How much are the"


def test_what_a_question_asking_whether_the_shop_has_something_asks_for() -> None:
    assert whether_words("Do you have the Wanderschuh?") == ["wanderschuh"]
    assert whether_words("Haben Sie Dartpfeile?") == ["dartpfeile"]
    assert whether_words("Gibt es Kinderfahrräder?") == ["kinderfahrrader"]
    assert whether_words("What is the Wanderschuh made of?") == []
    names = ProductNames([("boot", "Wanderschuh Herren", None, None)], language="de")
    assert asks_only_whether("Haben Sie Wanderschuhe?", names, "boot")
    assert not asks_only_whether("Haben Sie den Wanderschuh in Größe 44?", names, "boot")
    assert not asks_only_whether("Do you have the measurements of the Wanderschuh?", names, "boot")


@contextmanager
def opened() -> Iterator[MemoryShop]:
    shop = memory_shop(SHOP, profile={}, name="laden.csv")
    try:
        yield shop
    finally:
        shop.engine.dispose()


def test_a_german_shopper_asking_for_a_product_in_the_plural_is_told_whether_it_is_there() -> None:
    with opened() as shop:
        answerer = Answerer(shop.sessions, shop.finder, FixedModels(chat=None), None)

        def ask(question: str) -> str:
            return answerer.answer(user_id=shop.user_id, persona_id=shop.persona_id, question=question).answer

        assert "Dartpfeil Set Steel 22g ist auf Lager" in ask("Haben Sie Dartpfeile?")
        assert "Dartscheibe Turnier ist auf Lager" in ask("Habt ihr Dartscheiben?")
        assert "ausverkauft" in ask("Haben Sie Regenschirme?")
        assert "89" in ask("Was kosten die Wanderschuhe?")
        assert "Wanderschuh Herren? It is in stock." in ask("Do you have the Wanderschuh?")
        assert "nicht" in ask("Verkaufen Sie Fahrräder?")  # still not carried


def test_english_plurals_in_ies_and_ves_are_their_singulars() -> None:
    names = ProductNames(
        [("knife", "Chef Knife 20cm", None, None), ("scarf", "Wool Scarf", None, None)], language=None
    )
    assert [m.product_id for m in names.find("How much are the chef knives?").mentions] == ["knife"]
    assert names.holds("scarf", "scarves")
    kw = index(
        ["Wool Scarf: price 29.00\nSoft merino scarf in grey.", "Chef Knife: price 45.00\nForged steel."]
    )
    assert cover(kw, ["knives"]).share == 1.0  # type: ignore[union-attr]
    assert cover(kw, ["scarves"]).product_id == "p0"  # type: ignore[union-attr]
