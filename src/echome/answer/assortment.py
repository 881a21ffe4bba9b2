"""What the shop sells, for "what do you sell?": its main categories, or a product of each common kind."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from echome.db.models import Product
from echome.knowledge.coverage import holders
from echome.knowledge.keyword import KeywordIndex
from echome.knowledge.lookup import ProductNames

MAX_SOLD = 5  # categories or products said for "what do you sell?"
_CATEGORY_PATH = re.compile(r"\s*[>/|;,]\s*")


@dataclass(frozen=True)
class Assortment:
    """What the shop sells, for "what do you sell?": its main categories when most products have
    one and there are several, else a product of each of its commonest kinds; `complete` when that
    is all."""

    things: list[str]
    complete: bool
    product_ids: list[str] = field(default_factory=list)  # the products listed (none for categories)
    suits: bool = False  # chosen for what the shopper said they want ("a present, she likes gold")


def assortment(
    sessions: sessionmaker[Session], user_id: str, persona_id: str | None, names: ProductNames
) -> Assortment:
    """The persona's products (`persona_id`; None: the shared catalog) as `Assortment` says."""
    owned = Product.persona_id == persona_id if persona_id else Product.persona_id.is_(None)
    with sessions() as db:
        rows = db.execute(
            select(Product.id, Product.name, Product.category)
            .where(Product.user_id == user_id, owned)
            .order_by(Product.name)
        ).all()
    tops = [_CATEGORY_PATH.split(c.strip())[0] for _, _, c in rows if c and c.strip()]
    counts: dict[str, int] = {}
    for top in tops:
        if top:
            counts[top] = counts.get(top, 0) + 1
    if len(counts) > 1 and 2 * len(tops) >= len(rows):
        ranked = sorted(counts, key=lambda c: (-counts[c], c.lower()))
        return Assortment(ranked[:MAX_SOLD], complete=len(ranked) <= MAX_SOLD)
    # the most common kinds first, each by its product with the shortest name
    by_kind: dict[str, list[tuple[str, str]]] = {}
    for pid, name, _ in rows:
        entry = names.entries.get(pid)
        by_kind.setdefault((entry.kind if entry is not None else None) or name, []).append((pid, name))
    common = sorted(by_kind, key=lambda k: (-len(by_kind[k]), k))[:MAX_SOLD]
    shown = [min(by_kind[k], key=lambda item: (len(item[1]), item[1])) for k in common]
    return Assortment([n for _, n in shown], len(rows) <= MAX_SOLD, [pid for pid, _ in shown])


def suited(
    index: KeywordIndex, names: ProductNames, subject: list[str], persona_id: str, *, most: int = MAX_SOLD
) -> list[str]:
    """For "a present for my girlfriend, she likes gold": the products (of `persona_id`, "" the shared
    catalog) holding the most of the subject's words that tell products apart (held by some of them,
    not all), up to `most`: most words first, then those whose names hold them ("Gold Bird Necklace"
    before a bracelet its description calls gold); [] when no such word is held."""
    everyone = holders(index, [], persona_id=persona_id)
    count: dict[str, int] = {}
    named: dict[str, int] = {}
    for word in dict.fromkeys(subject):
        held = holders(index, [word], persona_id=persona_id)
        if held and held != everyone:
            for pid in held:
                count[pid] = count.get(pid, 0) + 1
                named[pid] = named.get(pid, 0) + names.holds(pid, word)
    return sorted(count, key=lambda p: (-count[p], -named[p], p))[:most]
