"""Persona fidelity on the shared recordings: a persona measured from a real speaker's verbatim
transcript answers shopper questions about a real catalog, and its replies carry the speaker's
filler and catchphrase rates (issue 17's targets: within 25% at "natural"). The overall score is a
regression floor: a change that makes replies sound less like the seller fails here."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from echome.answer.record_questions import record_questions
from echome.db.models import Persona, PersonaProfile
from echome.db.session import transaction
from echome.knowledge.index import ingest_catalog
from echome.knowledge.parse import parse_catalog
from echome.persona.analyse import analyse_speech
from echome.persona.fidelity import fidelity_of_answers
from echome.providers.base import Segment
from echome.voice.spoken_text import spoken_part

EVAL = Path(__file__).resolve().parents[3] / "shared" / "eval"
SPONTANEOUS = EVAL / "speech" / "spontaneous"
CATALOG = EVAL / "csv" / "apparel.csv"
# The overall score measured on this code per speaker (0.61, 0.56: speaker D's "mm-hmm"s count as
# backchannels, not as two hums each, since session 11), less ~0.03 for reply wording
# moving the seeded filler draws. Formality and sentence length pull it down: the offline composer's
# short factual sentences read formal whoever the seller is (see persona/manner.py).
FLOOR = {"speakerB": 0.58, "speakerD": 0.55}


def _profile(transcript: Path) -> dict[str, Any]:
    sentences = re.split(r"(?<=[.!?])\s+", transcript.read_text(encoding="utf-8").strip())
    return analyse_speech(
        [Segment(start=4.0 * i, end=4.0 * i + 3.5, text=s) for i, s in enumerate(sentences)]
    )


def _persona_with_catalog(services: Any, user_id: str, profile: dict[str, Any]) -> tuple[Any, str]:
    """A persona measured as `profile`, answering from the shared apparel catalog."""
    catalog = parse_catalog(CATALOG.read_bytes(), CATALOG.name)
    with transaction(services.sessions) as db:
        persona = Persona(user_id=user_id, name="Sam")
        db.add(persona)
        db.flush()
        db.add(PersonaProfile(user_id=user_id, persona_id=persona.id, auto_extracted=profile))
        persona_id = persona.id
    ingest_catalog(
        catalog, user_id=user_id, persona_id=None, sessions=services.sessions,
        embedder=services.embedder, store=services.vectors,
    )  # fmt: skip
    services.retriever.keywords.invalidate(user_id)
    return catalog, persona_id


@pytest.mark.parametrize("speaker", ["speakerB", "speakerD"])
def test_replies_carry_the_speakers_fillers_and_no_invented_catchphrases(
    services: Any, make_seller: Any, speaker: str
) -> None:
    _, user = make_seller()
    profile = _profile(SPONTANEOUS / f"{speaker}.txt")
    assert profile["fillers_per_100_words"] > 2  # a real hesitant speaker
    catalog, persona_id = _persona_with_catalog(services, user["id"], profile)
    questions = [q.question for q in record_questions(catalog.products, sample=40, seed=11)]
    questions += [f"Tell me about the {p.name}." for p in catalog.products[:20]]

    def ask(question: str, buyer: str) -> Any:
        return services.answerer.answer(
            user_id=user["id"], persona_id=persona_id, question=question, channel="eval", client_ref=buyer
        )

    report = fidelity_of_answers(profile, questions, ask)
    fillers = report["measures"]["fillers_per_100_words"]
    assert report["replies"] >= 40 and fillers["within_25_percent"], report
    assert report["measures"]["catchphrases_per_100_words"]["replies"] == 0  # the speaker has none
    assert report["score"] >= FLOOR[speaker], report
    # text replies never carry a filler the voice note adds
    assert not any(re.search(r"\b(?:um|uh|hmm)\b", e["text"], re.I) for e in report["examples"])


def test_a_reply_in_another_language_gets_no_english_fillers(services: Any, make_seller: Any) -> None:
    _, user = make_seller()
    profile = {"summary": {"words": 100}, "fillers_per_100_words": 30.0}
    profile["fillers"] = [{"text": "um", "count": 30}]
    catalog, persona_id = _persona_with_catalog(services, user["id"], profile)
    name = catalog.products[0].name

    def ask(question: str) -> Any:
        return services.answerer.answer(
            user_id=user["id"], persona_id=persona_id, question=question, channel="eval", client_ref=question
        )

    english = ask(f"How much is the {name}?")
    assert english.language == "en" and "um," in english.spoken.lower()  # 30 per 100 words: surely one
    german = ask(f"Wie viel kostet das {name}? Ist es noch verfügbar?")
    assert german.language == "de" and german.spoken == spoken_part(german.answer)
