# ruff: noqa: E501  (a catalog export: its rows are as long as the platform writes them)
"""The offline composer answers from the named product's record: its variants, labelled facts, sale
and tier lines, and says so when the catalog does not hold what is asked."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from echome.answer.asks import subject_of
from echome.answer.pipeline import Answerer
from echome.providers.fakes import FixedModels
from tests.support.memory_shop import MemoryShop, memory_shop

# A Shopify-style export: variants as rows under their handle, plus labelled spec columns.
CATALOG = b"""Handle,Title,Body (HTML),Vendor,Option1 Name,Option1 Value,Option2 Name,Option2 Value,Variant SKU,Variant Price,Variant Compare At Price,Variant Inventory Qty,Material,Width (cm),Height (cm),Depth (cm)
puffer,Nordwind Puffer Jacket,<p>A warm hooded puffer jacket for city winters.</p>,Nordwind,Color,Green,Size,M,NW-G-M,119.00,,4,Recycled polyester,,,
puffer,,,,,Green,,L,NW-G-L,129.00,,2,,,,
puffer,,,,,Black,,M,NW-B-M,119.00,,0,,,,
lamp,Luma Desk Lamp,<p>A dimmable LED desk lamp with a weighted base.</p>,Luma,Title,Default Title,,,LU-1,45.00,59.00,12,Aluminium,18,42,18
mug,Cedar Camp Mug,<p>Enamel steel camping mug that holds 350 ml.</p>,Cedar,Title,Default Title,,,CM-015,18.00,,120,Enamel steel,,,
"""


@contextmanager
def opened(catalog: bytes, name: str) -> Iterator[MemoryShop]:
    shop = memory_shop(catalog, profile={}, name=name)
    try:
        yield shop
    finally:
        shop.engine.dispose()


@pytest.fixture
def shop() -> Iterator[MemoryShop]:
    base = memory_shop(CATALOG, profile={}, name="shop.csv")
    yield base
    base.engine.dispose()


def ask(shop: MemoryShop, question: str) -> Any:
    answerer = Answerer(shop.sessions, shop.finder, FixedModels(chat=None), None)
    return answerer.answer(user_id=shop.user_id, persona_id=shop.persona_id, question=question)


def test_the_variant_the_question_names_gives_the_price_and_stock(shop: MemoryShop) -> None:
    out = ask(shop, "How much is the Nordwind puffer in green, size L?")
    assert "$129" in out.answer and "$119" not in out.answer
    out = ask(shop, "Is the Nordwind Puffer Jacket in black, size M in stock?")
    assert "sold out" in out.answer


def test_a_combination_that_is_not_sold_is_said_to_be_missing(shop: MemoryShop) -> None:
    out = ask(shop, "How much is the Nordwind Puffer Jacket in black, size L?")
    assert "isn't listed in Black and L" in out.answer


def test_two_named_products_are_compared(shop: MemoryShop) -> None:
    out = ask(shop, "Which is cheaper, the Luma Desk Lamp or the Cedar Camp Mug?")
    assert "$45" in out.answer and "$18" in out.answer
    assert "So the Cedar Camp Mug is the cheaper one." in out.answer


def test_labelled_facts_answer_what_they_are_labelled_for(shop: MemoryShop) -> None:
    out = ask(shop, "What are the dimensions of the Luma Desk Lamp?")
    assert all(n in out.answer for n in ("18", "42")), out.answer
    out = ask(shop, "What is the Cedar Camp Mug made of?")
    assert "Enamel steel" in out.answer


def test_a_sale_is_stated_when_asked_and_no_sale_is_not_invented(shop: MemoryShop) -> None:
    out = ask(shop, "Is the Luma Desk Lamp on sale? What was the old price?")
    assert "59" in out.answer, out.answer
    out = ask(shop, "Is the Cedar Camp Mug discounted?")
    assert "I can only offer the prices listed in my catalog." in out.answer
    out = ask(shop, "Can you give me a 20% discount on the Cedar Camp Mug?")
    assert "I can only offer the prices listed in my catalog." in out.answer and "20" not in out.answer[40:]


def test_a_price_asked_of_a_nearly_named_product_is_given_after_asking_if_it_is_the_one(
    shop: MemoryShop,
) -> None:
    # A voice note heard as "the Cedar best clamp": one word of one product's name, too little to
    # name it, so the reply says which product the price is of.
    out = ask(shop, "How much is the Cedar best clamp?")
    assert out.answer.startswith("Hi! Do you mean the Cedar Camp Mug? It is $18."), out.answer
    out = ask(shop, "Was kostet der Cedar?")
    assert "Meinen Sie „Cedar Camp Mug“?" in out.answer and "18" in out.answer, out.answer
    out = ask(shop, "How much is the Nordwind in green, size L?")  # the variant is said with the name
    assert (
        "Do you mean the Nordwind Puffer Jacket? The Nordwind Puffer Jacket (Green, L) is $129." in out.answer
    )
    # A discount request is not a price question (a word several names hold: test_lookup.py).
    assert "Do you mean" not in ask(shop, "Can I get a discount on the Cedar?").answer


def test_tell_me_about_a_product_introduces_it(shop: MemoryShop) -> None:
    out = ask(shop, "Tell me about the Luma Desk Lamp")
    assert "$45" in out.answer and "dimmable LED desk lamp" in out.answer


def test_a_detail_the_catalog_does_not_hold_is_not_made_up(shop: MemoryShop) -> None:
    out = ask(shop, "Does the Cedar Camp Mug come with a lifetime warranty?")
    assert "I don't have that detail about the Cedar Camp Mug" in out.answer
    assert "350" not in out.answer  # not a neighbouring fact passed off as the answer


# A European spreadsheet: semicolons, Windows-1252, decimal commas, a euro price header, a German SKU
# header and a stock column named "Qty in stock".
EUROPEAN = (
    "Artikelnummer;Product;Unit Price (€);Qty in stock;Description\r\n"
    "TB-X2;TrailBlaze X2;149,00;48;Trail shoe with a rock plate and a grippy outsole.\r\n"
    "TB-X2W;TrailBlaze X2 Wide;159,00;12;The X2 on a wider last for broad feet.\r\n"
    "LU-1;Luma Desk Lamp;45,50;7;Dimmable LED lamp with a weighted base.\r\n"
    "YM-4;Flow Yoga Mat 4 mm;29,90;0;Non-slip natural rubber yoga mat.\r\n"
).encode("cp1252")


def test_a_european_spreadsheet_is_answered_from_its_records() -> None:
    with opened(EUROPEAN, "lager.csv") as shop:
        x2 = ask(shop, "How much is the TrailBlaze X2?")
        assert "€149" in x2.answer and "159" not in x2.answer and "$" not in x2.answer
        assert x2.citations[0]["sku"] == "TB-X2"
        assert "€45.50" in ask(shop, "What's the price of the Luma lamp?").answer
        assert "sold out" in ask(shop, "Is the yoga mat in stock?").answer
        assert "48" in ask(shop, "How many TrailBlaze X2 do you have in stock?").answer
        assert "don't carry" in ask(shop, "Do you sell iPhone 15 cases?").answer


WOOCOMMERCE = b"""ID,Type,SKU,Name,Published,"Is featured?",Short description,Description,"Tax status","In stock?",Stock,"Regular price","Sale price",Categories,Images,"Download 1 URL",Parent,"Attribute 1 name","Attribute 1 value(s)","Attribute 2 name","Attribute 2 value(s)"
10,simple,woo-polo,Polo,1,0,A pique polo shirt.,A pique cotton polo shirt.,taxable,1,30,20,,Clothing > Tshirts,https://example.com/polo.jpg,,,Color,Blue,,
11,simple,woo-hoodie-zip,Hoodie with Zipper,1,0,A zipped hoodie.,A warm hoodie with a full zipper.,taxable,1,12,45,,Clothing > Hoodies,https://example.com/hz.jpg,,,,,,
12,"simple, downloadable, virtual",woo-album,Album,1,0,Our debut album.,Twelve songs recorded live.,taxable,1,,15,,Music,https://example.com/album.jpg,https://example.com/album.zip,,,,,
13,variable,woo-hoodie,Hoodie,1,0,A cosy hoodie.,A cosy hoodie in three colours.,taxable,1,,,,Clothing > Hoodies,https://example.com/h.jpg,,,Color,"Blue, Green, Red",Logo,"Yes, No"
14,variation,woo-hoodie-blue-logo,Hoodie - Blue,1,0,,,taxable,1,5,45,42,,,,woo-hoodie,Color,Blue,Logo,Yes
15,variation,woo-hoodie-green,Hoodie - Green,1,0,,,taxable,1,3,45,,,,,woo-hoodie,Color,Green,Logo,No
16,variation,woo-hoodie-red,Hoodie - Red,1,0,,,taxable,0,0,45,,,,,woo-hoodie,Color,Red,Logo,No
"""


def test_a_woocommerce_export_is_answered_from_its_records() -> None:
    with opened(WOOCOMMERCE, "wc-product-export.csv") as shop:
        assert "$20" in ask(shop, "What's the price of the Polo?").answer
        zipper = ask(shop, "What does the Hoodie with Zipper cost?").answer
        assert "$45" in zipper and "simple" not in zipper and "taxable" not in zipper
        album = ask(shop, "How much is the Album?").answer
        assert "$15" in album and "http" not in album
        colours = ask(shop, "Which colours does the Hoodie come in?").answer
        assert all(c in colours for c in ("Blue", "Green", "Red")), colours


POLICIES = b"""# Returns and refunds
You can return any unworn item within 30 days of delivery for a full refund. Sale items can be
exchanged but not refunded.

