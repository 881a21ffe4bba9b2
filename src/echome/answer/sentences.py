"""The evidence sentences that answer a question: each cited chunk split into sentences and labelled
fact lines, scored by the question's words (rare words count double) and by the chunk's rank."""

from __future__ import annotations

import re

from echome.answer.asks import SHOPPING_WORDS, asked_labels
from echome.answer.evidence import Evidence
from echome.answer.facts import COLOUR_WORDS, ProductFacts
from echome.answer.phrasing import Phrases
from echome.knowledge.chunk import readable
from echome.knowledge.lookup import FUNCTION_WORDS
from echome.persona.style import is_common

MAX_EVIDENCE_WORDS = 38
MAX_SENTENCES = 2
MAX_FACT_LINES = 4  # short "Label: value" lines the question asks for by label (width, height, depth)
_SPLIT = re.compile(r"(?<=[.!?])\s+|\n+|\s+\|\s+")
_WORD = re.compile(r"[^\W_]+(?:'[^\W_]+)?")
_HEADER = re.compile(r"^[^:\n]{3,300}:\s*price\b", re.I)
_FIELD_LINE = re.compile(r"^(vendor|tags|variants|handle|type|published)\s*:", re.I)
_LABEL_LINE = re.compile(r"^([^:]{2,40}):\s*\S")
# A measurement in running text answers "how big?" / "how heavy?" as a labelled line would:
# "120x150cm", "35 cm long", "1.6 kg" (the words it is matched on: `asks._ASKS_FOR`'s labels).
_SIZE = re.compile(
    r"\b\d+(?:[.,]\d+)?\s*(?:x|\u00d7|by)\s*\d+(?:[.,]\d+)?(?:\s*(?:x|\u00d7|by)\s*\d+(?:[.,]\d+)?)?\s*"
    r"(?:mm|cm|m|in|inch|inches|ft|\")?|\b\d+(?:[.,]\d+)?\s*(?:mm|cm|m|in|inch|inches|ft|\")(?!\w)",
    re.I,
)
_WEIGHT = re.compile(r"\b\d+(?:[.,]\d+)?\s*(?:kg|g|lbs?|oz)(?!\w)", re.I)
# A colour or a material named in running text answers "what colour is it?" / "what is it made of?"
# as a "Colour:" or "Material:" line would ("Soft merino scarf in grey."): the basic colour terms and
# common product materials of the seven languages, matched as whole words.
_MATERIAL = re.compile(
    r"\b(?:cotton|wool|merino|cashmere|silk|linen|polyester|nylon|leather|suede|denim|canvas|fleece|"
    r"velvet|elastane|spandex|viscose|rayon|acrylic|steel|stainless|aluminium|aluminum|iron|brass|"
    r"copper|bronze|titanium|metal|wood|wooden|bamboo|oak|walnut|beech|pine|plastic|glass|ceramic|"
    r"porcelain|stoneware|earthenware|silicone|rubber|latex|foam|wax|beeswax|soy|marble|stone|"
    r"granite|concrete|resin|enamel|cork|jute|hemp|sisal|rattan|wicker|paper|cardboard|"
    r"baumwolle|wolle|seide|leinen|leder|edelstahl|stahl|messing|kupfer|holz|glas|keramik|kunststoff|"
    r"coton|laine|soie|lin|cuir|acier|bois|verre|c(?:é|e)ramique|"
    r"algod(?:ó|o)n|lana|seda|lino|cuero|acero|madera|vidrio|"
    r"cotone|seta|pelle|cuoio|acciaio|legno|vetro|"
    r"katoen|wol|zijde|linnen|leer|staal|hout|"
    r"algod(?:ã|a)o|l(?:ã|a)|linho|couro|a(?:ç|c)o|madeira|vidro)\b",
    re.I,
)
_COLOUR_TERMS = " colour color farbe couleur colore kleur cor"
_MATERIAL_TERMS = " material made fabric"
# Words that carry no subject: the function words of the seven languages and a shopper's small talk.
_STOP = FUNCTION_WORDS | {
    "do", "does", "did", "i", "you", "me", "we", "be", "can", "could", "would", "will", "have", "has",
    "there", "what", "which", "how", "any", "if", "they", "them", "one", "so", "about", "am", "was",
    "get", "please", "hi", "hello", "hey", "ist", "sind", "hat", "haben", "gibt", "es", "wie",
    "welche", "welchen", "ich", "est",
}  # fmt: skip


def terms(text: str) -> set[str]:
    out = set()
    for w in _WORD.findall(text.lower()):
        if w in _STOP or len(w) < 2:
            continue
        out.add(w[:-1] if len(w) > 4 and w.endswith("s") and not w.endswith("ss") else w)
    return out


def sentence_case(text: str) -> str:
    text = text.strip()
    if not text:
        return text
    text = text[0].upper() + text[1:]
    return text if text[-1] in ".!?" else text + "."


