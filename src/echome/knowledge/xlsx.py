"""XLSX workbooks → rows for `rows_to_catalog`, read within the caps of `knowledge.limits`.

The sheet that holds the products is the one with the best header; merged ranges are filled with
their value and formulas read as the values the spreadsheet app last saved (both from the sheet's
XML: openpyxl's read-only mode has neither)."""

from __future__ import annotations

import io
import re
from typing import Any

from echome.knowledge.limits import (
    MAX_COLUMNS,
    MAX_MERGE_FILL,
    MAX_MERGED_RANGES,
    MAX_SHEET_CELLS,
    check_xlsx_zip,
    open_workbook,
    scan_sheet,
)
from echome.knowledge.parse_table import MAX_ROWS, rows_to_catalog
from echome.knowledge.records import ParsedCatalog, ParseError
from echome.knowledge.understand.header import header_score


def parse_xlsx(data: bytes, *, source: str) -> ParsedCatalog:
    """The sheet that holds the products (the best header among the sheets), merged ranges filled
    with their value, formulas read as the values the spreadsheet app last saved. Read within the
    caps of `knowledge.limits` (part sizes, string lengths, columns, cells, merged ranges)."""
    try:
        import openpyxl  # noqa: F401
    except ImportError as exc:  # pragma: no cover - a default dependency
        raise ParseError("XLSX support needs openpyxl: pip install openpyxl") from exc
    check_xlsx_zip(data)
    warnings: list[str] = []
    try:
        # Values only: formulas come back as the values Excel last computed.
        wb = open_workbook(data, warnings)
    except ParseError:
        raise
    except Exception as exc:
        raise ParseError(
            f"the spreadsheet cannot be opened ({type(exc).__name__}); save it again as .xlsx"
        ) from None
    try:
        for sheet in wb.worksheets:
            _check_size(data, sheet)
        previews = [(ws, _preview(ws)) for ws in wb.worksheets]
        filled = [(ws, rows) for ws, rows in previews if len(rows) >= 2]
        if not filled:
            raise ParseError("the spreadsheet has no sheet with a header row and products")
        scores = [max((header_score(r) for r in rows), default=0.0) for _, rows in filled]
        ws = filled[scores.index(max(scores))][0]
        others = [o.title for o, _ in filled if o is not ws]
        if others:
            warnings.append(
                f"the workbook has {len(filled)} sheets with data; products were read from {ws.title!r}; "
                f"not imported: {', '.join(repr(t) for t in others[:10])}"
            )
        path = getattr(ws, "_worksheet_path", None)
        grid, width = _read_grid(ws, warnings)
    except ParseError:
        raise
    except Exception as exc:  # a sheet's XML openpyxl cannot parse
        raise ParseError(
            f"the spreadsheet cannot be read ({type(exc).__name__}); save it again as .xlsx"
        ) from None
    finally:
        wb.close()
    if path:
        _sheet_checks(data, path, grid, warnings)
    rows = [r + [""] * (width - len(r)) for r in grid if r and any(c.strip() for c in r)]
    return rows_to_catalog(rows, source=source, fmt="xlsx", warnings=warnings)


def _check_size(data: bytes, ws: Any) -> None:
    path = getattr(ws, "_worksheet_path", None)
    if not path:
        return
    try:
        scan = scan_sheet(data, path.lstrip("/"))
    except KeyError:
        return  # a sheet named in the workbook but missing: openpyxl says so when it reads it
    if scan.merges > MAX_MERGED_RANGES:
        raise ParseError(
            f"the sheet {ws.title!r} has {scan.merges:,} merged cell ranges; "
            f"the limit is {MAX_MERGED_RANGES:,}"
        )
    if scan.rows > MAX_ROWS + 50:
        raise ParseError(f"the sheet {ws.title!r} has {scan.rows:,} rows; the limit is {MAX_ROWS:,}")


def _declared_width(ws: Any) -> int:
    return ws.max_column if isinstance(ws.max_column, int) and ws.max_column > 0 else 0