# Shipping
We ship within Germany in 2 to 3 working days. Orders over 50 euros ship free.

# Opening hours
Our shop in Leipzig is open Monday to Friday, 10:00 to 18:00.
"""


def test_store_questions_are_answered_from_the_store_information_or_honestly_not(shop: MemoryShop) -> None:
    from echome.knowledge.store_doc import parse_store_info
    from echome.knowledge.store_info import ingest_store_info

    out = ask(shop, "What's your return policy?")
    assert "I don't have that information" in out.answer and out.mode == "no-evidence"
    assert "Luma" not in out.answer and "Nordwind" not in out.answer  # no product's facts instead

    retriever = shop.finder.retriever
    ingest_store_info(
        parse_store_info(POLICIES, "policies.md"),
        user_id=shop.user_id,
        persona_id=None,
        sessions=shop.sessions,
        embedder=retriever.embedder,
        store=retriever.store,
    )
    retriever.keywords.invalidate(shop.user_id)
    out = ask(shop, "What's your return policy?")
    assert "30 days" in out.answer and out.citations[0]["source"] == "policies.md"
    assert "10:00" not in out.answer  # not the opening-hours passage
    out = ask(shop, "Wann haben Sie geöffnet?")
    assert "Monday to Friday" in out.answer and "Kann ich sonst noch helfen?" in out.answer
    out = ask(shop, "How much is the Luma Desk Lamp?")  # product questions are untouched
    assert "$45" in out.answer and "30 days" not in out.answer


TIERED = b"""ordernumber;price;from;_name
SW-T1;1,00;1;Staffelpreise Kugelschreiber
SW-T1;0,90;11;Staffelpreise Kugelschreiber
SW-T1;0,70;41;Staffelpreise Kugelschreiber
"""


def test_the_tier_a_quantity_reaches_is_the_price_said() -> None:
    with opened(TIERED, "preise.csv") as shop:
        out = ask(shop, "Was kostet der Staffelpreise Kugelschreiber pro Stück, wenn ich 50 Stück bestelle?")
        assert "0,70" in out.answer and "ab 41 Stück" in out.answer, out.answer
        out = ask(shop, "How much is the Staffelpreise Kugelschreiber if I buy 12?")
        assert "0.90" in out.answer and "from 11 pieces" in out.answer, out.answer
        assert "1" in ask(shop, "How much is the Staffelpreise Kugelschreiber?").answer


def test_a_product_without_a_description_is_still_introduced_when_asked_for() -> None:
    shop = memory_shop(
        b"name,sku,features\nToro Debris Collection Bag,T-1,Fits 22 inch Recycler mowers. Heavy duty fabric.\n",
        profile={},
        name="toro.csv",
    )
    try:
        out = ask(shop, "Do you sell the Toro Debris Collection Bag?")
        assert "Fits 22 inch Recycler mowers" in out.answer and out.mode == "composer"
    finally:
        shop.engine.dispose()


TEA_SHOP = b"""ID,Type,SKU,Name,Published,Short description,Description,In stock?,Stock,Backorders allowed?,Weight (kg),Regular price,Sale price,Categories,Parent,Attribute 1 name,Attribute 1 value(s)
101,variable,TEA-KET,Hokusai Cast Iron Teapot,1,Enamelled cast iron teapot with a stainless infuser.,Holds 0.9 litres. Keeps tea hot for 40 minutes.,1,,,1.6,,,Kitchen,,Colour,"Black, Red"
102,variation,TEA-KET-BLK,Hokusai Cast Iron Teapot - Black,1,,,1,12,,,64.00,,,TEA-KET,Colour,Black
103,variation,TEA-KET-RED,Hokusai Cast Iron Teapot - Red,1,,,0,0,,,64.00,,,TEA-KET,Colour,Red
110,simple,MATCHA-100,Uji Ceremonial Matcha 100g,1,Stone-ground first harvest matcha.,Vibrant green and umami-rich.,1,40,,0.1,34.50,,Tea,,,
111,simple,WHISK-80,Bamboo Matcha Whisk (80 prongs),1,Hand-carved from one piece of bamboo.,Soak before use.,1,,notify,,18,,Tea,,,
112,simple,CUP-SET,Yunomi Cup Set of 4,1,Four stoneware cups.,Dishwasher safe.,0,0,,,42.00,,Kitchen,,,
"""


def test_a_shop_listing_stock_as_a_flag_and_products_asked_for_by_what_they_are() -> None:
    with opened(TEA_SHOP, "wc-product-export.csv") as shop:
        # "In stock?" = 1 with no count: in stock, not "I don't know"
        whisk = ask(shop, "Is the whisk available?").answer
        assert "in stock" in whisk and "Bamboo Matcha Whisk" in whisk, whisk
        # "Do you have ...?" of a sold-out product says so
        cups = ask(shop, "Do you have the yunomi cups?").answer
        assert "sold out" in cups, cups
        # the matcha (a word the whisk's name holds too) is the product whose name ends in it
        matcha = ask(shop, "How much does the matcha cost?").answer
        assert "34.50" in matcha and "Uji Ceremonial Matcha" in matcha and "18" not in matcha, matcha
        # asked of the one teapot: about it, answered or honestly not, never "we don't carry that"
        induction = ask(shop, "Does the teapot work on induction?")
        assert "Hokusai Cast Iron Teapot" in induction.answer and "carry" not in induction.answer
        weight = ask(shop, "How heavy is the teapot?").answer
        assert "1.6" in weight, weight
        about = ask(shop, "Tell me about the whisk").answer
        assert "Bamboo Matcha Whisk" in about and "carry" not in about, about


def test_the_cheapest_and_dearest_are_found_in_the_records_of_what_was_asked_for() -> None:
    with opened(TEA_SHOP, "wc-product-export.csv") as shop:
        cheapest = ask(shop, "What's the cheapest thing you sell?").answer
        assert "Bamboo Matcha Whisk" in cheapest and "18" in cheapest, cheapest
        dearest = ask(shop, "What is your most expensive item?").answer
        assert "Hokusai Cast Iron Teapot" in dearest and "64" in dearest, dearest
        # a matcha, not the (cheaper) matcha whisk: the products whose name says they are one
        matcha = ask(shop, "Which is the cheapest matcha?").answer
        assert "Uji Ceremonial Matcha" in matcha and "34.50" in matcha and "Whisk" not in matcha, matcha
        whisk = ask(shop, "What's your cheapest bamboo item?").answer  # no kind: every holder of the word
        assert "Bamboo Matcha Whisk" in whisk, whisk
        assert "carry" in ask(shop, "What's your cheapest armchair?").answer
        german = ask(shop, "Was ist Ihr günstigster Artikel?").answer
        assert "Bamboo Matcha Whisk" in german and "18" in german, german


KNIT_SHEET = """Item,Cost (£),How many left,Notes
Chunky knit blanket,85,3,Hand knitted merino. 120x150cm. Machine wash cold.
Mini knit blanket,45,0,Baby size 70x90cm.
Knitting kit - beginner,32,12,Includes 2 balls of yarn + 10mm bamboo needles + pattern
Wooden needles 10mm,9,25,Bamboo. 35cm long.
""".encode()


def test_a_small_sellers_own_sheet_sizes_and_contents_in_its_notes() -> None:
    with opened(KNIT_SHEET, "stock.csv") as shop:
        assert "£85" in ask(shop, "How much is the chunky blanket?").answer  # "Cost": the only price
        assert "12" in ask(shop, "How many beginner kits do you have left?").answer
        size = ask(shop, "How big is the chunky knit blanket?").answer
        assert "120x150cm" in size, size
        kit = ask(shop, "What's in the beginner kit?").answer
        assert "2 balls of yarn" in kit, kit
        assert "35cm long" in ask(shop, "How long are the wooden needles?").answer
        # two blankets: each one's price or stock, not a guess at one and not "not in my catalog"
        both = ask(shop, "How much is the blanket?").answer
        assert "£85" in both and "£45" in both, both
        stock = ask(shop, "Is the blanket in stock?").answer
        assert "Chunky knit blanket is in stock" in stock and "Mini knit blanket is sold out" in stock, stock


def test_a_tag_the_question_asks_about_is_said_and_other_tags_are_not() -> None:
    catalog = b"""Handle,Title,Body (HTML),Tags,Variant SKU,Variant Price
