"""The persona profile fields a seller may set by hand (overrides), their types, and their validation.

`OVERRIDE_SCHEMA` (JSON Schema, checked with `jsonschema`) lists every field the prompt
(`answer/prompt.py`), the offline composer (`answer/composer.py`) and the style summary
(`persona/style.py`) read from the merged profile. Any other field, or a value of another type, is
refused with a message naming the field and what it takes.

Fields and types (a "phrase" is a string, or an object `{"text": ..., "count", "per_minute",
"evidence"}` as the analyser measures it):

===========================  ===============================================================
role                         string: who you are, e.g. "owner of a small linen shop"
backstory                    string: facts about you the assistant may mention
personality_traits           list of strings: "warm", "patient" ...
speech_patterns              list of strings: habits of speech to imitate
dos / donts                  lists of strings: what a rep speaking as you always / never does
tone                         string ("warm and calm"), or an object with `energy` (your word for
                             it: "calm", "energetic" ...; wins over the measured `energy_label`),
                             `energy_label` (calm | moderate | energetic), `sentiment_mean` (-1..1)
formality                    string ("casual"), or an object with `label` (casual | neutral |
                             formal) and `score` (0..1)
greeting / sign_off          phrase, or null for none: how you open / close a conversation
catchphrases / fillers       lists of phrases
speaking_rate_wpm_overall    number (words per minute, pauses included; the rate the summary shows)
speaking_rate_wpm            number (words per minute while talking; shown when the overall
                             rate is not measured)
speaking_rate_label          slow | moderate | fast
sentence_length              object with `mean` (words per sentence)
selling                      object with `approach`: list of consultative, benefit-led,
                             feature-led, benefits-and-features, urgency, social-proof,
                             storyteller, call-to-action
vocabulary                   object with `signature_words`: list of phrases
style_strength               off | natural | strong: how much of your catchphrases (text) and
                             fillers (voice notes) replies carry (`persona/manner.py`)
===========================  ===============================================================

Only new overrides are checked: stored profiles (and the measured `auto_extracted` part, which
holds many more fields) load as they are.
"""

from __future__ import annotations

from typing import Any

from jsonschema import Draft202012Validator, ValidationError

_TEXT = {"type": "string", "minLength": 1, "maxLength": 2000}
_SHORT = {"type": "string", "minLength": 1, "maxLength": 300}
_STRINGS = {"type": "array", "items": _SHORT, "maxItems": 30}
_PHRASE_OBJECT = {
    "type": "object",
    "properties": {
        "text": _SHORT,
        "count": {"type": "integer", "minimum": 0},
        "per_minute": {"type": "number", "minimum": 0},
        "evidence": {"type": "array"},
    },
    "required": ["text"],
    "additionalProperties": False,
}
_PHRASE = {"oneOf": [_SHORT, _PHRASE_OBJECT]}
_PHRASES = {"type": "array", "items": _PHRASE, "maxItems": 30}
_RATE = {"type": "number", "minimum": 0, "maximum": 500}
APPROACHES = (
    "consultative",
    "benefit-led",
    "feature-led",
    "benefits-and-features",
    "urgency",
    "social-proof",
    "storyteller",
    "call-to-action",
)


def _field(schema: dict[str, Any], takes: str) -> dict[str, Any]:
    return {**schema, "description": takes}


OVERRIDE_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "persona profile overrides",
    "type": "object",
    "properties": {
        "role": _field(_SHORT, 'a string, e.g. "owner of a small linen shop"'),
        "backstory": _field(_TEXT, "a string: facts about you the assistant may mention"),
        "personality_traits": _field(_STRINGS, 'a list of strings, e.g. ["warm", "patient"]'),
        "speech_patterns": _field(_STRINGS, "a list of strings"),
        "dos": _field(_STRINGS, "a list of strings"),
        "donts": _field(_STRINGS, "a list of strings"),
        "tone": _field(
            {
                "oneOf": [
                    _SHORT,
                    {
                        "type": "object",
                        "properties": {
                            "energy": {"type": "string", "minLength": 1, "maxLength": 60},
                            "energy_label": {"enum": ["calm", "moderate", "energetic"]},
                            "sentiment_mean": {"type": "number", "minimum": -1, "maximum": 1},
                        },
                        "additionalProperties": False,
                    },
                ]
            },
            'a string ("warm and calm") or an object with energy (e.g. "calm"), energy_label '
            "(calm, moderate or energetic), sentiment_mean (-1 to 1)",
        ),
        "formality": _field(
            {
                "oneOf": [
                    _SHORT,
                    {
                        "type": "object",
                        "properties": {
                            "label": {"enum": ["casual", "neutral", "formal"]},
                            "score": {"type": "number", "minimum": 0, "maximum": 1},
                        },
                        "additionalProperties": False,
                    },
                ]
            },
            'a string ("casual") or an object with label (casual, neutral or formal) and score (0 to 1)',
        ),
        "greeting": _field(
            {"oneOf": [_SHORT, _PHRASE_OBJECT, {"type": "null"}]},
            'a string ("Hey friend!"), an object {"text": ...}, or null for no greeting',
        ),
        "sign_off": _field(
            {"oneOf": [_SHORT, _PHRASE_OBJECT, {"type": "null"}]},
            'a string ("Talk soon!"), an object {"text": ...}, or null for no sign-off',
        ),
        "catchphrases": _field(_PHRASES, 'a list of strings or {"text": ...} objects'),
        "fillers": _field(_PHRASES, 'a list of strings or {"text": ..., "per_minute": ...} objects'),
        "speaking_rate_wpm_overall": _field(_RATE, "a number of words per minute (0 to 500)"),
        "speaking_rate_wpm": _field(_RATE, "a number of words per minute (0 to 500)"),
        "speaking_rate_label": _field({"enum": ["slow", "moderate", "fast"]}, "slow, moderate or fast"),
        "style_strength": _field({"enum": ["off", "natural", "strong"]}, "off, natural or strong"),
        "sentence_length": _field(
            {
                "type": "object",
                "properties": {"mean": {"type": "number", "minimum": 0, "maximum": 200}},
                "additionalProperties": False,
            },
            "an object with mean (words per sentence)",
        ),
        "selling": _field(
            {
                "type": "object",
                "properties": {
                    "approach": {"type": "array", "items": {"enum": list(APPROACHES)}, "uniqueItems": True}
                },
                "additionalProperties": False,
            },
            "an object with approach: a list of " + ", ".join(APPROACHES),
        ),
        "vocabulary": _field(
            {
                "type": "object",
                "properties": {"signature_words": _PHRASES},
                "additionalProperties": False,
            },
            "an object with signature_words: a list of strings",
        ),
    },
    "additionalProperties": False,
}
Draft202012Validator.check_schema(OVERRIDE_SCHEMA)
SELLER_FIELDS: tuple[str, ...] = tuple(sorted(OVERRIDE_SCHEMA["properties"]))

