"""A seller's store-information file (policies, shipping, opening hours, FAQ) → passages.

Markdown, plain text or PDF. The file is read with the catalog parsers' readers (`parse_pdf` for a
PDF's pages, `decode` for a text file's encoding), but cut differently: the catalog reading of a
Markdown file makes each `##` section a product and drops the text under other heading levels,
while store information keeps every section. A passage is one paragraph (or a few sentences of a
long one) under its nearest heading - Markdown `#` headings, a `**bold**` line, or a short line
standing alone ("Opening hours", "Returns:", "Do you ship abroad?") - so one passage speaks about
one thing, and a question about returns finds the returns paragraph, not the page it is on."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import PurePath

from echome.knowledge.limits import drop_data_runs
from echome.knowledge.records import ParseError, strip_control

ALLOWED = (".md", ".markdown", ".txt", ".pdf")
MAX_FILE_BYTES = 20 * 1024 * 1024  # a store's policies and FAQ, even as a PDF with pictures
MAX_PASSAGES = 400  # more is not a store's policies and FAQ (a catalog, a manual): refused
LONG_PARAGRAPH = 600  # characters: a paragraph longer than this is cut at sentence ends...
PIECE = 400  # ...into pieces of about this many characters

_MD_HEADING = re.compile(r"^\s{0,3}(#{1,6})\s+(.+?)\s*#*\s*$")
_BOLD_LINE = re.compile(r"^\s*(?:\*\*|__)(.+?)(?:\*\*|__)\s*:?\s*$")
_LIST_MARK = re.compile(r"^\s*(?:[-*+>•]|\d+[.)])\s+")
_ENUM = re.compile(r"^\s*\d+[.)]\s*")
# Bounded, and link text stops at a "[": on lines like "[[[[..." or "[x]([x](..." (a pasted JSON
# dump) the unbounded forms took time growing with the square of the line's length.
_LINK = re.compile(r"\[([^\[\]]{1,500})\]\(([^\s)\[\]]{1,2000})\)")
_EMPHASIS = re.compile(r"(\*\*|__)([^\n]{1,500}?)\1")
_LETTERS = re.compile(r"[^\W\d_]{2}")


@dataclass
class Passage:
    heading: str | None
    text: str
    page: int | None = None


@dataclass
class StoreDocument:
    source: str
    format: str  # "markdown", "text" or "pdf"
    passages: list[Passage] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def check_upload(data: bytes, filename: str) -> None:
    """What can be told at once, before a job runs: the type, an empty file, binary junk."""
    suffix = PurePath(filename).suffix.lower()
    if suffix not in ALLOWED:
        raise ParseError(f"store information must be Markdown, TXT or PDF ({', '.join(ALLOWED)})")
    if not data.strip():
        raise ParseError("the file is empty")
    if suffix == ".pdf":
        if not data.startswith(b"%PDF"):
            raise ParseError("the file is named .pdf but is not a PDF (corrupt or renamed?)")
    elif data.startswith(b"%PDF"):
        raise ParseError("this is a PDF named like a text file; upload it as .pdf")
    elif _binary(data[:65536]):
        raise ParseError("this is a binary file, not text; upload Markdown, TXT or PDF")


def _binary(head: bytes) -> bool:
    if b"\x00" in head and not head.startswith((b"\xff\xfe", b"\xfe\xff")):  # UTF-16 has NULs
        return True
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError as exc:  # a character cut at the end of the sample is still text
        cut = exc.start >= len(head) - 4
        text = head[: exc.start].decode("utf-8") if cut else head.decode("latin-1")
    if not text:
        return False
    control = sum(1 for ch in text if (ord(ch) < 32 and ch not in "\t\n\r\f") or 0x7F <= ord(ch) < 0xA0)
    return control / len(text) > 0.05


def parse_store_info(data: bytes, filename: str) -> StoreDocument:
    """The passages of a store-information file; ParseError says what is wrong with it."""
    check_upload(data, filename)
    source = PurePath(filename).name
    if data.startswith(b"%PDF"):
        from echome.knowledge.parse import parse_pdf

        parsed = parse_pdf(data, source=source)  # damaged, encrypted, scanned: its ParseError
        doc = StoreDocument(source=source, format="pdf", warnings=list(parsed.warnings))
        for rec in parsed.products:
            for f in rec.fields:
                doc.passages.extend(_passages(f.text.splitlines(), page=f.page))
    else:
        from echome.knowledge.parse_table import decode

        text, warning = decode(data)
        if "\x00" in text[:10_000] or _binary(text[:20_000].encode("utf-8", "replace")):
            raise ParseError("this is a binary file, not text; upload Markdown, TXT or PDF")
        markdown = PurePath(filename).suffix.lower() in (".md", ".markdown")
        doc = StoreDocument(source=source, format="markdown" if markdown else "text")
        doc.warnings += [warning] if warning else []
        text = drop_data_runs(text, doc.warnings)
        doc.passages = _passages(strip_control(text.replace("\r\n", "\n")).split("\n"), page=None)
    if not doc.passages:
        raise ParseError("the file has no text" + (f" ({doc.warnings[-1]})" if doc.warnings else ""))
    if len(doc.passages) > MAX_PASSAGES:
        raise ParseError(
            f"the file has {len(doc.passages)} passages; store information is limited to {MAX_PASSAGES} "
            "(policies, shipping, opening hours, FAQ). Import a catalog with `echome catalog import`"
        )
    return doc


def _passages(lines: list[str], *, page: int | None) -> list[Passage]:
    out: list[Passage] = []
    heading: str | None = None
    para: list[str] = []

    def flush() -> None:
        text = "\n".join(para).strip()
        para.clear()
        if not text:
            return
        pieces = [text] if len(text) <= LONG_PARAGRAPH else _sentence_pieces(text)
        out.extend(Passage(heading, piece, page) for piece in pieces)

    for i, raw in enumerate(lines):
        line = raw.rstrip()
        m = _MD_HEADING.match(line) or _BOLD_LINE.match(line)
        if m is None and _heading_like(line, lines[i - 1] if i else None, _next(lines, i)):
            m = re.match(r"^\s*(.+?)\s*$", line)
        if m is not None:
            flush()
            heading = _inline(m.groups()[-1]).rstrip(":").strip() or heading
            continue
        if not line.strip():
            flush()
            continue
        para.append(_inline(line.strip()))
    flush()
    return out


def _next(lines: list[str], i: int) -> str | None:
    return lines[i + 1] if i + 1 < len(lines) else None


def _heading_like(line: str, prev: str | None, nxt: str | None) -> bool:
    """A short line standing alone before text: "Shipping", "RETURNS:", "Do you ship abroad?"."""
    s = line.strip()
    if not s or not nxt or not nxt.strip() or (_LIST_MARK.match(s) and not _ENUM.match(s)):
        return False
    if prev is not None and prev.strip() and prev.rstrip()[-1] not in ".!?:":
        return False  # the middle or end of a paragraph
    if s.endswith("?"):
        return len(s) <= 120 and len(s.split()) <= 20
    body = _ENUM.sub("", s).rstrip(":")
    if not 2 <= len(body) <= 60 or len(body.split()) > 8 or not _LETTERS.search(body):
        return False
    return body[-1] not in ".,;!)" and not re.search(r"\d", body)  # "Mon-Fri 9-18" is no heading


def _inline(text: str) -> str:
    """Markdown's inline marks out of the text a shopper is shown: **bold**, [text](url)."""
    text = _LINK.sub(lambda m: f"{m.group(1)} ({m.group(2)})", text)
    return _EMPHASIS.sub(lambda m: m.group(2), text)


def _sentence_pieces(text: str) -> list[str]:
    from echome.knowledge.chunk import sentence_groups

    return sentence_groups(text, target_chars=PIECE)
