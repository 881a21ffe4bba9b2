"""The phrase tables of `answer.phrasing`: each language's fixed sentences (`Table`), month names and
option labels. Data only; the wording rules are in `answer/phrasing.py`'s docstring."""

from __future__ import annotations

from dataclasses import dataclass

MONTHS = {
    "en": "January February March April May June July August September October November December",
    "de": "Januar Februar März April Mai Juni Juli August September Oktober November Dezember",
    "fr": "janvier février mars avril mai juin juillet août septembre octobre novembre décembre",
    "es": "enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre diciembre",
    "it": "gennaio febbraio marzo aprile maggio giugno luglio agosto settembre ottobre novembre dicembre",
    "nl": "januari februari maart april mei juni juli augustus september oktober november december",
    "pt": "janeiro fevereiro março abril maio junho julho agosto setembro outubro novembro dezembro",
}

# Option labels said in the reply's language (a German catalog's "Farbe" in an English reply is
# "colour"); the first word of each list is how the language says it. Values are never translated.
OPTION_LABELS: dict[str, dict[str, tuple[str, ...]]] = {
    "size": {"en": ("size",), "de": ("Größe", "Grösse"), "fr": ("taille",), "es": ("talla", "tamaño"),
             "it": ("taglia", "misura"), "nl": ("maat",), "pt": ("tamanho",)},
    "colour": {"en": ("colour", "color"), "de": ("Farbe",), "fr": ("couleur",), "es": ("color",),
               "it": ("colore",), "nl": ("kleur",), "pt": ("cor",)},
    "material": {"en": ("material",), "de": ("Material",), "fr": ("matière", "matériau"),
                 "es": ("material",), "it": ("materiale",), "nl": ("materiaal",), "pt": ("material",)},
    "length": {"en": ("length",), "de": ("Länge",), "fr": ("longueur",), "es": ("largo", "longitud"),
               "it": ("lunghezza",), "nl": ("lengte",), "pt": ("comprimento",)},
    "width": {"en": ("width",), "de": ("Breite",), "fr": ("largeur",), "es": ("ancho",),
              "it": ("larghezza",), "nl": ("breedte",), "pt": ("largura",)},
    "flavour": {"en": ("flavour", "flavor"), "de": ("Geschmack", "Sorte"), "fr": ("goût", "parfum"),
                "es": ("sabor",), "it": ("gusto",), "nl": ("smaak",), "pt": ("sabor",)},
}  # fmt: skip


@dataclass(frozen=True)
class Table:
    """One language's sentences. `{name}` is the product name, `{subject}` the name as a sentence's
    subject (see `Phrases._subject`); `(one, other)` pairs are singular and plural."""

    greeting: str
    greeting_name: str
    no_catalog: str
    offer_handoff: str
    no_policy: str
    not_carried: str
    prices_as_listed: str
    ask_which_product: str
    price: str
    price_range: str
    sale: str
    sale_until: str
    tier: tuple[str, str]  # price per piece from a quantity: (one piece, several)
    in_stock: str
    in_stock_count: tuple[str, str]
    sold_out: str
    comes_in: str
    option_joiner: str
    one_version: str
    about: str
    customer_answered: str
    customer_wrote: str
    closing: str
    list_and: str
    no_detail: str  # a product we sell, asked about a detail the catalog does not hold
    listed_as: str  # options asked of a product without variants: its full catalog name
    not_listed_in: str  # the option values asked for exist, but not together
    cheaper: str
    sale_ended: str
    which_one: str  # a name that fits several products
    do_you_mean: str  # a product the question nearly names (`Evidence.near`), before its facts
    extreme: tuple[str, str]  # the lowest- and the highest-priced product of what was asked for
    how_can_i_help: str  # after a greeting alone, or "can you help me?" (`answer.small_talk`)
    welcome: tuple[str, str]  # after thanks or goodbye: "You're welcome!", a wish for the day
    assistant: str  # "are you a bot?": always the truth
    sells: tuple[str, str]  # "what do you sell?": (the whole list, part of it) of categories or products
    closest: str  # not carried, as the shopper said it; the products nearest in meaning (`nearest_kind`)
    suits: str  # "a present, she likes gold": the products that fit (`assortment.suited`)


