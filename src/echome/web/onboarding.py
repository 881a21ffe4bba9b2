"""The guided setup's steps and where a seller is in them, read from what is stored (the same
facts as Home's checklist): nothing records "the wizard is at step 3", so the stepper can never
disagree with the pages it leads to. A skipped step stays "to do"; opening the setup again goes
to the first step not done."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from echome.db.models import Persona, PersonaMedia, PersonaProfile
from echome.web import persona_traits as traits
from echome.web.checklist import Checklist, persona_checklist
from echome.web.deps import safe_next

SUMMARY_FIELDS = ("tone", "formality", "speaking_rate_label", "greeting", "catchphrases", "selling")


@dataclass(frozen=True)
class SetupStep:
    key: str  # the address's last part: /app/personas/{id}/setup/{key}
    title: str
    done: bool
    detail: str  # what is there, or what the step does


@dataclass(frozen=True)
class Setup:
    steps: list[SetupStep]
    checklist: Checklist

    def step(self, key: str) -> SetupStep | None:
        return next((s for s in self.steps if s.key == key), None)

    def index(self, key: str) -> int:
        return next(i for i, s in enumerate(self.steps) if s.key == key)

    def following(self, key: str) -> SetupStep | None:
        i = self.index(key)
        return self.steps[i + 1] if i + 1 < len(self.steps) else None

    def previous(self, key: str) -> SetupStep | None:
        i = self.index(key)
        return self.steps[i - 1] if i > 0 else None

    @property
    def first_open(self) -> SetupStep | None:
        return next((s for s in self.steps if not s.done), None)

    @property
    def done(self) -> int:
        return sum(1 for s in self.steps if s.done)


STEP_KEYS = ("recordings", "listening", "persona", "catalog", "test", "channel")


def _recordings(db: Session, user_id: str, persona_id: str) -> tuple[int, int]:
    """(recordings added and not failed, recordings ready)."""
    rows = db.execute(
        select(PersonaMedia.status, func.count())
        .where(PersonaMedia.persona_id == persona_id, PersonaMedia.user_id == user_id)
        .group_by(PersonaMedia.status)
    ).all()
    counts = {status: n for status, n in rows}
    added = sum(n for status, n in counts.items() if status != "failed")
    return added, counts.get("ready", 0)


def setup_of(db: Session, *, user_id: str, persona: Persona, base_url: str) -> Setup:
    checklist = persona_checklist(db, user_id=user_id, persona=persona, base_url=base_url)
    done = {s.key: s for s in checklist.steps}
    added, ready = _recordings(db, user_id, persona.id)
    steps = [
        SetupStep(
            "recordings",
            "Add recordings",
            added > 0 or done["voice"].done,
            f"{added} recording{'' if added == 1 else 's'} added, with your consent."
            if added
            else "Paste YouTube links or upload audio or video of you talking, and give your consent.",
        ),
        SetupStep(
            "listening",
            "Listen and build your voice",
            done["voice"].done,
            done["voice"].detail
            if done["voice"].done or not ready
            else f"{ready} recording{'' if ready == 1 else 's'} ready. Build your voice from them.",
        ),
        SetupStep("persona", "Review your persona", done["persona"].done, done["persona"].detail),
        SetupStep("catalog", "Upload your catalog", done["catalog"].done, done["catalog"].detail),
        SetupStep("test", "Ask a test question", done["test"].done, done["test"].detail),
        SetupStep("channel", "Connect a channel", done["channel"].done, done["channel"].detail),
    ]
    assert tuple(s.key for s in steps) == STEP_KEYS
    return Setup(steps, checklist)


def persona_summary(db: Session, *, user_id: str, persona_id: str) -> list[dict[str, Any]]:
    """A few measured traits in words (the seller's own value where they set one), for review."""
    profile = db.scalar(
        select(PersonaProfile).where(
            PersonaProfile.persona_id == persona_id, PersonaProfile.user_id == user_id
        )
    )
    if profile is None:
        return []
    auto, over = profile.auto_extracted or {}, profile.manual_overrides or {}
    rows = []
    for name in SUMMARY_FIELDS:
        trait = traits.BY_FIELD[name]
        yours = name in over
        words = traits.in_words(trait, over.get(name) if yours else auto.get(name), measured=not yours)
        if words:
            rows.append({"label": trait.label, "value": words, "yours": yours})
    return rows


def step_next(value: str | None, *, persona_id: str) -> str | None:
    """A form's `next`: only a page of this persona's guided setup is followed (a same-site path,
    so no other site can be reached through it); anything else is ignored."""
    path = safe_next(value, default="")
    prefix = f"/app/personas/{persona_id}/setup/"
    if not path.startswith(prefix):
        return None
    key = path[len(prefix) :].split("#", 1)[0].split("?", 1)[0]
    return path if key in STEP_KEYS else None
