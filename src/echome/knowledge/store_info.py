"""Store information (policies, shipping, opening hours, FAQ): import, list, delete, and
`StoreInfo.find`, the passages that answer a question about the store.

Passages live in `product_chunks` with no product (`field` and metadata `kind` = "store_info"),
in a vector collection and a keyword index of their own, so product search never returns them as
a product's facts. A file is identified by its name: importing `policies.md` again replaces what
`policies.md` gave before (for the persona it is now imported for). Like catalogs, store
information imported for a persona is that persona's only; a persona with none of its own uses
what was imported for every persona.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session, sessionmaker

from echome.answer.store_questions import store_topic, topics_of
from echome.db.models import Persona, ProductChunk
from echome.db.types import utcnow
from echome.knowledge.chunk import chunk_id, split_to_budget
from echome.knowledge.keyword import STOPWORDS, KeywordIndex
from echome.knowledge.retrieve import STORE_INFO, Retriever, SearchResult, store_info_collection
from echome.knowledge.store_doc import StoreDocument
from echome.providers.base import Embedder, VectorRecord, VectorStore

Progress = Callable[[float, str], None]
_BATCH = 256
MAX_POOL = 1000  # passages a store search ranks at most


@dataclass
class StoreInfoReport:
    source: str
    format: str
    passages: int = 0
    replaced: int = 0  # passages the previous import of the same file had
    warnings: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "format": self.format,
            "passages": self.passages,
            "replaced": self.replaced,
            "warnings": self.warnings[:50],
            "timings": {k: round(v, 3) for k, v in self.timings.items()},
        }


@dataclass
class _Piece:
    id: str
    heading: str | None
    text: str
    page: int | None

    @property
    def full(self) -> str:
        return f"{self.heading}\n{self.text}" if self.heading else self.text


def ingest_store_info(
    doc: StoreDocument,
    *,
    user_id: str,
    persona_id: str | None,
    sessions: sessionmaker[Session],
    embedder: Embedder,
    store: VectorStore,
    progress: Progress | None = None,
) -> StoreInfoReport:
    """Replace what `doc.source` gave before with `doc`'s passages. Everything that can fail on
    the file (cutting, embedding) runs before anything is written, and the rows are replaced in
    one transaction: a failed import leaves the store information as it was."""
    say = progress or (lambda _p, _s: None)
    report = StoreInfoReport(source=doc.source, format=doc.format, warnings=list(doc.warnings))
    t = time.perf_counter()
    pieces: list[_Piece] = []
    budget = max(32, embedder.max_tokens - 16)  # the heading is read with each passage
    for p in doc.passages:
        for text in split_to_budget(p.text, count=embedder.count_tokens, budget=budget, overlap=16):
            pid = chunk_id(user_id, STORE_INFO, doc.source, persona_id or "", len(pieces), p.heading, text)
            pieces.append(_Piece(pid, p.heading, text, p.page))
    say(10, f"embedding {len(pieces)} passages")
    vectors: list[Any] = []
    for start in range(0, len(pieces), _BATCH):
        vectors.extend(embedder.embed([x.full for x in pieces[start : start + _BATCH]]))
    report.timings["embed"] = time.perf_counter() - t

    coll = store_info_collection(user_id)
    with sessions() as s:
        old_ids = set(s.scalars(select(ProductChunk.id).where(*_of_source(user_id, doc.source))))
    written = [x.id for x in pieces if x.id not in old_ids]
    t = time.perf_counter()
    try:
        say(80, "indexing passages")
        meta = {"kind": STORE_INFO, "persona_id": persona_id or "", "source": doc.source}
        store.upsert(coll, [VectorRecord(x.id, v, "", meta) for x, v in zip(pieces, vectors, strict=True)])
        say(90, "saving passages")
        now = utcnow()
        rows = [
            {
                "id": x.id,
                "user_id": user_id,
                "product_id": None,
                "source": doc.source,
                "chunk_index": i,
                "content": x.text,
                "page": x.page,
                "field": STORE_INFO,
                "token_count": None,
                "created_at": now,
                "meta": {
                    "kind": STORE_INFO,
                    "name": x.heading,
                    "persona_id": persona_id,
                    "keyword_text": x.full,
                },
            }
            for i, x in enumerate(pieces)
        ]
        with sessions() as s, s.begin():
            ids = sorted(old_ids)
            for start in range(0, len(ids), 500):
                s.execute(delete(ProductChunk).where(ProductChunk.id.in_(ids[start : start + 500])))
            for start in range(0, len(rows), 1000):
                s.execute(insert(ProductChunk), rows[start : start + 1000])
    except BaseException:  # nothing was saved: leave no new vectors behind
        store.delete(coll, ids=written)
        raise
    stale = sorted(old_ids - {x.id for x in pieces})
    if stale:
        store.delete(coll, ids=stale)
    report.timings["store"] = time.perf_counter() - t
    report.passages, report.replaced = len(pieces), len(old_ids)
    return report


def _of_source(user_id: str, source: str) -> tuple[Any, ...]:
    return (
        ProductChunk.user_id == user_id,
        ProductChunk.field == STORE_INFO,
        ProductChunk.product_id.is_(None),
        ProductChunk.source == source,
    )


def list_store_info(sessions: sessionmaker[Session], *, user_id: str) -> list[dict[str, Any]]:
    """Each imported file: its name, persona id and name (None: every persona), passages and when."""
    with sessions() as s:
        personas = {
            pid: name
            for pid, name in s.execute(select(Persona.id, Persona.name).where(Persona.user_id == user_id))
        }
        rows = s.execute(
            select(ProductChunk.source, ProductChunk.meta, ProductChunk.created_at).where(
                ProductChunk.user_id == user_id,
                ProductChunk.field == STORE_INFO,
                ProductChunk.product_id.is_(None),
            )
        ).all()
    files: dict[str, dict[str, Any]] = {}
    for source, meta, created in rows:
        f = files.setdefault(
            source,
            {
                "source": source,
                "persona_id": (meta or {}).get("persona_id"),
                "passages": 0,
                "updated_at": created,
            },
        )
        f["passages"] += 1
        f["updated_at"] = max(f["updated_at"], created)
    return [
        {**f, "persona": personas.get(f["persona_id"] or ""), "updated_at": str(f["updated_at"])[:19]}
        for _, f in sorted(files.items())
    ]


def delete_store_info(
    *, user_id: str, source: str, sessions: sessionmaker[Session], store: VectorStore
) -> int:
    """Delete what the file `source` gave; the number of passages deleted (0: no such file)."""
    with sessions() as s, s.begin():
        ids = list(s.scalars(select(ProductChunk.id).where(*_of_source(user_id, source))))
        for start in range(0, len(ids), 500):
            s.execute(delete(ProductChunk).where(ProductChunk.id.in_(ids[start : start + 500])))
    if ids:
        store.delete(store_info_collection(user_id), ids=ids)
    return len(ids)


# Words too common to show that a passage speaks to a question (en, de, fr, es, it, nl, pt).
_COMMON = STOPWORDS | frozenset(
    word
    for line in (
        "what when where which will would your yours have does please thanks hello store shop shops",
        "policy policies information info question questions know tell want need like about there",
        "haben habt sind eure euer ihre bitte nicht noch kann können wann wenn welche laden",
        "vous votre avez avec pour dans quels quelle quelles quand",
        "ustedes tienen tiene cuál cuáles cuando dónde para tienda",
        "avete siete vostro vostra quali quando dove negozio",
        "jullie hebben heeft zijn wanneer waar welke winkel",
        "vocês você têm qual quais quando onde para loja",
    )
    for word in line.split()
)
_WORD = re.compile(r"[^\W\d_]{4,}")


def _stems(text: str) -> set[str]:
    return {w[:5] for w in _WORD.findall(text.lower()) if w not in _COMMON}


def speaks_to(question: str, passage: str, *, topic: str | None) -> bool:
    """Whether a store-information passage answers the question at all (the floor under search,
    which always returns its nearest passages). With a store topic, the passage must speak about
    that topic ("return policy" never gets the opening-hours paragraph); without one, it must
    share the question's own words (two of them when the question has more than two)."""
    if topic is not None:
        return topic in topics_of(passage)
    asked = _stems(question)
    return len(asked & _stems(passage)) >= (1 if len(asked) <= 2 else 2) if asked else False


