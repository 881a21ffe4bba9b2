"""BM25 keyword index per seller (bm25s), rebuilt from `product_chunks` when the catalog changes.

The tokenizer keeps part numbers whole ("tas67524qdkqrq1", "wr30x320", "240337103") and also
indexes their pieces split at '-', '.' and '/', so "TAS67524-Q1" matches either way.

A query word the catalog never uses is read as the catalog's words of the same Snowball stem, in the
catalog's own language (`catalog_language`): "Dartpfeile" finds "Dartpfeil", "batteries" finds
"battery", "chargers" finds "charger". Words the catalog uses are matched as they are, so stemming
only adds matches for words that had none."""

from __future__ import annotations

import re
import threading
import time
import unicodedata
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from echome.knowledge.chunk import seller_text
from echome.language import LANGUAGES, language_scores

# Words of any script (accents folded: "Likör" and "likor", "Größe" and "grosse" are one word).
_TOKEN = re.compile(r"[^\W_]+(?:[-./][^\W_]+)*")
STOPWORDS = frozenset(
    (
        "a",
        "an",
        "the",
        "is",
        "are",
        "was",
        "were",
        "be",
        "been",
        "being",
        "of",
        "to",
        "in",
        "on",
        "for",
        "and",
        "or",
        "with",
        "this",
        "that",
        "these",
        "those",
        "it",
        "its",
        "do",
        "does",
        "did",
        "can",
        "could",
        "will",
        "would",
        "should",
        "i",
        "my",
        "me",
        "we",
        "our",
        "you",
        "your",
        "what",
        "which",
        "who",
        "how",
        "if",
        "at",
        "by",
        "from",
        "as",
        "any",
        "there",
        "have",
        "has",
        "had",
        "not",
        "no",
        "so",
        "than",
        "then",
        "too",
        "very",
        "just",
        "about",
        "into",
        "over",
        "also",
    )
)


_NONE = np.zeros(0, dtype=np.int64)

# Snowball's name of each shop language (PyStemmer).
SNOWBALL = {
    "en": "english", "de": "german", "fr": "french", "es": "spanish", "it": "italian", "nl": "dutch",
    "pt": "portuguese",
}  # fmt: skip
MIN_STEMMED = 4  # shorter words are not stemmed ("bag" and "bags" are the plural rule's)
LANGUAGE_SAMPLE = 400  # texts read to tell the catalog's language


