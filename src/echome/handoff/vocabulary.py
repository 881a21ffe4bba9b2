"""How customers ask for a person, a discount, a custom order, say they are ready to buy, or
complain: phrase patterns per intent and language (en, de, fr, es, it, nl, pt), written from how
people write to a shop, not from any test or evaluation file.

Patterns are matched against `normalise(text)`: lower case, accents removed ("verkäufer" →
"verkaufer", "ß" → "ss"), typographic apostrophes straightened, whitespace collapsed. So they are
written without accents. Every language's patterns are tried on every message: customers mix
languages, and a phrase of one language rarely means something else in another.

Deliberately left out: questions the catalog or the store information answers ("is it on sale?",
"what is your return policy?", "do you have something cheaper?"). Discount phrases are not listed
here: they come from `answer.negotiation`, whose concepts also the composer reads.
"""

from __future__ import annotations

import re
import unicodedata

from echome.answer.negotiation import phrases as negotiation_phrases

HUMAN = "human"
DISCOUNT = "discount"
CUSTOM_ORDER = "custom_order"
COMPLAINT = "complaint"
READY_TO_BUY = "ready_to_buy"

_PEOPLE_EN = (
    r"human|person|people|someone|somebody|agent|representative|rep|operator|owner|seller|manager|"
    r"staff|employee|salesperson|sales person|customer (?:service|support)"
)

