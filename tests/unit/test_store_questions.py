"""`store_topic`: questions about the store (returns, shipping, payment, hours...) in seven
languages, told apart from questions about a product, and `topics_of` on policy passages."""

from __future__ import annotations

import pytest

from echome.answer.store_questions import TOPIC_NAMES, store_topic, topics_of

STORE_QUESTIONS = [
    # English
    ("What's your return policy?", "returns"),
    ("Can I get a refund if it doesn't fit?", "returns"),
    ("Do you ship to Canada?", "shipping"),
    ("How long does delivery take?", "shipping"),
    ("Do you accept PayPal?", "payment"),
    ("What are your opening hours?", "opening_hours"),
    ("Where is your shop?", "location"),
    ("Can I pick it up in person?", "location"),
    ("How can I contact you?", "contact"),
    ("Do your products come with a warranty?", "warranty"),
    ("What do you do with my personal data?", "privacy"),
    ("Where is my order?", "order_status"),
    ("Has my order shipped yet?", "order_status"),
    ("Do you sell gift cards?", "vouchers"),
    ("Where can I read your terms and conditions?", "terms"),
    # German
    ("Wie lange dauert der Versand nach Österreich?", "shipping"),
    ("Was kostet der Versand?", "shipping"),
    ("Kann ich die Ware zurückgeben?", "returns"),
    ("Kann ich per Rechnung bezahlen?", "payment"),
    ("Wann habt ihr am Samstag offen?", "opening_hours"),
    ("Wie sind eure Öffnungszeiten?", "opening_hours"),
    ("Kann ich die Bestellung im Laden abholen?", "location"),
    ("Wo ist meine Bestellung?", "order_status"),
    ("Gibt es eine Garantie?", "warranty"),
    # French
    ("Quels sont vos horaires d'ouverture ?", "opening_hours"),
    ("Acceptez-vous PayPal ?", "payment"),
    ("Combien coûte la livraison en Belgique ?", "shipping"),
    ("Comment se passe un retour ?", "returns"),
    ("Comment puis-je vous contacter ?", "contact"),
    # Spanish
    ("¿Cuál es la política de devoluciones?", "returns"),
    ("¿Hacen envíos a México?", "shipping"),
    ("¿Aceptan pago contra reembolso?", "payment"),  # cash on delivery, not a refund
    ("¿Cuál es su horario?", "opening_hours"),
    ("¿Dónde está mi pedido?", "order_status"),
    # Italian
    ("Quanto costa la spedizione in Germania?", "shipping"),
    ("Posso pagare con carta di credito?", "payment"),
    ("Come funziona il reso?", "returns"),
    ("Quali sono gli orari del negozio?", "opening_hours"),
    # Dutch
    ("Wat zijn jullie openingstijden?", "opening_hours"),
    ("Kan ik mijn bestelling retourneren?", "returns"),
    ("Wat zijn de verzendkosten naar België?", "shipping"),
    ("Kan ik betalen met iDEAL?", "payment"),
    # Portuguese
    ("Qual é o prazo de entrega?", "shipping"),
    ("Vocês aceitam pix?", "payment"),
    ("Como funciona a troca?", "returns"),
    ("Onde fica a loja?", "location"),
]


@pytest.mark.parametrize(("question", "topic"), STORE_QUESTIONS)
def test_store_questions_name_their_topic(question: str, topic: str) -> None:
    assert store_topic(question) == topic


PRODUCT_QUESTIONS = [
    "how much is the lamp",
    "does it come in blue",
    "is this in stock",
    "wie viel kostet der Kicker",
    "Ist der Kicker lieferbar?",  # available, not delivered
    "Was ist im Lieferumfang enthalten?",  # what is in the box
    "does the lamp ship with a bulb?",  # what is in the box, whoever asks
    "is the jacket's warranty 2 years?",  # the jacket's own warranty
    "Is it guaranteed to fit a 2015 Golf?",
    "Is it ideal for kids?",
    "How much do I pay for the lamp?",  # a price
    "Quel est le prix de cette chaise ?",
    "¿Tienen esta camisa en talla M?",
    "Quanto costa questa borsa?",
    "Is deze tafel van massief eiken?",
    "Esta mesa é de madeira maciça?",
    "Haben Sie das auf Lager?",
]


@pytest.mark.parametrize("question", PRODUCT_QUESTIONS)
def test_product_questions_are_not_store_questions(question: str) -> None:
    assert store_topic(question) is None


@pytest.mark.parametrize(
    "question",
    ["Can I return the armoire?", "How much is shipping for the sofa?", "Does the drill have a warranty?"],
)
def test_a_named_products_returns_shipping_and_warranty_are_its_own(question: str) -> None:
    assert store_topic(question) is not None  # nobody said a product was named
    assert store_topic(question, names_product=True) is None


@pytest.mark.parametrize(
    ("question", "topic"),
    [
        ("Can I pay for the lamp with PayPal?", "payment"),
        ("Can I pick up the sofa at your showroom?", "location"),
        ("Can I return the lamp or pay it in installments?", "payment"),  # returns is the lamp's
    ],
)
def test_store_wide_topics_stay_store_questions_when_a_product_is_named(question: str, topic: str) -> None:
    assert store_topic(question, names_product=True) == topic


def test_passages_are_told_apart_by_topic() -> None:
    returns = "Returns & refunds\nYou can send items back within 30 days for a full refund."
    hours = "Opening hours\nOur showroom is open Monday to Friday from 10:00 to 18:00."
    versand = "Versand\nWir liefern innerhalb von 2-4 Werktagen mit DHL."
    assert "returns" in topics_of(returns) and "opening_hours" not in topics_of(returns)
    assert "opening_hours" in topics_of(hours) and "returns" not in topics_of(hours)
    assert topics_of(versand) >= {"shipping"} and "returns" not in topics_of(versand)
    assert set(TOPIC_NAMES) >= {"returns", "shipping", "payment", "opening_hours", "location", "contact"}
