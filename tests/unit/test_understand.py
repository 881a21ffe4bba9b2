"""Catalog understanding: the header vocabulary, platform layouts, packed cells, variants, sale
windows, availability and labelled facts, on small inline tables."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from echome.knowledge.parse import parse_catalog
from echome.knowledge.records import ParseError
from echome.knowledge.understand import understand_rows
from echome.knowledge.understand.layout import detect_platform
from echome.knowledge.understand.values import (
    internal_value,
    parse_amount,
    parse_availability,
    parse_packed,
    parse_quantity,
)
from echome.knowledge.understand.vocabulary import classify, classify_all, normalize

EVAL = Path(__file__).resolve().parents[3] / "shared" / "eval"


def _rows(text: str, delim: str = ";") -> tuple[list[str], list[list[str]]]:
    lines = list(csv.reader(io.StringIO(text.strip()), delimiter=delim))
    return lines[0], lines[1:]


def _parse(text: str, delim: str = ";", today: date = date(2025, 6, 1)):
    header, body = _rows(text, delim)
    return understand_rows(header, body, source="t.csv", fmt="csv", warnings=[], today=today)


@pytest.mark.parametrize(
    "header,role",
    [
        ("Product Title", "name"),
        ("Artikelnummer", "sku"),
        ("Preis", "price"),
        ("Lagerbestand", "stock"),
        ("Hersteller", "brand"),
        ("Nom du produit", "name"),
        ("Prix", "price"),
        ("Fabricant", "brand"),
        ("Nombre", "name"),
        ("Precio", "price"),
        ("Existencias", "stock"),
        ("Prezzo", "price"),
        ("Quantità", "stock"),
        ("Marca", "brand"),
        ("Prijs", "price"),
        ("Voorraad", "stock"),
        ("Merk", "brand"),
        ("Preço", "price"),
        ("Quantidade", "stock"),
        ("Descrição", "description"),
        ("Qty in stock", "stock"),
        ("Name *", "name"),
        ("Categories (x,y,z...)", "category"),
        ("Discount from (yyyy-mm-dd)", "sale_start"),
        ("_name", "name"),
        ("g:price", "price"),
        ("Active (0/1)", "internal"),
        ("Published", "internal"),
        ("tax_class_name", "internal"),
        ("Colour", "fact"),
    ],
)
def test_headers_in_seven_languages_and_platform_spellings(header: str, role: str) -> None:
    assert classify(0, header).role == role


def test_currency_comes_from_the_header() -> None:
    assert normalize("Unit Price (€)").currency == "EUR" and normalize("Unit Price (€)").norm == "unit price"
    assert normalize("price_eur").currency == "EUR" and normalize("Preis in CHF").currency == "CHF"


def test_the_better_price_column_wins_and_the_other_is_not_a_fact() -> None:
    cols = classify_all(["name", "price_net", "price_gross", "Unit price", "Price tax excluded"])
    roles = {c.header: c.role for c in cols}
    assert roles["price_gross"] == "price" and roles["price_net"] == "internal"


@pytest.mark.parametrize(
    "headers,platform",
    [
        (["Handle", "Title", "Variant SKU"], "shopify"),
        (
            ["ID", "Type", "SKU", "Name", "Regular price", "Sale price", "Parent", "Attribute 1 name"],
            "woocommerce",
        ),
        (["sku", "store_view_code", "attribute_set_code", "product_type", "name", "price"], "magento2"),
        (["Product ID", "Name *", "Price tax excluded", "Quantity"], "prestashop"),
        (["ordernumber", "price", "_name", "_additionaltext", "_supplier"], "shopware5"),
        (["id", "parent_id", "product_number", "stock", "name", "price_gross"], "shopware6"),
        (["sku", "parent_sku", "attribute_family_code", "name", "price"], "bagisto"),
        (["id", "title", "description", "availability", "price", "link"], "google_merchant"),
        (["item_sku", "item_name", "standard_price", "quantity"], "amazon"),
        (["handleId", "fieldType", "name", "price", "surcharge"], "wix"),
        (["Token", "Item Name", "Variation Name", "SKU", "Price"], "square"),
        (["TITLE", "DESCRIPTION", "PRICE", "QUANTITY", "TAGS", "MATERIALS"], "etsy"),
        (["Item Type", "Product ID", "Product Name", "Product Code/SKU", "Price"], "bigcommerce"),
        (
            [
                "Product ID [Non Editable]",
                "Variant ID [Non Editable]",
                "Product Type [Non Editable]",
                "Title",
                "Option Name 1",
            ],
            "squarespace",
        ),
        (["product_internal_id", "product_sku", "product_name", "product_price"], "ecwid"),
        (["product_id", "name(en-gb)", "model", "quantity", "price"], "opencart"),
        (["name", "price"], None),
    ],
)
def test_platform_signatures(headers: list[str], platform: str | None) -> None:
    assert detect_platform(headers)[0] == platform


@pytest.mark.parametrize(
    "raw,amount,cur",
    [
        ("1.299,00", "1299.00", None),
        ("59,99", "59.99", None),
        ("12.00 USD", "12.00", "USD"),
        ("€ 5", "5", "EUR"),
    ],
)
def test_amounts(raw: str, amount: str, cur: str | None) -> None:
    assert parse_amount(raw) == (Decimal(amount), cur)


def test_a_decimal_comma_column_reads_thousands_points() -> None:
    cat = _parse("Name;Preis\nA;1.299\nB;59,99\n")
    assert [p.price for p in cat.products] == [Decimal("1299"), Decimal("59.99")]


def test_availability_words_and_packed_quantities() -> None:
    assert parse_availability("auf Lager") is True and parse_availability("out of stock") is False
    assert parse_availability("1") is True and parse_availability("Agotado") is False
    assert parse_quantity("default=100,second=5") == 105
    assert internal_value("https://x.test/a.jpg") and internal_value("e5c8b8f701034e8dbea72ac0fc32521e")
    assert internal_value('{"type":2}') and internal_value("true") and not internal_value("Wool")


def test_packed_cells() -> None:
    assert parse_packed("sku=X,size=M,color=Red|sku=Y,size=L,color=Blue") == [
        {"sku": "X", "size": "M", "color": "Red"},
        {"sku": "Y", "size": "L", "color": "Blue"},
    ]
    assert parse_packed("has_options=0,material=Wool|Fleece,size=XS") == [
        {"has_options": "0", "material": "Wool, Fleece", "size": "XS"}
    ]


MAGENTO = """\
sku;product_type;attribute_set_code;name;price;qty;is_in_stock;additional_attributes;\
configurable_variations
H1-S;simple;Top;Hoodie-S;52;100;1;has_options=0,size=S,color=Red;
H1-M;simple;Top;Hoodie-M;52;0;0;size=M,color=Blue;
H1;configurable;Top;Hoodie;52;0;1;material=Wool|Fleece,pattern=Solid;sku=H1-S,size=S,color=Red|sku=H1-M,size=M,color=Blue
"""


def test_magento_variants_fold_under_the_parent() -> None:
    cat = _parse(MAGENTO)
    assert cat.platform == "magento2" and [p.name for p in cat.products] == ["Hoodie"]
    hoodie = cat.products[0]
    variants = hoodie.attributes["variants"]
    assert [v["options"] for v in variants] == [{"Size": "S", "Color": "Red"}, {"Size": "M", "Color": "Blue"}]
    assert [v["stock"] for v in variants] == [100, 0]
    # The parent's qty is 0 but its in-stock flag is set: stock comes from the variants.
    assert hoodie.stock == 100
    texts = [f.text for f in hoodie.fields]
    assert "Material: Wool, Fleece" in texts and "Pattern: Solid" in texts
    assert not any("Has options" in t for t in texts)
    assert {"header": "is_in_stock", "role": "availability", "note": ""} in cat.columns


def test_a_parent_in_stock_with_no_quantity_is_not_sold_out() -> None:
    cat = _parse("name;qty;is_in_stock\nLamp;0;1\nVase;0;0\n")
    lamp, vase = cat.products
    assert lamp.stock is None and vase.stock == 0
    assert any(f.text == "Availability: in stock" for f in lamp.fields)
    assert lamp.attributes["available"] is True  # typed: a stock question is answered from it
    assert "available" not in vase.attributes  # its stock is 0, typed already


def test_a_cost_column_is_the_price_only_in_a_sheet_without_one() -> None:
    cat = _parse("Item,Cost (£),How many left,Notes\nBlanket,85,3,Merino. 120x150cm.\nVoucher,25,,\n", ",")
    blanket = cat.products[0]
    assert blanket.price == Decimal("85") and blanket.currency == "GBP" and blanket.stock == 3
    assert blanket.description == "Merino. 120x150cm."
    both = _parse("Name,Price,Cost\nBlanket,85,40\n", ",")
    assert both.products[0].price == Decimal("85")
    assert not any("40" in f.text for f in both.products[0].fields)  # what the seller paid: not said


def test_woocommerce_parent_column_and_attribute_pairs() -> None:
    cat = _parse(
        "ID,Type,SKU,Name,Regular price,Parent,Attribute 1 name,Attribute 1 value(s),Stock\n"
        '10,variable,TEE,Tee,,,Color,"Red, Blue",\n'
        "11,variation,TEE-R,Tee - Red,20,TEE,Color,Red,3\n"
        "12,variation,TEE-B,Tee - Blue,22,id:10,Color,Blue,0\n"
        "13,simple,CAP,Cap,9,,Material,Wool,4\n",
        delim=",",
    )
    tee, cap = cat.products
    assert [f.text for f in cap.fields] == ["Material: Wool"]
    assert cat.platform == "woocommerce" and "Attribute 1 value(s): Red, Blue" not in [
        f.text for f in tee.fields
    ]
    assert [(v["sku"], v["options"], v["price"]) for v in tee.attributes["variants"]] == [
        ("TEE-R", {"Color": "Red"}, "20"),
        ("TEE-B", {"Color": "Blue"}, "22"),
    ]
    assert tee.price == Decimal("20") and tee.stock == 3


def test_bagisto_parent_sku_packed_stock_and_variants() -> None:
    cat = _parse(
        "sku;parent_sku;attribute_family_code;type;name;price;inventories;configurable_variants\n"
        "J1;;default;configurable;Jacket;;;sku=J1-Y,color=Yellow,size=M|sku=J1-G,color=Green,size=L\n"
        "J1-Y;J1;default;simple;Jacket-Y;20;default=5;\n"
        "J1-G;J1;default;simple;Jacket-G;21;default=7;\n"
    )
    [jacket] = cat.products
    assert [v["options"] for v in jacket.attributes["variants"]] == [
        {"Color": "Yellow", "Size": "M"},
        {"Color": "Green", "Size": "L"},
    ]
    assert jacket.stock == 12 and jacket.price == Decimal("20")
    assert {
        "header": "type",
        "role": "internal",
        "note": "platform product type (simple, variable...)",
    } in cat.columns


def test_shopware5_variant_rows_tiers_and_old_price() -> None:
    cat = _parse(
        "ordernumber;price;pricegroup;from;pseudoprice;_name;_additionaltext;_supplier\n"
        "SW1.1;59,99;EK;1;0;Korn;1,5 Liter;Sasse\n"
        "SW1.2;199;EK;1;0;Korn;5 Liter;Sasse\n"
        "SW2;1;EK;1;0;Staffel;;Demo\n"
        "SW2;0,9;EK;11;0;Staffel;;Demo\n"
        "SW2;2;B2B;1;0;Staffel;;Demo\n"
        "SW3;599;EK;1;698,99;Kicker;;Demo\n"
    )
    korn, staffel, kicker = cat.products
    assert [(v["options"], v["price"]) for v in korn.attributes["variants"]] == [
        ({"Variant": "1,5 Liter"}, "59.99"),
        ({"Variant": "5 Liter"}, "199"),
    ]
    assert "Variant options: 1,5 Liter 59.99, 5 Liter 199" in [f.text for f in korn.fields]
    assert staffel.price == Decimal("1")
    texts = [f.text for f in staffel.fields]
    assert "Tier prices: 1 each from 1 piece; 0.9 each from 11 pieces" in texts
    assert "Price for customer group B2B: 2" in texts
    assert kicker.price == Decimal("599")
    assert any("698.99" in f.text and "old price" in f.text for f in kicker.fields)


SALE = (
    "sku,name,price,special_price,special_price_from,special_price_to\n"
    "G1,Gloves,21,17,2024-02-01,2024-02-15\n"
)


def test_an_expired_sale_leaves_the_regular_price() -> None:
    [gloves] = _parse(SALE, delim=",", today=date(2025, 1, 1)).products
    assert gloves.price == Decimal("21")
    assert gloves.attributes["sale_price"] == "17" and gloves.attributes["sale_active"] is False
    assert any("ended 2024-02-15" in f.text for f in gloves.fields)


def test_a_running_sale_is_the_price_and_the_regular_price_is_kept() -> None:
    [gloves] = _parse(SALE, delim=",", today=date(2024, 2, 10)).products
    assert gloves.price == Decimal("17") and gloves.attributes["regular_price"] == "21"


def test_prestashop_percent_discount_window() -> None:
    cat = _parse(
        "Product ID;Active (0/1);Name *;Price tax excluded;Discount percent;Discount from (yyyy-mm-dd);"
        "Discount to (yyyy-mm-dd);Quantity;Condition;Manufacturer;Additional shipping cost\n"
        "1;1;iPod Nano;100;5.5;2013-06-01;2018-12-31;160;used;Apple;20\n"
    )
    [ipod] = cat.products
    assert (ipod.price, ipod.stock) == (Decimal("100"), 160)
    texts = [f.text for f in ipod.fields]
    assert "Condition: used" in texts and "Manufacturer: Apple" in texts
    assert "Additional shipping cost: 20" in texts and not any("Active" in t for t in texts)


def test_unmapped_columns_are_labelled_and_internal_values_kept_out() -> None:
    cat = _parse(
        "Name;Material;Published;Image;Ref id;Meta;Visible\n"
        'Scarf;Wool;TRUE;https://x.test/1.jpg;e5c8b8f701034e8dbea72ac0fc32521e;{"a":1};yes\n'
    )
    [scarf] = cat.products
    texts = [f.text for f in scarf.fields]
    assert texts == ["Material: Wool"]
    assert scarf.attributes["Image"] == "https://x.test/1.jpg"
    roles = {c["header"]: c["role"] for c in cat.columns}
    assert roles["Published"] == roles["Ref id"] == roles["Meta"] == roles["Visible"] == "internal"


def test_rows_without_a_name_are_named_from_sku_or_description() -> None:
    cat = _parse("name;sku;description\n;AB-1;\n;;Soft merino wool socks. Warm.\n")
    assert [p.name for p in cat.products] == ["AB-1", "Soft merino wool socks"]
    assert sum("no product name; named it" in w for w in cat.warnings) == 2


def test_a_table_with_no_name_or_description_is_refused() -> None:
    with pytest.raises(ParseError, match="no product name column"):
        _parse("sku;price\nA1;3\n")


def test_shopware6_gross_price_currency_brand_and_vat() -> None:
    cat = _parse(
        "id;parent_id;product_number;stock;name;tax_rate;price_net;price_gross;price_net_eur;price_gross_eur;"
        "manufacturer_name;optionIds\n"
        "e5c8b8f701034e8dbea72ac0fc32521e;;P1;31;Maid;7;551.4;590;551.4;590;Huel Inc;"
        "84ba25aded2842a39abc87a941c9464e|c17827a3f3b84e54a5c3ab0c29ca4b0e\n"
    )
    [maid] = cat.products
    assert (maid.price, maid.currency, maid.stock) == (Decimal("590"), "EUR", 31)
    texts = [f.text for f in maid.fields]
    assert "Tax rate: 7%" in texts and "Manufacturer name: Huel Inc" in texts
    assert not any("551" in t or "84ba25" in t for t in texts)


def test_eval_exports_are_understood() -> None:
    path = EVAL / "catalogs" / "magento2-configurable.csv"
    if not path.exists():
        pytest.skip("eval catalogs not present")
    cat = parse_catalog(path.read_bytes(), path.name)
    assert cat.platform == "magento2" and len(cat.products) == 5
    assert all(len(p.attributes["variants"]) == 15 for p in cat.products)


def test_bagisto_packed_tier_prices_and_booking_options_are_readable() -> None:
    cat = _parse(
        "sku;name;price;customer_group_prices;booking_options\n"
        "B1;Beanie;14;group=all,qty=2,type=fixed,price=12|group=all,qty=3,type=discount,price=50;\n"
        "R1;Car Rental;75;;type=rental,qty=3,location=Airport,show_location=1,allow_cancellation=0|"
        "renting_type=daily_hourly,daily_price=75.00,hourly_price=12.00,same_slot_all_days=1|"
        "day=all,from=06:00,to=22:00\n"
        "E1;Festival;50;;type=event,location=Park,available_from=2026-07-15|ticket=1,name=VIP,qty=50,"
        "price=100.00,special_price=85.00,description=Front row seating|ticket=2,name=Standard,qty=300,"
        "price=50.00,description=General admission\n"
    )
    beanie, rental, festival = ([f.text for f in p.fields] for p in cat.products)
    assert "Tier prices: 12 each from 2 pieces; 50% off from 3 pieces" in beanie
    assert "Daily price: 75.00; hourly price: 12.00" in rental
    said = "Booking options: type rental, qty 3, location Airport, cancellation not allowed"
    assert f"{said}; renting type daily hourly" in rental
    assert "Booking options times: every day 06:00-22:00" in rental
    assert not any("show location" in t or "same slot" in t for t in rental)
    assert "VIP ticket: 100.00, special price 85.00 — Front row seating (50 available)" in festival
    assert "Standard ticket: 50.00 — General admission (300 available)" in festival


def test_tier_prices_for_another_customer_group_say_whose_they_are() -> None:
    cat = _parse("sku;name;price;tier_prices\nA;Pen;2;group=B2B,qty=100,price=1.5\n")
    assert "Tier prices: 1.5 each from 100 pieces (customer group B2B)" in [
        f.text for f in cat.products[0].fields
    ]


def test_numbered_pairs_and_single_option_columns() -> None:
    cols = {c.header: c for c in classify_all(
        ["productOptionName1", "productOptionDescription1", "VARIATION 1 TYPE", "Option Value 2",
         "additionalInfoTitle1", "Attribute 3 global", "color_name", "g:size", "Farbe", "IMAGE1"]
    )}  # fmt: skip
    assert cols["productOptionName1"].pair == ("option", "1", "key")
    assert cols["productOptionDescription1"].pair == ("option", "1", "value")
    assert cols["VARIATION 1 TYPE"].pair == ("option", "1", "key_fallback")
    assert cols["Option Value 2"].pair == ("option", "2", "value")
    assert cols["additionalInfoTitle1"].pair == ("fact", "1", "key")
    assert cols["Attribute 3 global"].role == "internal"
    assert (cols["color_name"].option, cols["g:size"].option, cols["Farbe"].option) == (
        "Color",
        "Size",
        "Farbe",
    )
    assert cols["IMAGE1"].role == "image"


def test_a_row_kind_column_puts_variant_rows_under_the_product_above() -> None:
    cat = _parse(
        "Item Type;Name;SKU;Price;Stock\n"
        "Product;Lamp;L1;30;\n"
        "Variant;Color=Red;L1-R;;4\n"
        "Variant;Color=Blue;L1-B;32;1\n"
        "Product;Shade;S1;10;7\n"
    )
    lamp, shade = cat.products
    assert [(v["options"], v["price"], v["stock"]) for v in lamp.attributes["variants"]] == [
        ({"Color": "Red"}, "30", 4),
        ({"Color": "Blue"}, "32", 1),
    ]
    assert (lamp.name, lamp.stock, shade.stock) == ("Lamp", 5, 7)


def test_generic_sheet_with_a_group_column() -> None:
    cat = _parse(
        "item_group_id;title;price;color\n"
        "G1;Rain Jacket Yellow;80;Yellow\n"
        "G1;Rain Jacket Navy;85;Navy\n"
        ";Umbrella;20;Black\n"
    )
    jacket, umbrella = cat.products
    assert jacket.name == "Rain Jacket" and jacket.price == Decimal("80")
    assert [v["options"] for v in jacket.attributes["variants"]] == [{"Color": "Yellow"}, {"Color": "Navy"}]
    assert "Color: Black" in [f.text for f in umbrella.fields]
