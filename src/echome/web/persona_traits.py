"""The persona editor's traits: what each overridable profile field is called, how its measured
value reads in words, the evidence behind it, and how a seller's typed value becomes an override.

The fields and their validation are `persona/schema.py`'s; this module only turns them into words
and form controls (one text box, a list of lines, a number, a choice) and back. A typed value is
saved in the shape the answer stage reads the measured one in, so that merging it over the measured
profile (`persona/profile.py` merge) changes only what the seller changed: the tone is the seller's
word for their energy (`tone.energy`, which the prompt prefers to the measured label while the
measured mood stays), the formality a label with a score inside that label's band.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from echome.persona.schema import APPROACHES, SELLER_FIELDS, override_errors, phrase_text
from echome.persona.style import formality_label

Kind = Literal["text", "long", "lines", "number", "choice", "choices"]
MAX_QUOTES = 3
MAX_TONE = 60  # characters of `tone.energy` (persona/schema.py)
FORMALITY = ("casual", "neutral", "formal")
# The score a chosen formality stands for when the measured one lies in another label's band: the
# middle of its band in persona/style.py (casual < 0.45 <= neutral < 0.7 <= formal), so the style
# summary never reads "formal language (formality 0.31)".
FORMALITY_SCORE = {"casual": 0.25, "neutral": 0.57, "formal": 0.85}
assert all(formality_label(score) == label for label, score in FORMALITY_SCORE.items())


@dataclass(frozen=True)
class Trait:
    field: str
    label: str
    group: str
    kind: Kind
    hint: str
    options: tuple[str, ...] = ()
    unit: str = ""
    default: str = ""  # what applies when nothing is measured or set (a setting, not a measure)


GROUPS = ("Who you are", "How you talk", "How you sell")
TRAITS: tuple[Trait, ...] = (
    Trait("role", "Role", GROUPS[0], "text", "Who you are, e.g. “owner of a small linen shop”."),
    Trait("backstory", "Backstory", GROUPS[0], "long", "Facts about you your persona may mention."),
    Trait("personality_traits", "Personality", GROUPS[0], "lines", "One trait per line: warm, patient…"),
    Trait("tone", "Tone", GROUPS[1], "text", "In a few words, e.g. “warm and calm”."),
    Trait("formality", "Formality", GROUPS[1], "choice", "How formally you speak.", options=FORMALITY),
    Trait("greeting", "Greeting", GROUPS[1], "text", "How you open a conversation. Empty: no greeting."),
    Trait("sign_off", "Sign-off", GROUPS[1], "text", "How you close a conversation. Empty: no sign-off."),
    Trait("catchphrases", "Catchphrases", GROUPS[1], "lines", "One phrase per line."),
    Trait("fillers", "Filler words", GROUPS[1], "lines", "One per line: “um”, “you know”…"),
    Trait("speech_patterns", "Speech habits", GROUPS[1], "lines", "One habit per line."),
    Trait("vocabulary", "Signature words", GROUPS[1], "lines", "Words you use often, one per line."),
    Trait("speaking_rate_wpm_overall", "Speaking rate", GROUPS[1], "number", "Words per minute.", unit="wpm"),
    Trait(
        "speaking_rate_label",
        "Pace",
        GROUPS[1],
        "choice",
        "How fast you speak.",
        options=("slow", "moderate", "fast"),
    ),
    Trait("sentence_length", "Sentence length", GROUPS[1], "number", "Words per sentence.", unit="words"),
    Trait(
        "style_strength",
        "Style strength",
        GROUPS[1],
        "choice",
        "How much of your catchphrases (text) and fillers (voice notes) replies carry.",
        options=("off", "natural", "strong"),
        default="natural (your own rates)",
    ),
    Trait("selling", "Selling approach", GROUPS[2], "choices", "Tick all that fit.", options=APPROACHES),
    Trait("dos", "Always", GROUPS[2], "lines", "What a rep speaking as you always does, one per line."),
    Trait("donts", "Never", GROUPS[2], "lines", "What a rep speaking as you never does, one per line."),
)
BY_FIELD = {t.field: t for t in TRAITS}
assert set(BY_FIELD) <= set(SELLER_FIELDS), "every trait is a field the schema lets a seller set"


class TraitInputError(ValueError):
    """What is wrong with a typed value, in words for the field's error line."""


# -- reading: values in words -----------------------------------------------------------------
def _num(value: Any) -> str:
    return f"{value:,.0f}" if abs(value) >= 10 else f"{value:.2g}"


def _texts(value: Any) -> list[str]:
    out = []
    for item in value if isinstance(value, list) else []:
        text = phrase_text(item) if isinstance(item, str | dict) else None
        if text:
            out.append(text)
    return out


