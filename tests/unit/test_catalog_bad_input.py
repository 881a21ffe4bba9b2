"""Bad catalogs a seller really uploads: each imports with a warning that says what was done, or
fails with a reason the seller can act on (a failed import stores nothing: see
tests/integration/test_catalog.py::test_failed_import_leaves_the_catalog_untouched)."""

from __future__ import annotations

import io
import zipfile
from decimal import Decimal

import pytest

from echome.knowledge.parse import parse_catalog
from echome.knowledge.records import ParseError
from echome.knowledge.understand.checks import MAX_CELL_CHARS


def _warned(cat, *words: str) -> bool:  # type: ignore[no-untyped-def]
    return any(all(w in warning for w in words) for warning in cat.warnings)


def test_mixed_currencies_keep_each_products_own_and_warn() -> None:
    cat = parse_catalog('name,price\nLamp,12.00 USD\nVase,"10,00 €"\nBowl,5\n'.encode(), "m.csv")
    assert [(p.price, p.currency) for p in cat.products] == [
        (Decimal("12.00"), "USD"),
        (Decimal("10.00"), "EUR"),
        (Decimal("5"), None),
    ]
    assert _warned(cat, "several currencies", "USD (1)", "EUR (1)", "each product keeps")


def test_one_currency_named_in_some_cells_is_the_files_currency() -> None:
    cat = parse_catalog(b"name,price\nLamp,$12\nVase,10\n", "c.csv")
    assert [p.currency for p in cat.products] == ["USD", "USD"] and not cat.warnings


def test_duplicate_skus_say_which_row_was_kept() -> None:
    cat = parse_catalog(b"sku,name,price\nA1,First,1\nB2,Other,3\nA1,Second,2\nA1,Third,4\n", "d.csv")
    assert [p.name for p in cat.products] == ["Other", "Third"]
    assert _warned(cat, "SKU A1", "3 rows", "last row was kept")


@pytest.mark.parametrize("text", ["call us", "auf Anfrage", "POA", "sur demande", "#VALUE!"])
def test_a_price_in_words_leaves_the_price_empty(text: str) -> None:
    cat = parse_catalog(f"name,price\nChair,{text}\nTable,40\n".encode(), "p.csv")
    chair, table = cat.products
    assert chair.price is None and table.price == Decimal("40")
    assert _warned(cat, "row 2", "price", "left empty")


def test_a_price_column_of_text_is_reported_once_per_kind_not_per_row() -> None:
    body = "".join(f"Item {i},call us\n" for i in range(200))
    cat = parse_catalog(f"name,price\n{body}".encode(), "p.csv")
    assert len(cat.products) == 200 and all(p.price is None for p in cat.products)
    assert len(cat.warnings) <= 7 and _warned(cat, "195 more rows with the same problem")


def test_negative_and_absurd_prices_are_dropped_with_a_warning() -> None:
    cat = parse_catalog(b"name,price\nRefund line,-5\nTypo,4006381333931\nMug,9.50\n", "n.csv")
    assert [p.price for p in cat.products] == [None, None, Decimal("9.50")]
    assert _warned(cat, "row 2", "negative") and _warned(cat, "row 3", "implausibly large")


def test_a_price_far_above_the_rest_is_kept_but_pointed_out() -> None:
    rows = "".join(f"Pin {i},{2 + i % 3}\n" for i in range(12)) + "Golden pin,250000\n"
    cat = parse_catalog(f"name,price\n{rows}".encode(), "o.csv")
    assert cat.products[-1].price == Decimal("250000")
    assert _warned(cat, "please check", "Golden pin")


def test_a_one_megabyte_cell_is_cut_with_a_warning() -> None:
    huge = "wool " * 210_000  # 1,050,000 characters
    cat = parse_catalog(f"name,description\nScarf,{huge}\nHat,Warm.\n".encode(), "big.csv")
    scarf, hat = cat.products
    assert len(scarf.description or "") <= MAX_CELL_CHARS and hat.description == "Warm."
    assert _warned(cat, "cut", "'description'", "1,050,000 characters")


def test_a_cell_that_never_ends_is_a_clear_error() -> None:
    data = b'name,description\nScarf,"' + b"x" * 10_500_000 + b"\n"
    with pytest.raises(ParseError, match="larger than 10 MB"):
        parse_catalog(data, "broken.csv")


