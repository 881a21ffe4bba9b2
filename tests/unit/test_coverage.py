"""Does the shop carry it? The best single product's share of a question's subject words."""

from __future__ import annotations

from echome.answer.asks import asks_availability, subject_of
from echome.answer.evidence import not_carried, points_back_first
from echome.knowledge.coverage import cover, subject_words
from echome.knowledge.keyword import KeywordIndex, build_index

PRODUCTS = {
    "case": ("Nexus 7 Case", "A slim folio case for the Nexus 7 tablet.", ""),
    "shure": ("Shure SE210 Earphones", "Sound-isolating earphones for iPod and iPhone.", ""),
    "mug": ("Cedar Camp Mug", "Enamel steel camping mug.", "persona-2"),
}


def index() -> KeywordIndex:
    ids, texts, meta = [], [], []
    for pid, (name, text, persona) in PRODUCTS.items():
        ids.append(pid)
        texts.append(f"{name}. {text}")
        meta.append({"product_id": pid, "name": name, "persona_id": persona})
    return build_index(ids, texts, texts, meta)


def share(question: str, persona_id: str | None = None) -> float:
    found = cover(index(), subject_words(subject_of(question)), persona_id=persona_id)
    assert found is not None
    return found.share


def test_words_spread_over_two_products_are_not_one_product_the_shop_carries() -> None:
    assert share("Do you sell iPhone cases?") < 0.6  # iPhone earphones and a Nexus case, no iPhone case
    assert share("Do you sell Nexus cases?") == 1.0
    assert share("Do you have any gaming laptops?") == 0.0


def test_a_typo_is_forgiven_a_different_word_is_not() -> None:
    assert share("Do you have earphnes?") == 1.0  # one edit from "earphones"
    assert share("Do you sell phones?") < 0.6  # "phone" is not a misspelt "iphone", nor the reverse


def test_only_the_products_of_the_persona_count() -> None:
    assert share("Do you sell camping mugs?", persona_id="persona-2") == 1.0
    assert share("Do you sell camping mugs?", persona_id="") == 0.0


def test_the_decision_is_stricter_when_the_question_asks_whether_the_shop_has_it() -> None:
    assert asks_availability("Do you sell iPhone 15 cases?")
    assert asks_availability("Nike Air Max 90 in size 10?")  # a bare noun phrase
    assert asks_availability("How much is the Chaz Kangeroo Hoodie?")  # a proper product name
    assert not asks_availability("will this fit a kenmore fridge?")
    found = cover(index(), subject_words(subject_of("Do you sell iPhone cases?")), persona_id="")
    assert not_carried("Do you sell iPhone cases?", found)


def test_an_it_after_a_name_points_at_that_name_not_back() -> None:
    assert points_back_first("will this fit my frigidaire?")
    assert not points_back_first("Who makes the Silk Bowel Brightener and what does it cost?")
