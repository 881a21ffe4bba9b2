"""Record lookup: which product a customer names, by SKU, whole name or enough of it."""

from __future__ import annotations

from echome.knowledge.lookup import ProductNames, fold, words

SHOP = [
    ("ipod-nano", "iPod Nano", "RP-demo_2", None),
    ("ipod-shuffle", "iPod shuffle", "RP-demo_5", None),
    ("belkin", "Belkin Leather Folio for iPod nano - Black / Chocolate", "RP-demo_6", None),
    ("shure", "Shure SE210 Sound-Isolating Earphones for iPod and iPhone", "RP-demo_7", None),
    ("x2", "TrailBlaze X2", "TB-X2", None),
    ("x2w", "TrailBlaze X2 Wide", "TB-X2W", None),
    ("lamp", "Luma Desk Lamp", "LU-1", None),
    ("belt", "Leather Belt", "LB-9", None),
    ("nexus", "Nexus 7 Case", "NX-7", None),
    ("likor", "Emmelkamp Holunder Likör 18%", "SW10005", None),
    ("shirt-a", "Oxford Shirt Blue", "OS-B", None),
    ("shirt-b", "Oxford Shirt White", "OS-W", None),
    ("mug", "Cedar Camp Mug", "CM-015", "persona-2"),
]


def named(question: str, **kw: object) -> list[str]:
    return [m.product_id for m in ProductNames(SHOP).find(question, **kw).mentions]  # type: ignore[arg-type]


def test_a_whole_name_a_sku_and_a_plural_name_the_product() -> None:
    assert named("How much is the iPod Nano?") == ["ipod-nano"]
    assert named("is rp-demo_7 in stock") == ["shure"]
    assert named("Is LU1 still available?") == ["lamp"]  # the SKU without its dash
    assert named("How many iPod shuffles do you have?") == ["ipod-shuffle"]


def test_the_exact_name_beats_a_longer_one_with_the_same_words() -> None:
    assert named("How much is the TrailBlaze X2?") == ["x2"]
    assert named("How much is the TrailBlaze X2 Wide?") == ["x2w"]


def test_a_product_whose_name_holds_another_products_name_wins_when_its_own_words_are_asked() -> None:
    assert named("What condition is the Belkin Leather Folio for iPod nano in?") == ["belkin"]
    assert named("Is there an extra shipping charge on the Belkin Leather Folio?") == ["belkin"]


def test_enough_of_a_name_finds_it_a_model_code_alone_is_enough() -> None:
    assert named("What's the price of the Luma lamp?") == ["lamp"]
    assert named("Who makes the SE210 earphones?") == ["shure"]
    assert named("do you have the belt in brown?") == ["belt"]
    assert named("In welchen Flaschengrößen gibt es den Emmelkamp Holunder Likor?") == ["likor"]


def test_a_word_shared_with_a_product_is_not_a_mention_of_it() -> None:
    assert named("Do you sell iPhone 15 cases?") == []  # "case" is a third of the Nexus 7 Case
    assert named("Do you have a leather bag?") == []  # leather is in two names; bag in none
    assert named("Do you have any laptops?") == []


def test_a_word_only_one_name_holds_points_at_that_product_without_naming_it() -> None:
    names = ProductNames(SHOP)
    assert named("How much is the Cedar best clamp?") == []  # one word, not the name's last
    assert names.points_at("How much is the Cedar best clamp?", "mug")
    assert names.points_at("Is the cedars one in stock?", "mug")  # a plural of the word
    assert not names.points_at("How much is the Cedar best clamp?", "lamp")
    assert not names.points_at("Do you have a leather bag?", "belt")  # leather is in two names
    assert not names.points_at("Is the 7 any good?", "nexus")  # a bare number points at nothing
    assert not names.points_at("How much is it?", "unknown-product")


def test_two_products_named_apart_come_back_in_the_question_order() -> None:
    assert named("Which is cheaper, the Luma Desk Lamp or the Cedar Camp Mug?") == ["lamp", "mug"]
    assert named("Which is cheaper, the Cedar Camp Mug or the Luma Desk Lamp?") == ["mug", "lamp"]