def test_a_header_row_below_a_title_is_found() -> None:
    data = "Price list spring 2025\nValid from 1 March\nArtikelname;Preis;Bestand\nTasse;4,50;12\n"
    data += "Kanne;19,90;3\n"
    cat = parse_catalog(data.encode(), "preisliste.csv")
    assert [(p.name, p.price, p.stock) for p in cat.products] == [
        ("Tasse", Decimal("4.50"), 12),
        ("Kanne", Decimal("19.90"), 3),
    ]
    assert _warned(cat, "headers are on row 3", "Price list spring 2025")


def _xlsx(build) -> bytes:  # type: ignore[no-untyped-def]
    from openpyxl import Workbook

    wb = Workbook()
    build(wb)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _rewrite(data: bytes, name: str, old: bytes, new: bytes) -> bytes:
    """The same workbook with one part edited (openpyxl cannot write a formula's cached value)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        for item in src.infolist():
            part = src.read(item.filename)
            dst.writestr(item, part.replace(old, new) if item.filename == name else part)
    return out.getvalue()


def test_the_sheet_holding_the_products_is_read_and_named() -> None:
    def build(wb) -> None:  # type: ignore[no-untyped-def]
        notes = wb.active
        notes.title = "Read me"
        notes.append(["This workbook lists our spring range."])
        notes.append(["Prices include VAT."])
        products = wb.create_sheet("Products")
        products.append(["Name", "SKU", "Price", "Stock"])
        products.append(["Desk", "D-1", 100, 2])
        lists = wb.create_sheet("Lists")
        lists.append(["Colours", "Sizes"])
        lists.append(["Red", "S"])

    cat = parse_catalog(_xlsx(build), "range.xlsx")
    assert [(p.name, p.price) for p in cat.products] == [("Desk", Decimal("100"))]
    assert _warned(cat, "read from 'Products'", "'Read me'", "'Lists'")


def test_formulas_use_their_saved_result_and_uncalculated_ones_are_named() -> None:
    def build(wb) -> None:  # type: ignore[no-untyped-def]
        ws = wb.active
        ws.append(["Name", "Price"])
        ws.append(["Desk", 100])
        ws.append(["Desk lamp", "=B2/4"])
        ws.append(["Shelf", "=B2*2"])

    data = _xlsx(build)
    data = _rewrite(data, "xl/worksheets/sheet1.xml", b"<f>B2/4</f><v />", b"<f>B2/4</f><v>25</v>")
    cat = parse_catalog(data, "f.xlsx")
    assert [p.price for p in cat.products] == [Decimal("100"), Decimal("25"), None]
    assert _warned(cat, "1 cells hold formulas without a saved result", "B4")


def test_merged_cells_give_their_value_to_every_row_of_the_range() -> None:
    def build(wb) -> None:  # type: ignore[no-untyped-def]
        ws = wb.active
        ws.append(["Category", "Name", "Price"])
        ws.append(["Chairs", "Oak chair", 120])
        ws.append([None, "Pine chair", 80])
        ws.append(["Tables", "Oak table", 300])
        ws.merge_cells("A2:A3")

    cat = parse_catalog(_xlsx(build), "merged.xlsx")
    assert [(p.name, p.category) for p in cat.products] == [
        ("Oak chair", "Chairs"),
        ("Pine chair", "Chairs"),
        ("Oak table", "Tables"),
    ]
    assert _warned(cat, "merged cell ranges", "A2:A3")


def test_a_workbook_without_a_table_is_refused() -> None:
    def build(wb) -> None:  # type: ignore[no-untyped-def]
        wb.active.append(["just a note"])

    with pytest.raises(ParseError, match="no sheet with a header row"):
        parse_catalog(_xlsx(build), "empty.xlsx")


def test_a_tab_indented_text_file_stays_a_document() -> None:
    data = b"Care guide\n\tWash\tcold\tinside out\n\tDry\tflat\tin shade\n"
    cat = parse_catalog(data, "care.txt")
    assert cat.format == "text" and "Wash" in cat.products[0].fields[0].text


def test_a_catalog_without_any_currency_says_which_one_answers_will_use() -> None:
    from echome.knowledge.parse import parse_catalog

    bare = parse_catalog(b"name;price\nKicker;599\nBall;5,99\n", "preise.csv")
    assert any("no currency found" in w and "ECHOME_CATALOG_CURRENCY" in w for w in bare.warnings)
    priced = parse_catalog(b"name;price;currency\nKicker;599;EUR\n", "preise.csv")
    assert not any("no currency found" in w for w in priced.warnings)
