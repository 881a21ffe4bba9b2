"""Rebuild a persona's measured profile from all of its ready media (the seller's speech only).

Analysis runs outside any transaction; the result is saved as a new profile version in one short
transaction that rewrites `auto_extracted` only — the seller's overrides are never touched.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from sqlalchemy import select

from echome.db.models import Persona, PersonaMedia, Transcript
from echome.db.session import transaction
from echome.media.audio import AudioError, load_audio
from echome.persona import profile as profiles
from echome.providers.base import Segment

if TYPE_CHECKING:
    from echome.bootstrap import Services

log = logging.getLogger("echome.persona")
PITCH_RATE = 16_000
PITCH_MAX_SECONDS = 120.0  # two minutes of speech give stable pitch statistics
LLM_TRANSCRIPT_CHARS = 12_000


@dataclass
class _Source:
    media_id: str
    title: str
    offset: float
    duration: float
    audio_key: str | None
    speaker: str | None
    segments: list[Segment]


def seller_sources(services: Services, persona_id: str) -> list[_Source]:
    """Ready media of the persona with the seller's own segments, in upload order."""
    with transaction(services.sessions) as db:
        rows = db.execute(
            select(PersonaMedia, Transcript)
            .join(Transcript, Transcript.media_id == PersonaMedia.id)
            .where(PersonaMedia.persona_id == persona_id, PersonaMedia.status == "ready")
            .order_by(PersonaMedia.created_at, PersonaMedia.id)
        ).all()
        out: list[_Source] = []
        offset = 0.0
        for media, tr in rows:
            segs = [Segment.from_dict(d) for d in tr.segments or []]
            mine = [s for s in segs if tr.seller_speaker is None or s.speaker == tr.seller_speaker]
            duration = float(media.duration_seconds or (segs[-1].end if segs else 0.0))
            out.append(
                _Source(
                    media.id,
                    media.title or media.source,
                    offset,
                    duration,
                    media.audio_key,
                    tr.seller_speaker,
                    mine,
                )
            )
            offset += duration + 1.0
    return out


def _shifted(sources: list[_Source]) -> list[Segment]:
    out: list[Segment] = []
    for src in sources:
        for seg in src.segments:
            words = [
                type(w)(w.start + src.offset, w.end + src.offset, w.text, w.probability) for w in seg.words
            ]
            out.append(Segment(seg.start + src.offset, seg.end + src.offset, seg.text, words, seg.speaker))
    return out


def _locate(evidence: dict[str, Any], sources: list[_Source]) -> dict[str, Any]:
    start = float(evidence.get("start", 0.0))
    for src in reversed(sources):
        if start >= src.offset - 1e-6:
            return {
                **evidence,
                "media_id": src.media_id,
                "media_title": src.title,
                "start": round(start - src.offset, 2),
                "end": round(float(evidence.get("end", start)) - src.offset, 2),
            }
    return evidence


def _map_evidence(node: Any, sources: list[_Source]) -> Any:
    if isinstance(node, dict):
        out = {}
        for k, v in node.items():
            if k == "evidence" and isinstance(v, list):
                out[k] = [_locate(e, sources) if isinstance(e, dict) else e for e in v]
            else:
                out[k] = _map_evidence(v, sources)
        return out
    if isinstance(node, list):
        return [_map_evidence(v, sources) for v in node]
    return node


def _pitch(services: Services, sources: list[_Source]) -> dict[str, Any] | None:
    from echome.voice.measure import pitch_summary

    pieces: list[np.ndarray] = []
    total = 0.0
    for src in sources:
        if not src.audio_key or total >= PITCH_MAX_SECONDS:
            continue
        try:
            with services.storage.local_copy(src.audio_key) as path:
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


def analyse_persona(services: Services, persona_id: str, *, user_id: str) -> dict[str, Any]:
    """Measured traits (plus LLM traits when the seller configured a provider) for the persona."""
    from echome.persona.analyse import analyse_speech

    sources = seller_sources(services, persona_id)
    if not sources:
        return {}
    segments = _shifted(sources)
    measured = analyse_speech(segments, pitch=_pitch(services, sources))
    measured = _map_evidence(measured, sources)
    measured["media"] = [
        {"media_id": s.media_id, "title": s.title, "speaker": s.speaker, "segments": len(s.segments)}
        for s in sources
    ]
    chat = services.chat_for(user_id)
    if chat is not None:
        from echome.persona.extract import extract_persona_llm, merge_llm_traits

        text = " ".join(seg.text for seg in segments)[:LLM_TRANSCRIPT_CHARS]
        try:
            llm = extract_persona_llm(chat, transcript_text=text, measured=measured)
        except Exception as exc:  # the measured profile stands on its own; the LLM only adds to it
            log.warning("LLM persona extraction failed", extra={"persona_id": persona_id, "error": str(exc)})
            measured.setdefault("notes", []).append(f"LLM extraction skipped: {str(exc)[:200]}")
        else:
            measured = merge_llm_traits(measured, llm)
    return measured


def rebuild_profile(services: Services, *, persona_id: str, user_id: str, change: str) -> int:
    """Re-measure and save a new version; returns the version number."""
    auto = analyse_persona(services, persona_id, user_id=user_id)
    with transaction(services.sessions) as db:
        persona = db.get(Persona, persona_id)
        if persona is None:
            return 0
        profile = profiles.load_profile(db, persona)
        return profiles.save(db, profile, auto=auto, change=change).version
