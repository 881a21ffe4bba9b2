"""Client memory: who the customer is (keyed by channel identity), the conversation so far, and notes
that each turn updates — name, preferences, budget, objections, products discussed, sales stage.

Notes come from rules by default; with a language model the model proposes them as JSON (validated)
and the rules still own what the citations prove (products discussed) and fill what the model left.
"""

from __future__ import annotations

import json
import logging
import re
from typing import Any

import jsonschema
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from echome.answer.evidence import Evidence
from echome.db.models import Client, Conversation, Message
from echome.providers.base import ChatMessage, ChatModel, ProviderError

log = logging.getLogger("echome.answer")

STAGES = ("new", "browsing", "interested", "considering", "objection", "ready_to_buy", "needs_seller")
REPLY_MODES = ("voice", "text", "mirror")
HISTORY_TURNS = 6
MAX_LIST = 8

_NAME = re.compile(r"\b(?:my name is|call me|name's)\s+([A-Za-z][A-Za-z'-]{1,30})", re.I)
_NAME_CAP = re.compile(r"\b(?:i am|i'm|im|this is|it's|it is)\s+([A-Z][a-z'-]{1,30})\b")
_NOT_NAMES = {"looking", "interested", "not", "just", "here", "back", "sure", "fine", "good", "from", "after"}
_BUDGET = re.compile(
    r"(?:budget(?: is| of)?|spend|under|below|less than|up to|max(?:imum)?|no more than|around)\s*"
    r"(?:is\s*)?([$€£]?)\s?(\d[\d,]*(?:\.\d+)?)\s*(dollars|usd|bucks|eur|euros?|pounds|gbp)?",
    re.I,
)
_PREFERENCE = re.compile(
    r"\b(?:i (?:prefer|like|love|want|need)|i'm looking for|looking for|i'm after|interested in)\s+"
    r"([^.?!,;]{3,60})",
    re.I,
)
_OBJECTIONS = [
    ("price too high", re.compile(r"\b(too (?:expensive|pricey|much)|expensive|overpriced|cheaper)\b", re.I)),
    ("shipping time", re.compile(r"\b(shipping|delivery) (?:is|takes|seems) (?:too )?(?:slow|long)\b", re.I)),
    ("unsure", re.compile(r"\b(not sure|unsure|think about it|maybe later|hesitant)\b", re.I)),
    (
        "comparing elsewhere",
        re.compile(r"\b(elsewhere|other (?:shop|store|seller)s?|on amazon|competitor)", re.I),
    ),
    ("fit or compatibility", re.compile(r"\b(won't fit|doesn't fit|not compatible|incompatible)\b", re.I)),
]
_BUY = re.compile(
    r"\b(buy|order|purchase|checkout|check out|add to cart|i'll take|how (?:do|can) i pay|payment)\b", re.I
)
_CONSIDER = re.compile(
    r"\b(price|cost|how much|stock|available|availability|ship|shipping|delivery|warranty|return|size|"
    r"colou?r)\b",
    re.I,
)
_CURRENCY = {"$": "USD", "€": "EUR", "£": "GBP", "dollars": "USD", "usd": "USD", "bucks": "USD",
             "eur": "EUR", "euro": "EUR", "euros": "EUR", "pounds": "GBP", "gbp": "GBP"}  # fmt: skip

NOTES_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["name", "preferences", "budget", "objections", "stage"],
    "properties": {
        "name": {"type": ["string", "null"]},
        "preferences": {"type": "array", "items": {"type": "string"}, "maxItems": MAX_LIST},
        "budget": {"type": ["string", "null"]},
        "objections": {"type": "array", "items": {"type": "string"}, "maxItems": MAX_LIST},
        "stage": {"type": "string", "enum": list(STAGES)},
    },
}


# -- storage -------------------------------------------------------------------------------------
def client_for(
    db: Session, *, user_id: str, persona_id: str, channel: str, external_id: str, name: str | None = None
) -> Client:
    """The client behind a channel identity (Telegram user id, e-mail address), created on first contact."""
    q = select(Client).where(
        Client.user_id == user_id, Client.channel == channel, Client.external_id == external_id
    )
    client = db.scalars(q).first()
    if client is None:
        client = Client(
            user_id=user_id,
            persona_id=persona_id,
            channel=channel,
            external_id=external_id,
            name=(name or None) and name[:200],
            notes={"stage": "new"},
        )
        db.add(client)
        try:
            db.flush()
        except IntegrityError:  # the same customer's other message created it a moment ago
            db.rollback()
            client = db.scalars(q).one()
    elif name and not client.name:
        client.name = name[:200]
    return client


def conversation_for(db: Session, client: Client, *, persona_id: str) -> Conversation:
    conv = db.scalars(
        select(Conversation)
        .where(Conversation.client_id == client.id, Conversation.persona_id == persona_id)
        .order_by(Conversation.created_at.desc(), Conversation.id.desc())
    ).first()
    if conv is None:
        conv = Conversation(
            user_id=client.user_id, persona_id=persona_id, client_id=client.id, channel=client.channel
        )
        db.add(conv)
        db.flush()
    return conv


