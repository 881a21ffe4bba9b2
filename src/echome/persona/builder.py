"""Rebuild a persona's measured profile from all of its ready media (the seller's speech only).

Analysis runs outside any transaction; the result is saved as a new profile version in one short
transaction that rewrites `auto_extracted` only — the seller's overrides are never touched.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlalchemy import or_, select
from sqlalchemy.orm import Session, sessionmaker

from echome.db.models import Persona, Product
from echome.db.session import transaction
from echome.media.audio import AudioError, load_audio
from echome.media.seller_speech import (
    SellerSource,
    awaiting,
    confirmed,
    map_evidence,
    seller_sources,
    shifted,
)
from echome.persona import profile as profiles
from echome.providers.base import ModelsForSeller
from echome.storage.base import FileStorage

log = logging.getLogger("echome.persona")
PITCH_RATE = 16_000
PITCH_MAX_SECONDS = 120.0  # two minutes of speech give stable pitch statistics
LLM_TRANSCRIPT_CHARS = 12_000
CATALOG_VOCABULARY_PRODUCTS = 20_000  # product names read for topic words; a bigger catalog adds few new ones


def catalog_vocabulary(sessions: sessionmaker[Session], persona_id: str) -> list[str]:
    """Names and categories of the seller's products for this persona (its own and unassigned ones): the
    catalog's topic words, which say what is sold, not how the seller speaks."""
    with transaction(sessions) as db:
        persona = db.get(Persona, persona_id)
        if persona is None:
            return []
        rows = db.execute(
            select(Product.name, Product.category)
            .where(
                Product.user_id == persona.user_id,
                or_(Product.persona_id == persona_id, Product.persona_id.is_(None)),
            )
            .limit(CATALOG_VOCABULARY_PRODUCTS)
        ).all()
    return sorted({text for row in rows for text in row if text})


@dataclass(eq=False)
class ProfileBuilder:
    """Measures a persona's traits from the seller's speech and saves them as a profile version."""

    sessions: sessionmaker[Session]
    storage: FileStorage
    models: ModelsForSeller

    def analyse(self, persona_id: str, *, user_id: str) -> dict[str, Any]:
        """Measured traits (plus LLM traits when the seller configured a provider) for the persona."""
        from echome.persona.analyse import analyse_speech

        everything = seller_sources(self.sessions, persona_id)
        sources = confirmed(everything)
        waiting = awaiting(everything)
        if not sources:
            return {"awaiting_speaker": waiting} if waiting else {}
        segments = shifted(sources)
        measured = analyse_speech(
            segments,
            pitch=self._pitch(sources),
            exclude_words=catalog_vocabulary(self.sessions, persona_id),
            recording_sizes=[len(s.segments) for s in sources],
        )
        measured = map_evidence(measured, sources)
        measured["media"] = [
            {"media_id": s.media_id, "title": s.title, "speaker": s.speaker, "segments": len(s.segments)}
            for s in sources
        ]
        if waiting:
            measured["awaiting_speaker"] = waiting
        chat = self.models.chat(user_id)
        if chat is not None:
            from echome.persona.extract import extract_persona_llm, merge_llm_traits

            text = " ".join(seg.text for seg in segments)[:LLM_TRANSCRIPT_CHARS]
            try:
                llm = extract_persona_llm(chat, transcript_text=text, measured=measured)
            except Exception as exc:  # the measured profile stands on its own; the LLM only adds to it
                log.warning(
                    "LLM persona extraction failed", extra={"persona_id": persona_id, "error": str(exc)}
                )
                measured.setdefault("notes", []).append(f"LLM extraction skipped: {str(exc)[:200]}")
            else:
                measured = merge_llm_traits(measured, llm)
        return measured

    def rebuild(self, *, persona_id: str, user_id: str, change: str) -> int:
        """Re-measure and save a new version; returns the version number."""
        auto = self.analyse(persona_id, user_id=user_id)
        with transaction(self.sessions) as db:
            persona = db.get(Persona, persona_id)
            if persona is None:
                return 0
            profile = profiles.load_profile(db, persona)
            return profiles.save(db, profile, auto=auto, change=change).version

    def _pitch(self, sources: list[SellerSource]) -> dict[str, Any] | None:
        from echome.voice.measure import pitch_summary

        pieces: list[np.ndarray] = []
        total = 0.0
        for src in sources:
            if not src.audio_key or total >= PITCH_MAX_SECONDS:
                continue
            try:
                with self.storage.local_copy(src.audio_key) as path:
                    wav = load_audio(path, sample_rate=PITCH_RATE)
            except (AudioError, OSError) as exc:
                log.warning(
                    "voice copy unreadable for pitch", extra={"media_id": src.media_id, "error": str(exc)}
                )
                continue
            for seg in src.segments:
                piece = wav[int(seg.start * PITCH_RATE) : int(seg.end * PITCH_RATE)]
                pieces.append(piece)
                total += piece.size / PITCH_RATE
                if total >= PITCH_MAX_SECONDS:
                    break
        if not pieces:
            return None
        return pitch_summary(np.concatenate(pieces), PITCH_RATE)
