"""Asking for a lower price, heard by its concepts (not a list of sentences): outright requests go to
the seller, a lower price for buying more goes to the seller unless the reply stated the catalog's
tier prices, and ordinary price questions, comparisons and sale questions stay with the persona."""

from __future__ import annotations

import pytest

from echome.answer.asks import haggles
from echome.answer.negotiation import read
from echome.handoff.settings import TRIGGERS, HandoffSettings
from echome.handoff.triggers import TurnFacts, decide
from echome.handoff.vocabulary import intents_in

REQUESTS = [
    "Could you shave a few dollars off the sofa?",
    "any way you can knock 20 quid off?",
    "Can you take something off the price of the armchair?",
    "Would you lower the price of the walnut table a little?",
    "is there any chance you could drop the asking price",
    "Can you bring the price down on the bundle?",
    "Could you come down a bit on the rug?",
    "Can you go any lower on that?",
    "If you can do it cheaper I'll buy it today",
    "Could you let me have the lamp for less?",
    "Would you sell it to me cheaper?",
    "Will you take 150 for the desk?",
    "Would you accept $40?",
    "I can pay 35 euros for it, deal?",
    "Is the price negotiable?",
    "Is there any room on the price?",
    "Are you open to offers?",
    "Can we haggle a little?",
    "Do you price match?",
    "Can you beat that price? The shop next door has it for less.",
    "Meet me halfway?",
    "What's your very best price on the grey sofa?",
    "What is your final offer for the lamp?",
    "Got a coupon I could use?",
    "Is there a promo code for new customers?",
    "Any voucher for first orders?",
    "Do I get a discount as a returning customer?",
    "Can you make me a special offer on the chair?",
    "Can you give me a better deal on the mattress?",
    "Is there any reduction for students?",
    "Is there a discount for paying cash?",
    "Could I get 15 percent off?",
    "Can you do me a good deal on the table?",
    "Können Sie mit dem Preis noch etwas runter?",
    "Ist beim Preis noch was zu machen? Geht da noch was am Preis?",
    "Haben Sie einen Gutschein für mich?",
    "Pouvez-vous baisser le prix ?",
    "¿Me puede bajar el precio?",
    "Mi può fare uno sconto sul tavolo?",
    "Kunnen we over de prijs onderhandelen?",
    "Pode fazer um desconto?",
]
FOR_BUYING_MORE = [
    "Is it any cheaper if I get three?",
    "Would it cost less if we ordered ten of them?",
    "Do you give a discount when buying several?",
    "Is there a price break for 50 units?",
    "Do you do a deal for two?",
    "any savings if I buy a dozen?",
    "Is it cheaper in bulk?",
    "Is there a lower price when ordering more than one?",
    "Do you have bulk pricing?",
    "Any multi-buy offers?",
    "Do you do 3 for 2?",
    "Do you offer wholesale rates?",
    "Wird es billiger, wenn wir drei bestellen?",
    "Gibt es einen Mengenrabatt ab 10 Stück?",
    "Est-ce moins cher si j'en commande trois ?",
    "¿Sale más barato si pido varios?",
    "C'è uno sconto se ne prendo tre?",
    "Krijg ik korting als ik er drie bestel?",
    "É mais barato se eu levar duas?",
]
NOT_NEGOTIATION = [
    "How much is the walnut table?",
    "What does the grey sofa cost?",
    "How much would two of them cost?",
    "What's the total for three lamps?",
    "I'd like to order two of them, please",
    "Is the grey sofa cheaper than the yellow one?",
    "Which one is cheaper, the mug or the lamp?",
    "Which is less expensive?",
    "What's your cheapest rug?",
    "Do you have anything cheaper?",
    "Show me a cheaper alternative",
    "Is the armchair on sale?",
    "Is the lamp discounted at the moment?",
    "Was the price reduced?",
    "What was the old price?",
    "Is there a special price on it?",
    "Is there still a discount on the armchair?",
    "Are there any reductions on the rugs right now?",
    "Can you take the price tag off? It's a gift",
    "Do you have it in off-white?",
    "Will this lamp lower my electricity bill?",
    "Does the price include VAT?",
    "Can I save my basket for later?",
    "Do you have less expensive fabrics?",
    "It's for two years of daily use, is it durable?",
    "Do you sell wholesale?",
    "Ist der Tisch günstiger als der Stuhl?",
    "Was kostet der Stuhl, wenn ich 20 Stück bestelle?",
    "Ist der Stuhl gerade reduziert?",
    "Combien coûte la lampe ?",
    "¿Cuánto cuesta la mesa?",
    "Is de tafel goedkoper dan de stoel?",
]


@pytest.mark.parametrize("text", REQUESTS)
def test_a_request_for_a_lower_price_is_heard_in_other_words(text: str) -> None:
    got = read(text)
    assert got is not None and got.kind == "request", (text, got)
    assert haggles(text)


@pytest.mark.parametrize("text", FOR_BUYING_MORE)
def test_a_lower_price_for_buying_more_is_its_own_kind(text: str) -> None:
    got = read(text)
    assert got is not None and got.kind == "quantity", (text, got)


