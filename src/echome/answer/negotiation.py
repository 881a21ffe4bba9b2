"""Asking for a lower price than the catalog lists (a discount, a deal, a better price for buying
more), in en, de, fr, es, it, nl, pt. A few negotiation *concepts* are combined by structure, so a
paraphrase is heard without its exact words being listed. The concepts come from how shoppers
bargain with a shop, not from any test or evaluation file.

The concepts, matched on `normalise(text)` (lower case, no accents, straight apostrophes):

  PUSH      asks outright for less than the list price: knock/shave/take <an amount> off; reduce,
            lower, drop, cut or bring down the price; come down; go lower; do/make/let/sell it
            cheaper or for less; would you take <amount>; <n>% off; negotiate, haggle, bargain,
            price match, meet halfway, open to offers; a coupon, voucher or promo code.
  DEAL      names a lower price as a thing to get: a discount, reduction, rebate, markdown, price
            break, money off, a better/best/bottom price or deal, a cheaper price or rate,
            do me a deal. Alone it is a request; with QUANTITY it asks about buying more.
  CHEAPER   only says "for less": cheaper, less, lower, save. Never alone (it is how comparisons
            and product searches are worded); with QUANTITY it asks about buying more.
  QUANTITY  a purchase of more than one: "if I buy two", "when ordering 10", "for both", "in bulk",
            "5 or more", "three of them".
  BULK      a price for quantities by name: bulk/wholesale/volume/trade pricing, multi-buy, bundle
            deal, "buy one get one", "3 for 2".

How they combine (`read`):
  "request"   PUSH anywhere, or DEAL without QUANTITY: only the seller can grant it.
  "quantity"  DEAL or CHEAPER together with QUANTITY, or BULK: a lower price for buying more. The
              catalog's own tier prices may state it; when the reply stated them (`answered_by`),
              the persona has answered and nothing is handed on; otherwise the seller decides.

Decided not to be negotiation (the catalog or the store information answers these):
  - a price question, also for a quantity: "how much is it?", "how much for two?"
  - a comparison of listed prices: "is A cheaper than B?", "which is cheaper?", "the cheapest" —
    CHEAPER followed by than/als/que/di/dan, or asked with "which", is a comparison
  - looking for a cheaper product: "do you have anything cheaper?", "a cheaper alternative"
  - whether a sale is on: "is it on sale / reduced / discounted?", "what was the old price?",
    "is there still a discount on it?" (a DEAL noun asked as the product's state, with no one
    and no condition it would be for: "is there a discount for students?" is a request),
    "is there a special price?" (the record's sale fields answer those; in English only: the
    other languages' "prix spécial", "Sonderpreis"... stay requests, as shoppers use them)
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

MAX_CHARS = 2000  # as much of a message as the answer pipeline reads

# Intents of the composer's reply that mean it stated the product's prices for quantities.
TIER_INTENTS = frozenset({"tier", "tier-prices"})
TIER_LINE = re.compile(r"^tier prices:", re.I)  # a product's tier prices as its chunks state them

_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", "`": "'"})


def normalise(text: str) -> str:
    """Lower case without accents, straight apostrophes and single spaces."""
    folded = unicodedata.normalize("NFKD", text.casefold().replace("ß", "ss").translate(_APOSTROPHES))
    plain = "".join(ch for ch in folded if not unicodedata.combining(ch))
    return " ".join(plain.split())


# -- building blocks ---------------------------------------------------------------------------
_MONEY = (
    r"(?:[$€£]\s?\d[\d.,]*|\d[\d.,]*\s?(?:[$€£]|%|percent|per cent|euros?|dollars?|bucks|quid|pounds?)|"
    r"\d[\d.,]*)"
)
# An amount taken off a price: "a bit", "something", "10%", "$5", "a few quid".
_SOME = (
    rf"(?:a (?:bit|little|tad|touch)(?: bit)?|a little something|something|anything|some|a few \w+|"
    rf"a couple of \w+|a tenner|a fiver|{_MONEY})"
)
_MORE_THAN_ONE = {
    "en": r"two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|thirty|forty|fifty|"
    r"a hundred|hundred|a dozen|dozen|a pair|a couple|a few|several|multiple|both|a set|a bunch|a lot|"
    r"lots|more",
    "de": r"zwei|drei|vier|funf|sechs|sieben|acht|neun|zehn|zwolf|zwanzig|funfzig|hundert|mehrere|"
    r"ein paar|beide|mehr",
    "fr": r"deux|trois|quatre|cinq|six|dix|douze|vingt|cinquante|cent|plusieurs|les deux|davantage",
    "es": r"dos|tres|cuatro|cinco|seis|diez|doce|veinte|cincuenta|cien|varios|varias|los dos|las dos|"
    r"ambos|ambas|mas",
    "it": r"due|tre|quattro|cinque|sei|dieci|dodici|venti|cinquanta|cento|diversi|diverse|alcuni|"
    r"alcune|entrambi|entrambe|piu",
    "nl": r"twee|drie|vier|vijf|zes|tien|twaalf|twintig|vijftig|honderd|meerdere|beide|meer",
    "pt": r"dois|duas|tres|quatro|cinco|seis|dez|doze|vinte|cinquenta|cem|varios|varias|ambos|ambas|mais",
}
_N = {lang: rf"(?:\d{{1,6}}|{words})" for lang, words in _MORE_THAN_ONE.items()}
# "for 2 years" is a duration, not a quantity bought.
_NOT_ITEMS = (
    r"(?!\s*(?:years?|months?|weeks?|days?|hours?|minutes?|nights?|jahre|monate|tage|ans|mois|jours|"
    r"anos|anni|mesi|giorni|jaar|maanden|dagen|meses|dias)\b)"
)

PUSH: dict[str, tuple[str, ...]] = {
    "en": (
        r"(?:knock|shave|chop|slash)\s+(?:\S+\s+){0,4}?off(?!-)",
        rf"(?:take|get|have|give|do)\s+(?:me |us )?{_SOME}\s+off(?!-)",
        r"(?:reduce|lower|drop|cut|decrease|slash|trim|shave|mark down|knock down)\s+"
        r"(?:the|your|its|that|this|our)\s+(?:\w+\s+){0,3}?(?:price|prices|quote)",
        r"(?:reduce|lower|drop|cut|decrease|slash) (?:the|your) (?:cost|total|bill)",
        r"(?:bring|get|knock|put|mark)\s+(?:the |your |its |that |this )?(?:price|cost|total)\s+down",
        r"come down(?: on| in| a| to| from| any|\?|$)",
        r"go (?:any |a (?:bit|little) |much )?lower",
        r"(?:do|make|let|sell|give)\s+(?:it|this|that|them|these|those|me|us)\b"
        r"(?:\s+(?!something|anything|another|other|one)\S+){0,3}?\s+"
        r"(?:cheaper|for less|at a lower price|at a discount)",
        r"(?:give|make|do|offer|get) (?:me |us )?(?:a |any )?special (?:price|deal|offer)",
        rf"(?:would|will|could|can) you (?:take|accept|do)\s+{_MONEY}"
        r"(?:\s+for|\s+instead|\s+tops|\s*\?|\s*$)",
        rf"(?:i'?ll|i will|i can|i could|i'?d|i would|can i)\s+(?:give you|pay|offer(?: you)?)\s+"
        rf"{_MONEY}\s+for\b",
        r"negotia\w*|haggl\w*|bargain (?:on|over|with|for)|(?:can|could) (?:we|i) bargain",
        r"price[- ]?match\w*|match (?:the|their|a|this|that|[a-z]+'s) price|"
        r"beat (?:the|their|that|this|any) price",
        r"(?:flexible|room|wiggle room) (?:on|with|about|in) (?:the |your )?price|open to offers|"
        r"(?:make|accept|take) (?:you |me )?(?:an |any )?offers?\b|or (?:best|nearest) offer|\bono\b|\bobo\b",
        r"meet (?:me )?(?:in the middle|halfway)",
        r"\d+\s?(?:%|percent|per cent) (?:off|discount)",  # a cut of one's own choosing
        r"your (?:best|lowest|final|last|bottom|very best) (?:price|offer|deal)",
        r"coupons?|vouchers?|promo(?:tional)?\s*codes?|discount\s*codes?|coupon\s*codes?|promo\b",
    ),
    "de": (
        r"rabattcode\w*|gutschein\w*|aktionscode\w*",
        r"verhandel\w*|verhandlungsbasis|\bvb\b|lasst sich (?:beim preis |uber den preis )?handeln",
        r"(?:billiger|gunstiger)\s+(?:machen|geben|lassen|anbieten|bekommen|verkaufen)",
        r"(?:mit dem |am )?preis\s+(?:(?:etwas|noch|was|ein bisschen|ein wenig)\s+){0,2}"
        r"(?:runter|nach unten|senken|reduzieren|nachlassen)",
        r"(?:geht|ist) (?:da |beim preis )?(?:noch )?(?:was|etwas) (?:am|beim) preis|letzter preis",
    ),
    "fr": (
        r"codes? promo|bons? de reduction|coupons?",
        r"negoci\w*|marchand\w*",
        r"faire un (?:prix|effort|geste)|geste commercial|baisser (?:le|votre) prix",
    ),
    "es": (
        r"cupon(?:es)?|codigos? (?:promocional(?:es)?|de descuento)",
        r"negoci\w*|regate\w*",
        r"hacer(?:me)? un precio|bajar(?:me)? (?:el|un poco el) precio|dejar(?:lo|mela|melo) mas barat[oa]",
    ),
    "it": (
        r"coupon|buon[oi] sconto|codic[ei] sconto",
        r"trattabile|trattare sul prezzo|negozi\w*",
        r"fare un prezzo|abbassare (?:il|un po' il) prezzo|farmi un prezzo",
    ),
    "nl": (
        r"coupons?|vouchers?|kortingscode\w*",
        r"onderhandel\w*|afdingen|\bprijsje\b",
        r"(?:de )?prijs (?:wat )?(?:verlagen|zakken|omlaag)",
    ),
    "pt": (
        r"cupo(?:m|ns)|cupao|codigos? (?:promocional|de desconto)",
        r"negoci\w*|pechinch\w*",
        r"fazer um preco|baixar o preco|fazer(?:-me)? um desconto",
    ),
}
DEAL: dict[str, tuple[str, ...]] = {
    "en": (
        r"discounts?|reductions?|rebates?|markdowns?|price breaks?|break on (?:the )?price|money off",
        r"(?:best|better|bottom|rock bottom|lower|cheaper|friends?|mates?|cash) "
        r"(?:price|prices|pricing|rate|rates|deal|offer)",
        r"(?:do|make|give|cut|get|offer|strike|work out|find)\s+(?:me |us |you )?(?:a |an |any |some )?"
        r"(?:\w+ )?deal\b",
        r"(?:any|a|some) deals? (?:for|if|on|when)|deal on (?:the )?price",
    ),
    "de": (r"rabatt\w*|preisnachlass|nachlass|skonto|sonderpreis|vorzugspreis|\d+\s?% (?:rabatt|nachlass)",),
    "fr": (r"remises?|reductions?|rabais|ristournes?|prix (?:plus bas|reduit|special)|\d+\s?% de remise",),
    "es": (r"descuentos?|una rebaja|rebajar\w*|mejor precio|precio (?:especial|mejor|mas bajo)",),
    "it": (r"scont(?:o|i|are|armi|arlo|istica)|prezzo (?:migliore|speciale|piu basso)",),
    "nl": (r"korting\w*|(?:betere|lagere|scherpere|speciale) prijs",),
    "pt": (r"descontos?|abatimento|melhor preco|preco (?:melhor|especial|mais baixo)",),
}
CHEAPER: dict[str, tuple[str, ...]] = {
    "en": (r"cheaper|less|lower|save|saving|savings",),
    "de": (r"billiger|gunstiger|preiswerter|weniger|sparen|ersparnis",),
    "fr": (r"moins cher|moins|economiser|economie",),
    "es": (r"mas barat[oa]s?|menos|ahorr\w*",),
    "it": (r"piu economic[oi]|meno car[oa]|meno|risparmi\w*",),
    "nl": (r"goedkoper|voordeliger|minder|besparen|besparing",),
    "pt": (r"mais barat[oa]s?|menos|economiz\w*",),
}
QUANTITY: dict[str, tuple[str, ...]] = {
    "en": (
        rf"(?:if|when|once|should) (?:i|we)(?: were to)? (?:buy|order|get|take|purchase|grab|pick up|bought|"
        rf"ordered|took|got|want|need)\s+(?:\w+\s+)?(?:{_N['en']})\b",
        rf"(?:buying|ordering|purchasing|taking|getting)\s+(?:\w+\s+)?(?:{_N['en']})\b",
        rf"\b(?:for|on) (?:{_N['en']})\b{_NOT_ITEMS}",
        rf"\b(?:{_N['en']}) (?:or more|and (?:up|above|over)|pieces|pcs|units|items|of them|of these|"
        rf"of those)\b|\b\d+\s?\+",
        r"in bulk|in quantity|in quantities|large (?:order|quantity|quantities)|big order|bulk order|"
        r"more than one",
    ),
    "de": (
        rf"wenn (?:ich|wir) (?:\w+ ){{0,2}}?(?:{_N['de']})\b",
        rf"bei (?:abnahme |kauf |bestellung )?(?:von )?(?:{_N['de']})\b{_NOT_ITEMS}",
        rf"\bab (?:{_N['de']}) (?:stuck|stk)|\b(?:{_N['de']}) (?:stuck|stk)\b|"
        rf"fur (?:{_N['de']})\b{_NOT_ITEMS}",
        r"grosseren? mengen?|grosse menge",
    ),
    "fr": (
        rf"si (?:j'en|j'|je|nous|on)\b.{{0,25}}?\b(?:{_N['fr']})\b",
        rf"en (?:prenant|achetant|commandant) (?:\w+ )?(?:{_N['fr']})\b|pour (?:{_N['fr']})\b{_NOT_ITEMS}",
        r"en gros|en grande quantite|par lot",
    ),
    "es": (
        rf"si (?:compro|pido|llevo|me llevo|compramos|pedimos|llevamos)\s+(?:\w+ )?(?:{_N['es']})\b",
        rf"(?:comprando|pidiendo|llevando) (?:\w+ )?(?:{_N['es']})\b|\bpor (?:{_N['es']})\b{_NOT_ITEMS}",
        r"al por mayor|por volumen|en cantidad",
    ),
    "it": (
        rf"se (?:ne )?(?:compro|prendo|ordino|acquisto|compriamo|prendiamo)\s+(?:\w+ )?(?:{_N['it']})\b",
        rf"(?:comprando|prendendo|ordinando) (?:\w+ )?(?:{_N['it']})\b|\bper (?:{_N['it']})\b{_NOT_ITEMS}",
        r"all'ingrosso|in quantita",
    ),
    "nl": (
        rf"als (?:ik|we|wij) (?:er )?(?:\w+ )?(?:{_N['nl']})\b",
        rf"\bbij (?:afname |aankoop )?(?:van )?(?:{_N['nl']})\b{_NOT_ITEMS}|\b(?:{_N['nl']}) stuks\b|"
        rf"\bvoor (?:{_N['nl']})\b{_NOT_ITEMS}",
        r"in bulk|grote hoeveelheid|grotere aantallen",
    ),
    "pt": (
        rf"se (?:eu )?(?:comprar|levar|encomendar|pedir)\s+(?:\w+ )?(?:{_N['pt']})\b",
        rf"(?:comprando|levando) (?:\w+ )?(?:{_N['pt']})\b|\bpor (?:{_N['pt']})\b{_NOT_ITEMS}",
        r"no atacado|por atacado|em quantidade",
    ),
}
BULK: dict[str, tuple[str, ...]] = {
    "en": (
        r"(?:bulk|wholesale|volume|trade|quantity|multi-?buy|multiple[- ]unit|bundle|package|group)\s+"
        r"(?:price|prices|pricing|discounts?|rates?|deals?|offers?|savings?)",
        r"buy (?:one|1|two|2) get (?:one|1)|\bbogo\b|\b(?:two|2|three|3) for (?:one|1|two|2)\b",
    ),
    "de": (r"mengenrabatt\w*|staffelrabatt\w*|mengenpreis\w*|grosshandelspreis\w*",),
    "fr": (r"prix (?:degressif|de gros)|remise (?:sur|en|de) (?:la )?quantite",),
    "es": (r"descuento por (?:cantidad|volumen)|precio (?:de )?mayorista",),
    "it": (r"sconto (?:quantita|volume|per quantita)|prezzo all'ingrosso",),
    "nl": (r"staffelkorting|volumekorting|kwantumkorting",),
    "pt": (r"desconto (?:por quantidade|de atacado)|preco de atacado",),
}
# CHEAPER in a comparison ("cheaper than", "günstiger als") or a product search ("anything cheaper").
# Dutch "als ik" is "if I", not "than".
_COMPARED = re.compile(r"^\s*(?:than|dan|do que|que|di|de|als(?! (?:ik|we|wij|je|u)\b))\b")
_SEARCH = re.compile(
    r"(?:something|anything|one|ones|model|version|option|alternative|item|product|which|which one|"
    r"which of them|etwas|was|welche[rs]?|quelque chose|lequel|algo|cual|qualcosa|quale|iets|welke)"
    r"(?: (?:is|are|would be|ist|est|es|e|is er))?\s*$"
)
# A DEAL noun asked as the product's state ("is there still a discount on it?", "are there any
# reductions on the sofa right now?"): whether a sale is on, which the record's sale fields answer.
_SALE_STATE_BEFORE = re.compile(r"\b(?:is|are) there (?:(?:still|currently|now|already|any|a|an) )*$")
_SALE_STATE_AFTER = re.compile(
    r"^(?: (?:on|for|with) (?:the|this|that|these|those|it|them|your)\b[^?!.,;]*)?"
    r"(?: (?:right now|at the moment|currently|now|today|still|at present|anymore))?\s*(?:[?!.,;]|$)"
)
_SEARCH_AFTER = re.compile(r"^\s*(?:one|ones|model|version|option|alternative|brand|item|product)s?\b")


def _compile(by_language: dict[str, tuple[str, ...]]) -> re.Pattern[str]:
    alternatives = "|".join(f"(?:{p})" for patterns in by_language.values() for p in patterns)
    return re.compile(rf"(?<![\w'])(?:{alternatives})(?![\w])")


_PUSH, _DEAL, _CHEAPER, _QUANTITY, _BULK = (_compile(d) for d in (PUSH, DEAL, CHEAPER, QUANTITY, BULK))


@dataclass(frozen=True)
class Haggle:
    """A request for a lower price: `kind` "request" (only the seller can grant it) or "quantity"
    (a lower price for buying more, which tier prices may state); `words`: what said it."""

    kind: str
    words: str

    def answered_by(self, intents: tuple[str, ...] | list[str]) -> bool:
        """Whether the reply answered it from the catalog: a quantity price stated from tier prices."""
        return self.kind == "quantity" and bool(TIER_INTENTS & set(intents))


def _lower_words(text: str) -> list[re.Match[str]]:
    """CHEAPER words that do not compare products or look for another one."""
    return [
        m
        for m in _CHEAPER.finditer(text)
        if not _COMPARED.match(text[m.end() :])
        and not _SEARCH.search(text[: m.start()])
        and not _SEARCH_AFTER.match(text[m.end() :])
    ]


def read(text: str) -> Haggle | None:
    """What the message asks of the price, when it asks for less than the list price (None otherwise)."""
    t = normalise(text[:MAX_CHARS])
    push = _PUSH.search(t)
    if push is not None:
        return Haggle("request", push.group(0))
    bulk = _BULK.search(t)
    if bulk is not None:
        return Haggle("quantity", bulk.group(0))
    deal = _DEAL.search(t)
    quantity = _QUANTITY.search(t)
    if quantity is not None:
        lower = deal or next(iter(_lower_words(t)), None)
        if lower is not None:
            start, end = min(lower.start(), quantity.start()), max(lower.end(), quantity.end())
            return Haggle("quantity", t[start:end][:100])
    if deal is not None and not _asks_sale_state(t, deal):
        return Haggle("request", deal.group(0))
    return None


def _asks_sale_state(text: str, deal: re.Match[str]) -> bool:
    return bool(
        _SALE_STATE_BEFORE.search(text[: deal.start()]) and _SALE_STATE_AFTER.match(text[deal.end() :])
    )


def phrases() -> dict[str, tuple[str, ...]]:
    """Per language, the patterns that say a negotiation on their own (PUSH, DEAL, BULK), in the form
    the handoff vocabulary keeps its phrases."""
    return {lang: (*PUSH[lang], *DEAL[lang], *BULK[lang]) for lang in PUSH}
