"""What a seller may override in a persona profile (`persona/schema.py`), and that each override
reaches the system prompt and the offline composer."""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from typing import Any

import pytest
import typer

from echome.answer.composer import compose
from echome.answer.evidence import Evidence
from echome.answer.pipeline import Answerer
from echome.answer.prompt import persona_prompt
from echome.db.models import Persona
from echome.knowledge.retrieve import SearchResult
from echome.persona import profile as profiles
from echome.persona.schema import OVERRIDE_SCHEMA, SELLER_FIELDS, override_errors
from echome.providers.fakes import FixedModels
from tests.support.memory_shop import memory_shop

# What the analyser measures (abridged), with fields the seller schema does not know.
MEASURED: dict[str, Any] = {
    "summary": {"words": 400, "reliable": True},
    "speaking_rate_wpm_overall": 172.0,
    "tone": {"sentiment_mean": 0.1, "energy_score": 0.8, "energy_label": "energetic", "pitch": None},
    "formality": {"score": 0.3, "label": "casual"},
    "greeting": {"text": "Hello everyone", "count": 2, "evidence": []},
    "sign_off": {"text": "See you next time", "count": 2, "evidence": []},
    "catchphrases": [{"text": "let me show you", "count": 3}],
    "notes": [],
    "selling": {"approach": ["consultative"], "questions": {"count": 4}},
}


def _prompt(overrides: dict[str, Any]) -> str:
    return persona_prompt("Ana", profiles.merge(MEASURED, profiles.check_new_overrides(overrides)))


def test_readme_tone_override_is_valid_and_changes_the_prompt() -> None:
    before = _prompt({})
    assert "Your tone: energetic, casual." in before and "Energetic delivery" in before
    after = _prompt(
        {"tone": {"energy": "calm"}}
    )  # README: echome persona override Ana tone '{"energy": "calm"}'
    assert after != before
    assert "Your tone: calm, casual." in after
    assert "Energetic delivery" not in after and "Calm delivery" in after  # the summary agrees
    # the seller's word wins over the measured label, whatever it is
    assert "Your tone: laid-back, casual." in _prompt({"tone": {"energy": "laid-back"}})
    assert "Your tone: warm and patient." in _prompt({"tone": "warm and patient"})
    assert "Your tone: energetic, formal." in _prompt({"formality": "formal"})


def test_string_greeting_and_sign_off_reach_the_prompt_and_the_composer() -> None:
    overrides = {"greeting": "Hey friend!", "sign_off": "Talk soon!", "catchphrases": ["no stress"]}
    merged = profiles.merge(MEASURED, profiles.check_new_overrides(overrides))
    prompt = persona_prompt("Ana", merged)
    assert "You greet people with 'Hey friend!'" in prompt and "You often close with 'Talk soon!'" in prompt
    assert "Hello everyone" not in prompt and "See you next time" not in prompt
    assert "'no stress'" in prompt

    result = SearchResult(
        text="The linen shirt is breathable and soft, and it keeps you cool in summer.",
        score=1.0,
        sku=None,
        name="Linen Shirt",
        source="catalog.csv",
        page=None,
        product_id=None,
        field="description",
        chunk_id="c1",
    )
    evidence = Evidence(question="Is the linen shirt breathable?", results=[result], products={})
    reply = compose(question=evidence.question, evidence=evidence, persona_name="Ana", profile=merged).text
    assert reply.startswith("Hey friend!") and reply.endswith("Talk soon!"), reply
    nothing = Evidence(question="Do you sell boats?", results=[], products={})
    assert compose(
        question="Do you sell boats?", evidence=nothing, persona_name="Ana", profile=merged
    ).text.startswith("Hey friend!")
    # the measured form ({"text": ...}) still works
    measured = compose(question=evidence.question, evidence=evidence, persona_name="Ana", profile=MEASURED)
    assert measured.text.startswith("Hello everyone!") and measured.text.endswith("See you next time.")


def test_unknown_fields_and_wrong_types_are_refused_naming_the_field() -> None:
    (msg,) = override_errors({"tonne": "calm"})
    assert "unknown profile field 'tonne'" in msg and all(f in msg for f in SELLER_FIELDS)
    (msg,) = override_errors({"tone": 5})
    assert "'tone'" in msg and "must be a string or an object, not a number" in msg
    (msg,) = override_errors({"tone": {"enrgy": "calm"}})
    assert "tone has no key 'enrgy'" in msg and "energy, energy_label, sentiment_mean" in msg
    (msg,) = override_errors({"personality_traits": "warm"})
    assert "personality_traits must be a list, not a string" in msg
    (msg,) = override_errors({"catchphrases": ["ok", 3]})
    assert "catchphrases[1] must be a string or an object" in msg
    (msg,) = override_errors({"formality": {"label": "chill"}})
    assert "formality.label must be one of casual, neutral, formal" in msg
    (msg,) = override_errors({"role": None})
    assert "role must be a string, not null" in msg and "remove the override" in msg
    assert len(override_errors({"x": 1, "role": 2, "tone": "ok"})) == 2
    with pytest.raises(profiles.ProfileError, match="unknown profile field 'x'"):
        profiles.check_new_overrides({"x": 1})


