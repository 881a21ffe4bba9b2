"""Export platforms, recognised by the columns only their exports have together.

The platform is reported with the import and decides little on its own: the header vocabulary and
the values do the work. What a platform adds is listed in PLATFORMS (for example, that Shopware 5
names a variant only in `_additionaltext`, or that Magento's packed `configurable_variations` lists
a parent's variants)."""

from __future__ import annotations

from echome.knowledge.understand.vocabulary import normalize

# Platform → (signature: normalised headers that must all be present, what the layout means).
PLATFORMS: dict[str, tuple[frozenset[str], str]] = {
    "shopify": (frozenset({"handle", "variant sku", "title"}), "one row per variant, grouped by Handle"),
    "woocommerce": (
        frozenset({"type", "regular price", "parent"}),
        "variations are rows of type 'variation' whose Parent is the parent's SKU or 'id:N'; options "
        "in 'Attribute N name' / 'Attribute N value(s)'",
    ),
    "magento2": (
        frozenset({"sku", "product type", "attribute set code"}),
        "variants are 'simple' rows listed by the parent's packed configurable_variations; options and "
        "specs packed in additional_attributes; a parent's qty is 0, its is_in_stock says the truth",
    ),
    "prestashop": (
        frozenset({"name", "price tax excluded"}),
        "prices tax excluded; a discount (amount or percent) counts between 'Discount from' and 'to'",
    ),
    "shopware5": (
        frozenset({"ordernumber", "name", "additionaltext"}),
        "one row per variant, named in _additionaltext; repeated ordernumbers with a growing 'from' "
        "are tier prices; pseudoprice is the crossed-out price",
    ),
    "shopware6": (
        frozenset({"product number", "parent id", "price gross"}),
        "variants have parent_id = the parent's id; prices net and gross (gross is used)",
    ),
    "bagisto": (
        frozenset({"sku", "parent sku", "attribute family code"}),
        "variants are rows with parent_sku; the parent's configurable_variants lists their options; "
        "stock packed in inventories",
    ),
    "google_merchant": (
        frozenset({"id", "title", "price", "availability"}),
        "Google Merchant Center feed: id is the SKU; prices as '12.00 USD'; sale_price counts inside "
        "sale_price_effective_date; items sharing item_group_id are one product's variants",
    ),
    "amazon": (
        frozenset({"item sku", "item name"}),
        "Amazon flat file: template rows above the header; child rows name their parent_sku; colour "
        "and size columns are the variants' options",
    ),
    "bigcommerce": (
        frozenset({"item type", "product name", "product code sku"}),
        "BigCommerce export: 'SKU' rows are the variants of the 'Product' row above them, named by "
        "their options ('[RB]Size=Small'); 'Rule' rows are price rules",
    ),
    "etsy": (
        frozenset({"title", "quantity", "tags", "materials"}),
        "Etsy listings export: one row per listing; VARIATION n TYPE/NAME/VALUES list its choices",
    ),
    "squarespace": (
        frozenset({"product id", "variant id", "product type", "option name 1"}),
        "Squarespace export: a product's variant rows repeat its Product ID; the first has the title",
    ),
    "wix": (
        frozenset({"handle id", "field type", "name"}),
        "Wix export: 'Variant' rows share their 'Product' row's handleId; a variant's price is the "
        "product's plus its surcharge",
    ),
    "ecwid": (frozenset({"product internal id", "product name", "product price"}), "Ecwid export"),
    "square": (
        frozenset({"item name", "variation name", "sku"}),
        "Square item library: one row per variation; rows with the same Item Name are one item",
    ),
    "opencart": (frozenset({"product id", "model", "name", "quantity", "price"}), "OpenCart export"),
}

# What a column means in one platform's export when the plain vocabulary reads it otherwise.
PLATFORM_ROLES: dict[str, dict[str, str]] = {
    "google_merchant": {"id": "sku", "product type": "category", "link": "url"},
    "etsy": {"title": "name"},
}


def platform_roles(platform: str | None) -> dict[str, str]:
    return PLATFORM_ROLES.get(platform or "", {})


def detect_platform(headers: list[str]) -> tuple[str | None, str]:
    """(platform, what its layout means) or (None, '')."""
    norms = {normalize(h).norm for h in headers}
    best: tuple[int, str | None, str] = (0, None, "")
    for name, (signature, meaning) in PLATFORMS.items():
        if signature <= norms and len(signature) > best[0]:
            best = (len(signature), name, meaning)
    return best[1], best[2]
