"""Optional LLM step of persona analysis: describe the seller's role, tone and selling style.

The measured profile (speaking rate, fillers, phrases, pitch ...) is the ground truth. The LLM only
adds descriptive fields under their own keys; `merge_llm_traits` never lets it overwrite a measured
value. Replies are validated against `PERSONA_SCHEMA`; an invalid reply is sent back to the model
with the validation errors, up to `max_attempts` times.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Sequence
from typing import Any

from jsonschema import Draft202012Validator

from echome.providers.base import ChatMessage, ChatModel

_LIST_FIELDS = ("personality_traits", "speech_patterns", "dos", "donts")
_TEXT_FIELDS = ("role", "tone", "backstory", "selling_style")
LLM_FIELDS = (
    "role",
    "personality_traits",
    "tone",
    "speech_patterns",
    "dos",
    "donts",
    "backstory",
    "selling_style",
)

_LIST = {"type": "array", "items": {"type": "string"}}
# Only keywords OpenAI's strict structured output accepts: every property required, no extras.
PERSONA_SCHEMA: dict[str, Any] = {
    "title": "persona",
    "type": "object",
    "properties": {
        "role": {"type": "string", "description": "What the seller does, e.g. 'owner of a small bakery'"},
        "personality_traits": {**_LIST, "description": "3-6 adjectives or short phrases"},
        "tone": {"type": "string", "description": "How they sound to a customer, in a few words"},
        "speech_patterns": {**_LIST, "description": "Recurring phrasings, greetings, sign-offs, habits"},
        "dos": {**_LIST, "description": "Things a rep speaking as them should do"},
        "donts": {**_LIST, "description": "Things a rep speaking as them should avoid"},
        "backstory": {
            "type": "string",
            "description": "Facts about the seller they state themselves; '' if none",
        },
        "selling_style": {"type": "string", "description": "How they persuade: demos, stories, urgency ..."},
    },
    "required": list(LLM_FIELDS),
    "additionalProperties": False,
}
_VALIDATOR = Draft202012Validator(PERSONA_SCHEMA)

_NOT_TRAITS = frozenset({"sources", "media", "notes", "evidence", "examples"})
MAX_TRANSCRIPT_CHARS = 12_000  # about 3,000 tokens: enough to hear the style, cheap on any model
MAX_LIST_ITEMS = 8
MAX_TEXT_CHARS = 800
_SYSTEM = (
    "You study how a seller talks so an AI sales assistant can answer customers the way they would. "
    "Work only from the seller's own words in the transcript: do not invent products, prices, "
    "credentials or life events. The measured facts come from analysing their audio and are accurate; "
    "stay consistent with them. Reply with one JSON object and nothing else, with exactly these keys: "
    "role (string), personality_traits (list of strings), tone (string), speech_patterns (list of "
    "strings, quote their typical phrases), dos (list), donts (list), backstory (string, '' when they "
    "say nothing about themselves), selling_style (string). Keep lists to at most "
    f"{MAX_LIST_ITEMS} short items."
)


class PersonaExtractionError(ValueError):
    """The model did not produce a valid persona within the allowed attempts."""

    def __init__(self, message: str, *, attempts: int, errors: Sequence[str]) -> None:
        super().__init__(message)
        self.attempts = attempts
        self.errors = list(errors)


def extract_persona_llm(
    chat: ChatModel, *, transcript_text: str, measured: dict[str, Any], max_attempts: int = 3
) -> dict[str, Any]:
    """The LLM's persona fields (validated, tidied). Provider errors propagate unchanged."""
    messages = [
        ChatMessage("system", _SYSTEM),
        ChatMessage("user", _user_prompt(transcript_text, measured)),
    ]
    errors: list[str] = []
    for _attempt in range(max(1, max_attempts)):
        reply = chat.complete(messages, json_schema=PERSONA_SCHEMA, temperature=0.2, max_tokens=1200)
        value, errors = parse_persona(reply.text)
        if value is not None:
            return value
        messages += [
            ChatMessage("assistant", reply.text[:4000]),
            ChatMessage(
                "user",
                "That reply is not valid: "
                + "; ".join(errors)
                + ". Reply again with only the corrected JSON object.",
            ),
        ]
    raise PersonaExtractionError(
        f"the model gave no valid persona in {max(1, max_attempts)} attempts: {'; '.join(errors)}"[:500],
        attempts=max(1, max_attempts),
        errors=errors,
    )


def parse_persona(text: str) -> tuple[dict[str, Any] | None, list[str]]:
    """(persona, []) when `text` holds a valid persona, else (None, error messages)."""
    data = _loads(text)
    if data is None:
        return None, ["the reply is not a JSON object"]
    errors = [
        f"{'/'.join(str(p) for p in e.absolute_path) or 'object'}: {e.message}"
        for e in sorted(_VALIDATOR.iter_errors(data), key=lambda e: list(e.absolute_path))[:6]
    ]
    if errors:
        return None, errors
    value = _tidy(data)
    missing = [k for k in ("role", "tone", "selling_style") if not value[k]]
    if not value["personality_traits"]:
        missing.append("personality_traits")
    if missing:
        return None, [f"{k}: must not be empty" for k in missing]
    return value, []


