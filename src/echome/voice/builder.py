"""Build the persona's voice from clean samples of the seller's own speech, after consent.

Samples come from every ready recording, only from the stretches labelled as the seller; the
voice (local transform parameters or an ElevenLabs voice_id) is stored on the persona together
with the consent record it was built under and a grade of the speech it was built from.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from echome.db.models import Persona, Transcript, VoiceConsent
from echome.db.session import transaction
from echome.db.types import utcnow
from echome.media.audio import AudioError, load_audio, probe, write_wav
from echome.media.seller_speech import awaiting, seller_sources
from echome.media.voice_samples import RELAXED, STRICT, SampleRules, VoicePiece, voice_pieces
from echome.providers.base import ModelsForSeller, ProviderError, Segment
from echome.storage.base import FileStorage

SAMPLE_RATE = 22_050  # enough for voice measurements and what ElevenLabs accepts
MAX_TOTAL_SECONDS = 180.0
MAX_FILES = 25
# Less clean speech than this and the voice is built from the best available speech instead.
FALLBACK_BELOW = 10.0
MIN_USABLE_SECONDS = 2.0  # the local voice needs about 2 s of voiced speech to measure
# Grades. ElevenLabs asks for a minute or more of clean speech; 20 dB is a quiet room with a close
# microphone, under 10 dB the noise is about as present as the voice.
GOOD_SECONDS = 30.0
POOR_SECONDS = 10.0
CLEAN_SNR_DB = 20.0
POOR_SNR_DB = 10.0


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


@dataclass
class VoiceSamples:
    paths: list[Path]
    pieces: list[VoicePiece]
    relaxed: bool  # no clean stretch was enough: the best available speech was taken

    @property
    def seconds(self) -> float:
        return sum(p.seconds for p in self.pieces)


@dataclass(eq=False)
class VoiceBuilder:
    """Consent → clean samples of the seller → a voice (local parameters or an ElevenLabs voice).

    The clean stretches come first (STRICT rules). When they hold less than FALLBACK_BELOW seconds, the
    voice is built from the best available speech instead (RELAXED rules), and its grade says so.
    """

    sessions: sessionmaker[Session]
    storage: FileStorage
    models: ModelsForSeller

    def collect_samples(self, persona_id: str, work_dir: Path) -> VoiceSamples:
        strict = self._collect(persona_id, work_dir / "clean", STRICT)
        if strict.seconds >= FALLBACK_BELOW:
            return strict
        relaxed = self._collect(persona_id, work_dir / "best", RELAXED)
        return relaxed if relaxed.seconds > strict.seconds else strict

    def _collect(self, persona_id: str, work_dir: Path, rules: SampleRules) -> VoiceSamples:
        paths: list[Path] = []
        pieces: list[VoicePiece] = []
        total = 0.0
        work_dir.mkdir(parents=True, exist_ok=True)
        for src in seller_sources(self.sessions, persona_id):
            if src.awaiting_choice:  # several voices and the seller has not said which is theirs
                continue
            if not src.audio_key or total >= MAX_TOTAL_SECONDS or len(paths) >= MAX_FILES:
                continue
            try:
                with self.storage.local_copy(src.audio_key) as path:
                    rate = min(probe(path).sample_rate or SAMPLE_RATE, SAMPLE_RATE)
                    wav = load_audio(path, sample_rate=rate)
            except (AudioError, OSError):
                continue
            chosen = voice_pieces(
                wav,
                rate,
                self._every_segment(src.media_id) or src.segments,
                src.speaker,
                rules=rules,
                max_total_seconds=MAX_TOTAL_SECONDS - total,
                max_files=MAX_FILES - len(paths),
            )
            for piece in chosen:
                chunk = wav[int(piece.start * rate) : int(piece.end * rate)]
                out = work_dir / f"sample_{len(paths):02d}.wav"
                write_wav(out, chunk, rate)
                paths.append(out)
                pieces.append(piece)
                total += chunk.size / rate
        return VoiceSamples(paths, pieces, relaxed=rules is not STRICT)

    def _every_segment(self, media_id: str) -> list[Segment]:
        """All speakers' segments of a recording: another voice's speech is kept out of the samples."""
        with transaction(self.sessions) as db:
            rows = db.scalar(select(Transcript.segments).where(Transcript.media_id == media_id))
        try:
            return [Segment.from_dict(d) for d in rows or []]
        except (KeyError, IndexError, TypeError, ValueError):  # malformed: the seller's part alone
            return []

    def consented(self, persona_id: str) -> bool:
        with transaction(self.sessions) as db:
            return latest_consent(db, persona_id) is not None

    def build(self, *, persona_id: str, user_id: str, provider: str, work_dir: Path) -> dict[str, Any]:
        with transaction(self.sessions) as db:
            consent = latest_consent(db, persona_id)
        if consent is None:
            raise VoiceBuildError(
                "confirm first that you are the person in these recordings or have their permission "
                "(consent is required before a voice is cloned)"
            )
        found = self.collect_samples(persona_id, work_dir)
        samples, seconds = found.paths, found.seconds
        if seconds < MIN_USABLE_SECONDS:
            waiting = awaiting(seller_sources(self.sessions, persona_id))
            if waiting:
                titles = ", ".join(w["title"] for w in waiting)[:200]
                raise VoiceBuildError(
                    f"say which speaker is you first: {titles} "
                    f"{'have' if len(waiting) > 1 else 'has'} more than one voice in it, and your "
                    "voice is only copied from speech you said is yours (Persona page, 'Which voice "
                    "is yours')"
                )
            raise VoiceBuildError(_too_little(seconds))
        quality = grade_samples(found)
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
                "quality": quality,
                "built_at": utcnow().isoformat(),
                # per-persona speech preferences the seller set survive a rebuild
                **{k: v for k, v in previous.items() if k in ("tts_overrides",)},
            }
        return {
            "provider": voice.provider,
            "voice_id": voice.voice_id,
            "samples": len(samples),
            "sample_seconds": round(seconds, 1),
            "quality": quality,
            "consent_id": consent["id"],
        }


def _too_little(seconds: float) -> str:
    if seconds <= 0:
        return (
            "too little of your speech to build a voice from: none of your recordings has a stretch of "
            f"you talking for {RELAXED.min_seconds:g} seconds or more without another voice, loud "
            "distortion or silence"
        )
    return (
        f"too little of your speech to build a voice from: only {seconds:.1f} seconds could be used, "
        f"and a voice needs at least {MIN_USABLE_SECONDS:g}"
    )


def grade_samples(found: VoiceSamples) -> dict[str, Any]:
    """How good a voice these samples make, with the reasons in the seller's words.

    good: enough clean speech; poor: very little speech or speech buried in noise; fair: in between.
    """
    pieces = found.pieces
    seconds = found.seconds
    snr = sum(p.snr_db * p.seconds for p in pieces) / seconds if seconds > 0 else 0.0
    reasons: list[str] = []
    if found.relaxed and any(p.seconds < STRICT.min_seconds for p in pieces):
        reasons.append(
            "no long stretch of you talking on your own was found, so short pieces of your speech were used"
        )
    if found.relaxed and any(p.near_other for p in pieces):
        reasons.append("some pieces are right next to another person talking")
    if found.relaxed and any(p.clipped for p in pieces):
        reasons.append("some pieces were recorded too loud and sound slightly distorted")
    if seconds < GOOD_SECONDS:
        reasons.append(
            f"only {seconds:.0f} seconds of your speech could be used (a minute or more gives a closer voice)"
        )
    if snr < CLEAN_SNR_DB:
        reasons.append("there is background noise or music under your voice")
    poor = seconds < POOR_SECONDS or snr < POOR_SNR_DB
    grade = "poor" if poor else "fair" if reasons else "good"
    return {
        "grade": grade,
        "seconds": round(seconds, 1),
        "snr_db": round(snr, 1),
        "best_available": found.relaxed,
        "reasons": reasons,
    }
