"""The exports sellers actually have, each modelled on its platform's documented format: what every
column becomes (typed field, variant option, labelled fact, or kept out), and which rows are one
product."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from echome.knowledge.parse import detect_format, parse_catalog

from ..support.catalog_records import by_name, fact_texts, understand_on

# -- WooCommerce --------------------------------------------------------------------------------

WOO_HEADER = (
    'ID,Type,SKU,Name,Published,"Is featured?","Visibility in catalog","Short description",Description,'
    '"Date sale price starts","Date sale price ends","Tax status","Tax class","In stock?",Stock,'
    '"Backorders allowed?","Sold individually?","Weight (kg)","Length (cm)","Width (cm)","Height (cm)",'
    '"Allow customer reviews?","Purchase note","Sale price","Regular price",Categories,Tags,"Shipping class",'
    'Images,"Download limit","Download expiry days",Parent,"Grouped products",Upsells,Cross-sells,'
    '"External URL","Button text",Position,"Attribute 1 name","Attribute 1 value(s)","Attribute 1 visible",'
    '"Attribute 1 global","Attribute 2 name","Attribute 2 value(s)","Attribute 2 visible",'
    '"Attribute 2 global","Download 1 name","Download 1 URL"'
)
WOO_ROWS = [
    '100,variable,woo-hoodie,Hoodie,1,1,visible,Warm hoodie.,"<p>A cosy fleece hoodie.</p>",,,'
    'taxable,,1,,0,0,0.5,30,20,5,1,,,,Clothing > Hoodies,warm,,"https://x.example/h.jpg, https://x.example/h2.jpg",,,,,,,,,'
    '0,Color,"Blue, Red",1,1,Logo,"Yes, No",1,0,,',
    '101,variation,woo-hoodie-blue-logo,"Hoodie - Blue, Yes",1,0,visible,,,,,taxable,parent,1,5,0,0,,,,,0,,,'
    "45,,,,https://x.example/hb.jpg,,,woo-hoodie,,,,,,1,Color,Blue,,1,Logo,Yes,,0,,",
    '102,variation,woo-hoodie-red,"Hoodie - Red, No",1,0,visible,,,2025-05-01,2025-05-31,taxable,parent,0,0,'
    "0,0,,,,,0,,40,45,,,,https://x.example/hr.jpg,,,id:100,,,,,,2,Color,Red,,1,Logo,No,,0,,",
    '110,simple,woo-polo,Polo,1,0,visible,A polo.,"<p>Classic pique polo shirt.</p>",,,taxable,,1,12,0,0,0.2,'
    "20,15,2,1,,,20,Clothing > Tshirts,,,https://x.example/polo.jpg,,,,,,,,,0,Color,Blue,1,1,,,,,,",
    '111,simple,woo-hoodie-zip,Hoodie with Zipper,1,1,visible,,"Zip hoodie.",,,taxable,,1,7,0,0,,,,,1,,38,45,'
    "Clothing > Hoodies,,,https://x.example/hz.jpg,,,,,,,,,0,,,,,,,,,,",
    '112,"simple, downloadable, virtual",woo-album,Album,1,0,visible,Ten songs.,"Our debut album.",,,'
    'taxable,,1,,0,0,,,,,1,"Thanks for buying!",,15,Music,,,https://x.example/album.jpg,1,,,,,,,,0,,,,,,,,,'
    "Single 1,https://x.example/single.mp3",
    "113,external,wp-pennant,WordPress Pennant,1,0,visible,,A felt pennant.,,,taxable,,1,,0,0,,,,,1,,,11.05,"
    "Decor,,,https://x.example/p.jpg,,,,,,,https://wp.example/pennant,Buy on the WordPress swag store!,"
    "0,,,,,,,,,,",
    "114,grouped,logo-collection,Logo Collection,1,0,visible,,Three logo items.,,,taxable,,1,,0,0,,,,,1,,,,"
    'Clothing,,,https://x.example/lc.jpg,,,,"woo-polo, woo-hoodie-zip",,,,,0,,,,,,,,,,',
]


def test_woocommerce_export() -> None:
    data = "\n".join([WOO_HEADER, *WOO_ROWS]).encode()
    cat = understand_on(data, date(2025, 6, 15))
    assert cat.platform == "woocommerce"
    products = by_name(cat)
    assert list(products) == [
        "Hoodie",
        "Polo",
        "Hoodie with Zipper",
        "Album",
        "WordPress Pennant",
        "Logo Collection",
    ]
    hoodie = products["Hoodie"]
    assert [(v["sku"], v["options"], v["price"], v["stock"]) for v in hoodie.attributes["variants"]] == [
        ("woo-hoodie-blue-logo", {"Color": "Blue", "Logo": "Yes"}, "45", 5),
        ("woo-hoodie-red", {"Color": "Red", "Logo": "No"}, "45", 0),  # its May sale is over
    ]
    assert hoodie.price == Decimal("45") and hoodie.stock == 5 and hoodie.category == "Clothing > Hoodies"
    # Simple products each keep their own name and price.
    polo, zip_hoodie, album = products["Polo"], products["Hoodie with Zipper"], products["Album"]
    assert (polo.price, polo.stock, polo.description) == (Decimal("20"), 12, "Classic pique polo shirt.")
    assert "Color: Blue" in fact_texts(polo) and "Weight (kg): 0.2" in fact_texts(polo)
    assert zip_hoodie.price == Decimal("38") and "On sale: 38 instead of 45" in fact_texts(zip_hoodie)
    assert (album.price, album.sku) == (Decimal("15"), "woo-album")
    pennant = products["WordPress Pennant"]
    assert pennant.price == Decimal("11.05") and pennant.url == "https://wp.example/pennant"
    assert products["Logo Collection"].price is None
    every_fact = " | ".join(t for p in cat.products for t in fact_texts(p))
    for never in (
        "Published",
        "Tax",
        "taxable",
        "Type",
        "downloadable",
        "Download",
        "http",
        "Button",
        "visible",
    ):
        assert never not in every_fact, never
    roles = {c["header"]: c["role"] for c in cat.columns}
    assert roles["Type"] == roles["Published"] == roles["Tax status"] == roles["Is featured?"] == "internal"
    assert roles["Download 1 URL"] in ("url", "internal") and roles["Grouped products"] == "internal"


# -- Amazon flat file ---------------------------------------------------------------------------

AMAZON = "\n".join(
    "\t".join(cells)
    for cells in [
        ["TemplateType=fptcustom", "Version=2021.1014", "TemplateSignature=U0hJUlQ=",
         "The top 3 rows are for Amazon.com use only. Do not modify or delete the top 3 rows."]
        + [""] * 19,
        ["Product Type", "Seller SKU", "Brand Name", "Product Name", "Product ID", "Product ID Type",
         "Item Type Keyword", "Standard Price", "Quantity", "Main Image URL", "Parentage", "Parent SKU",
         "Relationship Type", "Variation Theme", "Color", "Size", "Product Description",
         "Key Product Features", "Key Product Features", "Sale Price", "Sale Start Date", "Sale End Date",
         "Currency"],
        ["feed_product_type", "item_sku", "brand_name", "item_name", "external_product_id",
         "external_product_id_type", "item_type", "standard_price", "quantity", "main_image_url",
         "parent_child", "parent_sku", "relationship_type", "variation_theme", "color_name", "size_name",
         "product_description", "bullet_point1", "bullet_point2", "sale_price", "sale_from_date",
         "sale_end_date", "currency"],
        ["shirt", "TS-PARENT", "Northwind", "Northwind Cotton T-Shirt", "", "", "casual-shirts", "", "",
         "https://img.example/p.jpg", "parent", "", "", "SizeColor", "", "", "A soft cotton t-shirt.",
         "100% combed cotton", "Machine washable at 40 degrees", "", "", "", ""],
        ["shirt", "TS-RED-M", "Northwind", "Northwind Cotton T-Shirt, Red, M", "012345678905", "UPC",
         "casual-shirts", "19.99", "12", "https://img.example/r.jpg", "child", "TS-PARENT", "Variation",
         "SizeColor", "Red", "M", "", "", "", "15.99", "2020-01-01", "2099-12-31", "USD"],
        ["shirt", "TS-BLUE-L", "Northwind", "Northwind Cotton T-Shirt, Blue, L", "012345678912", "UPC",
         "casual-shirts", "21.99", "0", "https://img.example/b.jpg", "child", "TS-PARENT", "Variation",
         "SizeColor", "Blue", "L", "", "", "", "", "", "", "USD"],
    ]
).encode()  # fmt: skip


def test_amazon_flat_file_finds_its_header_below_the_template_rows() -> None:
    assert detect_format(AMAZON, "Flat.File.Clothing.txt") == "csv"
    cat = parse_catalog(AMAZON, "Flat.File.Clothing.txt")
    assert cat.platform == "amazon"
    assert any("headers are on row 3" in w for w in cat.warnings)
    [shirt] = cat.products
    assert (shirt.name, shirt.sku, shirt.currency, shirt.stock) == (
        "Northwind Cotton T-Shirt",
        "TS-PARENT",
        "USD",
        12,
    )
    assert [
        (v["sku"], v["options"], v["price"], v["compare_at_price"]) for v in shirt.attributes["variants"]
    ] == [
        ("TS-RED-M", {"Color": "Red", "Size": "M"}, "15.99", "19.99"),
        ("TS-BLUE-L", {"Color": "Blue", "Size": "L"}, "21.99", None),
    ]
    assert shirt.price == Decimal("15.99") and shirt.description == "A soft cotton t-shirt."
    texts = [f.text for f in shirt.fields]
    assert "Brand name: Northwind" in texts and "Machine washable at 40 degrees" in " ".join(texts)
    assert "Color options: Red, Blue" in texts
    assert not any("casual-shirts" in t or "SizeColor" in t or "UPC" in t or "parent" in t for t in texts)


# -- Wix, Square, Etsy, BigCommerce, Squarespace ------------------------------------------------

WIX = b"""handleId,fieldType,name,description,productImageUrl,collection,sku,ribbon,price,surcharge,\
visible,\
discountMode,discountValue,inventory,weight,cost,productOptionName1,productOptionType1,\
productOptionDescription1,\
productOptionName2,productOptionType2,productOptionDescription2,additionalInfoTitle1,\
additionalInfoDescription1,\
customTextField1,customTextCharLimit1,customTextMandatory1,brand
product_1,Product,Linen Apron,<p>A washed linen apron.</p>,a1.jpg;a2.jpg,Kitchen,APR-1,New,30,,true,\
PERCENT,10,\
InStock,0.3,8,Color,COLOR,Natural;Charcoal,Size,DROP_DOWN,S/M;L/XL,Care,<p>Machine wash cold.</p>,\
Name to embroider,20,false,Loomwell
product_1,Variant,,,,,APR-1-NAT,,,,true,,,12,,,,,Natural,,,S/M,,,,,,
product_1,Variant,,,,,APR-1-CHA,,,5,true,,,OutOfStock,,,,,Charcoal,,,L/XL,,,,,,
product_2,Product,Tea Towel,Cotton tea towel.,t.jpg,Kitchen,TT-1,,12.5,,true,AMOUNT,2.5,20,0.1,3,,,,\
,,,,,,,,Loomwell
"""


def test_wix_variants_share_the_handle_and_add_their_surcharge() -> None:
    cat = parse_catalog(WIX, "catalog_products.csv")
    assert cat.platform == "wix"
    apron, towel = cat.products
    assert (apron.name, apron.sku, apron.price) == ("Linen Apron", "APR-1", Decimal("27.00"))
    assert [(v["sku"], v["options"], v["price"], v["stock"]) for v in apron.attributes["variants"]] == [
        ("APR-1-NAT", {"Color": "Natural", "Size": "S/M"}, "27", 12),
        ("APR-1-CHA", {"Color": "Charcoal", "Size": "L/XL"}, "32", 0),
    ]
    assert apron.stock == 12 and apron.category == "Kitchen"
    facts = fact_texts(apron)
    assert "Care: Machine wash cold." in facts and "Brand: Loomwell" in facts
    assert not any("DROP_DOWN" in t or "embroider" in t or "PERCENT" in t or "true" in t for t in facts)
    assert towel.price == Decimal("10.0") and "On sale: 10 instead of 12.5" in fact_texts(towel)


SQUARE = b"""Token,Item Name,Variation Name,Unit and Precision,SKU,Description,Category,SEO Title,\
Permalink,\
Square Online Item Visibility,Weight (lb),Shipping Enabled,Price,Online Sale Price,Archived,\
Sold Out Main Street,\
Stock Alert Enabled Main Street,Stock Alert Count Main Street,Option Name 1,Option Value 1,\
Enabled Main Street,\
Current Quantity Main Street,New Quantity Main Street,Tax - Sales Tax (8.5%)
VZ3XQ2,Cold Brew,Small,Per item,CB-S,Slow-steeped cold brew.,Drinks,,cold-brew,visible,,N,4.50,,N,N,\
N,,Size,Small,\
Y,40,,Y
XQ2AB7,Cold Brew,Large,Per item,CB-L,Slow-steeped cold brew.,Drinks,,cold-brew,visible,,N,6.00,,N,N,\
N,,Size,Large,\
Y,25,,Y
AB1CD2,Ceramic Cup,Regular,Per item,CUP-1,Handmade cup.,Merch,,cup,visible,0.8,Y,18.00,15.00,N,N,Y,\
2,,,Y,3,,Y
"""


def test_square_item_library_rows_with_one_item_name_are_one_item() -> None:
    cat = parse_catalog(SQUARE, "square.csv")
    assert cat.platform == "square"
    brew, cup = cat.products
    assert [(v["sku"], v["options"], v["price"], v["stock"]) for v in brew.attributes["variants"]] == [
        ("CB-S", {"Size": "Small"}, "4.5", 40),
        ("CB-L", {"Size": "Large"}, "6", 25),
    ]
    assert (brew.name, brew.price, brew.stock, brew.category) == ("Cold Brew", Decimal("4.50"), 65, "Drinks")
    assert (cup.price, cup.stock) == (Decimal("15.00"), 3) and "Weight (lb): 0.8" in fact_texts(cup)
    assert not any("Regular" in t or "Per item" in t or "visible" in t for t in fact_texts(cup))
    roles = {c["header"]: c["role"] for c in cat.columns}
    assert roles["New Quantity Main Street"] == roles["Stock Alert Count Main Street"] == "internal"


ETSY = b"""TITLE,DESCRIPTION,PRICE,CURRENCY_CODE,QUANTITY,TAGS,MATERIALS,IMAGE1,IMAGE2,VARIATION 1 TYPE,\
VARIATION 1 NAME,VARIATION 1 VALUES,VARIATION 2 TYPE,VARIATION 2 NAME,VARIATION 2 VALUES,SKU
Hand-thrown Mug,"Each mug is thrown on the wheel.",32.00,USD,8,"mug,ceramic,gift","stoneware,glaze",\
https://i.etsystatic.com/1.jpg,https://i.etsystatic.com/2.jpg,Primary color,,"White,Sage,Navy",\
Custom,Capacity,\
"8 oz,12 oz",MUG-01
Wool Scarf,Knitted merino scarf.,45.00,USD,3,scarf,merino wool,https://i.etsystatic.com/3.jpg,,,,,,,,SC-02
"""


def test_etsy_listings_keep_their_variation_choices() -> None:
    cat = parse_catalog(ETSY, "EtsyListingsDownload.csv")
    assert cat.platform == "etsy"
    mug, scarf = cat.products
    assert (mug.name, mug.sku, mug.price, mug.currency, mug.stock) == (
        "Hand-thrown Mug",
        "MUG-01",
        Decimal("32.00"),
        "USD",
        8,
    )
    facts = fact_texts(mug)
    assert "Primary color options: White, Sage, Navy" in facts and "Capacity options: 8 oz, 12 oz" in facts
    assert "Materials: stoneware, glaze" in facts and "Tags: mug, ceramic, gift" in facts
    assert not any("etsystatic" in t for t in facts) and scarf.price == Decimal("45.00")


BIGCOMMERCE = b"""Item Type,Product ID,Product Name,Product Type,Product Code/SKU,\
Bin Picking Number,Brand Name,\
Option Set,Option Set Align,Product Description,Price,Cost Price,Retail Price,Sale Price,\
Fixed Shipping Cost,\
Free Shipping,Product Warranty,Product Weight,Allow Purchases?,Product Visible?,Product Availability,\
Track Inventory,Current Stock Level,Low Stock Level,Category,Product Image ID - 1,Product Image File - 1,\
Product Image Is Thumbnail - 1,Search Keywords,Page Title,Product Condition,Show Product Condition?,\
Sort Order,Product Tax Class,Product UPC/EAN,Stop Processing Rules,Product URL,Redirect Old URL?,\
GPS Global Trade Item Number
Product,77,Canvas Sneaker,P,SNK,A-12,Stride,Sneaker options,Right,<p>Low-top canvas sneaker.</p>,\
49.95,20,59.95,,\
0,N,1 year warranty,1.2,Y,Y,Usually ships in 2 days,by option,6,2,Shoes/Sneakers,301,sneaker.jpg,Y,\
canvas shoes,\
Canvas Sneaker | Stride,New,N,0,Default Tax Class,0001234,N,/canvas-sneaker/,N,
  SKU,,"[RB]Size=40,[S]Color=White",,SNK-40-W,,,,,,[FIXED]49.95,,,,,,,,,,,,6,,,,,,,,,,,,,,,,
  SKU,,"[RB]Size=41,[S]Color=Black",,SNK-41-B,,,,,,,,,,,,,,,,,,0,,,,,,,,,,,,,,,,
  Rule,,[RB]Size=41,,,,,,,,[ADD]5.00,,,,,,,,,,,,,,,,,,,,,,,,,,,,
