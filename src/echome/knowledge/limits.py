"""Size caps applied while an upload is read, so memory stays bounded by what a catalog can hold.

A spreadsheet is a ZIP of XML parts: 0.4 MB of it can inflate to a 400-million-character string.
Before openpyxl sees one byte, `check_xlsx_zip` reads the parts' declared sizes (Python's zipfile
never inflates a part past its declared size; a lying size fails its CRC) and refuses parts larger
than any workbook needs, or compressed a hundred times over. The shared strings are then read as
a stream (`read_shared_strings`), each string cut at MAX_CELL_CHARS while it is read, so no string
larger than a cell ever exists in memory. A PDF is read with pypdf's own limits set lower
(`PDF_LIMITS`: what one compressed stream may inflate to, how many pages). Whatever these caps
miss is stopped by the memory and time limits of the job step (`echome.jobs.limits`).

Every refusal is a ParseError naming the limit, so the seller is told what was wrong.
"""

from __future__ import annotations

import io
import logging
import re
import threading
import zipfile
from dataclasses import dataclass
from typing import IO, Any
from xml.parsers import expat

from echome.knowledge.records import ParseError
from echome.knowledge.understand.checks import MAX_CELL_CHARS
from echome.knowledge.understand.feeds import EntitiesRefused, entity_free_parser

MB = 1024 * 1024

# -- XLSX ------------------------------------------------------------------------------------------
MAX_ZIP_PARTS = 10_000
MAX_STREAMED_PART = 256 * MB  # a worksheet or the shared strings: read as a stream
MAX_WHOLE_PART = 32 * MB  # styles, workbook, relationships: openpyxl parses these whole
MAX_UNZIPPED = 1024 * MB  # every part together
MAX_RATIO = 100  # real sheets compress 5-30x; a part over RATIO_FROM beyond this is a bomb
RATIO_FROM = 8 * MB
MAX_SHARED_STRINGS = 4_000_000  # distinct texts in one workbook
MAX_COLUMNS = 1_000  # columns read from a sheet (the widest platform exports have ~300)
MAX_SHEET_CELLS = 10_000_000  # cells up to the last filled one of each row, over the sheet
MAX_MERGED_RANGES = 50_000
MAX_MERGE_FILL = 2_000_000  # cells filled from merged ranges, over the sheet

# -- text ------------------------------------------------------------------------------------------
MAX_RUN = 1_000  # characters without a space: no word or link is longer; a data dump (JSON, base64) is
_RUN = re.compile(rf"\S{{{MAX_RUN + 1},}}")


def drop_data_runs(text: str, warnings: list[str]) -> str:
    """Text without its runs of more than MAX_RUN characters without a space (a pasted JSON dump,
    an inline base64 image): data, not words, and each would make hundreds of chunks of noise."""
    runs: list[int] = []

    def drop(m: re.Match[str]) -> str:
        runs.append(len(m.group()))
        return " "

    text = _RUN.sub(drop, text)
    if runs:
        what = "1 run" if len(runs) == 1 else f"{len(runs)} runs"
        warnings.append(
            f"{what} of more than {MAX_RUN:,} characters without a space (data, not text; "
            f"{max(runs):,} characters at most) left out"
        )
    return text


# -- PDF -------------------------------------------------------------------------------------------
MAX_PDF_PAGES = 3_000
MAX_PAGE_CHARS = 200_000  # a dense page holds ~5,000 characters
MAX_PDF_CHARS = 20_000_000
PDF_STREAM_BYTES = 32 * MB  # what one compressed stream may inflate to
PDF_LIMITS: dict[str, int] = {
    "zlib_maximum_output_length": PDF_STREAM_BYTES,
    "lzw_maximum_output_length": PDF_STREAM_BYTES,
    "run_length_maximum_output_length": PDF_STREAM_BYTES,
    "brotli_maximum_output_length": PDF_STREAM_BYTES,
    "jbig2_maximum_output_length": PDF_STREAM_BYTES,
    "array_based_stream_maximum_output_length": PDF_STREAM_BYTES,
    "maximum_declared_stream_length": 2 * PDF_STREAM_BYTES,
    "image_maximum_buffer_size": PDF_STREAM_BYTES,
    "stream_decoding_work_maximum_length": 4 * PDF_STREAM_BYTES,
    "page_tree_maximum_entries": MAX_PDF_PAGES * 4,
}


def _mb(n: int) -> str:
    return f"{n / MB:,.0f} MB"


def _streamed(name: str) -> bool:
    return name.startswith("xl/worksheets/") or name == "xl/sharedStrings.xml"


