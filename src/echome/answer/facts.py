"""What the catalog says of a product as typed fields (price, currency, stock, variants): the facts
the composer states and the guardrail checks drafts against."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from echome.answer.phrase_tables import OPTION_LABELS
from echome.db.models import Product
from echome.db.session import transaction
from echome.knowledge.lookup import fold, words

SALE_KEYS = ("regular_price", "sale_price", "sale_start", "sale_end", "sale_active")
CURRENCY_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "INR": "₹", "AUD": "A$", "CAD": "C$"}


# The basic colour terms of the seven languages, as whole words: a colour named in running text answers
# "what colour is it?" (`sentences`), and a colour asked for that no variant has is said to be missing.
COLOUR_WORDS = re.compile(
    r"\b(?:black|white|gr[ae]y|red|blue|green|yellow|orange|purple|pink|brown|beige|navy|teal|"
    r"turquoise|burgundy|khaki|charcoal|ivory|gold|golden|silver|multicolou?red|"
    r"schwarz|wei(?:ß|ss)|grau|rot|blau|gr(?:ü|ue)n|gelb|lila|rosa|braun|silbern|golden|"
    r"noir|noire|blanc|blanche|gris|rouge|bleu|bleue|vert|verte|jaune|violet|marron|"
    r"negro|negra|blanco|blanca|rojo|roja|azul|verde|amarillo|amarilla|morado|marr(?:ó|o)n|"
    r"nero|nera|bianco|bianca|grigio|rosso|rossa|blu|azzurro|giallo|viola|marrone|"
    r"zwart|wit|grijs|rood|blauw|groen|geel|paars|roze|bruin|"
    r"preto|preta|branco|branca|cinza|vermelho|amarelo|roxo|marrom)\b",
    re.I,
)

# Letter sizes as shoppers say them: en, de, fr, es, it, nl, pt (accents folded by `words`).
SIZE_WORDS = {
    "XS": ("extra small", "x-small", "xsmall"),
    "S": ("small", "klein", "petit", "petite", "pequeno", "pequena", "piccolo", "piccola"),
    "M": ("medium", "mittel", "moyen", "moyenne", "mediano", "mediana", "medio", "media", "middel"),
    "L": ("large", "gross", "grand", "grande", "groot"),
    "XL": ("extra large", "x-large", "xlarge", "extra gross"),
    "XXL": ("xx-large", "xxlarge", "extra extra large"),
}


def _size_word(value: str, question: str) -> bool:
    """Whether the question says the letter size `value` in words ("in large" for L); "extra
    large" is XL, not L."""
    said = " ".join(words(question))
    for long in SIZE_WORDS.get(value.upper(), ()):
        form = " ".join(words(long))
        for m in re.finditer(rf"(?<![\w-]){re.escape(form)}(?![\w-])", said):
            before = said[: m.start()].split()[-1:]  # "extra large" is not "large", nor
            if not (before and before[0] in ("extra", "x", "xx")):  # "extra extra large" "extra large"
                return True
    return False


