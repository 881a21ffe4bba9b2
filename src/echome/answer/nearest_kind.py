"""The closest thing the shop has to a kind of product it does not carry ("a bedside lamp?" of a shop
whose "Copper Light" is a bedside light): the kinds of the catalog (each product name's head word,
`ProductNames.by_kind`) are embedded once per catalog version, and a kind the question asks for that
no product's text holds is compared with them by meaning.

The answer stays a decline ("nothing in my catalog is listed as lamp") with the nearest products
offered, never a claim that a light is a lamp: closeness by meaning finds a light for a lamp, and
also a candle. The products that also hold the question's other words ("bedside") come first.

Only a question whose one missing word is its head (the last word of what it asks for) is matched:
"a Samsung Galaxy?" misses two proper words, and names are not matched by meaning. Only questions in
a language the embedder knows (`NearestKinds.languages`) are matched.
"""

from __future__ import annotations

import re
import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from echome.knowledge.coverage import Cover
from echome.knowledge.keyword import tokenize
from echome.knowledge.lookup import ProductNames
from echome.language import detect_language
from echome.providers.base import Embedder

# Cosine between two kind words (the local MiniLM) at and above which one is offered for the other.
# Measured on word pairs: synonyms and near-synonyms (couch/sofa 0.85, mug/cup 0.71, lamp/light 0.61)
# mostly lie above it, unrelated kinds (lamp/sofa 0.36, tv/lamp 0.40, bike/beanbag 0.33) below;
# related kinds (shoe/sock 0.64, lamp/candle 0.61) fall on both sides, which is why the reply offers
# them as the closest thing and does not say they are what was asked for.
NEAR_KIND = 0.6
TIE = 0.03  # kinds this close to the best one are offered beside it
MAX_OFFERED = 3


@dataclass(frozen=True)
class Closest:
    said: str  # the kind asked for, as the question says it ("lamps")
    products: tuple[str, ...]  # product ids, best first
    similarity: float


@dataclass(eq=False)
class NearestKinds:
    embedder: Embedder
    min_similarity: float = NEAR_KIND
    # The questions' languages the embedder places words of by meaning (the local MiniLM: English; in
    # German it put "Scheiben" nearest "Schneebesen").
    languages: frozenset[str] = frozenset({"en"})
    _vectors: weakref.WeakKeyDictionary[ProductNames, tuple[list[str], np.ndarray]] = field(
        default_factory=weakref.WeakKeyDictionary
    )

    def closest(
        self,
        names: ProductNames,
        found: Cover | None,
        subject: Sequence[str],
        question: str,
        *,
        sells: Callable[[str | None], bool],
        holders: Callable[[str], set[str]],
    ) -> Closest | None:
        """The products of the kinds nearest the one missing word of `subject` (the question's keyword
        words), or None. `holders(word)`: the products whose text holds a word (they rank first)."""
        if found is None or len(found.missing) != 1 or not subject or subject[-1] != found.missing[0]:
            return None
        word = found.missing[0]
        if len(word) < 3 or not word.isalpha() or detect_language(question) not in self.languages:
            return None
        kinds, vectors = self._kinds(names)
        if not kinds:
            return None
        asked = np.asarray(self.embedder.embed([word], kind="query"), dtype=np.float32)[0]
        sims = vectors @ (asked / max(float(np.linalg.norm(asked)), 1e-12))
        # the kinds near enough that this persona sells, nearest first (another persona's are skipped)
        sold = [
            (float(sims[i]), ids)
            for i in np.argsort(-sims)
            if sims[i] >= self.min_similarity and (ids := names.all_of_kind(kinds[i], sells=sells))
        ]
        if not sold:
            return None
        best = sold[0][0]
        others = [holders(w) for w in dict.fromkeys(subject) if w != word]
        ranked: dict[str, tuple[int, float]] = {}
        for sim, pids in sold:
            if sim < best - TIE:
                break
            for pid in pids:
                held = sum(pid in h for h in others)
                ranked[pid] = max(ranked.get(pid, (0, 0.0)), (held, sim))
        top = sorted(ranked, key=lambda p: (-ranked[p][0], -ranked[p][1], p))
        said = next((w for w in re.findall(r"[^\W_]+", question) if tokenize(w) == [word]), word)
        return Closest(said, tuple(top[:MAX_OFFERED]), best)

    def _kinds(self, names: ProductNames) -> tuple[list[str], np.ndarray]:
        cached = self._vectors.get(names)
        if cached is None:
            kinds = sorted(k for k in names.by_kind if k.isalpha() and len(k) >= 3)
            vectors = np.zeros((0, 1), dtype=np.float32)
            if kinds:
                vectors = np.asarray(self.embedder.embed(kinds, kind="query"), dtype=np.float32)
                vectors /= np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
            cached = (kinds, vectors)
            self._vectors[names] = cached
        return cached
