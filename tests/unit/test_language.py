"""Which language a shopper writes in (`echome.language.detect_language`): short questions,
product names in another language, and the tie-break."""

from __future__ import annotations

import pytest

from echome.language import LANGUAGES, detect_language, language_scores

QUESTIONS: dict[str, list[str]] = {
    "en": [
        "Do you have it in blue?",
        "How much is the Sonnenschirm Sombrano?",
        "What sizes does it come in?",
        "Is the Kicker Champ Elite on sale?",
        "Any discount if I buy two?",
        "When will it ship?",
        "Is it in stock?",
        "Which colours are there?",
        "Can I return it?",
        "Thanks!",
        "What's the price of the Teton hoodie?",
        "How many are left?",
        "Do you sell bikes?",
        "Is the Münsterländer Lagerkorn still available?",
        "What does the Emmelkamp Holunder Likör cost?",
        "Does the Strandtuch come in purple?",
        "Got it in XL?",
    ],
    "de": [
        "Was kostet der Kicker?",
        "Ist der Kicker Champ Elite gerade reduziert?",
        "In welchen Farben gibt es den Kicker Champ Elite Pro?",
        "Was kostet die Summer Music Festival VIP ticket?",
        "Haben Sie das auch in Blau?",
        "Wie viel kostet das?",
        "Gibt es den noch?",
        "Wann wird geliefert?",
        "Ist das auf Lager?",
        "Welche Größen gibt es?",
        "Danke!",
        "Verkaufen Sie auch Fahrräder?",
        "Kann ich das zurückschicken?",
        "Was kosten die Flip Flops Deep Red?",
        "Habt ihr Rabatt?",
        "Wie groß ist der Schirm?",
        "Versandkosten nach Österreich?",
    ],
    "fr": [
        "C'est combien ?",
        "Combien coûte la lampe ?",
        "Vous l'avez en bleu ?",
        "Quelles tailles avez-vous ?",
        "Est-ce que c'est en stock ?",
        "Quand est-ce que vous livrez ?",
        "Il reste des pièces ?",
        "Merci !",
        "Le Kicker Champ Elite est-il en promo ?",
        "Vous vendez des vélos ?",
        "Quel est le prix du Sonnenschirm ?",
        "Je peux le retourner ?",
        "Il existe en quelles couleurs ?",
        "La livraison est gratuite ?",
        "Ça coûte combien, le sweat Teton ?",
        "Avez-vous des chaussures de sport ?",
    ],
    "es": [
        "¿Cuánto cuesta la lámpara?",
        "¿Lo tienen en azul?",
        "¿Qué tallas hay?",
        "¿Está en stock?",
        "¿Cuándo llega el pedido?",
        "Gracias",
        "¿Hay descuento si compro dos?",
        "¿Venden bicicletas?",
        "¿Cuál es el precio del Kicker Champ Elite?",
        "¿De qué color es?",
        "Cuanto vale el Sonnenschirm Sombrano",
        "¿Puedo devolverlo?",
        "¿Tienes la camiseta en talla M?",
        "¿El envío es gratis?",
        "¿Qué colores tiene la Summer Jacket?",
        "¿Quedan unidades?",
    ],
    "it": [
        "Quanto costa?",
        "Quanto costa la lampada?",
        "Ce l'avete in blu?",
        "Che taglie avete?",
        "È disponibile?",
        "Quando arriva?",
        "Grazie!",
        "C'è uno sconto?",
        "Vendete biciclette?",
        "Di che colore è?",
        "Quali colori ci sono per il Kicker Champ Elite?",
        "Posso restituirlo?",
        "La spedizione è gratuita?",
        "Quanti pezzi sono rimasti?",
        "Il Sonnenschirm Sombrano è in offerta?",
        "Avete scarpe da corsa?",
    ],
    "nl": [
        "Hoeveel kost de lamp?",
        "Hebben jullie die in het blauw?",
        "Welke maten zijn er?",
        "Is het op voorraad?",
        "Wanneer wordt het geleverd?",
        "Bedankt!",
        "Is er korting?",
        "Verkopen jullie fietsen?",
        "Wat is de prijs van de Kicker Champ Elite?",
        "Welke kleur is het?",
        "Kan ik het terugsturen?",
        "Is de verzending gratis?",
        "Hoeveel stuks zijn er nog?",
        "Heeft u de Sonnenschirm Sombrano?",
        "Is de Summer Jacket waterdicht?",
        "Zijn er nog sokken?",
    ],
    "pt": [
        "Quanto custa a camisa?",
        "Vocês têm em azul?",
        "Que tamanhos há?",
        "Está disponível?",
        "Quando chega?",
        "Obrigado!",
        "Tem desconto?",
        "Vendem bicicletas?",
        "Qual é o preço do Kicker Champ Elite?",
        "De que cor é?",
        "Posso devolver?",
        "O envio é grátis?",
        "Quantas unidades restam?",
        "O Sonnenschirm Sombrano está em promoção?",
        "Têm sapatilhas de corrida?",
        "Quanto custa o frete para o Porto?",
    ],
}


@pytest.mark.parametrize(
    "expected,question", [(lang, q) for lang, questions in QUESTIONS.items() for q in questions]
)
def test_short_shopper_questions_are_told_apart(expected: str, question: str) -> None:
    assert detect_language(question) == expected


def test_every_language_has_fifteen_questions() -> None:
    assert set(QUESTIONS) == set(LANGUAGES)
    assert all(len(qs) >= 15 for qs in QUESTIONS.values())


def test_a_product_name_in_another_language_does_not_flip_the_question() -> None:
    assert detect_language("How much is the Sonnenschirm Sombrano?") == "en"
    assert detect_language("Was kostet die Summer Music Festival VIP ticket?") == "de"
    assert detect_language("Quanto costa il „Winter Wonderland Deluxe Set“?") == "it"
    # A name the caller knows can be left out of the vote altogether.
    assert detect_language("Hoeveel is the Sun Hat?", names=["The Sun Hat"]) == "nl"


def test_a_message_that_says_nothing_keeps_the_conversation_language() -> None:
    for neutral in ("ok", "42", "XL?", "👍", ""):
        assert detect_language(neutral) == "en"
        assert detect_language(neutral, previous="fr") == "fr"
        assert detect_language(neutral, default="de") == "de"
    # "Hallo" is German and Dutch alike: the conversation decides, else the default, else the first.
    assert detect_language("Hallo!", previous="nl") == "nl"
    assert detect_language("Hallo!", previous="de") == "de"
    assert detect_language("Hallo!", default="fr") == "de"
    # "Quanto pesa?" is Italian and Portuguese word for word.
    assert detect_language("Quanto pesa?", previous="pt") == "pt"
    assert detect_language("Quanto pesa?", previous="it") == "it"


def test_a_clear_question_wins_over_the_previous_language() -> None:
    assert detect_language("Was kostet der Kicker?", previous="en") == "de"
    assert detect_language("And how much is it?", previous="de") == "en"


def test_scores_are_shared_by_the_languages_that_use_a_word() -> None:
    scores = language_scores("de")  # Dutch article, French/Spanish/Portuguese preposition
    assert scores["nl"] > scores["fr"] == scores["es"] == scores["pt"] > 0
    assert scores["en"] == scores["de"] == scores["it"] == 0