def _read_grid(ws: Any, warnings: list[str]) -> tuple[list[list[str]], int]:
    """Every row of the sheet, by position (merged ranges are found by row number), each up to
    its last filled cell; and the width rows are padded to (the sheet's declared width, as
    openpyxl reads it; a sheet without one keeps rows of their own length). Empty rows cost
    nothing, so a sheet of a million blank rows reads fast."""
    declared = _declared_width(ws)
    if declared > MAX_COLUMNS:
        warnings.append(f"the sheet is {declared:,} columns wide; only the first {MAX_COLUMNS:,} were read")
    columns = min(declared, MAX_COLUMNS) if declared else MAX_COLUMNS
    grid: list[list[str]] = []
    cells = filled = 0
    for raw in ws.iter_rows(min_row=1, min_col=1, max_col=columns, values_only=True):
        if raw.count(None) == len(raw):
            grid.append([])
            continue
        row = ["" if v is None else _xl_str(v) for v in raw]
        while row and row[-1] == "":
            row.pop()
        grid.append(row)
        cells += len(row)
        filled += 1
        if filled > MAX_ROWS + 50:
            raise ParseError(f"the sheet has more than {MAX_ROWS:,} rows; the limit is {MAX_ROWS:,}")
        if cells > MAX_SHEET_CELLS:
            raise ParseError(f"the sheet has more than {MAX_SHEET_CELLS:,} cells; that is the limit")
    return grid, min(declared, MAX_COLUMNS)


def _preview(ws: Any) -> list[list[str]]:
    declared = _declared_width(ws)
    columns = min(declared, MAX_COLUMNS) if declared else MAX_COLUMNS
    rows: list[list[str]] = []
    for raw in ws.iter_rows(values_only=True, max_col=columns):
        if raw.count(None) == len(raw):
            continue
        cells = ["" if v is None else str(v) for v in raw]
        while not declared and cells and cells[-1] == "":
            cells.pop()  # a sheet without a declared width: rows of their own length
        if any(c.strip() for c in cells):
            rows.append(cells)
        if len(rows) >= 12:
            break
    return rows


_MERGE = re.compile(rb'<mergeCell\b[^>]*\bref="([A-Z]+)(\d+):([A-Z]+)(\d+)"')
_CELL = re.compile(rb"<c\b([^>]*?)(?<!/)>(.*?)</c>", re.S)
_REF = re.compile(rb'\br="([A-Z]+)(\d+)"')


def _col(letters: bytes) -> int:
    n = 0
    for ch in letters.decode():
        n = n * 26 + ord(ch) - 64
    return n - 1


def _sheet_checks(data: bytes, path: str, grid: list[list[str]], warnings: list[str]) -> None:
    """Merged ranges and formulas, read from the sheet's XML (openpyxl's read-only mode has neither).
    Regular expressions only: no second XML parser runs on the upload."""
    import zipfile

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            xml = zf.read(path.lstrip("/"))
    except (KeyError, zipfile.BadZipFile, OSError):
        return
    merged = []
    budget = MAX_MERGE_FILL
    for m in _MERGE.finditer(xml):
        c1, r1, c2, r2 = _col(m.group(1)), int(m.group(2)) - 1, _col(m.group(3)), int(m.group(4)) - 1
        c2 = min(c2, MAX_COLUMNS - 1)
        size = (min(r2, len(grid) - 1) - r1 + 1) * (c2 - c1 + 1)
        if r1 >= len(grid) or (r2 - r1 + 1) * (c2 - c1 + 1) > 100_000 or c1 > c2:
            continue
        if size > budget:
            warnings.append(
                f"merged cell ranges cover more than {MAX_MERGE_FILL:,} cells; ranges from "
                f"{m.group(1).decode()}{r1 + 1} on were not filled"
            )
            break
        budget -= size
        row = grid[r1]
        value = row[c1] if c1 < len(row) else ""
        for r in range(r1, min(r2, len(grid) - 1) + 1):
            cells = grid[r]
            cells.extend([""] * (c2 + 1 - len(cells)))
            for c in range(c1, c2 + 1):
                cells[c] = value
        merged.append(f"{m.group(1).decode()}{r1 + 1}:{m.group(3).decode()}{r2 + 1}")
    if merged:
        warnings.append(
            f"{len(merged)} merged cell ranges ({', '.join(merged[:5])}{' …' if len(merged) > 5 else ''}): "
            "each range's value was used for every cell in it"
        )
    if b"<f" not in xml:
        return
    uncached = []
    for m in _CELL.finditer(xml):
        inner = m.group(2)
        if b"<f" in inner and not re.search(rb"<v>[^<]+</v>", inner):
            ref = _REF.search(m.group(1))
            if ref:
                uncached.append(ref.group(1).decode() + ref.group(2).decode())
    if uncached:
        warnings.append(
            f"{len(uncached)} cells hold formulas without a saved result ({', '.join(uncached[:8])}"
            f"{' …' if len(uncached) > 8 else ''}); they were read as empty. Open the file in Excel or "
            "LibreOffice and save it again to store the results"
        )


def _xl_str(v: Any) -> str:
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)
