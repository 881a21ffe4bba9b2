"""One customer turn → hand off or not, and why.

Checked in this order (the first that holds is the reason): the customer asks for a person; one of
the seller's own rules; a complaint; a discount; a custom order; ready to buy ("I'll take it, how do I
pay?": the seller closes the sale); the guardrail cut a fact from the draft; nothing in the catalog
answered. Each built-in trigger can be switched off per persona
(`handoff_triggers`); the seller's rules always apply.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from echome.answer.handoff_port import DraftFacts
from echome.answer.negotiation import read as read_haggle
from echome.handoff import vocabulary as vocab
from echome.handoff.rules import compile_rules, first_match
from echome.handoff.settings import HandoffSettings
from echome.handoff.texts import reason_text


@dataclass(frozen=True)
class TurnFacts:
    """What the pipeline knows of a turn once the draft is checked."""

    question: str
    mode: str = "composer"  # "llm" | "composer" | "no-evidence"
    removed: tuple[str, ...] = ()  # sentences the guardrail cut from the draft that would be sent
    intents: tuple[str, ...] = ()  # the composer's reading of the question
    products: tuple[str, ...] = ()  # names of the catalog products the answer is about (its citations)

    @classmethod
    def of_draft(cls, question: str, draft: DraftFacts) -> TurnFacts:
        """The turn as the persona's checked draft leaves it."""
        names = tuple(str(c["name"]) for c in draft.citations if isinstance(c, dict) and c.get("name"))
        return cls(question, draft.mode, draft.removed, draft.intents, names)


@dataclass(frozen=True)
class Decision:
    reason: str  # a code: customer_asked, rule, complaint, discount, custom_order, guardrail_cut, ...
    text: str  # the reason in the seller's words
    detail: str | None = None  # the customer's words that triggered it, or the rule's reason
    data: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"reason": self.reason, "text": self.text, "detail": self.detail, **self.data}


def decide(facts: TurnFacts, settings: HandoffSettings) -> Decision | None:
    on = settings.triggers
    asked = without_names(facts.question, facts.products)
    said = vocab.intents_in(asked)
    if "customer_asked" in on and vocab.HUMAN in said:
        return _made("customer_asked", said[vocab.HUMAN])
    hit = first_match(compile_rules(list(settings.rules)), facts.question)
    if hit is not None:
        rule, words = hit
        return Decision("rule", reason_text("rule", rule.reason), rule.reason, {"matched": words[:100]})
    if "complaint" in on and vocab.COMPLAINT in said:
        return _made("complaint", said[vocab.COMPLAINT])
    if "discount" in on:
        # A lower price asked for; one for buying more is the persona's to answer when the reply
        # stated the catalog's tier prices (`Haggle.answered_by`).
        haggle = read_haggle(asked)
        if haggle is not None and not haggle.answered_by(facts.intents):
            return _made("discount", haggle.words)
    if "custom_order" in on and vocab.CUSTOM_ORDER in said:
        return _made("custom_order", said[vocab.CUSTOM_ORDER])
    if "ready_to_buy" in on and vocab.READY_TO_BUY in said:
        return _made("ready_to_buy", said[vocab.READY_TO_BUY])
    if "guardrail_cut" in on and facts.removed:
        return Decision(
            "guardrail_cut",
            reason_text("guardrail_cut"),
            None,
            {"removed": [s[:200] for s in facts.removed[:5]]},
        )
    if "no_evidence" in on and (facts.mode == "no-evidence" or "no-detail" in facts.intents):
        # Nothing relevant, or the product is ours but the catalog does not say what was asked: the
        # draft can only offer to pass the question on, so it is passed on.
        return _made("no_evidence", None)
    return None


def without_names(question: str, names: Sequence[str]) -> str:
    """The question (normalised) without the product names it quotes: asking the price of "Kicker
    Champ, individuell gestaltbar" is no request for a custom order, nor is a question about the
    "Complaint Box" a complaint. Names of one word are left (a product called "Custom" must not
    hide "can I get a custom one?"). The seller's own rules still read the whole question."""
    text = vocab.normalise(question)
    for name in sorted({vocab.normalise(n) for n in names if n}, key=len, reverse=True):
        if len(name.split()) >= 2:
            text = text.replace(name, " ; ")
    return text


def _made(reason: str, words: str | None) -> Decision:
    return Decision(reason, reason_text(reason, words), words)
