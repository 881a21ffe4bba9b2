"""The seller's own speech in a persona's ready recordings: which segments are theirs, and where each
recording sits on one joined timeline (trait evidence is mapped back to its recording and time).

A recording in which several speakers were told apart is the seller's only once they have said which
speaker is them (`awaiting_choice` until then): neither the persona nor the voice is built from a
guess about whose speech it is."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from echome.db.models import PersonaMedia, Transcript
from echome.db.session import transaction
from echome.providers.base import Segment


@dataclass
class SellerSource:
    media_id: str
    title: str
    offset: float
    duration: float
    audio_key: str | None
    speaker: str | None
    segments: list[Segment]
    awaiting_choice: bool = False  # several speakers, and the seller has not said which one is them


def confirmed(sources: list[SellerSource]) -> list[SellerSource]:
    """The sources whose speaker is known to be the seller (one voice heard, or the seller chose)."""
    return [s for s in sources if not s.awaiting_choice]


def awaiting(sources: list[SellerSource]) -> list[dict[str, str]]:
    """The recordings waiting for the seller to say which speaker is them, for a message or a page."""
    return [{"media_id": s.media_id, "title": s.title} for s in sources if s.awaiting_choice]


def seller_sources(sessions: sessionmaker[Session], persona_id: str) -> list[SellerSource]:
    """Ready media of the persona with the seller's own segments, in upload order."""
    with transaction(sessions) as db:
        rows = db.execute(
            select(PersonaMedia, Transcript)
            .join(Transcript, Transcript.media_id == PersonaMedia.id)
            .where(PersonaMedia.persona_id == persona_id, PersonaMedia.status == "ready")
            .order_by(PersonaMedia.created_at, PersonaMedia.id)
        ).all()
        out: list[SellerSource] = []
        offset = 0.0
        for media, tr in rows:
            segs = [Segment.from_dict(d) for d in tr.segments or []]
            mine = [s for s in segs if tr.seller_speaker is None or s.speaker == tr.seller_speaker]
            duration = float(media.duration_seconds or (segs[-1].end if segs else 0.0))
            told_apart = [
                x for x in (tr.speakers or {}).get("speakers", []) if isinstance(x, dict) and x.get("id")
            ]
            unsure = len(told_apart) > 1 and tr.speaker_chosen_by != "seller"
            out.append(
                SellerSource(
                    media.id,
                    media.title or media.source,
                    offset,
                    duration,
                    media.audio_key,
                    tr.seller_speaker,
                    mine,
                    awaiting_choice=unsure,
                )
            )
            offset += duration + 1.0
    return out


def shifted(sources: list[SellerSource]) -> list[Segment]:
    out: list[Segment] = []
    for src in sources:
        for seg in src.segments:
            words = [
                type(w)(w.start + src.offset, w.end + src.offset, w.text, w.probability) for w in seg.words
            ]
            out.append(Segment(seg.start + src.offset, seg.end + src.offset, seg.text, words, seg.speaker))
    return out


def _locate(evidence: dict[str, Any], sources: list[SellerSource]) -> dict[str, Any]:
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


def map_evidence(node: Any, sources: list[SellerSource]) -> Any:
    if isinstance(node, dict):
        out = {}
        for k, v in node.items():
            if k == "evidence" and isinstance(v, list):
                out[k] = [_locate(e, sources) if isinstance(e, dict) else e for e in v]
            else:
                out[k] = map_evidence(v, sources)
        return out
    if isinstance(node, list):
        return [map_evidence(v, sources) for v in node]
    return node
