"""A question that asks something of a kind of product the shop has is about that product, not a
request for something the shop lacks ("Does the teapot work on induction?")."""

from __future__ import annotations

from echome.answer.evidence import not_carried
from echome.answer.kind_asked import asked_of_kind
from echome.knowledge.coverage import Cover
from echome.knowledge.lookup import ProductNames

NAMES = ProductNames(
    [
        ("teapot", "Hokusai Cast Iron Teapot", "TEA-KET", None),
        ("matcha", "Uji Ceremonial Matcha 100g", "MATCHA-100", None),
        ("whisk", "Bamboo Matcha Whisk (80 prongs)", "WHISK-80", None),
        ("case", "Nexus 7 Case", "NX-7", None),
    ]
)


def about(question: str) -> str | None:
    return asked_of_kind(question, NAMES, lambda _persona: True)


def test_the_word_that_says_what_a_product_is_makes_the_question_about_it() -> None:
    assert about("Does the teapot work on induction?") == "teapot"
    assert about("How long does matcha stay fresh?") == "matcha"
    assert about("Is the cast iron teapot heavy?") == "teapot"  # its own words before it
    assert about("Can I use your whisks for cocoa?") == "whisk"


def test_a_modifier_the_product_does_not_have_is_another_thing() -> None:
    assert about("How much is the iPhone case?") is None  # the shop's case is a Nexus 7 one
    assert about("Is the glass teapot dishwasher safe?") is None
    assert about("Do you sell chairs?") is None


def test_a_question_about_a_carried_kind_is_not_declined_unless_it_asks_whether_the_shop_has_it() -> None:
    thin = Cover(share=0.2, product_id="matcha", missing=("stay", "fresh"))
    assert not not_carried("How long does matcha stay fresh?", thin, about="matcha")
    assert not_carried("How long does matcha stay fresh?", thin, about=None)
    # "Do you sell matcha lattes?" asks for a thing: its whole subject must be covered
    assert not_carried("Do you sell matcha lattes?", thin, about="matcha")
    assert not not_carried("Do you sell matcha?", Cover(1.0, "matcha", ()), about="matcha")


def test_a_verb_after_a_pronoun_and_this_one_of_a_kind_name_no_product() -> None:
    from echome.answer.kind_asked import before_kind, of_kind_asked

    names = ProductNames(
        [
            ("starter", "Breadtopia Sourdough Starter Live", None, None),
            ("heater-a", "Electric Spa Heater", None, None),
            ("heater-b", "Ceramic Utility Heater, 12-Inch", None, None),
        ]
    )
    anyone = lambda _persona: True  # noqa: E731
    assert asked_of_kind("Is it easy to uninstall if you live in a rental?", names, anyone) is None
    assert asked_of_kind("How long does the Live keep?", names, anyone) == "starter"
    # "this heater" is one particular heater, "the heaters" every one
    assert of_kind_asked("Is this heater safe left on?", names, anyone, after=before_kind) == []
    both = of_kind_asked("How much are the heaters?", names, anyone, after=before_kind)
    assert both == ["heater-a", "heater-b"]


def test_a_kind_right_after_the_verb_of_asking_whether_the_shop_has_it_is_every_one_of_it() -> None:
    from echome.answer.kind_asked import before_kind, before_kind_asked_for, of_kind_asked

    names = ProductNames(
        [
            ("zip", "Zipped Jacket", None, None),
            ("navy", "Navy Sports Jacket", None, None),
            ("shirt", "Ocean Blue Shirt", None, None),
        ]
    )
    anyone = lambda _persona: True  # noqa: E731
    assert of_kind_asked("Do you have jackets?", names, anyone, after=before_kind_asked_for) == [
        "zip",
        "navy",
    ]
    assert of_kind_asked("Do you have jackets?", names, anyone, after=before_kind) == []
    laden = ProductNames([("v", "Kerze Vanille", None, None), ("z", "Kerze Zimt", None, None)])
    assert of_kind_asked("Haben Sie Kerzen?", laden, anyone, after=before_kind_asked_for) == ["v", "z"]
    assert of_kind_asked("Haben Sie Kerzen?", laden, anyone, after=before_kind) == []
