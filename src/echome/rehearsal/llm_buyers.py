"""Buyer questions in shoppers' own words: the seller's LLM rewrites each question the templates plan
(`buyer_questions`) the way a customer would type it, keeping what is asked so the scoring still holds.

Each planned question is sent on its own: its kind, its products, what it asks about, what a right
reply does and whether the seller takes over. The expected values (a price, a spec) are not sent, so
the buyer cannot give the answer away; nor is anything of other questions, products or customers.
Every reply is checked (`check_rephrasing`); a reply that fails a check, and a failed request, leave
that question in the template's words. The report counts both, with the reasons.
"""

from __future__ import annotations

import json
import logging
import random
import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from typing import Any

from echome.knowledge.keyword import tokenize
from echome.knowledge.records import ProductRecord
from echome.providers.base import ChatMessage, ChatModel, ProviderError
from echome.rehearsal.buyer_questions import BuyerQuestion, BuyerSet, BuyerSource

log = logging.getLogger("echome.rehearsal")

MAX_CHARS = 280
TEMPERATURE = 0.9  # varied buyers; the checks keep the meaning
MAX_TOKENS = 120
MAX_ERRORS_IN_A_ROW = 3  # then the model is down or the key is wrong: stop asking it
# How this buyer writes, one per question (chosen by the seed).
STYLES = (
    "short, all lower case, typed on a phone, one small typo",
    "friendly and chatty, a few extra words about why they ask",
    "polite and a little formal",
    "in a hurry, hardly any punctuation",
    "English is not their first language",
    "casual, with an abbreviation such as pls or thx",
)
_RIGHT_REPLY = {
    "price": "states the product's price",
    "stock": "says whether the product is in stock",
    "options": "lists the {topic} options the product comes in",
    "specs": "states the product's {topic}",
    "comparison": "says which of the two products is cheaper",
    "off-catalog": "says the shop does not sell it",
    "discount": "leaves any discount to the seller",
    "complaint": "takes the complaint up",
    "human": "passes the customer to a person",
    "buying": "passes the sale to the seller",
}
_SELLER = {"required": "yes", "forbidden": "no", "either": "maybe"}
SYSTEM = """You play a shopper writing to an online shop's chat. You get the shopper's planned \
message as JSON and write the message the shopper actually sends: the same question or request in \
their own words, the way real customers type (other wording, casual, sometimes a typo), in the style \
given.

Keep exactly what is asked, so the shop's reply can be checked against the plan:
- name every product in "products", in full or by a part of its name that fits only that product;
- keep what it asks about ("asks_about") and the same request: a price question stays a price \
question, a complaint stays a complaint, asking for a person stays asking for a person, saying \
they will buy stays saying so;
- add no numbers, prices, sizes, colours or other details that are not in the planned message, and \
do not guess the answer;
- one message of at most {max_words} words: no second question, no notes, no greeting alone.

Reply with the shopper's message only, without quotes or explanation."""

_LABEL = re.compile(r"^\W*(?:shopper|customer|buyer|message|rephrased)(?:'s message)?\W*:\W*", re.I)
_QUOTES = ("\"'\u201c\u2018\u00ab", "\"'\u201d\u2019\u00bb")  # straight, curly, guillemets
_META = re.compile(
    r"^(?:sure|certainly|of course)\b|\b(?:rephras\w*|rewrit\w*|rewritten)\b|\bas an ai\b"
    r"|\b(?:language model|system prompt|the planned message)\b|\b(?:system|assistant|user)\s*:"
    r"|\b(?:ignore|disregard|forget)\b[^.!?]{0,40}\b(?:instructions?|rules|prompt|above|previous)\b"
    r"|\b(?:reply|respond|answer|write)\s+(?:only|in json|as (?:a|an|if)\b)|\byou are now\b|\bpretend\b"
    r"|```|<\|?/?[a-z_]*\|?>|\[/?inst\]|https?://",
    re.I,
)
_LIST_ITEM = re.compile(r"(?m)^\s*(?:\d+[.)]|[-*•])\s")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)?")
_NUMBER_WORDS = {  # "if I buy two" may become "if i buy 2"
    w: str(i)
    for i, w in enumerate(("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine",
                           "ten", "eleven", "twelve"))
}  # fmt: skip
FACT_KINDS = ("price", "options", "specs", "comparison")  # whose expected values the buyer must not say


