"""Product feeds sellers export for shopping ads (Google Merchant Center RSS, Atom and TSV) and plain
product XML: typed fields, variants, sale windows, and XML that is refused (entity declarations,
broken or foreign documents)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from echome.knowledge.parse import detect_format, parse_catalog
from echome.knowledge.records import ParseError

from ..support.catalog_records import fact_texts, understand_on

# -- Google Merchant Center ---------------------------------------------------------------------

GOOGLE_RSS = b"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:g="http://base.google.com/ns/1.0">
  <channel>
    <title>Example shop</title>
    <link>https://shop.example</link>
    <description>Our products</description>
    <item>
      <g:id>TEE-RED-S</g:id>
      <g:title>Organic Tee - Red - S</g:title>
      <g:description><![CDATA[<p>Soft <b>organic</b> cotton tee.</p>]]></g:description>
      <g:link>https://shop.example/tee?v=red-s</g:link>
      <g:image_link>https://shop.example/img/tee-red.jpg</g:image_link>
      <g:additional_image_link>https://shop.example/img/tee-red-2.jpg</g:additional_image_link>
      <g:additional_image_link>https://shop.example/img/tee-red-3.jpg</g:additional_image_link>
      <g:availability>in_stock</g:availability>
      <g:price>25.00 USD</g:price>
      <g:sale_price>19.00 USD</g:sale_price>
      <g:sale_price_effective_date>2026-02-24T11:07+0100/2026-02-29T23:00-0800</g:sale_price_effective_date>
      <g:item_group_id>TEE</g:item_group_id>
      <g:color>Red</g:color>
      <g:size>S</g:size>
      <g:material>Organic cotton</g:material>
      <g:brand>Acme Apparel</g:brand>
      <g:gtin>00012345678905</g:gtin>
      <g:condition>new</g:condition>
      <g:product_type>Apparel &gt; Tops &gt; T-shirts</g:product_type>
      <g:google_product_category>212</g:google_product_category>
      <g:identifier_exists>yes</g:identifier_exists>
      <g:shipping>
        <g:country>US</g:country>
        <g:service>Standard</g:service>
        <g:price>4.95 USD</g:price>
      </g:shipping>
      <g:custom_label_0>summer-campaign</g:custom_label_0>
    </item>
    <item>
      <g:id>TEE-BLUE-M</g:id>
      <g:title>Organic Tee - Blue - M</g:title>
      <g:description>Soft organic cotton tee.</g:description>
      <g:link>https://shop.example/tee?v=blue-m</g:link>
      <g:image_link>https://shop.example/img/tee-blue.jpg</g:image_link>
      <g:availability>out_of_stock</g:availability>
      <g:price>27.00 USD</g:price>
      <g:item_group_id>TEE</g:item_group_id>
      <g:color>Blue</g:color>
      <g:size>M</g:size>
      <g:material>Organic cotton</g:material>
      <g:brand>Acme Apparel</g:brand>
      <g:condition>new</g:condition>
      <g:product_type>Apparel &gt; Tops &gt; T-shirts</g:product_type>
    </item>
    <item>
      <title>Canvas Tote</title>
      <link>https://shop.example/tote</link>
      <description>A sturdy canvas tote bag.</description>
      <g:id>TOTE-1</g:id>
      <g:price>12.00 EUR</g:price>
      <g:availability>preorder</g:availability>
      <g:availability_date>2026-03-01T13:00-0800</g:availability_date>
      <g:brand>Acme Apparel</g:brand>
      <g:mpn>AC-TOTE</g:mpn>
    </item>
  </channel>
</rss>
"""


def test_google_rss_feed_groups_variants_and_reads_typed_fields() -> None:
    assert detect_format(GOOGLE_RSS, "feed.xml") == "xml"
    assert detect_format(GOOGLE_RSS, "upload.bin") == "xml"
    cat = parse_catalog(GOOGLE_RSS, "feed.xml")
    assert cat.platform == "google_merchant" and cat.format == "xml"
    tee, tote = cat.products
    # The two items of item_group_id TEE are one product named by what their titles share.
    assert tee.name == "Organic Tee" and tee.sku is None and tee.external_key == "group:TEE"
    variants = tee.attributes["variants"]
    assert [(v["sku"], v["options"]) for v in variants] == [
        ("TEE-RED-S", {"Color": "Red", "Size": "S"}),
        ("TEE-BLUE-M", {"Color": "Blue", "Size": "M"}),
    ]
    assert tee.currency == "USD" and tee.description == "Soft organic cotton tee."
    assert tee.category == "Apparel > Tops > T-shirts" and tee.url == "https://shop.example/tee?v=red-s"
    facts = fact_texts(tee)
    # Options every variant shares are facts of the product, not choices.
    assert "Material: Organic cotton" in facts and "Brand: Acme Apparel" in facts
    assert "Shipping: country US, service Standard, price 4.95 USD" in facts
    assert not any(
        "http" in t or "gtin" in t.lower() or "summer-campaign" in t or "212" in t or t[-3:] == "yes"
        for t in facts
    )
    # The blue variant is out of stock.
    assert variants[1]["stock"] == 0
    # Plain RSS elements are read where there is no g: element; preorder is said as it is.
    assert (tote.name, tote.sku, tote.price, tote.currency) == (
        "Canvas Tote",
        "TOTE-1",
        Decimal("12.00"),
        "EUR",
    )
    assert "Availability: available to pre-order" in fact_texts(tote)
    assert "Mpn: AC-TOTE" in fact_texts(tote)
    assert any("several currencies" in w for w in cat.warnings)


