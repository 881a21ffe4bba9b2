"""Does the shop carry what a question asks for? The question's subject words ("iphone 15 cases",
"gaming laptops", "nike air max") are looked up in the seller's catalog text, and the product whose
own text holds the largest share of them (weighted by how rare each word is among the products) is
the best cover. A shop that sells a Nexus 7 case and, elsewhere, earphones "for iPod and iPhone" has
no product holding both "iphone" and "case": it does not carry iPhone cases.

The share is a calibrated decision, not a constant tuned to one catalog: `benchmarks/offcatalog.py`
measures it on every catalog we have (in-catalog questions against questions from other shops).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from echome.knowledge.keyword import KeywordIndex, tokenize
from echome.knowledge.name_words import irregular_singulars

# Share of the subject's weight one product must hold (measured: benchmarks/offcatalog.py), when the
# question asks whether the shop has something, and when it asks anything else.
MIN_COVER = 0.6
MIN_COVER_OTHER = 0.3


@dataclass(frozen=True)
class Cover:
    share: float  # of the subject words' weight held by the best product (1.0: all of them)
    product_id: str | None  # that product
    missing: tuple[str, ...]  # subject words no product's text holds at all

    def carried(self, *, asks_availability: bool) -> bool:
        return self.share >= (MIN_COVER if asks_availability else MIN_COVER_OTHER)


_LETTERS = "abcdefghijklmnopqrstuvwxyz"
MIN_TYPO_LENGTH = 6  # shorter words are not corrected ("iphone" is not a misspelt "phone")


def _forms(word: str) -> list[str]:
    """A word and its singular ("laptops" → laptop, "boxes" → box, "cases" → case, "knives" → knife)."""
    out = [word]
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        out.append(word[:-1])
        if word.endswith("es") and len(word) > 4:
            out.append(word[:-2])
        out.extend(sorted(irregular_singulars(word)))
    return out


def _misspelt(word: str, vocab: dict[str, int]) -> list[str]:
    """Catalog words one edit from a word of six letters or more, first letter kept ("batteris" →
    batteries, "grammmar" → grammar): a shopper's typo is not a product the shop lacks."""
    if len(word) < MIN_TYPO_LENGTH or not word.isalpha():
        return []
    head, rest = word[0], word[1:]
    edits = {head + rest[:i] + rest[i + 1 :] for i in range(len(rest))}
    edits |= {head + rest[:i] + rest[i + 1] + rest[i] + rest[i + 2 :] for i in range(len(rest) - 1)}
    for i in range(len(rest) + 1):
        for ch in _LETTERS:
            edits.add(head + rest[:i] + ch + rest[i:])
            if i < len(rest):
                edits.add(head + rest[:i] + ch + rest[i + 1 :])
    edits.discard(word)
    return [e for e in edits if e in vocab]


def cover(index: KeywordIndex, subject: list[str], *, persona_id: str | None = None) -> Cover | None:
    """The best single product's share of `subject` (words as `tokenize` gives them), among the
    products of `persona_id` ("" : the shared catalog; None: all), or None when the subject is empty
    or the catalog has no text to look in."""
    if index.bm25 is None or not subject:
        return None
    owners = _owners(index, subject, persona_id)
    n = max(len({m.get("product_id") for m in index.meta}), 1)
    weight = {w: math.log(1 + n / max(len(p), 1)) for w, p in owners.items()}
    total = sum(weight.values())
    best: dict[str, float] = {}
    for word, products in owners.items():
        for pid in products:
            best[pid] = best.get(pid, 0.0) + weight[word]
    missing = tuple(w for w, p in owners.items() if not p)
    if not best:
        return Cover(0.0, None, missing)
    pid, held = max(best.items(), key=lambda kv: kv[1])
    return Cover(held / total if total else 0.0, pid, missing)


def holders(index: KeywordIndex, subject: list[str], *, persona_id: str | None = None) -> set[str]:
    """The products (of `persona_id`, as in `cover`) whose text holds every word of `subject`; every
    product when the subject is empty ("your cheapest thing")."""
    if index.bm25 is None:
        return set()
    if not subject:
        return {
            m["product_id"]
            for m in index.meta
            if m.get("product_id") and (persona_id is None or m.get("persona_id") == persona_id)
        }
    owners = list(_owners(index, subject, persona_id).values())
    return set.intersection(*owners) if owners else set()


def _owners(index: KeywordIndex, subject: list[str], persona_id: str | None) -> dict[str, set[str]]:
    """Each subject word → the products whose text holds it (its singular, a word of its stem, or a
    word one typo away)."""
    assert index.bm25 is not None
    vocab = index.bm25.vocab_dict
    owners: dict[str, set[str]] = {}
    for word in dict.fromkeys(subject):
        products: set[str] = set()
        forms = [f for f in _forms(word) if f in vocab] or list(index.same_stem(word))
        forms = forms or _misspelt(word, vocab)
        for form in forms:
            if form not in vocab:
                continue
            hits = np.nonzero(index.bm25.get_scores([form]))[0]
            for i in hits:
                meta = index.meta[int(i)]
                if meta.get("product_id") and (persona_id is None or meta.get("persona_id") == persona_id):
                    products.add(meta["product_id"])
        owners[word] = products
    return owners


def subject_words(text: str) -> list[str]:
    """`text` as keyword tokens, without bare numbers ("size 10", "2 of them")."""
    return [t for t in tokenize(text) if not t.replace(".", "").isdigit()]