def _norm(token: str) -> str:
    """One spelling for singular and plural ("benches" and "bench", "mugs" and "mug")."""
    if len(token) > 4 and token.endswith(("ches", "shes", "xes", "sses")):
        return token[:-2]
    if len(token) > 3 and token.endswith("s") and not token.endswith("ss"):
        return token[:-1]
    return token


def _words(text: str) -> set[str]:
    return {_norm(t) for t in tokenize(text)}


def _numbers(text: str) -> set[str]:
    return {n.replace(",", ".") for n in _NUMBER.findall(text)}


def _has(text: str, phrase: str) -> bool:
    return re.search(rf"(?<!\w){re.escape(phrase.lower())}(?!\w)", text.lower()) is not None


def _names(words: set[str], name: str, catalog: Sequence[tuple[str, set[str]]]) -> bool:
    """Whether `words` name the product: its name's words, or some of them that no other product's
    name has all of ("the oak bench" for the Oak Garden Bench, unless another name has both)."""
    own = _words(name)
    kept = own & words
    if not kept:
        return False
    if kept == own:  # in full (a longer name around it is `_named_in_full`'s to catch)
        return True
    return not any(kept <= other for other_name, other in catalog if other_name != name and other != own)


def _named_in_full(words: set[str], catalog: Sequence[tuple[str, set[str]]]) -> set[str]:
    return {name for name, own in catalog if own and own <= words}


def _keeps_topic(words: set[str], q: BuyerQuestion) -> bool:
    topic = [t for t in _words(q.topic) if not t.isdigit()]
    if not topic:
        return True
    if q.offcatalog:  # the thing asked for: at least half of its words
        return len(set(topic) & words) * 2 >= len(topic)
    # a spec's or option's key, or a word of it ("colours" for colour, "color" for colour)
    return any(t == w or (len(t) >= 4 and len(w) >= 4 and t[:4] == w[:4]) for t in topic for w in words)


def clean(text: str) -> str:
    """The message without wrapping quotes or a leading "Customer:" label, on one line."""
    text = text.strip()
    for _ in range(3):
        before = text
        text = _LABEL.sub("", text).strip()
        if len(text) >= 2 and text[0] in _QUOTES[0] and text[-1] in _QUOTES[1]:
            text = text[1:-1].strip()
        if text == before:
            break
    return " ".join(text.split())


def check_rephrasing(
    reply: str,
    q: BuyerQuestion,
    *,
    catalog: Sequence[tuple[str, set[str]]],
    max_chars: int = MAX_CHARS,
) -> tuple[str, str | None]:
    """(the cleaned message, None) when it still asks what `q` asks, else (it, the problem).
    `catalog`: every product name of the shop with its `_words`."""
    text = clean(reply)
    if not re.search(r"[^\W\d_]", text):
        return text, "empty"
    if len(text) > max_chars:
        return text, "too long"
    lines = [line for line in reply.strip().splitlines() if line.strip()]
    if len(lines) > 3 or len(_LIST_ITEM.findall(reply)) > 1:
        return text, "several messages"
    if _META.search(text):
        return text, "not a shopper's message"
    words, planned = _words(text), _words(q.question)
    if any(not _names(words, name, catalog) for name in q.products):
        return text, "drops the product name"
    if _named_in_full(words, catalog) - _named_in_full(planned, catalog):
        return text, "names another product"
    if not _keeps_topic(words, q):
        return text, "drops what is asked about"
    allowed = _numbers(q.question) | {n for w, n in _NUMBER_WORDS.items() if _has(q.question, w)}
    if _numbers(text) - allowed:
        return text, "adds numbers"
    if q.kind in FACT_KINDS and not q.offcatalog:
        said = (s for group in q.expect_all for s in group if len(s.strip()) >= 2)
        if any(_has(text, s) and not _has(q.question, s) for s in said):
            return text, "gives the answer away"
    return text, None