def catalog_language(texts: Sequence[str]) -> str:
    """The shop language most of `texts` (chunk texts) are written in, "en" when unclear: read from
    their function words, the overview line chunking adds in English left out (`seller_text`)."""
    total = dict.fromkeys(LANGUAGES, 0.0)
    step = max(1, len(texts) // LANGUAGE_SAMPLE)
    for text in texts[::step][:LANGUAGE_SAMPLE]:
        for lang, score in language_scores(seller_text(text)[:2000]).items():
            total[lang] += score
    best = max(total, key=lambda lang: total[lang])
    return best if total[best] > 0 else "en"


def stemmer(language: str) -> Callable[[list[str]], list[str]]:
    import Stemmer

    return Stemmer.Stemmer(SNOWBALL.get(language, "english")).stemWords


@dataclass(frozen=True)
class StemGroups:
    """A vocabulary's words by Snowball stem, in one language (words of letters only, `MIN_STEMMED`+):
    what a word the vocabulary lacks may stand for. Empty: no stemming."""

    language: str = "en"
    groups: dict[str, tuple[str, ...]] = field(default_factory=dict, repr=False)

    @classmethod
    def of(cls, vocab: Iterable[str], language: str) -> StemGroups:
        words = [w for w in vocab if len(w) >= MIN_STEMMED and w.isalpha()]
        groups: dict[str, list[str]] = {}
        for w, stem in zip(words, stemmer(language)(words), strict=True):
            groups.setdefault(stem, []).append(w)
        return cls(language, {k: tuple(v) for k, v in groups.items()})

    def mates(self, word: str) -> tuple[str, ...]:
        """The vocabulary's words sharing `word`'s stem (a word of letters only)."""
        if not self.groups or not word.isalpha():
            return ()
        return self.groups.get(stemmer(self.language)([word])[0], ())


def fold(text: str) -> str:
    """Lower case without accents."""
    if text.isascii():
        return text.lower()
    text = unicodedata.normalize("NFKD", text.casefold().replace("ß", "ss"))
    return "".join(ch for ch in text if not unicodedata.combining(ch))


def tokenize(text: str) -> list[str]:
    out: list[str] = []
    for tok in _TOKEN.findall(fold(text)):
        if tok in STOPWORDS:
            continue
        out.append(tok)
        if any(ch in tok for ch in "-./"):
            parts = [p for p in re.split(r"[-./]", tok) if p]
            out.extend(parts)
            out.append("".join(parts))
    return out


@dataclass
class KeywordIndex:
    ids: list[str]
    texts: list[str]
    meta: list[dict[str, Any]]
    bm25: Any
    # Product names, for spotting "which product does the customer mean" in a query.
    name_tokens: dict[str, frozenset[str]] = field(default_factory=dict)
    token_products: dict[str, list[str]] = field(default_factory=dict)
    stems: StemGroups = field(default_factory=StemGroups)  # in the catalog's language
    _groups: dict[str, dict[str, np.ndarray]] = field(default_factory=dict, repr=False)
    _positions: dict[str, int] | None = field(default=None, repr=False)

    def position(self, chunk_id: str) -> int | None:
        if self._positions is None:
            self._positions = {cid: i for i, cid in enumerate(self.ids)}
        return self._positions.get(chunk_id)

    def mentioned_product(self, query: str) -> tuple[str, frozenset[str]] | None:
        """The product whose name the query spells out (most of its name words), if exactly one."""
        counts: dict[str, int] = {}
        for t in set(tokenize(query)):
            # "shuffles" names the iPod shuffle: a plural counts for its singular.
            forms = {t, t[:-1]} if len(t) > 3 and t.endswith("s") else {t}
            if len(t) > 4 and t.endswith("es"):
                forms.add(t[:-2])
            for pid in {pid for f in forms for pid in self.token_products.get(f, ())}:
                counts[pid] = counts.get(pid, 0) + 1
        ranked = sorted(((n / len(self.name_tokens[pid]), n, pid) for pid, n in counts.items()), reverse=True)
        if not ranked:
            return None
        cov, matched, pid = ranked[0]
        if cov < 0.6 or matched < min(2, len(self.name_tokens[pid])):
            return None
        if len(ranked) > 1 and ranked[1][:2] == (cov, matched):
            return None  # two products fit equally well: let retrieval decide
        return pid, self.name_tokens[pid]

    @property
    def language(self) -> str:
        """The catalog's (see `catalog_language`)."""
        return self.stems.language

    def same_stem(self, word: str) -> tuple[str, ...]:
        """The catalog's words sharing `word`'s stem, for a word the catalog does not use itself."""
        return self.stems.mates(word) if len(word) >= MIN_STEMMED else ()

    def forms(self, word: str) -> tuple[str, ...]:
        """What `word` (a query token) matches in the index: itself, else its stem's words."""
        if self.bm25 is None:
            return ()
        return (word,) if word in self.bm25.vocab_dict else self.same_stem(word)

    def scores(self, query: str) -> np.ndarray:
        tokens = [f for t in tokenize(query) for f in self.forms(t)]
        if not tokens:
            return np.zeros(len(self.ids), dtype=np.float32)
        return np.asarray(self.bm25.get_scores(tokens), dtype=np.float32)

    def positions(self, where: dict[str, str]) -> np.ndarray:
        """Indices of the chunks whose metadata matches every filter, from per-field groups built
        once per index (a search filtered to one product reads a handful of rows, not all)."""
        out: np.ndarray | None = None
        for key, value in where.items():
            groups = self._groups.get(key)
            if groups is None:
                lists: dict[str, list[int]] = {}
                for i, m in enumerate(self.meta):
                    lists.setdefault(str(m.get(key) or ""), []).append(i)
                groups = self._groups[key] = {v: np.array(ix, dtype=np.int64) for v, ix in lists.items()}
            found = groups.get(value, _NONE)
            out = found if out is None else np.intersect1d(out, found, assume_unique=True)
        return np.arange(len(self.ids)) if out is None else out

    def top(self, query: str, *, k: int, where: dict[str, str] | None = None) -> list[tuple[int, float]]:
        scores = self.scores(query)
        if where:
            keep = self.positions(where)
            idx, scores = keep, scores[keep]
        else:
            idx = np.arange(len(scores))
        if not len(scores):
            return []
        k = min(k, len(scores))
        best = np.argpartition(-scores, k - 1)[:k]
        best = best[np.argsort(-scores[best])]
        return [(int(idx[i]), float(scores[i])) for i in best if scores[i] > 0]


def build_index(
    ids: Sequence[str], texts: Sequence[str], embed_texts: Sequence[str], meta: Sequence[dict]
) -> KeywordIndex:
    import bm25s

    bm25 = None
    stems = StemGroups()
    if ids:
        bm25 = bm25s.BM25()
        bm25.index([tokenize(t) or ["\x00"] for t in embed_texts], show_progress=False)
        stems = StemGroups.of(bm25.vocab_dict, catalog_language(texts))
    name_tokens: dict[str, frozenset[str]] = {}
    token_products: dict[str, list[str]] = {}
    for m in meta:
        pid = m.get("product_id")
        if pid and pid not in name_tokens and m.get("name"):
            toks = frozenset(tokenize(m["name"]))
            if toks:
                name_tokens[pid] = toks
                for t in toks:
                    token_products.setdefault(t, []).append(pid)
    return KeywordIndex(list(ids), list(texts), list(meta), bm25, name_tokens, token_products, stems=stems)


def without_words(query: str, words: frozenset[str]) -> str:
    """The query minus the words of a product name: what the customer asks about it."""
    kept = [w for w in query.split() if not (set(tokenize(w)) & words)]
    return " ".join(kept)


class KeywordCache:
    """One index per seller (and per kind of text: `user_id/store_info`), rebuilt when its version
    changes.

    Reading the version costs a scan of the seller's chunk rows, so it is read at most once per
    `recheck` seconds: an import shows up in keyword search within that time. At most `max_sellers`
    indexes are kept; the least recently used one is dropped (and rebuilt when asked for again)."""

    def __init__(self, *, recheck: float = 2.0, max_sellers: int = 64) -> None:
        self._lock = threading.Lock()
        self._items: OrderedDict[str, tuple[Any, KeywordIndex, float]] = OrderedDict()
        self.recheck = recheck
        self.max_sellers = max_sellers

    def _keep(self, user_id: str, item: tuple[Any, KeywordIndex, float]) -> None:
        with self._lock:
            self._items[user_id] = item
            self._items.move_to_end(user_id)
            while len(self._items) > self.max_sellers:
                self._items.popitem(last=False)

    def get(
        self, user_id: str, version: Callable[[], Any], build: Callable[[], KeywordIndex]
    ) -> KeywordIndex:
        now = time.monotonic()
        with self._lock:
            hit = self._items.get(user_id)
        if hit is not None and now - hit[2] < self.recheck:
            return hit[1]
        current = version()
        if hit is not None and hit[0] == current:
            self._keep(user_id, (current, hit[1], now))
            return hit[1]
        index = build()
        self._keep(user_id, (current, index, now))
        return index

    def invalidate(self, user_id: str) -> None:
        """Forget every index of the seller: its catalog's (`user_id`) and its others' (`user_id/...`,
        e.g. store information)."""
        with self._lock:
            for key in [k for k in self._items if k == user_id or k.startswith(f"{user_id}/")]:
                del self._items[key]