def check_xlsx_zip(data: bytes) -> None:
    """Refuse a workbook whose parts would inflate beyond what a catalog needs (a ZIP bomb)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            infos = zf.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        raise ParseError("the spreadsheet is not a valid ZIP file; save it again as .xlsx") from None
    if len(infos) > MAX_ZIP_PARTS:
        raise ParseError(f"the spreadsheet has {len(infos):,} parts; the limit is {MAX_ZIP_PARTS:,}")
    total = 0
    for info in infos:
        size, packed, name = info.file_size, info.compress_size, info.filename
        total += size
        cap = MAX_STREAMED_PART if _streamed(name) else MAX_WHOLE_PART
        if size > cap and name.endswith((".xml", ".rels", ".vml")):
            raise ParseError(
                f"the spreadsheet part {name!r} unpacks to {_mb(size)}; the limit is {_mb(cap)} "
                "(a decompression bomb, or far more than a catalog holds)"
            )
        if size > RATIO_FROM and size > MAX_RATIO * max(packed, 1):
            raise ParseError(
                f"the spreadsheet part {name!r} unpacks {size // max(packed, 1):,} times over "
                f"({_mb(packed)} to {_mb(size)}); the file was refused as a decompression bomb"
            )
    if total > MAX_UNZIPPED:
        raise ParseError(f"the spreadsheet unpacks to {_mb(total)}; the limit is {_mb(MAX_UNZIPPED)}")


_MERGE = b"<mergeCell "


@dataclass
class SheetScan:
    rows: int  # rows holding at least one value (`<v>` or an inline string)
    merges: int  # merged ranges


def scan_sheet(data: bytes, part: str) -> SheetScan:
    """Rows with values and merged ranges of one worksheet, counted in one streaming pass over
    its XML (bytes, ~0.5 s for 50 MB) before openpyxl parses it: a sheet of a million rows or
    merged ranges is refused in a second instead of being parsed (openpyxl builds an object for
    every merged range while it reads the sheet's rows)."""
    rows = merges = 0
    with zipfile.ZipFile(io.BytesIO(data)) as zf, zf.open(part) as src:
        tail = b""
        while chunk := src.read(1 << 20):
            pieces = (tail + chunk).split(b"</row>")
            tail = pieces.pop()  # the row still open at the end of this chunk
            rows += sum(1 for r in pieces if b"<v>" in r or b"<is>" in r)
            if len(tail) > 2 * MB:  # past the rows (or a row that big): count merges, move on
                merges += tail.count(_MERGE)
                tail = tail[-len(_MERGE) + 1 :]  # a match cut here completes in the next chunk
        merges += tail.count(_MERGE)
    return SheetScan(rows=rows, merges=merges)


def read_shared_strings(src: IO[bytes], notes: list[str]) -> list[str]:
    """The workbook's shared strings, as openpyxl reads them (the plain text and the rich-text
    runs of each `<si>`, phonetic hints left out), each cut at MAX_CELL_CHARS while it streams in.
    Cut strings are listed in `notes`."""
    strings: list[str] = []
    parts: list[str] = []
    size = 0  # characters of the current string, kept or not
    stack: list[str] = []
    cut: list[tuple[int, int]] = []

    def start(name: str, _attrs: dict[str, str]) -> None:
        nonlocal size
        local = name.rpartition(" ")[2]
        if local == "si":
            parts.clear()
            size = 0
        stack.append(local)

    def end(_name: str) -> None:
        local = stack.pop()
        if local == "si":
            if len(strings) >= MAX_SHARED_STRINGS:
                raise ParseError(
                    f"the spreadsheet holds more than {MAX_SHARED_STRINGS:,} distinct texts; "
                    "that is more than a catalog has"
                )
            if size > MAX_CELL_CHARS:
                cut.append((len(strings), size))
            strings.append("".join(parts).replace("x005F_", ""))

    def chars(text: str) -> None:
        nonlocal size
        # openpyxl's reading: <si><t> and <si><r><t>; not <si><rPh><t> (phonetic hints)
        if len(stack) < 2 or stack[-1] != "t" or "rPh" in stack or "si" not in stack:
            return
        room = MAX_CELL_CHARS - size
        if room > 0:
            parts.append(text[:room])
        size += len(text)

    parser = entity_free_parser()
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = chars
    try:
        while chunk := src.read(1 << 20):
            parser.Parse(chunk, False)
        parser.Parse(b"", True)
    except EntitiesRefused:
        raise ParseError("the spreadsheet's text part declares entities; a workbook never does") from None
    except expat.ExpatError as exc:
        what = expat.ErrorString(exc.code)
        raise ParseError(f"the spreadsheet's text part is malformed ({what})") from None
    if cut:
        said = ", ".join(f"text {i + 1} ({n:,} characters)" for i, n in cut[:3])
        notes.append(
            f"{len(cut)} texts were longer than {MAX_CELL_CHARS:,} characters and were cut to that "
            f"length while reading: {said}{' …' if len(cut) > 3 else ''}"
        )
    return strings


def open_workbook(data: bytes, notes: list[str]) -> Any:
    """openpyxl's read-only workbook (values as last saved), its shared strings read by
    `read_shared_strings`. Call `check_xlsx_zip` first."""
    from openpyxl.reader.excel import ExcelReader
    from openpyxl.xml.constants import SHARED_STRINGS

    class _CappedReader(ExcelReader):  # type: ignore[misc]
        def read_strings(self) -> None:
            ct = self.package.find(SHARED_STRINGS)
            if ct is not None:
                with self.archive.open(ct.PartName[1:]) as src:
                    self.shared_strings = read_shared_strings(src, notes)

    reader = _CappedReader(io.BytesIO(data), read_only=True, data_only=True)
    reader.read()
    return reader.wb


# -- PDF -------------------------------------------------------------------------------------------
class PdfNotes(logging.Handler):
    """What pypdf logs while this thread reads a PDF: on a broken file it often logs the reason
    and carries on with an empty page, which would otherwise read as 'scanned images'."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.thread = threading.get_ident()
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.thread == self.thread and len(self.messages) < 20:
            self.messages.append(record.getMessage()[:300])

    def __enter__(self) -> PdfNotes:
        logging.getLogger("pypdf").addHandler(self)
        return self

    def __exit__(self, *_exc: object) -> None:
        logging.getLogger("pypdf").removeHandler(self)

    def reason(self) -> str | None:
        """Why pypdf gave up on a page, in the seller's words where we can; None if it did not say."""
        for msg in self.messages:
            low = msg.lower()
            if "recursion" in low or "depth" in low or ("xformobject" in low and "error reading" in low):
                return f"its pages nest drawings or objects deeper than a PDF reader follows ({msg})"
            if "limit" in low:
                return f"it expands beyond what the reader allows ({msg})"
        return f"the reader reported: {self.messages[0]}" if self.messages else None
