"""The grounded composer: answers with no language model, only from the evidence.

It picks the evidence sentences that answer the question, states the product's name, price, stock
and options from the catalog's typed fields, and wraps them in the persona's own greeting, phrasing
and sign-off. Every fact in its reply is copied from the catalog; the template words it adds carry
no facts (no numbers, no names), and persona phrases holding digits are never used. It replies in
the customer's language (`answer/phrasing.py`); the persona's own phrases are used only when they
are in that language, and the catalog's sentences are quoted as the catalog has them.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from echome.answer.asks import (
    asked_labels,
    asked_quantity,
    asks_availability,
    asks_count,
    asks_options,
    asks_price,
    asks_recommendation,
    asks_stock,
    asks_typed_facts,
    compares_price,
)
from echome.answer.evidence import MAX_LISTED, Evidence
from echome.answer.facts import ProductFacts
from echome.answer.negotiation import TIER_LINE
from echome.answer.negotiation import read as read_haggle
from echome.answer.phrasing import Phrases
from echome.answer.sentences import overview, pick_sentences, wants_overview
from echome.answer.sentences import sentence_case as _sentence_case
from echome.answer.small_talk import ACK, BOT, GREETING, THANKS, small_talk
from echome.knowledge.lookup import COMPARING
from echome.language import detect_language
from echome.persona.manner import Manner
from echome.persona.schema import phrase_text

PRICES_AS_LISTED = Phrases.for_language("en").prices_as_listed()
_SALE_WORDS = frozenset({"sale", "reduced", "special"})


@dataclass
class Composed:
    text: str
    used: list[int] = field(default_factory=list)  # indices of the results quoted
    intents: list[str] = field(default_factory=list)


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


def _own_words(value: Any, language: str, limit: int = 6) -> str | None:
    """A persona phrase fit for this reply: safe (`_safe_phrase`) and in the reply's language."""
    text = _safe_phrase(value, limit)
    if text is None or detect_language(text, default=language) != language:
        return None
    return text


