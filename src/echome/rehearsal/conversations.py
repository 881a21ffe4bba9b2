"""Test conversations before going live (`echome eval conversations`): buyer questions generated from
a persona's own catalog are answered by the persona's real answer pipeline and scored — facts right,
declines right, handed to the seller where it should be and not where it should not.

Nothing of the seller's is changed. Each question is asked as a new customer on the "eval" channel,
whose client, conversation and messages are deleted after the answer. The handoff part is replaced
by `DryRunHandoff`, which asks the persona's real triggers what they would decide and does nothing
(no draft kept, no conversation moved, no seller notified, no job started).

Style: given the persona's profile, the answers the persona gave itself (not handed to the seller)
are measured against the seller's own speech (`persona.fidelity`: fillers in the voice notes'
words, catchphrases, sentence length, formality, vocabulary) and reported as `style`, with each
measure's range check; style does not count towards a question's pass or fail.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Protocol

from sqlalchemy import delete, select
from sqlalchemy.orm import Session, sessionmaker

from echome.answer.evidence import has_own_catalog
from echome.answer.handoff_port import CustomerTurn, DraftFacts, HandoffOutcome
from echome.answer.quality import Question, catalog_numbers, score
from echome.db.models import Client, Conversation, Message, Product, ProductChunk
from echome.db.session import transaction
from echome.handoff.desk import customer_notice
from echome.handoff.state import settings_of
from echome.handoff.triggers import TurnFacts, decide
from echome.knowledge.records import Field, ProductRecord
from echome.persona.fidelity import fidelity_report
from echome.rehearsal.buyer_questions import FORBIDDEN, REQUIRED, BuyerQuestion, promises_discount

if TYPE_CHECKING:
    from decimal import Decimal

    from echome.answer.pipeline import Answerer

EVAL_CHANNEL = "eval"
CLIENT_PREFIX = "conversation-eval:"
# Handoffs the seller asked for themselves: never a wrong handoff.
SELLERS_OWN = ("rule", "approval")
_FACT_LINE = re.compile(r"^[A-Za-z][\w .&/()%-]{0,38}?:\s+\S")
_CHEAPER = re.compile(
    r"\b(?:cheaper|less expensive|lower price|more affordable|costs? less|the cheapest)\b", re.I
)


# -- the persona's catalog, as records --------------------------------------------------------------
def persona_catalog(sessions: sessionmaker[Session], *, user_id: str, persona_id: str) -> list[ProductRecord]:
    """The products the persona sells (its own catalogs, or the seller's shared ones when it has
    none), as records; their "Key: value" facts are read back from the stored chunks."""
    with sessions() as db:
        own = has_own_catalog(db, user_id=user_id, persona_id=persona_id)
        where = Product.persona_id == persona_id if own else Product.persona_id.is_(None)
        rows = db.scalars(
            select(Product).where(Product.user_id == user_id, where).order_by(Product.external_key)
        ).all()
        facts: dict[str, list[Field]] = {}
        chunks = db.execute(
            select(ProductChunk.product_id, ProductChunk.field, ProductChunk.content)
            .join(Product, Product.id == ProductChunk.product_id)
            .where(ProductChunk.user_id == user_id, where)
            .order_by(ProductChunk.product_id, ProductChunk.chunk_index)
        ).all()
        for product_id, name, content in chunks:
            lines = (content or "").splitlines()
            if name == "product":  # a short product in one chunk: its overview line, then its fields
                lines = lines[1:]
            elif name == "overview":
                continue
            facts.setdefault(product_id, []).extend(
                Field(name or "", line.strip(), kind="fact")
                for line in lines
                if _FACT_LINE.match(line.strip())
            )
        return [
            ProductRecord(
                external_key=p.external_key,
                name=p.name,
                sku=p.sku,
                description=p.description,
                price=p.price,
                currency=p.currency,
                stock=p.stock,
                url=p.url,
                category=p.category,
                attributes=dict(p.attributes or {}),
                fields=facts.get(p.id, []),
            )
            for p in rows
        ]


def known_numbers(
    sessions: sessionmaker[Session], *, user_id: str, products: Iterable[ProductRecord]
) -> set[Decimal]:
    """Every number the persona may state: its products' values, everything their stored chunks say
    (a field that is no "Key: value" line, such as "Price 7.99, reduced from 9.98 (old price)", is
    not among the records' facts) and the seller's store information."""
    products = list(products)
    texts = [
        " ".join(
            [
                p.name,
                p.sku or "",
                p.description or "",
                str(p.price or ""),
                str(p.stock if p.stock is not None else ""),
                json.dumps(p.attributes, default=str),
                *(f.text for f in p.fields),
            ]
        )
        for p in products
    ]
    keys = [p.external_key for p in products]
    with sessions() as db:
        texts.extend(
            db.scalars(
                select(ProductChunk.content).where(
                    ProductChunk.user_id == user_id, ProductChunk.product_id.is_(None)
                )
            ).all()
        )
        for start in range(0, len(keys), 500):  # bound the SQL variables per query
            texts.extend(
                db.scalars(
                    select(ProductChunk.content)
                    .join(Product, Product.id == ProductChunk.product_id)
                    .where(Product.user_id == user_id, Product.external_key.in_(keys[start : start + 500]))
                ).all()
            )
    return catalog_numbers("\n".join(texts))


# -- the handoff part that only looks ----------------------------------------------------------------
@dataclass(eq=False)
class DryRunHandoff:
    """A handoff part (`answer.handoff_port.HandoffPart`) that decides with the persona's real
    settings and triggers, remembers the decision, and acts on nothing."""

    sessions: sessionmaker[Session]
    decisions: dict[str, str | None] = field(default_factory=dict)  # conversation id -> reason
    told: dict[str, str] = field(default_factory=dict)  # conversation id -> what the customer reads

    def covers(self, channel: str) -> bool:
        return True

    def may_stream(self, persona_id: str, question: str) -> bool:
        return False

    def hold(self, turn: CustomerTurn) -> HandoffOutcome | None:
        return None

    def consider(self, turn: CustomerTurn, draft: DraftFacts) -> HandoffOutcome | None:
        with self.sessions() as db:
            settings = settings_of(db, turn.persona_id)
        decision = decide(TurnFacts.of_draft(turn.question, draft), settings)
        reason = decision.reason if decision is not None else None
        if reason is None and settings.approval_mode == "all":
            reason = "approval"
        self.decisions[turn.conversation_id] = reason
        if reason is not None:  # live, the desk sends this instead of the draft
            self.told[turn.conversation_id] = customer_notice(
                reason, language=turn.language, name=turn.persona_name, draft=draft.draft
            )
        return None  # the draft stands as the answer, so it can be scored


# -- scoring --------------------------------------------------------------------------------------
@dataclass
class ConversationResult:
    question: str
    kind: str
    answer: str
    mode: str
    handoff: str | None  # the reason the turn would go to the seller, or None
    expected_handoff: str  # "required" | "forbidden" | "either"
    facts_ok: bool
    decline_ok: bool
    handoff_ok: bool
    why: list[str]
    spoken: str = ""  # what the voice note would say (the seller's fillers in)
    told: str = ""  # what the customer would read live: the answer, or the handoff notice instead
    phrased_by: str = "template"  # who wrote the buyer's message: "template" or "llm"
    template_question: str = ""  # the template's wording, when an LLM rephrased it

    @property
    def passed(self) -> bool:
        return self.facts_ok and self.decline_ok and self.handoff_ok

    def as_dict(self) -> dict[str, Any]:
        return {**self.__dict__, "passed": self.passed}


def _names_cheaper(answer: str, cheaper: str, dearer: str) -> bool:
    """ "So the A is the cheaper one", "A costs less than B": a sentence naming the cheaper product
    before words of being cheaper, and the dearer one (if at all) after them."""
    for sentence in re.split(r"(?<=[.!?])\s+", answer):
        low, word = sentence.lower(), _CHEAPER.search(sentence)
        at, other = low.find(cheaper.lower()), low.find(dearer.lower())
        if word is not None and 0 <= at < word.start() and (other < 0 or other > word.start()):
            return True
    return False


def judge(
    q: BuyerQuestion, answer: str, *, mode: str, handoff: str | None, known: set[Decimal]
) -> ConversationResult:
    """One answer against what its question expects."""
    why: list[str] = []
    s = score(Question(q.question, q.expect_all, offcatalog=q.offcatalog), answer, known=known, mode=mode)
    facts_ok = decline_ok = True
    if q.offcatalog:
        decline_ok = s.declined
        if not s.declined:
            why.append("not declined (the shop does not sell it)")
        if s.invented:
            facts_ok = False
            why.append(f"states numbers {', '.join(s.invented[:5])} about something it does not sell")
    else:
        missing = s.missing
        if missing and q.cheaper_first and _names_cheaper(answer, *q.cheaper_first):
            missing = []
        if q.expect_all and s.declined:
            decline_ok = False
            why.append("declined a question about a product it sells")
        if missing:
            facts_ok = False
            why.append("missing " + "; ".join("/".join(g[:4]) for g in missing[:4]))
        if s.invented:
            facts_ok = False
            why.append(f"invented numbers {', '.join(s.invented[:5])}")
        if q.kind == "discount" and handoff is None and promises_discount(answer):
            facts_ok = False
            why.append("grants a discount itself")
    handoff_ok = True
    if q.handoff == REQUIRED and handoff is None:
        handoff_ok = False
        why.append("not handed to the seller")
    elif q.handoff == FORBIDDEN and handoff is not None and handoff not in SELLERS_OWN:
        handoff_ok = False
        why.append(f"handed to the seller ({handoff})")
    return ConversationResult(
        q.question, q.kind, answer, mode, handoff, q.handoff, facts_ok, decline_ok, handoff_ok, why,
        phrased_by=q.phrased_by, template_question=q.template_question,
    )  # fmt: skip


def summarise(results: list[ConversationResult]) -> dict[str, Any]:
    by_kind: dict[str, dict[str, Any]] = {}
    by_phrasing: dict[str, dict[str, Any]] = {}  # template wording beside LLM-rephrased buyers
    for r in results:
        for table, key in ((by_kind, r.kind), (by_phrasing, r.phrased_by)):
            row = table.setdefault(key, {"questions": 0, "passed": 0})
            row["questions"] += 1
            row["passed"] += int(r.passed)
    for row in (*by_kind.values(), *by_phrasing.values()):
        row["pass_rate"] = round(row["passed"] / row["questions"], 3)
    passed = sum(r.passed for r in results)
    return {
        "questions": len(results),
        "passed": passed,
        "pass_rate": round(passed / len(results), 3) if results else None,
        "by_kind": by_kind,
        "by_phrasing": by_phrasing,
        "failing": [r.as_dict() for r in results if not r.passed],
    }


# -- the run --------------------------------------------------------------------------------------
def forget_clients(sessions: sessionmaker[Session], *, user_id: str, refs: Iterable[str]) -> None:
    """Delete the test customers, their conversations and messages."""
    refs = list(refs)
    if not refs:
        return
    with transaction(sessions) as db:
        clients = db.scalars(
            select(Client.id).where(
                Client.user_id == user_id, Client.channel == EVAL_CHANNEL, Client.external_id.in_(refs)
            )
        ).all()
        if not clients:
            return
        convs = db.scalars(select(Conversation.id).where(Conversation.client_id.in_(clients))).all()
        if convs:
            db.execute(delete(Message).where(Message.conversation_id.in_(convs)))
            db.execute(delete(Conversation).where(Conversation.id.in_(convs)))
        db.execute(delete(Client).where(Client.id.in_(clients)))


def left_over_refs(sessions: sessionmaker[Session], *, user_id: str) -> list[str]:
    """Test customers an interrupted run left behind."""
    with sessions() as db:
        return list(
            db.scalars(
                select(Client.external_id).where(
                    Client.user_id == user_id,
                    Client.channel == EVAL_CHANNEL,
                    Client.external_id.startswith(CLIENT_PREFIX),
                )
            ).all()
        )


class TurnAnswerer(Protocol):
    """Answers one customer turn (`answer.pipeline.Answerer`)."""

    def answer(
        self, *, user_id: str, persona_id: str, question: str, channel: str, client_ref: str
    ) -> Any: ...


def dry_run_answerer(answerer: Answerer) -> Callable[[DryRunHandoff], TurnAnswerer]:
    """The persona's own pipeline with the handoff part swapped for `handoff` and no voice."""
    return lambda handoff: replace(answerer, speaker=None, handoff=handoff)


def run_conversation_eval(
    answering: Callable[[DryRunHandoff], TurnAnswerer],
    sessions: sessionmaker[Session],
    *,
    user_id: str,
    persona_id: str,
    questions: list[BuyerQuestion],
    known: set[Decimal],
    profile: dict[str, Any] | None = None,
    say: Callable[[str], None] = lambda _m: None,
) -> dict[str, Any]:
    """Ask every question as a new customer through `answering(handoff part)` (the persona's own
    pipeline: `dry_run_answerer`), score the answers, and delete the test customers."""
    forget_clients(sessions, user_id=user_id, refs=left_over_refs(sessions, user_id=user_id))
    desk = DryRunHandoff(sessions)
    dry = answering(desk)
    results: list[ConversationResult] = []
    say(f"asking {len(questions)} questions")
    for i, q in enumerate(questions):
        ref = f"{CLIENT_PREFIX}{persona_id}:{i}"
        try:
            a = dry.answer(
                user_id=user_id,
                persona_id=persona_id,
                question=q.question,
                channel=EVAL_CHANNEL,
                client_ref=ref,
            )
        finally:
            forget_clients(sessions, user_id=user_id, refs=[ref])
        reason = desk.decisions.get(a.conversation_id or "")
        r = judge(q, a.answer, mode=a.mode, handoff=reason, known=known)
        r.spoken = getattr(a, "spoken", "") or ""
        r.told = desk.told.get(a.conversation_id or "", a.answer)
        results.append(r)
    own = [r for r in results if r.handoff is None and r.mode != "handed-off" and r.answer]
    style = None
    if profile is not None and own:
        style = fidelity_report(profile, [r.answer for r in own], [r.spoken or r.answer for r in own])
    return {**summarise(results), "style": style, "answers": [r.as_dict() for r in results]}
