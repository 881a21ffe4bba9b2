"""The answer stage on its own: an `Answerer` built from fakes beside the Protocols (`ScriptedChat`,
`HashingEmbedder`, `MemoryVectorStore`, `FixedModels`) and an in-memory SQLite database. No HTTP app,
no model, no files: each test runs in milliseconds."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select

from echome.answer.pipeline import Answerer, AnswerError
from echome.db.models import Client, Message, Persona
from echome.providers.base import ProviderError
from echome.providers.fakes import FixedModels, ScriptedChat
from echome.voice.speaker import SavedAudio
from tests.support.memory_shop import MemoryShop, memory_shop

CATALOG = b"""name,sku,price,stock,description
Trail Runner 2,TR-200,129.00,14,Light trail running shoe with a grippy rubber outsole and a mesh upper.
Summit Rain Jacket,SJ-310,89.50,3,Waterproof rain jacket with taped seams and a packable hood for hiking.
Cedar Camp Mug,CM-015,18.00,120,Enamel steel camping mug that holds 350 ml and survives the campfire.
"""
NOTES = json.dumps({"name": None, "preferences": [], "budget": None, "objections": [], "stage": "interested"})


class RecordingSpeaker:
    """A ReplySpeaker that remembers what it was asked to say (or fails, when told to)."""

    def __init__(self, *, fail: bool = False, languages: tuple[str, ...] = ("en",)) -> None:
        self.said: list[str] = []
        self.fail = fail
        self.languages = languages

    def can_speak(self, persona_id: str, user_id: str, language: str) -> bool:
        return language in self.languages

    def save_reply(
        self, *, persona_id: str, user_id: str, text: str, message_id: str, language: str | None = None
    ) -> SavedAudio:
        if self.fail:
            raise ProviderError("the voice service is down")
        self.said.append(text)
        return SavedAudio(
            key=f"audio/{user_id}/responses/{message_id}.ogg",
            audio=b"OggS",
            duration=1.5,
            characters=len(text),
            provider="fake",
            timings={"synthesize": 0.01},
        )


class Shop(MemoryShop):
    def answerer(self, *, chat: Any = None, speaker: Any = None) -> Answerer:
        return Answerer(self.sessions, self.finder, FixedModels(chat=chat), speaker)


@pytest.fixture
def shop() -> Iterator[Shop]:
    base = memory_shop(CATALOG, profile={"greeting": {"text": "Hey there!", "evidence": []}})
    yield Shop(**vars(base))
    base.engine.dispose()


def ask(shop: Shop, answerer: Answerer, question: str, **kw: Any) -> Any:
    return answerer.answer(user_id=shop.user_id, persona_id=shop.persona_id, question=question, **kw)


def test_composer_answers_price_and_stock_from_the_typed_fields(shop: Shop) -> None:
    out = ask(shop, shop.answerer(), "How much is the Summit Rain Jacket?")
    assert out.mode == "composer"
    assert "$89.50" in out.answer and "Summit Rain Jacket" in out.answer
    assert out.citations and out.citations[0]["sku"] == "SJ-310"
    assert out.guardrail["composer"]["unsupported"] == []
    with shop.sessions() as db:
        roles = [m.role for m in db.scalars(select(Message).order_by(Message.created_at, Message.id))]
    assert sorted(roles) == ["assistant", "user"]


def test_llm_draft_with_an_invented_price_is_rewritten_once(shop: Shop) -> None:
    chat = ScriptedChat(
        [
            "The Summit Rain Jacket is $45 today only!",
            "The Summit Rain Jacket is $89.50, with taped seams and a packable hood.",
            NOTES,
        ]
    )
    out = ask(shop, shop.answerer(chat=chat), "How much is the Summit Rain Jacket?")
    assert out.mode == "llm"
    assert out.answer == "The Summit Rain Jacket is $89.50, with taped seams and a packable hood."
    first = {claim["text"] for claim in out.guardrail["first_draft"]["unsupported"]}
    assert any("45" in text for text in first)
    system, *_rest, user = chat.calls[0]["messages"]
    assert system.role == "system" and "You are Ana" in system.content
    assert "Summit Rain Jacket" in user.content
    assert "not in the product context" in chat.calls[1]["messages"][-1].content


def test_a_draft_that_keeps_inventing_is_cut_to_what_the_catalog_supports(shop: Shop) -> None:
    lie = "The Cedar Camp Mug holds 350 ml. It is 90% off this week."
    out = ask(shop, shop.answerer(chat=ScriptedChat([lie, lie, NOTES])), "Tell me about the Cedar Camp Mug")
    assert "350 ml" in out.answer and "90%" not in out.answer
    assert out.guardrail["regenerated"]["unsupported"]


def test_a_failing_llm_falls_back_to_the_composer(shop: Shop) -> None:
    chat = ScriptedChat([ProviderError("HTTP 500 from the model", transient=True)])
    out = ask(shop, shop.answerer(chat=chat), "How much is the Trail Runner 2?")
    assert out.mode == "composer" and "$129" in out.answer
    assert "HTTP 500" in (out.llm_error or "")


def test_follow_up_is_narrowed_to_the_product_under_discussion(shop: Shop) -> None:
    answerer = shop.answerer()
    first = ask(shop, answerer, "Tell me about the Trail Runner 2", client_ref="web-1")
    again = ask(shop, answerer, "how much is it?", client_ref="web-1")
    assert again.client_id == first.client_id and again.conversation_id == first.conversation_id
    assert "$129" in again.answer
    assert again.citations and {c["sku"] for c in again.citations} == {"TR-200"}
    with shop.sessions() as db:
        client = db.get(Client, again.client_id)
        assert client is not None and client.notes["current_product"]


def test_nothing_relevant_says_so_and_cites_nothing(shop: Shop) -> None:
    out = ask(shop, shop.answerer(), "Do you repair vintage typewriters?")
    assert out.mode == "no-evidence"
    assert out.citations == []
    assert "$" not in out.answer


def test_voice_reply_is_spoken_and_a_speech_failure_leaves_the_text(shop: Shop) -> None:
    speaker = RecordingSpeaker()
    out = ask(shop, shop.answerer(speaker=speaker), "How much is the Cedar Camp Mug?", voice=True)
    assert speaker.said == [out.spoken] and out.audio_key and out.audio_duration == 1.5
    assert "speech.synthesize" in out.timings
    broken = ask(
        shop,
        shop.answerer(speaker=RecordingSpeaker(fail=True)),
        "How much is the Cedar Camp Mug?",
        voice=True,
    )
    assert "$18" in broken.answer and broken.audio_key is None
    assert "voice service is down" in (broken.speech_error or "")


def test_bad_questions_and_other_sellers_personas_are_refused(shop: Shop) -> None:
    answerer = shop.answerer()
    with pytest.raises(AnswerError, match="empty"):
        ask(shop, answerer, "   ")
    with pytest.raises(AnswerError, match="at most"):
        ask(shop, answerer, "x" * 2001)
    with pytest.raises(AnswerError, match="persona not found"):
        answerer.answer(user_id="someone-else", persona_id=shop.persona_id, question="hi")


def test_a_persona_with_its_own_catalog_answers_only_from_it(shop: Shop) -> None:
    with shop.sessions.begin() as db:
        other = Persona(user_id=shop.user_id, name="Bo")
        db.add(other)
        db.flush()
        other_id = other.id
    shop.import_catalog(
        b"name,sku,price,description\nHarbor Kayak,KY-9,899.00,A sea kayak for two.\n",
        "boats.csv",
        persona_id=other_id,
    )
    answerer = shop.answerer()
    shared = ask(shop, answerer, "How much is the Harbor Kayak?")  # Ana has no catalog of her own
    assert "$899" not in shared.answer and all(c["sku"] != "KY-9" for c in shared.citations)
    own = answerer.answer(user_id=shop.user_id, persona_id=other_id, question="How much is the Harbor Kayak?")
    assert "$899" in own.answer and {c["sku"] for c in own.citations} == {"KY-9"}
    mug = answerer.answer(
        user_id=shop.user_id, persona_id=other_id, question="How much is the Cedar Camp Mug?"
    )
    assert "$18" not in mug.answer and all(c["sku"] != "CM-015" for c in mug.citations)


def test_price_and_stock_asked_in_other_languages_or_as_a_count(shop: Shop) -> None:
    answerer = shop.answerer()
    assert "89,50\u00a0$" in ask(shop, answerer, "Wie viel kostet die Summit Rain Jacket?").answer
    assert "18\u00a0$" in ask(shop, answerer, "Combien coûte le Cedar Camp Mug ?").answer
    assert "120 available" in ask(shop, answerer, "How many Cedar Camp Mugs do you have left?").answer
    plain = ask(shop, answerer, "Is the Cedar Camp Mug in stock?").answer
    assert "in stock" in plain and "120" not in plain  # a count only when one is asked for


def test_who_makes_it_and_its_condition_are_answered_from_labelled_facts(shop: Shop) -> None:
    shop.import_catalog(
        b"name,sku,price,manufacturer,condition,description\n"
        b"Polar Headlamp,HL-7,39.00,Lumeno Works,refurbished,A bright headlamp for night runs.\n",
        "lamps.csv",
    )
    answerer = shop.answerer()
    assert "Lumeno Works" in ask(shop, answerer, "Who makes the Polar Headlamp?").answer
    assert "refurbished" in ask(shop, answerer, "Is the Polar Headlamp new or used?").answer.lower()


def test_a_question_in_german_is_answered_in_german_with_german_numbers(shop: Shop) -> None:
    out = ask(shop, shop.answerer(), "Was kostet die Summit Rain Jacket?")
    assert out.language == "de"
    assert "Summit Rain Jacket kostet 89,50\u00a0$." in out.answer and out.answer.startswith("Hallo!")
    assert "Kann ich sonst noch helfen?" in out.answer
    assert out.guardrail["composer"]["unsupported"] == []  # "89,50" is read as the catalog's 89.50
    follow = ask(shop, shop.answerer(), "Ist sie auf Lager?", client_ref="api:anonymous")
    assert follow.language == "de"  # a short follow-up keeps the conversation's language


def test_no_voice_note_in_a_language_the_voice_cannot_speak(shop: Shop) -> None:
    english_only = RecordingSpeaker(languages=("en",))
    out = ask(shop, shop.answerer(speaker=english_only), "¿Cuánto cuesta la Summit Rain Jacket?", voice=True)
    assert out.language == "es" and "cuesta" in out.answer
    assert out.audio_key is None and english_only.said == []
    assert out.voice_skipped and "(es)" in out.voice_skipped
    multilingual = RecordingSpeaker(languages=("en", "es"))
    out = ask(shop, shop.answerer(speaker=multilingual), "¿Cuánto cuesta la Summit Rain Jacket?", voice=True)
    assert out.audio_key is not None and multilingual.said and out.voice_skipped is None
