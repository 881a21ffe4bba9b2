"""Shopper questions generated from a catalog's own records, for catalogs that come without question
files (`echome eval records`): the price, stock and options of sampled products, asked by their full
name and by a shortened one, and questions about products of *other* shops, which this shop must
decline. The expected facts are read from the parsed records, never typed in by hand, so any catalog
(and any number of them) can be scored.
"""

from __future__ import annotations

import random
from decimal import Decimal

from echome.answer.quality import Question
from echome.knowledge.keyword import tokenize
from echome.knowledge.lookup import ProductNames
from echome.knowledge.records import ProductRecord


def amount_forms(d: Decimal) -> list[str]:
    """How a price may be written in an answer: "1500", "1,500", "14.99", "14,99"."""
    whole = d == d.to_integral_value()
    plain = f"{d:.0f}" if whole else f"{d:.2f}"
    grouped = f"{d:,.0f}" if whole else f"{d:,.2f}"
    return list(dict.fromkeys([plain, grouped, plain.replace(".", ",")]))


def _price_expectation(p: ProductRecord) -> list[list[str]] | None:
    variants = [v for v in p.attributes.get("variants") or [] if isinstance(v, dict)]
    prices = sorted({Decimal(str(v["price"])) for v in variants if v.get("price") not in (None, "")})
    if len(prices) > 1:
        return [amount_forms(prices[0]), amount_forms(prices[-1])]
    price = p.price if p.price is not None else (prices[0] if prices else None)
    return [amount_forms(Decimal(str(price)))] if price is not None and price > 0 else None


def _short_form(p: ProductRecord, names: ProductNames, pid: str) -> str | None:
    """The first three words of a longer name, when they still name this product alone."""
    words = p.name.split()
    if len(words) < 5:
        return None
    short = " ".join(words[:3])
    found = names.find(f"How much is the {short}?")
    return short if [m.product_id for m in found.mentions] == [pid] else None


def record_questions(products: list[ProductRecord], *, sample: int = 40, seed: int = 7) -> list[Question]:
    """Price, stock and options questions about up to `sample` products (a seeded sample)."""
    rng = random.Random(seed)
    indexed = [(str(i), p) for i, p in enumerate(products)]
    names = ProductNames((pid, p.name, p.sku, None) for pid, p in indexed)
    chosen = rng.sample(indexed, min(sample, len(indexed)))
    out: list[Question] = []
    for pid, p in chosen:
        if len(names.find(f"How much is the {p.name}?").mentions) != 1:
            continue  # two products share this name: not a fair question
        price = _price_expectation(p)
        if price:
            out.append(Question(f"How much is the {p.name}?", price, kind="price"))
            short = _short_form(p, names, pid)
            if short:
                out.append(Question(f"What does the {short} cost?", price, kind="price-short-name"))
        variants = [v for v in p.attributes.get("variants") or [] if isinstance(v, dict)]
        if p.stock is not None and not variants:
            if p.stock > 0:
                out.append(
                    Question(f"How many {p.name} do you have in stock?", [[str(p.stock)]], kind="stock")
                )
            else:
                out.append(Question(f"Is the {p.name} in stock?", [["sold out"]], kind="stock"))
        options: dict[str, list[str]] = {}
        for v in variants:
            for key, value in (v.get("options") or {}).items():
                if value and str(value) not in options.setdefault(str(key), []):
                    options[str(key)].append(str(value))
        many = [(k, vals) for k, vals in options.items() if len(vals) > 1][:1]
        for key, vals in many:
            expect = [[v] for v in vals[:8]]
            out.append(
                Question(f"Which {key.lower()} options does the {p.name} come in?", expect, kind="options")
            )
    return out


def foreign_questions(
    own: list[ProductRecord], others: list[ProductRecord], *, sample: int = 20, seed: int = 7
) -> list[Question]:
    """ "Do you sell X?" for products of other shops whose name words are mostly absent from this
    catalog's text (a product this shop clearly does not carry)."""
    vocab: set[str] = set()
    for p in own:
        vocab.update(tokenize(" ".join([p.name, p.description or "", *(f.text for f in p.fields)])))
    rng = random.Random(seed)
    pool = [p for p in others if p.name]
    rng.shuffle(pool)
    out: list[Question] = []
    for p in pool:
        words = [w for w in tokenize(p.name) if not w.isdigit()]
        if len(words) < 2 or sum(w in vocab for w in words) > len(words) // 3:
            continue
        out.append(Question(f"Do you sell the {p.name}?", offcatalog=True, kind="foreign"))
        if len(out) >= sample:
            break
    return out


def own_name_questions(products: list[ProductRecord], *, sample: int = 20, seed: int = 7) -> list[Question]:
    """ "Do you sell X?" for this shop's own products: must not be declined (expects the name)."""
    rng = random.Random(seed + 1)
    chosen = rng.sample(products, min(sample, len(products)))
    return [Question(f"Do you sell the {p.name}?", [[p.name.split()[0]]], kind="own-name") for p in chosen]