def test_every_field_the_readers_use_is_accepted() -> None:
    ok = {
        "role": "owner of a small linen shop",
        "backstory": "I started the shop in my garage.",
        "personality_traits": ["warm", "patient"],
        "speech_patterns": ["asks how you will use it"],
        "dos": ["mention the care label"],
        "donts": ["push add-ons"],
        "tone": {"energy": "calm", "energy_label": "calm", "sentiment_mean": 0.4},
        "formality": {"label": "casual", "score": 0.3},
        "greeting": {"text": "Hi there", "count": 2, "per_minute": 0.5, "evidence": []},
        "sign_off": None,
        "catchphrases": ["no stress", {"text": "let me show you", "count": 3}],
        "fillers": [{"text": "you know", "per_minute": 2.0}],
        "speaking_rate_wpm_overall": 150,
        "speaking_rate_wpm": 160.5,
        "speaking_rate_label": "moderate",
        "sentence_length": {"mean": 12},
        "selling": {"approach": ["consultative", "storyteller"]},
        "vocabulary": {"signature_words": ["breathable"]},
        "style_strength": "strong",
    }
    assert set(ok) == set(SELLER_FIELDS) == set(OVERRIDE_SCHEMA["properties"])
    assert override_errors(ok) == []
    assert "Your tone: calm, upbeat and positive, casual." in _prompt(ok)


def test_stored_profiles_with_other_fields_still_load_and_merge() -> None:
    stored = {"legacy_field": {"a": 1}, "tone": {"sentiment": 0.4}}  # saved before the schema existed
    merged = profiles.merge(MEASURED, stored)
    assert merged["legacy_field"] == {"a": 1}
    assert "You are Ana" in persona_prompt("Ana", merged)
    assert profiles.validate_overrides(stored) == stored  # saving them again (restore, unset) still works


def test_cli_override_help_lists_every_field_and_values_parse_as_documented() -> None:
    from echome.cli import persona as cli

    doc = inspect.getdoc(cli.override) or ""
    assert all(f in doc for f in SELLER_FIELDS)
    assert cli._override_value('{"energy": "calm"}') == {"energy": "calm"}
    assert cli._override_value('["warm", "patient"]') == ["warm", "patient"]
    assert cli._override_value("150") == 150 and cli._override_value("null") is None
    assert cli._override_value('"Hey friend!"') == "Hey friend!"
    assert cli._override_value("Hey friend!") == "Hey friend!"  # plain text stays a string
    assert cli._override_value("casual") == "casual" and cli._override_value("NaN") == "NaN"
    for broken in ('{"energy": "calm"', "[1, 2", '"unterminated', "{energy: calm}"):
        with pytest.raises(typer.Exit):
            cli._override_value(broken)


CATALOG = b"""name,sku,price,stock,description
Summit Rain Jacket,SJ-310,89.50,3,Waterproof rain jacket with taped seams and a packable hood for hiking.
"""


@pytest.fixture
def answerer_for() -> Iterator[Any]:
    shop = memory_shop(CATALOG, profile=MEASURED)
    sessions, finder, user_id, persona_id = shop.sessions, shop.finder, shop.user_id, shop.persona_id

    def ask(overrides: dict[str, Any], question: str) -> Any:
        with sessions.begin() as db:
            prof = profiles.load_profile(db, db.get(Persona, persona_id))
            profiles.save(db, prof, overrides=profiles.check_new_overrides(overrides), change="test")
        answerer = Answerer(sessions, finder, FixedModels(chat=None), None)
        return answerer.answer(user_id=user_id, persona_id=persona_id, question=question)

    yield ask
    shop.engine.dispose()


def test_a_string_greeting_override_opens_the_offline_answer(answerer_for: Any) -> None:
    out = answerer_for(
        {"greeting": "Hey friend!", "sign_off": "Talk soon!"}, "How much is the Summit Rain Jacket?"
    )
    assert out.mode == "composer" and "$89.50" in out.answer
    assert out.answer.startswith("Hey friend!") and out.answer.endswith("Talk soon!"), out.answer
