"""The persona profile build on a real SQLite database: the seller's catalog words are topic, not style,
and each ready recording counts as its own recording although the builder joins them on one timeline."""

from __future__ import annotations

import shutil
from pathlib import Path

from echome.db.models import Persona, PersonaMedia, Product, Transcript, User
from echome.db.session import make_engine, make_session_factory, transaction
from echome.persona.builder import ProfileBuilder, catalog_vocabulary
from echome.persona.trait_evidence import evidence_precision
from echome.providers.base import Segment, Word
from echome.providers.fakes import FixedModels
from echome.storage.local import LocalStorage

LINES = [
    "Hey guys, welcome back to the channel!",
    "This cashmere is absolutely scrumptious.",
    "The strap is adjustable and the lining is soft.",
    "It fits a laptop and a water bottle.",
    "Feel the cashmere, honestly scrumptious.",
    "See you in the next one!",
]


def _segments() -> list[dict]:
    out, t = [], 0.0
    for line in LINES:
        words, t0 = [], t
        for w in line.split():
            words.append(Word(t, t + 0.25, " " + w, 0.9))
            t += 0.3
        out.append(Segment(t0, t - 0.05, " " + line, words, speaker="S1").to_dict())
        t += 0.4
    return out


def test_profile_build_excludes_catalog_words_and_counts_each_recording(
    tmp_path: Path, sqlite_template: Path
) -> None:
    db_file = tmp_path / "echome.db"
    shutil.copy(sqlite_template, db_file)
    engine = make_engine(f"sqlite:///{db_file}")
    sessions = make_session_factory(engine)
    with transaction(sessions) as db:
        user = User(email="seller@example.com")
        other = User(email="other@example.com")
        db.add_all([user, other])
        db.flush()
        persona = Persona(user_id=user.id, name="Mia")
        db.add(persona)
        db.flush()
        db.add_all(
            [
                Product(user_id=user.id, persona_id=persona.id, external_key="a", name="Cashmere Wrap"),
                Product(user_id=user.id, persona_id=None, external_key="b", name="Tote", category="Bags"),
                Product(user_id=other.id, persona_id=None, external_key="c", name="Scrumptious Jam"),
            ]
        )
        for i in range(3):
            media = PersonaMedia(
                user_id=user.id, persona_id=persona.id, kind="url", source=f"v{i}", status="ready"
            )
            media.duration_seconds = 30.0
            db.add(media)
            db.flush()
            db.add(
                Transcript(
                    user_id=user.id,
                    media_id=media.id,
                    model="test",
                    language="en",
                    text=" ".join(LINES),
                    segments=_segments(),
                    seller_speaker="S1",
                )
            )
        persona_id, user_id = persona.id, user.id

    assert catalog_vocabulary(sessions, persona_id) == [
        "Bags",
        "Cashmere Wrap",
        "Tote",
    ]  # not another seller's
    builder = ProfileBuilder(sessions, LocalStorage(tmp_path / "files"), FixedModels())
    p = builder.analyse(persona_id, user_id=user_id)
    engine.dispose()

    assert p["summary"]["recordings"] == 3
    words = [w["text"] for w in p["vocabulary"]["signature_words"]]
    assert "scrumptious" in words and "cashmere" not in words
    assert not any("cashmere" in c["text"] for c in p["catchphrases"])
    assert (p["greeting"]["text"], p["greeting"]["count"]) == ("hey guys, welcome back to the channel", 3)
    assert (p["sign_off"]["text"], p["sign_off"]["count"]) == ("see you in the next one", 3)
    assert {e["media_id"] for e in p["greeting"]["evidence"]} == {m["media_id"] for m in p["media"]}
    assert evidence_precision(p)["precision"] == 1.0
