"""What the customer is told about a handoff, in their language, and what the seller is told.

Customer texts say what happens next and nothing that is not true: the seller has been asked, and
the reply comes here, in this chat. `{name}` is the persona's name (the seller's own name, as the
persona speaks for them). The formal address matches the answer composer's phrase tables.
"""

from __future__ import annotations

CUSTOMER: dict[str, dict[str, str]] = {
    # The conversation is handed to the seller now.
    "handed_off": {
        "en": "I've asked {name} to answer you personally. {name} will reply here in this chat.",
        "de": "Ich habe {name} gebeten, Ihnen persönlich zu antworten. Die Antwort kommt hier in diesem "
        "Chat.",
        "fr": "J'ai demandé à {name} de vous répondre personnellement. La réponse arrivera ici, "
        "dans cette conversation.",
        "es": "He pedido a {name} que le responda personalmente. La respuesta llegará aquí, en este chat.",
        "it": "Ho chiesto a {name} di risponderLe personalmente. La risposta arriverà qui, in questa chat.",
        "nl": "Ik heb {name} gevraagd u persoonlijk te antwoorden. Het antwoord komt hier in dit gesprek.",
        "pt": "Pedi a {name} que lhe responda pessoalmente. A resposta chegará aqui, nesta conversa.",
    },
    # Before "handed_off" when the customer complains: the draft's answer is not what they need.
    "complaint": {
        "en": "I'm sorry to hear that.",
        "de": "Das tut mir leid.",
        "fr": "Je suis désolé de l'apprendre.",
        "es": "Lamento mucho oír eso.",
        "it": "Mi dispiace molto.",
        "nl": "Wat vervelend om te horen.",
        "pt": "Lamento muito.",
    },
    # Before "handed_off" when the customer is ready to buy: the seller closes the sale.
    "ready_to_buy": {
        "en": "Great choice!",
        "de": "Gute Wahl!",
        "fr": "Excellent choix !",
        "es": "¡Excelente elección!",
        "it": "Ottima scelta!",
        "nl": "Goede keuze!",
        "pt": "Ótima escolha!",
    },
    # A further message while the seller has the conversation (once per burst).
    "ack": {
        "en": "Thank you, I've passed this on to {name}, who will reply here.",
        "de": "Danke, ich habe das an {name} weitergegeben. Die Antwort kommt hier.",
        "fr": "Merci, j'ai transmis ce message à {name}, qui vous répondra ici.",
        "es": "Gracias, se lo he pasado a {name}, que le responderá aquí.",
        "it": "Grazie, ho inoltrato il messaggio a {name}, che Le risponderà qui.",
        "nl": "Dank u, ik heb dit aan {name} doorgegeven. Het antwoord komt hier.",
        "pt": "Obrigado, passei isto a {name}, que lhe responderá aqui.",
    },
    # Approval mode: the answer is written and waits for the seller's check.
    "approval": {
        "en": "{name} checks my answers before they go out. You'll get the reply here shortly.",
        "de": "{name} prüft meine Antworten, bevor sie verschickt werden. Sie bekommen die Antwort in "
        "Kürze hier.",
        "fr": "{name} relit mes réponses avant leur envoi. Vous recevrez la réponse ici très bientôt.",
        "es": "{name} revisa mis respuestas antes de enviarlas. Recibirá la respuesta aquí en breve.",
        "it": "{name} controlla le mie risposte prima dell'invio. Riceverà la risposta qui a breve.",
        "nl": "{name} controleert mijn antwoorden voordat ze worden verstuurd. U krijgt het antwoord hier "
        "binnenkort.",
        "pt": "{name} revê as minhas respostas antes de serem enviadas. Receberá a resposta aqui em breve.",
    },
    # The seller did not answer in time; the customer still waits for them.
    "late": {
        "en": "{name} hasn't been able to reply yet, but has your message and will answer here as soon "
        "as possible.",
        "de": "{name} konnte noch nicht antworten, hat Ihre Nachricht aber und antwortet hier so bald wie "
        "möglich.",
        "fr": "{name} n'a pas encore pu répondre, mais a bien votre message et vous répondra ici dès que "
        "possible.",
        "es": "{name} todavía no ha podido responder, pero tiene su mensaje y le contestará aquí lo antes "
        "posible.",
        "it": "{name} non ha ancora potuto rispondere, ma ha il Suo messaggio e Le risponderà qui appena "
        "possibile.",
        "nl": "{name} heeft nog niet kunnen antwoorden, maar heeft uw bericht en antwoordt hier zo snel "
        "mogelijk.",
        "pt": "{name} ainda não conseguiu responder, mas tem a sua mensagem e responderá aqui o mais "
        "depressa possível.",
    },
}

REASONS = {
    "customer_asked": "the customer asks for a person",
    "no_evidence": "nothing in your catalog answers the question",
    "guardrail_cut": "the safety check had to cut a fact from the answer",
    "discount": "the customer asks for a discount",
    "custom_order": "the customer asks for a custom order",
    "ready_to_buy": "the customer is ready to buy",
    "complaint": "the customer has a complaint",
    "approval": "approval mode: the answer waits for you",
    "seller": "you took the conversation over",
}


def customer_text(kind: str, language: str, name: str) -> str:
    table = CUSTOMER[kind]
    return table.get(language, table["en"]).format(name=name or "the seller")


def reason_text(reason: str, detail: str | None = None) -> str:
    """The reason as the seller reads it; a rule's own reason is the seller's words."""
    if reason == "rule":
        return detail or "one of your handoff rules matched"
    said = REASONS.get(reason, reason.replace("_", " "))
    return (
        f"{said} (“{detail}”)"
        if detail and reason in ("customer_asked", "discount", "custom_order", "ready_to_buy", "complaint")
        else said
    )