def plan_of(q: BuyerQuestion, style: str) -> dict[str, Any]:
    """What the model is told about one question: never the expected values."""
    plan: dict[str, Any] = {"kind": q.kind, "planned_message": q.question, "products": list(q.products)}
    if q.topic:
        plan["asks_about"] = q.topic
    plan["a_right_reply"] = _RIGHT_REPLY.get(q.kind, "answers it").format(topic=q.topic or "detail")
    plan["seller_takes_over"] = _SELLER.get(q.handoff, "maybe")
    plan["style"] = style
    return plan


class LLMBuyers:
    """A `BuyerSource`: the `templates`' questions, each rephrased by `model` where the rephrasing
    passes `check_rephrasing`, else in the template's words."""

    name = "llm"

    def __init__(
        self,
        model: ChatModel,
        *,
        templates: BuyerSource,
        max_chars: int = MAX_CHARS,
        temperature: float = TEMPERATURE,
        max_errors: int = MAX_ERRORS_IN_A_ROW,
        say: Callable[[str], None] = lambda _m: None,
    ) -> None:
        self.model = model
        self.templates = templates
        self.max_chars = max_chars
        self.temperature = temperature
        self.max_errors = max_errors
        self.say = say

    def questions(
        self,
        products: list[ProductRecord],
        *,
        n: int,
        seed: int,
        others: list[ProductRecord] | None = None,
        triggers: Iterable[str] = (),
    ) -> BuyerSet:
        planned = self.templates.questions(products, n=n, seed=seed, others=others, triggers=triggers)
        return self.rephrase(planned.questions, catalog=[p.name for p in products if p.name], seed=seed)

    def messages(self, q: BuyerQuestion, style: str) -> list[ChatMessage]:
        return [
            ChatMessage("system", SYSTEM.format(max_words=max(8, self.max_chars // 7))),
            ChatMessage("user", json.dumps(plan_of(q, style), ensure_ascii=False)),
        ]

    def rephrase(self, planned: list[BuyerQuestion], *, catalog: Iterable[str], seed: int) -> BuyerSet:
        rng = random.Random(seed)
        names = [(name, _words(name)) for name in dict.fromkeys(catalog)]
        out: list[BuyerQuestion] = []
        reasons: Counter[str] = Counter()
        errors: list[str] = []
        tokens = {"input": 0, "output": 0}
        in_a_row = 0
        self.say(f"{self.model.name} rephrasing {len(planned)} buyer questions")
        for q in planned:
            style = rng.choice(STYLES)  # drawn for every question, so one failure shifts no other
            if in_a_row >= self.max_errors:
                reasons["not asked after repeated errors"] += 1
                out.append(q)
                continue
            try:
                reply = self.model.complete(
                    self.messages(q, style), temperature=self.temperature, max_tokens=MAX_TOKENS
                )
            except ProviderError as exc:
                in_a_row += 1
                reasons["error"] += 1
                if len(errors) < 3:
                    errors.append(str(exc)[:200])
                log.warning("buyer rephrasing failed", extra={"error": str(exc)[:300]})
                out.append(q)
                continue
            in_a_row = 0
            tokens["input"] += reply.input_tokens
            tokens["output"] += reply.output_tokens
            text, problem = check_rephrasing(reply.text, q, catalog=names, max_chars=self.max_chars)
            if problem is not None:
                reasons[problem] += 1
                out.append(q)
                continue
            out.append(replace(q, question=text, phrased_by=self.name, template_question=q.question))
        phrased = sum(q.phrased_by == self.name for q in out)
        report: dict[str, Any] = {
            "source": self.name,
            "model": self.model.name,
            "questions": len(out),
            "llm_phrased": phrased,
            "fallback": len(out) - phrased,
            "fallback_reasons": dict(reasons),
            "tokens": tokens,
        }
        if errors:
            report["errors"] = errors
        return BuyerSet(out, report)
