"""The composer's sentences in seven languages (`echome.answer.phrasing`), how each writes money,
dates and lists, and the guardrail reading those numbers back as the catalog's values."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from echome.answer.evidence import Evidence
from echome.answer.facts import ProductFacts
from echome.answer.guardrail import check_draft, numbers_in, readings, support_for
from echome.answer.phrasing import LANGUAGES, Phrases, format_date, format_money, join_list, option_label
from echome.language import detect_language

NBSP, NNBSP = "\u00a0", "\u202f"
KICKER = ProductFacts(
    id="p1",
    name="Kicker Champ Elite",
    sku="KCE-1",
    price=Decimal("599"),
    currency="EUR",
    stock=12,
    url=None,
    variants=[
        {"price": "599", "compare_at_price": "698.99", "stock": 12, "options": {"Farbe": "weiss"}},
        {"price": "599", "compare_at_price": "698.99", "stock": 0, "options": {"Farbe": "schwarz"}},
    ],
)


@pytest.mark.parametrize(
    "language,amount,currency,written",
    [
        ("en", "698.99", "EUR", "€698.99"),
        ("en", "1500", "USD", "$1500"),
        ("en", "12500", "USD", "$12,500"),
        ("en", "120", "CHF", "120 CHF"),
        ("de", "698.99", "EUR", f"698,99{NBSP}€"),
        ("de", "1500", "EUR", f"1500{NBSP}€"),
        ("de", "12500", "EUR", f"12.500{NBSP}€"),
        ("de", "0.7", "EUR", f"0,70{NBSP}€"),
        ("fr", "698.99", "EUR", f"698,99{NBSP}€"),
        ("fr", "12500", "EUR", f"12{NNBSP}500{NBSP}€"),
        ("es", "698.99", "EUR", f"698,99{NBSP}€"),
        ("it", "1500", "EUR", f"1500{NBSP}€"),
        ("nl", "698.99", "EUR", f"€{NBSP}698,99"),
        ("nl", "120", "CHF", f"CHF{NBSP}120"),
        ("pt", "12500.5", "EUR", f"12{NBSP}500,50{NBSP}€"),
        ("de", "1234567.5", None, "1.234.567,50"),
        ("fr", "698.99", None, "698,99"),
        ("xx", "698.99", "EUR", "€698.99"),  # a language without a table writes English
    ],
)
def test_money_is_written_the_way_the_language_writes_it(
    language: str, amount: str, currency: str | None, written: str
) -> None:
    assert format_money(Decimal(amount), currency, language) == written


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_phrase_is_in_its_language_and_fully_filled(language: str) -> None:
    p = Phrases.for_language(language)
    said = [
        p.greeting(),
        p.greeting("Ana"),
        p.no_answer("Ana"),
        p.no_policy("Ana"),
        p.not_carried(),
        p.prices_as_listed(),
        p.ask_which_product(),
        p.price("Kicker", p.money(Decimal("599"), "EUR")),
        p.sale("Kicker", "599 €", "698,99 €", until=date(2026, 12, 31)),
        p.sale("Kicker", "599 €", "698,99 €"),
        p.in_stock("Kicker"),
        p.in_stock("Kicker", 3),
        p.sold_out("Kicker"),
        p.comes_in("Kicker", [("Size", ["S", "M", "L"])]),
        p.one_version("Kicker"),
        p.about("Kicker"),
        p.customer_answered(),
        p.customer_wrote(),
        p.closing(),
    ]
    for text in said:
        assert "{" not in text and "}" not in text and "  " not in text
        assert text[:1].isupper() or text[:1] in "¡¿", text
    assert "Ana" in p.no_answer("Ana") and "Ana" in p.greeting("Ana")
    # The longer sentences read as their language to the detector that chose it.
    for text in (p.no_answer("Ana"), p.prices_as_listed(), p.ask_which_product(), p.closing()):
        assert detect_language(text) == language, text


def test_the_english_sentences_are_the_composers_own() -> None:
    p = Phrases.for_language("en")
    assert p.greeting() == "Hi!" and p.greeting("Ana") == "Hi, Ana!"
    assert p.no_answer("Ana") == (
        "I don't have that in my catalog, and I'd rather not guess. "
        "Shall I pass your question on so Ana can answer you personally?"
    )
    assert p.price("Summit Rain Jacket", "$89.50") == "The Summit Rain Jacket is $89.50."
    assert p.in_stock("Mug", 5, first=False) == "It is in stock (5 available)."
    assert p.comes_in("Tee", [("Size", ["S", "M"]), ("Color", ["red", "blue"])]) == (
        "The Tee comes in size S and M and in color red and blue."
    )
    assert p.about("Mug") == "About the Mug:"
    assert p.closing() == "Anything else I can help with?"
    assert Phrases.for_language("en-GB").language == Phrases.for_language(None).language == "en"


def test_no_article_or_gender_ever_meets_the_product_name() -> None:
    de, fr, es, it, nl, pt = (Phrases.for_language(x) for x in ("de", "fr", "es", "it", "nl", "pt"))
    assert de.price("Kicker Champ Elite", f"698,99{NBSP}€") == f"Kicker Champ Elite kostet 698,99{NBSP}€."
    assert fr.price("Lampe Luna", "25 €") == "Lampe Luna coûte 25 €."
    assert es.sold_out("Lámpara Luna") == "Lámpara Luna está sin stock en este momento."
    # A later fact drops the subject where the language allows it, else repeats the name.
    assert es.in_stock("Lámpara Luna", first=False) == "Está disponible."
    assert it.sold_out("Lampada", first=False) == "Al momento non è disponibile."
    assert pt.in_stock("Camisa", 1, first=False) == "Está disponível (resta 1)."
    assert de.in_stock("Kicker", first=False) == "Kicker ist auf Lager."
    assert nl.one_version("Lamp", first=False) == "Lamp is er maar in één uitvoering."
    # French elides before a vowel and spaces before its double punctuation.
    assert fr.about("Urban Backpack") == f"À propos d'Urban Backpack{NBSP}:"
    assert fr.closing().endswith(f"chose{NBSP}?")
    assert it.offer_handoff("Anna").startswith("Vuole che inoltri la Sua domanda ad Anna")


def test_dates_lists_tiers_and_option_labels() -> None:
    day = date(2026, 12, 31)
    assert [format_date(day, x) for x in LANGUAGES] == [
        "December 31, 2026",
        "31. Dezember 2026",
        "31 décembre 2026",
        "31 de diciembre de 2026",
        "31 dicembre 2026",
        "31 december 2026",
        "31 de dezembro de 2026",
    ]
    assert format_date(date(2026, 5, 1), "fr") == "1er mai 2026"
    assert (
        Phrases.for_language("it")
        .sale("Set", "5 €", "7 €", until=date(2026, 8, 8))
        .startswith("Set è in offerta fino all'8 agosto 2026:")
    )
    assert [join_list(["a", "b", "c"], x) for x in LANGUAGES] == [
        "a, b and c",
        "a, b und c",
        "a, b et c",
        "a, b y c",
        "a, b e c",
        "a, b en c",
        "a, b e c",
    ]
    assert (
        join_list(["rojo", "hierro"], "es") == "rojo y hierro"
        and join_list(["a", "Ibiza"], "es") == "a e Ibiza"
    )
    de = Phrases.for_language("de")
    tiers = [de.tier_price(de.money(Decimal(x), "EUR"), q) for x, q in (("0.80", 10), ("0.70", 50))]
    assert de.price("Staffelpreise", de.join(tiers)) == (
        f"Staffelpreise kostet 0,80{NBSP}€ pro Stück ab 10 Stück und 0,70{NBSP}€ pro Stück ab 50 Stück."
    )
    assert option_label("Farbe", "en") == "colour" and option_label("color", "de") == "Farbe"
    assert option_label("Color", "en") == "color" and option_label("Stoff", "fr") == "stoff"


def test_price_of_states_a_range_in_the_language() -> None:
    p = ProductFacts(
        id="p", name="Tee", sku=None, price=None, currency="EUR", stock=None, url=None,
        variants=[{"price": "25"}, {"price": "40.5"}],
    )  # fmt: skip
    assert Phrases.for_language("de").price_of(p) == f"zwischen 25{NBSP}€ und 40,50{NBSP}€"
    assert Phrases.for_language("en").price_of(p) == "from €25 to €40.50"
    assert Phrases.for_language("fr").price_of(p, [{"price": "25"}]) == f"25{NBSP}€"


def test_the_price_quoted_is_the_rows_own_unless_its_variants_differ() -> None:
    """A row's own price stands beside one variant priced otherwise (the Shopware 6 eval's parent
    at 590 with one child row at 117 is graded at 590); variants that differ give a range; a row
    without a price of its own takes its variants' one price; chosen variants give theirs."""

    def facts(price: str | None, variants: list[dict[str, str | None]]) -> ProductFacts:
        return ProductFacts(
            id="p", name="Vinyl Maid", sku=None, price=Decimal(price) if price else None, currency="EUR",
            stock=None, url=None, variants=list(variants),
        )  # fmt: skip

    one = facts("590", [{"price": "117"}])
    assert one.offer_prices() == [Decimal("590")] and one.price_text() == "€590"
    assert one.single_price() is None  # the comparison says nothing of which is cheaper
    assert Phrases.for_language("en").price_of(one) == "€590"
    assert one.price_text([{"price": "117"}]) == "€117"  # of the chosen variants
    assert facts(None, [{"price": "117"}]).price_text() == "€117"
    ranged = facts("25", [{"price": "20"}, {"price": "30"}, {"price": None}])
    assert (
        ranged.offer_prices() == [Decimal("20"), Decimal("30")] and ranged.price_text() == "from €20 to €30"
    )
    assert facts("25", []).price_text() == "€25" and facts(None, []).price_text() is None
    assert facts("25", [{"price": "25"}]).single_price() == Decimal("25")