def in_words(trait: Trait, value: Any, *, measured: bool = True) -> str:
    """The value as a seller reads it ("" when there is none). Of a seller's own value (`measured`
    False) only what they chose is said, not the score stored with it."""
    if value is None:
        return ""
    f = trait.field
    if isinstance(value, dict):
        if f == "tone":
            parts = [str(value.get("energy") or value.get("energy_label") or "")]
            mood = value.get("sentiment_mean")
            if isinstance(mood, int | float):
                parts.append("positive" if mood > 0.15 else "negative" if mood < -0.15 else "even")
            return ", ".join(p for p in parts if p)
        if f == "formality":
            score = value.get("score")
            label = str(value.get("label") or "")
            if measured and isinstance(score, int | float) and label:
                return f"{label} ({score:.2f} of 1)"
            return label
        if f == "sentence_length":
            mean = value.get("mean")
            return f"{_num(mean)} words on average" if isinstance(mean, int | float) else ""
        if f == "selling":
            return ", ".join(str(a) for a in value.get("approach") or [])
        if f == "vocabulary":
            return ", ".join(_texts(value.get("signature_words")))
        return phrase_text(value) or ""
    if isinstance(value, list):
        return ", ".join(_texts(value))
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float):
        return f"{_num(value)} {trait.unit}".strip()
    return str(value)


def form_value(trait: Trait, value: Any) -> str | list[str]:
    """What the edit control starts with: the current value, in the control's own shape."""
    if value is None:
        return [] if trait.kind == "choices" else ""
    if trait.kind == "lines":
        items = value.get("signature_words") if isinstance(value, dict) else value
        return "\n".join(_texts(items))
    if trait.kind == "choices":
        return [str(a) for a in (value.get("approach") or [])] if isinstance(value, dict) else []
    if trait.kind == "number":
        number = value.get("mean") if isinstance(value, dict) else value
        return f"{number:g}" if isinstance(number, int | float) else ""
    if trait.kind == "choice":
        if isinstance(value, dict):  # formality: {"label", "score"}
            value = value.get("label")
        return str(value) if isinstance(value, str) else ""
    if trait.field == "tone" and isinstance(value, dict):  # the word for it, not the measured mood
        return str(value.get("energy") or value.get("energy_label") or "")
    return in_words(trait, value)


def quotes(value: Any, limit: int = MAX_QUOTES) -> list[dict[str, Any]]:
    """The evidence under a measured value (its own, then its parts'), each once, at most `limit`."""
    found: list[dict[str, Any]] = []
    seen: set[tuple[Any, ...]] = set()

    def walk(node: Any) -> None:
        if len(found) >= limit:
            return
        if isinstance(node, dict):
            for item in node.get("evidence") or [] if isinstance(node.get("evidence"), list) else []:
                if isinstance(item, dict) and isinstance(item.get("text"), str) and len(found) < limit:
                    key = (item.get("media_id"), item.get("start"), item["text"])
                    if key not in seen:
                        seen.add(key)
                        found.append(item)
            for key, child in node.items():
                if key != "evidence":
                    walk(child)
        elif isinstance(node, list):
            for child in node:
                walk(child)

    walk(value)
    return found


def playable(quote: dict[str, Any]) -> bool:
    """A quote that knows its recording and moment (profiles measured before the mapping do not)."""
    return (
        isinstance(quote.get("media_id"), str)
        and isinstance(quote.get("start"), int | float)
        and isinstance(quote.get("end"), int | float)
    )


# -- writing: typed values → an override ------------------------------------------------------
def _lines(raw: str) -> list[str]:
    return [" ".join(line.split()) for line in raw.splitlines() if line.strip()]


def parse(trait: Trait, raw: str, chosen: list[str], *, measured: Any = None) -> Any:
    """The override value for what the seller typed (TraitInputError when it is not one), in the
    shape the answer stage reads; `measured` is the field's measured value, if any."""
    text = " ".join(raw.split()) if trait.kind != "long" else raw.strip()
    if trait.kind == "lines":
        items = _lines(raw)
        return {"signature_words": items} if trait.field == "vocabulary" else items
    if trait.kind == "choices":
        return {"approach": [c for c in trait.options if c in chosen]}
    if trait.kind == "number":
        try:
            number = float(text.replace(",", "."))
        except ValueError:
            raise TraitInputError("Type a number, for example 140.") from None
        if number != number or number in (float("inf"), float("-inf")):
            raise TraitInputError("Type a number, for example 140.")
        return {"mean": number} if trait.field == "sentence_length" else number
    if trait.field in ("greeting", "sign_off") and not text:
        return None  # "none": the schema's null
    if trait.kind == "choice" and text not in trait.options:
        raise TraitInputError("Choose one of: " + ", ".join(trait.options) + ".")
    if not text:
        raise TraitInputError("Type a value, or use “Use the measured value” to remove your change.")
    if trait.field == "tone":
        if len(text) > MAX_TONE:
            raise TraitInputError(
                f"Say it in {MAX_TONE} characters or fewer (this is {len(text)}), e.g. “warm and calm”."
            )
        return {"energy": text}
    if trait.field == "formality":
        return {"label": text, "score": _formality_score(text, measured)}
    return text


def _formality_score(label: str, measured: Any) -> float:
    """The measured score when it lies in the chosen label's band, else that band's middle."""
    score = measured.get("score") if isinstance(measured, dict) else None
    in_range = isinstance(score, int | float) and not isinstance(score, bool) and 0 <= score <= 1
    if in_range and formality_label(float(score)) == label:
        return float(score)
    return FORMALITY_SCORE[label]


def problem(field: str, value: Any) -> str | None:
    """The schema's objection to an override value, worded for the field's error line."""
    errors = override_errors({field: value})
    if not errors:
        return None
    message = errors[0].split(": ", 1)[-1]  # without "invalid profile field 'x'"
    message = message.split(f" ({field} takes", 1)[0]
    return message[:1].upper() + message[1:] + "."