Product,78,Shoe Laces,P,LACE,,Stride,,,Cotton laces.,4.00,1,,3.50,0,N,,0.05,Y,Y,,none,,,Shoes/Accessories,\
302,laces.jpg,Y,,,New,N,0,Default Tax Class,,N,/laces/,N,
"""


def test_bigcommerce_sku_rows_belong_to_the_product_above() -> None:
    cat = parse_catalog(BIGCOMMERCE, "products-2025-06-01.csv")
    assert cat.platform == "bigcommerce"
    sneaker, laces = cat.products
    assert (sneaker.name, sneaker.sku, sneaker.price, sneaker.category) == (
        "Canvas Sneaker",
        "SNK",
        Decimal("49.95"),
        "Shoes/Sneakers",
    )
    assert [(v["sku"], v["options"], v["price"], v["stock"]) for v in sneaker.attributes["variants"]] == [
        ("SNK-40-W", {"Size": "40", "Color": "White"}, "49.95", 6),
        ("SNK-41-B", {"Size": "41", "Color": "Black"}, "54.95", 0),  # the Size=41 rule adds 5
    ]
    facts = fact_texts(sneaker)
    assert "Price rule: Size 41: +5" in facts and "Product Availability: Usually ships in 2 days" in facts
    assert "Brand Name: Stride" in facts and "Product Condition: New" in facts
    assert not any(
        w in " ".join(facts) for w in ("Sneaker options", "A-12", "canvas shoes", "0001234", "Tax")
    )
    assert any("rule/image rows" in w for w in cat.warnings)
    assert laces.price == Decimal("3.50") and "On sale: 3.5 instead of 4" in fact_texts(laces)


SQUARESPACE = b"""Product ID [Non Editable],Variant ID [Non Editable],Product Type [Non Editable],\
Product Page,\
Product URL,Title,Description,SKU,Option Name 1,Option Value 1,Option Name 2,Option Value 2,Price,\
Sale Price,\
On Sale,Stock,Categories,Tags,Weight,Visible,Hosted Image URLs
5f1a0c2e9b1d4a0012aa0001,v1,PHYSICAL,shop,/shop/p/linen-shirt,Linen Shirt,\
<p>Relaxed linen shirt.</p>,SQ-LS-S,\
Size,S,,,68.00,60.00,No,4,Shirts,linen,0.4,Yes,https://images.squarespace-cdn.com/a.jpg
5f1a0c2e9b1d4a0012aa0001,v2,,,,,,SQ-LS-M,Size,M,,,68.00,55.00,Yes,0,,,,,
5f2b0c2e9b1d4a0012bb0002,v3,DIGITAL,shop,/shop/p/pattern,Sewing Pattern,PDF pattern.,SQ-PAT,,,,,12.00,,No,\
Unlimited,Patterns,,,Yes,
"""


def test_squarespace_variant_rows_repeat_the_product_id() -> None:
    cat = parse_catalog(SQUARESPACE, "products.csv")
    assert cat.platform == "squarespace"
    shirt, pattern = cat.products
    variants = shirt.attributes["variants"]
    # v1's sale price does not count: its "On Sale" is No.
    assert [(v["sku"], v["options"], v["price"], v["stock"]) for v in variants] == [
        ("SQ-LS-S", {"Size": "S"}, "68", 4),
        ("SQ-LS-M", {"Size": "M"}, "55", 0),
    ]
    assert (shirt.name, shirt.price, shirt.stock, shirt.url) == (
        "Linen Shirt",
        Decimal("55"),
        4,
        "/shop/p/linen-shirt",
    )
    assert shirt.sku is None and shirt.external_key == "group:5f1a0c2e9b1d4a0012aa0001"
    assert (pattern.name, pattern.price) == ("Sewing Pattern", Decimal("12.00"))
    assert "Availability: in stock" in fact_texts(pattern)  # stock "Unlimited"
    assert not any("PHYSICAL" in t or t[-4:] == "shop" for t in fact_texts(shirt))


def test_opencart_workbook_reads_its_products_sheet() -> None:
    import io

    from openpyxl import Workbook

    wb = Workbook()
    products = wb.active
    products.title = "Products"
    products.append(
        ["product_id", "name(en-gb)", "categories", "sku", "upc", "ean", "jan", "isbn", "mpn", "location",
         "quantity", "model", "manufacturer", "image_name", "shipping", "price", "points", "date_added",
         "weight", "weight_unit", "status", "tax_class_id", "description(en-gb)", "meta_title(en-gb)",
         "tags(en-gb)", "sort_order", "subtract", "minimum"]
    )  # fmt: skip
    products.append(
        [42, "Apple Cinema 30&quot;", "25,28", "AC-30", "", "", "", "", "", "", 990, "Product 15", "Apple",
         "catalog/demo/apple_cinema_30.jpg", "yes", 100, 100, "2009-02-03 16:06:50", 12.5, "kg", "true", 9,
         "<p>The 30-inch Apple Cinema HD Display.</p>", "Apple Cinema", "display, apple", 0, "yes", 2]
    )  # fmt: skip
    specials = wb.create_sheet("Specials")
    specials.append(["product_id", "customer_group", "priority", "price", "date_start", "date_end"])
    specials.append([42, "Default", 1, 90, "2025-01-01", "2025-12-31"])
    buf = io.BytesIO()
    wb.save(buf)
    cat = parse_catalog(buf.getvalue(), "opencart-export.xlsx")
    assert cat.platform == "opencart"
    [cinema] = cat.products
    assert (cinema.name, cinema.sku, cinema.price, cinema.stock) == (
        'Apple Cinema 30"',
        "AC-30",
        Decimal("100"),
        990,
    )
    assert cinema.description == "The 30-inch Apple Cinema HD Display."
    facts = fact_texts(cinema)
    assert "Manufacturer: Apple" in facts and "Model: Product 15" in facts
    assert not any(w in " ".join(facts) for w in ("25,28", "Points", "Minimum", "Subtract", "Status"))
    assert any("read from 'Products'" in w and "'Specials'" in w for w in cat.warnings)
