"""Product records → retrievable chunks, sized to the embedder's real window.

A chunk keeps three texts: `text`, verbatim from the catalog (what is cited and shown);
`embed_text`, what the embedder reads (semi-structured values made readable); and
`keyword_text`, what BM25 reads (the same with the product name and SKU). Short products stay
one chunk, their name in it."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
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
    return re.sub(r"\s+", " ", text).strip()


def chunk_id(*parts: object) -> str:
    return hashlib.sha1("\x1f".join(str(p) for p in parts).encode()).hexdigest()[:32]


def fits(text: str, count: TokenCounter, budget: int) -> bool:
    # Every word piece covers at least one character (plus [CLS]/[SEP]): short texts need no count.
    return len(text) + 2 <= budget or count(text) <= budget


def split_to_budget(text: str, *, count: TokenCounter, budget: int, overlap: int) -> list[str]:
    """Greedy sentence packing under `budget` tokens, carrying ~`overlap` tokens between pieces."""
    if fits(text, count, budget):
        return [text]
    sentences = [s.strip() for s in _SENT.split(text) if s and s.strip()]
    units: list[str] = []
    for s in sentences:
        if count(s) <= budget:
            units.append(s)
            continue
        words = s.split()
        piece: list[str] = []
        for w in words:  # a sentence longer than the window: cut on words
            if piece and count(" ".join([*piece, w])) > budget:
                units.append(" ".join(piece))
                piece = []
            piece.append(w)
        if piece:
            units.append(" ".join(piece))
    pieces: list[str] = []
    current: list[str] = []
    for u in units:
        if current and count(" ".join([*current, u])) > budget:
            pieces.append(" ".join(current))
            carry: list[str] = []
            for prev in reversed(current):
                if count(" ".join([prev, *carry])) > overlap:
                    break
                carry.insert(0, prev)
            current = carry if count(" ".join([*carry, u])) <= budget else []
        current.append(u)
    if current:
        pieces.append(" ".join(current))
    return pieces


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
) -> list[Chunk]:
    fields = [f for f in rec.fields if f.text.strip()]
    head = rec.name if not rec.sku else f"{rec.name} (SKU {rec.sku})"
    out: list[Chunk] = []

    def add(field: str, text: str, embed: str, page: int | None, keyword: str | None = None) -> None:
        idx = len(out)
        out.append(
            Chunk(
                id=chunk_id(rec.external_key, field, idx, text),
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
    head_tokens = count(head) + 4
    budget = max(32, max_tokens - head_tokens)
    for f in fields:
        label = _label(f)
        texts = [f.text]
        if prose_chars and f.kind == "text" and len(f.text) > prose_chars:
            texts = sentence_groups(f.text, target_chars=prose_chars)
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