def start_over(db: Session, client: Client, *, persona_id: str) -> Conversation:
    """/reset: a new conversation, and notes forgotten except the customer's name and reply mode."""
    keep = {k: v for k, v in (client.notes or {}).items() if k in ("reply_mode",)}
    client.notes = {**keep, "stage": "new"}
    conv = Conversation(
        user_id=client.user_id, persona_id=persona_id, client_id=client.id, channel=client.channel
    )
    db.add(conv)
    db.flush()
    return conv


def history(db: Session, conversation_id: str, *, turns: int = HISTORY_TURNS) -> list[tuple[str, str]]:
    """The last turns as the customer saw them: their messages ("user") and what they were sent
    ("assistant": the persona's replies and the seller's own). Drafts waiting for the seller are
    not part of it."""
    rows = db.scalars(
        select(Message)
        .where(Message.conversation_id == conversation_id, Message.role.in_(("user", "assistant", "seller")))
        .order_by(Message.created_at.desc(), Message.id.desc())
        .limit(2 * turns)
    ).all()
    return [("user" if m.role == "user" else "assistant", m.content) for m in reversed(rows)]


# -- notes ---------------------------------------------------------------------------------------
def _add(items: list[Any], value: Any) -> list[Any]:
    out = [i for i in items if i != value] + [value]
    return out[-MAX_LIST:]


def rule_notes(notes: dict[str, Any], *, question: str, evidence: Evidence | None) -> dict[str, Any]:
    """The notes after one customer turn, from rules alone."""
    n = dict(notes)
    m = _NAME.search(question) or _NAME_CAP.search(question)
    if m and m.group(1).lower() not in _NOT_NAMES:
        n["name"] = m.group(1).capitalize()
    b = _BUDGET.search(question)
    if b:
        currency = _CURRENCY.get((b.group(1) or b.group(3) or "").lower())
        n["budget"] = {
            "amount": b.group(2).replace(",", ""),
            "currency": currency,
            "text": b.group(0).strip(),
        }
    prefs = list(n.get("preferences") or [])
    for p in _PREFERENCE.finditer(question):
        prefs = _add(prefs, p.group(1).strip().lower())
    if prefs:
        n["preferences"] = prefs
    objections = list(n.get("objections") or [])
    objected = False
    for label, rx in _OBJECTIONS:
        if rx.search(question):
            objections, objected = _add(objections, label), True
    if objections:
        n["objections"] = objections
    top = evidence.top_product() if evidence is not None else None
    if top is not None:
        n["products_discussed"] = _add(
            list(n.get("products_discussed") or []), {"product_id": top.id, "name": top.name, "sku": top.sku}
        )
        n["current_product"] = top.id
    n["stage"] = _stage(str(n.get("stage") or "new"), question, evidence, objected)
    n["turns"] = int(n.get("turns") or 0) + 1
    return n


def _stage(previous: str, question: str, evidence: Evidence | None, objected: bool) -> str:
    if _BUY.search(question):
        return "ready_to_buy"
    if evidence is not None and evidence.empty:
        return "needs_seller"
    if objected:
        return "objection"
    if _CONSIDER.search(question):
        return "considering" if previous != "ready_to_buy" else previous
    if evidence is not None and not evidence.empty:
        return previous if previous in ("considering", "ready_to_buy", "objection") else "interested"
    return previous if previous != "new" else "browsing"


def llm_notes(
    chat: ChatModel, notes: dict[str, Any], *, question: str, answer: str, evidence: Evidence | None
) -> dict[str, Any]:
    """The model's reading of the turn, validated; anything it gets wrong falls back to the rules."""
    ruled = rule_notes(notes, question=question, evidence=evidence)
    shown = {k: notes.get(k) for k in ("name", "preferences", "budget", "objections", "stage")}
    prompt = (
        "Update the notes a salesperson keeps about a customer after this exchange. Keep what still "
        "holds, add what is new, never invent.\n"
        f"Current notes: {json.dumps(shown, ensure_ascii=False)}\n"
        f"Customer: {question}\nSalesperson: {answer}\n"
        f"Stages: {', '.join(STAGES)}. Budget as the customer said it (e.g. 'under $50') or null."
    )
    try:
        result = chat.complete(
            [ChatMessage("user", prompt)], json_schema=NOTES_SCHEMA, temperature=0.0, max_tokens=300
        )
        data = json.loads(result.text)
        jsonschema.validate(data, NOTES_SCHEMA)
    except (ProviderError, ValueError, jsonschema.ValidationError) as exc:
        log.info("client notes: model reply unusable, rules used", extra={"error": str(exc)[:200]})
        return ruled
    merged = dict(ruled)
    if data.get("name"):
        merged["name"] = str(data["name"])[:100]
    for key in ("preferences", "objections"):
        if data.get(key):
            merged[key] = [str(x)[:120] for x in dict.fromkeys(data[key])][-MAX_LIST:]
    if data.get("budget"):
        merged["budget"] = {**(ruled.get("budget") or {}), "text": str(data["budget"])[:60]}
    if ruled["stage"] != "needs_seller":  # what retrieval proved outranks the model's guess
        merged["stage"] = data["stage"]
    return merged
