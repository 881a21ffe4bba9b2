"""Handoff triggers on their own: the phrases per intent in seven languages, the seller's rules
(validated, catastrophic regexes refused), the settings, and the order the triggers are tried in."""

from __future__ import annotations

import time

import pytest

from echome.handoff.rules import RuleError, check_regex, compile_rules, first_match, validate_rules
from echome.handoff.settings import TRIGGERS, HandoffSettings, SettingsError, validate_settings
from echome.handoff.triggers import TurnFacts, decide
from echome.handoff.vocabulary import intents_in, normalise

ASKS_FOR_A_PERSON = [
    "Can I talk to a real person?",
    "I'd like to speak with someone from the shop",
    "Is there a human I can talk to?",
    "Kann ich bitte mit einem Mitarbeiter sprechen?",
    "Ich möchte mit jemandem reden, nicht mit einem Bot",
    "Est-ce que je peux parler à un conseiller ?",
    "Je ne veux pas parler à un robot",
    "¿Puedo hablar con una persona real?",
    "Quiero hablar con el dueño",
    "Posso parlare con un operatore?",
    "Vorrei parlare con una persona vera",
    "Kan ik met een medewerker spreken?",
    "Ik wil met iemand praten",
    "Posso falar com um atendente?",
    "Quero falar com uma pessoa, não com um robô",
]
DISCOUNTS = [
    "Can you give me a discount if I buy three?",
    "Do you have a promo code?",
    "Gibt es Rabatt für Stammkunden?",
    "Vous pouvez me faire une remise ?",
    "¿Me hace un descuento?",
    "Mi fa uno sconto?",
    "Krijg ik korting bij twee stuks?",
    "Tem desconto para pagamento à vista?",
]
CUSTOM_ORDERS = [
    "Could you make one in a custom size?",
    "Can I get it engraved with my name?",
    "Machen Sie auch Sonderanfertigungen nach Maß?",
    "Est-ce possible sur mesure ?",
    "¿Lo hacen a medida?",
    "Si può avere personalizzato?",
    "Maken jullie dit ook op maat?",
    "Vocês fazem sob encomenda?",
]
COMPLAINTS = [
    "My order never arrived and I want a refund",
    "The mug arrived broken",
    "Ich möchte mich beschweren, die Lieferung ist kaputt",
    "Je veux faire une réclamation, le colis est endommagé",
    "Quiero poner una queja, el producto llegó roto",
    "Il pacco non è arrivato, voglio fare un reclamo",
    "Ik heb een klacht: het pakket is nooit aangekomen",
    "A encomenda não chegou, quero fazer uma reclamação",
]
READY_TO_BUY = [
    "I'll take it! How do I pay?",
    "Great, I want to order two of the linen shirts",
    "How can I buy the Chaz hoodie?",
    "Ich nehme ihn. Wie kann ich bezahlen?",
    "Je le prends, comment commander ?",
    "Me lo llevo, ¿cómo puedo pagar?",
    "Lo prendo! Come posso ordinare?",
    "Ik neem het. Hoe kan ik betalen?",
    "Vou levar, como posso comprar?",
]
CATALOG_QUESTIONS = [
    "How much is the linen shirt?",
    "Is it on sale?",
    "What is your refund policy?",
    "Do you have something cheaper?",
    "Call me Dana. Do you ship to Lisbon?",
    "Can it get damaged in the wash?",
    "Was kostet die Mütze?",
    "Quelle est la taille de ce pull ?",
    "¿Tienen la camisa en azul?",
    "Is de trui van wol?",
    "Do your customers like this one?",
    "I'll take a look at the blue one",
    "Do you take PayPal?",
    "Which one would you take?",
]


@pytest.mark.parametrize("text", ASKS_FOR_A_PERSON)
def test_asking_for_a_person_is_heard_in_seven_languages(text: str) -> None:
    assert "human" in intents_in(text), text


