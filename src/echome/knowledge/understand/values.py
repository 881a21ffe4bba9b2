"""Typed cells: amounts, availability, dates, packed "k=v" cells, and values that are no product fact."""

from __future__ import annotations

import calendar
import re
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

_SYMBOLS = {
    "$": "USD",
    "€": "EUR",
    "£": "GBP",
    "¥": "JPY",
    "₹": "INR",
    "zł": "PLN",
    "r$": "BRL",
    "fr.": "CHF",
}
_CODE = re.compile(r"\b([A-Z]{3})\b")
_NUM = re.compile(r"-?\d[\d.,' \u00a0\u202f]*")


def decimal_comma_column(values: list[str]) -> bool:
    """A column written with decimal commas ("59,99", "0,7") and no decimal points: then "1.299"
    there is a thousand, not one and a bit."""
    comma = point = 0
    for v in values:
        if re.search(r"\d,\d{1,2}\b", v) or re.search(r"\d\.\d{3},\d", v):
            comma += 1
        elif re.search(r"\d\.\d{1,2}\b", v) or re.search(r"\d,\d{3}\.\d", v):
            point += 1
    return comma > 0 and point == 0


def parse_amount(value: str, *, decimal_comma: bool = False) -> tuple[Decimal | None, str | None]:
    """'1.299,00 €' → (1299.00, EUR); '12.00 USD' → (12.00, USD); '59,99' → 59.99; '' → (None, None).
    Raises ValueError on a cell that holds no amount ("call us")."""
    text = value.strip()
    if not text:
        return None, None
    cur = None
    low = text.lower()
    for sym, code in _SYMBOLS.items():
        if sym in low:
            cur = code
            break
    m = _CODE.search(text)
    if m and cur is None and m.group(1) not in ("NaN",):
        cur = m.group(1)
    nums = _NUM.findall(text)
    rest = _NUM.sub(" ", text)
    rest = re.sub(r"[$€£¥₹]|zł|r\$|fr\.|\b[A-Za-z]{3}\b|[\s,.:;()\-\u2013/*]", "", rest, flags=re.I)
    if len(nums) != 1 or rest:
        raise ValueError(f"not an amount: {value!r}")
    num = re.sub(r"[ '\u00a0\u202f]", "", nums[0]).rstrip(".,")
    if "," in num and "." in num:
        num = (
            num.replace(",", "")
            if num.rfind(".") > num.rfind(",")
            else num.replace(".", "").replace(",", ".")
        )
    elif "," in num:
        head, _, tail = num.rpartition(",")
        thousands = len(tail) == 3 and head and not decimal_comma and num.count(",") >= 1
        num = num.replace(",", "") if thousands else num.replace(",", ".")
    elif "." in num and decimal_comma and re.fullmatch(r"-?\d{1,3}(\.\d{3})+", num):
        num = num.replace(".", "")
    try:
        amount = Decimal(num)
    except InvalidOperation:
        raise ValueError(f"not an amount: {value!r}") from None
    if not amount.is_finite():
        raise ValueError(f"not an amount: {value!r}")
    return amount, cur


# Above this a price is a typo or a placeholder (an EAN pasted into the price column), not a price.
MAX_PRICE = Decimal("100000000")


def implausible_amount(amount: Decimal | None) -> str | None:
    """Why an amount cannot be a price ('negative', 'implausibly large'), or None."""
    if amount is None:
        return None
    if amount < 0:
        return "negative"
    if amount >= MAX_PRICE:
        return "implausibly large"
    return None


def parse_quantity(value: str) -> int | None:
    """'48', '48.0', '1,200' → int; a packed 'default=100,shop2=5' → the sum; words → None."""
    text = value.strip()
    if not text:
        return None
    if "=" in text:
        total, seen = 0, False
        for rec in parse_packed(text):
            for v in rec.values():
                q = parse_quantity(v) if "=" not in v else None
                if q is not None:
                    total, seen = total + q, True
        return total if seen else None
    text = re.sub(r"[ '\u00a0]", "", text)
    if re.fullmatch(r"-?\d{1,3}(,\d{3})+", text):
        text = text.replace(",", "")
    text = text.replace(",", ".")
    try:
        return int(float(text))
    except ValueError:
        return None


# Availability words → in stock (True) / not (False). Phrases are matched after accent folding.
_IN = (
    "in stock", "instock", "in_stock", "available", "yes", "y", "true", "1", "on", "ja", "auf lager",
    "lieferbar", "vorratig", "verfugbar", "en stock", "disponible", "oui", "si", "in magazzino",
    "disponibile", "op voorraad", "leverbaar", "beschikbaar", "em estoque", "disponivel", "sim",
    "preorder", "backorder", "limited availability", "unlimited",
)  # fmt: skip
_OUT = (
    "out of stock", "outofstock", "out_of_stock", "sold out", "unavailable", "not available", "no", "n",
    "false", "0", "off", "nein", "nicht auf lager", "ausverkauft", "nicht lieferbar", "nicht verfugbar",
    "rupture de stock", "epuise", "non", "agotado", "sin stock", "no disponible", "esaurito",
    "non disponibile", "uitverkocht", "niet op voorraad", "niet leverbaar", "esgotado", "sem estoque",
    "indisponivel", "discontinued",
)  # fmt: skip


