"""Uploads are read within caps: bombs are refused with the reason, in a second and a few MB.

Each bomb has a control built by the same code at a harmless size, which must import: the bomb
fails for being a bomb, not for being malformed."""

from __future__ import annotations

import io
import resource
import time
import zipfile

import bombs
import pytest
from openpyxl.reader.strings import read_string_table

from echome.knowledge.limits import MAX_CELL_CHARS, read_shared_strings
from echome.knowledge.parse import parse_catalog
from echome.knowledge.records import ParseError
from echome.knowledge.store_doc import parse_store_info

MB = 1024 * 1024


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def refused(data: bytes, name: str, match: str, *, seconds: float = 3.0, mb: float = 200) -> None:
    before, t = peak_mb(), time.perf_counter()
    with pytest.raises(ParseError, match=match):
        parse_catalog(data, name)
    assert time.perf_counter() - t < seconds
    assert peak_mb() - before < mb


# -- XLSX --------------------------------------------------------------------------------------------
def test_shared_string_bomb_is_refused_before_it_inflates() -> None:
    assert parse_catalog(bombs.xlsx_shared_string_bomb(40), "shop.xlsx").products[0].name == "Blue Mug"
    data = bombs.xlsx_shared_string_bomb()  # 400 million characters in 0.39 MB, as in the issue
    assert len(data) < 0.5 * MB
    refused(data, "shop.xlsx", "sharedStrings.xml' unpacks to 381 MB; the limit is 256 MB")


def test_a_long_string_under_the_zip_caps_is_cut_while_it_streams_in() -> None:
    data = bombs.xlsx_long_string(150_000_000)  # compresses ~50x: passes the ZIP checks
    before = peak_mb()
    catalog = parse_catalog(data, "shop.xlsx")
    assert peak_mb() - before < 100  # the string itself would be 150 MB, its parse several times that
    (mug,) = catalog.products
    assert len(mug.description or "") == MAX_CELL_CHARS
    assert any("150,000,000 characters" in w and "cut" in w for w in catalog.warnings)


def test_row_bomb_is_refused_in_a_second() -> None:
    assert len(parse_catalog(bombs.xlsx_row_bomb(50), "rows.xlsx").products) == 49
    refused(bombs.xlsx_row_bomb(), "rows.xlsx", "has 1,048,576 rows; the limit is 200,000")


def test_merged_range_bomb_is_refused_and_a_sheet_wide_merge_is_skipped() -> None:
    ok = parse_catalog(bombs.xlsx_merge_bomb(3), "merged.xlsx")  # A1:XFD1048576 covers 17 billion cells
    assert [p.name for p in ok.products] == ["Blue Mug"]
    assert any("16,384 columns wide" in w for w in ok.warnings)
    refused(bombs.xlsx_merge_bomb(), "merged.xlsx", "1,000,000 merged cell ranges; the limit is 50,000")


def test_a_part_openpyxl_reads_whole_is_capped_lower() -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("xl/styles.xml", b"<styleSheet>" + b" " * (40 * MB) + b"</styleSheet>")
    refused(buf.getvalue(), "x.xlsx", "xl/styles.xml' unpacks to 40 MB; the limit is 32 MB")


def test_shared_strings_read_as_openpyxl_reads_them() -> None:
    xml = (
        '<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/'
        'spreadsheetml/2006/main"><si><t xml:space="preserve">  padded  </t></si><si><t>x005F_a &amp; b</t>'
        '</si><si><t/></si><si><r><rPr><b/></rPr><t>bold</t></r><r><t xml:space="preserve"> tail</t></r></si>'
        '<si><t>漢字</t><rPh sb="0" eb="2"><t>kanji</t></rPh></si><si><t><![CDATA[<cdata>]]></t></si></sst>'
    ).encode()
    ours = read_shared_strings(io.BytesIO(xml), [])
    assert ours == read_string_table(io.BytesIO(xml))
    assert ours == ["  padded  ", "a & b", "", "bold tail", "漢字", "<cdata>"]


