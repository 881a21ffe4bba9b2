"""The seller's LLM writes the reply; the guardrail checks every fact before the customer reads it.

`write_draft`: the whole reply at once. When a fact is not in the evidence, the model rewrites once
with the problems spelled out; whatever still fails is cut.

`stream_draft`: the reply as the model writes it (`ChatModel.stream`). Each sentence is checked the
moment it is complete and handed to `shown` at once, so a customer reads (and hears) the first
sentence while the model is still writing the rest. The first sentence that fails stops the stream:
the model is asked once to continue from what the customer has already read, with the problems
spelled out, and the continuation's sentences are checked and shown the same way (a failing one is
cut). What was shown is never taken back, so the reply is always `shown` pieces joined.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from echome.answer.guardrail import Check, Claim, correction
from echome.providers.base import ChatMessage, ChatModel, ProviderError
from echome.voice.sentences import text_pieces

log = logging.getLogger("echome.answer")
MAX_TOKENS = 300
FIRST_TEMPERATURE, REWRITE_TEMPERATURE = 0.4, 0.2

Checker = Callable[[str], Check]  # the guardrail for one draft (or one sentence) of this turn


@dataclass
class Draft:
    check: Check  # the reply as it may be sent (`check.text`), with what was cut
    tokens: dict[str, int] = field(default_factory=lambda: {"input": 0, "output": 0})
    guardrail: dict[str, Any] = field(default_factory=dict)
    error: str | None = None  # the model failed before anything was shown: the caller composes instead
    streamed: bool = False  # the text went to `shown` piece by piece


def write_draft(model: ChatModel, messages: list[ChatMessage], check: Checker) -> Draft:
    try:
        reply = model.complete(messages, temperature=FIRST_TEMPERATURE, max_tokens=MAX_TOKENS)
    except ProviderError as exc:
        return Draft(Check(text=""), error=str(exc)[:300])
    draft = Draft(check(reply.text), {"input": reply.input_tokens, "output": reply.output_tokens})
    draft.guardrail["first_draft"] = draft.check.as_dict()
    if not draft.check.ok:
        retry = [
            *messages,
            ChatMessage("assistant", reply.text),
            ChatMessage("user", correction(draft.check)),
        ]
        try:
            again = model.complete(retry, temperature=REWRITE_TEMPERATURE, max_tokens=MAX_TOKENS)
            _add_tokens(draft, again.input_tokens, again.output_tokens)
            draft.check = check(again.text)
            draft.guardrail["regenerated"] = draft.check.as_dict()
        except ProviderError as exc:
            draft.guardrail["regenerate_error"] = str(exc)[:200]
    return draft


class _Shown:
    """The pieces handed to the customer so far; joined they are the start of the reply."""

    def __init__(self, sink: Callable[[str], None]) -> None:
        self.sink = sink
        self.pieces: list[str] = []

    @property
    def text(self) -> str:
        return "".join(self.pieces)

    def show(self, piece: str) -> None:
        if not self.pieces:
            piece = piece.lstrip()
        elif not self.pieces[-1][-1:].isspace() and not piece[:1].isspace():
            piece = " " + piece  # two sentences of two drafts never run together
        if piece.strip():
            self.pieces.append(piece)
            self.sink(piece)


def _sentences_of(pieces: Iterable[str]) -> Iterable[str]:
    """Complete sentences as `pieces` (text deltas) arrive; the rest once the pieces run out."""
    buffer = ""
    for delta in pieces:
        buffer += delta
        parts = text_pieces(buffer.lstrip()) if buffer.strip() else []
        if len(parts) > 1:  # the last part may still grow ("12." then "99")
            yield from parts[:-1]
            buffer = parts[-1]
    if buffer.strip():
        yield from text_pieces(buffer.lstrip())


@dataclass
class _Pass:
    failed: Check | None = None  # the first sentence that failed, when the pass stopped there
    written: str = ""  # everything the model wrote in this pass (up to the failure)
    removed: list[str] = field(default_factory=list)
    unsupported: list[Claim] = field(default_factory=list)


def _stream_pass(
    model: ChatModel, messages: Sequence[ChatMessage], temperature: float, check: Checker, shown: _Shown,
    *, stop_on_failure: bool, draft: Draft,
) -> _Pass:  # fmt: skip
    out = _Pass()
    stream = model.stream(messages, temperature=temperature, max_tokens=MAX_TOKENS)
    try:
        for sentence in _sentences_of(stream):
            out.written += sentence
            result = check(sentence)
            if result.ok:
                shown.show(sentence)
                continue
            if stop_on_failure:
                out.failed = result
                break
            out.removed.extend(result.removed)
            out.unsupported.extend(result.unsupported)
    finally:
        stream.close()  # stopping early releases the connection
        _add_tokens(draft, stream.input_tokens, stream.output_tokens)
    return out


def stream_draft(
    model: ChatModel, messages: list[ChatMessage], check: Checker, shown: Callable[[str], None]
) -> Draft:
    out = _Shown(shown)
    draft = Draft(Check(text=""), streamed=True)
    t = time.perf_counter()
    try:
        first = _stream_pass(
            model, messages, FIRST_TEMPERATURE, check, out, stop_on_failure=True, draft=draft
        )
    except ProviderError as exc:
        if not out.pieces:  # nothing shown: the caller composes the reply instead
            return Draft(Check(text=""), draft.tokens, error=str(exc)[:300], streamed=True)
        log.warning("LLM stream broke off; the reply ends where it was", extra={"error": str(exc)[:300]})
        draft.guardrail["stream_error"] = str(exc)[:200]
        draft.check = Check(text=out.text.strip())
        return draft
    draft.guardrail["first_draft"] = (first.failed or Check(text="")).as_dict()
    draft.guardrail["stream_seconds"] = round(time.perf_counter() - t, 4)
    if first.failed is None:
        draft.check = Check(text=out.text.strip())
        return draft
    problem = correction(first.failed)
    if out.pieces:
        problem += (
            f' The customer has already read the start of your reply: "{out.text.strip()}". Write only '
            "what should follow it, without repeating any of it."
        )
    retry = [*messages, ChatMessage("assistant", first.written), ChatMessage("user", problem)]
    try:
        again = _stream_pass(
            model, retry, REWRITE_TEMPERATURE, check, out, stop_on_failure=False, draft=draft
        )
        draft.check = Check(text=out.text.strip(), unsupported=again.unsupported, removed=again.removed)
        draft.guardrail["regenerated"] = draft.check.as_dict()
    except ProviderError as exc:
        draft.guardrail["regenerate_error"] = str(exc)[:200]
        draft.check = Check(
            text=out.text.strip(), unsupported=first.failed.unsupported, removed=first.failed.removed
        )
    return draft


def _add_tokens(draft: Draft, input_tokens: int, output_tokens: int) -> None:
    draft.tokens = {
        "input": draft.tokens.get("input", 0) + input_tokens,
        "output": draft.tokens.get("output", 0) + output_tokens,
    }