@pytest.mark.parametrize(
    ("texts", "intent"),
    [
        (DISCOUNTS, "discount"),
        (CUSTOM_ORDERS, "custom_order"),
        (COMPLAINTS, "complaint"),
        (READY_TO_BUY, "ready_to_buy"),
    ],
)
def test_discount_custom_order_complaint_and_ready_to_buy_intents(texts: list[str], intent: str) -> None:
    missed = [t for t in texts if intent not in intents_in(t)]
    assert not missed


@pytest.mark.parametrize("text", CATALOG_QUESTIONS)
def test_questions_the_catalog_answers_hand_nothing_off(text: str) -> None:
    assert intents_in(text) == {}, text


def test_normalise_folds_case_accents_and_apostrophes() -> None:
    assert normalise("Größe  PRÉFÉRÉE  don\u2019t") == "grosse preferee don't"


def test_decide_reasons_in_order_and_switchable() -> None:
    on = HandoffSettings()
    assert decide(TurnFacts("Can I talk to a person? I want a discount"), on).reason == "customer_asked"  # type: ignore[union-attr]
    d = decide(TurnFacts("I want a discount"), on)
    assert d is not None and d.reason == "discount" and "discount" in d.text
    assert (
        decide(TurnFacts("Tell me more", mode="composer", removed=("It is 50% off.",)), on).reason
        == "guardrail_cut"
    )  # type: ignore[union-attr]
    assert decide(TurnFacts("Do you sell boats?", mode="no-evidence"), on).reason == "no_evidence"  # type: ignore[union-attr]
    assert decide(TurnFacts("Is it cotton?", intents=("no-detail",)), on).reason == "no_evidence"  # type: ignore[union-attr]
    assert decide(TurnFacts("How much is it?", mode="composer"), on) is None
    ready = decide(TurnFacts("I'll take it, how do I pay?"), on)
    assert ready is not None and ready.reason == "ready_to_buy" and "ready to buy" in ready.text
    # a deal asked for before buying is a discount request, not yet a sale
    assert decide(TurnFacts("I'd take it today if you do me a deal"), on).reason == "discount"  # type: ignore[union-attr]
    off = HandoffSettings(triggers=frozenset(t for t in TRIGGERS if t != "no_evidence"))
    assert decide(TurnFacts("Do you sell boats?", mode="no-evidence"), off) is None
    # The seller's rules apply even with every built-in trigger off; their reason is the seller's.
    ruled = HandoffSettings(triggers=frozenset(), rules=({"keywords": ["wholesale"], "reason": "B2B lead"},))
    d = decide(TurnFacts("Do you sell WHOLESALE?"), ruled)
    assert d is not None and d.reason == "rule" and d.text == "B2B lead" and d.data["matched"] == "wholesale"


def test_rules_are_validated_and_matched_without_case_or_accents() -> None:
    rules = validate_rules(
        [
            {"keywords": ["Größe", "  bulk   order "], "reason": " Sizes  question "},
            {"regex": r"\border\s*#?\d{4,}", "reason": "An existing order"},
        ]
    )
    assert rules[0] == {"keywords": ["Größe", "bulk order"], "reason": "Sizes question"}
    compiled = compile_rules(rules)
    assert first_match(compiled, "welche GROSSE?")[0].reason == "Sizes question"  # type: ignore[index]
    assert first_match(compiled, "a bulk\norder please")[1] == "bulk order"  # type: ignore[index]
    assert first_match(compiled, "Where is ORDER #12345?")[0].reason == "An existing order"  # type: ignore[index]
    assert first_match(compiled, "bulky orders") is None  # whole words only
    assert first_match(compiled, "order 12") is None