_TYPE_NAMES = {
    "string": "a string",
    "object": "an object",
    "array": "a list",
    "number": "a number",
    "integer": "a whole number",
    "boolean": "true or false",
    "null": "null",
}


def override_errors(values: Any) -> list[str]:
    """Why `values` (field → new override value) cannot be saved; [] when they can.

    Messages name the field and what it takes, never echo the value itself."""
    if not isinstance(values, dict):
        return [f"overrides must be an object of field → value, not {_json_type(values)}"]
    out: list[str] = []
    for key in values:
        if key not in OVERRIDE_SCHEMA["properties"]:
            out.append(f"unknown profile field {key!r}; fields you can set: {', '.join(SELLER_FIELDS)}")
    for field in sorted(k for k in values if k in OVERRIDE_SCHEMA["properties"]):
        prop = OVERRIDE_SCHEMA["properties"][field]
        errors = sorted(
            Draft202012Validator(prop).iter_errors(values[field]), key=lambda e: list(e.absolute_path)
        )
        if errors:
            hint = ""
            if values[field] is None:
                hint = "; to bring back the measured value, remove the override instead"
            out.append(
                f"invalid profile field {field!r}: {_describe(errors[0], field)} "
                f"({field} takes {prop['description']}){hint}"
            )
    return out


def _where(field: str, err: ValidationError) -> str:
    return field + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in err.absolute_path)


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true or false"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def _types_of(schema: dict[str, Any]) -> list[str]:
    if "type" in schema:
        kinds = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        return [_TYPE_NAMES.get(k, k) for k in kinds]
    if "enum" in schema:
        return ["one of " + ", ".join(str(v) for v in schema["enum"])]
    return [n for alt in schema.get("oneOf", []) + schema.get("anyOf", []) for n in _types_of(alt)]


def _describe(err: ValidationError, field: str) -> str:
    where = _where(field, err)
    got = _json_type(err.instance)
    kw = err.validator
    if kw in ("oneOf", "anyOf"):
        # The alternative of the value's own type (e.g. the object form of `tone`) says what is wrong.
        deeper = [c for c in err.context or () if c.validator != "type" or c.relative_path]
        if deeper:
            return _describe(min(deeper, key=lambda c: len(c.relative_path)), field)
        return f"{where} must be {' or '.join(_types_of(err.schema))}, not {got}"
    if kw == "type":
        return f"{where} must be {' or '.join(_types_of(err.schema))}, not {got}"
    if kw == "additionalProperties":
        allowed = sorted(err.schema.get("properties", {}))
        extra = sorted(set(err.instance) - set(allowed)) if isinstance(err.instance, dict) else []
        return f"{where} has no key {', '.join(repr(x) for x in extra)}; allowed keys: {', '.join(allowed)}"
    if kw == "enum":
        return f"{where} must be one of {', '.join(str(v) for v in err.validator_value)}"
    if kw == "required":
        return f"{where} needs {', '.join(repr(k) for k in err.validator_value if k not in err.instance)}"
    if kw == "minLength":
        return f"{where} must not be empty"
    if kw == "maxLength":
        return f"{where} is longer than {err.validator_value} characters"
    if kw == "maxItems":
        return f"{where} has more than {err.validator_value} items"
    if kw == "uniqueItems":
        return f"{where} lists an item twice"
    if kw == "minimum":
        return f"{where} must be at least {err.validator_value}"
    if kw == "maximum":
        return f"{where} must be at most {err.validator_value}"
    return f"{where}: {err.message[:200]}"


def phrase_text(value: Any) -> str | None:
    """The text of a phrase field (greeting, sign_off, a catchphrase): a string or {"text": ...}."""
    text = value.get("text") if isinstance(value, dict) else value
    if isinstance(text, str) and text.strip():
        return " ".join(text.split())
    return None
