"""The grounded composer: answers with no language model, only from the evidence.

It picks the evidence sentences that answer the question, states the product's name, price, stock
and options from the catalog's typed fields, and wraps them in the persona's own greeting, phrasing
and sign-off. Every fact in its reply is copied from the catalog; the template words it adds carry
no facts (no numbers, no names), and persona phrases holding digits are never used.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from echome.answer.evidence import Evidence
from echome.answer.facts import ProductFacts
from echome.knowledge.chunk import readable
from echome.persona.schema import phrase_text
from echome.persona.style import is_common

MAX_EVIDENCE_WORDS = 38
PRICES_AS_LISTED = "I can only offer the prices listed in my catalog."
_SPLIT = re.compile(r"(?<=[.!?])\s+|\n+|\s+\|\s+")
_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
# What a question asks, in the 7 languages catalogs come in (en, de, fr, es, it, nl, pt).
_PRICE = re.compile(
    r"\b(price|prices|cost|costs|how much|expensive|cheap|pay|preis|preise|kostet|kosten|wie viel|"
    r"teuer|günstig|prix|coûte|combien|precio|cuesta|cuánto|cuanto|prezzo|costa|quanto|prijs|kost|"
    r"hoeveel|preço|custa)\b|[$€£]",
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
    r"\b(size|sizes|colou?rs?|variants?|options?|versions?|comes? in|größe|größen|grösse|farbe|farben|"
    r"variante|varianten|ausführung|taille|tailles|couleur|couleurs|talla|tallas|color|colores|taglia|"
    r"taglie|colore|colori|maat|maten|kleur|kleuren|tamanho|tamanhos|cor|cores)\b",
    re.I,
)
_DISCOUNT = re.compile(
    r"\b(discount|coupon|promo(?: code)?|deal|cheaper|lower (?:the )?price|\d+\s?%\s?off|free of charge)\b",
    re.I,
)
_HEADER = re.compile(r"^[^:\n]{3,300}:\s*price\b", re.I)
_FIELD_LINE = re.compile(r"^(vendor|tags|variants|handle|type|published)\s*:", re.I)
_STOP = {
    "the", "a", "an", "is", "are", "do", "does", "did", "it", "its", "this", "that", "these", "those",
    "i", "you", "your", "my", "me", "we", "to", "of", "for", "on", "in", "and", "or", "with", "be",
    "can", "could", "would", "will", "have", "has", "there", "what", "which", "how", "any", "if", "at",
    "they", "them", "one", "so", "about", "from", "am", "was", "get", "please", "hi", "hello", "hey",
}  # fmt: skip


@dataclass
class Composed:
    text: str
    used: list[int] = field(default_factory=list)  # indices of the results quoted
    intents: list[str] = field(default_factory=list)


def _terms(text: str) -> set[str]:
    out = set()
    for w in _WORD.findall(text.lower()):
        if w in _STOP or len(w) < 2:
            continue
        out.add(w[:-1] if len(w) > 4 and w.endswith("s") and not w.endswith("ss") else w)
    return out


def _safe_phrase(value: Any, limit: int = 8) -> str | None:
    """A persona phrase fit to say: short, and carrying no facts (no digits). `value` is a string (as
    a seller sets it) or a measured {"text": ...}."""
    text = phrase_text(value)
    if text is None:
        return None
    text = text.strip(" ,.")
    if not text or any(ch.isdigit() for ch in text) or len(text.split()) > limit:
        return None
    return text


def _sentence_case(text: str) -> str:
    text = text.strip()
    if not text:
        return text
    text = text[0].upper() + text[1:]
    return text if text[-1] in ".!?" else text + "."


def _candidates(evidence: Evidence, focus: ProductFacts | None) -> list[tuple[int, str, str]]:
    """(result index, sentence as said, text it is matched on) from the cited chunks."""
    out = []
    for i, r in enumerate(evidence.results):
        if focus is not None and r.product_id not in (None, focus.id):
            continue
        text = readable(r.text, "attribute") if "{ value" in r.text or "{value" in r.text else r.text
        said_prefix = ""
        match_extra = ""
        if r.field == "customer_qa" and " Question: " in text:
            # Shoppers' answers, not the seller's word: say whose they are.
            text, _, asked = text.partition(" Question: ")
            match_extra = asked
            said_prefix = "A customer answered: "
        elif r.field == "reviews":
            said_prefix = "One customer wrote: "
        for line in text.splitlines():
            line = line.strip()
            if not line or _HEADER.match(line) or _FIELD_LINE.match(line):
                continue
            for sent in _SPLIT.split(line):
                sent = sent.strip(" -•*")
                if len(sent) < 12 or len(sent.split()) > 45:
                    continue
                out.append((i, said_prefix + _sentence_case(sent), f"{sent} {match_extra}"))
    return out


# What a question asks about → the catalog labels that answer it (unmapped columns are kept as
# labelled facts, "Manufacturer: Shure", "Condition: used"); en, de, fr, es, it, nl, pt.
_ASKS_FOR: tuple[tuple[re.Pattern[str], frozenset[str]], ...] = tuple(
    (re.compile(rf"\b(?:{asked})\b", re.I), frozenset(labels.split()))
    for asked, labels in (
        (
            r"who makes|who made|made by|brand|manufacturer|maker|hersteller|marke|fabricant|marque|"
            r"fabricante|marca|produttore|fabrikant|merk",
            "manufacturer brand vendor supplier maker hersteller marke",
        ),
        (
            r"condition|new or used|used or new|zustand|neu oder gebraucht|état|estado|condizione|staat",
            "condition zustand",
        ),
        (
            r"made of|material|materials|fabric|aus welchem|matériau|tejido|materiale|materiaal",
            "material fabric",
        ),
        (
            r"dimensions?|how big|how large|how wide|how tall|measurements?|abmessungen|maße|wie groß|"
            r"größe des|taille de|medidas|dimensioni|afmetingen",
            "dimension width height depth length size weight",
        ),
        (r"vat|sales tax|tax rate|mwst|mehrwertsteuer|tva|iva|btw", "tax vat rate"),
        (
            r"shipping|delivery|postage|versand|lieferung|livraison|envío|spedizione|verzending|frete",
            "shipping delivery",
        ),
    )
)


def pick_sentences(question: str, evidence: Evidence, focus: ProductFacts | None) -> list[tuple[int, str]]:
    q = _terms(question)
    for asked, labels in _ASKS_FOR:
        if asked.search(question):
            q |= labels
    if not q:
        return []
    scored = []
    for order, (i, said, matched) in enumerate(_candidates(evidence, focus)):
        overlap = q & _terms(matched)
        if not overlap:
            continue
        weight = sum(1.0 if is_common(w) else 2.0 for w in overlap)
        rank_bonus = 1.0 / (1 + 0.35 * i)
        scored.append((weight * rank_bonus, -order, i, said))
    scored.sort(reverse=True)
    picked: list[tuple[int, str]] = []
    words = 0
    for _score, _o, i, said in scored:
        n = len(said.split())
        if picked and words + n > MAX_EVIDENCE_WORDS:
            continue
        if any(said.lower() == p.lower() for _, p in picked):
            continue
        picked.append((i, said))
        words += n
        if words >= MAX_EVIDENCE_WORDS or len(picked) >= 2:
            break
    return picked


def _join(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def compose(
    *,
    question: str,
    evidence: Evidence,
    persona_name: str,
    profile: dict[str, Any],
    client_name: str | None = None,
    turn: int = 0,
) -> Composed:
    """A short spoken-style reply built only from the evidence and the persona's phrases."""
    greeting = _safe_phrase(profile.get("greeting"), 6)
    sign_off = _safe_phrase(profile.get("sign_off"), 6)
    catchphrases = profile.get("catchphrases")
    if not isinstance(catchphrases, list):  # an older hand-edited profile may hold one string
        catchphrases = [catchphrases]
    phrases = [p for p in (_safe_phrase(c, 6) for c in catchphrases) if p]
    opener = ""
    if turn == 0:
        opener = _sentence_case(greeting) if greeting else "Hi!"
        if client_name and not any(ch.isdigit() for ch in client_name):
            opener = opener.rstrip(".!?") + f", {client_name.split()[0]}!"
        else:
            opener = opener.rstrip(".") + ("" if opener.endswith("!") else "!")
    no_answer = (
        "I don't have that in my catalog, and I'd rather not guess. "
        f"Shall I pass your question on so {persona_name} can answer you personally?"
    )
    if evidence.empty:
        return Composed(text=" ".join(p for p in (opener, no_answer) if p), intents=["no-evidence"])

    focus = evidence.top_product()
    # Typed facts (price, stock, options) are stated only for a product the customer is known to mean.
    sure = focus if focus is not None and evidence.subject == focus.id else None
    intents: list[str] = []
    parts: list[str] = []
    cited: set[int] = set()
    if _DISCOUNT.search(question):
        intents.append("discount")
        parts.append(PRICES_AS_LISTED)
    if sure is not None:
        facts = _typed_facts(sure, question, intents)
        if facts:
            parts.extend(facts)
            cited.add(_first_result_of(evidence, sure.id))
    picked = pick_sentences(question, evidence, focus)
    if picked and focus is not None and not any(focus.short_name in p for p in parts):
        parts.append(f"About the {focus.short_name}:")
    parts.extend(s for _, s in picked)
    cited.update(i for i, _ in picked)
    if parts == [PRICES_AS_LISTED]:
        parts.append("Tell me which product you have in mind and I'll give you its price.")
    if not parts:
        # Retrieval always returns something; nothing in it speaks to the words asked.
        parts.append(no_answer)
        intents.append("no-evidence")
        cited.clear()
    if phrases and turn % 3 == 1 and "no-evidence" not in intents:
        parts.append(_sentence_case(phrases[(turn // 3) % len(phrases)]))
    closing = _sentence_case(sign_off) if sign_off and turn == 0 else "Anything else I can help with?"
    if "no-evidence" in intents:
        closing = ""
    text = " ".join(p for p in (opener, *parts, closing) if p)
    return Composed(text=text, used=sorted(i for i in cited if i >= 0), intents=intents or ["answer"])


def _typed_facts(p: ProductFacts, question: str, intents: list[str]) -> list[str]:
    """Price, stock and options from the catalog's typed fields, for what the question asks."""
    out = []
    if _PRICE.search(question) or "discount" in intents:
        price = p.price_text()
        if price:
            intents.append("price")
            out.append(f"The {p.short_name} is {price}.")
    if _STOCK.search(question) and p.stock is not None:
        intents.append("stock")
        # A count only when asked for one, and only the product's own (not a sum over its variants).
        variant_stock = [int(v["stock"]) for v in p.variants if isinstance(v.get("stock"), int | float)]
        summed = bool(variant_stock) and p.stock == sum(variant_stock)  # a total over variants
        count = f" ({p.stock} available)" if _HOW_MANY.search(question) and not summed else ""
        out.append(
            f"The {p.short_name} is in stock{count}." if p.stock > 0 else f"The {p.short_name} is sold out."
        )
    if _OPTIONS.search(question) and p.variants:
        options = [(k, v) for k, v in p.options().items() if len(v) > 1][:2]
        intents.append("options")
        if options:
            said = " and in ".join(f"{k.lower()} {_join(v[:8])}" for k, v in options)
            out.append(f"The {p.short_name} comes in {said}.")
        else:
            out.append(f"The {p.short_name} comes in one version only.")
    # Name the product once; later facts say "it".
    return [out[0], *(s.replace(f"The {p.short_name} ", "It ", 1) for s in out[1:])] if out else out


def _first_result_of(evidence: Evidence, product_id: str) -> int:
    return next((i for i, r in enumerate(evidence.results) if r.product_id == product_id), -1)
