"""What a customer's question asks for, in the seven catalog languages (en, de, fr, es, it, nl, pt):
a price, stock, options, a price comparison, a bargain, or one of the catalog's labelled facts.

Each pattern is a documented vocabulary, not a list tuned to one catalog: the words shoppers use for
the thing asked, with German compounds matched by their last part ("Flaschengrößen" asks for sizes).
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable
from decimal import Decimal
from typing import Any

from echome.answer.negotiation import read as read_haggle
from echome.answer.price_range import price_range
from echome.knowledge.lookup import FUNCTION_WORDS, fold

_PRICE = re.compile(
    r"\b(price|prices|priced|cost|costs|how much|expensive|cheap|cheaper|cheapest|pay|preis|preise|"
    r"kostet|kosten|wie viel|wieviel|teuer|teurer|günstig|günstiger|billiger|prix|coûte|combien|"
    r"moins cher|precio|cuesta|cuánto|cuanto|más barato|prezzo|costa|quanto|più economico|prijs|kost|"
    r"hoeveel|goedkoper|preço|custa|mais barato)\b|[$€£]",
    re.I,
)
_CHEAPER = re.compile(
    r"\b(cheaper|cheapest|less expensive|more expensive|günstiger|billiger|teurer|moins cher|plus cher|"
    r"más barato|más caro|più economico|più caro|goedkoper|duurder|mais barato|mais caro)\b",
    re.I,
)
_STOCK = re.compile(
    r"\b(stock|available|availability|in store|sold out|have any left|left|how many|auf lager|lagernd|"
    r"vorrätig|verfügbar|lieferbar|en stock|disponible|disponibles|en existencia|disponibile|"
    r"disponibili|op voorraad|beschikbaar|em estoque|disponível)\b",
    re.I,
)
_HOW_MANY = re.compile(
    r"\b(how many|left|wie viele|noch|combien|cuántos|cuantos|quanti|quante|hoeveel|quantos|quantas)\b", re.I
)
_OPTIONS = re.compile(
    r"\b(size|sizes|colou?rs?|variants?|options?|versions?|comes? in|\w*größen?|\w*grössen?|\w*farben?|"
    r"variante|varianten|ausführung|taille|tailles|couleur|couleurs|talla|tallas|color|colores|taglia|"
    r"taglie|colore|colori|maat|maten|kleur|kleuren|tamanho|tamanhos|cor|cores)\b",
    re.I,
)
# The lowest or highest price of a kind of product (or of the whole shop): en, de, fr, es, it, nl, pt.
_LOWEST = re.compile(
    r"\b(cheapest|least expensive|lowest[- ]priced|lowest price|most affordable|billigste\w*|"
    r"günstigste\w*|preiswerteste\w*|moins ch[eè]re?s?|más barat[oa]s?|più economic[oaih]e?|"
    r"meno car[oaie]|goedkoopste|mais barat[oa]s?)\b",
    re.I,
)
_HIGHEST = re.compile(
    r"\b(most expensive|priciest|highest[- ]priced|highest price|teuerste\w*|plus ch[eè]re?s?|"
    r"más car[oa]s?|più car[oaie]|duurste|mais car[oa]s?)\b",
    re.I,
)
# Words of asking for a lower price, taken out of a question to find its subject (`subject_of`);
# whether a question asks for one is `answer.negotiation.read`.
_HAGGLE = re.compile(
    r"\b(coupon|promo code|voucher|discount code|(give|get|offer|make)( me| us)?( a| an)?( \d+\s?%)? "
    r"(discount|deal|better price|lower price)|lower (the )?price|best price|\d+\s?% (off|discount)|"
    r"free of charge|rabattcode|"
    r"gutschein|code promo|cupón|codice sconto|kortingscode|cupom)\b",
    re.I,
)

# What a question asks about → the catalog labels that answer it (unmapped columns are kept as
# labelled facts, "Manufacturer: Shure", "Condition: used", "Tier prices: ..."); en, de, fr, es, it, nl, pt.
_ASKS_FOR: tuple[tuple[re.Pattern[str], frozenset[str]], ...] = tuple(
    (re.compile(rf"\b(?:{asked})\b", re.I), frozenset(labels.split()))
    for asked, labels in (
        (
            r"who makes|who made|made by|brand|manufacturer|maker|vendor|supplier|hersteller|marke|"
            r"fabricant|marque|fabricante|marca|produttore|fabrikant|merk",
            "manufacturer brand vendor supplier maker hersteller marke",
        ),
        (
            r"condition|new or used|used or new|zustand|neu oder gebraucht|état|estado|condizione|staat",
            "condition zustand",
        ),
        (
            r"made of|made from|material|materials|fabric|aus welchem|woraus|material|matériau|en quoi|"
            r"tejido|de qué está hecho|materiale|di cosa|materiaal|waarvan|de que é feito",
            "material fabric made crafted blend composition",
        ),
        (
            r"dimensions?|how big|how large|how wide|how tall|measurements?|abmessungen|maße|wie groß|"
            r"größe des|taille de|medidas|dimensioni|afmetingen",
            "dimension dimensions width height depth length size weight",
        ),
        (
            r"how heavy|weighs?|weight|gewicht|wie schwer|wiegt|poids|pèse|peso|pesa|weegt",
            "weight gewicht poids peso",
        ),
        (
            r"what'?s in|what is in|what comes with|comes? with|included|includes|inside|contents?|"
            r"what do i get|lieferumfang|enthalten|inclus|contenu|incluye|incluido|contenido|incluso|"
            r"contenuto|inbegrepen|inhoud|incluído|conteúdo",
            "include includes included contents content contain contains comes inside lieferumfang "
            "enthalten inclus contenu incluye contenido incluso contenuto inbegrepen inhoud",
        ),
        (r"vat|sales tax|tax rate|mwst|mehrwertsteuer|tva|iva|btw", "tax vat rate"),
        (
            r"shipping|delivery|postage|versand|lieferung|livraison|envío|spedizione|verzending|frete",
            "shipping delivery",
        ),
        (
            r"discount|discounted|on sale|sale|on offer|reduced|old price|was price|special price|"
            r"reduziert|rabatt|im angebot|alte preis|alter preis|alten preis|statt|soldes?|promotion|"
            r"réduit|rebaja|rebajado|oferta|descuento|sconto|scontato|saldi|offerta|korting|aanbieding|"
            r"desconto|promoção",
            "sale reduced special",
        ),
        (
            r"buy (?:two|three|four|five|\d+)|if i (?:buy|order)|bulk|wholesale|quantity|per piece|tiers?|"
            r"volume|pro stück|\w*staffel\w*|mengenrabatt|wenn ich \d+|par quantité|por cantidad|"
            r"all'ingrosso|per stuk|por unidade",
            "tier tiers group",
        ),
        (
            r"per hour|per day|hourly|daily|rent|rental|book|booking|appointment|ticket|tickets|slot|"
            r"pro stunde|pro tag|miete|buchung|termin|par heure|par jour|location|por hora|por día|alquiler|"
            r"all'ora|al giorno|noleggio|per uur|per dag|huur|por dia|aluguel",
            "booking hourly daily ticket rental slot",
        ),
    )
)


# Asking whether the shop has something at all ("do you sell ...", "I'm looking for ...").
_AVAILABILITY = re.compile(
    r"\b(do you (?:sell|have|carry|stock|offer|make)|have you got|are you selling|(?:i'?m|i am) looking for|"
    r"looking for|i need|i want|i'?m after|where can i (?:find|buy|get)|is there any|any .{1,40} for sale|"
    r"verkaufen sie|haben sie|führen sie|gibt es bei ihnen|gibt es|habt ihr|ich suche|vendez-vous|avez-vous|"
    r"y a-t-il|hay|ci sono|zijn er|"
    r"vous avez|je cherche|venden|tienen|tienes|busco|vendete|avete|cerco|verkopen jullie|"
    r"hebben jullie|verkoopt u|heeft u|ik zoek|vocês vendem|vocês têm|vende|procuro)\b",
    re.I,
)


# Two or more capitalised words after the first: a product's proper name ("the Arctic Touchscreen
# Winter Gloves", "a Nike Air Max 90").
_PROPER_NAME = re.compile(r"(?<=\s)(?:[A-Z][\w'-]*\s+){1,}[A-Z0-9][\w'-]*")
# Question and helper words: a question with none of them is a bare noun phrase ("Nike Air Max 90?").
QUESTION_WORDS = frozenset(
    """is are was were do does did can could will would should may might has have how what which why
    where when who whose ist sind hat haben kann können wird wie was welche welcher warum wo wann wer
    est sont a ont peut comment quel quelle quels pourquoi où quand qui es son tiene puede cómo qué cuál
    por dónde cuándo quién è sono ha hanno può come quale perché dove quando chi kan heeft hoe wat welke
    waarom waar wanneer wie é são tem pode como qual porque onde quem""".split()  # noqa: SIM905
)


FOLDED_QUESTION_WORDS = frozenset(fold(w) for w in QUESTION_WORDS)  # as keyword tokens spell them


# A follow-up that says what it is about and not what it asks ("And the teal one?", "What about
# the matcha?", "Und in Blau?"): en, de, fr, es, it, nl, pt.
_FOLLOW_UP = re.compile(
    r"^\W*(?:and what about|and how about|what about|how about|and|und was ist mit|was ist mit|und|"
    r"et pour|et|y qué tal|y que tal|y|e quanto a|e|en wat dacht je van|en|e o|e a)\b\s*",
    re.I,
)
MAX_FOLLOW_UP_WORDS = 7


def follow_up(question: str, previous: str | None) -> str:
    """The question a follow-up means: "And the teal one?" after "How much is the red one?" asks
    "how much" of the teal one, so it is read as "how much the teal one?". Any other question, or a
    follow-up to a question that asked nothing the patterns know, is returned as it is."""
    m = _FOLLOW_UP.match(question)
    if m is None or previous is None or len(question.split()) > MAX_FOLLOW_UP_WORDS:
        return question
    asks_itself = asks_typed_facts(question) or bool(_AVAILABILITY.search(question) or asked_labels(question))
    if asks_itself or haggles(question):
        return question  # it asks something itself ("and how much is it in blue?")
    spans = [m_.group(0).strip() for p in (_AVAILABILITY, *_ASKED_PATTERNS) for m_ in p.finditer(previous)]
    asked = " ".join(dict.fromkeys(sp for sp in spans if sp))
    rest = question[m.end() :].strip()
    return f"{asked} {rest}" if asked and rest else question


# Words that frame "is it there?" around the thing asked for ("Gibt es ...", "Is there a ...", "Hay
# ..."), with the pronouns of the availability phrases ("Haben Sie", "Habt ihr"): en, de, fr, es, it,
# nl, pt.
_WHETHER_FRAME = frozenset(
    """there any some please still also gibt es sie ihr du noch auch welche il y a-t-il encore des
    hay algún alguna algunos algunas todavía ci sono c'è ancora er nog jullie u ainda algum alguma
    you we""".split()  # noqa: SIM905
) | frozenset(
    # how a message opens or joins on, not what it asks for ("Hi, do you have ...?", "ok and ...")
    """hi hello hey ok okay so well and also then hallo hey und dann bonjour salut alors et hola vale y
    entonces ciao allora e dus en olá oi então""".split()  # noqa: SIM905
)


def whether_words(question: str) -> list[str]:
    """What a question asking whether the shop has something asks for, once the asking is taken out
    ("Do you have the Wanderschuh?" → wanderschuh; "Haben Sie Dartpfeile?" → dartpfeile), as keyword
    words; [] when it is not such a question."""
    if not asks_availability(question):
        return []
    rest = _AVAILABILITY.sub(" ", question)
    return [
        w
        for w in (fold(t) for t in re.findall(r"[^\W_]+(?:[-'][^\W_]+)*", rest))
        if w not in FUNCTION_WORDS and w not in FOLDED_QUESTION_WORDS and w not in _WHETHER_FRAME
    ]


# "What do you sell?": a question about the whole shop, asked alone (a greeting before it aside; "what
# do you have in blue?" asks for something): en, de, fr, es, it, nl, pt.
_WHAT_IS_SOLD = re.compile(
    r"""^\W*(?:(?:hi|hello|hey|hallo|bonjour|salut|hola|ciao|hoi|ol[áa])\b\W*)?(?:so\s+|and\s+|und\s+)?(?:
      what\s+(?:do|can)\s+(?:you|i)\s+(?:sell|have|carry|offer|stock|buy)
    | what\s+(?:kinds?|sorts?|types?)\s+of\s+(?:products|things|items|stuff)\s+(?:do\s+you|can\s+i)\s+\w+
    | what\s+(?:products|items|things)\s+do\s+you\s+(?:have|sell|carry|offer)
    | what\s+(?:products|items|things)\s+are\s+(?:there|available|for\s+sale)
    | what(?:'s|\s+is)\s+(?:in\s+your\s+(?:shop|store|catalog(?:ue)?)|for\s+sale|on\s+offer)
    | what\s+have\s+you\s+got
    | show\s+me\s+(?:what\s+you\s+(?:have|sell|got)|your\s+(?:products|catalog(?:ue)?|range|items))
    | was\s+(?:verkaufen|haben|f[üu]hren|bieten)\s+(?:sie|ihr)(?:\s+(?:so|alles|an|im\s+angebot))*
    | was\s+(?:verkaufst|hast|bietest)\s+du(?:\s+(?:so|alles|an))*
    | was\s+gibt\s+es\s+(?:bei\s+(?:ihnen|euch|dir)|hier|im\s+shop)
    | welche\s+(?:produkte|artikel|sachen|waren)\s+(?:haben|verkaufen|f[üu]hren|bieten)\s+(?:sie|ihr)
    | qu'est-ce\s+que\s+vous\s+(?:vendez|avez|proposez)
    | que\s+(?:vendez|proposez)-vous
    | quels?\s+(?:produits|articles)\s+(?:avez|vendez|proposez)-vous
    | ¿?\s*qu[ée]\s+(?:vendes|venden|vende|tienes|tienen|ofrecen|ofreces)
    | ¿?\s*qu[ée]\s+(?:productos|art[íi]culos)\s+(?:tienes|tienen|vendes|venden|ofrecen)
    | (?:cosa|che\s+cosa)\s+(?:vendete|vendi|vende|avete|offrite)
    | che\s+(?:prodotti|articoli)\s+(?:avete|vendete|offrite)
    | wat\s+(?:verkopen|hebben)\s+jullie | wat\s+(?:verkoopt|heeft)\s+u | wat\s+verkoop\s+je
    | welke\s+(?:producten|artikelen)\s+(?:hebben|verkopen)\s+jullie
    | o\s+que\s+(?:voc[êe]s\s+)?(?:vendem|vende|t[êe]m|oferecem)
    | que\s+produtos\s+(?:voc[êe]s\s+)?(?:t[êe]m|vendem|oferecem)
    )(?:\s+(?:here|today|exactly|at\s+the\s+moment|right\s+now|hier|denn|ici|aqu[íi]|qui|hier|aqui))?\W*$""",
    re.I | re.X,
)


# Asking for advice on what to buy rather than for a thing: a gift, a recommendation, the popular ones
# (en, de, fr, es, it, nl, pt).
_RECOMMEND = re.compile(
    r"\b(?:recommend\w*|suggest\w*|best ?sellers?|most popular|what should i (?:buy|get)|empfehl\w*|"
    r"beliebteste\w*|recommand\w*|conseill\w*|recomiend\w*|recomendar\w*|consigli\w*|aanrad\w*|"
    r"aanbevel\w*|recomend\w*|geschenkideen?)\b"
    # a gift as what is sought ("a present for my dad", "gift ideas"), not as part of a thing's name
    # ("gift cards", "Tee Geschenk Set")
    r"|\b(?:gifts?|presents?|geschenke?|cadeaux?|regalos?|regali|cadeaus?|presentes?)"
    r"(?=\s+(?:ideas?|ideen|id(?:é|e)es|ideias|idee|for|f(?:ü|u)r|pour|para|per|voor)\b|\s*[?.!,]|\s*$)",
    re.I,
)


def asks_recommendation(question: str) -> bool:
    """Whether the question asks what to buy ("I need a present for my dad", "what do you recommend?")."""
    return _RECOMMEND.search(question) is not None


def asks_what_is_sold(question: str) -> bool:
    """Whether the question asks what the shop sells at all ("What do you sell?", "Was verkaufen
    Sie?", "¿Qué venden?"), nothing more specific."""
    return _WHAT_IS_SOLD.match(question.strip()) is not None


def asks_availability(question: str, *, by_name: bool = True) -> bool:
    """Whether the question asks if the shop has something, rather than about a product's details.
    A bare noun phrase ("Nike Air Max 90 in size 10?") asks that too, and so (`by_name`) does any
    question saying a proper name, for deciding whether the shop carries it; `by_name=False` when it
    decides what to tell of a product ("How big is the Pink Armchair?" asks its size, not its stock)."""
    if _AVAILABILITY.search(question) or (by_name and _PROPER_NAME.search(question)):
        return True
    said = question.split()
    return len(said) <= 8 and not any(w.strip("¿¡?,.!").lower() in QUESTION_WORDS for w in said)


_COUNT_WORDS = {
    "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "ten": 10, "twenty": 20, "zwei": 2, "drei": 3,
    "vier": 4, "fünf": 5, "zehn": 10, "deux": 2, "trois": 3, "dos": 2, "tres": 3, "due": 2, "tre": 3,
    "twee": 2, "drie": 3, "dois": 2, "duas": 2, "três": 3,
}  # fmt: skip
_PIECES = (
    r"x|pcs?|pieces?|items?|units?|of them|stück|stk|exemplare|pièces?|exemplaires|unidades|piezas|"
    r"pezzi|unità|stuks|exemplaren|peças"
)
_QUANTITY = re.compile(
    rf"\b(\d{{1,6}}|{'|'.join(_COUNT_WORDS)})\s*(?:{_PIECES})\b|\b(?:buy|order|get|take|kaufe|bestelle|"
    rf"nehme|achète|commande|compro|pido|ordino|prendo|koop|bestel|encomendo)\s+(\d{{1,6}}|"
    rf"{'|'.join(_COUNT_WORDS)})\b",
    re.I,
)


def asked_quantity(question: str) -> int | None:
    """How many pieces the customer means to buy ("if I order 50", "50 Stück", "two of them")."""
    m = _QUANTITY.search(question)
    if m is None:
        return None
    said = (m.group(1) or m.group(2)).lower()
    return int(said) if said.isdigit() else _COUNT_WORDS.get(said)


def tier_stated(question: str, said: Collection[Decimal], products: Iterable[Any]) -> bool:
    """Whether a reply the composer did not write (a model's) answered a request for a lower price
    for buying more from the catalog: it states a tier price of a product it is about (the tier the
    asked quantity reaches; any tier when no quantity was named). `said`: the reply's numbers."""
    haggle = read_haggle(question)
    if haggle is None or haggle.kind != "quantity":
        return False
    quantity = asked_quantity(question)
    for p in products:
        tiers = [p.tier_for(quantity)] if quantity else list(p.tiers)
        if any(t is not None and t[1] in said for t in tiers):
            return True
    return False


def asks_price(question: str) -> bool:
    """Asks a price, or whether something is in a price range ("is the X under 60?")."""
    return bool(_PRICE.search(question)) or price_range(question) is not None


def asks_typed_facts(question: str) -> bool:
    """Whether the question asks what the records type: a price, stock, the options."""
    return asks_price(question) or asks_stock(question) or asks_options(question)


def price_extreme(question: str) -> str | None:
    """ "low" for "what's your cheapest teapot?", "high" for "the most expensive one", else None."""
    if _LOWEST.search(question):
        return "low"
    return "high" if _HIGHEST.search(question) else None


def compares_price(question: str) -> bool:
    return bool(_CHEAPER.search(question))


def asks_stock(question: str) -> bool:
    return bool(_STOCK.search(question))


def asks_count(question: str) -> bool:
    return bool(_HOW_MANY.search(question))


def asks_options(question: str) -> bool:
    return bool(_OPTIONS.search(question))


def haggles(question: str) -> bool:
    """Whether the question asks for a lower price than listed (`answer.negotiation`)."""
    return read_haggle(question) is not None


def asked_labels(question: str) -> frozenset[str]:
    """The catalog labels whose facts answer the question ("made of" → material, fabric)."""
    out: set[str] = set()
    for asked, labels in _ASKS_FOR:
        if asked.search(question):
            out |= labels
    return frozenset(out)


# Words a shopper uses around the thing they want, not for it ("do you sell ...", "I'm looking for a
# gift ..."): en, de, fr, es, it, nl, pt.
SHOPPING_WORDS = frozenset(
    """sell sells selling sold carry carries have has got buy buying order ordering need want wanted
    looking look find offer offers range kind kinds type types sort sorts something anything thing things
    stuff product products item items store shop shops online also still too any some all every other else
    gift present recommend suggest best good nice popular new like would could should please thanks
    thank hi hello hey ok okay yes yeah yep alright there here what which who where when why how much
    many whether get available tell show about info information details detail more
    erzähl erzählen erzählt zeig zeigen infos informationen mehr über parlez parle dites montrez
    informations plus háblame cuéntame muéstrame información más parlami dimmi mostrami informazioni
    più vertel vertellen informatie meer fale conte mostre informações mais
    verkaufen verkauft führen führt haben habt gibt suche suchen kaufen bestellen brauche möchte
    irgendwelche etwas produkt produkte artikel laden geschenk empfehlen auch noch bitte danke hallo
    vendez vendre avez cherche chercher acheter commander besoin voudrais produit produits article
    articles boutique cadeau recommander aussi bonjour merci
    venden vender tienen tiene busco buscar comprar pedir necesito quiero producto productos artículo
    artículos tienda regalo recomendar también hola gracias
    vendete vendere avete cerco cercare comprare ordinare bisogno vorrei prodotto prodotti articolo
    articoli negozio regalo consigliare anche ciao grazie
    verkopen verkoop hebben heeft zoek zoeken kopen bestellen nodig wil product producten artikel
    winkel cadeau aanraden ook hallo bedankt
    vendem vender têm tem procuro procurar comprar encomendar preciso quero produto produtos artigo
    artigos loja presente recomendar também olá obrigado
    do does did doing you your yours i me my we our us can may might is are am be sie ihr wir du dich
    mir mich uns euch vous je tu nous me moi usted ustedes yo nosotros lei voi io noi u jij jullie wij
    ik você vocês eu nós""".split()  # noqa: SIM905
)
# "I'll take the gloves": how a shopper buys ("how long does it take?" asks something else).
_TAKING = re.compile(r"\bi(?:'ll|\u2019ll| will|'d|\u2019d| would) take\b", re.I)
_ASKED_PATTERNS = (
    _TAKING,
    _LOWEST,
    _HIGHEST,
    _PRICE,
    _CHEAPER,
    _STOCK,
    _HOW_MANY,
    _OPTIONS,
    _HAGGLE,
    *(p for p, _ in _ASKS_FOR),
)


def subject_of(question: str) -> str:
    """What the question asks for, without how it asks ("Do you sell iPhone 15 cases, and how much
    are they?" → "you iPhone 15 cases, and are they?"; function words are dropped by the tokenizer)."""
    text = question
    for pattern in _ASKED_PATTERNS:
        text = pattern.sub(" ", text)
    kept = [
        w
        for w in text.split()
        if (bare := w.strip(".,;:!?¿¡\"'()").lower().replace("\u2019", "'")) not in SHOPPING_WORDS
        and bare not in FUNCTION_WORDS
        and bare not in QUESTION_WORDS  # "welche", "quels": how it asks, in any of the seven
        and not _contracted(bare)
    ]
    return " ".join(kept)


_CLITICS = frozenset(("m", "re", "ve", "d", "ll", "s"))
_ASKING = frozenset(("it", "that", "there", "what", "here"))


def _contracted(word: str) -> bool:
    """An English contraction of how the question asks ("I'm", "you're", "it's"), not a word of what
    it asks for ("Dana's" stays; a negation, "doesn't bark", says something of it)."""
    head, sep, tail = word.partition("'")
    asking = head in FUNCTION_WORDS or head in SHOPPING_WORDS or head in _ASKING
    return bool(sep) and tail in _CLITICS and asking
