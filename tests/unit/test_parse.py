"""Catalog parsing: every format a seller exports, and every kind of bad file."""

from __future__ import annotations

import io
from decimal import Decimal
from pathlib import Path

import pytest

from echome.knowledge.parse import parse_catalog
from echome.knowledge.records import ParseError, parse_price, split_multi

EVAL = Path(__file__).resolve().parents[3] / "shared" / "eval"


def test_generic_csv_maps_common_columns_and_keeps_the_rest() -> None:
    data = (
        "Product Title;SKU;Price;Qty;Category;Colour;Body\n"
        "Oak Chair;CH-1;€1.299,00;4;Furniture;brown;<p>Solid <b>oak</b> chair.</p>\n"
        'Pine Table;TB-2;12,50 €;0;Furniture;white;"Pine &amp; steel"\n'
    ).encode()
    cat = parse_catalog(data, "shop.csv")
    chair, table = cat.products
    assert (chair.name, chair.sku, chair.price, chair.currency, chair.stock) == (
        "Oak Chair",
        "CH-1",
        Decimal("1299.00"),
        "EUR",
        4,
    )
    assert chair.description == "Solid oak chair." and chair.category == "Furniture"
    assert chair.attributes == {"Colour": "brown"}
    assert table.price == Decimal("12.50") and table.description == "Pine & steel"
    assert chair.external_key == "sku:CH-1"


@pytest.mark.parametrize("encoding", ["cp1252", "utf-16", "utf-8-sig", "latin-1"])
def test_spreadsheet_encodings(encoding: str) -> None:
    data = "name,description\nCafé crème,Très doux, 100% arabica\n".encode(encoding)
    cat = parse_catalog(data, "x.csv")
    assert cat.products[0].name == "Café crème"


def test_tab_separated_and_quoted_multiline_cells() -> None:
    data = b'title\tdescription\tprice\n"Lamp"\t"Line one\nLine two"\t$20\n'
    cat = parse_catalog(data, "x.tsv")
    assert cat.products[0].description == "Line one\nLine two" and cat.products[0].price == Decimal("20")


def test_shopify_export_groups_variants() -> None:
    cat = parse_catalog((EVAL / "csv" / "jewelery.csv").read_bytes(), "jewelery.csv")
    assert len(cat.products) == 20 and not cat.warnings
    anchor = next(p for p in cat.products if p.name == "Anchor Bracelet Mens")
    variants = anchor.attributes["variants"]
    assert [v["options"] for v in variants] == [{"Color": "Gold"}, {"Color": "Silver"}]
    assert anchor.price == Decimal("55") and anchor.external_key == "handle:leather-anchor"
    assert any("Variants:" in f.text and "69.99" in f.text for f in anchor.fields)


@pytest.mark.parametrize("name", ["apparel.csv", "home-and-garden.csv", "jewelery.csv"])
def test_every_shopify_sample_parses(name: str) -> None:
    cat = parse_catalog((EVAL / "csv" / name).read_bytes(), name)
    assert len(cat.products) == 20
    assert all(p.name and p.price is not None for p in cat.products)


def test_epqa_catalog_splits_multi_valued_cells() -> None:
    cat = parse_catalog((EVAL / "product-qa" / "catalog.csv").read_bytes(), "catalog.csv")
    assert len(cat.products) == 888
    first = cat.products[0]
    assert first.sku == "B00545ATZW"
    faq = [f for f in first.fields if f.name == "customer_qa"]
    assert len(faq) == 5 and all(f.kind == "qa" for f in faq)


def test_split_multi_keeps_values_that_contain_semicolons() -> None:
    value = (
        'color:  { value:"white" }; specification_met:  { value:"nsf" }; { value:"ul" }; size:  { value:"2" }'
    )
    assert split_multi(value) == [
        'color:  { value:"white" }',
        'specification_met:  { value:"nsf" }; { value:"ul" }',
        'size:  { value:"2" }',
    ]
    assert split_multi("great; really great") == ["great; really great"]


@pytest.mark.parametrize(
    "raw,price,cur",
    [
        ("$1,299.00", "1299.00", "USD"),
        ("1.299,00 €", "1299.00", "EUR"),
        ("12,5", "12.5", None),
        ("GBP 3", "3", "GBP"),
    ],
)
def test_prices(raw: str, price: str, cur: str | None) -> None:
    assert parse_price(raw) == (Decimal(price), cur)


def test_duplicate_skus_keep_the_last_row_and_warn() -> None:
    cat = parse_catalog(b"sku,name,price\nA1,First,1\nA1,Second,2\nB2,Other,3\n", "d.csv")
    assert [p.name for p in cat.products] == ["Second", "Other"]
    assert any("appears more than once (2 rows); the last row was kept" in w for w in cat.warnings)