def compose(
    *,
    question: str,
    evidence: Evidence,
    persona_name: str,
    profile: dict[str, Any],
    client_name: str | None = None,
    turn: int = 0,
    language: str = "en",
) -> Composed:
    """A short spoken-style reply in `language`, built only from the evidence and the persona's phrases."""
    say = Phrases.for_language(language)
    greeting = _own_words(profile.get("greeting"), say.language)
    sign_off = _own_words(profile.get("sign_off"), say.language)
    catchphrases = profile.get("catchphrases")
    if not isinstance(catchphrases, list):  # an older hand-edited profile may hold one string
        catchphrases = [catchphrases]
    phrases = [p for p in (_own_words(c, say.language) for c in catchphrases) if p]
    opener = ""
    if turn == 0:
        first_name = (
            client_name.split()[0] if client_name and not any(ch.isdigit() for ch in client_name) else None
        )
        if greeting:
            opener = _sentence_case(greeting).rstrip(".!?") + (f", {first_name}!" if first_name else "!")
        else:
            opener = say.greeting(first_name)

    manner = Manner.from_profile(profile) if say.language == "en" else Manner(strength="off")
    names = [n for p in evidence.products.values() for n in (p.name, p.short_name) if n]

    def reply(*parts: str, intents: list[str], used: list[int] | None = None) -> Composed:
        text = manner.register(" ".join(p for p in (opener, *parts) if p), protected=names)
        text = manner.paced(text, protected=names, opener=opener)
        return Composed(text=text, used=used or [], intents=intents)

    if evidence.assortment is not None:  # "what do you sell?"
        sold = evidence.assortment
        if not sold.things:
            return reply(say.no_answer(persona_name), intents=["no-evidence"])
        listed = say.suits(sold.things) if sold.suits else say.sells(sold.things, complete=sold.complete)
        return reply(listed, say.how_can_i_help(), intents=["assortment"])
    talk = small_talk(question, name=persona_name)
    if talk is not None:  # "Hi!", "thanks, bye", "are you a bot?": answered in kind
        parts = _small_talk(talk, say, persona_name, sign_off)
        if talk == GREETING and not opener:  # greeted again later on: greet back
            parts.insert(0, say.greeting())
        return reply(*parts, intents=["small-talk"])
    if evidence.store_topic is not None:
        return _store_answer(evidence, question, say, persona_name, reply, sign_off if turn == 0 else None)
    if evidence.empty:
        return reply(say.no_answer(persona_name), intents=["no-evidence"])
    haggle = read_haggle(question)
    if evidence.unlisted is not None and evidence.ambiguous:  # "a sofa in blue": none is; those there are
        kind, colours = evidence.unlisted
        shown = [p for p in evidence.ambiguous if p in evidence.products][:MAX_LISTED]
        which = [_listed(evidence.products[p], say) for p in shown]
        offer = say.which_one(which) if len(which) > 1 else say.do_you_mean(which[0]) if which else ""
        return reply(say.not_listed_in(kind, colours), offer, intents=["options", "which-one"])
    if evidence.not_carried and evidence.closest is not None and haggle is None:  # "a lamp?": a light
        near = [p for p in evidence.closest.products if p in evidence.products]
        if near:
            offered = [_listed(evidence.products[p], say) for p in near]
            cited = [i for p in near if (i := _first_result_of(evidence, p)) >= 0]
            return reply(
                say.closest(evidence.closest.said, offered), intents=["not-carried", "closest"], used=cited
            )
    if evidence.not_carried and haggle is None:
        return reply(
            f"{say.not_carried()} {say.offer_handoff(persona_name)}", intents=["no-evidence", "not-carried"]
        )
    if evidence.ambiguous and not evidence.mentioned:
        shown = [p for p in evidence.ambiguous if p in evidence.products][:MAX_LISTED]
        which = [_listed(evidence.products[p], say) for p in shown]
        if len(which) > 1:
            return reply(say.which_one(which), intents=["which-one"])
    focus = evidence.top_product()
    # Typed facts (price, stock, options) are stated only for a product the customer is known to mean.
    sure = focus if focus is not None and evidence.subject == focus.id else None
    named = [evidence.products[pid] for pid in evidence.mentioned if pid in evidence.products]
    intents: list[str] = []
    parts: list[str] = []
    cited: set[int] = set()
    if haggle is not None:
        intents.append("discount")
    if len(named) > 1 and COMPARING.search(question) and not asks_typed_facts(question):
        intents.append("compared")  # "the difference between A and B": each one introduced
        for p in named:
            price = say.price_of(p)
            parts.extend([say.price(p.short_name, price)] if price else [])
            for i, said in overview(evidence, p, say):
                parts.append(said)
                cited.add(i)
    elif len(named) > 1:  # "which is cheaper, the A or the B?": each one's facts
        for p in named:
            facts = _typed_facts(p, question, intents, say, asked=evidence.asked)
            parts.extend(facts[:1])
            if facts:
                cited.add(_first_result_of(evidence, p.id))
        parts.extend(_comparison(named, question, say))
    elif sure is not None and evidence.extreme is not None:  # "your cheapest teapot?": which, and its price
        intents.append("extreme")
        parts.append(say.extreme(evidence.extreme, sure.short_name))
        facts = _typed_facts(sure, question, intents, say, asked=evidence.asked, named_before=True)
        price = say.price_of(sure)
        if "price" not in intents and price:  # the price is what was asked, however it was put
            intents.append("price")
            facts.insert(0, say.price(sure.short_name, price, first=False))
        parts.extend(facts)
        cited.add(_first_result_of(evidence, sure.id))
    elif sure is not None:
        facts = _typed_facts(
            sure, question, intents, say, asked=evidence.asked, whether=evidence.whether == sure.id
        )
        if facts:
            parts.extend(facts)
            cited.add(_first_result_of(evidence, sure.id))
    elif focus is not None and evidence.near == focus.id and haggle is None:
        # Nearly named ("the copper best clamp"): its facts, after asking whether it is the one meant.
        found: list[str] = []
        facts = _typed_facts(
            focus,
            question,
            found,
            say,
            asked=evidence.asked,
            named_before=True,
            whether=evidence.whether == focus.id,
        )
        if facts:
            intents.extend(["near", *found])
            parts.extend([say.do_you_mean(focus.short_name), *facts])
            cited.add(_first_result_of(evidence, focus.id))
    picked = pick_sentences(question, evidence, focus, asked=evidence.asked, say=say)
    picked = [] if "compared" in intents else picked  # each compared product is introduced already
    # The product meant, named or nearly ("does the teapot work on induction?" of the one teapot).
    meant = sure or (focus if focus is not None and evidence.near == focus.id else None)
    if meant is not None and evidence.whether == meant.id and "stock" in intents and haggle is None:
        # "Do you have a jacket for winter?" answered "in stock": what it costs and is, as a seller says
        price = say.price_of(meant) if not {"price", "options", "tier"} & set(intents) else None
        parts.extend([say.price(meant.short_name, price, first=False)] if price else [])
        picked = picked or overview(evidence, meant, say)
        cited.update(i for i, _ in picked)
    if meant is not None and not picked and not parts and haggle is None:
        # "tell me about the X", "do you have the X?" of one whose stock the catalog does not give, or
        # "any gift ideas for a runner?" of the runner shoe: what it is
        introduce = evidence.whether == meant.id or asks_recommendation(question)
        if wants_overview(evidence.asked or question, question) or introduce:
            intents.append("overview")
            price = say.price_of(meant)
            parts.extend([say.price(meant.short_name, price)] if price else [])
            picked = overview(evidence, meant, say)
            cited.add(_first_result_of(evidence, meant.id))
        else:  # the product is ours; what is asked of it is not in the catalog
            intents.append("no-detail")
            parts.append(say.no_detail(meant.short_name, persona_name))
    if "sale" in intents:  # the record's sale is said already; the catalog's sale lines would repeat it
        picked = [(i, said) for i, said in picked if not asked_labels(said) & _SALE_WORDS]
    on_sale = "sale" in intents or any(asked_labels(said) & _SALE_WORDS for _, said in picked)
    if "sale" in asked_labels(question) and "discount" not in intents and sure is not None and not on_sale:
        intents.append("discount")  # asked whether it is on sale, and it is not
        parts.append(say.prices_as_listed())
    if haggle is not None and haggle.kind == "quantity" and any(TIER_LINE.match(said) for _, said in picked):
        intents.append("tier-prices")  # buying more: the catalog's own tier prices answer it
    if haggle is not None and not haggle.answered_by(intents):
        parts.insert(0, say.prices_as_listed())
    picked = _not_repeated(picked, intents)
    if picked and focus is not None and not any(focus.short_name in p for p in parts):
        parts.append(say.about(focus.short_name))
    parts.extend(s for _, s in picked)
    cited.update(i for i, _ in picked)
    if parts == [say.prices_as_listed()]:
        parts.append(say.ask_which_product())
    if not parts:
        # Retrieval always returns something; nothing in it speaks to the words asked.
        return reply(say.no_answer(persona_name), intents=[*intents, "no-evidence"])
    if phrases and "no-detail" not in intents:  # at the seller's own rate (persona/manner.py)
        said = len(" ".join(parts).split())
        chosen = manner.pick_catchphrases(phrases, words=said, seed=f"{turn}:{question}")
        parts.extend(_sentence_case(p) for p in chosen)
    closing = _sentence_case(sign_off) if sign_off and turn == 0 else say.closing()
    if "no-detail" in intents:
        closing = ""
    return reply(*parts, closing, intents=intents or ["answer"], used=sorted(i for i in cited if i >= 0))


