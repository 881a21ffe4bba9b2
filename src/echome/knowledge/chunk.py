"""Product records → retrievable chunks, sized to the embedder's real window.

A chunk keeps three texts: `text`, verbatim from the catalog (what is cited and shown);
`embed_text`, what the embedder reads (semi-structured values made readable); and
`keyword_text`, what BM25 reads (the same with the product name and SKU). Short products stay
one chunk, their name in it."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from echome.knowledge.records import Field, ProductRecord

TokenCounter = Callable[[str], int]


@dataclass
class Chunk:
    id: str
    product_key: str
    sku: str | None
    name: str
    source: str
    page: int | None
    field: str
    index: int
    text: str
    embed_text: str  # what the embedder reads: the field's own words, made readable
    keyword_text: str  # what BM25 reads: the same with the product name and SKU in front


_ATTR_VALUE = re.compile(r"\{\s*value:\s*\"?(.*?)\"?\s*\}")
_SENT = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'(])|\n+")
_SENT_ANY = re.compile(r"(?<=[.!?])\s+|\n+")  # user text is often all lower case


def readable(text: str, kind: str) -> str:
    """How a field reads to the embedder: `color:  { value:"white" }` → `color: white`;
    an 'answer Question: q' pair → 'Question: q Answer: answer'."""
    if "{ value" in text or "{value" in text:
        text = _ATTR_VALUE.sub(lambda m: m.group(1), text)
        text = re.sub(r"\s*;\s*", ", ", text)
        text = re.sub(r"^([a-z_]+):", lambda m: m.group(1).replace("_", " ") + ":", text)
    if kind == "qa" and " Question: " in text:
        answer, _, question = text.partition(" Question: ")
        text = f"Question: {question.strip()} Answer: {answer.strip()}"
    return " ".join(text.split())  # runs of whitespace as one space, none at the ends


def chunk_id(*parts: object) -> str:
    return hashlib.sha1("\x1f".join(str(p) for p in parts).encode()).hexdigest()[:32]


# A "word" (whitespace to whitespace) longer than this is cut: no word or link in a catalog is, and
# a token counter given one unbroken run of megabytes needs ~100x its size in memory.
MAX_WORD_CHARS = 1000
# No real text averages more characters per word piece than this; a longer text cannot fit a
# window, so it is split without being counted whole, and a unit weighs at least its length
# over this (a run of unknown characters the tokenizer calls one token still cannot make a
# piece of megabytes).
MAX_CHARS_PER_TOKEN = 32
_WORD = re.compile(r"\S+")


def token_bound(text: str) -> int:
    """No counter makes more tokens of `text` than this, besides [CLS]/[SEP]: a word piece covers at
    least one character once normalised (lower case, accents split off: "가" is three jamo), a
    byte-level BPE token at least one byte."""
    if text.isascii():
        return len(text)
    return max(len(text.encode()), len(unicodedata.normalize("NFD", text.lower()).encode()))


def fits(text: str, count: TokenCounter, budget: int) -> bool:
    if token_bound(text) + 2 <= budget:  # short texts need no count
        return True
    return len(text) <= budget * MAX_CHARS_PER_TOKEN and count(text) <= budget


def split_to_budget(text: str, *, count: TokenCounter, budget: int, overlap: int) -> list[str]:
    """Greedy sentence packing under `budget` tokens, carrying ~`overlap` tokens between pieces.

    Linear time and memory: each sentence (in a sentence longer than the window, each word) is
    counted once, and a candidate piece's count is the sum of its units' counts less the counter's
    fixed overhead - exact for tokenizers that split on whitespace before anything else (WordPiece,
    the fakes), so the pieces are the ones counting every candidate whole would give. Each finished
    piece is counted once to make sure; one over the budget (a counter whose counts do not add up)
    is packed again word by word."""
    if fits(text, count, budget):
        return [text]
    return _Packer(count, budget, overlap).pack(text)


class _Packer:
    def __init__(self, count: TokenCounter, budget: int, overlap: int) -> None:
        self.count, self.budget, self.overlap = count, budget, overlap
        self.base = count("")  # [CLS]/[SEP] and the like: counted once per text, not per unit
        self.word_tokens: dict[str, int] = {}

    def tokens(self, text: str) -> int:
        """A unit's share of a joined text's count (at least its length over the cap)."""
        return max(self.count(text) - self.base, len(text) // MAX_CHARS_PER_TOKEN)

    def word(self, w: str) -> int:
        n = self.word_tokens.get(w)
        if n is None:
            if len(self.word_tokens) > 100_000:
                self.word_tokens.clear()
            n = self.word_tokens[w] = self.tokens(w)
        return n

    def units(self, text: str) -> Iterator[tuple[str, int]]:
        """Sentences, and word runs of the sentences longer than the window, with their tokens."""
        limit = self.budget - self.base
        for raw in _SENT.split(text):
            s = raw.strip() if raw else ""
            if not s:
                continue
            if len(s) <= self.budget * MAX_CHARS_PER_TOKEN:
                n = self.tokens(s)
                if n <= limit:
                    yield s, n
                    continue
            piece: list[str] = []
            total = 0
            for m in _WORD.finditer(s):  # a sentence longer than the window: cut on words
                w = m.group()
                for start in range(0, len(w), MAX_WORD_CHARS):
                    part = w[start : start + MAX_WORD_CHARS]
                    n = self.word(part)
                    if piece and total + n > limit:
                        yield " ".join(piece), total
                        piece, total = [], 0
                    piece.append(part)
                    total += n
            if piece:
                yield " ".join(piece), total

    def pack(self, text: str) -> list[str]:
        limit, carry_limit = self.budget - self.base, self.overlap - self.base
        pieces: list[str] = []
        current: list[tuple[str, int]] = []
        total = 0
        for unit, n in self.units(text):
            if current and total + n > limit:
                pieces += self.close(current)
                carry: list[tuple[str, int]] = []
                kept = 0
                for prev, pn in reversed(current):
                    if kept + pn > carry_limit:
                        break
                    carry.append((prev, pn))
                    kept += pn
                carry.reverse()
                current, total = (carry, kept) if kept + n <= limit else ([], 0)
            current.append((unit, n))
            total += n
        if current:
            pieces += self.close(current)
        return pieces

    def close(self, units: list[tuple[str, int]]) -> list[str]:
        piece = " ".join(u for u, _ in units)
        if self.count(piece) <= self.budget or " " not in piece:
            return [piece]
        # The units' counts did not add up to the piece's (a counter that does not split on
        # whitespace first): this piece is packed again word by word.
        return _exact_pack([w for u, _ in units for w in u.split()], self.count, self.budget)


def _exact_pack(words: list[str], count: TokenCounter, budget: int) -> list[str]:
    """Word by word with a count of each candidate: for counters whose counts do not add up (one
    piece of bounded size at a time)."""
    out: list[str] = []
    piece: list[str] = []
    for w in words:
        if piece and count(" ".join([*piece, w])) > budget:
            out.append(" ".join(piece))
            piece = []
        piece.append(w)
    if piece:
        out.append(" ".join(piece))
    return out


def _overview(rec: ProductRecord) -> str | None:
    facts = []
    if rec.price is not None:
        facts.append(f"price {rec.price}{' ' + rec.currency if rec.currency else ''}")
    if rec.stock is not None:
        facts.append("in stock" if rec.stock > 0 else "out of stock")
        facts[-1] += f" ({rec.stock})" if rec.stock > 0 else ""
    if rec.category:
        facts.append(f"category {rec.category}")
    if rec.url:
        facts.append(rec.url)
    if not facts:
        return None
    sku = f" (SKU {rec.sku})" if rec.sku else ""
    return f"{rec.name}{sku}: " + "; ".join(facts)


# The overview line `_overview` writes ("Name (SKU x): price 24.90; in stock (12)"): our words, not
# the seller's, so left out where the catalog's own language is read (`seller_text`).
_OVERVIEW_LINE = re.compile(r"(?m)^[^\n]*: (?:price |in stock|out of stock|category |https?://)[^\n]*$")


def seller_text(text: str) -> str:
    """A chunk's text without the overview line chunking adds to it."""
    return _OVERVIEW_LINE.sub("", text)