def test_unparseable_price_is_a_warning_not_a_failure() -> None:
    cat = parse_catalog(b"name,price\nChair,call us\n", "p.csv")
    assert cat.products[0].price is None and "not a number" in cat.warnings[0]


@pytest.mark.parametrize(
    "data,name,message",
    [
        (b"", "e.csv", "empty"),
        (b"   \n\n", "e.csv", "empty"),
        (b"sku,price\nA1,3\n", "n.csv", "no product name column"),
        (b"name,price\n", "h.csv", "no products"),
        (b"PK\x03\x04garbage", "a.zip", "ZIP"),
        (b"\xd0\xcf\x11\xe0old", "old.xls", ".xls"),
        (b"%PDF-1.4 truncated garbage", "c.pdf", "damaged"),
        (b"not a pdf at all", "c.pdf", "not a PDF"),
    ],
)
def test_bad_files_fail_with_an_actionable_message(data: bytes, name: str, message: str) -> None:
    with pytest.raises(ParseError, match=message):
        parse_catalog(data, name)


def _pdf(text_pages: list[str | None], password: str | None = None) -> bytes:
    from pypdf import PdfWriter
    from pypdf.generic import DecodedStreamObject, DictionaryObject, NameObject

    w = PdfWriter()
    for text in text_pages:
        page = w.add_blank_page(width=300, height=300)
        if text:
            font = DictionaryObject(
                {
                    NameObject("/Type"): NameObject("/Font"),
                    NameObject("/Subtype"): NameObject("/Type1"),
                    NameObject("/BaseFont"): NameObject("/Helvetica"),
                }
            )
            page[NameObject("/Resources")] = DictionaryObject(
                {NameObject("/Font"): DictionaryObject({NameObject("/F1"): w._add_object(font)})}
            )
            stream = DecodedStreamObject()
            stream.set_data(f"BT /F1 10 Tf 20 250 Td ({text}) Tj ET".encode())
            page[NameObject("/Contents")] = w._add_object(stream)
    if password:
        w.encrypt(password)
    buf = io.BytesIO()
    w.write(buf)
    return buf.getvalue()


def test_pdf_pages_are_kept() -> None:
    cat = parse_catalog(
        _pdf(["Widget 3000 datasheet, part WX-3000-Q1", None, "Supply voltage 4.5V to 19V"]), "w.pdf"
    )
    rec = cat.products[0]
    assert rec.name.startswith("Widget 3000") and [f.page for f in rec.fields] == [1, 3]
    assert any("pages without text" in w for w in cat.warnings)


def test_password_protected_and_scanned_pdfs_are_refused() -> None:
    with pytest.raises(ParseError, match="password"):
        parse_catalog(_pdf(["secret catalog text here, long enough"], password="pw"), "locked.pdf")
    with pytest.raises(ParseError, match="no extractable text"):
        parse_catalog(_pdf([None, None]), "scan.pdf")


def test_real_datasheet_pdf() -> None:
    cat = parse_catalog((EVAL / "pdf" / "tas67524-q1.pdf").read_bytes(), "tas67524-q1.pdf")
    rec = cat.products[0]
    assert rec.name.startswith("TAS67524-Q1")
    assert any("TAS67524QDKQRQ1" in f.text for f in rec.fields)


def test_xlsx_with_formulas_uses_saved_values(tmp_path: Path) -> None:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(["Name", "Price", "Qty"])
    ws.append(["Desk", 100, 2])
    ws.append(["Desk lamp", "=B2/4", 5])
    wb.create_sheet("Other")
    buf = io.BytesIO()
    wb.save(buf)
    cat = parse_catalog(buf.getvalue(), "sheet.xlsx")
    assert [p.name for p in cat.products] == ["Desk", "Desk lamp"]
    assert cat.products[0].price == Decimal("100") and cat.products[0].stock == 2
    # openpyxl saves no computed value for a formula: the price stays empty rather than "=B2/4",
    # and the seller is told which cell; the empty second sheet is not worth a word.
    assert cat.products[1].price is None
    assert cat.warnings[0] == (
        "1 cells hold formulas without a saved result (B3); they were read as empty. Open the file in "
        "Excel or LibreOffice and save it again to store the results"
    )
    assert len(cat.warnings) == 2 and cat.warnings[1].startswith("no currency found in the file")


def test_markdown_sections_become_products() -> None:
    md = b"# Our shop\n\n## Blue Mug\nA 300 ml stoneware mug.\n\n## Red Kettle\nBoils 1.7 l in 3 minutes.\n"
    cat = parse_catalog(md, "shop.md")
    assert [p.name for p in cat.products] == ["Blue Mug", "Red Kettle"]
    assert cat.products[1].description == "Boils 1.7 l in 3 minutes."