TABLES: dict[str, Table] = {
    "en": Table(
        "Hi!", "Hi, {name}!",
        "I don't have that in my catalog, and I'd rather not guess.",
        "Shall I pass your question on so {persona} can answer you personally?",
        "I don't have that information.", "Sorry, we don't carry that.",
        "I can only offer the prices listed in my catalog.",
        "Tell me which product you have in mind and I'll give you its price.",
        "{subject} is {price}.", "from {low} to {high}",
        "{subject} is on sale at {price} instead of {old_price}.",
        "{subject} is on sale at {price} instead of {old_price} until {date}.",
        ("{price} each from {qty} piece", "{price} each from {qty} pieces"),
        "{subject} is in stock.", ("{subject} is in stock ({n} available).",) * 2,
        "{subject} is sold out.", "{subject} comes in {options}.", " and in ",
        "{subject} comes in one version only.", "About the {name}:",
        "A customer answered:", "One customer wrote:", "Anything else I can help with?", "and",
        "I don't have that detail about the {name} in my catalog.", "I have it listed as {name}.",
        "{subject} isn't listed in {values}.", "So the {name} is the cheaper one.",
        "The sale on the {name} ended on {date}; it is {price} now.",
        "I have a few of those: {names}. Which one do you mean?",
        "Do you mean the {name}?",
        ("The lowest-priced one I have is the {name}.", "The highest-priced one I have is the {name}."),
        "What can I help you find today?", ("You're welcome!", "Have a great day."),
        "I'm {persona}'s AI assistant: I answer questions about the products in the catalog and pass "
        "everything else on to {persona}.",
        ("Here is what I sell: {things}.", "Here is some of what I sell: {things}."),
        "Nothing in my catalog is listed as {thing}. The closest I have: {names}.",
        "These might suit: {things}.",
    ),
    "de": Table(
        "Hallo!", "Hallo {name}!",
        "Dazu finde ich nichts in meinem Katalog, und raten möchte ich nicht.",
        "Soll ich Ihre Frage an {persona} weitergeben, damit Sie eine persönliche Antwort bekommen?",
        "Diese Information habe ich leider nicht.", "Das führen wir leider nicht.",
        "Ich kann nur die Preise aus meinem Katalog anbieten.",
        "Sagen Sie mir, welchen Artikel Sie meinen, dann nenne ich Ihnen den Preis.",
        "{subject} kostet {price}.", "zwischen {low} und {high}",
        "{subject} ist gerade reduziert: {price} statt {old_price}.",
        "{subject} ist bis {date} reduziert: {price} statt {old_price}.",
        ("{price} pro Stück ab {qty} Stück",) * 2,
        "{subject} ist auf Lager.", ("{subject} ist auf Lager ({n} Stück verfügbar).",) * 2,
        "{subject} ist leider ausverkauft.", "{subject} gibt es in {options}.", " und in ",
        "{subject} gibt es nur in einer Ausführung.", "Infos zu {name}:",
        "Ein Kunde hat geantwortet:", "Ein Kunde schrieb:", "Kann ich sonst noch helfen?", "und",
        "Diese Angabe zu {name} habe ich leider nicht in meinem Katalog.",
        "Im Katalog heißt der Artikel „{name}“.", "{subject} gibt es nicht in {values}.",
        "Am günstigsten ist also {name}.",
        "Die Aktion für {name} ist am {date} abgelaufen; der Preis ist jetzt {price}.",
        "Dazu habe ich mehrere Artikel: {names}. Welchen meinen Sie?",
        "Meinen Sie „{name}“?",
        ("Am günstigsten ist „{name}“.", "Am teuersten ist „{name}“."),
        "Wobei kann ich Ihnen helfen?", ("Gern geschehen!", "Einen schönen Tag noch."),
        "Ich bin der KI-Assistent von {persona}: Ich beantworte Fragen zu den Produkten im Katalog "
        "und gebe alles andere an {persona} weiter.",
        ("Das finden Sie bei mir: {things}.", "Unter anderem finden Sie bei mir: {things}."),
        "Nicht als solches im Sortiment: {thing}. Am nächsten kommt: {names}.",
        "Das könnte passen: {things}.",
    ),
    "fr": Table(
        "Bonjour !", "Bonjour {name} !",
        "Je ne trouve pas cela dans mon catalogue et je préfère ne pas deviner.",
        "Voulez-vous que je transmette votre question à {persona}, qui vous répondra personnellement ?",
        "Je n'ai malheureusement pas cette information.",
        "Malheureusement, nous ne proposons pas cet article.",
        "Je ne peux proposer que les prix de mon catalogue.",
        "Dites-moi quel article vous intéresse et je vous donne son prix.",
        "{subject} coûte {price}.", "entre {low} et {high}",
        "{subject} est en promotion : {price} au lieu de {old_price}.",
        "{subject} est en promotion jusqu'au {date} : {price} au lieu de {old_price}.",
        ("{price} l'unité à partir de {qty} pièce", "{price} l'unité à partir de {qty} pièces"),
        "{subject} est en stock.",
        ("{subject} est en stock ({n} disponible).", "{subject} est en stock ({n} disponibles)."),
        "{subject} est malheureusement en rupture de stock.", "{subject} existe en {options}.", " et en ",
        "{subject} existe en une seule version.", "À propos {de}{name} :",
        "Un client a répondu :", "Un client a écrit :", "Puis-je vous aider pour autre chose ?", "et",
        "Je n'ai pas cette information sur {name} dans mon catalogue.",
        "Dans mon catalogue, l'article s'appelle « {name} ».", "{subject} n'existe pas en {values}.",
        "Le prix le plus bas est donc celui de {name}.",
        "La promotion sur {name} s'est terminée le {date} ; le prix est maintenant de {price}.",
        "J'ai plusieurs articles qui correspondent : {names}. Lequel voulez-vous dire ?",
        "Voulez-vous dire « {name} » ?",
        ("Le prix le plus bas est celui de « {name} ».", "Le prix le plus élevé est celui de « {name} »."),
        "Comment puis-je vous aider ?", ("Avec plaisir !", "Bonne journée."),
        "Je suis l'assistant IA de {persona} : je réponds aux questions sur les produits du catalogue "
        "et je transmets tout le reste à {persona}.",
        ("Voici ce que je vends : {things}.", "Voici une partie de ce que je vends : {things}."),
        "Pas dans notre catalogue en tant que tel : {thing}. Le plus proche : {names}.",
        "Ceci pourrait convenir : {things}.",
    ),
    "es": Table(
        "¡Hola!", "¡Hola, {name}!",
        "No encuentro eso en mi catálogo y prefiero no adivinar.",
        "¿Quiere que le pase su pregunta a {persona} para que le responda personalmente?",
        "No tengo esa información.", "Lo siento, no tenemos ese producto.",
        "Solo puedo ofrecer los precios de mi catálogo.",
        "Dígame qué producto le interesa y le digo su precio.",
        "{subject} cuesta {price}.", "entre {low} y {high}",
        "{subject} está en oferta: {price} en vez de {old_price}.",
        "{subject} está en oferta hasta el {date}: {price} en vez de {old_price}.",
        ("{price} por unidad a partir de {qty} unidad", "{price} por unidad a partir de {qty} unidades"),
        "{subject} está disponible.",
        ("{subject} está disponible (queda {n}).", "{subject} está disponible (quedan {n})."),
        "{subject} está sin stock en este momento.", "{subject} está disponible en {options}.", " y en ",
        "{subject} solo está disponible en una versión.", "Sobre {name}:",
        "Un cliente respondió:", "Un cliente escribió:", "¿Le puedo ayudar en algo más?", "y",
        "No tengo ese dato sobre {name} en mi catálogo.", "En mi catálogo figura como «{name}».",
        "{subject} no está disponible en {values}.", "El precio más bajo es, por tanto, el de {name}.",
        "La oferta de {name} terminó el {date}; ahora cuesta {price}.",
        "Tengo varios: {names}. ¿Cuál de ellos busca?",
        "¿Se refiere a «{name}»?",
        ("El precio más bajo es el de «{name}».", "El precio más alto es el de «{name}»."),
        "¿En qué puedo ayudarle?", ("¡De nada!", "Que tenga un buen día."),
        "Soy el asistente de IA de {persona}: respondo preguntas sobre los productos del catálogo y "
        "paso todo lo demás a {persona}.",
        ("Esto es lo que vendo: {things}.", "Esto es parte de lo que vendo: {things}."),
        "No lo tenemos como tal: {thing}. Lo más parecido: {names}.",
        "Esto podría encajar: {things}.",
    ),
    "it": Table(
        "Ciao!", "Ciao {name}!",
        "Non lo trovo nel mio catalogo e preferisco non tirare a indovinare.",
        "Vuole che inoltri la Sua domanda {a}{persona} per una risposta personale?",
        "Purtroppo non ho questa informazione.", "Mi dispiace, questo articolo non lo abbiamo.",
        "Posso offrire solo i prezzi del mio catalogo.",
        "Mi dica quale articolo Le interessa e Le dico il prezzo.",
        "{subject} costa {price}.", "da {low} a {high}",
        "{subject} è in offerta: {price} invece di {old_price}.",
        "{subject} è in offerta {until}: {price} invece di {old_price}.",
        ("{price} al pezzo da {qty} pezzo", "{price} al pezzo da {qty} pezzi"),
        "{subject} è disponibile.",
        ("{subject} è disponibile (ne resta {n}).", "{subject} è disponibile (ne restano {n})."),
        "{subject} al momento non è disponibile.", "{subject} è disponibile in {options}.", " e in ",
        "{subject} è disponibile in un'unica versione.", "Informazioni su {name}:",
        "Un cliente ha risposto:", "Un cliente ha scritto:", "Le serve altro?", "e",
        "Non ho questa informazione su {name} nel mio catalogo.",
        "Nel mio catalogo è indicato come «{name}».", "{subject} non è disponibile in {values}.",
        "Il prezzo più basso è quindi quello di {name}.",
        "L'offerta su {name} è terminata il {date}; ora costa {price}.",
        "Ne ho diversi: {names}. Quale intende?",
        "Intende «{name}»?",
        ("Il prezzo più basso è quello di «{name}».", "Il prezzo più alto è quello di «{name}»."),
        "Come posso aiutarla?", ("Prego!", "Buona giornata."),
        "Sono l'assistente IA di {persona}: rispondo alle domande sui prodotti del catalogo e passo "
        "tutto il resto {a}{persona}.",
        ("Ecco cosa vendo: {things}.", "Ecco una parte di ciò che vendo: {things}."),
        "Non in catalogo come tale: {thing}. La cosa più simile: {names}.",
        "Questi potrebbero andare bene: {things}.",
    ),
    "nl": Table(
        "Hallo!", "Hallo {name}!",
        "Dat staat niet in mijn catalogus en ik ga liever niet gokken.",
        "Zal ik uw vraag doorsturen naar {persona}, zodat u een persoonlijk antwoord krijgt?",
        "Die informatie heb ik helaas niet.", "Helaas, dat verkopen wij niet.",
        "Ik kan alleen de prijzen uit mijn catalogus aanbieden.",
        "Laat me weten welk product u bedoelt, dan geef ik u de prijs.",
        "{subject} kost {price}.", "tussen {low} en {high}",
        "{subject} is in de aanbieding: {price} in plaats van {old_price}.",
        "{subject} is tot en met {date} in de aanbieding: {price} in plaats van {old_price}.",
        ("{price} per stuk vanaf {qty} stuk", "{price} per stuk vanaf {qty} stuks"),
        "{subject} is op voorraad.",
        ("{subject} is op voorraad ({n} stuk).", "{subject} is op voorraad ({n} stuks)."),
        "{subject} is helaas uitverkocht.", "{subject} is er in {options}.", " en in ",
        "{subject} is er maar in één uitvoering.", "Over {name}:",
        "Een klant antwoordde:", "Een klant schreef:", "Kan ik u nog ergens anders mee helpen?", "en",
        "Dat gegeven over {name} heb ik niet in mijn catalogus.", "In mijn catalogus staat het als '{name}'.",
        "{subject} is er niet in {values}.", "{name} is dus het goedkoopst.",
        "De aanbieding voor {name} is op {date} afgelopen; de prijs is nu {price}.",
        "Daar heb ik er een paar van: {names}. Welke bedoelt u?",
        "Bedoelt u '{name}'?",
        ("De laagste prijs heeft '{name}'.", "De hoogste prijs heeft '{name}'."),
        "Waarmee kan ik u helpen?", ("Graag gedaan!", "Nog een fijne dag."),
        "Ik ben de AI-assistent van {persona}: ik beantwoord vragen over de producten in de catalogus "
        "en geef al het andere door aan {persona}.",
        ("Dit verkoop ik: {things}.", "Dit is een deel van wat ik verkoop: {things}."),
        "Niet als zodanig in ons assortiment: {thing}. Het dichtst in de buurt: {names}.",
        "Dit zou kunnen passen: {things}.",
    ),
    "pt": Table(
        "Olá!", "Olá, {name}!",
        "Não encontro isso no meu catálogo e prefiro não adivinhar.",
        "Quer que eu encaminhe a sua pergunta para {persona}, que lhe responderá pessoalmente?",
        "Não tenho essa informação.", "Infelizmente, não vendemos esse produto.",
        "Só posso oferecer os preços do meu catálogo.",
        "Diga qual produto procura e informo o preço.",
        "{subject} custa {price}.", "entre {low} e {high}",
        "{subject} está em promoção: {price} em vez de {old_price}.",
        "{subject} está em promoção até {date}: {price} em vez de {old_price}.",
        ("{price} por unidade a partir de {qty} unidade", "{price} por unidade a partir de {qty} unidades"),
        "{subject} está disponível.",
        ("{subject} está disponível (resta {n}).", "{subject} está disponível (restam {n})."),
        "{subject} não está disponível neste momento.", "{subject} está disponível em {options}.", " e em ",
        "{subject} só está disponível numa única versão.", "Sobre {name}:",
        "Um cliente respondeu:", "Um cliente escreveu:", "Posso ajudar em mais alguma coisa?", "e",
        "Não tenho essa informação sobre {name} no meu catálogo.", "No meu catálogo aparece como «{name}».",
        "{subject} não está disponível em {values}.", "O preço mais baixo é, portanto, o de {name}.",
        "A promoção de {name} terminou em {date}; agora custa {price}.",
        "Tenho vários: {names}. Qual deles procura?",
        "Refere-se a «{name}»?",
        ("O preço mais baixo é o de «{name}».", "O preço mais alto é o de «{name}»."),
        "Em que posso ajudar?", ("De nada!", "Tenha um bom dia."),
        "Sou o assistente de IA de {persona}: respondo a perguntas sobre os produtos do catálogo e "
        "passo todo o resto a {persona}.",
        ("Isto é o que eu vendo: {things}.", "Isto é parte do que eu vendo: {things}."),
        "Não temos exatamente isso: {thing}. O mais parecido: {names}.",
        "Isto pode servir: {things}.",
    ),
}  # fmt: skip