# How a seller states the currency of their prices in the store information ("All prices are in
# EUR", "Prices in € incl. VAT", "Währung: Euro", "nos prix sont en euros"): a word for prices or
# currency, then within the sentence "in"/"en"/"em"/":" and the currency's code, sign or name.
_CURRENCY_WORDS: dict[str, tuple[str, ...]] = {
    "EUR": ("eur", "euros", "euro", "€"),
    "USD": (
        "usd",
        "us$",
        "us dollars",
        "us dollar",
        "u.s. dollars",
        "american dollars",
        "dollars",
        "dollar",
        "$",
    ),
    "GBP": ("gbp", "£", "pounds sterling", "pound sterling", "british pounds", "pounds", "sterling"),
    "CHF": ("chf", "swiss francs", "schweizer franken", "franken", "francs suisses"),
    "CAD": ("cad", "c$", "ca$", "canadian dollars", "dollars canadiens"),
    "AUD": ("aud", "a$", "au$", "australian dollars"),
    "NZD": ("nzd", "nz$", "new zealand dollars"),
    "JPY": ("jpy", "japanese yen", "yen"),
    "INR": ("inr", "₹", "indian rupees", "rupees"),
    "SEK": ("sek", "swedish kronor", "kronor"),
    "NOK": ("nok", "norwegian kroner"),
    "DKK": ("dkk", "danish kroner"),
    "PLN": ("pln", "zł", "złoty", "zloty", "zlotys"),
    "BRL": ("brl", "r$", "reais", "real brasileiro"),
    "MXN": ("mxn", "mexican pesos", "pesos mexicanos"),
}
_SAID_AS = {said: code for code, forms in _CURRENCY_WORDS.items() for said in forms}
_CURRENCY_STATED = re.compile(
    r"\b(?:prices?|pricing|priced|currency|preise?|währung|wahrung|prix|devise|monnaie|precios?|moneda|"
    r"divisa|prezzi|prezzo|valuta|prijzen|prijs|munt|preços|precos|preço|preco|moeda)\b"
    r"(?:[^.;!?\n]|\.(?=\S)){0,60}?(?:\b(?:in|en|em)|:|=)\s*(?:the\s+)?"
    rf"(?P<said>{'|'.join(re.escape(s) for s in sorted(_SAID_AS, key=len, reverse=True))})(?![\w$€£₹])",
    re.I,
)


