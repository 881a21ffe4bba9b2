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
internal           ids, flags (published / visible / active), tax classes, product types,
                   attribute sets, positions, SEO fields, timestamps: kept out of facts
=================  =====================================================================

Languages: English, German, French, Spanish, Italian, Dutch, Portuguese. Platforms whose export
columns are listed: Shopify, WooCommerce, Magento 2, PrestaShop, Shopware 5 and 6, Bagisto,
Google Merchant Center, Amazon flat files, BigCommerce, Etsy, Squarespace, Wix, Ecwid, Square,
OpenCart. A column in none of them is kept as a labelled fact ("Material: Wool").
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

# Role → normalised header names. Within a role, earlier names win when a file has several.
# fmt: off
VOCABULARY: dict[str, tuple[str, ...]] = {
    "name": (
        "name", "title", "product name", "product title", "item name", "item title", "product", "item",
        "name en", "post title", "item name", "listing title", "produktname", "artikelname",
        "bezeichnung", "artikelbezeichnung", "produktbezeichnung", "titel", "nom", "nom du produit",
        "titre", "designation", "libelle", "nombre", "nombre del producto", "titulo", "denominacion",
        "nome", "nome prodotto", "titolo", "denominazione", "naam", "productnaam", "artikelnaam",
        "titel", "nome do produto",
    ),
    "sku": (
        "sku", "variant sku", "item sku", "product code", "product number", "ordernumber",
        "order number", "reference", "ref", "reference code", "article number", "item number",
        "part number", "model number", "model", "item code", "code", "mpn", "asin", "product id sku",
        "seller sku", "artikelnummer", "artikel nr", "art nr", "bestellnummer", "produktnummer",
        "herstellernummer", "reference produit", "code article", "ref produit", "referencia", "codigo",
        "codigo de articulo", "codice", "codice articolo", "codice prodotto", "riferimento",
        "artikelcode", "productcode", "referentie", "codigo do produto", "referencia do produto",
    ),
    "description": (
        "description", "long description", "product description", "body html", "body", "desc", "details",
        "description html", "descripcion", "post content", "product details", "beschreibung",
        "produktbeschreibung", "langbeschreibung", "description longue", "descripcion larga",
        "descrizione", "omschrijving", "beschrijving", "descricao",
    ),
    "short_description": (
        "short description", "summary", "excerpt", "post excerpt", "kurzbeschreibung",
        "description courte", "resume", "descripcion corta", "descrizione breve", "korte omschrijving",
        "descricao curta", "resumo",
    ),
    "price": (
        "price gross", "price", "regular price", "price tax included", "price incl tax", "gross price",
        "variant price", "retail price", "selling price", "standard price", "list price", "base price",
        "default price", "preis", "verkaufspreis", "bruttopreis", "einzelpreis", "vk", "vk preis",
        "prix", "prix de vente", "prix ttc", "prix unitaire", "precio", "precio de venta", "pvp",
        "precio unitario", "prezzo", "prezzo di vendita", "prezzo unitario", "prijs", "verkoopprijs",
        "stukprijs", "preco", "preco de venda", "preco unitario", "price tax excluded", "price net",
        "net price", "nettopreis", "prix ht", "unit price",
    ),
    "sale_price": (
        "sale price", "special price", "discounted price", "offer price", "promo price", "reduced price",
        "sonderpreis", "angebotspreis", "aktionspreis", "prix promo", "prix soldé", "precio oferta",
        "precio rebajado", "prezzo scontato", "prezzo offerta", "aanbiedingsprijs", "actieprijs",
        "preco promocional", "preco de oferta",
    ),
    "sale_start": (
        "date sale price starts", "special price from date", "special price from",
        "sale price effective date", "discount from", "sale start", "sale from", "sonderpreis ab",
        "aktion von", "debut promo", "inicio oferta", "inizio offerta", "actie vanaf", "inicio promocao",
    ),
    "sale_end": (
        "date sale price ends", "special price to date", "special price to", "discount to", "sale end",
        "sale to", "sonderpreis bis", "aktion bis", "fin promo", "fin oferta", "fine offerta",
        "actie tot", "fim promocao",
    ),
    "compare_at": (
        "compare at price", "variant compare at price", "pseudoprice", "pseudo price", "old price",
        "was price", "original price", "msrp", "msrp price", "rrp", "uvp", "streichpreis", "alter preis",
        "ancien prix", "prix barre", "precio anterior", "precio original", "prezzo originale",
        "prezzo barrato", "oude prijs", "van prijs", "preco antigo", "preco original",
    ),
    "discount_amount": (
        "discount amount", "reduction amount", "rabattbetrag", "montant remise",
    ),
    "discount_percent": (
        "discount percent", "discount percentage", "reduction percent", "rabatt", "rabatt prozent",
        "remise", "pourcentage de remise", "descuento", "sconto", "korting", "desconto",
    ),
    "min_qty": (
        "from", "from quantity", "quantity from", "ab menge", "staffel ab", "tier quantity",
    ),
    "customer_group": (
        "pricegroup", "price group", "customer group", "kundengruppe",
    ),
    "currency": (
        "currency", "currency code", "wahrung", "devise", "moneda", "valuta", "munt", "moeda",
    ),
    "stock": (
        "stock", "qty", "quantity", "inventory", "stock quantity", "inventory quantity",
        "variant inventory qty", "qty in stock", "quantity in stock", "stock level", "on hand",
        "available quantity", "inventories", "current stock level", "quantity available", "stock qty",
        "bestand", "lagerbestand", "menge", "anzahl", "verfugbare menge", "lager", "quantite",
        "quantite en stock", "cantidad", "existencias", "inventario", "quantita", "giacenza", "voorraad",
        "aantal", "estoque", "quantidade", "quantidade em estoque",
    ),
    "availability": (
        "availability", "in stock", "is in stock", "stock status", "available", "availability status",
        "verfugbarkeit", "lieferbar", "disponibilite", "en stock", "disponibilidad", "disponibilita",
        "beschikbaarheid", "op voorraad", "disponibilidade", "em estoque",
    ),
    "category": (
        "category", "categories", "product category", "collection", "department",
        "google product category", "category path", "kategorie", "kategorien", "warengruppe",
        "categorie", "categoria", "categorias", "categorie", "rubriek", "categorieen",
    ),
    "brand": (
        "brand", "brand name", "manufacturer", "manufacturer name", "vendor", "supplier", "maker",
        "marke", "hersteller", "lieferant", "marque", "fabricant", "fournisseur", "marca", "fabricante",
        "proveedor", "produttore", "fornitore", "merk", "fabrikant", "leverancier", "fornecedor",
    ),
    "condition": (
        "condition", "item condition", "zustand", "etat", "estado", "condizione", "staat", "condicao",
    ),
    "tax_rate": (
        "tax rate", "vat rate", "vat", "tax", "tax percent", "steuersatz", "mwst", "mehrwertsteuer",
        "ust", "taux tva", "tva", "iva", "tasa iva", "aliquota iva", "btw", "btw tarief", "taxa",
    ),
    "parent": (
        "parent", "parent sku", "parent id", "parent product", "parent handle", "parent code",
        "parent_sku", "configurable sku", "elternartikel", "hauptartikel", "vaterartikel",
    ),
    "variant_name": (
        "additionaltext", "variant name", "variant title", "variante", "variantenname",
    ),
    "options": (
        "additional attributes", "configurable variations", "configurable variants", "variants",
        "variation attributes", "option values",
    ),
    "url": (
        "url", "link", "product url", "product link", "permalink", "page url", "url key",
        "url rewritten", "manufacturer link", "canonical link", "mobile link",
    ),
    "image": (
        "image", "images", "image src", "image url", "image urls", "image link", "additional image link",
        "base image", "small image", "thumbnail image", "additional images", "main image url", "photo",
        "bild", "bilder", "bild url", "imagen", "immagine", "afbeelding", "imagem",
    ),
    "internal": (
        "id", "product id", "variant id", "handle", "store view code", "attribute set code",
        "attribute family code", "product type", "product websites", "website id", "visibility",
        "visible individually", "product online", "status", "published", "visible", "active", "enabled",
        "tax class name", "tax class", "tax class id", "tax rules id", "tax category name", "tax id",
        "tax name", "locale", "created at", "updated at", "new from date", "new to date", "created",
        "updated", "date created", "date modified", "position", "sort order", "menu order", "meta title",
        "meta keywords", "meta description", "seo title", "seo description", "page layout",
        "custom design", "custom layout update", "product options container",
        "display product options in", "gift message available", "map enabled", "map price",
        "msrp display actual price type", "has options", "required options", "use config min qty",
        "is qty decimal", "allow backorders", "use config backorders", "min cart qty",
        "use config min sale qty", "max cart qty", "use config max sale qty", "notify on stock below",
        "use config notify stock qty", "manage stock", "use config manage stock",
        "use config qty increments", "qty increments", "use config enable qty inc",
        "enable qty increments", "is decimal divided", "out of stock qty",
        "configurable variation prices", "configurable variation labels", "new", "featured",
        "guest checkout", "min purchase", "max purchase", "purchase steps", "custom fields",
        "option ids", "property ids", "cover media id", "purchaseprice", "purchase price",
        "wholesale price", "cost", "cost price", "einkaufspreis", "prix d achat", "precio de coste",
        "prezzo di acquisto", "inkoopprijs", "preco de custo", "type", "tax status", "shipping class",
        "backorders allowed", "sold individually", "allow customer reviews", "purchase note",
        "is featured", "visibility in catalog", "product online", "delete existing images",
        "id name of shop", "advanced stock management", "depends on stock", "warehouse",
        "low stock level", "minimal quantity", "send me an email when the quantity is under this level",
        "available for order", "show price", "available online only", "customizable", "uploadable files",
        "text fields", "virtual product", "number of allowed downloads", "expiration date",
        "number of days", "on sale", "related skus", "cross sell skus", "up sell skus", "upsell ids",
        "cross sell ids", "grouped products", "ean", "ean13", "upc", "gtin", "isbn", "barcode",
        "variant barcode", "identifier exists", "image alt text", "image position", "image alt texts",
        "base image label", "small image label", "thumbnail image label", "cover media alt",
        "cover media title", "download limit", "download expiry", "sale", "associated skus",
        "bundle options", "stock status id", "aktiv", "actif", "activo", "attivo", "actief", "ativo",
        "available date", "creation date", "date add", "date upd", "product available date",
        "product creation date",
    ),
}
# fmt: on


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
    text = fold(text).lower().replace("#", " ")
    norm = re.sub(r"[^a-z0-9]+", " ", text).strip()
    words = norm.split()
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
        _key = re.sub(r"[^a-z0-9]+", " ", fold(_n).lower()).strip()
        _LOOKUP.setdefault(_key, (_role, _rank))

