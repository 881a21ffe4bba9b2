"""`echome persona speakers`: the seller lists the voices of a recording and names theirs, from the
terminal, as the Persona page's "Which voice is yours" does."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select

from echome.bootstrap import build_services
from echome.db.models import Job, Persona, PersonaMedia, Transcript
from echome.db.session import transaction
from echome.media.audio import encode, load_audio
from echome.settings import Settings

from .test_cli import run

pytestmark = pytest.mark.slow
SAID = "Oh yes, I'd love to, said Marianne."
CLIP = Path("/work/shared/eval/speech/librivox/sense_and_sensibility_01_austen_64kb-0880.wav")


def _seed(data: Path) -> str:
    """A ready two-voice recording of persona Ana, its seller not yet asked (the guess: S1)."""
    services = build_services(Settings(_env_file=None, data_dir=data))
    try:
        with transaction(services.sessions) as db:
            persona = db.scalars(select(Persona).where(Persona.name == "Ana")).one()
            key = services.storage.put(
                "media-audio", persona.user_id, "talk.flac", encode(load_audio(CLIP), 16_000, codec="flac")
            )
            media = PersonaMedia(
                user_id=persona.user_id, persona_id=persona.id, kind="upload", source="talk.wav",
                title="talk.wav", status="ready", duration_seconds=3.0, audio_key=key,
            )  # fmt: skip
            db.add(media)
            db.flush()
            db.add(
                Transcript(
                    user_id=persona.user_id, media_id=media.id, model="tiny.en", language="en",
                    text="Oh yes, I'd love to, said Marianne. Mm.", seller_speaker="S1",
                    segments=[
                        {"start": 0.0, "end": 2.6, "text": SAID, "speaker": "S1"},
                        {"start": 2.6, "end": 3.0, "text": "Mm, really?", "speaker": "S2"},
                    ],
                    speakers={"speakers": [{"id": "S1", "share": 0.87}, {"id": "S2", "share": 0.13}]},
                )
            )  # fmt: skip
            return media.id
    finally:
        services.close()


def _transcript(data: Path, media_id: str) -> tuple[str | None, str, int]:
    services = build_services(Settings(_env_file=None, data_dir=data))
    try:
        with services.sessions() as db:
            tr = db.scalars(select(Transcript).where(Transcript.media_id == media_id)).one()
            jobs = db.scalars(select(Job).where(Job.kind == "persona.analyse")).all()
            return tr.seller_speaker, tr.speaker_chosen_by, len(jobs)
    finally:
        services.close()


def test_list_the_voices_then_name_yours(tmp_path: Path) -> None:
    if not CLIP.exists():
        pytest.skip("the shared speech clips are missing")
    data = tmp_path / "data"
    assert run(data, "persona", "create", "Ana").returncode == 0
    media_id = _seed(data)

    listed = run(data, "persona", "speakers", "Ana")
    assert listed.returncode == 0, listed.stderr
    lines = listed.stdout.splitlines()
    assert "talk.wav" in lines[0] and "guessed" in lines[0]
    assert "S1" in lines[1] and "87%" in lines[1] and "Marianne" in lines[1] and "<- you" in lines[1]
    assert "S2" in lines[2] and "Mm, really?" in lines[2] and "<- you" not in lines[2]

    unknown = run(data, "persona", "speakers", "Ana", "talk.wav", "S9")
    assert unknown.returncode == 1
    assert "unknown speaker 'S9'" in unknown.stderr and "S1, S2" in unknown.stderr, unknown.stderr
    missing = run(data, "persona", "speakers", "Ana", "other.wav", "S1")
    assert missing.returncode == 1 and "no transcribed recording 'other.wav'" in missing.stderr
    assert _transcript(data, media_id) == ("S1", "auto", 0)  # nothing changed by the refusals

    chosen = run(data, "persona", "speakers", "Ana", "talk.wav", "S2")
    assert chosen.returncode == 0, chosen.stderr
    assert "speaker S2 of talk.wav is you: completed" in chosen.stdout
    assert _transcript(data, media_id) == ("S2", "seller", 1)  # re-measured from S2's speech

    shown = json.loads(run(data, "persona", "speakers", "Ana", "--json").stdout)
    assert shown[0]["chosen_by"] == "seller"
    assert [(s["id"], s["chosen"]) for s in shown[0]["speakers"]] == [("S1", False), ("S2", True)]

    every = run(data, "persona", "speakers", "Ana", media_id, "all")  # by id; "they are all me"
    assert every.returncode == 0, every.stderr
    assert _transcript(data, media_id) == (None, "seller", 2)
    assert "every voice is taken as yours" in run(data, "persona", "speakers", "Ana").stdout
