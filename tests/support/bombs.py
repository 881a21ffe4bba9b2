"""Hostile files for the bomb tests, built in memory and small on disk.

Each builder takes the size of its bomb, so the same code at a harmless size is the control that
proves the file is well-formed (it imports), and at full size is the attack (it must fail cleanly).
The sizes in the docstrings are what the issue measured or worse.
"""

from __future__ import annotations

import io
import random
import zipfile
import zlib
from collections.abc import Iterator

MB = 1024 * 1024
_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG = "http://schemas.openxmlformats.org/package/2006/relationships"
_CT = "application/vnd.openxmlformats-officedocument.spreadsheetml"


def _content_types(shared: bool) -> str:
    part = '<Override PartName="/xl/sharedStrings.xml" ContentType="{}.sharedStrings+xml"/>'
    sst = part.format(_CT) if shared else ""
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        f'<Override PartName="/xl/workbook.xml" ContentType="{_CT}.sheet.main+xml"/>'
        f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{_CT}.worksheet+xml"/>'
        f"{sst}</Types>"
    )


def _workbook_parts(zf: zipfile.ZipFile, *, shared: bool) -> None:
    zf.writestr("[Content_Types].xml", _content_types(shared))
    zf.writestr(
        "_rels/.rels",
        f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{_PKG}">'
        f'<Relationship Id="rId1" Type="{_REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>',
    )
    zf.writestr(
        "xl/workbook.xml",
        f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{_NS}" xmlns:r="{_REL}">'
        '<sheets><sheet name="Products" sheetId="1" r:id="rId1"/></sheets></workbook>',
    )
    sst = f'<Relationship Id="rId2" Type="{_REL}/sharedStrings" Target="sharedStrings.xml"/>'
    sheet = f'<Relationship Id="rId1" Type="{_REL}/worksheet" Target="worksheets/sheet1.xml"/>'
    zf.writestr(
        "xl/_rels/workbook.xml.rels",
        f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{_PKG}">'
        f"{sheet}{sst if shared else ''}</Relationships>",
    )


def _stream_part(zf: zipfile.ZipFile, name: str, pieces: Iterator[bytes]) -> None:
    info = zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_DEFLATED
    with zf.open(info, "w", force_zip64=True) as out:
        for piece in pieces:
            out.write(piece)


def _row(r: int, cells: list[tuple[str, str]]) -> bytes:
    """cells: (column letter, shared-string index or inline text prefixed with '=')"""
    out = [f'<row r="{r}">']
    for col, value in cells:
        if value.startswith("="):
            out.append(f'<c r="{col}{r}" t="inlineStr"><is><t>{value[1:]}</t></is></c>')
        else:
            out.append(f'<c r="{col}{r}" t="s"><v>{value}</v></c>')
    out.append("</row>")
    return "".join(out).encode()


def _sheet(
    rows: Iterator[bytes], *, tail: Iterator[bytes] | None = None, dimension: str = ""
) -> Iterator[bytes]:
    dim = f'<dimension ref="{dimension}"/>' if dimension else ""
    yield f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{_NS}">{dim}<sheetData>'.encode()
    yield from rows
    yield b"</sheetData>"
    if tail is not None:
        yield from tail
    yield b"</worksheet>"


_SST_HEAD = f'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="{_NS}" uniqueCount="1"><si><t>'.encode()


def _header_rows() -> Iterator[bytes]:
    yield _row(1, [("A", "=name"), ("B", "=price"), ("C", "=description")])


def xlsx_shared_string_bomb(chars: int = 400_000_000) -> bytes:
    """One shared string of `chars` characters in a product's description (the issue's file:
    400 million characters in a 0.39 MB workbook)."""

    def strings() -> Iterator[bytes]:
        yield _SST_HEAD
        block = b"A" * MB
        left = chars
        while left > 0:
            yield block[: min(left, MB)]
            left -= MB
        yield b"</t></si></sst>"

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        _workbook_parts(zf, shared=True)
        rows = iter([*_header_rows(), _row(2, [("A", "=Blue Mug"), ("B", "=9.50"), ("C", "0")])])
        _stream_part(zf, "xl/worksheets/sheet1.xml", _sheet(rows, dimension="A1:C2"))
        _stream_part(zf, "xl/sharedStrings.xml", strings())
    return buf.getvalue()


def xlsx_long_string(chars: int, *, seed: int = 1) -> bytes:
    """A shared string of `chars` characters that compresses only ~50x: it passes the ZIP checks,
    so the streaming reader's per-string cap is what keeps memory bounded."""
    rnd = random.Random(seed)

    def strings() -> Iterator[bytes]:
        yield _SST_HEAD
        left = chars
        base = b"lorem ipsum dolor sit amet " * 40
        while left > 0:
            # a few random letters in every kilobyte keep deflate near 50x
            block = bytearray(base[: min(left, len(base))])
            for _ in range(min(len(block), 12)):
                block[rnd.randrange(len(block))] = rnd.randrange(97, 123)
            yield bytes(block)
            left -= len(block)
        yield b"</t></si></sst>"

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        _workbook_parts(zf, shared=True)
        rows = iter([*_header_rows(), _row(2, [("A", "=Blue Mug"), ("B", "=9.50"), ("C", "0")])])
        _stream_part(zf, "xl/worksheets/sheet1.xml", _sheet(rows, dimension="A1:C2"))
        _stream_part(zf, "xl/sharedStrings.xml", strings())
    return buf.getvalue()