@pytest.mark.parametrize(
    ("rules", "says"),
    [
        ("nope", "must be a list"),
        ([{"keywords": ["x"]}], "a reason is required"),
        ([{"keywords": [], "reason": "r"}], "non-empty list"),
        ([{"keywords": ["a"], "regex": "b", "reason": "r"}], "either keywords or regex"),
        ([{"regex": "(", "reason": "r"}], "not a valid regular expression"),
        ([{"regex": r"(a+)+$", "reason": "r"}], "nested quantifiers"),
        ([{"regex": r"(a|ab)*c", "reason": "r"}], "alternatives that can match the same text"),
        ([{"regex": r"(\w)\1", "reason": "r"}], "back-references"),
        ([{"regex": r".*x.*y", "reason": "r"}], "more than one open-ended wildcard"),
        ([{"regex": r"x?", "reason": "r"}], "matches an empty message"),
        ([{"regex": "a" * 301, "reason": "r"}], "longer than 300"),
        ([{"keywords": ["ok"], "reason": "r", "extra": 1}], "unknown field"),
        ([{"keywords": ["ok"], "reason": "r"}] * 51, "at most 50"),
    ],
)
def test_bad_rules_are_refused_with_the_reason(rules: object, says: str) -> None:
    with pytest.raises(RuleError, match=says):
        validate_rules(rules)


def test_a_slow_regex_is_refused_quickly_and_a_stored_bad_rule_is_skipped() -> None:
    t = time.perf_counter()
    with pytest.raises(RuleError, match="too slow"):
        check_regex(r"\w+x\w+y\w+z")  # cubic backtracking: seconds on 2,000 characters
    assert time.perf_counter() - t < 10
    # A rule that slipped into the database by hand is skipped, never run.
    assert (
        compile_rules([{"regex": "(a+)+$", "reason": "r"}, {"keywords": ["ok"], "reason": "fine"}])[
            0
        ].rule.reason
        == "fine"
    )


def test_settings_are_validated_and_read_leniently() -> None:
    ok = validate_settings(
        {"approval_mode": "all", "approval_timeout_minutes": 5, "handoff_triggers": ["complaint", "discount"]}
    )
    assert ok == {
        "approval_mode": "all",
        "approval_timeout_minutes": 5,
        "handoff_triggers": ["discount", "complaint"],
    }
    for bad, says in [
        ({"approval_mode": "sometimes"}, "approval_mode must be one of"),
        ({"approval_timeout_minutes": 0}, "from 1 to"),
        ({"handoff_timeout_minutes": True}, "whole number"),
        ({"handoff_triggers": ["telepathy"]}, "unknown trigger"),
        ({"seller_telegram": {"chat_id": 1}}, "unknown handoff setting"),
        ({"handoff_rules": [{"regex": "(a*)*", "reason": "r"}]}, "nested quantifiers"),
    ]:
        with pytest.raises(SettingsError, match=says):
            validate_settings(bad)
    read = HandoffSettings.of(
        {"approval_mode": "bogus", "approval_timeout_minutes": -3, "seller_telegram": {"chat_id": 42}}
    )
    assert read.approval_mode == "off" and read.approval_timeout_minutes == 30 and read.seller_chat_id == 42
    assert read.public()["seller_telegram_linked"] is True and "42" not in str(read.public())


def test_words_of_a_named_product_are_not_the_customers_intent() -> None:
    on = HandoffSettings()
    name = "Kicker Champ, individuell gestaltbar"  # "customisable", a Shopware 5 product
    asked = f"How much is the {name}?"
    assert decide(TurnFacts(asked), on).reason == "custom_order"  # type: ignore[union-attr]
    assert decide(TurnFacts(asked, products=(name,)), on) is None
    engrave = f"Can you engrave my name on the {name}?"  # asked beside the name: still custom
    assert decide(TurnFacts(engrave, products=(name,)), on).reason == "custom_order"  # type: ignore[union-attr]
    box = "Do you have the Complaint Box in red?"
    assert decide(TurnFacts(box, products=("Complaint Box",)), on) is None
    # a one-word name hides nothing
    assert decide(TurnFacts("Can I get a custom one?", products=("Custom",)), on).reason == "custom_order"  # type: ignore[union-attr]
    # the seller's own rules read the whole question
    rule = HandoffSettings(rules=({"keywords": ["gestaltbar"], "reason": "made to order"},))
    assert decide(TurnFacts(asked, products=(name,)), rule).reason == "rule"  # type: ignore[union-attr]