def _listed(p: ProductFacts, say: Phrases) -> str:
    """ "Zipped Jacket (60)": a product named among several, with its price when it has one."""
    price = say.price_of(p)
    return f"{p.short_name} ({price})" if price else p.short_name


def _small_talk(talk: str, say: Phrases, persona_name: str, sign_off: str | None) -> list[str]:
    if talk == THANKS:
        welcome, wish = say.welcome()
        return [welcome, _sentence_case(sign_off) if sign_off else wish]
    if talk == ACK:
        return [say.closing()]
    if talk == BOT:
        return [say.assistant(persona_name)]
    return [say.how_can_i_help()]  # a greeting, "can you help me?"


def _store_answer(
    evidence: Evidence,
    question: str,
    say: Phrases,
    persona_name: str,
    reply: Callable[..., Composed],
    sign_off: str | None,
) -> Composed:
    """A store question from the seller's store information: the passage sentences that answer it,
    or "I don't have that information" and the offer to pass it on. Never a product's facts."""
    if evidence.empty:
        return reply(say.no_policy(persona_name), intents=["no-evidence", "no-store-info"])
    picked = pick_sentences(question, evidence, None, say=say) or _opening(evidence)
    closing = _sentence_case(sign_off) if sign_off else say.closing()
    return reply(
        *(s for _, s in picked), closing, intents=["store-info"], used=sorted({i for i, _ in picked})
    )


