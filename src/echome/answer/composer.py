"""The grounded composer: answers with no language model, only from the evidence.

It picks the evidence sentences that answer the question, states the product's name, price, stock
and options from the catalog's typed fields, and wraps them in the persona's own greeting, phrasing
and sign-off. Every fact in its reply is copied from the catalog; the template words it adds carry
no facts (no numbers, no names), and persona phrases holding digits are never used.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from functools import partial
from typing import Any

from echome.answer.asks import (
    asked_labels,
    asks_count,
    asks_options,
    asks_price,
    asks_stock,
    compares_price,
    haggles,
)
from echome.answer.evidence import Evidence
from echome.answer.facts import ProductFacts, format_money
from echome.answer.sentences import overview, pick_sentences, wants_overview
from echome.answer.sentences import sentence_case as _sentence_case
from echome.persona.schema import phrase_text

PRICES_AS_LISTED = "I can only offer the prices listed in my catalog."


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
    not_carried = (
        "I'm sorry, that's not something we carry. "
        f"Shall I pass your question on so {persona_name} can answer you personally?"
    )
    if evidence.empty:
        return Composed(text=" ".join(p for p in (opener, no_answer) if p), intents=["no-evidence"])

    if evidence.not_carried and not haggles(question):
        return Composed(
            text=" ".join(p for p in (opener, not_carried) if p), intents=["no-evidence", "not-carried"]
        )
    if evidence.ambiguous and not evidence.mentioned:
        which = [evidence.products[p].short_name for p in evidence.ambiguous if p in evidence.products][:3]
        if len(which) > 1:
            ask = f"I have a few of those: {_join(which)}. Which one do you mean?"
            return Composed(text=" ".join(p for p in (opener, ask) if p), intents=["which-one"])
    focus = evidence.top_product()
    # Typed facts (price, stock, options) are stated only for a product the customer is known to mean.
    sure = focus if focus is not None and evidence.subject == focus.id else None
    named = [evidence.products[pid] for pid in evidence.mentioned if pid in evidence.products]
    intents: list[str] = []
    parts: list[str] = []
    cited: set[int] = set()
    if haggles(question):
        intents.append("discount")
        parts.append(PRICES_AS_LISTED)
    if len(named) > 1:  # "which is cheaper, the A or the B?": each one's facts
        for p in named:
            facts = _typed_facts(p, question, intents, asked=evidence.asked)
            parts.extend(facts[:1])
            if facts:
                cited.add(_first_result_of(evidence, p.id))
        parts.extend(_comparison(named, question))
    elif sure is not None:
        facts = _typed_facts(sure, question, intents, asked=evidence.asked)
        if facts:
            parts.extend(facts)
            cited.add(_first_result_of(evidence, sure.id))
    picked = pick_sentences(question, evidence, focus, asked=evidence.asked)
    if sure is not None and not picked and not parts:
        if wants_overview(evidence.asked or question, question):  # "tell me about the X"
            intents.append("overview")
            price = sure.price_text()
            parts.extend([f"The {sure.short_name} is {price}."] if price else [])
            picked = overview(evidence, sure)
            cited.add(_first_result_of(evidence, sure.id))
        else:  # the product is ours; what is asked of it is not in the catalog
            intents.append("no-detail")
            parts.append(
                f"I don't have that detail about the {sure.short_name} in my catalog. "
                f"Shall I pass your question on so {persona_name} can answer you personally?"
            )
    if "sale" in intents:  # the record's sale is said already; the catalog's sale lines would repeat it
        picked = [(i, said) for i, said in picked if not asked_labels(said) & {"sale", "reduced", "special"}]
    on_sale = "sale" in intents or any(
        asked_labels(said) & {"sale", "reduced", "special"} for _, said in picked
    )
    if "sale" in asked_labels(question) and "discount" not in intents and sure is not None and not on_sale:
        intents.append("discount")  # asked whether it is on sale, and it is not
        parts.append(PRICES_AS_LISTED)
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
    if "no-evidence" in intents or "no-detail" in intents:
        closing = ""
    text = " ".join(p for p in (opener, *parts, closing) if p)
    return Composed(text=text, used=sorted(i for i in cited if i >= 0), intents=intents or ["answer"])


def _comparison(products: list[ProductFacts], question: str) -> list[str]:
    """Which of the named products is cheaper, when asked and every price is known."""
    if not compares_price(question):
        return []
    priced = [(price, p) for p in products if (price := p.single_price()) is not None]
    if len(priced) != len(products) or len({price for price, _ in priced}) < 2:
        return []
    cheapest = min(priced, key=lambda x: x[0])[1]
    return [f"So the {cheapest.short_name} is the cheaper one."]


def _typed_facts(
    p: ProductFacts, question: str, intents: list[str], *, asked: str | None = None
) -> list[str]:
    """Price, stock and options from the catalog's typed fields, for what the question asks. When the
    question names option values ("in green, size L"), the matching variants' price and stock."""
    out = []
    chosen, wanted = p.variants_named(asked or question)  # option values, not words of the name
    label = f"{p.short_name} in {', '.join(wanted)}" if chosen else p.short_name
    if wanted and not chosen:
        intents.append("options")
        out.append(f"The {p.short_name} isn't listed in {_join(wanted)}.")
    if asks_price(question) or "discount" in intents:
        price = p.price_text(chosen or None)
        if price:
            intents.append("price")
            out.append(f"The {label} is {price}.")
    if "sale" in asked_labels(question):
        said = _sale(p, label, chosen or None)
        if said:
            intents.append("sale")
            out.append(said)
    stock = p.stock_of(chosen) if chosen else p.stock
    if asks_stock(question) and stock is not None:
        intents.append("stock")
        # A count only when asked for one, and only the product's own (not a sum over its variants).
        variant_stock = [int(v["stock"]) for v in p.variants if isinstance(v.get("stock"), int | float)]
        summed = not chosen and bool(variant_stock) and stock == sum(variant_stock)  # a total over variants
        count = f" ({stock} available)" if asks_count(question) and not summed else ""
        out.append(f"The {label} is in stock{count}." if stock > 0 else f"The {label} is sold out.")
    if asks_options(question) and "options" not in intents:
        intents.append("options")
        options = [(k, v) for k, v in p.options().items() if len(v) > 1][:2]
        if options:
            said = " and in ".join(f"{k.lower()} {_join(v[:8])}" for k, v in options)
            out.append(f"The {p.short_name} comes in {said}.")
        elif p.name != p.short_name:
            out.append(f"I have it listed as {p.name}.")  # the options may be in its full name
        elif p.variants:
            out.append(f"The {p.short_name} comes in one version only.")
    # Name the product once; later facts say "it".
    return [out[0], *(s.replace(f"The {p.short_name} ", "It ", 1) for s in out[1:])] if out else out


def _sale(p: ProductFacts, label: str, variants: list[dict[str, Any]] | None) -> str | None:
    """What the record says of a sale: on now (until when), over, or a crossed-out old price. A sale
    price the catalog only implies (list price minus a discount) is not stated as a number."""
    sale = p.sale
    money = partial(format_money, currency=p.currency)
    if sale.get("sale_active") and sale.get("sale_price") and sale.get("regular_price"):
        until = f" until {sale['sale_end']}" if sale.get("sale_end") else ""
        was = money(Decimal(str(sale["regular_price"])))
        return f"The {label} is on sale at {money(Decimal(str(sale['sale_price'])))} instead of {was}{until}."
    if sale and not sale.get("sale_active") and sale.get("sale_end"):
        now = p.price_text(variants)
        return f"The sale on the {label} ended on {sale['sale_end']}" + (
            f"; it is {now} now." if now else "."
        )
    old = p.reduced_from(variants)
    now = p.price_text(variants)
    if old is not None and now:
        return f"The {label} is reduced to {now} from {money(old)}."
    return None


def _first_result_of(evidence: Evidence, product_id: str) -> int:
    return next((i for i, r in enumerate(evidence.results) if r.product_id == product_id), -1)