def _candidates(
    evidence: Evidence,
    focus: ProductFacts | None,
    say: Phrases,
    labels: frozenset[str] = frozenset(),
    wanted: set[str] | frozenset[str] = frozenset(),
) -> list[tuple[int, str, str]]:
    """(result index, sentence as said, text it is matched on) from the cited chunks. A shop
    export's bookkeeping line ("Vendor: ...", "Tags: ...") is left out unless `labels` (what the
    question asks for) names it or its values hold a word the question asks (`wanted`: "is it
    organic?" and "Tags: organic, japanese")."""
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
            said_prefix = say.customer_answered() + " "
        elif r.field == "reviews":
            said_prefix = say.customer_wrote() + " "
        for line in text.splitlines():
            line = line.strip()
            field = _FIELD_LINE.match(line)
            if not line or _HEADER.match(line):
                continue
            if field and field.group(1).lower() not in labels and not terms(line[field.end() :]) & wanted:
                continue
            for sent in _SPLIT.split(line) if not _LABEL_LINE.match(line) else [line]:
                sent = sent.strip(" -•*")
                if len(sent) < 8 or len(sent.split()) > 45:
                    continue
                measured = " dimension size" if _SIZE.search(sent) else ""
                measured += " weight" if _WEIGHT.search(sent) else ""
                measured += _COLOUR_TERMS if COLOUR_WORDS.search(sent) else ""
                measured += _MATERIAL_TERMS if _MATERIAL.search(sent) else ""
                out.append((i, said_prefix + sentence_case(sent), f"{sent} {match_extra}{measured}"))
    return out


def pick_sentences(
    question: str,
    evidence: Evidence,
    focus: ProductFacts | None,
    *,
    asked: str | None = None,
    say: Phrases | None = None,
) -> list[tuple[int, str]]:
    """Up to two sentences (and up to four labelled facts the question asks for by label) that share
    the most words with what is asked. `asked` is the question without the product's name (its words
    are in every chunk of the product and would pick any of them)."""
    labels = asked_labels(question)
    q = terms(asked or question) | labels
    if not q:
        return []
    scored = []
    found = _candidates(evidence, focus, say or Phrases("en"), labels, {w for w in q if not is_common(w)})
    for order, (i, said, matched) in enumerate(found):
        overlap = q & terms(matched)
        if not overlap:
            continue
        label = _LABEL_LINE.match(said)
        is_fact = bool(label and terms(label.group(1)) & labels)
        weight = sum(1.0 if is_common(w) else 2.0 for w in overlap) + (2.0 if is_fact else 0.0)
        rank_bonus = 1.0 / (1 + 0.35 * i)
        scored.append((weight * rank_bonus, -order, i, said, is_fact))
    scored.sort(reverse=True)
    picked: list[tuple[int, str]] = []
    words = facts = sentences = 0
    for _score, _o, i, said, is_fact in scored:
        if any(said.lower() == p.lower() for _, p in picked):
            continue
        n = len(said.split())
        if is_fact and facts < MAX_FACT_LINES and n <= 12:
            picked.append((i, said))
            facts += 1
            continue
        if sentences >= MAX_SENTENCES or (picked and words + n > MAX_EVIDENCE_WORDS):
            continue
        picked.append((i, said))
        words += n
        sentences += 1
    return picked


# Words of a request for a product in general ("tell me about the X", "more info on X").
_GENERAL = {
    "tell", "know", "info", "information", "detail", "details", "describe", "description", "more",
    "like", "want", "interested", "looking", "show", "see", "thing", "product", "item", "erzähl",
    "erzählen", "mehr", "infos", "informationen", "beschreibung", "parle", "plus", "dites", "háblame",
    "cuéntame", "información", "dimmi", "informazioni", "vertel", "meer", "informatie", "fale",
    "conte", "informação",
}  # fmt: skip


def wants_overview(asked: str, question: str) -> bool:
    """Whether a question naming a product asks nothing more specific than "tell me about it"."""
    return not (terms(asked) - _GENERAL - SHOPPING_WORDS) and not asked_labels(question)


def overview(evidence: Evidence, product: ProductFacts, say: Phrases | None = None) -> list[tuple[int, str]]:
    """The opening sentence of the product's own description (from its record), to introduce it; a
    record without one is introduced by its best-ranked chunk's first sentence, and a record of
    shoppers' words only (reviews, Q&A) by the first of them, said as theirs."""
    own = [(i, r) for i, r in enumerate(evidence.results) if r.product_id == product.id]
    at = own[0][0] if own else -1
    texts = [(at, product.description or "")]
    texts += [(i, r.text) for i, r in own if r.field not in ("reviews", "customer_qa")]
    for i, text in texts:
        for line in text.splitlines():
            line = line.strip()
            if not line or _LABEL_LINE.match(line) or _HEADER.match(line) or line.startswith(product.name):
                continue  # a label, or the chunk's "Name (SKU ...)" head
            sent = _SPLIT.split(line)[0].strip(" -•*")
            if 2 <= len(sent.split()) <= 45:
                return [(i, sentence_case(sent))]
    picked = [c for c in _candidates(evidence, product, say or Phrases("en")) if c[0] in {i for i, _ in own}]
    return [(picked[0][0], picked[0][1])] if picked else []