def xlsx_row_bomb(rows: int = 1_048_576) -> bytes:
    """Every row Excel allows, each a product (~2 MB on disk)."""

    def body() -> Iterator[bytes]:
        yield from _header_rows()
        for r in range(2, rows + 1):
            yield _row(r, [("A", f"=Item {r}"), ("B", "=1")])

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        _workbook_parts(zf, shared=False)
        _stream_part(zf, "xl/worksheets/sheet1.xml", _sheet(body(), dimension=f"A1:C{rows}"))
    return buf.getvalue()


def xlsx_merge_bomb(ranges: int = 1_000_000) -> bytes:
    """A short product table followed by `ranges` merged ranges, the first covering the whole
    sheet (17 billion cells) and the rest a row of 16,384 cells each."""

    def tail() -> Iterator[bytes]:
        yield f'<mergeCells count="{ranges}">'.encode()
        yield b'<mergeCell ref="A1:XFD1048576"/>'
        for r in range(1, ranges):
            yield f'<mergeCell ref="A{r + 3}:XFD{r + 3}"/>'.encode()
        yield b"</mergeCells>"

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        _workbook_parts(zf, shared=False)
        rows = iter([*_header_rows(), _row(2, [("A", "=Blue Mug"), ("B", "=9.50")])])
        _stream_part(zf, "xl/worksheets/sheet1.xml", _sheet(rows, tail=tail(), dimension="A1:XFD1048576"))
    return buf.getvalue()


# -- PDF -------------------------------------------------------------------------------------------
TEXT = b"BT /F1 12 Tf 72 720 Td (Blue Mug, stoneware, 300 ml, 9.50 EUR, dishwasher safe) Tj ET\n"
FONT = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"


def _pdf(objects: list[bytes]) -> bytes:
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for i, body in enumerate(objects, 1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % i + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for off in offsets:
        out.write(b"%010d 00000 n \n" % off)
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref))
    return out.getvalue()


def _stream(data: bytes, extra: bytes = b"") -> bytes:
    return b"<< /Length %d%s >>\nstream\n" % (len(data), extra) + data + b"\nendstream"


def _one_page(content: bytes, resources: bytes = b"/Font << /F1 5 0 R >>") -> list[bytes]:
    return [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << %s >> /Contents 4 0 R >>"
        % resources,
        content,
        FONT,
    ]


def pdf_flate_bomb(inflated: int = 1024 * MB) -> bytes:
    """A page whose content stream inflates to `inflated` bytes (1 GB from ~1 MB)."""
    co = zlib.compressobj(9)
    packed = [co.compress(TEXT)]
    block = b" " * MB
    for _ in range(inflated // MB):
        packed.append(co.compress(block))
    packed.append(co.flush())
    return _pdf(_one_page(_stream(b"".join(packed), b" /Filter /FlateDecode")))


def pdf_nested_forms(depth: int = 500) -> bytes:
    """A page that draws a form that draws a form ... `depth` deep, the text in the last one (the
    issue's nested-object PDF, which failed as "looks like scanned images")."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /XObject << /X0 5 0 R >> >> "
        b"/Contents 4 0 R >>",
        _stream(b"/X0 Do"),
    ]
    form = b" /Type /XObject /Subtype /Form /BBox [0 0 612 792]"
    font = 5 + depth
    for i in range(depth):
        n = 5 + i
        if i + 1 < depth:
            res = b" /Resources << /XObject << /X%d %d 0 R >> >>" % (i + 1, n + 1)
            objects.append(_stream(b"/X%d Do" % (i + 1), form + res))
        else:
            objects.append(_stream(TEXT, form + b" /Resources << /Font << /F1 %d 0 R >> >>" % font))
    objects.append(FONT)
    return _pdf(objects)


def pdf_nested_arrays(depth: int = 100_000) -> bytes:
    """A content stream that opens `depth` arrays before its text."""
    return _pdf(_one_page(_stream(b"[" * depth + b"]" * depth + b"\n" + TEXT)))


def pdf_plain() -> bytes:
    """The control: the same one-page layout, readable."""
    return _pdf(_one_page(_stream(TEXT)))


# -- JSON ------------------------------------------------------------------------------------------
def nested_json(depth: int = 500_000) -> bytes:
    """`{"a":{"a":...}}` nested `depth` deep (~3 MB at the default)."""
    return b'{"a":' * depth + b"1" + b"}" * depth
