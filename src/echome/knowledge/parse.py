"""Catalog files → ParsedCatalog. Picks the parser from the content, not just the file name."""

from __future__ import annotations

import io
import re
from pathlib import PurePath
from typing import Any

from echome.knowledge.limits import (
    MAX_PAGE_CHARS,
    MAX_PDF_CHARS,
    MAX_PDF_PAGES,
    PDF_LIMITS,
    PDF_STREAM_BYTES,
    PdfNotes,
    drop_data_runs,
)
from echome.knowledge.parse_table import parse_csv, rows_to_catalog
from echome.knowledge.records import (
    Field,
    ParsedCatalog,
    ParseError,
    ProductRecord,
    clean_text,
    key_from_name,
    strip_control,
)
from echome.knowledge.understand.checks import compact_warnings
from echome.knowledge.understand.feeds import feed_rows
from echome.knowledge.xlsx import parse_xlsx

MIN_PDF_TEXT = 40  # characters of text per document below which a PDF is taken as scanned images


def _xml_head(data: bytes) -> str:
    head = data[:1024].lstrip(b"\xef\xbb\xbf").lstrip().lower()
    if head.startswith((b"<!doctype html", b"<html")):
        return "html"
    if head.startswith((b"<?xml", b"<rss", b"<feed", b"<products", b"<catalog", b"<!doctype")):
        return "xml"
    return ""


def detect_format(data: bytes, filename: str) -> str:
    suffix = PurePath(filename).suffix.lower()
    markup = _xml_head(data)
    if markup == "html":
        raise ParseError("this is a web page (HTML), not a catalog; export the products as CSV, XLSX or XML")
    if markup == "xml" or (suffix == ".xml" and data.lstrip()[:1] == b"<"):
        return "xml"
    if data.startswith(b"%PDF"):
        return "pdf"
    if data.startswith(b"PK\x03\x04"):
        if b"xl/" in data[:4096] or suffix in (".xlsx", ".xlsm"):
            return "xlsx"
        raise ParseError("this is a ZIP archive, not a catalog; upload the CSV, XLSX or PDF itself")
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise ParseError("old Excel .xls files are not supported; save the sheet as .xlsx or .csv")
    if suffix == ".txt" and _tabular(data):
        return "csv"  # Amazon flat files and other tab-separated exports are saved as .txt
    if suffix in (".md", ".markdown", ".txt"):
        return "text"
    if suffix in (".csv", ".tsv"):
        return "csv"
    if suffix == ".pdf":
        raise ParseError("the file is named .pdf but is not a PDF (corrupt or renamed?)")
    if suffix in (".xlsx", ".xlsm"):
        raise ParseError("the file is named .xlsx but is not a spreadsheet (corrupt or renamed?)")
    head = data[:4096].decode("utf-8", errors="ignore")
    first = head.splitlines()[0] if head.splitlines() else ""
    return "csv" if first.count(",") >= 1 or first.count(";") >= 1 or "\t" in first else "text"


def parse_catalog(data: bytes, filename: str) -> ParsedCatalog:
    if not data or not data.strip():
        raise ParseError("the file is empty")
    fmt = detect_format(data, filename)
    name = PurePath(filename).name
    if fmt == "pdf":
        catalog = parse_pdf(data, source=name)
    elif fmt == "xml":
        catalog = parse_xml(data, source=name)
    elif fmt == "xlsx":
        catalog = parse_xlsx(data, source=name)
    elif fmt == "csv" and PurePath(filename).suffix.lower() == ".txt":
        try:
            catalog = parse_csv(data, source=name)
        except ParseError:  # tab-indented prose, not a tab-separated table
            catalog = parse_text(data, source=name)
    elif fmt == "csv":
        catalog = parse_csv(data, source=name)
    else:
        catalog = parse_text(data, source=name)
    catalog.warnings = compact_warnings(catalog.warnings)
    return _sanitize(catalog)