def sentence_groups(text: str, *, target_chars: int) -> list[str]:
    """Prose cut at sentence ends into pieces of about `target_chars` (a sentence is never cut;
    tiny sentences join their neighbour). One claim per chunk is what a customer's question
    matches, and what fits a reading budget."""
    sentences = [s.strip() for s in _SENT_ANY.split(text) if s and s.strip()]
    out: list[str] = []
    for sent in sentences:
        if out and (len(out[-1]) + 1 + len(sent) <= target_chars or len(out[-1]) < 25):
            out[-1] = f"{out[-1]} {sent}"
        else:
            out.append(sent)
    return out


def chunk_product(
    rec: ProductRecord,
    *,
    source: str,
    count: TokenCounter,
    max_tokens: int,
    overlap: int = 24,
    prose_chars: int | None = 240,
    short_chars: int = 480,
    owner: str = "",
) -> list[Chunk]:
    """`owner` (the seller) is part of every chunk's id: two sellers' catalogs never share one."""
    fields = [f for f in rec.fields if f.text.strip()]
    head = rec.name if not rec.sku else f"{rec.name} (SKU {rec.sku})"
    out: list[Chunk] = []

    def add(field: str, text: str, embed: str, page: int | None, keyword: str | None = None) -> None:
        idx = len(out)
        out.append(
            Chunk(
                id=chunk_id(owner, rec.external_key, field, idx, text),
                product_key=rec.external_key,
                sku=rec.sku,
                name=rec.name,
                source=source,
                page=page,
                field=field,
                index=idx,
                text=text,
                embed_text=embed,
                keyword_text=keyword or embed,
            )
        )

    overview = _overview(rec)
    whole = "\n".join([overview or head, *(f.text for f in fields)])
    # A short product row (a few facts and a line of text) stays one chunk, its name in it. A row
    # with many values (reviews, Q&A) is split even when it would fit the window: one chunk per
    # value lets each be ranked, and keeps what is read within a small budget.
    if len(whole) <= short_chars and fits(whole, count, max_tokens):
        embed = "\n".join([overview or head, *(readable(f.text, f.kind) for f in fields)])
        add("product", whole, embed, rec.page)
        return out
    if overview:
        add("overview", overview, overview, rec.page)
    field_texts = []
    for f in fields:
        texts = [f.text]
        if prose_chars and f.kind == "text" and len(f.text) > prose_chars:
            texts = sentence_groups(f.text, target_chars=prose_chars)
        field_texts.append((f, texts))
    # The window left once the head is counted; when every text fits even the smallest window the
    # head could leave, the head need not be counted (the pieces are the same either way).
    least = max(32, max_tokens - token_bound(head) - 6)
    if all(token_bound(t) + 2 <= least for _, texts in field_texts for t in texts):
        budget = least
    else:
        budget = max(32, max_tokens - count(head) - 4)
    for f, texts in field_texts:
        label = _label(f)
        pieces = [p for t in texts for p in split_to_budget(t, count=count, budget=budget, overlap=overlap)]
        for piece in pieces:
            body = f"{label}{readable(piece, f.kind)}"
            # The dense vector carries only the field's meaning (measured: adding the product name
            # to every vector drowns the question's words; names are matched by keywords instead).
            add(f.name, piece, _dense_text(piece, f.kind, body), f.page, keyword=f"{head}. {body}")
    return out


def _dense_text(piece: str, kind: str, body: str) -> str:
    """A shopper's Q&A pair is embedded by its answer alone: another shopper's question shares
    words with the customer's without answering it (measured on ePQA, scoped nDCG@5 0.834 ->
    0.841). Keywords still read both."""
    if kind == "qa" and " Question: " in piece:
        answer = piece.partition(" Question: ")[0].strip()
        if len(answer) >= 2:
            return readable(answer, "text")
    return body


def _label(f: Field) -> str:
    name = f.name.lower()
    if name.startswith("page ") or name in ("description", "text"):
        return ""
    if name in ("reviews", "review"):
        return "Review: "
    if f.kind == "qa" or name in ("attributes", "features", "customer_qa"):
        return ""
    return f"{f.name}: " if f.kind != "fact" else ""
