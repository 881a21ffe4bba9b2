"""The header vocabulary as data: role -> the header names that mean it (normalised: lowercase,
accents folded, punctuation as spaces, digits apart from letters: "IMAGE1" -> "image 1").

`vocabulary.py` documents the roles and reads a header against these lists. Platform columns are
listed beside the plain-language names: Shopify, WooCommerce, Magento 2, PrestaShop, Shopware 5/6,
Bagisto, Google Merchant Center, Amazon flat files, BigCommerce, Etsy, Squarespace, Wix, Ecwid,
Square and OpenCart.
"""

from __future__ import annotations

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
        "seller sku", "product code sku", "variation sku", "offer id", "merchant sku",
        "artikelnummer", "artikel nr", "art nr", "bestellnummer", "produktnummer",
        "herstellernummer", "reference produit", "code article", "ref produit", "referencia", "codigo",
        "codigo de articulo", "codice", "codice articolo", "codice prodotto", "riferimento",
        "artikelcode", "productcode", "referentie", "codigo do produto", "referencia do produto",
    ),
    "description": (
        "description", "long description", "product description", "body html", "body", "desc", "details",
        "description html", "descripcion", "post content", "product details", "beschreibung",
        "produktbeschreibung", "langbeschreibung", "description longue", "descripcion larga",
        "descrizione", "omschrijving", "beschrijving", "descricao", "notes", "note", "product notes",
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
        "net price", "nettopreis", "prix ht", "unit price", "your price",
    ),
    "sale_price": (
        "sale price", "special price", "discounted price", "offer price", "promo price", "reduced price",
        "sonderpreis", "angebotspreis", "aktionspreis", "prix promo", "prix soldé", "precio oferta",
        "precio rebajado", "prezzo scontato", "prezzo offerta", "aanbiedingsprijs", "actieprijs",
        "preco promocional", "preco de oferta",
    ),
    "sale_start": (
        "date sale price starts", "special price from date", "special price from",
        "sale price effective date", "discount from", "sale start", "sale from", "sale from date",
        "sale start date", "sale price start date", "special from date", "special price start date",
        "sonderpreis ab",
        "aktion von", "debut promo", "inicio oferta", "inizio offerta", "actie vanaf", "inicio promocao",
    ),
    "sale_end": (
        "date sale price ends", "special price to date", "special price to", "discount to", "sale end",
        "sale to", "sale end date", "sale to date", "sale price end date", "special to date",
        "special price end date", "sonderpreis bis", "aktion bis", "fin promo", "fin oferta", "fine offerta",
        "actie tot", "fim promocao",
    ),
    "compare_at": (
        "compare at price", "variant compare at price", "pseudoprice", "pseudo price", "old price",
        "was price", "original price", "msrp", "msrp price", "rrp", "uvp", "streichpreis", "alter preis",
        "ancien prix", "prix barre", "precio anterior", "precio original", "prezzo originale",
        "prezzo barrato", "oude prijs", "van prijs", "preco antigo", "preco original",
    ),
    "discount_amount": (
        "discount amount", "reduction amount", "rabattbetrag", "montant remise", "discount value",
    ),
    "discount_percent": (
        "discount percent", "discount percentage", "reduction percent", "rabatt", "rabatt prozent",
        "remise", "pourcentage de remise", "descuento", "sconto", "korting", "desconto", "percent off",
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
        "aantal", "estoque", "quantidade", "quantidade em estoque", "left", "how many left",
        "units left", "units in stock", "number in stock", "remaining", "stock left", "in stock qty",
    ),
    "availability": (
        "availability", "in stock", "is in stock", "stock status", "available", "availability status",
        "is available", "product availability",
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
        "configurable sku", "parent asin", "elternartikel", "hauptartikel", "vaterartikel",
    ),
    "variant_name": (
        "additionaltext", "variant name", "variant title", "variation name", "variante", "variantenname",
    ),
    "options": (
        "additional attributes", "configurable variations", "configurable variants", "variants",
        "variation attributes", "option values", "options",
    ),
    "url": (
        "url", "link", "product url", "product link", "permalink", "page url", "url key",
        "url rewritten", "manufacturer link", "canonical link", "mobile link", "external url",
    ),
    "image": (
        "image", "images", "image src", "image url", "image urls", "image link", "additional image link",
        "base image", "small image", "thumbnail image", "additional images", "main image url", "photo",
        "bild", "bilder", "bild url", "imagen", "immagine", "afbeelding", "imagem",
    ),
    "group": (
        "item group id", "handle id", "group id", "variant group", "variant group id",
        "product group id", "artikelgruppe",
    ),
    "price_delta": (
        "surcharge", "price impact", "impact on price", "price difference", "price adjustment",
        "extra price", "additional price", "price modifier", "aufpreis", "preisaufschlag",
        "supplement", "supplement de prix", "impact sur le prix", "recargo", "sobreprecio",
        "sovrapprezzo", "meerprijs", "acrescimo",
    ),
    "discount_mode": (
        "discount mode", "discount type", "reduction type", "rabattart", "type de remise",
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
        # Amazon flat files
        "feed product type", "update delete", "parent child", "relationship type", "variation theme",
        "external product id type", "generic keywords", "search terms", "recommended browse nodes",
        "fulfillment latency", "merchant shipping group name", "item type", "color map", "size map",
        "target audience keywords", "product tax code", "merchant release date", "condition note",
        # BigCommerce
        "bin picking number", "option set", "option set align", "page title", "upc ean",
        "stop processing rules", "redirect old url", "track inventory", "inventory tracking",
        "low stock", "allow purchases", "product visible", "show product condition",
        "product tax class", "search keywords", "calculated price",
        # Wix, Square, Etsy, Squarespace, Ecwid, OpenCart
        "field type", "token", "unit and precision", "archived", "item visibility", "points",
        "date added", "date available", "stock status id", "store ids", "related ids", "subtract",
        "minimum", "seo keyword", "jan", "button text", "upsells", "cross sells", "grouped products",
        "product page", "hosted image urls",
        # Google Merchant Center
        "cost of goods sold", "excluded destination", "included destination", "ads redirect",
        "ads grouping", "ads labels", "promotion id", "shipping label", "return policy label",
        "transit time label", "tax category", "pause", "shopping ads excluded country",
        "store code", "ean 13",
    ),
}
# fmt: on


