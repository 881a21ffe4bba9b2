"""The Catalog pages in a real browser: upload a real shop export with live progress, the column
mapping, the products table's search and filters, a product page, the search playground, delete."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from .conftest import PHONE, Browsing, Look, sign_up

pytestmark = pytest.mark.slow  # a real server and browser

SHARED = Path(__file__).resolve().parents[3] / "shared" / "eval"
APPAREL = SHARED / "csv" / "apparel.csv"  # a Shopify export: 21 rows of variants


def test_upload_browse_search_and_delete_a_catalog(browsing: Browsing, look_at: Look) -> None:
    if not APPAREL.exists():
        pytest.skip(f"{APPAREL} is missing")
    page = browsing.new_page()
    sign_up(page, name="Ana")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Catalog", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Catalog")
    expect(page.get_by_role("heading", name="No catalog yet")).to_be_visible()
    look_at(page, "catalog-empty")

    # A file that is not a catalog: the reason sits next to the field.
    page.get_by_label("Catalog file").set_input_files(
        files=[{"name": "photo.png", "mimeType": "image/png", "buffer": b"\x89PNG not a catalog"}]
    )
    page.get_by_role("button", name="Upload and import").click()
    expect(page.locator("#f-file-error")).to_contain_text("is not a file type Echo Me reads")
    look_at(page, "catalog-upload-error")

    page.get_by_label("Catalog file").set_input_files(str(APPAREL))
    page.get_by_role("button", name="Upload and import").click()
    page.wait_for_url(re.compile(r"/catalog/imports/[0-9a-f]{32}$"))
    # Live progress over server-sent events, until the import's summary replaces it.
    expect(page.get_by_text(re.compile(r"\d+ products imported from apparel.csv"))).to_be_visible(
        timeout=120_000
    )
    mapping = page.get_by_role("region", name=re.compile("How each column of apparel.csv"))
    expect(mapping.get_by_role("row", name=re.compile(r"^Title Product name"))).to_be_visible()
    expect(mapping.get_by_role("row", name=re.compile(r"^Variant Price Price"))).to_be_visible()
    look_at(page, "catalog-import-done")

    page.get_by_role("link", name="See the products").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Products")
    expect(page.get_by_text(re.compile(r"^1\u2013\d+ of \d+ products$"))).to_be_visible()
    look_at(page, "catalog-products")
    # Typing filters in place (htmx), and the address follows so the view can be shared or reloaded.
    page.get_by_label("Search by name or SKU").fill("jacket")
    expect(page.get_by_text(re.compile(r"^1\u2013\d+ of \d+ products?$"))).to_be_visible()
    expect(page).to_have_url(re.compile(r"q=jacket"))
    rows = page.locator("#product-results tbody tr")
    expect(rows.first).to_contain_text(re.compile("jacket", re.I))
    name = rows.first.locator("td").first.inner_text()
    page.get_by_label("Stock").select_option("out")
    expect(page).to_have_url(re.compile(r"stock=out"))
    expect(page.get_by_role("heading", name="No product matches")).to_be_visible()  # all in stock
    page.get_by_label("Stock").select_option("")
    rows.first.get_by_role("link").click()

    expect(page.get_by_role("heading", level=1)).to_have_text(name)
    expect(page.get_by_role("heading", name="What your persona reads")).to_be_visible()
    ask = page.get_by_role("link", name="Ask about this product")
    expect(ask).to_have_attribute("href", re.compile(r"/chat\?q=What%20can%20you%20tell%20me%20about"))
    look_at(page, "catalog-product")

    page.get_by_role("navigation", name="Catalog").get_by_role("link", name="Search playground").click()
    page.get_by_label("A customer's question").fill("a warm jacket for winter")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_role("heading", name=re.compile("best passages? for"))).to_be_visible()
    first = page.locator(".hit").first
    expect(first).to_contain_text("score")
    expect(first.get_by_role("link")).to_be_visible()  # the cited product
    look_at(page, "catalog-search")

    # The same page at phone width is usable (the table scrolls inside its own region).
    phone = browsing.new_page(viewport=PHONE)
    phone.context.add_cookies(page.context.cookies())
    phone.goto(page.url.split("/catalog")[0] + "/catalog/products")
    expect(phone.get_by_label("Search by name or SKU")).to_be_visible()

    page.get_by_role("navigation", name="Catalog").get_by_role("link", name="Catalogs").click()
    expect(page.get_by_role("row", name=re.compile("apparel.csv"))).to_be_visible()
    look_at(page, "catalog-list")
    page.get_by_role("link", name="Delete apparel.csv").click()
    expect(page.get_by_role("heading", name=re.compile("Delete “apparel.csv”"))).to_be_visible()
    look_at(page, "catalog-delete")
    page.get_by_role("button", name=re.compile(r"^Delete \d+ products$")).click()
    expect(page.get_by_text("Catalog deleted")).to_be_visible()
    expect(page.get_by_role("heading", name="No catalog yet")).to_be_visible()


def test_a_failed_import_says_why_and_resumes_on_return(browsing: Browsing, look_at: Look) -> None:
    page = browsing.new_page()
    sign_up(page)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Catalog", exact=True).click()
    page.get_by_label("Catalog file").set_input_files(
        files=[{"name": "colours.csv", "mimeType": "text/csv", "buffer": b"colour,size\nblue,M\nred,L\n"}]
    )
    page.get_by_role("button", name="Upload and import").click()
    expect(page.get_by_text("colours.csv was not imported")).to_be_visible(timeout=60_000)
    expect(page.get_by_text(re.compile("No product name column found"))).to_be_visible()
    look_at(page, "catalog-import-failed")
    # Reopened later, the Catalog page still says what happened to that upload.
    page.get_by_role("navigation", name="Catalog").get_by_role("link", name="Catalogs").click()
    expect(page.get_by_role("heading", name="Recent imports")).to_be_visible()
    expect(page.get_by_text(re.compile("colours.csv: No product name column"))).to_be_visible()