def _opening(evidence: Evidence) -> list[tuple[int, str]]:
    """The first sentences of the best store passage (found by its topic, not by the question's words)."""
    first = evidence.results[0].text.strip().split("\n")
    body = " ".join(line for line in first if line.strip())
    sentences = [s for s in re.split(r"(?<=[.!?])\s+", body) if s.strip()][:2]
    return [(0, _sentence_case(s)) for s in sentences]


# Catalog lines that restate a typed fact ("Size options: M, L", "Variants: ...", "Availability: in
# stock"): left out once the reply has stated that fact from the record.
_RESTATES = (
    ("options", re.compile(r"^[^:]{1,40} options:|^variants:", re.I)),
    ("stock", re.compile(r"^(availability|stock|quantity):", re.I)),
    ("price", re.compile(r"^(price|prices|regular price):", re.I)),
    ("tier", TIER_LINE),
)


def _not_repeated(picked: list[tuple[int, str]], intents: list[str]) -> list[tuple[int, str]]:
    """The picked lines minus those restating a stated typed fact, and a "Label: value" line whose
    value another picked line already holds ("Width: 1.31" beside "Dimensions: width 1.31, ...")."""
    kept = [
        (i, said) for i, said in picked if not any(k in intents and rx.match(said) for k, rx in _RESTATES)
    ]
    out = []
    for i, said in kept:
        label, sep, value = said.partition(": ")
        value = value.rstrip(".").strip().lower()
        others = [o.lower() for j, o in kept if o != said]
        if sep and len(label) <= 40 and value and any(value in o and len(o) > len(said) for o in others):
            continue
        out.append((i, said))
    return out


def _comparison(products: list[ProductFacts], question: str, say: Phrases) -> list[str]:
    """Which of the named products is cheaper, when asked and every price is known."""
    if not compares_price(question):
        return []
    priced = [(price, p) for p in products if (price := p.single_price()) is not None]
    if len(priced) != len(products) or len({price for price, _ in priced}) < 2:
        return []
    return [say.cheaper(min(priced, key=lambda x: x[0])[1].short_name)]


