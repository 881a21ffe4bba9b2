"""Buyer questions for a test conversation (`echome eval conversations`), generated from a catalog's
own records: price, stock, options, a spec (a "Key: value" fact of the record), a comparison of two
products, something the shop does not sell, a discount request, a complaint, asking for a person and
saying they will buy.

What a correct answer states is read from the records, never typed in by hand; whether the turn
must go to the seller follows the persona's handoff triggers. Seeded: the same records, number and
seed give the same questions. Phrasings are everyday shopper English, several per kind.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any, Protocol

from echome.answer.negotiation import TIER_LINE
from echome.answer.negotiation import read as read_haggle
from echome.answer.record_questions import amount_forms, foreign_questions
from echome.knowledge.keyword import tokenize
from echome.knowledge.lookup import ProductNames
from echome.knowledge.records import ProductRecord

KINDS = (
    "price",
    "stock",
    "options",
    "specs",
    "comparison",
    "off-catalog",
    "discount",
    "complaint",
    "human",
    "buying",
)
# The handoff trigger each kind exists to test (`handoff.settings.TRIGGERS`).
TRIGGER_OF = {
    "discount": "discount",
    "complaint": "complaint",
    "human": "customer_asked",
    "buying": "ready_to_buy",
}
FACT_KINDS = ("price", "stock", "options", "specs", "comparison")

_COMPARE_POOL = 80  # products a comparison pair is drawn from (pairs grow with its square)
REQUIRED, FORBIDDEN, EITHER = "required", "forbidden", "either"


@dataclass
class BuyerQuestion:
    question: str
    kind: str
    # Every inner list is one fact the answer states (any of its spellings). `alternatives`: other
    # sets of facts that make the answer right as well (a comparison naming the cheaper product).
    expect_all: list[list[str]] = field(default_factory=list)
    alternatives: list[list[list[str]]] = field(default_factory=list)
    offcatalog: bool = False  # the shop does not sell it: the answer declines
    handoff: str = FORBIDDEN  # REQUIRED | FORBIDDEN | EITHER
    products: list[str] = field(default_factory=list)  # the catalog names the question is about
    cheaper_first: tuple[str, str] | None = None  # comparison: (cheaper, dearer) names
    # What is asked about besides the products: a spec's or option's key, or the thing the shop
    # does not sell. A rephrased question must keep it.
    topic: str = ""
    phrased_by: str = "template"  # "template", or the model that rephrased the template's wording
    template_question: str = ""  # the template's wording, when a model rephrased it

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


_PRICE = (
    "How much is the {name}?",
    "What's the price of the {name}?",
    "What does the {name} cost?",
    "Can you tell me how much the {name} is?",
    "hi, price for the {name} please",
)
_STOCK_COUNT = (
    "How many {name} do you have in stock?",
    "How many of the {name} are left?",
    "Do you have the {name} in stock? How many?",
)
_STOCK_OUT = (
    "Is the {name} in stock?",
    "Can I get the {name} right now or is it unavailable?",
    "Is the {name} available at the moment?",
)
# An answer saying a product is unavailable, in the usual words.
OUT_OF_STOCK_WORDS = ["sold out", "out of stock", "not in stock", "none left", "unavailable", "not available"]
_OPTIONS = (
    "Which {key} options does the {name} come in?",
    "What {key} choices are there for the {name}?",
    "Can I get the {name} in a different {key}? Which ones do you have?",
)
_SPEC = (
    "What is the {key} of the {name}?",
    "Could you tell me the {key} for the {name}?",
    "quick question about the {name}: what's its {key}?",
)
_COMPARE = (
    "Which is cheaper, the {a} or the {b}?",
    "Is the {a} cheaper than the {b}?",
    "What's the price difference between the {a} and the {b}?",
)
_OFF_CATALOG = (
    "Do you sell {thing}?",
    "Have you got any {thing}?",
    "I'm looking for {thing}, do you carry those?",
)
_DISCOUNT = (
    "Can you give me a discount on the {name}?",
    "Could you knock a bit off the price of the {name}?",
    "I'd take the {name} today if you do me a deal on the price.",
    "Any chance of a cheaper price for the {name} if I buy two?",
)
_COMPLAINT = (
    "The {name} I bought from you arrived damaged. I'm not happy about this.",
    "I want to complain: my {name} stopped working after two days.",
    "My order still hasn't arrived and nobody answers my emails. This is unacceptable.",
    "I'm really disappointed, the {name} is nothing like the description.",
)
_HUMAN = (
    "Can I talk to a real person please?",
    "I'd like to speak to the owner.",
    "Please put me through to a human.",
    "Is there someone I can talk to about my order?",
)
_BUYING = (
    "I'll take the {name}. How do I pay?",
    "Great, I want to order the {name}.",
    "How can I buy the {name}?",
    "Perfect, I'll take it! The {name}, please.",
)
# Things a shop may sell, across trades: the off-catalog questions name those whose words the
# catalog never uses (a shop selling tents is not asked about tents).
GENERAL_GOODS = (
    "lawn mowers",
    "espresso machines",
    "car tyres",
    "surfboards",
    "upright pianos",
    "refrigerators",
    "corner sofas",
    "bicycle helmets",
    "aquarium filters",
    "camera drones",
    "chainsaws",
    "kayak paddles",
    "printer ink cartridges",
    "treadmills",
    "baby strollers",
    "dishwashers",
    "electric guitars",
    "camping tents",
    "golf clubs",
    "microwave ovens",
    "motor oil",
    "dog food",
    "wedding dresses",
    "snow chains",
    "roof tiles",
    "fishing rods",
    "vacuum cleaners",
    "ski goggles",
    "welding helmets",
    "hearing aids",
)
# Fact keys that are not specs a buyer asks about: the variant table, option lists, identifiers.
_NOT_SPEC_KEY = re.compile(
    r"^(?:variants?|.* options|options?|price.*|stock|sku|id|ean.*|gtin.*|barcode|url.*|image.*|"
    r"meta .*|seo .*|handle|tags?|status|visibility|tax.*)$",
    re.I,
)
_FACT_LINE = re.compile(r"^([A-Za-z][\w .&/()%-]{0,38}?):\s+(\S.{0,58})$")
_ID_LIKE = re.compile(r"^(?:[0-9a-f]{12,}|[0-9a-f-]{32,}|https?://\S+|\d+)$", re.I)
_PROMISE = re.compile(
    r"\b(?:i|we)(?:'ll| will| can| could)\s+(?:give|offer|do|take)\s+(?:you\s+)?(?:a\s+)?"
    r"(?:\d+\s*%|discount|reduction|cheaper|better price|deal)",
    re.I,
)


def promises_discount(answer: str) -> bool:
    """Whether an answer grants a discount on its own (only the seller may)."""
    return bool(_PROMISE.search(answer))


def spec_facts(p: ProductRecord) -> list[tuple[str, str]]:
    """(key, value) facts of a record a buyer may ask about: its short "Key: value" fields, without
    prices, stock, option lists and identifiers."""
    out: list[tuple[str, str]] = []
    for f in p.fields:
        if f.kind != "fact":
            continue
        for line in f.text.splitlines():
            m = _FACT_LINE.match(line.strip())
            if m is None:
                continue
            key, value = m.group(1).strip(), m.group(2).strip().rstrip(".")
            if _NOT_SPEC_KEY.match(key) or _ID_LIKE.match(value) or len(value) < 2:
                continue
            if (key, value) not in out:
                out.append((key, value))
    return out


def _amount(value: Any) -> Decimal | None:
    try:
        d = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    return d if d.is_finite() and d > 0 else None


def _variants(p: ProductRecord) -> list[dict[str, Any]]:
    return [v for v in p.attributes.get("variants") or [] if isinstance(v, dict)]


def prices_of(p: ProductRecord) -> list[Decimal]:
    """The prices an answer quotes for a record, lowest first (as `ProductFacts.offer_prices`): its
    variants' when they differ, else its own price, or its variants' one price when it has none."""
    got = sorted({d for v in _variants(p) if (d := _amount(v.get("price"))) is not None})
    if len(got) > 1:
        return got
    own = _amount(p.price)
    return [own] if own is not None else got


def options_of(p: ProductRecord) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for v in _variants(p):
        for key, value in (v.get("options") or {}).items():
            if value and str(value) not in out.setdefault(str(key), []):
                out[str(key)].append(str(value))
    return {k: vals for k, vals in out.items() if len(vals) > 1}


def catalog_vocabulary(products: Iterable[ProductRecord]) -> set[str]:
    vocab: set[str] = set()
    for p in products:
        vocab.update(tokenize(" ".join([p.name, p.category or "", p.description or ""])))
        vocab.update(tokenize(" ".join(f.text for f in p.fields)))
    return vocab


class _Maker:
    """One question of a kind at a time, each product asked about once per kind."""

    def __init__(self, products: list[ProductRecord], rng: random.Random, triggers: frozenset[str]) -> None:
        names = ProductNames((str(i), p.name, p.sku, None) for i, p in enumerate(products))
        # A product is asked about by a name that finds it alone (two products may share a name).
        self.named = [
            p
            for i, p in enumerate(products)
            if p.name and [m.product_id for m in names.find(f"the {p.name}?").mentions] == [str(i)]
        ]
        self.rng, self.triggers = rng, triggers
        self.used: dict[str, set[int]] = {}
        self.turns: dict[str, int] = {}

    def pick(self, kind: str, fits: Callable[[ProductRecord], bool]) -> ProductRecord | None:
        seen = self.used.setdefault(kind, set())
        pool = [i for i, p in enumerate(self.named) if i not in seen and fits(p)]
        if not pool:
            return None
        i = self.rng.choice(pool)
        seen.add(i)
        return self.named[i]

    def phrase(self, kind: str, templates: tuple[str, ...], **values: str) -> str:
        """Templates in turn per kind, from a seeded starting point: every phrasing is used."""
        n = self.turns.get(kind, self.rng.randrange(len(templates)))
        self.turns[kind] = n + 1
        return templates[n % len(templates)].format(**values)

    def handoff_for(self, kind: str) -> str:
        trigger = TRIGGER_OF.get(kind)
        if trigger is not None:
            return REQUIRED if trigger in self.triggers else EITHER
        return EITHER if kind == "off-catalog" else FORBIDDEN


def _price(m: _Maker) -> BuyerQuestion | None:
    p = m.pick("price", lambda p: bool(prices_of(p)))
    if p is None:
        return None
    prices = prices_of(p)
    expect = [amount_forms(prices[0])] + ([amount_forms(prices[-1])] if len(prices) > 1 else [])
    return BuyerQuestion(m.phrase("price", _PRICE, name=p.name), "price", expect, products=[p.name])


def _stock(m: _Maker) -> BuyerQuestion | None:
    p = m.pick("stock", lambda p: p.stock is not None and not _variants(p))
    if p is None or p.stock is None:
        return None
    if p.stock > 0:
        q = m.phrase("stock", _STOCK_COUNT, name=p.name)
        return BuyerQuestion(q, "stock", [[str(p.stock)]], products=[p.name])
    q = m.phrase("stock-out", _STOCK_OUT, name=p.name)
    return BuyerQuestion(q, "stock", [OUT_OF_STOCK_WORDS], products=[p.name])


def _options(m: _Maker) -> BuyerQuestion | None:
    p = m.pick("options", lambda p: bool(options_of(p)))
    if p is None:
        return None
    key, values = m.rng.choice(sorted(options_of(p).items()))
    q = m.phrase("options", _OPTIONS, key=key.lower(), name=p.name)
    return BuyerQuestion(q, "options", [[v] for v in values[:8]], products=[p.name], topic=key.lower())


def _specs(m: _Maker) -> BuyerQuestion | None:
    p = m.pick("specs", lambda p: bool(spec_facts(p)))
    if p is None:
        return None
    key, value = m.rng.choice(spec_facts(p))
    q = m.phrase("specs", _SPEC, key=key.lower(), name=p.name)
    return BuyerQuestion(q, "specs", [[value]], products=[p.name], topic=key.lower())


def _comparison(m: _Maker) -> BuyerQuestion | None:
    single = [p for p in m.named if len(prices_of(p)) == 1]
    single = m.rng.sample(single, min(len(single), _COMPARE_POOL))
    pairs = [(a, b) for a in single for b in single if prices_of(a)[0] < prices_of(b)[0]]
    seen = m.used.setdefault("comparison", set())
    pairs = [(a, b) for a, b in pairs if id(a) not in seen and id(b) not in seen]
    if not pairs:
        return None
    cheap, dear = m.rng.choice(pairs)
    seen.update((id(cheap), id(dear)))
    a, b = (cheap, dear) if m.rng.random() < 0.5 else (dear, cheap)
    q = m.phrase("comparison", _COMPARE, a=a.name, b=b.name)
    both = [amount_forms(prices_of(cheap)[0]), amount_forms(prices_of(dear)[0])]
    return BuyerQuestion(
        q,
        "comparison",
        both,
        alternatives=[[[cheap.name]]],
        products=[a.name, b.name],
        cheaper_first=(cheap.name, dear.name),
    )


def _discount(m: _Maker) -> BuyerQuestion | None:
    """A lower price asked for goes to the seller; a lower price for buying more, of a product whose
    record has tier prices, may be answered from them (the handoff trigger lets it: see
    `Haggle.answered_by`), so either way is right."""
    p = m.pick("discount", lambda _p: True)
    if p is None:
        return None
    q = m.phrase("discount", _DISCOUNT, name=p.name)
    handoff = m.handoff_for("discount")
    haggle = read_haggle(q)
    tiered = bool(p.attributes.get("tier_prices")) or any(TIER_LINE.match(f.text) for f in p.fields)
    if handoff == REQUIRED and haggle is not None and haggle.kind == "quantity" and tiered:
        handoff = EITHER
    return BuyerQuestion(q, "discount", handoff=handoff, products=[p.name] if p.name in q else [])


def _with_product(kind: str, templates: tuple[str, ...]) -> Callable[[_Maker], BuyerQuestion | None]:
    def make(m: _Maker) -> BuyerQuestion | None:
        p = m.pick(kind, lambda _p: True)
        if p is None:
            return None
        q = m.phrase(kind, templates, name=p.name)
        return BuyerQuestion(q, kind, handoff=m.handoff_for(kind), products=[p.name] if p.name in q else [])

    return make


_MAKERS: dict[str, Callable[[_Maker], BuyerQuestion | None]] = {
    "price": _price,
    "stock": _stock,
    "options": _options,
    "specs": _specs,
    "comparison": _comparison,
    "discount": _discount,
    "complaint": _with_product("complaint", _COMPLAINT),
    "human": _with_product("human", _HUMAN),
    "buying": _with_product("buying", _BUYING),
}


def _off_catalog(
    products: list[ProductRecord], others: list[ProductRecord], m: _Maker, want: int, seed: int
) -> list[BuyerQuestion]:
    """Products of other shops first (their names share few words with this catalog), then goods
    from the general list none of whose words this catalog uses."""
    out = [
        BuyerQuestion(
            q.question, "off-catalog", offcatalog=True, handoff=EITHER, topic=_named(q.question, others)
        )
        for q in foreign_questions(products, others, sample=want, seed=seed)[: (want + 1) // 2]
    ]
    vocab = catalog_vocabulary(products)
    goods = [g for g in GENERAL_GOODS if not set(tokenize(g)) & vocab]
    m.rng.shuffle(goods)
    for thing in goods[: want - len(out)]:
        q = m.phrase("off-catalog", _OFF_CATALOG, thing=thing)
        out.append(BuyerQuestion(q, "off-catalog", offcatalog=True, handoff=EITHER, topic=thing))
    return out


def _named(question: str, products: list[ProductRecord]) -> str:
    """The longest product name `question` contains (what a foreign question asks for)."""
    return max((p.name for p in products if p.name and p.name in question), key=len, default="")


def buyer_questions(
    products: list[ProductRecord],
    *,
    n: int = 50,
    seed: int = 7,
    others: list[ProductRecord] | None = None,
    triggers: Iterable[str] = (),
) -> list[BuyerQuestion]:
    """Up to `n` questions about `products`, spread over `KINDS` in turn (a kind the catalog cannot
    ask, such as stock in a catalog without stock figures, gives its turn to the others, each up
    to twice its share).
    `others`: products of other shops, asked about as things this shop does not sell. `triggers`:
    the persona's handoff triggers switched on (a discount request must go to the seller only
    when "discount" is one)."""
    rng = random.Random(seed)
    maker = _Maker(products, rng, frozenset(triggers))
    if not maker.named:
        return []
    off_catalog = _off_catalog(products, others or [], maker, n, seed)
    out: list[BuyerQuestion] = []
    live = list(KINDS)
    # No kind takes more than twice its share when the others run out (a five-product catalog).
    cap = 2 * -(-n // len(KINDS))
    while len(out) < n and live:
        for kind in list(live):
            if len(out) >= n:
                break
            if sum(q.kind == kind for q in out) >= cap:
                q = None
            elif kind == "off-catalog":
                q = off_catalog.pop(0) if off_catalog else None
            else:
                q = _MAKERS[kind](maker)
            if q is None:
                live.remove(kind)
            else:
                out.append(q)
    return out


# -- where the buyers' messages come from ------------------------------------------------------------
@dataclass
class BuyerSet:
    questions: list[BuyerQuestion]
    report: dict[str, Any]  # how they were written: {"source": "templates" | "llm", ...}


class BuyerSource(Protocol):
    """Writes the buyer questions of a test conversation (`TemplateBuyers`, `llm_buyers.LLMBuyers`)."""

    name: str

    def questions(
        self,
        products: list[ProductRecord],
        *,
        n: int,
        seed: int,
        others: list[ProductRecord] | None = None,
        triggers: Iterable[str] = (),
    ) -> BuyerSet: ...


class TemplateBuyers:
    """The questions in the templates' own words (offline, seeded)."""

    name = "templates"

    def questions(
        self,
        products: list[ProductRecord],
        *,
        n: int,
        seed: int,
        others: list[ProductRecord] | None = None,
        triggers: Iterable[str] = (),
    ) -> BuyerSet:
        qs = buyer_questions(products, n=n, seed=seed, others=others, triggers=triggers)
        return BuyerSet(qs, {"source": self.name, "questions": len(qs)})