def test_shared_strings_refuse_entity_declarations() -> None:
    xml = b'<?xml version="1.0"?><!DOCTYPE sst [<!ENTITY a "aaaa">]><sst><si><t>&a;</t></si></sst>'
    with pytest.raises(ParseError, match="declares entities"):
        read_shared_strings(io.BytesIO(xml), [])


# -- PDF ---------------------------------------------------------------------------------------------
def test_pdf_flate_bomb_is_refused_as_one() -> None:
    assert "Blue Mug" in parse_catalog(bombs.pdf_plain(), "mug.pdf").products[0].fields[0].text
    refused(bombs.pdf_flate_bomb(256 * MB), "bomb.pdf", "expands beyond what the reader allows.*bomb")


def test_nested_forms_fail_with_the_real_reason_not_scanned_images() -> None:
    assert "Blue Mug" in parse_catalog(bombs.pdf_nested_forms(3), "forms.pdf").products[0].fields[0].text
    with pytest.raises(ParseError) as exc:
        parse_catalog(bombs.pdf_nested_forms(500), "forms.pdf")
    assert "nest drawings or objects deeper than a PDF reader follows" in str(exc.value)
    assert "scanned" not in str(exc.value)


def test_nested_arrays_fail_with_the_real_reason() -> None:
    refused(bombs.pdf_nested_arrays(), "arrays.pdf", "nests objects deeper than a PDF reader follows")


def test_store_information_pdf_gets_the_same_limits() -> None:
    with pytest.raises(ParseError, match="decompression bomb"):
        parse_store_info(bombs.pdf_flate_bomb(256 * MB), "policies.pdf")


# -- text --------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "line",
    [
        b"[" * 500_000 + b"]" * 500_000,  # a nested JSON array pasted into the FAQ
        b"[x](" * 250_000,  # link openings that never close
        b"**a" * 300_000,
    ],
)
def test_store_information_markdown_reads_in_linear_time(line: bytes) -> None:
    t = time.perf_counter()
    doc = parse_store_info(b"# Returns\n\nThirty days.\n\n" + line + b"\n", "faq.md")
    assert time.perf_counter() - t < 3.0  # each took minutes (time growing with the square of the line)
    assert doc.passages[0].text == "Thirty days."


def test_nested_json_as_a_text_catalog_is_refused_as_data() -> None:
    # 3 MB without a space: counted as one word it made ~3,000 chunks of noise to embed
    refused(bombs.nested_json(), "dump.txt", "no text .*characters without a space \\(data, not text")


def test_inline_data_is_left_out_of_text_and_the_words_kept() -> None:
    md = b"## Mug\n\nA stoneware mug. ![photo](data:image/png;base64," + b"QUFB" * 2000 + b") Holds 300 ml.\n"
    md += b"## Cup\n\nA small cup.\n"
    catalog = parse_catalog(md, "shop.md")
    assert catalog.products[0].description == "A stoneware mug. Holds 300 ml."
    assert any("data, not text" in w for w in catalog.warnings)


# -- the import job's reading step -------------------------------------------------------------------
def test_a_file_that_needs_more_memory_than_allowed_fails_the_job_for_good() -> None:
    from echome.jobs import JobContext, PermanentJobError
    from echome.jobs.limits import ResourceLimits
    from echome.knowledge.jobs import read_upload

    ctx = JobContext(job_id="j", user_id="u", kind="catalog.import", attempt=1, report=lambda _p, _s: None)
    rows = b"name,price,description\n" + b"".join(
        b"Mug %d,9.50,%s\n" % (i, b"word " * 40) for i in range(20_000)
    )
    ok = read_upload(parse_catalog, rows, "shop.csv", limits=ResourceLimits(memory_bytes=1024 * MB), ctx=ctx)
    assert len(ok.products) == 20_000 and str(ok.products[0].price) == "9.50"
    with pytest.raises(
        PermanentJobError, match=r"shop\.csv: reading the file needed more than 30 MB of memory"
    ):
        read_upload(parse_catalog, rows, "shop.csv", limits=ResourceLimits(memory_bytes=30 * MB), ctx=ctx)
    with pytest.raises(PermanentJobError, match=r"shop\.csv: the file is empty"):
        read_upload(parse_catalog, b"  ", "shop.csv", limits=ResourceLimits(), ctx=ctx)