# An abbreviation's dot ends no sentence ("Prices incl. VAT are in EUR").
_ABBREVIATION = re.compile(r"\b(incl|inkl|excl|exkl|zzgl|approx|ca|etc|bzw|ggf|evtl|env|vs|max|min)\.", re.I)


def stated_currency(texts: list[str]) -> str | None:
    """The ISO code of the one currency the texts state their prices in; None when they state none,
    or several (a shop listing prices in two currencies has no single one to assume)."""
    said = {
        _SAID_AS[m.group("said").lower()]
        for t in texts
        for m in _CURRENCY_STATED.finditer(_ABBREVIATION.sub(r"\1", t))
    }
    return said.pop() if len(said) == 1 else None


@dataclass(eq=False)
class StoreInfo:
    """The seller's store information, for questions about the store rather than a product."""

    sessions: sessionmaker[Session]
    retriever: Retriever
    _currencies: dict[tuple[str, str], tuple[KeywordIndex, str | None]] = field(
        default_factory=dict, init=False, repr=False
    )
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    def currency(self, *, user_id: str, persona_id: str | None) -> str | None:
        """The currency the persona's store information states for the shop's prices (`stated_currency`),
        read once per change of the store information."""
        scope = self.scope(user_id=user_id, persona_id=persona_id)
        index = self.retriever.store_info_index(user_id)
        with self._lock:
            hit = self._currencies.get((user_id, scope))
        if hit is not None and hit[0] is index:
            return hit[1]
        texts = [
            f"{index.meta[i].get('name') or ''}\n{index.texts[i]}"
            for i in index.positions({"persona_id": scope})
        ]
        code = stated_currency(texts)
        with self._lock:
            self._currencies[(user_id, scope)] = (index, code)
        return code

    def scope(self, *, user_id: str, persona_id: str | None) -> str:
        """Whose store information a persona uses: its own ("<persona id>") when it has any, else
        what was imported for every persona ("")."""
        index = self.retriever.store_info_index(user_id)
        return persona_id if persona_id and len(index.positions({"persona_id": persona_id})) else ""

    def passages(self, *, user_id: str, persona_id: str | None) -> int:
        """How many passages the persona's store information has (0: "I don't have that
        information" is all a store question can get)."""
        scope = self.scope(user_id=user_id, persona_id=persona_id)
        return len(self.retriever.store_info_index(user_id).positions({"persona_id": scope}))

    def find(
        self,
        *,
        user_id: str,
        persona_id: str | None,
        question: str,
        top_k: int = 3,
        topic: str | None = None,
    ) -> list[SearchResult]:
        """The best passages of store information for `question`, best first; empty when the
        seller gave none or none speaks to it. `topic` (from `store_topic`) defaults to the one
        the question's words name. Results have `field == "store_info"`, no product id and sku,
        `name` = the passage's heading, `source`/`page` = the file it came from."""
        scope = self.scope(user_id=user_id, persona_id=persona_id)
        count = len(self.retriever.store_info_index(user_id).positions({"persona_id": scope}))
        if not count:
            return []
        topic = topic or store_topic(question)
        # Every passage in scope is a candidate (a store has a few hundred at most): the floor,
        # not the search's cut-off, decides what speaks to the question.
        pool = max(top_k, min(count, MAX_POOL))
        results, _ = self.retriever.search(
            user_id=user_id,
            query=question,
            top_k=pool,
            candidates=pool,
            kind=STORE_INFO,
            where={"persona_id": scope},
        )
        kept = [r for r in results if speaks_to(question, _full(r), topic=topic)]
        if topic is not None:  # a passage headed by the topic ("Returns") before one that mentions it
            kept.sort(key=lambda r: topic not in topics_of(r.name or ""))
        return kept[:top_k]


def _full(r: SearchResult) -> str:
    return f"{r.name}\n{r.text}" if r.name else r.text
