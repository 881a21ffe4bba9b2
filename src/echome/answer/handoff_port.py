"""The answer pipeline's optional handoff part, as the pipeline sees it (implemented by
`echome.handoff.desk.HandoffDesk`, given to `Answerer` by the composition root).

Two moments in a turn:
- `hold`: the conversation is not the persona's (handed off, or the seller answers). The customer's
  message is already recorded; the part tells the seller and says what the customer gets (a short
  acknowledgement once per burst, or nothing). None: the conversation is the persona's again.
- `consider`: the persona's draft is written and checked. The part decides whether to hand off; if
  so it keeps the draft for the seller and says what the customer is told instead.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Protocol


@dataclass(frozen=True)
class CustomerTurn:
    user_id: str
    persona_id: str
    persona_name: str
    conversation_id: str
    client_id: str
    channel: str
    question: str
    question_id: str  # the customer's message, already stored
    language: str


@dataclass(frozen=True)
class DraftFacts:
    draft: str  # what the persona would send
    mode: str  # "llm" | "composer" | "no-evidence"
    removed: tuple[str, ...] = ()  # sentences the guardrail cut from it
    intents: tuple[str, ...] = ()
    citations: list[dict[str, Any]] = field(default_factory=list)
    guardrail: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class HandoffOutcome:
    text: str  # what the customer is told now; "" = nothing is sent
    state: str  # the conversation's state after the turn: "waiting" | "seller"
    reason: str  # a reason code ("customer_asked", "no_evidence", "approval", "rule", ...)
    reason_text: str  # the reason in the seller's words
    message_id: str | None = None  # the stored message holding `text`
    draft_id: str | None = None  # the persona's draft, kept for the seller (never shown to the customer)
    acknowledged: bool = False  # `hold`: this message got an acknowledgement

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class HandoffPart(Protocol):
    def covers(self, channel: str) -> bool:
        """Whether conversations on this channel can be handed off (not the seller's Test chat)."""
        ...

    def may_stream(self, persona_id: str, question: str) -> bool:
        """Whether the reply to `question` may reach the customer while it is written: nothing known
        before the draft (approval mode, the question's own triggers) hands the turn to the seller."""
        ...

    def hold(self, turn: CustomerTurn) -> HandoffOutcome | None: ...

    def consider(self, turn: CustomerTurn, draft: DraftFacts) -> HandoffOutcome | None: ...