def _tabular(data: bytes) -> bool:
    """Three or more lines that split on tabs into the same number (≥ 3) of cells."""
    lines = [ln for ln in data[:20_000].decode("utf-8", errors="ignore").splitlines() if ln.strip()][:20]
    widths = [ln.count("\t") for ln in lines]
    return len(lines) >= 2 and max(widths, default=0) >= 2 and widths.count(max(widths)) >= 2


def parse_xml(data: bytes, *, source: str) -> ParsedCatalog:
    """Google Merchant Center feeds (RSS / Atom) and plain product XML, read as a table."""
    header, rows, _ = feed_rows(data)
    return rows_to_catalog([header, *rows], source=source, fmt="xml", warnings=[])


def _sanitize(catalog: ParsedCatalog) -> ParsedCatalog:
    def clean(v: Any) -> Any:
        if isinstance(v, str):
            return strip_control(v)
        if isinstance(v, dict):
            return {clean(k): clean(x) for k, x in v.items()}
        if isinstance(v, list):
            return [clean(x) for x in v]
        return v

    for p in catalog.products:
        p.name, p.external_key = strip_control(p.name), strip_control(p.external_key)
        p.sku = strip_control(p.sku) if p.sku else p.sku
        p.description = strip_control(p.description) if p.description else p.description
        p.attributes = clean(p.attributes)
        for f in p.fields:
            f.name, f.text = strip_control(f.name), strip_control(f.text)
    return catalog


