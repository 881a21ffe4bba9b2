"""A kind the shop does not carry, asked for: the reply declines it and offers the products of the kinds
nearest in meaning ("a lamp?" → the Copper Light), never claiming they are what was asked for."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
import pytest

from echome.answer.nearest_kind import NearestKinds
from echome.knowledge.coverage import Cover
from echome.knowledge.lookup import ProductNames
from echome.providers.embed_onnx import OnnxMiniLMEmbedder
from tests.support.memory_shop import MemoryShop, memory_shop
from tests.support.memory_shop import ask_offline as ask


class TableEmbedder:
    """Words as fixed vectors: cosines chosen by the test (a word it does not list is unlike all)."""

    def __init__(self, vectors: dict[str, Sequence[float]]) -> None:
        self.vectors = vectors
        self.calls: list[list[str]] = []

    def embed(self, texts: Sequence[str], *, kind: str = "document") -> np.ndarray:
        self.calls.append(list(texts))
        return np.asarray([self.vectors.get(t, (0.0, 0.0, 0.0, 1.0)) for t in texts], dtype=np.float32)


NAMES = ProductNames(
    [
        ("p1", "Copper Light", None, None),
        ("p2", "Vanilla Candle", None, None),
        ("p3", "Grey Sofa", None, None),
        ("p4", "Brass Light", None, None),
    ]
)
# cos(lamp, light) = 0.8, cos(lamp, candle) = 0.78, cos(lamp, sofa) = 0
VECTORS = {
    "lamp": (1.0, 0.0, 0.0, 0.0),
    "light": (0.8, 0.6, 0.0, 0.0),
    "candle": (0.78, -0.6258, 0.0, 0.0),
    "sofa": (0.0, 0.0, 1.0, 0.0),
}


def closest(subject: list[str], missing: tuple[str, ...], question: str, held: dict[str, set[str]]) -> Any:
    kinds = NearestKinds(TableEmbedder(VECTORS))
    return kinds.closest(
        NAMES,
        Cover(0.0, None, missing),
        subject,
        question,
        sells=lambda _p: True,
        holders=lambda w: held.get(w, set()),
    )


def test_the_kinds_nearest_in_meaning_are_offered_those_holding_the_other_words_first() -> None:
    found = closest(["bedside", "lamp"], ("lamp",), "Any bedside Lamp?", {"bedside": {"p4"}})
    assert found is not None and found.said == "Lamp"
    # light and candle are within the tie of each other; Brass Light holds "bedside": first
    assert found.products[0] == "p4" and set(found.products) == {"p1", "p2", "p4"}
    assert found.similarity == pytest.approx(0.8, abs=1e-3)


def test_nothing_is_offered_when_no_kind_is_near_or_more_than_the_head_is_missing() -> None:
    assert closest(["fridge"], ("fridge",), "Do you sell fridges?", {}) is None  # nearest: cos 0
    # two missing words (a proper name): names are not matched by meaning
    assert closest(["galaxy", "lamp"], ("galaxy", "lamp"), "Galaxy lamp?", {}) is None
    # the missing word is not the head of what is asked for ("a lamp shade"): the shade is what is wanted
    assert closest(["lamp", "shade"], ("lamp",), "A lamp shade?", {}) is None
    assert closest(["lamp"], (), "A lamp?", {}) is None  # carried: nothing missing


def test_a_kind_only_another_persona_sells_is_passed_over_for_the_next_nearest() -> None:
    names = ProductNames(
        [
            ("p1", "Copper Light", None, "other"),
            ("p2", "Vanilla Candle", None, None),
            ("p3", "Grey Sofa", None, None),
        ]
    )
    vectors = {**VECTORS, "candle": (0.7, -0.714, 0.0, 0.0)}  # 0.1 below the light: no tie
    kinds = NearestKinds(TableEmbedder(vectors))

    def offered(sells: Any) -> Any:
        found = kinds.closest(names, Cover(0.0, None, ("lamp",)), ["lamp"], "lamp?", sells=sells, holders=set)
        return found.products if found else None

    assert offered(lambda p: p is None) == ("p2",)  # the light is another persona's: the candle
    assert offered(lambda p: True) == ("p1",)


def test_the_catalogs_kinds_are_embedded_once_per_catalog_version() -> None:
    embedder = TableEmbedder(VECTORS)
    kinds = NearestKinds(embedder)
    for _ in range(3):
        kinds.closest(
            NAMES, Cover(0.0, None, ("lamp",)), ["lamp"], "lamp?", sells=lambda _p: True, holders=set
        )
    assert embedder.calls.count(["candle", "light", "sofa"]) == 1
    assert embedder.calls.count(["lamp"]) == 3


CATALOG = b"""Handle,Title,Body (HTML),Vendor,Variant Price,Variant Inventory Qty
copper-light,Copper Light,<p>Stylish copper bedside light</p>,Acme,25.00,4
cream-sofa,Cream Sofa,<p>Comfortable cream sofa with wooden base</p>,Acme,500.00,2
vanilla-candle,Vanilla candle,<p>Vanilla scent candle in jar</p>,Acme,9.00,30
garden-fence,Wooden Fence,<p>Wooden garden fence</p>,Acme,120.00,8
"""


@pytest.fixture(scope="module")
def shop() -> Iterator[MemoryShop]:
    made = memory_shop(CATALOG, profile={}, name="home.csv")
    made.finder.kinds = NearestKinds(OnnxMiniLMEmbedder())  # the real local model: closeness by meaning
    yield made
    made.engine.dispose()


def test_a_lamp_asked_for_is_declined_and_the_bedside_light_offered_with_its_price(shop: MemoryShop) -> None:
    out = ask(shop, "I need a bedside lamp")
    assert "Nothing in my catalog is listed as lamp. The closest I have: Copper Light ($25" in out.answer, (
        out.answer
    )
    assert "Shall I pass" not in out.answer  # something was offered: no hand-off offer
    out = ask(shop, "Do you sell couches?")
    assert "Nothing in my catalog is listed as couches. The closest I have: Cream Sofa ($500" in out.answer, (
        out.answer
    )


def test_a_question_in_a_language_the_embedder_does_not_know_is_not_matched_by_meaning() -> None:
    def found(kinds: NearestKinds, word: str, question: str) -> Any:
        return kinds.closest(
            NAMES, Cover(0.0, None, (word,)), [word], question, sells=lambda _p: True, holders=set
        )

    assert (
        found(
            NearestKinds(TableEmbedder({**VECTORS, "lampe": VECTORS["lamp"]})),
            "lampe",
            "Haben Sie eine Lampe?",
        )
        is None
    )
    english_and_german = NearestKinds(TableEmbedder(VECTORS), languages=frozenset({"en", "de"}))
    assert found(english_and_german, "lamp", "Haben Sie eine lamp?") is not None


def test_what_is_unlike_anything_sold_is_still_plainly_declined(shop: MemoryShop) -> None:
    for question in ("Do you sell bicycles?", "Do you have any laptops?", "Do you sell Samsung phones?"):
        out = ask(shop, question)
        assert "Sorry, we don't carry that." in out.answer and "closest" not in out.answer, (
            question,
            out.answer,
        )