def merge_llm_traits(measured: dict[str, Any], llm: dict[str, Any]) -> dict[str, Any]:
    """Measured traits plus the LLM's fields; a measured value is never replaced.

    An LLM field whose key the measured profile already has (e.g. `tone`) is kept as `llm_<key>`.
    `sources` says where each key came from; keys an earlier merge took from the LLM are refreshed.
    """
    out = copy.deepcopy(measured)
    sources: dict[str, str] = dict(out.pop("sources", None) or {})
    for key in out:
        sources.setdefault(key, "measured")
    for key, value in llm.items():
        if key == "sources":
            continue
        target = key if key not in out or sources.get(key) == "llm" else f"llm_{key}"
        if target in out and sources.get(target) != "llm":
            continue  # the measured profile even has `llm_<key>`: leave it alone
        out[target] = copy.deepcopy(value)
        sources[target] = "llm"
    out["sources"] = sources
    return out


def _loads(text: str) -> Any:
    text = text.strip()
    fenced = re.match(r"^```[a-zA-Z]*\s*(.*?)\s*```$", text, re.S)
    if fenced:
        text = fenced.group(1)
    for candidate in (text, text[text.find("{") : text.rfind("}") + 1]):
        try:
            value = json.loads(candidate)
        except ValueError:
            continue
        if isinstance(value, dict):
            return value
    return None


def _tidy(data: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key in _TEXT_FIELDS:
        out[key] = " ".join(str(data[key]).split())[:MAX_TEXT_CHARS]
    for key in _LIST_FIELDS:
        seen: set[str] = set()
        items: list[str] = []
        for item in data[key]:
            item = " ".join(str(item).split())[:200]
            if item and item.lower() not in seen:
                seen.add(item.lower())
                items.append(item)
        out[key] = items[:MAX_LIST_ITEMS]
    return out


def _user_prompt(transcript_text: str, measured: dict[str, Any]) -> str:
    facts = summarize_measured(measured)
    excerpt, cut = truncate_transcript(transcript_text)
    label = "Excerpts of the transcript" if cut else "Transcript"
    parts = []
    if facts:
        parts.append("Measured from the seller's recordings:\n" + facts)
    parts.append(f'{label} (the seller speaking):\n"""\n{excerpt}\n"""')
    return "\n\n".join(parts)


def summarize_measured(measured: dict[str, Any], *, max_chars: int = 1500) -> str:
    """A few lines of the measured numbers and lists (nested dicts one level deep)."""
    sources = measured.get("sources") or {}
    lines: list[str] = []
    for key, value in measured.items():
        if key in _NOT_TRAITS or sources.get(key) == "llm":
            continue
        if isinstance(value, dict):
            inner = [f"{k}={_short(v)}" for k, v in value.items() if k not in _NOT_TRAITS and _short(v)]
            if inner:
                lines.append(f"- {key}: " + ", ".join(inner[:8]))
        elif _short(value):
            lines.append(f"- {key}: {_short(value)}")
    text = "\n".join(lines)
    return text if len(text) <= max_chars else text[: text.rfind("\n", 0, max_chars)]


def _short(value: Any) -> str:
    if isinstance(value, dict):  # e.g. {"count": 4, "per_minute": 0.8, "phrases": [...]}
        value = value.get("text", value.get("count"))
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float):
        return f"{value:.3g}"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return value[:80]
    if isinstance(value, list | tuple):
        items = []
        for item in value[:8]:
            if isinstance(item, dict):  # e.g. {"text": "you know", "count": 12}
                item = next((item[k] for k in ("text", "phrase", "word", "name") if k in item), None)
            rendered = _short(item)
            if rendered:
                items.append(f'"{rendered}"' if isinstance(item, str) else rendered)
        return ", ".join(items)[:200]
    return ""


def truncate_transcript(text: str, budget: int = MAX_TRANSCRIPT_CHARS) -> tuple[str, bool]:
    """The whole text when it fits, else three excerpts (start, middle, end) cut at word boundaries."""
    text = " ".join(text.split())
    if len(text) <= budget:
        return text, False
    gap = "\n[…]\n"
    part = (budget - 2 * len(gap)) // 3
    pieces = []
    for start in (0, (len(text) - part) // 2, len(text) - part):
        piece = text[start : start + part]
        if start > 0:
            piece = piece[piece.find(" ") + 1 :]
        if start + part < len(text):
            piece = piece[: piece.rfind(" ")]
        pieces.append(piece)
    return gap.join(pieces), True