# Columns whose values say what kind of row it is (a product, one of its variants, a price rule).
KIND_HEADERS = frozenset({
    "item type", "field type", "parent child", "item", "type", "row type", "record type", "line type",
    "product type", "entity",
})  # fmt: skip
PARENT_KINDS = frozenset({"product", "parent", "variable", "configurable", "item"})
CHILD_KINDS = frozenset({"variant", "variation", "product variation", "sku", "child", "variant sku"})
SKIP_KINDS = frozenset({"rule", "modifier", "image", "product option", "option", "product image"})

# A column that names the product a row belongs to when only some exports repeat it per variant
# (Squarespace repeats "Product ID" on each variant row; elsewhere it is unique and changes nothing).
GROUP_FALLBACK = frozenset({"product id", "product internal id"})

# Single-value option columns: a variant's colour, size... ("color_name" on Amazon, "g:size").
OPTION_WORDS = frozenset({
    "size", "color", "colour", "farbe", "grosse", "taille", "couleur", "talla", "tamano", "colore",
    "taglia", "kleur", "maat", "cor", "tamanho", "style", "flavor", "flavour", "geschmack", "scent",
    "material", "pattern", "finish", "edition", "format", "capacity", "gender", "age group",
    "size type", "size system", "fit", "variant", "option",
})  # fmt: skip

# Numbered column pairs: stem -> what the pair holds. "Attribute 1 name" + "Attribute 1 value(s)"
# (WooCommerce), "Option Name 1" + "Option Value 1" (Square, Squarespace), "productOptionName1" +
# "productOptionDescription1" (Wix), "VARIATION 1 TYPE/NAME/VALUES" (Etsy), "additionalInfoTitle1"
# + "additionalInfoDescription1" (Wix).
PAIR_STEMS: dict[str, str] = {
    "attribute": "option", "option": "option", "product option": "option", "variation": "option",
    "variant option": "option", "option set": "option", "variation option": "option",
    "additional info": "fact", "custom field": "fact", "property": "fact", "feature": "fact",
    "specification": "fact", "spec": "fact", "eigenschaft": "fact", "merkmal": "fact",
    "caracteristique": "fact", "caracteristica": "fact", "kenmerk": "fact",
}  # fmt: skip
PAIR_PARTS: dict[str, str] = {
    "name": "key", "title": "key", "label": "key", "type": "key_fallback", "value": "value",
    "values": "value", "description": "value", "choices": "value", "visible": "ignore",
    "global": "ignore", "default": "ignore", "position": "ignore",
}  # fmt: skip