def test_google_sale_window_is_an_iso_interval() -> None:
    header = "id\ttitle\tprice\tsale_price\tsale_price_effective_date\tavailability\n"
    row = "A1\tLamp\t25.00 USD\t19.00 USD\t2026-02-24T11:07+0100/2026-02-29T23:00-0800\tin_stock\n"
    data = (header + row).encode()
    [during] = understand_on(data, date(2026, 2, 26)).products
    assert during.price == Decimal("19") and during.attributes["sale_end"] == "2026-02-28"
    assert "On sale: 19 USD instead of 25 USD until 2026-02-28" in fact_texts(during)
    [after] = understand_on(data, date(2026, 3, 5)).products
    assert after.price == Decimal("25") and after.attributes["sale_active"] is False


GOOGLE_ATOM = b"""<?xml version="1.0"?>
<feed xmlns="http://www.w3.org/2005/Atom" xmlns:g="http://base.google.com/ns/1.0">
  <title>Shop feed</title>
  <entry>
    <g:id>MUG-1</g:id>
    <title>Stoneware Mug</title>
    <link href="https://shop.example/mug" rel="alternate"/>
    <summary>A 300 ml stoneware mug.</summary>
    <g:price>9.50 GBP</g:price>
    <g:availability>backorder</g:availability>
    <g:brand>Clayworks</g:brand>
  </entry>
  <entry>
    <g:id>MUG-2</g:id>
    <title>Enamel Mug</title>
    <link href="https://shop.example/enamel"/>
    <summary>Camping mug.</summary>
    <g:price>7.00 GBP</g:price>
    <g:availability>in stock</g:availability>
  </entry>
</feed>
"""


def test_google_atom_feed() -> None:
    cat = parse_catalog(GOOGLE_ATOM, "feed.atom")
    mug, enamel = cat.products
    assert (mug.name, mug.sku, mug.price, mug.currency, mug.url) == (
        "Stoneware Mug",
        "MUG-1",
        Decimal("9.50"),
        "GBP",
        "https://shop.example/mug",
    )
    assert "Availability: available on backorder" in fact_texts(mug)
    assert enamel.sku == "MUG-2" and "Availability: in stock" in fact_texts(enamel)


@pytest.mark.parametrize("prefix", ["", "g:"])
def test_google_tsv_feed_with_or_without_the_g_prefix(prefix: str) -> None:
    cols = ["id", "title", "description", "link", "image_link", "availability", "price", "brand"]
    cols += ["item_group_id", "size", "gtin", "google_product_category"]
    header = "\t".join(prefix + c for c in cols)
    rows = [
        "SH-40\tTrail Shoe 40\tLight trail shoe.\thttps://x.example/s\thttps://x.example/s.jpg\tin_stock"
        "\t89.00 USD\tRunCo\tSH\t40\t0001\tApparel & Accessories > Shoes",
        "SH-41\tTrail Shoe 41\tLight trail shoe.\thttps://x.example/s\thttps://x.example/s.jpg\tin_stock"
        "\t89.00 USD\tRunCo\tSH\t41\t0002\tApparel & Accessories > Shoes",
    ]
    cat = parse_catalog(("\n".join([header, *rows]) + "\n").encode(), "feed.tsv")
    assert cat.platform == "google_merchant"
    [shoe] = cat.products
    assert shoe.name == "Trail Shoe" and shoe.price == Decimal("89.00") and shoe.currency == "USD"
    assert [v["options"] for v in shoe.attributes["variants"]] == [{"Size": "40"}, {"Size": "41"}]
    # Without the seller's own product_type, Google's category is the category.
    assert shoe.category == "Apparel & Accessories > Shoes"
    roles = {c["header"]: c["role"] for c in cat.columns}
    assert roles[f"{prefix}id"] == "sku" and roles[f"{prefix}item_group_id"] == "group"
    assert roles[f"{prefix}gtin"] == "internal" and roles[f"{prefix}link"] == "url"


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<rss xmlns:g="http://base.google.com/ns/1.0"><channel>
<item><g:id>1</g:id><g:title>&lol9;</g:title><g:price>1 USD</g:price></item>
</channel></rss>
"""

XXE = b"""<?xml version="1.0"?>
<!DOCTYPE rss [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<rss xmlns:g="http://base.google.com/ns/1.0"><channel>
<item><g:id>1</g:id><g:title>&xxe;</g:title><g:price>1 USD</g:price></item>
</channel></rss>
"""


@pytest.mark.parametrize("data", [BILLION_LAUGHS, XXE], ids=["billion-laughs", "external-entity"])
def test_xml_with_entity_declarations_is_refused(data: bytes) -> None:
    with pytest.raises(ParseError, match="declares entities"):
        parse_catalog(data, "feed.xml")


@pytest.mark.parametrize(
    "data,message",
    [
        (b"<?xml version='1.0'?><rss><channel><item><g:id>1</item></channel></rss>", "malformed"),
        (b"<?xml version='1.0'?><config><a>1</a></config>", "no product records"),
        (b"<!DOCTYPE html><html><body>shop</body></html>", "web page"),
    ],
)
def test_broken_or_foreign_xml_fails_with_a_reason(data: bytes, message: str) -> None:
    with pytest.raises(ParseError, match=message):
        parse_catalog(data, "feed.xml")


def test_plain_product_xml_is_read_as_a_table() -> None:
    data = (
        b"<products><product><name>Oak Stool</name><sku>ST-1</sku><price>45.00</price>"
        b"<material>Oak</material></product><product><name>Pine Stool</name><sku>ST-2</sku>"
        b"<price>30.00</price><material>Pine</material></product></products>"
    )
    cat = parse_catalog(data, "products.xml")
    assert [(p.name, p.sku, p.price) for p in cat.products] == [
        ("Oak Stool", "ST-1", Decimal("45.00")),
        ("Pine Stool", "ST-2", Decimal("30.00")),
    ]
    assert "Material: Oak" in fact_texts(cat.products[0])
