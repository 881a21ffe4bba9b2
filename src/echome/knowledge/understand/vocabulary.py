"""The header vocabulary: which role a catalog column plays, from its header.

Headers are normalised first (`normalize`): accents folded ("Größe" → "grosse"), camelCase split,
a leading "g:" (Google feeds) or "_" (Shopware 5) dropped, a trailing "*" (PrestaShop's required
mark) dropped, bracketed instructions removed ("Categories (x,y,z...)", "Discount from
(yyyy-mm-dd)", "Active (0/1)"), and a currency named in the header taken out as the column's
currency ("Unit Price (€)", "price_eur", "Preis in CHF"). What is left is looked up in VOCABULARY.

Roles and what they mean:

=================  =====================================================================
name               the product's name or title
sku                the seller's article number / reference / model code
description        long text; short_description: the summary
price              the regular (list) price; sale_price: a reduced price (see sale_start /
                   sale_end: the sale counts only inside that window); compare_at: an old,
                   crossed-out price; discount_amount / discount_percent: a reduction of the
                   price; min_qty: the quantity a (tier) price starts at; customer_group: whose
                   price the row is
currency           ISO code of the prices
stock              a quantity on hand (a number, or a packed "warehouse=qty" cell)
availability       in stock yes/no, 1/0 or words ("auf Lager", "out of stock")
category, brand    category path; manufacturer / supplier / vendor
condition          new / used / refurbished
tax_rate           VAT / sales-tax rate in percent
parent             a variant's parent key (parent SKU or id); variant_name: the variant's own
                   label (Shopware 5 `_additionaltext`)
options            variant options: packed ("size=M,color=Red"), "Attribute 1 name/value(s)"
                   pairs, or a list of variants ("sku=X,size=M|sku=Y,size=L")
url, image         links (kept in attributes, never stated as facts)
group              rows with the same value are variants of one product (Google
                   `item_group_id`, Wix `handleId`)
price_delta        a variant's price relative to its product's ("surcharge", "Impact on price")
discount_mode      whether a "discount value" is a percent or an amount
internal           ids, flags (published / visible / active), tax classes, product types,
                   attribute sets, positions, SEO fields, timestamps: kept out of facts; a
                   "Cost" column (what the seller paid) is the price only in a sheet that has
                   no price column (`rows.COST_HEADERS`)
=================  =====================================================================

Besides the roles, a column may be:

- a row kind (`KIND_HEADERS`: BigCommerce "Item Type" Product/SKU/Rule, Wix "fieldType"
  Product/Variant, Amazon "parent_child", WooCommerce "Type"): a variant row without a parent key
  belongs to the product row above it; rule/image rows are no products;
- one half of a numbered pair (`PAIR_STEMS`): "Attribute 1 name" + "Attribute 1 value(s)" is an
  option, "additionalInfoTitle1" + "additionalInfoDescription1" a labelled fact;
- a single option (`OPTION_WORDS`: "color", "size_name", "g:size"): a variant's option when the
  row is a variant, a labelled fact otherwise.

Languages: English, German, French, Spanish, Italian, Dutch, Portuguese. Platforms whose export
columns are listed: Shopify, WooCommerce, Magento 2, PrestaShop, Shopware 5 and 6, Bagisto,
Google Merchant Center, Amazon flat files, BigCommerce, Etsy, Squarespace, Wix, Ecwid, Square,
OpenCart. A column in none of them is kept as a labelled fact ("Material: Wool").
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from echome.knowledge.understand.lexicon import (
    OPTION_WORDS,
    PAIR_PARTS,
    PAIR_STEMS,
    VOCABULARY,
)

_CURRENCY_CODES = {
    "usd", "eur", "gbp", "chf", "cad", "aud", "nzd", "jpy", "cny", "inr", "sek", "nok", "dkk", "pln",
    "czk", "huf", "brl", "mxn", "zar", "try", "rub", "sgd", "hkd",
}  # fmt: skip
_CURRENCY_SYMBOLS = {"€": "EUR", "$": "USD", "£": "GBP", "¥": "JPY", "₹": "INR", "zł": "PLN", "r$": "BRL"}
_BRACKET = re.compile(r"\(([^)]*)\)|\[([^\]]*)\]")
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


@dataclass
class Header:
    raw: str
    norm: str
    currency: str | None = None
    instruction: str | None = None  # the bracketed text of "Active (0/1)", "Discount from (yyyy-mm-dd)"


def fold(text: str) -> str:
    text = text.replace("ß", "ss").replace("ẞ", "SS")
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def key(text: str) -> str:
    """Lowercase, accents folded, punctuation as spaces, a number apart from the word before it
    ("IMAGE1" → "image 1", "bullet_point1" → "bullet point 1")."""
    text = re.sub(r"[^a-z0-9]+", " ", fold(text).lower().replace("#", " "))
    return re.sub(r"(?<=[a-z])(?=\d)", " ", text).strip()


def normalize(header: str) -> Header:
    """'Unit Price (€)' → norm 'unit price', currency EUR; 'Name *' → 'name'; 'g:price' → 'price'."""
    raw = header.strip()
    text = raw
    currency = None
    for sym, code in _CURRENCY_SYMBOLS.items():
        if sym in text.lower():
            currency = code
            text = re.sub(re.escape(sym), " ", text, flags=re.I)
    instruction = None
    m = _BRACKET.search(text)
    if m:
        instruction = (m.group(1) or m.group(2) or "").strip()
        text = _BRACKET.sub(" ", text)
    text = re.sub(r"^\s*g:", "", text)
    text = _CAMEL.sub(" ", text)
    words = key(text).split()
    if len(words) > 1 and words[-1] in _CURRENCY_CODES:
        currency, words = words[-1].upper(), words[:-1]
    elif len(words) > 2 and words[-2] == "in" and words[-1] in _CURRENCY_CODES:
        currency, words = words[-1].upper(), words[:-2]
    if instruction and instruction.lower() in _CURRENCY_CODES:
        currency = instruction.upper()
    return Header(raw=raw, norm=" ".join(words), currency=currency, instruction=instruction)


_LOOKUP: dict[str, tuple[str, int]] = {}
for _role, _names in VOCABULARY.items():
    for _rank, _n in enumerate(_names):
        _LOOKUP.setdefault(key(_n), (_role, _rank))

_PREFIXES = ("product ", "item ", "variant ", "article ", "artikel ", "produkt ", "produit ", "producto ",
             "prodotto ", "articolo ", "artigo ", "produto ", "default ")  # fmt: skip
# Words that, anywhere in a header, make it internal (settings, ids, SEO), checked before the
# keyword rules below.
_INTERNAL_WORDS = re.compile(
    r"\b(id|ids|uuid|guid|meta|seo|created|updated|modified|timestamp|position|sort|visibility|"
    r"visible|published|enabled|active|status|template|layout|config|backorders?|notify|increments|"
    r"decimal|tax class|tax rules?|tax id|attribute set|website|store view|mime|file size|media type|"
    r"min|max|minimal|purchase steps|locale|slug|hash|download|custom text|custom label|gps|alert|"
    r"new quantity)\b"
)
# fmt: off
_KEYWORD_ROLES: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "image",
        re.compile(r"\b(image|images|img|photo|picture|thumbnail|bild|imagen|immagine|afbeelding|imagem)\b"),
    ),
    ("url", re.compile(r"\b(url|link|href|permalink)\b")),
    (
        "sale_price",
        re.compile(r"\b(sale|special|promo|offer|angebot|sonder|aktion|solde|oferta|offerta)\b.*\bpri"),
    ),
    ("compare_at", re.compile(r"\b(compare|old|was|msrp|rrp|uvp|streich)\b.*\bpri|\bpseudo")),
    ("price", re.compile(r"\b(price|preis|prix|precio|prezzo|prijs|preco)\b")),
    (
        "stock",
        re.compile(
            r"\b(qty|quantity|stock|inventory|bestand|lagerbestand|quantite|cantidad|"
            r"existencias|quantita|giacenza|voorraad|estoque|quantidade)\b"
        ),
    ),
    ("brand", re.compile(r"\b(brand|manufacturer|vendor|supplier|marke|hersteller|marque|marca|merk)\b")),
    ("category", re.compile(r"\b(category|categories|kategorie|categorie|categoria)\b")),
    (
        "description",
        re.compile(r"\b(description|beschreibung|descripcion|descrizione|omschrijving|descricao)\b"),
    ),
    ("name", re.compile(r"\b(name|title|titel|titre|titulo|titolo|nom|nombre|nome|naam)\b")),
)
# fmt: on


@dataclass
class Column:
    index: int
    header: str
    norm: str
    role: str  # a VOCABULARY role, or "fact" (kept as "Header: value")
    note: str = ""
    currency: str | None = None
    rank: int = 999
    label: str = ""  # how the column is named in a fact
    # One half of a numbered pair: ("option" | "fact", number, "key" | "key_fallback" | "value").
    pair: tuple[str, str, str] | None = None
    option: str = ""  # a single variant option column ("color_name" → "Color")
    kind: bool = False  # the row-kind column (product / variant / rule rows)

    def as_dict(self) -> dict[str, str]:
        return {"header": self.header, "role": self.role, "note": self.note}


_UNIT = re.compile(r"^(?:[a-z]{1,3}\.?|lbs|inch|inches|cm|mm|kg|oz|ml|cl|%)$", re.I)


def label_of(h: Header) -> str:
    """'_additionaltext' → 'Additionaltext', 'country_of_manufacture' → 'Country of manufacture',
    'Weight (lbs)' → 'Weight (lbs)' (a unit in brackets is kept; instructions are not)."""
    unit = h.instruction if h.instruction and _UNIT.match(h.instruction) and not h.currency else ""
    text = re.sub(r"[_]+", " ", _BRACKET.sub(" ", h.raw)).strip(" *:_-")
    text = re.sub(r"^g:", "", text)
    text = re.sub(r"\s+", " ", re.sub(r"(?<=[a-z])(?=\d)", " ", text)).strip()
    if text.isupper() and len(text) > 3:
        text = text.capitalize()  # Etsy: "MATERIALS" → "Materials"
    if unit and text:
        text = f"{text} ({unit})"
    return (text[:1].upper() + text[1:]) if text else h.raw


_STEMS = "|".join(sorted(map(re.escape, PAIR_STEMS), key=len, reverse=True))
_PARTS = "|".join(sorted(map(re.escape, PAIR_PARTS), key=len, reverse=True))
_PAIR_NUM_FIRST = re.compile(rf"({_STEMS}) (\d+) ({_PARTS})")
_PAIR_PART_FIRST = re.compile(rf"({_STEMS}) ({_PARTS}) (\d+)")


def _pair(col: Column) -> bool:
    """'Attribute 1 name', 'Option Value 1', 'productOptionDescription1', 'VARIATION 1 VALUES'."""
    m = _PAIR_NUM_FIRST.fullmatch(col.norm)
    stem, num, part = (m.group(1), m.group(2), m.group(3)) if m else ("", "", "")
    if not m and (m := _PAIR_PART_FIRST.fullmatch(col.norm)):
        stem, part, num = m.group(1), m.group(2), m.group(3)
    if not m:
        return False
    what, half = PAIR_STEMS[stem], PAIR_PARTS[part]
    if half == "ignore":
        col.role, col.note = "internal", f"{stem} {num} {part}"
        return True
    col.pair = (what, num, half)
    col.role = "options" if what == "option" else "fact"
    col.note = f"{what} {num} {'name' if half.startswith('key') else 'value'}"
    return True


def _option(col: Column) -> bool:
    """A single option column: 'Color', 'size_name', 'g:size', 'Farbe'."""
    base = re.sub(r" (name|value|values)$", "", col.norm)
    if base not in OPTION_WORDS:
        return False
    col.option = re.sub(r"(?i)[\s_]+(name|value|values)$", "", col.label) or col.label
    col.note = "a variant option when the row is a variant"
    return True


def classify(index: int, header: str) -> Column:
    """The role of one column from its header alone (`build` then checks the values)."""
    h = normalize(header)
    col = Column(index=index, header=header, norm=h.norm, role="fact", currency=h.currency, label=label_of(h))
    if not h.norm:
        col.role, col.note = "internal", "no header"
        return col
    hit = _LOOKUP.get(h.norm)
    if hit is None and _pair(col):
        return col
    if hit is None:
        for p in _PREFIXES:
            if h.norm.startswith(p) and (hit := _LOOKUP.get(h.norm[len(p) :])):
                break
    if hit is None and _option(col):
        return col
    if hit is None and _INTERNAL_WORDS.search(h.norm):
        col.role, col.note = "internal", "a setting or id, not a product fact"
        return col
    if hit is None:
        for role, pattern in _KEYWORD_ROLES:
            if pattern.search(h.norm):
                col.role, col.rank, col.note = role, 500, f"read as {role} from the word in its header"
                return col
        return col
    col.role, col.rank = hit
    if h.currency:
        col.note = f"currency {h.currency} from the header"
    return col


def classify_all(headers: list[str], *, overrides: dict[str, str] | None = None) -> list[Column]:
    """Every column with its role; when two columns claim a one-column role the better-ranked name
    wins and the other is kept as a labelled fact (or stays internal for a second price).
    `overrides` (normalised header → role) are a platform's own meanings and win."""
    cols = [classify(i, h) for i, h in enumerate(headers)]
    for c in cols:
        role = (overrides or {}).get(c.norm)
        if role:
            c.role, c.rank, c.note, c.pair, c.option = role, -1, "as this platform uses it", None, ""
    best: dict[str, Column] = {}
    for c in cols:
        if c.role in ("fact", "internal", "options", "url", "image") or c.pair:
            continue
        cur = best.get(c.role)
        if cur is None or c.rank < cur.rank:
            best[c.role] = c
    for c in cols:
        if c.role in best and best[c.role] is not c:
            other = best[c.role].header
            if c.role in ("price", "sale_price", "compare_at", "stock"):
                c.role, c.note = "internal", f"another {c.role} column ({other!r}) is used"
            else:
                c.note = f"{c.role} is read from {other!r}; this column is kept as a fact"
                c.role = "fact"
    return cols