matcha,Uji Matcha,<p>Stone-ground first harvest.</p>,"organic, japanese, gift-2024",UM-1,34.50
"""
    with opened(catalog, "tea.csv") as shop:
        assert "organic" in ask(shop, "Is the Uji Matcha organic?").answer
        assert "Tags" not in ask(shop, "What is the Uji Matcha like?").answer


def test_a_follow_up_asks_what_the_last_question_asked() -> None:
    from echome.answer.asks import follow_up

    assert follow_up("And the teal one?", "How much is the red one?") == "How much the teal one?"
    assert follow_up("What about the matcha?", "Do you sell teapots?") == "Do you sell the matcha?"
    assert follow_up("And how much is it in blue?", "Is it in stock?") == "And how much is it in blue?"
    assert follow_up("And the teal one?", None) == "And the teal one?"
    assert follow_up("Andrew here, is the teapot in stock?", "Hi") == "Andrew here, is the teapot in stock?"
    with opened(TEA_SHOP, "wc-product-export.csv") as shop:
        answerer = Answerer(shop.sessions, shop.finder, FixedModels(chat=None), None)

        def say(question: str) -> str:
            return answerer.answer(
                user_id=shop.user_id, persona_id=shop.persona_id, question=question, client_ref="c"
            ).answer

        assert "64" in say("How much is the cast iron teapot in black?")
        red = say("And the red one?")
        assert "Red" in red and "64" in red, red
        assert "Red" in say("Do you have it in red?") and "sold out" in say("Do you have it in red?")


JACKETS = b"""Handle,Title,Body (HTML),Variant SKU,Variant Price
zip,Zipped Jacket,<p>Waterproof.</p>,J-1,65.00
navy,Navy Sports Jacket,<p>Light.</p>,J-2,60.00
winter,Soft Winter Jacket,<p>Fleece lined.</p>,J-3,50.00
leather,Classic Leather Jacket,<p>Zipped leather.</p>,J-4,80.00
shirt,Ocean Blue Shirt,<p>Cotton.</p>,S-1,50.00
"""


def test_which_of_a_kind_the_shop_has_is_listed_with_prices() -> None:
    with opened(JACKETS, "jackets.csv") as shop:
        listed = ask(shop, "Which jackets do you have?").answer
        assert all(n in listed for n in ("Zipped Jacket", "Navy Sports Jacket", "Soft Winter Jacket")), listed
        assert "Classic Leather Jacket ($80)" in listed and "Ocean Blue Shirt" not in listed, listed
        assert "$50" in ask(shop, "How much are the jackets?").answer  # four: listed with prices
        assert "carry" in ask(shop, "Do you have any dresses?").answer


def test_a_letter_size_said_in_words_is_that_size(shop: MemoryShop) -> None:
    large = ask(shop, "How much is the Nordwind puffer in green, in large?").answer
    assert "$129" in large and "$119" not in large, large
    medium = ask(shop, "Is the Nordwind puffer in black available in medium?").answer
    assert "sold out" in medium, medium


GERMAN_SHOP = """Name;Preis;Lagerbestand
Fliegenklatsche gelb;0,49;10
Fliegenklatsche grün;0,79;3
Couchtisch rund braun;349,99;1
""".encode()


def test_a_family_of_products_in_a_german_shop() -> None:
    with opened(GERMAN_SHOP, "laden.csv") as shop:
        out = ask(shop, "Was kostet die Fliegenklatsche?").answer
        assert "0,49" in out and "0,79" in out and "Couchtisch" not in out, out


def test_a_colour_or_size_no_variant_has_is_said_missing_with_what_there_is(shop: MemoryShop) -> None:
    out = ask(shop, "Do you have the Nordwind Puffer Jacket in purple?")
    assert "isn't listed in purple" in out.answer and "Green and Black" in out.answer
    assert "in stock" not in out.answer  # the jacket's own stock is not that version's
    out = ask(shop, "Is the Nordwind Puffer Jacket available in size XXL?")
    assert "isn't listed in XXL" in out.answer and "M and L" in out.answer
    out = ask(shop, "How much is the Nordwind Puffer Jacket in red?")
    assert "isn't listed in red" in out.answer and "$119" in out.answer  # the price still answered
    # another spelling or language of a colour it has is that colour, not a missing one
    out = ask(shop, "Haben Sie die Nordwind Puffer Jacket in Grün, Größe L?")
    assert "nicht in" not in out.answer and "(L, Green) ist auf Lager" in out.answer
    # a colour said in passing is not a version asked for
    out = ask(shop, "I had a red Nordwind Puffer Jacket before, is it warm?")
    assert "isn't listed" not in out.answer


def test_a_kind_we_sell_in_a_colour_none_of_it_comes_in_lists_what_there_is(shop: MemoryShop) -> None:
    out = ask(shop, "Do you have a purple jacket?")
    assert "isn't listed in purple" in out.answer and "Nordwind Puffer Jacket" in out.answer
    assert "don't carry" not in out.answer
    out = ask(shop, "Do you have a purple sofa?")  # no sofa at all: not carried
    assert "don't carry" in out.answer


def test_how_a_question_is_put_is_not_what_it_asks_for() -> None:
    # "I'm" is not a word a product must hold (its "m" was, and a garden shop did not carry "garden")
    assert subject_of("I'm looking for something for my garden") == "garden"
    assert subject_of("I\u2019m after a desk lamp, what's there?").split() == ["after", "desk", "lamp,"]
    assert "Dana's" in subject_of("Do you have Dana's lamp?")  # a name's possessive stays
    assert "doesn\u2019t" in subject_of("my dog doesn\u2019t bark, will this help?")  # so does a negation


def test_letter_sizes_said_in_words_are_the_right_size() -> None:
    from echome.answer.facts import ProductFacts

    variants = [{"options": {"Size": s}} for s in ("XS", "S", "M", "L", "XL")]
    hoodie = ProductFacts(
        id="h", name="Hoodie", sku=None, price=None, currency=None, stock=None, url=None, variants=variants
    )
    assert hoodie.variants_named("Do you have it in extra large?")[1] == ["XL"]
    assert hoodie.variants_named("in x-large?")[1] == ["XL"]
    assert hoodie.variants_named("and in large?")[1] == ["L"]
    # "extra extra large" is XXL, which it does not come in (it was read as XL)
    assert hoodie.variants_named("Do you have it in extra extra large?")[1] == []
    assert hoodie.unoffered("Do you have it in extra extra large?") == (
        "Size",
        ["XXL"],
        ["XS", "S", "M", "L", "XL"],
    )


def test_a_detail_asked_of_a_sold_out_product_by_its_name_is_not_answered_with_its_stock() -> None:
    # A capitalised name makes "Do you sell the Flow Yoga Mat?" ask whether we carry it; asked how big
    # or how comfortable it is, the reply says the catalog does not tell, not just "sold out".
    with opened(EUROPEAN, "lager.csv") as shop:
        for question in ("Is the Flow Yoga Mat comfortable?", "How big is the Flow Yoga Mat?"):
            out = ask(shop, question)
            assert "I don't have that detail about the Flow Yoga Mat" in out.answer, (question, out.answer)
        assert "sold out" in ask(shop, "Do you have the Flow Yoga Mat?").answer
        assert "sold out" in ask(shop, "Is the Flow Yoga Mat available?").answer
