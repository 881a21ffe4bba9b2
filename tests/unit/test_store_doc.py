"""A store-information file → passages: one paragraph under its heading, whatever the format."""

from __future__ import annotations

import pytest
from store_files import POLICIES_MD, store_pdf

from echome.knowledge.records import ParseError
from echome.knowledge.store_doc import MAX_PASSAGES, parse_store_info


def test_markdown_sections_of_every_level_are_kept() -> None:
    doc = parse_store_info(POLICIES_MD, "policies.md")
    assert doc.format == "markdown"
    assert [p.heading for p in doc.passages] == [
        "Returns & refunds",
        "Shipping",
        "Opening hours",
        "Payment",
        "Gift wrapping",  # a level-3 section, which the catalog reading of Markdown drops
    ]
    assert doc.passages[0].text.startswith("You can return any item within 30 days")


def test_plain_text_headings_paragraphs_and_faq_questions() -> None:
    text = (
        "RETURNS\nYou can return items within 14 days.\nRefunds are paid within a week.\n\n"
        "Opening hours\nMon-Fri 9:00-18:00\nSat 10:00-14:00\n\n"
        "Do you ship abroad?\nYes, to every EU country.\n\n"
        "We also repair furniture. Ask us for a quote.\n"
    )
    doc = parse_store_info(text.encode(), "faq.txt")
    assert [(p.heading, p.text) for p in doc.passages] == [
        ("RETURNS", "You can return items within 14 days.\nRefunds are paid within a week."),
        ("Opening hours", "Mon-Fri 9:00-18:00\nSat 10:00-14:00"),  # lines with times are no headings
        ("Do you ship abroad?", "Yes, to every EU country."),
        ("Do you ship abroad?", "We also repair furniture. Ask us for a quote."),
    ]


def test_markdown_marks_are_taken_out_of_the_text() -> None:
    doc = parse_store_info(
        b"**Contact**\nWrite to **us** via [our form](https://shop.example/contact).\n", "c.md"
    )
    assert [(p.heading, p.text) for p in doc.passages] == [
        ("Contact", "Write to us via our form (https://shop.example/contact).")
    ]


def test_pdf_pages_are_cut_at_their_headings_and_keep_page_numbers() -> None:
    pdf = store_pdf(
        [
            ["Returns", "Items can be returned within 30 days.", "Shipping", "We ship with DHL in 2 days."],
            ["Opening hours", "Monday to Friday from 10:00 to 18:00."],
        ]
    )
    doc = parse_store_info(pdf, "policies.pdf")
    assert doc.format == "pdf"
    assert [(p.heading, p.page) for p in doc.passages] == [
        ("Returns", 1),
        ("Shipping", 1),
        ("Opening hours", 2),
    ]
    assert doc.passages[1].text == "We ship with DHL in 2 days."


def test_a_long_paragraph_is_cut_at_sentence_ends() -> None:
    para = " ".join(f"Sentence number {i} says something about our delivery terms." for i in range(30))
    doc = parse_store_info(f"## Delivery\n{para}\n".encode(), "d.md")
    assert len(doc.passages) > 3 and all(len(p.text) < 700 for p in doc.passages)
    assert all(p.heading == "Delivery" and p.text.endswith(".") for p in doc.passages)


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (b"", "a.md", "empty"),
        (b"  \n\t\n", "a.txt", "empty"),
        (bytes(range(256)) * 4, "a.txt", "binary file"),
        (b"\x89PNG\r\n\x1a\n" + bytes(200), "logo.md", "binary file"),
        (b"plain words", "a.pdf", "not a PDF"),
        (b"%PDF-1.4 truncated garbage", "a.pdf", "damaged"),
        (store_pdf([[]]), "scan.pdf", "no extractable text"),
        (b"%PDF-1.4\n...", "a.txt", "upload it as .pdf"),
        (b"sku,name\nA,Chair\n", "a.csv", "Markdown, TXT or PDF"),
        (b"# Only a title\n", "a.md", "no text"),
        ("\n\n".join(f"Line {i}." for i in range(MAX_PASSAGES + 1)).encode(), "a.txt", "limited to"),
    ],
)
def test_bad_files_are_refused_with_their_reason(data: bytes, name: str, message: str) -> None:
    with pytest.raises(ParseError, match=message):
        parse_store_info(data, name)


def test_text_in_another_encoding_is_read() -> None:
    text = (
        "## Rückgabe und Umtausch\nSie können Waren innerhalb von 14 Tagen zurückgeben. Die Rücksendung "
        "ist für Kunden in Österreich und Deutschland kostenlos.\n## Öffnungszeiten\nMontag bis Freitag "
        "10 bis 18 Uhr, Samstag 10 bis 14 Uhr. An Sonn- und Feiertagen geschlossen.\n"
    )
    doc = parse_store_info(text.encode("cp1252"), "r.md")
    assert [p.heading for p in doc.passages] == ["Rückgabe und Umtausch", "Öffnungszeiten"]
    assert "Österreich" in doc.passages[0].text and doc.warnings == [
        "file is not UTF-8; read it as Windows-1252"
    ]
