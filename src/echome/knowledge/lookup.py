"""Which product a customer names: a lookup in the seller's product records, by SKU, by the whole
name, or by enough of the name to tell it apart ("the Luma lamp", "the SE210 earphones", "the belt").

Retrieval answers "what text is relevant"; this answers "which record is meant", so the typed facts
(price, stock, options) come from the right row. The rules, in order:

1. **SKU.** A word of the question equal to a product's SKU (ignoring case and `-`, `.`, `/`, `_`).
2. **Whole name.** Every word of a product's name is in the question.
3. **Partial name.** Enough of the name, weighted by how rare each word is among the seller's product
   names (IDF): two matched words holding half the name's weight (or a third of it when one of them
   is in no other product's name: "the Belkin Leather Folio"), or one word that no other product name
   holds, is the name's last word (what the product is) and half its weight ("the belt" for the
   Leather Belt, not "black" for the Black Beanbag). A model code (letters and digits, "se210")
   no other name holds is enough alone.

A question word that is no name's word, singular or plural, counts for the name words of its
Snowball stem in the catalog's language, when the index is built with one ("Haben Sie Dartpfeile?"
holds "Dartpfeil", "the batteries" "Battery").

When two products fit, the one whose matched words include the other's wins ("Belkin Leather Folio
for iPod nano" over "iPod Nano" when the Belkin's words are asked); for the same matched words, a
whole name beats a partial one ("TrailBlaze X2" over "TrailBlaze X2 Wide"), then the larger share of
the name. Products named apart ("which is cheaper, the A or the B?") are all returned, in the order
the question names them. Products that fit equally are returned as `ambiguous`, not guessed.

Products whose names share words ("the Blue Linen Shirt or the Blue Linen Shirt XL", "the Yellow
Sofa and the Grey Sofa") are told apart by the words that set them side by side (and, or, vs,
versus, than, compared to, a comma; in the seven languages): each side is looked up on its own,
and the sides' products are taken when they name more products than the whole question does, and
every product the whole question named among them. A connecting word inside a product's name
("Salt and Pepper Mill") does not split it.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace

from echome.knowledge.keyword import KeywordIndex, StemGroups, fold
from echome.knowledge.name_words import APART, COMPARING, FUNCTION_WORDS, words
from echome.knowledge.name_words import code as _code
from echome.knowledge.name_words import is_model_code as _is_model_code
from echome.knowledge.name_words import key as _key
from echome.knowledge.name_words import keys as _keys
from echome.knowledge.name_words import kind_of as _kind
from echome.knowledge.name_words import plural_forms as _plural_forms

MIN_SHARE = 0.5  # of a name's weight, for a partial match
MIN_SHARE_DISTINCT = 0.3  # ... of two or more words, one of them in no other product's name


@dataclass(frozen=True)
class Mention:
    product_id: str
    how: str  # "sku" | "name" | "partial" | "kind" (one side of a comparison: "or the matcha?")
    share: float  # of the name's weight the question holds (1.0 for "sku" and "name")
    matched: frozenset[str]  # the name words found in the question
    position: int  # where in the question the product is first named


@dataclass
class Lookup:
    mentions: list[Mention] = field(default_factory=list)  # products named, in the question's order
    ambiguous: list[str] = field(default_factory=list)  # products that fit equally well, none chosen
    stemmed: dict[str, frozenset[str]] = field(default_factory=dict)  # question word -> name keys by stem

    @property
    def first(self) -> str | None:
        return self.mentions[0].product_id if self.mentions else None

    def name_words(self) -> frozenset[str]:
        return frozenset().union(*(m.matched for m in self.mentions)) if self.mentions else frozenset()

    def asked(self, question: str) -> str:
        """The question without the names it spells out: what is asked about the products."""
        names = self.name_words()
        kept = [
            w
            for w in question.split()
            if not any((_keys(x) | self.stemmed.get(x, frozenset())) & names for x in words(w))
        ]
        return " ".join(kept) or question


@dataclass
class _Entry:
    product_id: str
    persona_id: str | None
    keys: frozenset[str]
    head: str | None  # the name's last word: what it is ("Leather Belt" is a belt)
    kind: str | None = None  # the head without a size or pack after it ("Matcha 100g" is matcha)


class ProductNames:
    """Name and SKU index of one seller's products (built from their records)."""

    def __init__(
        self, products: Iterable[tuple[str, str, str | None, str | None]], *, language: str | None = None
    ) -> None:
        """`language`: the catalog's, whose stems match a question's words to name words; None: none."""
        self.entries: dict[str, _Entry] = {}
        self.by_key: dict[str, list[str]] = {}
        self.by_code: dict[str, list[str]] = {}
        self.by_kind: dict[str, list[str]] = {}  # a name's head word (sizes aside) -> its products
        self.by_first: dict[str, list[str]] = {}  # a name's first word -> its products
        names: list[str] = []
        for pid, name, sku, persona_id in products:
            names.append(" ".join(fold(name or "").split()))
            ordered = [
                _key(w) for w in words(name or "") if w not in FUNCTION_WORDS and (len(w) > 1 or w.isdigit())
            ]
            keys = frozenset(ordered)
            kind = _kind(name or "")
            self.entries[pid] = _Entry(pid, persona_id, keys, ordered[-1] if ordered else None, kind)
            for k in keys:
                self.by_key.setdefault(k, []).append(pid)
            if kind:
                self.by_kind.setdefault(kind, []).append(pid)
            first = next((w for w in words(name or "") if w not in FUNCTION_WORDS), "")
            if first.isalpha() and len(first) >= 3:
                self.by_first.setdefault(_key(first), []).append(pid)
            if sku and len(_code(sku)) >= 3:
                self.by_code.setdefault(_code(sku), []).append(pid)
        n = max(len(self.entries), 1)
        self.idf = {k: math.log(1 + n / len(pids)) for k, pids in self.by_key.items()}
        self.language = language
        self._stems = StemGroups.of(self.by_key, language) if language else StemGroups()
        self._names = "\n".join(names)  # every name, folded: a connecting word inside one is no split

    def __len__(self) -> int:
        return len(self.entries)

    def points_at(self, question: str, product_id: str) -> bool:
        """Whether `question` holds a word of the product's name that no other product's name holds
        ("the copper best clamp", a misheard "copper desk lamp"): too little to name the product
        (rule 3), enough to ask the customer whether it is the one they mean."""
        entry = self.entries.get(product_id)
        if entry is None:
            return False
        asked = {k for w in words(question) if w not in FUNCTION_WORDS for k in self.forms(w)}
        own = [k for k in asked & entry.keys if self.by_key[k] == [product_id]]
        return any(len(k) >= 3 and not k.isdigit() for k in own)

    def all_of_kind(self, word: str, *, sells: Callable[[str | None], bool] | None = None) -> set[str]:
        """The products (among those `sells` accepts) whose name's head is `word` ("matcha" for
        "Uji Ceremonial Matcha 100g"; not for a "Bamboo Matcha Whisk"), or, when several names start
        with it, those: a family named first and told apart after ("Fliegenklatsche gelb / grün /
        lila", "Bikini Ocean Blue / Rainbow", a brand's range). A plural in -s, -e, -n, -en or -er
        is the word ("bikinis", "Dartpfeile")."""
        allowed = sells or (lambda _persona: True)
        forms = _plural_forms(fold(word)) | self.by_stem(fold(word))
        found = {p for k in forms for p in self.by_kind.get(k, ())}
        for k in forms:
            family = self.by_first.get(k, [])
            if len(family) > 1:
                found.update(family)
        return {p for p in found if allowed(self.entries[p].persona_id)}

    def of_kind(self, word: str, *, sells: Callable[[str | None], bool] | None = None) -> str | None:
        """The one product of that kind (`all_of_kind`), or None when there is none or several."""
        found = self.all_of_kind(word, sells=sells)
        return found.pop() if len(found) == 1 else None

    def holds(self, product_id: str, word: str) -> bool:
        """Whether the product's name holds `word` (singular or plural)."""
        entry = self.entries.get(product_id)
        return entry is not None and bool(self.forms(fold(word)) & entry.keys)

    def before_modifiers(
        self, product_id: str, said: list[str], at: int, *, stop: Callable[[str], bool]
    ) -> int:
        """Where the words before `said[at]` stop being the product's own name words ("the cast iron
        teapot": the index of "the"), walking back no further than a word `stop` accepts; -1 at the
        start of `said`."""
        j = at - 1
        while j >= 0 and not stop(said[j]) and self.holds(product_id, said[j]):
            j -= 1
        return j

    def asked_of(self, question: str, product_id: str) -> str:
        """What `question` asks of the product: the question without its name's words."""
        keys = self.entries[product_id].keys
        return Lookup(mentions=[Mention(product_id, "kind", 0.0, keys, 0)]).asked(question)

    def find(self, question: str, *, sells: Callable[[str | None], bool] | None = None) -> Lookup:
        """The products `question` names among those `sells(persona_id)` accepts (all by default)."""
        allowed = sells or (lambda _persona: True)
        whole = self._find(question, allowed)
        sides = self._sides(question)
        if len(sides) < 2:
            return whole
        mentions: list[Mention] = []
        ambiguous: list[str] = []
        for offset, side in sides:
            found = self._find(side, allowed)
            if not found.mentions and not found.ambiguous:  # "... or the matcha?": by what it is
                found = self._kind_in(side, allowed)
            mentions.extend(replace(m, position=m.position + offset) for m in found.mentions)
            ambiguous.extend(found.ambiguous)
        # The same floor as within one question: a side naming a product by one word only does not
        # count beside sides that name theirs by several ("the Luma lamp in black or white").
        if any(len(m.matched) >= 2 for m in mentions):
            mentions = [m for m in mentions if m.how not in ("partial", "kind") or len(m.matched) >= 2]
        # Products named by what they are only stand beside one the question names anyway ("which is
        # cheaper, the whisk or the matcha?" names the whisk); "does it work with the case, or the
        # charger?" names none: it asks about parts of something.
        # An explicit comparison of two or more ("the difference between the candle and the knife")
        # names them.
        if (
            all(m.how == "kind" for m in mentions)
            and not {m.product_id for m in mentions} & {m.product_id for m in whole.mentions}
            and not (COMPARING.search(question) and len({m.product_id for m in mentions}) > 1)
        ):
            mentions = []
        apart = list({m.product_id: m for m in reversed(mentions)}.values())
        apart.sort(key=lambda m: m.position)
        ids = {m.product_id for m in apart}
        if len(ids) <= len(whole.mentions):
            return whole
        # A product the whole question names that the sides do not keeps the whole reading only when
        # its words stand together: "the Boho Earrings and the Bangle Bracelet" holds every word of
        # a "Boho Bangle Bracelet", but spread over both sides.
        if any(m.product_id not in ids and self._together(m, question) for m in whole.mentions):
            return whole
        return Lookup(
            mentions=apart,
            ambiguous=[a for a in dict.fromkeys(ambiguous) if a not in ids],
            stemmed=whole.stemmed,
        )

    def _kind_in(self, side: str, allowed: Callable[[str | None], bool]) -> Lookup:
        """One side of "which is cheaper, the whisk or the matcha?" that names no product by its
        name's words: the one product whose name's head the side says ("matcha")."""
        said = [w for w in words(side) if w.isalnum()]
        content = [i for i, w in enumerate(said) if w not in FUNCTION_WORDS]
        if not content:
            return Lookup()
        last = content[-1]  # the head of the side's noun phrase: "the whisk", "the matcha?"
        pid = self.of_kind(said[last], sells=allowed) or self._only_holder(said[last], allowed)
        if pid is None:
            return Lookup()
        # its modifiers are words of that product's name, back to an article
        j = self.before_modifiers(pid, said, last, stop=FUNCTION_WORDS.__contains__)
        if j >= 0 and said[j] not in FUNCTION_WORDS:
            return Lookup()  # "the Rustic Paper Gluz", "the Granite Liquidation Station": another thing
        return Lookup(mentions=[Mention(pid, "kind", 0.0, frozenset({_key(said[last])}), last)])

    def _only_holder(self, word: str, allowed: Callable[[str | None], bool]) -> str | None:
        """The one product whose name holds `word` (a word of three letters or more, not a number):
        "the candle" of a "Soy Candle Lavender", "Dartpfeil" of a "Dartpfeil Set Steel 22g"."""
        if len(word) < 3 or word.isdigit():
            return None
        holders = {p for k in self.forms(word) for p in self.by_key.get(k, ())}
        holders = {p for p in holders if allowed(self.entries[p].persona_id)}
        return holders.pop() if len(holders) == 1 else None

    @staticmethod
    def _together(mention: Mention, question: str) -> bool:
        """Whether the mention's words are next to each other in the question (function words
        between them aside); a SKU always is."""
        if mention.how == "sku":
            return True
        forms = [_keys(w) for w in words(question) if w not in FUNCTION_WORDS]
        n = len(mention.matched)
        for i in range(len(forms) - n + 1):
            window = forms[i : i + n]
            if all(f & mention.matched for f in window) and set().union(*window) >= mention.matched:
                return True
        return False

    def _sides(self, question: str) -> list[tuple[int, str]]:
        """The parts of `question` between words that set things side by side, each with the number
        of words before it; a connecting word that is part of a product name ("Salt and Pepper
        Mill", "Sombrano, 350cm") is not a split."""
        sides: list[tuple[int, str]] = []
        start = 0
        for m in APART.finditer(question):
            before = question[start : m.start()].split()
            after = question[m.end() :].split()
            if not before or not after:
                continue
            joint = " ".join(fold(f"{before[-1]}{m.group(0)}{after[0]}").split())
            if joint.strip(".,;:!?()\"'") in self._names:
                continue
            sides.append((len(words(question[:start])), question[start : m.start()]))
            start = m.end()
        sides.append((len(words(question[:start])), question[start:]))
        return sides

    def forms(self, word: str) -> set[str]:
        """The name keys a question word stands for: its singular and plural, or its stem's."""
        return _keys(word) | self.by_stem(word)

    def by_stem(self, word: str) -> frozenset[str]:
        """Name keys sharing `word`'s stem, for a word that is no name's key in either number."""
        if _keys(word) & self.by_key.keys():
            return frozenset()
        return frozenset(self._stems.mates(word))

    def _find(self, question: str, allowed: Callable[[str | None], bool]) -> Lookup:
        q_words = words(question)
        position: dict[str, int] = {}
        stemmed: dict[str, frozenset[str]] = {}
        for i, w in enumerate(q_words):
            if w in FUNCTION_WORDS:
                continue
            mates = self.by_stem(w)
            if mates:
                stemmed[w] = mates
            for k in self.forms(w):
                position.setdefault(k, i)
        found: dict[str, Mention] = {}
        raw = [t.strip(".,;:!?()[]{}\"'«»“”„") for t in question.split()]
        for i, w in enumerate(dict.fromkeys([*raw, *q_words])):
            for pid in self.by_code.get(_code(w), ()):
                if allowed(self.entries[pid].persona_id):
                    found.setdefault(pid, Mention(pid, "sku", 1.0, frozenset(), i))
        counts: dict[str, set[str]] = {}
        for k in position:
            for pid in self.by_key.get(k, ()):
                counts.setdefault(pid, set()).add(k)
        for pid, matched in counts.items():
            entry = self.entries[pid]
            if pid in found or not allowed(entry.persona_id):
                continue
            mention = self._judge(entry, frozenset(matched), min(position[k] for k in matched))
            if mention is not None:
                found[pid] = mention
        return replace(self._resolve(list(found.values())), stemmed=stemmed)

    def _judge(self, entry: _Entry, matched: frozenset[str], pos: int) -> Mention | None:
        if matched == entry.keys:
            return Mention(entry.product_id, "name", 1.0, matched, pos)
        total = sum(self.idf[k] for k in entry.keys)
        share = sum(self.idf[k] for k in matched) / total if total else 0.0
        unique = [k for k in matched if len(self.by_key[k]) == 1]
        if len(matched) >= 2 and (share >= MIN_SHARE or (unique and share >= MIN_SHARE_DISTINCT)):
            return Mention(entry.product_id, "partial", share, matched, pos)
        if any(_is_model_code(k) for k in unique):
            return Mention(entry.product_id, "partial", share, matched, pos)
        if (
            len(matched) == 1
            and unique
            and unique[0] == entry.head
            and len(unique[0]) >= 3
            and share >= MIN_SHARE
        ):
            return Mention(entry.product_id, "partial", share, matched, pos)
        return None

    def _resolve(self, candidates: list[Mention]) -> Lookup:
        sku = [m for m in candidates if m.how == "sku"]
        named = [m for m in candidates if m.how != "sku"]
        # A product whose matched words are all part of another's match is not the one meant.
        kept = [m for m in named if not any(m.matched < o.matched for o in named)]
        groups: dict[frozenset[str], list[Mention]] = {}
        for m in kept:
            groups.setdefault(m.matched, []).append(m)
        chosen: list[Mention] = list(sku)
        ambiguous: list[str] = []
        for group in groups.values():
            group.sort(key=lambda m: (m.how == "name", m.share), reverse=True)
            best = group[0]
            ties = [m for m in group if (m.how == "name", m.share) == (best.how == "name", best.share)]
            if len(ties) > 1:
                ambiguous.extend(m.product_id for m in ties)
            else:
                chosen.append(best)
        # A product named by one word only ("lila" of "Fliegenklatsche lila") is not meant when
        # another is named by several ("das Strandtuch in mehreren Farben auch in Lila").
        if any(len(m.matched) >= 2 for m in chosen):
            chosen = [m for m in chosen if m.how == "sku" or len(m.matched) >= 2 or m.how == "name"]
        # Overlapping matches that are not subsets ("red shirt" / "shirt dress"): keep the larger share.
        final: list[Mention] = []
        for m in sorted(chosen, key=lambda m: (m.how == "sku", len(m.matched), m.share), reverse=True):
            if m.how != "sku" and any(m.matched & f.matched for f in final):
                continue
            if m.product_id not in {f.product_id for f in final}:
                final.append(m)
        final.sort(key=lambda m: m.position)
        if final:
            ambiguous = [a for a in ambiguous if a not in {f.product_id for f in final}]
        return Lookup(mentions=final, ambiguous=list(dict.fromkeys(ambiguous)))


class ProductLookup:
    """The seller's `ProductNames`, built from the keyword index's chunk records (product id, name, SKU,
    persona) and rebuilt whenever that index is (when the seller's catalog changes)."""

    def __init__(self, keyword_index: Callable[[str], KeywordIndex]) -> None:
        self.keyword_index = keyword_index
        self._lock = threading.Lock()
        self._built: dict[str, tuple[KeywordIndex, ProductNames]] = {}

    def names(self, user_id: str) -> ProductNames:
        index = self.keyword_index(user_id)
        with self._lock:
            hit = self._built.get(user_id)
        if hit is not None and hit[0] is index:
            return hit[1]
        seen: dict[str, tuple[str, str, str | None, str | None]] = {}
        for m in index.meta:
            pid = m.get("product_id")
            if pid and pid not in seen and m.get("name"):
                seen[pid] = (pid, str(m["name"]), m.get("sku") or None, m.get("persona_id") or None)
        names = ProductNames(seen.values(), language=index.language)
        with self._lock:
            self._built[user_id] = (index, names)
        return names