PHRASES: dict[str, dict[str, tuple[str, ...]]] = {
    HUMAN: {
        "en": (
            rf"(?:talk|speak|chat|get in touch)\s+(?:to|with)\s+(?:a |an |the |some )?"
            rf"(?:real |actual |live )?(?:{_PEOPLE_EN})",
            r"(?:real|actual|live)\s+(?:human|person|agent|people)",
            r"human\s+(?:being|agent|please|support)",
            r"(?:connect|transfer|put)\s+me\s+(?:to|through|with)",
            r"(?:i (?:want|need|would like|'d like)|can i (?:get|have)|give me)\s+(?:a |an )?"
            r"(?:human|person|agent|operator|representative)",
            r"(?:is there|are there)\s+(?:a |an )?(?:anyone|anybody|someone|somebody|human|person|"
            r"real person)\s+(?:there|i can talk to|to talk to|i can speak to)",
            r"(?:don't|do not|dont)\s+want\s+(?:to (?:talk|speak|chat) (?:to|with) )?(?:a |an |the )?"
            r"(?:bot|robot|ai|machine)",
            r"call me back|give me a call|phone me",
        ),
        "de": (
            r"mit\s+(?:einem|einer|ihrem|ihrer|dem|der)\s+(?:(?:echten|richtigen|realen|lebenden)\s+)?"
            r"(?:menschen|mitarbeiter(?:in)?|person|berater(?:in)?|verkaufer(?:in)?|inhaber(?:in)?|"
            r"chef(?:in)?|ansprechpartner(?:in)?)",
            r"mit\s+jemandem\s+(?:sprechen|reden|chatten)",
            r"(?:echte[nrs]?|richtige[nrs]?|reale[nrs]?)\s+(?:mensch(?:en)?|person)",
            r"(?:kundenservice|kundendienst)",
            r"(?:keine[nm]?|nicht mit (?:einem|einer))\s+(?:bot|roboter|ki|maschine)",
            r"(?:ruckruf|rufen sie mich)",
        ),
        "fr": (
            r"parler\s+(?:a|avec)\s+(?:un |une |le |la |votre )?(?:vrai |vraie )?"
            r"(?:humain|personne|conseiller|conseillere|vendeur|vendeuse|agent|operateur|operatrice|"
            r"responsable|proprietaire|gerant|gerante|quelqu.un)",
            r"(?:etre humain|vraie personne|vrai humain|personne reelle)",
            r"service client(?:ele)?",
            r"ne\s+veux\s+pas\s+(?:parler\s+)?(?:a|avec)\s+(?:un|une)\s+(?:robot|bot|machine|ia)",
            r"(?:rappelez-moi|me rappeler)",
        ),
        "es": (
            r"hablar\s+con\s+(?:una |un |el |la |su )?(?:persona|humano|ser humano|agente|asesor(?:a)?|"
            r"vendedor(?:a)?|encargad[oa]|duen[oa]|responsable|operador(?:a)?|alguien)",
            r"(?:persona real|ser humano|humano real|agente humano)",
            r"atencion al cliente",
            r"no\s+quiero\s+(?:hablar\s+con\s+)?(?:un|una)\s+(?:bot|robot|maquina)",
            r"(?:llamenme|me pueden llamar|me puede llamar)",
        ),
        "it": (
            r"parlare\s+con\s+(?:una |un |il |la |un vero |una vera )?(?:persona|umano|essere umano|"
            r"operatore|operatrice|addett[oa]|venditore|venditrice|responsabile|titolare|qualcuno)",
            r"(?:persona (?:vera|reale)|essere umano|operatore umano)",
            r"(?:servizio|assistenza) clienti",
            r"non\s+voglio\s+(?:parlare\s+con\s+)?(?:un|una)\s+(?:bot|robot|macchina)",
            r"(?:richiamatemi|mi richiamate|mi puo richiamare)",
        ),
        "nl": (
            r"met\s+(?:een|de|uw)\s+(?:echte?\s+)?(?:mens|persoon|medewerker|medewerkster|verkoper|"
            r"verkoopster|eigenaar)",
            r"met\s+iemand\s+(?:spreken|praten|chatten)",
            r"(?:echte?)\s+(?:mens|persoon)",
            r"klantenservice",
            r"geen\s+(?:bot|robot|computer)",
            r"(?:bel me|bel mij)(?: terug)?",
        ),
        "pt": (
            r"falar\s+com\s+(?:uma |um |o |a |o seu |a sua )?(?:pessoa|humano|ser humano|atendente|agente|"
            r"vendedor(?:a)?|responsavel|dono|dona|operador(?:a)?|alguem)",
            r"(?:pessoa real|ser humano|atendimento humano|atendente humano)",
            r"(?:atendimento ao cliente|servico de atendimento)",
            r"nao\s+quero\s+(?:falar\s+com\s+)?(?:um|uma)\s+(?:bot|robo|maquina)",
            r"(?:me liguem|liguem-me|me ligue)",
        ),
    },
    # Asking for a lower price: the negotiation concepts of `answer.negotiation` that say it on their
    # own (a quantity-conditioned "is it cheaper if I buy two?" is read there, see `triggers`).
    DISCOUNT: negotiation_phrases(),
    CUSTOM_ORDER: {
        "en": (
            r"custom(?:ised|ized|ise|ize|isation|ization|-made| made| orders?| sizes?| designs?| prints?| "
            r"colou?rs?| engraving)?",
            r"personali[sz]\w*",
            r"made to (?:order|measure)",
            r"bespoke|tailor-made|tailored",
            r"engrav\w*|monogram\w*",
            r"special order",
            r"(?:can|could) you make (?:me )?(?:one|a|an|it|them)",
            r"one-off",
        ),
        "de": (
            r"massanfertigung|sonderanfertigung|nach mass|auf mass|massgeschneidert",
            r"individuell\w*|personalisier\w*",
            r"gravur|gravier\w*",
            r"auf bestellung|sonderbestellung|sonderwunsch\w*",
            r"wunsch(?:grosse|farbe|motiv|text)",
            r"anfertigen",
        ),
        "fr": (
            r"sur mesure",
            r"personnalis\w*",
            r"commande (?:speciale|personnalisee)|fait sur commande|sur commande",
            r"gravure|graver",
            r"fabrication speciale",
        ),
        "es": (
            r"a medida",
            r"personaliza\w*",
            r"pedido especial|por encargo|hecho a pedido|bajo pedido",
            r"grabado|grabar",
            r"fabricacion especial",
        ),
        "it": (
            r"su misura",
            r"personalizza\w*",
            r"ordine speciale|su ordinazione",
            r"incisione|incidere",
            r"produzione speciale",
        ),
        "nl": (
            r"op maat|maatwerk",
            r"gepersonaliseerd\w*|personaliser\w*",
            r"speciale bestelling|op bestelling",
            r"graver\w*|gravure",
            r"laten maken",
        ),
        "pt": (
            r"sob medida|feito a medida",
            r"personaliza\w*",
            r"encomenda especial|por encomenda|sob encomenda",
            r"gravacao|gravar",
            r"fabricacao especial",
        ),
    },
    # Ready to buy: the sale is the seller's to close (payment, delivery, the order itself).
    READY_TO_BUY: {
        "en": (
            r"\bi(?:'ll| will) take (?:it|them|one|two|three|the\b)",
            r"(?:i (?:want|would like|'d like)|i'm ready) to (?:buy|order|purchase)",
            r"how (?:can|do|could) i (?:buy|order|purchase|pay for)",
            r"where (?:can|do) i (?:buy|order|pay)",
            r"place an order|add (?:it|this|them) to (?:my |the )?(?:cart|basket)|check ?out",
        ),
        "de": (
            r"ich nehme (?:es|ihn|sie|das|den|die)\b",
            r"ich (?:mochte|will|wurde gern[e]?) (?:\w+ )?(?:bestellen|kaufen)",
            r"wie kann ich (?:\w+ )?(?:bestellen|kaufen|bezahlen)",
            r"bestellung aufgeben|in den warenkorb",
        ),
        "fr": (
            r"je (?:le|la|les) prends",
            r"je (?:veux|voudrais|souhaite) (?:le |la |les )?(?:commander|acheter)",
            r"comment (?:puis-je |je peux |faire pour )?(?:commander|acheter|payer)",
            r"passer (?:une )?commande|ajouter au panier",
        ),
        "es": (
            r"me (?:lo|la|los|las) (?:llevo|quedo)",
            r"(?:quiero|quisiera|me gustaria) (?:comprar|pedir|encargar)(?:lo|la|los|las)?",
            r"como (?:puedo )?(?:comprar|pedir|pagar|hacer (?:un|el) pedido)",
            r"hacer (?:un )?pedido|anadir al carrito",
        ),
        "it": (
            r"(?:lo|la|li|le) prendo",
            r"(?:voglio|vorrei) (?:comprar|ordinar|acquistar)\w*",
            r"come (?:posso )?(?:comprare|ordinare|acquistare|pagare)",
            r"fare (?:un )?ordine|aggiungere al carrello",
        ),
        "nl": (
            r"ik neem (?:het|hem|die|ze)\b",
            r"ik wil (?:\w+ )?(?:bestellen|kopen)",
            r"hoe kan ik (?:\w+ )?(?:bestellen|kopen|betalen)",
            r"bestelling plaatsen|in (?:de|mijn) winkelwagen",
        ),
        "pt": (
            r"vou (?:levar|ficar com)",
            r"(?:quero|queria|gostaria de) (?:comprar|encomendar|pedir)",
            r"como (?:posso )?(?:comprar|encomendar|pagar|fazer (?:uma|a) encomenda)",
            r"fazer (?:uma )?encomenda|adicionar ao carrinho",
        ),
    },
    COMPLAINT: {
        "en": (
            r"complain\w*",
            r"(?:want|need|get|request|demand|asking for|give me)\s+(?:a |my |the )?(?:refund|money back)",
            r"refund (?:me|my)|chargeback",
            r"(?:arrived|came|is|was|are|were|got|it's|its|they're|been delivered)\s+(?:already\s+)?"
            r"(?:broken|damaged|defective|faulty|torn|ripped|scratched)",
            r"(?:doesn't|does not|didn't|did not) work|stopped working",
            r"never (?:arrived|came|received|got)",
            r"(?:hasn't|has not|haven't|have not|didn't|did not|still not|still haven't)\s+"
            r"(?:arrived|come|received|got(?:ten)?)",
            r"still waiting for (?:my|the) (?:order|parcel|package|delivery|refund)",
            r"wrong (?:item|size|colou?r|product|order|parcel|package)",
            r"missing (?:items?|parts?|pieces?)",
            r"terrible|awful|unacceptable|disappointed|disappointing",
            r"scam\w*|ripped off|rip-off",
        ),
        "de": (
            r"beschwer\w*|reklamation\w*|reklamier\w*",
            r"(?:mochte|will|verlange|fordere)\s+(?:eine |meine |mein )?"
            r"(?:ruckerstattung|erstattung|geld zuruck)",
            r"kaputt|beschadigt|defekt",
            r"funktioniert nicht|geht nicht mehr",
            r"nie angekommen|nicht angekommen|noch nicht (?:angekommen|da|erhalten)|nicht erhalten",
            r"falsche[nrs]? (?:artikel|grosse|farbe|ware|paket|lieferung)",
            r"enttauscht|unverschamt|inakzeptabel",
            r"betrug|abzocke",
        ),
        "fr": (
            r"plaintes?|reclamations?|me plaindre",
            r"(?:veux|voudrais|exige|demande)\s+(?:etre |un |le |mon )?rembours\w*|remboursez-moi",
            r"casse[es]?|endommage\w*|defectueu\w*",
            r"ne (?:fonctionne|marche) (?:pas|plus)",
            r"jamais (?:recu|arrive)\w*|(?:pas|toujours pas) (?:encore )?(?:recu|arrive)\w*",
            r"mauvaise? (?:article|taille|couleur|produit|colis)",
            r"decue?s?|inadmissible|inacceptable",
            r"arnaque|escroquerie",
        ),
        "es": (
            r"quej\w*|reclamacion\w*|reclamo",
            r"(?:quiero|exijo)\s+(?:un |el |mi )?reembolso|devuelvan(?:me)? (?:mi |el )?dinero",
            r"rot[oa]s?|danad[oa]s?|defectuos\w*",
            r"no funciona",
            r"nunca (?:llego|recibi)|no (?:ha llegado|me ha llegado|llego|he recibido|recibi)",
            r"todavia no (?:llega|ha llegado|recibo)",
            r"(?:articulo|talla|color|producto|paquete) equivocad\w*",
            r"decepcionad\w*|inaceptable",
            r"estafa",
        ),
        "it": (
            r"reclam\w*|lamentel\w*|lamentarmi",
            r"(?:voglio|vorrei|chiedo|pretendo)\s+(?:un |il )?rimborso|rimborsatemi",
            r"rott[oaie]|danneggiat\w*|difettos\w*",
            r"non funziona",
            r"mai arrivat\w*|non (?:e )?(?:ancora )?arrivat\w*|non (?:ho )?(?:ancora )?ricevut\w*",
            r"(?:articolo|taglia|colore|prodotto|pacco) sbagliat\w*",
            r"delus\w*|inaccettabile|vergogna",
            r"truffa",
        ),
        "nl": (
            r"klacht\w*|klagen",
            r"(?:wil|eis)\s+(?:mijn )?geld terug|terugbetaling (?:wil|eis)",
            r"kapot|beschadigd|defect",
            r"werkt niet",
            r"nooit aangekomen|niet (?:aangekomen|ontvangen)",
            r"nog (?:steeds )?niet (?:aangekomen|ontvangen|binnen)",
            r"verkeerde (?:artikel|maat|kleur|product|pakket)",
            r"teleurgesteld|onacceptabel",
            r"oplicht\w*",
        ),
        "pt": (
            r"reclama\w*",
            r"(?:quero|exijo)\s+(?:um |o |meu )?(?:reembolso|dinheiro de volta)",
            r"quebrad\w*|danificad\w*|defeituos\w*",
            r"nao funciona",
            r"nunca (?:chegou|recebi)|(?:ainda )?nao (?:chegou|recebi)",
            r"(?:artigo|tamanho|cor|produto|encomenda) errad\w*",
            r"decepcionad\w*|inaceitavel",
            r"golpe|burla",
        ),
    },
}

_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", "`": "'"})


def normalise(text: str) -> str:
    """Lower case without accents, straight apostrophes and single spaces (what PHRASES are written for)."""
    folded = unicodedata.normalize("NFKD", text.casefold().replace("ß", "ss").translate(_APOSTROPHES))
    plain = "".join(ch for ch in folded if not unicodedata.combining(ch))
    return " ".join(plain.split())


def _compile(patterns: dict[str, tuple[str, ...]]) -> re.Pattern[str]:
    alternatives = "|".join(f"(?:{p})" for lang in patterns.values() for p in lang)
    return re.compile(rf"(?<![\w'])(?:{alternatives})(?![\w])")


_COMPILED = {intent: _compile(by_language) for intent, by_language in PHRASES.items()}


def find(intent: str, normalised: str) -> str | None:
    """The words of `normalised` (see `normalise`) that say `intent`, or None."""
    m = _COMPILED[intent].search(normalised)
    return m.group(0) if m else None


def intents_in(text: str) -> dict[str, str]:
    """Every intent the text says, with the words that say it."""
    norm = normalise(text)
    return {intent: hit for intent in PHRASES if (hit := find(intent, norm)) is not None}