def _typed_facts(
    p: ProductFacts,
    question: str,
    intents: list[str],
    say: Phrases,
    *,
    asked: str | None = None,
    named_before: bool = False,
    whether: bool = False,
) -> list[str]:
    """Price, stock and options from the catalog's typed fields, for what the question asks. When the
    question names option values ("in green, size L"), the matching variants' price and stock. The
    product is named once (`named_before`: the sentence before named it); later facts refer back to
    it (`first=False`). `whether`: the question asks only whether the shop has the product ("Do you
    have the X?"): its stock, in stock or not."""
    out: list[str] = []
    chosen, wanted = p.variants_named(asked or question)  # option values, not words of the name
    label = f"{p.short_name} ({', '.join(wanted)})" if chosen else p.short_name
    named_before = named_before and not chosen  # the variant asked for is said with the name
    if wanted and not chosen:
        intents.append("options")
        out.append(say.not_listed_in(p.short_name, wanted, first=not (out or named_before)))
    # A colour or size no variant has ("in purple?" of a hoodie in black, gray and orange): said, with
    # what there is, and the product's own stock is not offered as if it were that version.
    missing = None if wanted else p.unoffered(asked or question)
    if missing is not None:
        option, said, values = missing
        intents.append("options")
        out.append(say.not_listed_in(p.short_name, said, first=not (out or named_before)))
        out.append(say.comes_in(p.short_name, [(option, values[:8])], first=False))
    quantity = asked_quantity(question)
    tier = p.tier_for(quantity) if quantity else None
    if tier is not None and (asks_price(question) or "tier" in asked_labels(question)):
        intents.append("tier")
        out.append(
            say.price(
                label,
                say.tier_price(say.money(tier[1], p.currency), tier[0]),
                first=not (out or named_before),
            )
        )
    if (asks_price(question) or "discount" in intents) and "tier" not in intents:
        price = say.price_of(p, chosen or None)
        if price:
            intents.append("price")
            out.append(say.price(label, price, first=not (out or named_before)))
    if "sale" in asked_labels(question):
        said = _sale(p, label, chosen or None, say, first=not (out or named_before))
        if said:
            intents.append("sale")
            out.append(said)
    stock = p.stock_of(chosen) if chosen else p.stock
    flag = p.available if not chosen and stock is None else None  # listed in stock, no count given
    # "Do you have the X?" of a product that is sold out: said, or the shopper would try to buy it;
    # "do you have it in teal?": whether that version is there, either way.
    sold_out = (stock is not None and stock <= 0) or flag is False
    asked_stock = asks_stock(question) or (
        (sold_out or chosen or whether) and asks_availability(question, by_name=False)
    )
    if asked_stock and (missing is None or sold_out) and (stock is not None or flag is not None):
        intents.append("stock")
        # A count only when asked for one, and only the product's own (not a sum over its variants).
        variant_stock = [int(v["stock"]) for v in p.variants if isinstance(v.get("stock"), int | float)]
        summed = not chosen and bool(variant_stock) and stock == sum(variant_stock)  # a total over variants
        count = stock if stock is not None and asks_count(question) and not summed else None
        out.append(
            say.sold_out(label, first=not (out or named_before))
            if sold_out
            else say.in_stock(label, count, first=not (out or named_before))
        )
    if asks_options(question) and "options" not in intents:
        intents.append("options")
        options = [(k, v[:8]) for k, v in p.options().items() if len(v) > 1][:2]
        if options:
            out.append(say.comes_in(p.short_name, options, first=not (out or named_before)))
        elif p.name != p.short_name:
            out.append(say.listed_as(p.name))  # the options may be in its full name
        elif p.variants:
            out.append(say.one_version(p.short_name, first=not (out or named_before)))
    return out


def _sale(
    p: ProductFacts, label: str, variants: list[dict[str, Any]] | None, say: Phrases, *, first: bool
) -> str | None:
    """What the record says of a sale: on now (until when), over, or a crossed-out old price. A sale
    price the catalog only implies (list price minus a discount) is not stated as a number."""
    sale = p.sale
    if sale.get("sale_active") and sale.get("sale_price") and sale.get("regular_price"):
        now, was = (say.money(Decimal(str(sale[k])), p.currency) for k in ("sale_price", "regular_price"))
        return say.sale(label, now, was, until=_day(sale.get("sale_end")), first=first)
    ended = _day(sale.get("sale_end"))
    if sale and not sale.get("sale_active") and ended is not None:
        now = say.price_of(p, variants)
        return say.sale_ended(label, ended, now) if now else None
    old = p.reduced_from(variants)
    now = say.price_of(p, variants)
    if old is not None and now:
        return say.sale(label, now, say.money(old, p.currency), first=first)
    return None


def _day(value: Any) -> date | None:
    try:
        return date.fromisoformat(str(value)[:10]) if value else None
    except ValueError:
        return None


def _first_result_of(evidence: Evidence, product_id: str) -> int:
    return next((i for i, r in enumerate(evidence.results) if r.product_id == product_id), -1)
