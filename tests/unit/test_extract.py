"""LLM persona extraction: schema, validation with the errors fed back, and the merge rules."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from echome.persona.extract import (
    MAX_TRANSCRIPT_CHARS,
    PERSONA_SCHEMA,
    PersonaExtractionError,
    extract_persona_llm,
    merge_llm_traits,
    parse_persona,
    truncate_transcript,
)
from echome.providers.base import ProviderError
from echome.providers.chat_anthropic import AnthropicChat
from echome.providers.chat_openai import OpenAIChat
from tests.servers.fake_anthropic import FakeAnthropic
from tests.servers.fake_openai import FakeOpenAI, strict_schema_problems

pytest_plugins = ["tests.servers.fixtures"]

VALID: dict[str, Any] = {
    "role": "Owner of a kitchen gadget shop",
    "personality_traits": ["warm", "energetic", "Warm", "  hands-on  "],
    "tone": "friendly and upbeat",
    "speech_patterns": ['opens with "hey friends"', "counts benefits on fingers"],
    "dos": ["show the product working"],
    "donts": ["hard-sell"],
    "backstory": "Started the shop ten years ago.",
    "selling_style": "live demos with quick comparisons",
}
TIDY = {**VALID, "personality_traits": ["warm", "energetic", "hands-on"]}
EVIDENCE = [{"start": 1.0, "end": 1.4, "text": "Wow, look at that!"}]
MEASURED: dict[str, Any] = {  # the shape persona/analyse.py produces
    "speaking_rate_wpm": 152.4,
    "fillers": [
        {"text": "you know", "count": 12, "per_minute": 1.1, "evidence": EVIDENCE},
        {"text": "like", "count": 7, "per_minute": 0.6, "evidence": EVIDENCE},
    ],
    "catchphrases": [{"text": "trust me", "count": 4, "per_minute": 0.4, "evidence": EVIDENCE}],
    "tone": {"sentiment_mean": 0.42, "energy_label": "high", "pitch": None, "evidence": EVIDENCE},
    "selling": {
        "benefits": {"count": 7, "per_minute": 0.6, "phrases": [{"text": "saves time", "count": 3}]},
        "approach": ["demo", "urgency"],
    },
    "greeting": None,
    "notes": ["fewer than 50 words: vocabulary measures are rough"],
    "media": [{"media_id": "m1"}],
}
TRANSCRIPT = "Hey friends! Today I want to show you this blender. Trust me, it crushes ice in seconds."


def _chat(server: FakeOpenAI) -> OpenAIChat:
    return OpenAIChat(server.api_key, base_url=server.base_url, sleep=[].append)


def test_schema_is_valid_and_accepted_by_strict_structured_output() -> None:
    Draft202012Validator.check_schema(PERSONA_SCHEMA)
    assert strict_schema_problems(PERSONA_SCHEMA) == []
    assert set(PERSONA_SCHEMA["required"]) == set(PERSONA_SCHEMA["properties"])


def test_extract_sends_transcript_and_measured_summary(fake_openai: FakeOpenAI) -> None:
    fake_openai.reply(json.dumps(VALID))
    persona = extract_persona_llm(_chat(fake_openai), transcript_text=TRANSCRIPT, measured=MEASURED)
    assert persona == TIDY
    [call] = fake_openai.calls
    body = call.json
    assert body["response_format"]["json_schema"] == {
        "name": "persona",
        "schema": PERSONA_SCHEMA,
        "strict": True,
    }
    assert [m["role"] for m in body["messages"]] == ["system", "user"]
    user = body["messages"][1]["content"]
    assert user.startswith(
        "Measured from the seller's recordings:\n"
        "- speaking_rate_wpm: 152\n"
        '- fillers: "you know", "like"\n'
        '- catchphrases: "trust me"\n'
        "- tone: sentiment_mean=0.42, energy_label=high\n"
        '- selling: benefits=7, approach="demo", "urgency"\n\n'
    )
    assert "Wow" not in user and "m1" not in user and "fewer than" not in user  # not traits
    assert f'Transcript (the seller speaking):\n"""\n{TRANSCRIPT}\n"""' in user


def test_invalid_replies_are_sent_back_with_the_errors(fake_openai: FakeOpenAI) -> None:
    missing = {k: v for k, v in VALID.items() if k != "donts"}
    fake_openai.reply("Sure! Here is the persona.", json.dumps(missing), json.dumps(VALID))
    persona = extract_persona_llm(_chat(fake_openai), transcript_text=TRANSCRIPT, measured=MEASURED)
    assert persona == TIDY
    second, third = (c.json["messages"] for c in fake_openai.chat_calls()[1:])
    assert second[2:] == [
        {"role": "assistant", "content": "Sure! Here is the persona."},
        {
            "role": "user",
            "content": "That reply is not valid: the reply is not a JSON object. "
            "Reply again with only the corrected JSON object.",
        },
    ]
    assert third[:4] == second
    assert third[4] == {"role": "assistant", "content": json.dumps(missing)}
    assert "object: 'donts' is a required property" in third[5]["content"]


def test_gives_up_after_max_attempts(fake_openai: FakeOpenAI) -> None:
    extra = {**VALID, "favourite_colour": "red"}
    fake_openai.reply(json.dumps(extra), json.dumps({**VALID, "dos": "smile"}))
    with pytest.raises(PersonaExtractionError) as err:
        extract_persona_llm(_chat(fake_openai), transcript_text=TRANSCRIPT, measured={}, max_attempts=2)
    assert err.value.attempts == 2 and len(fake_openai.calls) == 2
    assert err.value.errors == ["dos: 'smile' is not of type 'array'"]
    assert "no valid persona in 2 attempts" in str(err.value)
    assert (
        "Additional properties are not allowed ('favourite_colour'"
        in fake_openai.calls[1].json["messages"][-1]["content"]
    )


def test_provider_errors_propagate(fake_openai: FakeOpenAI) -> None:
    fake_openai.fail(401, message="Incorrect API key provided")
    with pytest.raises(ProviderError) as err:
        extract_persona_llm(_chat(fake_openai), transcript_text=TRANSCRIPT, measured={})
    assert err.value.transient is False and len(fake_openai.calls) == 1


def test_extract_through_anthropic_tool_use(fake_anthropic: FakeAnthropic) -> None:
    fake_anthropic.reply({**VALID, "role": ""}, VALID)
    chat = AnthropicChat(fake_anthropic.api_key, base_url=fake_anthropic.base_url, sleep=[].append)
    assert extract_persona_llm(chat, transcript_text=TRANSCRIPT, measured=MEASURED) == TIDY
    first, second = (c.json for c in fake_anthropic.calls)
    assert first["tool_choice"] == {"type": "tool", "name": "persona"}
    assert first["system"].startswith("You study how a seller talks")
    assert second["messages"][-1] == {
        "role": "user",
        "content": "That reply is not valid: role: must not be empty. "
        "Reply again with only the corrected JSON object.",
    }


def test_long_transcripts_are_cut_to_start_middle_and_end() -> None:
    words = [f"w{i}" for i in range(20_000)]
    text, cut = truncate_transcript(" ".join(words))
    assert cut and len(text) <= MAX_TRANSCRIPT_CHARS
    first, middle, last = text.split("\n[…]\n")
    assert first.startswith("w0 w1 ") and last.endswith(" w19998 w19999")
    numbers = [int(w[1:]) for w in middle.split()]
    assert 5_000 < numbers[0] < 15_000 and numbers == list(range(numbers[0], numbers[0] + len(numbers)))
    assert all(piece.split()[0] in words and piece.split()[-1] in words for piece in (first, middle, last))
    assert truncate_transcript("short  text\n here") == ("short text here", False)


@pytest.mark.parametrize(
    "text,errors",
    [
        ("```json\n" + json.dumps(VALID) + "\n```", []),
        ("Here you go: " + json.dumps(VALID) + " Hope it helps!", []),
        ("[1, 2]", ["the reply is not a JSON object"]),
        (json.dumps({**VALID, "tone": "   "}), ["tone: must not be empty"]),
        (json.dumps({**VALID, "personality_traits": [" ", ""]}), ["personality_traits: must not be empty"]),
        (json.dumps({**VALID, "backstory": 3}), ["backstory: 3 is not of type 'string'"]),
    ],
)
def test_parse_persona(text: str, errors: list[str]) -> None:
    value, problems = parse_persona(text)
    assert problems == errors
    assert (value == TIDY) if not errors else value is None


def test_parse_caps_lists_and_text() -> None:
    value, _ = parse_persona(
        json.dumps({**VALID, "dos": [f"do {i}" for i in range(20)], "backstory": "x" * 5000})
    )
    assert value is not None
    assert value["dos"] == [f"do {i}" for i in range(8)] and len(value["backstory"]) == 800


def test_merge_never_replaces_measured_values() -> None:
    measured = copy.deepcopy(MEASURED)
    llm = {**TIDY, "fillers": ["um"], "speaking_rate_wpm": 99}
    merged = merge_llm_traits(measured, llm)
    assert measured == MEASURED  # the input is not modified
    assert {k: merged[k] for k in MEASURED} == MEASURED
    assert merged["role"] == TIDY["role"] and merged["dos"] == TIDY["dos"]
    assert merged["llm_tone"] == "friendly and upbeat"  # `tone` is measured, so the LLM's goes aside
    assert merged["llm_fillers"] == ["um"] and merged["llm_speaking_rate_wpm"] == 99
    assert merged["sources"] == {
        **{k: "measured" for k in MEASURED},
        "llm_fillers": "llm",
        "llm_speaking_rate_wpm": "llm",
        "llm_tone": "llm",
        "role": "llm",
        "personality_traits": "llm",
        "speech_patterns": "llm",
        "dos": "llm",
        "donts": "llm",
        "backstory": "llm",
        "selling_style": "llm",
    }


def test_merge_again_refreshes_llm_fields_only() -> None:
    once = merge_llm_traits(MEASURED, TIDY)
    twice = merge_llm_traits(once, {**TIDY, "role": "Chef", "tone": "calm", "fillers": ["er"]})
    assert twice["role"] == "Chef" and twice["llm_tone"] == "calm" and twice["llm_fillers"] == ["er"]
    assert twice["tone"] == MEASURED["tone"] and twice["fillers"] == MEASURED["fillers"]
    assert twice["sources"] == {**once["sources"], "llm_fillers": "llm"}
    assert merge_llm_traits(MEASURED, {})["sources"] == {k: "measured" for k in MEASURED}
