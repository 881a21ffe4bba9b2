"""Build the persona's voice from clean samples of the seller's own speech, after consent.

Samples come from every ready recording, only from the stretches labelled as the seller; the
voice (local transform parameters or an ElevenLabs voice_id) is stored on the persona together
with the consent record it was built under.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from echome.db.models import Persona, VoiceConsent
from echome.db.session import transaction
from echome.db.types import utcnow
from echome.media.audio import AudioError, load_audio, probe, write_wav
from echome.media.seller_speech import seller_sources
from echome.providers.base import ModelsForSeller, ProviderError
from echome.storage.base import FileStorage

SAMPLE_RATE = 22_050  # enough for voice measurements and what ElevenLabs accepts
MAX_TOTAL_SECONDS = 180.0
MAX_FILES = 25


class VoiceBuildError(ValueError):
    def __init__(self, message: str, *, transient: bool = False) -> None:
        super().__init__(message)
        self.transient = transient


def latest_consent(db: Session, persona_id: str) -> dict[str, Any] | None:
    """The consent the persona's voice may be built under (the newest), read in the caller's session."""
    row = db.scalar(
        select(VoiceConsent)
        .where(VoiceConsent.persona_id == persona_id)
        .order_by(VoiceConsent.created_at.desc(), VoiceConsent.id.desc())
    )
    return None if row is None else consent_view(row)


def consent_view(row: VoiceConsent) -> dict[str, Any]:
    return {
        "id": row.id,
        "confirmed_by": row.confirmed_by,
        "statement": row.statement,
        "media_ids": list(row.media_ids or []),
        "client": row.client,
        "created_at": row.created_at.isoformat() if row.created_at else None,
    }


@dataclass(eq=False)
class VoiceBuilder:
    """Consent → clean samples of the seller → a voice (local parameters or an ElevenLabs voice)."""

    sessions: sessionmaker[Session]
    storage: FileStorage
    models: ModelsForSeller

    def collect_samples(self, persona_id: str, work_dir: Path) -> tuple[list[Path], float]:
        from echome.media.voice_samples import select_voice_samples

        paths: list[Path] = []
        total = 0.0
        work_dir.mkdir(parents=True, exist_ok=True)
        for src in seller_sources(self.sessions, persona_id):
            if not src.audio_key or total >= MAX_TOTAL_SECONDS or len(paths) >= MAX_FILES:
                continue
            try:
                with self.storage.local_copy(src.audio_key) as path:
                    rate = min(probe(path).sample_rate or SAMPLE_RATE, SAMPLE_RATE)
                    wav = load_audio(path, sample_rate=rate)
            except (AudioError, OSError):
                continue
            spans = select_voice_samples(
                wav,
                rate,
                src.segments,
                src.speaker,
                max_total_seconds=MAX_TOTAL_SECONDS - total,
                max_files=MAX_FILES - len(paths),
            )
            for start, end in spans:
                piece = wav[int(start * rate) : int(end * rate)]
                out = work_dir / f"sample_{len(paths):02d}.wav"
                write_wav(out, piece, rate)
                paths.append(out)
                total += piece.size / rate
        return paths, total

    def build(self, *, persona_id: str, user_id: str, provider: str, work_dir: Path) -> dict[str, Any]:
        with transaction(self.sessions) as db:
            consent = latest_consent(db, persona_id)
        if consent is None:
            raise VoiceBuildError(
                "confirm first that you are the person in these recordings or have their permission "
                "(consent is required before a voice is cloned)"
            )
        samples, seconds = self.collect_samples(persona_id, work_dir)
        if not samples:
            raise VoiceBuildError("no clean stretch of your speech was found to build a voice from")
        with transaction(self.sessions) as db:
            persona = db.get(Persona, persona_id)
            if persona is None:
                raise VoiceBuildError("the persona was deleted")
            name = persona.name
        try:
            cloner = self.models.voice_cloner(provider, user_id=user_id, scope=persona_id)
            voice = cloner.clone(
                name=name, samples=[str(p) for p in samples], description=f"Echo Me persona {name}"
            )
        except ProviderError as exc:
            raise VoiceBuildError(f"voice cloning failed: {exc}", transient=exc.transient) from None
        except ValueError as exc:  # configuration (e.g. missing ElevenLabs key)
            raise VoiceBuildError(str(exc)) from None
        with transaction(self.sessions) as db:
            persona = db.get(Persona, persona_id)
            if persona is None:
                raise VoiceBuildError("the persona was deleted")
            previous = dict(persona.voice_settings or {})
            persona.voice_provider = voice.provider
            persona.voice_id = voice.voice_id
            persona.voice_settings = {
                "params": voice.settings,
                "detail": voice.detail,
                "consent_id": consent["id"],
                "samples": len(samples),
                "sample_seconds": round(seconds, 1),
                "built_at": utcnow().isoformat(),
                # per-persona speech preferences the seller set survive a rebuild
                **{k: v for k, v in previous.items() if k in ("tts_overrides",)},
            }
        return {
            "provider": voice.provider,
            "voice_id": voice.voice_id,
            "samples": len(samples),
            "sample_seconds": round(seconds, 1),
            "consent_id": consent["id"],
        }