@pytest.mark.parametrize("text", NOT_NEGOTIATION)
def test_price_questions_comparisons_and_sale_questions_are_not_bargaining(text: str) -> None:
    assert read(text) is None, text
    assert decide(TurnFacts(text), HandoffSettings()) is None, text


def test_the_seller_gets_a_request_and_a_quantity_question_the_catalog_did_not_answer() -> None:
    on = HandoffSettings()
    d = decide(TurnFacts("Could you knock a little off?"), on)
    assert d is not None and d.reason == "discount" and d.detail == "knock a little off"
    d = decide(TurnFacts("Is it cheaper if I buy four?", intents=("price",)), on)
    assert d is not None and d.reason == "discount"
    # The reply stated the catalog's tier prices: the persona has answered it.
    assert decide(TurnFacts("Is it cheaper if I buy four?", intents=("tier",)), on) is None
    assert decide(TurnFacts("Any bulk pricing?", intents=("answer", "tier-prices")), on) is None
    # Pressing for more than the list still goes to the seller, tier prices or not.
    d = decide(TurnFacts("Can you knock 10% off if I buy four?", intents=("tier",)), on)
    assert d is not None and d.reason == "discount"
    off = HandoffSettings(triggers=frozenset(t for t in TRIGGERS if t != "discount"))
    assert decide(TurnFacts("Could you knock a little off?"), off) is None


def test_the_handoff_vocabulary_hears_discounts_from_the_same_concepts() -> None:
    assert intents_in("Any chance of a promo code?") == {"discount": "promo code"}
    assert "discount" in intents_in("Können Sie den Preis senken?")
    assert "discount" not in intents_in("Is it cheaper than the blue one?")


def test_long_and_odd_messages_do_not_break_it() -> None:
    assert read("") is None
    assert read("!!! ???") is None
    assert read("cheaper " * 2000) is None  # no quantity, no request
    assert read("a " * 3000 + "knock a bit off") is None  # beyond what is read of a message


TIERED = b"""ordernumber;price;from;_name
SW-T1;1,00;1;Kugelschreiber Classic
SW-T1;0,90;11;Kugelschreiber Classic
SW-T1;0,70;41;Kugelschreiber Classic
SW-N1;24,90;1;Notizbuch Leder
"""


def test_the_persona_answers_buying_more_from_tier_prices_and_passes_on_the_rest() -> None:
    from echome.answer.pipeline import Answerer
    from echome.providers.fakes import FixedModels
    from echome.rehearsal.conversations import DryRunHandoff
    from tests.support.memory_shop import memory_shop

    shop = memory_shop(TIERED, profile={}, name="preise.csv")
    try:
        desk = DryRunHandoff(shop.sessions)
        answerer = Answerer(shop.sessions, shop.finder, FixedModels(chat=None), None, handoff=desk)

        def ask(question: str) -> tuple[str, str | None]:
            a = answerer.answer(
                user_id=shop.user_id, persona_id=shop.persona_id, question=question, channel="eval"
            )
            return a.answer, desk.decisions[a.conversation_id]

        answer, reason = ask("Is the Kugelschreiber Classic any cheaper if I buy 20?")
        assert reason is None and "0.90" in answer and "catalog" not in answer, answer
        answer, reason = ask("Is the Notizbuch Leder cheaper if I buy two?")  # no tier prices
        assert reason == "discount" and "I can only offer the prices listed" in answer, answer
        _, reason = ask("Could you knock a bit off the Kugelschreiber Classic if I buy 20?")
        assert reason == "discount"
        _, reason = ask("How much are two Notizbuch Leder?")
        assert reason is None
    finally:
        shop.engine.dispose()


def test_a_models_reply_that_states_the_tier_price_keeps_a_bulk_question() -> None:
    # The model's reply is not the composer's: whether it answered buying more is read from what
    # it says (a tier price of the product), not from the composer's intents.
    from echome.answer.pipeline import Answerer
    from echome.providers.fakes import FixedModels, ScriptedChat
    from echome.rehearsal.conversations import DryRunHandoff
    from tests.support.memory_shop import memory_shop

    shop = memory_shop(TIERED, profile={}, name="preise.csv")
    try:
        desk = DryRunHandoff(shop.sessions)
        replies = iter(
            [
                "Yes: from 11 pieces the Kugelschreiber Classic is 0.90 each.",
                "The Kugelschreiber Classic is 1.00 each.",  # the list price only
            ]
        )
        notes = '{"name": null, "preferences": [], "budget": null, "objections": null, "stage": "new"}'
        chat = ScriptedChat(lambda msgs: notes if "Update the notes" in msgs[-1].content else next(replies))
        answerer = Answerer(shop.sessions, shop.finder, FixedModels(chat=chat), None, handoff=desk)

        def ask(question: str) -> tuple[str, str | None]:
            a = answerer.answer(
                user_id=shop.user_id, persona_id=shop.persona_id, question=question, channel="eval"
            )
            assert a.mode == "llm", a.mode
            return a.answer, desk.decisions[a.conversation_id]

        answer, reason = ask("Is the Kugelschreiber Classic any cheaper if I buy 20?")
        assert reason is None and "0.90" in answer, answer
        _, reason = ask("Is the Kugelschreiber Classic any cheaper if I buy 20?")
        assert reason == "discount"
    finally:
        shop.engine.dispose()
