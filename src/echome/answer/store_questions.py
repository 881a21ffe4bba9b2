"""Is a shopper asking about the store rather than a product? `store_topic(question)` names the
topic ("returns", "shipping", "opening_hours"...) or gives None.

A store question is answered from the seller's store information (`echome store-info import`), never
from a product's facts: "What's your return policy?" must not be answered with one armoire's return
window. The table below lists, per topic, the words that ask about it (`asks`) in English, German,
French, Spanish, Italian, Dutch and Portuguese, and the words a policy text about it uses (`about`,
the `asks` words and more), which `topics_of` reads to tell which passages speak to a topic.

Product questions stay product questions: "how much is the lamp", "does it come in blue", "is this in
stock" match no topic. For three topics a product can have its own facts - its return window, its
shipping cost or delivery time, its warranty - so when the caller says the question names a product
(or points back at one under discussion: "can I return it?"), those are product questions and give
None: the named product's own facts answer them, and the answer stage may fall back to the store's
information when the product has none. Every other topic (payment, opening hours, pickup, contact,
privacy, order status, terms, vouchers) is about the store whatever product is named: "can I pay
for the lamp with PayPal?" is a payment question. "Does the lamp ship with a bulb?" is no shipping
question at all (what comes in the box), and "the jacket's warranty" names a product by itself.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class StoreTopic:
    name: str
    asks: re.Pattern[str]  # a question about this topic
    about: re.Pattern[str]  # a passage about this topic (the `asks` words and the policy's own words)
    product_bound: bool  # a named product makes it a question about that product's own facts


def _rx(*alternatives: str) -> re.Pattern[str]:
    # Whole words: a stem that may grow says so with `\w*`.
    return re.compile(r"(?<!\w)(?:" + "|".join(alternatives) + r")(?!\w)", re.I)


# One line per language: en, de, fr, es, it, nl, pt. `\w*` after a stem catches compounds and
# inflections (German "Versandkosten", "Rücksendungen"). Order matters: the first topic whose words
# a question uses is its topic, so "has my order shipped?" is order status, not shipping, and
# "pago contra reembolso" (cash on delivery) is payment, not a refund.
_TABLE: tuple[tuple[str, bool, tuple[str, ...], tuple[str, ...]], ...] = (
    (
        "order_status",
        False,
        (
            r"where(?:'s| is) my (?:order|parcel|package|delivery)|"
            r"track(?:ing)?\b.{0,20}\b(?:orders?|parcels?|packages?|number)|order status|"
            r"status of my order|(?:has|did) my (?:order|parcel|package)|"
            r"(?:cancel|change) my order|(?:haven't|have not|didn't|did not) (?:received|get|got) my",
            r"wo (?:ist|bleibt) meine? (?:bestellung|sendung|paket|lieferung)|sendungsverfolgung|"
            r"sendungsnummer|bestellstatus|status meiner bestellung|(?:meine )?bestellung stornieren|"
            r"meine bestellung ist (?:noch )?nicht (?:angekommen|da)",
            r"où (?:en )?est ma commande|suivi de (?:ma )?(?:commande|colis)|numéro de suivi|"
            r"annuler ma commande|ma commande n'est pas arrivée",
            r"dónde está mi pedido|seguimiento de(?:l| mi) (?:pedido|paquete|envío)|número de seguimiento|"
            r"estado de mi pedido|cancelar mi pedido|mi pedido no ha llegado",
            r"dov'è il mio (?:ordine|pacco)|dove è il mio (?:ordine|pacco)|tracciamento|stato dell'ordine|"
            r"annullare (?:il mio |l')ordine|il mio ordine non è arrivato",
            r"waar is mijn (?:bestelling|pakket)|track (?:en|&) trace|bestelstatus|"
            r"mijn bestelling (?:annuleren|is niet aangekomen)",
            r"onde está (?:o )?meu pedido|onde está a minha encomenda|rastreio|rastreamento|"
            r"código de rastreio|cancelar (?:o )?(?:meu )?pedido|meu pedido não chegou",
        ),
        (r"tracking|track your|order number|cancel\w*|sendungs\w*|stornier\w*|suivi|seguimiento|rastreio",),
    ),
    (
        "returns",
        True,
        (
            r"returns?\b|return(?:ing|ed)\b|refund\w*|exchang\w*|send (?:it|them|\w+) back|"
            r"take (?:it|them) back|money back|cooling.off|right of withdrawal",
            r"rückgabe\w*|rücksend\w*|zurück(?:geben|schicken|senden|nehmen)|umtausch\w*|"
            r"\w*erstattung\w*|geld zurück|widerruf\w*|retoure\w*",
            r"retour(?:ner|s)?\b|rembours\w*|échang\w*|renvoyer|droit de rétractation",
            r"devoluci\w*|devolver\w*|(?<!contra )reembols\w*|política de cambios?|cambios y devoluciones",
            r"resi\b|reso\b|restitu\w*|rimbors\w*|diritto di recesso|cambio merce",
            r"retour\w*|terugsturen|terugbrengen|ruilen|terugbetal\w*|geld terug|herroeping\w*",
            r"devoluç\w*|devolver|(?<!contra )reembols\w*|trocas?\b|trocar|direito de arrependimento",
        ),
        (r"return\w*|withdraw\w*|unused|original packaging|originalverpackung",),
    ),
    (
        "payment",
        False,
        (
            r"payment\w*|pay (?:by|with|via|using|in (?:cash|instal?lments)|cash|on delivery)|paypal|"
            r"credit cards?|debit cards?|visa|mastercard|amex|apple pay|google pay|klarna|bank transfer|"
            r"instal?lments?|cash on delivery|do you (?:take|accept) (?:cards|cash|checks|cheques)",
            r"\w*zahlung\w*|(?:be)?zahlen (?:mit|per|in raten|auf rechnung|bar)|kreditkarte\w*|"
            r"\w*überweisung|vorkasse|(?:auf|per) rechnung|\w*lastschrift|bar bezahlen|"
            r"zahlungsart\w*|zahlungsmethode\w*",
            r"paiement\w*|payer (?:par|avec|en)|carte (?:bancaire|de crédit)|virement|en plusieurs fois",
            r"pagos?\b|pagar (?:con|por|en|a plazos)|tarjetas? de (?:crédito|débito)|transferencia|"
            r"contra reembolso|a plazos",
            r"pagament\w*|pagare (?:con|in|tramite|a rate)|carta di credito|bonifico|contrassegno|a rate",
            r"betaling\w*|betalen (?:met|via|per|in termijnen|achteraf)|betaalmethode\w*|(?:met|via) ideal|"
            r"creditcard|achteraf betalen|overschrijving",
            r"pagamentos?|pagar (?:com|por|em|no)|cartão de (?:crédito|débito)|boleto|pix|multibanco|"
            r"mb way|transferência|parcel(?:ar|as|ado)|em prestações",
        ),
        (r"pay\w*|cards?|cash|bezahl\w*|karte|pago|carte|carta|betal\w*|cartão",),
    ),
    (
        "shipping",
        True,
        (
            r"shipping|ship(?:s|ped)?\b(?!\s+with\s+(?:a|an|the|its|their|one|two|\d))|deliver\w*|"
            r"postage|courier|dispatch\w*|(?:how long|when) will (?:it|my \w+) (?:take to )?arrive",
            r"versand\w*|versende\w*|verschick\w*|liefer(?!bar|ant|umfang)\w*|porto\w*|zustell\w*",
            r"livraison\w*|livr(?:er|ez|ée?s?)\b|expédi\w*|frais de port|envoyez",
            r"envíos?\b|enviar|envían|entregas?\b|gastos de envío",
            r"spedizion\w*|spedi(?:re|te|sci)\b|consegn\w*|spese di spedizione",
            r"verzend\w*|lever(?:ing|en|tijd|kosten)\w*|bezorg\w*",
            r"envios?\b|enviar|enviam|entregas?\b|entregam|frete|portes\b|prazo de entrega",
        ),
        (r"carrier|dhl|ups|fedex|gls|dpd|hermes|colissimo|correos|ctt|postnl|business days|werktage",),
    ),
    (
        "warranty",
        True,
        (
            r"warrant(?:y|ies)|guarantees?",
            r"garantie\w*|gewährleistung",
            r"garantie",
            r"garantía",
            r"garanzia",
            r"garantie",
            r"garantia",
        ),
        (),
    ),
    (
        "opening_hours",
        False,
        (
            r"opening (?:hours|times)|business hours|store hours|shop hours|holiday hours|"
            r"what time do you (?:open|close)|when (?:are|do) you (?:open|close)|"
            r"are you open|when is (?:the|your) (?:shop|store) open",
            r"öffnungszeit\w*|geschäftszeit\w*|geöffnet|wann (?:öffnet|öffnen|schließt|schließen)|"
            r"(?:habt|haben) (?:ihr|sie) (?:heute |morgen |am \w+ |sonntags? |samstags? )?(?:auf|offen)",
            r"horaires?|heures d'ouverture|êtes-vous ouverts?|à quelle heure (?:ouvrez|fermez)",
            r"horarios?|a qué hora (?:abren|cierran)|están abiertos|abren (?:hoy|mañana|el|los)",
            r"orari\w*|siete aperti|a che ora (?:aprite|chiudete)",
            r"openingstijd\w*|openingsuren|zijn jullie open|hoe laat (?:gaan jullie|sluiten|open)",
            r"horários?|horário de funcionamento|estão abertos|a que horas (?:abrem|fecham)",
        ),
        (
            r"opening|we are open|open (?:from|daily|every|on|\d)|closed on|geschlossen|fermé|cerrado|chiuso|"
            r"gesloten|fechado|(?:mon|tues|wednes|thurs|fri|satur|sun)days?|mon-fri|"
            r"montags?|freitags?|samstags?|sonntags?|lundi|samedi|dimanche|lunes|sábados?|domingos?|"
            r"lunedì|sabato|maandag|zaterdag|zondag|\d{1,2}(?::\d\d)?\s*(?:am|pm|uhr|h)",
        ),
    ),
    (
        "location",
        False,
        (
            r"where (?:are you|is your (?:shop|store|showroom|office|warehouse))|your address|"
            r"pick(?:\s|-)?up|pick (?:it|them) up|in person|collect (?:it|them|in store|from)|"
            r"click (?:and|&) collect|showroom|"
            r"visit (?:your|the) (?:shop|store)|physical (?:shop|store)",
            r"adresse|wo (?:seid ihr|sind sie|ist (?:euer|ihr) (?:laden|geschäft|shop))|abhol\w*|"
            r"selbstabhol\w*|ladengeschäft|vorbeikommen|standort\w*|filiale",
            r"où (?:êtes-vous|se trouve (?:votre|la) (?:boutique|magasin))|retrait|"
            r"retirer (?:en magasin|sur place)|boutique physique|passer (?:au|en) magasin",
            r"dirección|dónde (?:están|se encuentra|queda)|recog(?:er|ida)|tienda física|ubicación",
            r"indirizzo|dove (?:siete|si trova)|ritir(?:o|are)|negozio fisico|passare in negozio",
            r"adres\b|waar (?:zitten|zijn) jullie|afhal\w*|ophalen|fysieke winkel|locatie",
            r"endereço|morada|onde (?:fica|ficam|estão)|retirar na loja|retirada|recolha|loja física|"
            r"localização",
        ),
        (r"street|\w*straße|\w*strasse|rue|calle|\w*straat|rua|located|address",),
    ),
    (
        "contact",
        False,
        (
            r"contact\w*|phone number|e-?mail (?:address|you)|call you|reach you|customer service|"
            r"speak (?:to|with) (?:someone|a human|a person|the owner|the seller)|"
            r"talk to (?:someone|a human)",
            r"kontakt\w*|telefonnummer|anrufen|erreich(?:e|en) (?:ich|man)|kundenservice|kundendienst",
            r"contacter|numéro de téléphone|vous appeler|vous joindre|service client",
            r"contact(?:o|ar)|número de teléfono|llamar(?:les|os)?|atención al cliente|hablar con",
            r"contatt\w*|numero di telefono|chiamar(?:e|vi)|servizio clienti|parlare con",
            r"telefoonnummer|bellen|klantenservice|bereikbaar|spreken met",
            r"conta(?:c)?to|contactar|telefone|ligar para|atendimento|falar com",
        ),
        (r"phone|tel|telefon|téléphone|teléfono|telefono|e-?mail|whatsapp|\w+@\w+",),
    ),
    (
        "privacy",
        False,
        (
            r"privacy|personal data|gdpr|my data|data protection",
            r"datenschutz\w*|meine daten|dsgvo|persönlichen? daten",
            r"données personnelles|confidentialité|rgpd|mes données",
            r"privacidad|datos personales|mis datos",
            r"dati personali|riservatezza|miei dati",
            r"persoonsgegevens|mijn gegevens|\bavg\b",
            r"privacidade|dados pessoais|lgpd|meus dados",
        ),
        (r"cookies?|data|daten|données|datos|dati|gegevens|dados",),
    ),
    (
        "terms",
        False,
        (
            r"terms (?:and|&) conditions|t&cs?|terms of (?:sale|service)|store polic(?:y|ies)",
            r"\bagbs?\b|allgemeine geschäftsbedingungen",
            r"conditions générales|\bcgv\b",
            r"términos y condiciones|condiciones generales",
            r"termini e condizioni|condizioni generali",
            r"algemene voorwaarden",
            r"termos e condições|condições gerais",
        ),
        (),
    ),
    (
        "vouchers",
        False,
        (
            r"gift (?:card|voucher|certificate)s?|voucher|coupon|discount code|promo(?:tion(?:al)?)? code",
            r"gutschein\w*|rabattcode\w*",
            r"carte cadeau|bon d'achat|code promo",
            r"tarjeta regalo|cupón|código de descuento",
            r"buono regalo|codice sconto|coupon",
            r"cadeaubon|kortingscode|waardebon",
            r"vale-presente|cupão|cupom|código de desconto",
        ),
        (),
    ),
)

TOPICS: tuple[StoreTopic, ...] = tuple(
    StoreTopic(name, _rx(*asks), _rx(*asks, *about), bound) for name, bound, asks, about in _TABLE
)
TOPIC_NAMES = tuple(t.name for t in TOPICS)

# "the jacket's warranty", "the lamp's shipping": a product named by its possessive.
_POSSESSIVE = re.compile(r"\b(?:the|this|that|my) [\w-]+'s\s+(?:\w+\s+)?$", re.I)


def _normalise(text: str) -> str:
    return text.replace("\u2019", "'").replace("\u00a0", " ")


def store_topic(question: str, *, names_product: bool = False) -> str | None:
    """The store topic the question asks about, or None for a product question.

    `names_product`: the caller found a product named in the question, or the question points
    back at the product under discussion ("can I return it?"). Then returns, shipping and warranty
    are that product's own facts and give None; the other topics stay store questions."""
    text = _normalise(question)
    for topic in TOPICS:
        m = topic.asks.search(text)
        if m is None:
            continue
        if topic.product_bound and (names_product or _POSSESSIVE.search(text[: m.start()])):
            continue  # that part is the product's; another topic may still be the store's
        return topic.name
    return None


def topics_of(passage: str) -> frozenset[str]:
    """The store topics a passage of store information speaks about (its words, any language)."""
    text = _normalise(passage)
    return frozenset(t.name for t in TOPICS if t.about.search(text))