def test_products_that_fit_equally_are_ambiguous_not_guessed() -> None:
    found = ProductNames(SHOP).find("Do you have the Oxford shirt in a large?")
    assert found.mentions == [] and sorted(found.ambiguous) == ["shirt-a", "shirt-b"]
    assert named("Do you have the Oxford shirt in white?") == ["shirt-b"]


def test_only_products_the_persona_sells_are_named() -> None:
    assert named("How much is the Cedar Camp Mug?", sells=lambda p: p is None) == []
    assert named("How much is the Cedar Camp Mug?", sells=lambda p: p == "persona-2") == ["mug"]


def test_what_is_asked_leaves_out_the_name() -> None:
    found = ProductNames(SHOP).find("What is the Luma Desk Lamp made of?")
    assert found.asked("What is the Luma Desk Lamp made of?") == "What is the made of?"


def test_words_fold_accents_and_keep_model_codes() -> None:
    assert fold("Größe Likör") == "grosse likor"
    assert words("MH01-XS-Black Sound-Isolating") == [
        "mh01",
        "xs",
        "black",
        "mh01-xs-black",
        "sound",
        "isolating",
    ]


def test_a_names_kind_is_its_last_word_without_a_size_or_pack_after_it() -> None:
    names = ProductNames(
        [
            ("matcha", "Uji Ceremonial Matcha 100g", None, None),
            ("whisk", "Bamboo Matcha Whisk (80 prongs)", None, None),
            ("cups", "Yunomi Cup Set of 4", None, None),
            ("oil", "Olive Oil \u2013 500 ml", None, None),
            ("card", "Gift Card €25", None, None),
            ("tea-a", "Sencha Green Tea", None, None),
            ("tea-b", "Hojicha Roasted Tea", None, None),
        ]
    )
    assert names.of_kind("matcha") == "matcha"  # the whisk's name holds it, but it is a whisk
    assert names.of_kind("whisks") == "whisk"
    assert names.of_kind("cups") == "cups"
    assert names.of_kind("oil") == "oil"
    assert names.of_kind("card") == "card"
    assert names.of_kind("tea") is None  # two teas: which one is not known
    assert names.of_kind("bamboo") is None  # a word of a name, not what the product is
    assert names.of_kind("matcha", sells=lambda p: p == "persona-2") is None
    assert names.holds("whisk", "Matcha") and not names.holds("whisk", "cup")


def test_a_side_of_a_comparison_names_a_product_by_what_it_is() -> None:
    names = ProductNames(
        [
            ("matcha", "Uji Ceremonial Matcha 100g", None, None),
            ("whisk", "Bamboo Matcha Whisk (80 prongs)", None, None),
            ("tea-a", "Sencha Green Tea", None, None),
            ("tea-b", "Hojicha Roasted Tea", None, None),
        ]
    )
    found = names.find("Which is cheaper, the whisk or the matcha?")
    assert [m.product_id for m in found.mentions] == ["whisk", "matcha"]
    # a kind two products share names neither, and a kind alone names nothing: "does it come with
    # the whisk, or the tea?" may ask about parts of something else
    assert names.find("Which is cheaper, the whisk or the tea?").mentions == []
    assert names.find("How much is the matcha?").mentions == []  # alone, it is only pointed at


def test_a_family_named_first_and_a_short_qualifier_after_a_dash() -> None:
    names = ProductNames(
        [
            ("gelb", "Fliegenklatsche gelb", None, None),
            ("lila", "Fliegenklatsche lila", None, None),
            ("pfeil", "Dartpfeil Steel Atomic", None, None),
            ("pot", "Hokusai Cast Iron Teapot - Black", None, None),
            ("soap", "All Natural - Lemon Honey Soap", None, None),
        ]
    )
    assert names.all_of_kind("Fliegenklatschen") == {"gelb", "lila"}  # a family, in the plural
    assert names.all_of_kind("Dartpfeil") == set()  # one name starting with it is no family
    assert names.of_kind("teapot") == "pot"  # "- Black" is a version
    assert names.of_kind("soap") == "soap"  # three words after the dash are the product