# -- the guardrail reads each language's numbers as the catalog's values ----------------------------
@pytest.mark.parametrize("language", LANGUAGES)
def test_every_composed_fact_passes_the_guardrail_in_its_language(language: str) -> None:
    support = support_for(Evidence(question="", results=[], products={"p1": KICKER}), allowed=["Ana"])
    p = Phrases.for_language(language)
    money = p.money
    reply = " ".join(
        [
            p.greeting("Ana"),
            p.sale(KICKER.name, money(Decimal("599"), "EUR"), money(Decimal("698.99"), "EUR")),
            p.in_stock(KICKER.name, 12, first=False),
            p.comes_in(KICKER.name, list(KICKER.options().items()), first=False),
            p.about(KICKER.name),
            p.customer_wrote(),
            p.no_policy("Ana"),
            p.closing(),
        ]
    )
    check = check_draft(reply, support, language=language)
    assert check.unsupported == [] and check.text == reply


def test_numbers_written_the_german_way_are_the_catalogs_values() -> None:
    support = support_for(Evidence(question="", results=[], products={"p1": KICKER}))
    ok = check_draft(f"Kicker Champ Elite kostet 599 € statt 698,99{NBSP}€.", support, language="de")
    assert ok.unsupported == []
    invented = check_draft("Kicker Champ Elite kostet heute nur 549,99 €.", support, language="de")
    assert [c.text for c in invented.unsupported] == ["549,99"] and invented.text == ""
    # A lone separator before three digits is read by the reply's language.
    big = support_for(Evidence(question="", results=[], products={}))
    big.numbers.update({Decimal("1500")})
    assert check_draft("It is $1,500.", big).ok and not check_draft("It is 1.500 kg.", big).ok
    assert check_draft("Er kostet 1.500 €.", big, language="de").ok
    assert check_draft(f"Il coûte 1{NNBSP}500 €.", big, language="fr").ok
    assert not check_draft("Er kostet 1,500 €.", big, language="de").ok  # 1,5 in German


