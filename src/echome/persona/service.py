"""Adding media to a persona — shared by the API and the CLI so both record consent the same way."""

from __future__ import annotations

from dataclasses import KW_ONLY, dataclass
from typing import Any, BinaryIO, Protocol
from urllib.parse import urlsplit

from sqlalchemy.orm import Session

from echome.db.models import PersonaMedia, Transcript, User, VoiceConsent
from echome.storage.base import FileStorage

MAX_ITEMS = 25
MEDIA_EXTENSIONS = (
    ".mp3", ".wav", ".m4a", ".aac", ".ogg", ".oga", ".opus", ".flac", ".webm", ".mp4", ".mov", ".mkv",
    ".avi", ".wma", ".amr", ".3gp", ".m4v",
)  # fmt: skip
DEFAULT_CONSENT = (
    "I am the person speaking in these recordings, or I have their permission to clone their voice."
)


def size_label(size: int) -> str:
    """ "1024 MB", "1.5 MB", "146 KB": a file size limit in words."""
    mb = size / (1024 * 1024)
    if mb >= 10:
        return f"{mb:.0f} MB"
    return f"{mb:.1f} MB" if mb >= 1 else f"{max(1, round(size / 1024))} KB"


class MediaInputError(ValueError):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


class Submit(Protocol):
    def __call__(self, *, user_id: str, kind: str, payload: dict[str, Any] | None = None) -> str: ...


@dataclass
class Submitted:
    job_id: str
    media: list[PersonaMedia]
    consent: VoiceConsent | None


def check_url(url: str) -> str:
    url = url.strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc or len(url) > 2000:
        raise MediaInputError(422, f"not a web address (http or https): {url[:100]!r}")
    return url


def record_consent(
    db: Session, user: User, persona_id: str, media_ids: list[str], statement: str | None, client: str
) -> VoiceConsent:
    row = VoiceConsent(
        user_id=user.id,
        persona_id=persona_id,
        confirmed_by=user.email,
        statement=(statement or DEFAULT_CONSENT).strip(),
        media_ids=media_ids,
        client=client[:200],
    )
    db.add(row)
    return row


@dataclass(eq=False)
class MediaIntake:
    """Takes a seller's recordings (URLs and uploads) for a persona and queues their processing."""

    storage: FileStorage
    submit: Submit
    _: KW_ONLY
    max_upload_bytes: int

    def add_media(
        self,
        db: Session,
        user: User,
        persona_id: str,
        *,
        urls: list[str] = (),  # type: ignore[assignment]
        uploads: list[tuple[str, BinaryIO]] = (),  # type: ignore[assignment]
        consent: bool = False,
        statement: str | None = None,
        build_voice: bool | None = None,
        provider: str = "auto",
        client: str = "api",
    ) -> Submitted:
        """Create media rows (uploads go to storage first), record consent, queue one `persona.media` job."""
        if not urls and not uploads:
            raise MediaInputError(422, "give at least one URL or file")
        if len(urls) + len(uploads) > MAX_ITEMS:
            raise MediaInputError(422, f"at most {MAX_ITEMS} recordings at once")
        limit = self.max_upload_bytes
        rows: list[PersonaMedia] = []
        stored: list[str] = []
        try:
            for url in dict.fromkeys(check_url(u) for u in urls):
                rows.append(PersonaMedia(user_id=user.id, persona_id=persona_id, kind="url", source=url))
            for name, fileobj in uploads:
                if not name.lower().endswith(MEDIA_EXTENSIONS):
                    raise MediaInputError(
                        415, f"{name}: not an audio or video file; use {', '.join(MEDIA_EXTENSIONS)}"
                    )
                fileobj.seek(0, 2)
                size = fileobj.tell()
                fileobj.seek(0)
                if size == 0:
                    raise MediaInputError(422, f"{name}: the file is empty")
                if size > limit:
                    raise MediaInputError(413, f"{name}: larger than the {size_label(limit)} limit")
                row = PersonaMedia(
                    user_id=user.id, persona_id=persona_id, kind="upload", source=name, title=name
                )
                db.add(row)
                db.flush()
                row.upload_key = self.storage.put("media-uploads", user.id, f"{row.id}-{name}", fileobj)
                stored.append(row.upload_key)
                rows.append(row)
            for r in rows:
                r.status = "pending"
            db.add_all(rows)
            db.flush()
            ids = [r.id for r in rows]
            consent_row = record_consent(db, user, persona_id, ids, statement, client) if consent else None
            db.commit()
        except Exception:
            db.rollback()
            for key in stored:
                self.storage.delete(key)
            raise
        job_id = self.submit(
            user_id=user.id,
            kind="persona.media",
            payload={
                "persona_id": persona_id,
                "media_ids": ids,
                "build_voice": consent if build_voice is None else build_voice,
                "voice_provider": provider,
            },
        )
        for r in rows:
            r.job_id = job_id
        db.commit()
        return Submitted(job_id, rows, consent_row)


def media_view(m: PersonaMedia) -> dict[str, Any]:
    return {
        "id": m.id,
        "kind": m.kind,
        "source": m.source,
        "title": m.title,
        "status": m.status,
        "error": m.error,
        "job_id": m.job_id,
        "duration_seconds": m.duration_seconds,
        "language": m.language,
        "created_at": m.created_at.isoformat() if m.created_at else None,
    }


def speakers_of(transcript: Transcript) -> list[str]:
    """The speaker ids told apart in a recording, most speech first."""
    return [str(s.get("id")) for s in (transcript.speakers or {}).get("speakers", []) if s.get("id")]


ALL_SPEAKERS = "all"  # "these are all me": one voice that was heard as several


def speaker_shares(transcript: Transcript) -> list[tuple[str, float | None]]:
    """Each speaker told apart in a recording, most speech first, with its share of the speech."""
    report = {str(s.get("id")): s for s in (transcript.speakers or {}).get("speakers", []) if s.get("id")}
    out = []
    for sid in speakers_of(transcript):
        share = report[sid].get("share")
        out.append((sid, float(share) if isinstance(share, int | float) else None))
    return out


def every_voice_is_seller(transcript: Transcript) -> bool:
    """The seller said every voice heard in the recording is theirs (`ALL_SPEAKERS`)."""
    return transcript.seller_speaker is None and transcript.speaker_chosen_by == "seller"


def choose_speaker(
    db: Session, submit: Submit, *, media: PersonaMedia, transcript: Transcript, speaker: str
) -> str:
    """The seller says which speaker of a recording is them (or `ALL_SPEAKERS`: every voice heard is
    theirs); the persona is re-measured and, where they consented, the voice rebuilt (returns the job
    id). MediaInputError (422) for a speaker this recording does not have."""
    known = speakers_of(transcript)
    if speaker != ALL_SPEAKERS and speaker not in known:
        raise MediaInputError(
            422,
            f"unknown speaker {speaker!r}; this recording has: {', '.join(sorted(known))} "
            f"(or {ALL_SPEAKERS!r}: every voice heard is you)",
        )
    transcript.seller_speaker = None if speaker == ALL_SPEAKERS else speaker
    transcript.speaker_chosen_by = "seller"
    db.commit()
    said = "every voice taken as yours" if speaker == ALL_SPEAKERS else f"speaker {speaker} chosen"
    return submit(
        user_id=media.user_id,
        kind="persona.analyse",
        payload={
            "persona_id": media.persona_id,
            "change": f"{said} in {media.title or media.id}",
            "build_voice": True,
        },
    )