def as_decimal(value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        d = Decimal(str(value).replace(",", ""))
    except (InvalidOperation, ValueError):
        return None
    return d if d.is_finite() else None


def format_money(amount: Decimal, currency: str | None) -> str:
    """`$12.99`, `€50`, `120 CHF`, `$1500`, `$12,500`: whole amounts without decimals, others with
    two; thousands grouped from five digits on (as CLDR's minimum grouping of 2 does), so a price
    reads as the catalog lists it."""
    whole = amount == amount.to_integral_value()
    grouping = "," if abs(amount) >= 10_000 else ""
    text = f"{amount:{grouping}.0f}" if whole else f"{amount:{grouping}.2f}"
    code = (currency or "").upper()
    symbol = CURRENCY_SYMBOLS.get(code)
    if symbol:
        return f"{symbol}{text}"
    return f"{text} {code}" if code else text


@dataclass
class ProductFacts:
    id: str
    name: str
    sku: str | None
    price: Decimal | None
    currency: str | None
    stock: int | None
    url: str | None
    variants: list[dict[str, Any]] = field(default_factory=list)
    # What the catalog says of a sale: regular_price, sale_price, sale_start, sale_end, sale_active.
    sale: dict[str, Any] = field(default_factory=dict)
    description: str | None = None
    tiers: list[tuple[int, Decimal]] = field(default_factory=list)  # (from quantity, price each)
    available: bool | None = None  # the catalog's in-stock flag, for a product listed without a count

    @property
    def short_name(self) -> str:
        """The name as said aloud: without bracketed asides; a long name (over eight words) up to its
        first ", ", bracket or dash, at most eight words. "Kobra Vodka 37,5%" stays whole."""
        bare = " ".join(re.sub(r"\[[^\]]*\]|\([^)]*\)", " ", self.name).split()) or self.name
        if len(bare.split()) <= 8:
            return bare
        head = re.split(r",\s|\s[-\u2013|/]\s", bare, maxsplit=1)[0].strip() or bare
        words_ = head.split()
        return " ".join(words_[:8]) if len(words_) > 8 else head

    def prices(self) -> list[Decimal]:
        out = [self.price] if self.price is not None else []
        for v in self.variants:
            for key in ("price", "compare_at_price"):
                d = as_decimal(v.get(key))
                if d is not None:
                    out.append(d)
        return out

    def offer_prices(self, variants: list[dict[str, Any]] | None = None) -> list[Decimal]:
        """The prices to quote, lowest first: the variants' (or the given ones') when they differ;
        else the product's own price, or its variants' one price when it has none. A row's own
        price stands beside one variant priced otherwise: a Shopware 6 parent at 590 whose only
        child row (with a name of its own) costs 117 is asked about, and graded, at 590."""
        chosen = self.variants if variants is None else variants
        own = sorted({d for v in chosen if (d := as_decimal(v.get("price"))) is not None})
        if len(own) > 1 or (variants is not None and own):
            return own
        return [self.price] if self.price is not None else own

    def price_text(self, variants: list[dict[str, Any]] | None = None) -> str | None:
        """ "$60", or "from $25 to $40" when variants differ; of the given variants when there are some."""
        prices = self.offer_prices(variants)
        if len(prices) > 1:
            lo, hi = prices[0], prices[-1]
            return f"from {format_money(lo, self.currency)} to {format_money(hi, self.currency)}"
        return format_money(prices[0], self.currency) if prices else None

    def single_price(self) -> Decimal | None:
        """The one price of a product whose variants all cost what it does (None when any differ)."""
        prices = {d for v in self.variants if (d := as_decimal(v.get("price"))) is not None}
        if self.price is not None:
            prices.add(self.price)
        return prices.pop() if len(prices) == 1 else None

    def reduced_from(self, variants: list[dict[str, Any]] | None = None) -> Decimal | None:
        """The crossed-out price ("compare at", "statt") when every price shown is below it."""
        chosen = self.variants if variants is None else variants
        olds = {d for v in chosen if (d := as_decimal(v.get("compare_at_price"))) is not None}
        if len(olds) != 1:
            return None
        old = olds.pop()
        current = [d for v in chosen if (d := as_decimal(v.get("price"))) is not None] or (
            [self.price] if self.price is not None else []
        )
        return old if current and all(c < old for c in current) else None

    def stock_of(self, variants: list[dict[str, Any]]) -> int | None:
        counts = [int(v["stock"]) for v in variants if isinstance(v.get("stock"), int | float)]
        return sum(counts) if counts else None

    def variants_named(self, question: str) -> tuple[list[dict[str, Any]], list[str]]:
        """The variants whose option values the question names ("in green, size L") and those values;
        several values of one option ("red or blue") take a variant with any of them."""
        if not self.variants:
            return [], []
        asked = set(words(question))
        colours = {_colour(m.group(0)) for m in COLOUR_WORDS.finditer(question)} - {""}
        wanted: dict[str, set[str]] = {}
        said: list[str] = []
        for v in self.variants:
            for key, value in (v.get("options") or {}).items():
                value = str(value)
                parts = words(value)
                if not parts or value in wanted.get(key, ()):
                    continue
                if len(value) == 1:  # a size letter: only as a word of its own, in capitals ("size L")
                    hit = re.search(rf"(?<!['\u2019\w]){re.escape(value)}(?!\w)", question) is not None
                    hit = hit or _size_word(value, question)
                elif value.upper() in SIZE_WORDS:  # "XL" or "extra large"
                    hit = set(parts) <= asked or _size_word(value, question)
                else:  # the value's words together, in order ("5 Liter" is not in "1,5-Liter-Flasche")
                    hit = set(parts) <= asked and _said_as_phrase(question, parts)
                    # a colour in another spelling or language ("grey", "Grau" for "Gray")
                    hit = hit or (len(parts) == 1 and _colour(parts[0]) in colours)
                if hit:
                    wanted.setdefault(key, set()).add(value)
                    said.append(value)
        if not wanted:
            return [], []
        said.sort(key=lambda value: _position(question, value))
        chosen = [
            v
            for v in self.variants
            if all(str((v.get("options") or {}).get(k)) in vals for k, vals in wanted.items())
        ]
        return chosen, said

    def unoffered(self, asked: str) -> tuple[str, list[str], list[str]] | None:
        """A colour or letter size the question asks for that no variant has ("is the hoodie in
        purple?" of one in black, gray and orange): the option, the values asked, the option's own
        values. The option's kind is read from its name (`OPTION_LABELS`, seven languages) or, when
        the catalog names it otherwise, from its values (colour words; letter sizes)."""
        for key, values in self.options().items():
            kind = _option_kind(key, values)
            if kind == "colour":
                have = {_colour(w) for v in values for w in words(v)}
                said = list({m.group(0).lower(): m.group(0) for m in COLOUR_WORDS.finditer(asked)}.values())
                said = said if _IN_COLOUR.search(asked) else []  # "in purple", not "I bought a red one"
                missing = [c for c in said if _colour(c) not in have]
            elif kind == "size":
                have = {v.upper() for v in values}
                said = [k for k in SIZE_WORDS if _size_said(k, asked)]
                missing = [k for k in said if k not in have]
            else:
                continue
            if said and len(missing) == len(said):  # one of them offered: `variants_named` has it
                return key, missing, values
        return None

    def options(self) -> dict[str, list[str]]:
        """Variant options by name: {"Size": ["Small", "Medium"]}, in catalog order."""
        out: dict[str, list[str]] = {}
        for v in self.variants:
            for k, val in (v.get("options") or {}).items():
                if val and str(val) not in out.setdefault(str(k), []):
                    out[str(k)].append(str(val))
        return out

    def tier_for(self, quantity: int) -> tuple[int, Decimal] | None:
        """The tier a quantity reaches: the step with the largest starting quantity at or below it."""
        reached = [t for t in self.tiers if t[0] <= quantity]
        return reached[-1] if reached and len(self.tiers) > 1 else None

    def numbers(self) -> set[Decimal]:
        nums = set(self.prices())
        for qty, price in self.tiers:
            nums.update((Decimal(qty), price))
        if self.stock is not None:
            nums.add(Decimal(self.stock))
        for v in self.variants:
            d = as_decimal(v.get("stock"))
            if d is not None:
                nums.add(d)
        return nums


_LABELS = {
    kind: {fold(n) for said in OPTION_LABELS[kind].values() for n in said} for kind in ("colour", "size")
}


# A version asked for by its colour: "in purple", "en rouge", "in der Farbe Blau", "em azul".
_IN_COLOUR = re.compile(
    r"\b(?:in|en|em|na|no)\s+(?:(?:the|der|die|das|le|la|el|il|het|de|a|o)\s+)?"
    r"(?:(?:colou?r|farbe|couleur|colore|kleur|cor)\s+)?" + COLOUR_WORDS.pattern.removeprefix(r"\b"),
    re.I,
)


def _option_kind(key: str, values: list[str]) -> str | None:
    name = fold(key.strip())
    for kind, labels in _LABELS.items():
        if name in labels:
            return kind
    if values and sum(bool(COLOUR_WORDS.fullmatch(fold(v).strip())) for v in values) * 2 >= len(values):
        return "colour"
    if values and all(v.strip().upper() in SIZE_WORDS for v in values):
        return "size"
    return None


# The same basic colour in the seven languages: a shopper may ask in another language than the
# catalog's ("in Blau?" of a hoodie listed in "Blue").
_SAME_COLOUR = {
    fold(word): concept
    for concept, said in {
        "black": "black schwarz noir noire negro negra nero nera zwart preto preta",
        "white": "white weiss weiß blanc blanche blanco blanca bianco bianca wit branco branca",
        "gray": "gray grey grau gris grigio grijs cinza",
        "red": "red rot rouge rojo roja rosso rossa rood vermelho",
        "blue": "blue blau bleu bleue azul blu azzurro blauw",
        "green": "green grün gruen vert verte verde groen",
        "yellow": "yellow gelb jaune amarillo amarilla giallo geel amarelo",
        "purple": "purple lila violet morado viola paars roxo",
        "pink": "pink rosa roze",
        "brown": "brown braun marron marrón marrone bruin marrom",
        "silver": "silver silbern",
        "gold": "gold golden",
    }.items()
    for word in said.split()
}


def _colour(word: str) -> str:
    word = fold(word)
    return _SAME_COLOUR.get(word, word)


def _size_said(size: str, question: str) -> bool:
    """Whether the question asks for the letter size `size`: written as one ("XXL"; a single letter only
    after "size", "I'm a L" being too loose) or in words ("extra large")."""
    if len(size) > 1 and re.search(rf"(?<![\w'\u2019]){size}(?!\w)", question):
        return True
    if re.search(
        rf"\b(?:size|gr(?:ö|oe|o)(?:ß|ss)e|taille|talla|taglia|maat|tamanho)\s+{size}\b", question, re.I
    ):
        return True
    return _size_word(size, question)


def _said_as_phrase(text: str, parts: list[str]) -> bool:
    joined = r"[\s\-/,.]+".join(re.escape(p) for p in parts)
    return re.search(rf"(?<![\w,.]){joined}(?![\w])", fold(text)) is not None


def _position(text: str, value: str) -> int:
    """Where `value` is first said in `text` (a single letter only as a word of its own)."""
    m = re.search(rf"(?<![\w'\u2019]){re.escape(fold(value))}(?!\w)", fold(text))
    return m.start() if m else len(text)


def _tiers(value: Any) -> list[tuple[int, Decimal]]:
    out = []
    for t in value if isinstance(value, list) else []:
        price = as_decimal(t.get("price")) if isinstance(t, dict) else None
        if price is not None and isinstance(t.get("from"), int):
            out.append((t["from"], price))
    return sorted(out)


def facts_of(p: Product, *, default_currency: str | None = None) -> ProductFacts:
    attrs = p.attributes or {}
    variants = [v for v in attrs.get("variants") or [] if isinstance(v, dict)]
    return ProductFacts(
        id=p.id,
        name=p.name,
        sku=p.sku,
        price=as_decimal(p.price),
        currency=p.currency or default_currency,
        stock=p.stock,
        url=p.url,
        variants=variants,
        sale={k: attrs[k] for k in SALE_KEYS if attrs.get(k) not in (None, "")},
        description=p.description,
        tiers=_tiers(attrs.get("tier_prices")),
        available=attrs["available"] if isinstance(attrs.get("available"), bool) else None,
    )


def load_products(
    sessions: sessionmaker[Session], *, user_id: str, ids: list[str], default_currency: str | None
) -> dict[str, ProductFacts]:
    """Typed facts of the seller's products with these ids."""
    if not ids:
        return {}
    with transaction(sessions) as db:
        rows = db.scalars(select(Product).where(Product.user_id == user_id, Product.id.in_(ids))).all()
        return {p.id: facts_of(p, default_currency=default_currency) for p in rows}