def test_readings_of_written_numbers() -> None:
    one = Decimal
    assert readings("698,99", "de") == [(one("698.99"),)]
    assert readings("698,99", "en") == [(one("698.99"),), (one("698"), one("99"))]  # "sizes 37,38"
    assert readings("1.299,50", "en") == [(one("1299.50"),)]
    assert readings("31.12.2026", "de") == [(one("31"), one("12"), one("2026"))]
    assert readings(f"12{NBSP}500,5", "pt") == [(one("12500.5"),)]
    assert readings("1.500", None) == [(one("1500"),), (one("1.500"),)]
    # The evidence side counts every reading: a German catalog's "1.299" may be either.
    assert {one("1299"), one("1.299"), one("59.99")} <= numbers_in("Preis 1.299 oder 59,99")


def test_a_german_reply_is_not_cut_for_its_capitalised_nouns_but_an_invented_name_is() -> None:
    support = support_for(Evidence(question="", results=[], products={"p1": KICKER}))
    fine = "Die Lieferung dauert drei Werktage. Ihre Bestellung kommt per Post."
    assert check_draft(fine, support, language="de").text == fine
    assert check_draft(fine, support).unsupported  # read as English, those look like names
    invented = check_draft("Kicker Champ Ultra ist auch da.", support, language="de")
    assert [c.text for c in invented.unsupported] == ["Kicker Champ Ultra"]