def parse_pdf(data: bytes, *, source: str) -> ParsedCatalog:
    """A PDF becomes one document product whose pages are its fields (page numbers kept). Read
    with pypdf's limits lowered to what a catalog needs (`knowledge.limits.PDF_LIMITS`)."""
    import pypdf

    with pypdf.apply_configuration(**PDF_LIMITS), PdfNotes() as notes:
        pages, warnings = _pdf_pages(data, notes)
    text_chars = sum(len(t) for _, t in pages)
    if not pages:
        raise ParseError("the PDF has no pages")
    if text_chars < MIN_PDF_TEXT * max(1, len(pages) // 4):
        reason = notes.reason()
        if reason:  # pypdf gave up on the pages and said why: that, not "scanned images"
            raise ParseError(f"the PDF's text cannot be read: {reason}")
        raise ParseError(
            "the PDF has no extractable text (it looks like scanned images); "
            "upload a text PDF or the catalog as CSV/XLSX"
        )
    title = _title(pages, source)
    rec = ProductRecord(
        external_key=f"doc:{source}", name=title, attributes={"document": source, "pages": len(pages)}
    )
    rec.fields = [Field(f"page {n}", text, page=n) for n, text in pages if text]
    catalog = ParsedCatalog(source=source, format="pdf", products=[rec], warnings=warnings)
    empty = [n for n, t in pages if not t]
    if empty:
        reason = notes.reason()
        catalog.warnings.append(
            f"pages without text (images only?): {', '.join(map(str, empty[:20]))}"
            + (f"; the reader said {reason}" if reason else "")
        )
    return catalog


def _pdf_pages(data: bytes, notes: PdfNotes) -> tuple[list[tuple[int, str]], list[str]]:
    import pypdf
    from pypdf.errors import LimitReachedError, PdfReadError

    warnings: list[str] = []
    pages: list[tuple[int, str]] = []
    try:
        reader = pypdf.PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise ParseError("the PDF is password-protected; remove the password and upload it again")
        count = len(reader.pages)
        if count > MAX_PDF_PAGES:
            raise ParseError(f"the PDF has {count:,} pages; the limit is {MAX_PDF_PAGES:,}")
        total = 0
        cut = []
        for i, page in enumerate(reader.pages):
            text = clean_text(page.extract_text() or "")
            if len(text) > MAX_PAGE_CHARS:
                cut.append(i + 1)
                text = text[:MAX_PAGE_CHARS]
            total += len(text)
            if total > MAX_PDF_CHARS:
                raise ParseError(
                    f"the PDF holds more than {MAX_PDF_CHARS:,} characters of text; that is the limit"
                )
            pages.append((i + 1, text))
        if cut:
            warnings.append(
                f"pages with more than {MAX_PAGE_CHARS:,} characters were cut to that length: "
                + ", ".join(map(str, cut[:20]))
            )
    except ParseError:
        raise
    except LimitReachedError as exc:
        if "depth" in str(exc).lower():
            raise ParseError(
                f"the PDF nests its pages deeper than a PDF reader follows ({_short(exc)})"
            ) from None
        raise ParseError(
            "the PDF expands beyond what the reader allows (a compressed stream of more than "
            f"{PDF_STREAM_BYTES // (1024 * 1024)} MB, or too many objects): it looks like a decompression "
            f"bomb ({_short(exc)})"
        ) from None
    except (PdfReadError, ValueError, KeyError, TypeError, OSError, RecursionError) as exc:
        if _nested(exc):
            raise ParseError("the PDF nests objects deeper than a PDF reader follows") from None
        raise ParseError(f"the PDF is damaged and cannot be read ({type(exc).__name__})") from None
    except Exception as exc:  # pypdf raises many types on broken files; a parse job must not crash
        if type(exc).__name__ in ("FileNotDecryptedError", "DependencyError"):
            raise ParseError("the PDF is encrypted; remove the password and upload it again") from None
        raise ParseError(f"the PDF cannot be read ({type(exc).__name__})") from None
    return pages, warnings


def _nested(exc: BaseException | None) -> bool:
    """A RecursionError anywhere in the chain (pypdf wraps it in PdfReadError)."""
    seen = 0
    while exc is not None and seen < 10:
        if isinstance(exc, RecursionError):
            return True
        exc, seen = exc.__cause__ or exc.__context__, seen + 1
    return False


def _short(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text if len(text) <= 160 else text[:157] + "..."


def _title(pages: list[tuple[int, str]], source: str) -> str:
    for _, text in pages:
        for line in text.splitlines():
            line = line.strip()
            if len(line) >= 4 and not re.fullmatch(r"[\W\d_]+", line) and not line.lower().startswith("www."):
                return line[:300]
    return PurePath(source).stem


_HEADING = re.compile(r"^(#{1,3})\s+(.+?)\s*#*\s*$")


def parse_text(data: bytes, *, source: str) -> ParsedCatalog:
    """Plain text / Markdown. `#`/`##` headings split it into sections; with several `##`
    sections each becomes a product named by its heading."""
    from echome.knowledge.parse_table import decode

    text, warning = decode(data)
    if "\x00" in text[:10_000]:
        raise ParseError("this is a binary file, not text; upload CSV, XLSX, PDF, TXT or Markdown")
    warnings = [warning] if warning else []
    text = drop_data_runs(text, warnings)
    sections: list[tuple[str | None, int, list[str]]] = []
    current: tuple[str | None, int, list[str]] = (None, 0, [])
    for line in text.splitlines():
        m = _HEADING.match(line)
        if m:
            if current[0] is not None or any(s.strip() for s in current[2]):
                sections.append(current)
            current = (m.group(2).strip(), len(m.group(1)), [])
        else:
            current[2].append(line)
    sections.append(current)
    sections = [(h, lvl, body) for h, lvl, body in sections if h or any(s.strip() for s in body)]
    if not sections:
        raise ParseError("the file has no text" + (f" ({warnings[-1]})" if warnings else ""))
    catalog = ParsedCatalog(source=source, format="text", warnings=warnings)
    level2 = [s for s in sections if s[0] and s[1] == 2]
    if len(level2) >= 2:
        for heading, _lvl, body in level2:
            content = clean_text("\n".join(body))
            rec = ProductRecord(
                external_key=key_from_name(heading), name=heading[:500], description=content or None
            )
            rec.fields = [Field("description", content)] if content else []
            catalog.products.append(rec)
        return catalog
    title = next((h for h, _, _ in sections if h), PurePath(source).stem)
    rec = ProductRecord(external_key=f"doc:{source}", name=title[:500], attributes={"document": source})
    for heading, _lvl, body in sections:
        content = clean_text("\n".join(body))
        if content:
            rec.fields.append(Field(heading or "text", content))
    catalog.products.append(rec)
    return catalog