_PREFIXES = ("product ", "item ", "variant ", "article ", "artikel ", "produkt ", "produit ", "producto ",
             "prodotto ", "articolo ", "artigo ", "produto ", "default ")  # fmt: skip
# Words that, anywhere in a header, make it internal (settings, ids, SEO), checked before the
# keyword rules below.
_INTERNAL_WORDS = re.compile(
    r"\b(id|ids|uuid|guid|meta|seo|created|updated|modified|timestamp|position|sort|visibility|"
    r"visible|published|enabled|active|status|template|layout|config|backorders?|notify|increments|"
    r"decimal|tax class|tax rules?|tax id|attribute set|website|store view|mime|file size|media type|"
    r"min|max|minimal|purchase steps|locale|slug|hash)\b"
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

    def as_dict(self) -> dict[str, str]:
        return {"header": self.header, "role": self.role, "note": self.note}


def label_of(h: Header) -> str:
    """'_additionaltext' → 'Additionaltext', 'country_of_manufacture' → 'Country of manufacture'."""
    text = re.sub(r"[_]+", " ", _BRACKET.sub(" ", h.raw)).strip(" *:_-")
    text = re.sub(r"^g:", "", text)
    text = re.sub(r"\s+", " ", text).strip()
    return (text[:1].upper() + text[1:]) if text else h.raw


def classify(index: int, header: str) -> Column:
    """The role of one column from its header alone (`build` then checks the values)."""
    h = normalize(header)
    col = Column(index=index, header=header, norm=h.norm, role="fact", currency=h.currency, label=label_of(h))
    if not h.norm:
        col.role, col.note = "internal", "no header"
        return col
    hit = _LOOKUP.get(h.norm)
    if hit is None:
        for p in _PREFIXES:
            if h.norm.startswith(p) and (hit := _LOOKUP.get(h.norm[len(p) :])):
                break
    if hit is None:
        # WooCommerce "Attribute 1 name" / "Attribute 1 value(s)", "Meta: colour" and the like.
        m = re.fullmatch(r"attribute (\d+) (name|value|values|visible|global|default)", h.norm)
        if m:
            part = m.group(2)
            role = "options" if part in ("name", "value", "values") else "internal"
            col.role, col.note = role, f"attribute {m.group(1)} {part}"
            return col
        if re.fullmatch(r"option ?(\d) (name|value)", h.norm):
            col.role, col.note = "options", h.norm
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


def classify_all(headers: list[str]) -> list[Column]:
    """Every column with its role; when two columns claim a one-column role the better-ranked name
    wins and the other is kept as a labelled fact (or stays internal for a second price)."""
    cols = [classify(i, h) for i, h in enumerate(headers)]
    best: dict[str, Column] = {}
    for c in cols:
        if c.role in ("fact", "internal", "options", "url", "image"):
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