def parse_availability(value: str) -> bool | None:
    from echome.knowledge.understand.vocabulary import fold

    text = re.sub(r"\s+", " ", fold(value).lower().strip(" .!"))
    if not text:
        return None
    if text in _OUT or any(text.startswith(w) for w in _OUT if len(w) > 4):
        return False
    if text in _IN or any(text.startswith(w) for w in _IN if len(w) > 4):
        return True
    return None


_DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%d.%m.%Y", "%d.%m.%y", "%d/%m/%Y", "%m/%d/%Y", "%Y%m%d")


def parse_date(value: str) -> date | None:
    """'2024-02-01', '2024-02-01 00:00:00', '2024-02-01T00:00:00Z', '01.02.2024', '02/15/2024'.
    A day past the month's end ('2026-02-29') is read as the month's last day."""
    text = value.strip()
    if not text or text.startswith("0000"):
        return None
    head = re.split(r"[ T]", text, maxsplit=1)[0]
    m = re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})", head)
    if m and 1 <= int(m.group(2)) <= 12 and 28 < int(m.group(3)) <= 31:
        year, month = int(m.group(1)), int(m.group(2))
        return date(year, month, min(int(m.group(3)), calendar.monthrange(year, month)[1]))
    for fmt in _DATE_FORMATS:
        try:
            d = datetime.strptime(head, fmt).date()
        except ValueError:
            continue
        if fmt == "%d/%m/%Y" and int(head.split("/")[1]) > 12:
            continue
        return d
    return None


def parse_date_range(value: str) -> tuple[date | None, date | None]:
    """An ISO 8601 interval in one cell (Google's sale_price_effective_date):
    '2026-02-24T11:07+0100/2026-03-01T23:00-0800' → (2026-02-24, 2026-03-01)."""
    parts = [p.strip() for p in value.split("/")]
    if len(parts) != 2 or not all(re.match(r"\d{4}-\d{2}-\d{2}", p) for p in parts):
        return None, None
    return parse_date(parts[0]), parse_date(parts[1])


_RECORD_SPLIT = re.compile(r"\|(?=\s*[\w .\-]+=)")
_PAIR_SPLIT = re.compile(r",(?=\s*[\w .\-]+=)")


def is_packed(value: str) -> bool:
    """'size=M,color=Red', 'sku=X,size=M|sku=Y,size=L', 'default=100'."""
    return bool(re.match(r"^\s*[\w .\-]+=", value)) and "://" not in value.split(",")[0]


def parse_packed(value: str) -> list[dict[str, str]]:
    """'sku=X,size=M|sku=Y,size=L' → [{sku: X, size: M}, {sku: Y, size: L}]. A pipe inside a value
    ('material=Wool|Fleece') separates that value's items, kept as 'Wool, Fleece'."""
    out = []
    for rec in _RECORD_SPLIT.split(value.strip()):
        pairs: dict[str, str] = {}
        for pair in _PAIR_SPLIT.split(rec):
            k, sep, v = pair.partition("=")
            if not sep:
                continue
            pairs[k.strip()] = ", ".join(x.strip() for x in v.split("|") if x.strip())
        if pairs:
            out.append(pairs)
    return out


def packed_text(records: list[dict[str, str]]) -> str:
    """Packed records as words: 'renting type daily_hourly, daily price 75.00; ...'."""
    return "; ".join(", ".join(f"{k.replace('_', ' ')} {v}" for k, v in r.items() if v) for r in records)


_HEX_ID = re.compile(r"^[0-9a-f]{32}$|^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.I)
_FILE = re.compile(r"^[\w\-./]+\.(jpe?g|png|gif|webp|svg|avif|bmp|tiff?|pdf|mp4|zip)$", re.I)
_PART = re.compile(r"[^|,;\s]+")
_BOOL = {"true", "false", "yes", "no", "0", "1", "y", "n", "on", "off"}


def internal_value(value: str) -> str | None:
    """Why a cell is not a product fact (a link, a file, a flag, an id, JSON), or None."""
    v = value.strip()
    if not v:
        return None
    low = v.lower()
    if re.match(r"^(https?:|ftp:|www\.)", low) or low.startswith("//"):
        return "links"
    if _FILE.match(v):
        return "file names"
    if low in _BOOL:
        return "yes/no flags"
    if (v[0] in "{[" and v[-1] in "}]") and ('"' in v or ":" in v):
        return "JSON"
    # Every part an id: read part by part, so a long text stops at its first word.
    parts = 0
    for m in _PART.finditer(v):
        if not _HEX_ID.match(m.group()):
            return None
        parts += 1
    return "ids" if parts else None


PLATFORM_TYPES = {
    "simple", "variable", "variation", "configurable", "grouped", "bundle", "virtual", "downloadable",
    "external", "booking", "giftcard", "physical", "digital", "service", "p", "d", "event",
}  # fmt: skip


# Availability words that are more than "in stock": said as they are.
AVAILABILITY_NUANCE = {
    "preorder": "available to pre-order", "pre order": "available to pre-order",
    "backorder": "available on backorder", "back order": "available on backorder",
    "limited availability": "limited availability", "onbackorder": "available on backorder",
}  # fmt: skip
