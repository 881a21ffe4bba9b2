"""One recording's journey: fetch (yt-dlp or upload) → audio (PyAV) → transcript → whose voice.

Everything that can fail runs on temporary files first; the database learns about a result in one
short transaction at the end, so a failure leaves earlier media, transcripts and the profile as
they were. The temporary folder is removed by the caller whatever happens.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from echome.db.models import PersonaMedia, Transcript
from echome.db.session import transaction
from echome.jobs.limits import ResourceLimits
from echome.media import download as dl
from echome.media.audio import (
    EXTRACT_LIMITS,
    RECOGNITION_RATE,
    AudioError,
    extract_for_pipeline,
    load_audio,
    probe,
)
from echome.net.egress import EgressPolicy
from echome.providers.base import ProviderError, Segment, SpeakerEmbedder, SpeechToText
from echome.storage.base import FileStorage

log = logging.getLogger("echome.media")
Progress = Callable[[float, str], None]
MIN_SPEECH_SECONDS = 2.0


class MediaFailed(ValueError):
    """This item cannot be used; the message is meant for the seller. `transient`: worth a retry."""

    def __init__(self, message: str, *, transient: bool = False) -> None:
        super().__init__(dl.hide_paths(message))  # decoders name the server's temporary files
        self.transient = transient


@dataclass
class MediaResult:
    media_id: str
    status: str
    title: str | None
    duration: float | None
    language: str | None
    speech_seconds: float
    speakers: int
    error: str | None = None
    timings: dict[str, float] = field(default_factory=dict)  # seconds per stage

    def as_dict(self) -> dict[str, Any]:
        return self.__dict__.copy()


@dataclass(frozen=True)
class MediaLimits:
    max_seconds: float = 120 * 60  # longest recording accepted
    max_bytes: int = 1024 * 1024 * 1024  # largest upload or download
    max_items: int = 25  # most items taken from one playlist
    languages: tuple[str, ...] = ("en",)  # languages the persona analysis supports
    decode: ResourceLimits = EXTRACT_LIMITS  # memory and time for decoding one recording


@dataclass(eq=False)
class MediaTranscriber:
    """Fetch → audio → transcript → whose voice, for a persona's recordings, by media row id."""

    sessions: sessionmaker[Session]
    storage: FileStorage
    stt: SpeechToText
    speaker_embedder: SpeakerEmbedder
    limits: MediaLimits
    egress: EgressPolicy  # where URLs may be fetched from

    def expand_playlists(
        self, *, media_ids: list[str], progress: Progress, failed: dict[str, str] | None = None
    ) -> list[str]:
        """Turn each playlist URL row into one row per item (the first item reuses the row). A URL
        that cannot even be looked up is marked failed, with its reason also put in `failed`."""
        out: list[str] = []
        for media_id in media_ids:
            with transaction(self.sessions) as db:
                row = db.get(PersonaMedia, media_id)
                if row is None:
                    continue
                kind, source, status = row.kind, row.source, row.status
            if kind != "url" or status == "ready":
                out.append(media_id)
                continue
            progress(0, f"looking up {source}")
            try:
                entries = dl.list_entries(source, egress=self.egress, max_items=self.limits.max_items)
            except dl.DownloadError as exc:
                self._fail(media_id, str(exc))
                if failed is not None:
                    failed[media_id] = str(exc)
                continue
            with transaction(self.sessions) as db:
                row = db.get(PersonaMedia, media_id)
                if row is None:
                    continue
                first, rest = entries[0], entries[1:]
                if rest:
                    row.meta = {**(row.meta or {}), "playlist": source}
                    row.source = first.url
                row.title = row.title or first.title
                out.append(row.id)
                for e in rest:
                    extra = PersonaMedia(
                        user_id=row.user_id,
                        persona_id=row.persona_id,
                        kind="url",
                        source=e.url,
                        title=e.title,
                        status="pending",
                        job_id=row.job_id,
                        meta={"playlist": source},
                    )
                    db.add(extra)
                    db.flush()
                    out.append(extra.id)
        return out

    def process(self, *, media_id: str, work_dir: Path, progress: Progress) -> MediaResult:
        """Fetch, decode, transcribe and diarize one item; store its audio and transcript."""
        with transaction(self.sessions) as db:
            row = db.get(PersonaMedia, media_id)
            if row is None:
                raise MediaFailed("the media item was deleted")
            if row.status == "ready" and row.audio_key:  # done by an earlier attempt of this job
                return MediaResult(row.id, "ready", row.title, row.duration_seconds, row.language, 0.0, 0)
            row.status, row.error = "processing", None
            kind, source, upload_key, user_id = row.kind, row.source, row.upload_key, row.user_id
        try:
            result = self._process(media_id, kind, source, upload_key, user_id, work_dir, progress)
        except MediaFailed as exc:
            if not exc.transient:
                self._fail(media_id, str(exc))
            raise
        return result

    def _process(
        self,
        media_id: str,
        kind: str,
        source: str,
        upload_key: str | None,
        user_id: str,
        work_dir: Path,
        progress: Progress,
    ) -> MediaResult:
        max_seconds = self.limits.max_seconds
        work_dir.mkdir(parents=True, exist_ok=True)
        title: str | None = None
        meta: dict[str, Any] = {}
        timings: dict[str, float] = {}
        t = time.perf_counter()
        if kind == "url":
            progress(0.02, f"downloading {source}")
            try:
                got = dl.download(
                    source,
                    work_dir / "download",
                    egress=self.egress,
                    max_seconds=max_seconds,
                    max_bytes=self.limits.max_bytes,
                    progress=lambda frac, msg: progress(0.02 + 0.25 * frac, msg),
                )
            except dl.DownloadError as exc:
                raise MediaFailed(str(exc), transient=dl.transient(str(exc))) from None
            original = got.path
            title = got.title
            meta = {"url": got.source_url, "extractor": got.extractor, "uploader": got.uploader}
        else:
            if not upload_key:
                raise MediaFailed("the uploaded file is missing")
            original = work_dir / "upload"
            try:
                original.write_bytes(self.storage.get(upload_key))
            except Exception as exc:
                raise MediaFailed(f"the uploaded file could not be read: {exc}") from None
        timings["fetch"] = round(time.perf_counter() - t, 3)
        t = time.perf_counter()
        progress(0.3, "extracting audio")
        asr_path, hq_path = work_dir / "speech16k.wav", work_dir / "voice.flac"
        try:
            duration = extract_for_pipeline(
                original,
                asr_path=asr_path,
                hq_path=hq_path,
                max_seconds=max_seconds,
                limits=self.limits.decode,
            )
        except AudioError as exc:
            raise MediaFailed(_audio_reason(original, exc)) from None
        timings["audio"] = round(time.perf_counter() - t, 3)
        t = time.perf_counter()
        progress(0.35, f"transcribing {duration / 60:.1f} min of audio")
        try:
            transcript = self.stt.transcribe(str(asr_path))
        except ProviderError as exc:
            raise MediaFailed(f"transcription failed: {exc}", transient=exc.transient) from None
        speech = sum(seg.end - seg.start for seg in transcript.segments)
        if speech < MIN_SPEECH_SECONDS or not transcript.text.strip():
            raise MediaFailed(_no_speech_reason(duration, speech if transcript.text.strip() else 0.0))
        timings["transcribe"] = round(time.perf_counter() - t, 3)
        t = time.perf_counter()
        progress(0.8, "telling speakers apart")
        report = self._speakers(asr_path, transcript.segments)
        timings["speakers"] = round(time.perf_counter() - t, 3)
        accepted = list(self.limits.languages)
        language_note = None
        if accepted and transcript.language not in accepted:
            language_note = (
                f"the speech is in '{transcript.language}' "
                f"(confidence {transcript.language_probability:.0%}); "
                f"persona analysis supports: {', '.join(accepted)}. The transcript is kept, "
                "but this recording is not used for the persona or the voice"
            )
        audio_key = self.storage.put("audio", user_id, f"{media_id}.flac", hq_path.read_bytes())
        with transaction(self.sessions) as db:
            row = db.get(PersonaMedia, media_id)
            if row is None:
                self.storage.delete(audio_key)
                raise MediaFailed("the media item was deleted while it was processed")
            old_upload = row.upload_key
            row.title = row.title or title or Path(source).name
            row.duration_seconds = duration
            row.language = transcript.language
            row.audio_key = audio_key
            row.upload_key = None
            row.meta = {**(row.meta or {}), **{k: v for k, v in meta.items() if v}}
            row.status = "failed" if language_note else "ready"
            row.error = language_note
            existing = db.scalar(select(Transcript).where(Transcript.media_id == media_id))
            if existing is None:
                existing = Transcript(user_id=row.user_id, media_id=media_id)
                db.add(existing)
            existing.model = transcript.model
            existing.language = transcript.language
            existing.language_probability = transcript.language_probability
            existing.text = transcript.text
            existing.segments = [seg.to_dict() for seg in report["segments"]]
            existing.speakers = report["speakers"]
            existing.seller_speaker = report["dominant"]
            existing.speaker_chosen_by = "auto"
            final_title = row.title
        if old_upload:
            self.storage.delete(old_upload)
        return MediaResult(
            media_id=media_id,
            status="failed" if language_note else "ready",
            title=final_title,
            duration=duration,
            language=transcript.language,
            speech_seconds=round(speech, 1),
            speakers=len(report["speakers"].get("speakers", [])),
            error=language_note,
            timings=timings,
        )

    def _speakers(self, asr_path: Path, segments: list[Segment]) -> dict[str, Any]:
        from echome.media.speakers import assign_speakers

        wav = load_audio(asr_path, sample_rate=RECOGNITION_RATE)
        rep = assign_speakers(wav, RECOGNITION_RATE, segments, embedder=self.speaker_embedder)
        return {
            "segments": rep.segments,
            "dominant": rep.dominant,
            "speakers": {
                "speakers": rep.speakers,
                "dominant": rep.dominant,
                "confidence": rep.confidence,
                "embedder": self.speaker_embedder.name,
            },
        }

    def _fail(self, media_id: str, reason: str) -> None:
        with transaction(self.sessions) as db:
            row = db.get(PersonaMedia, media_id)
            if row is not None:
                row.status, row.error = "failed", reason[:2000]


def _too_short(what: str) -> str:
    return (
        f"the recording is too short: {what}; it needs at least {MIN_SPEECH_SECONDS:g} s of you talking "
        "(a few sentences are best)"
    )


def _no_speech_reason(duration: float, speech: float) -> str:
    """Why a recording with less than MIN_SPEECH_SECONDS of speech is refused: too short (some speech,
    or a recording shorter than the minimum), or no speech at all."""
    if speech > 0:
        return _too_short(f"only {speech:.1f} s of speech in {duration:.1f} s of audio")
    if duration < MIN_SPEECH_SECONDS:
        return _too_short(f"it is {duration:.1f} s long")
    return (
        f"no speech found in {duration:.0f} s of audio (silence or music only?); "
        "upload a recording where you talk"
    )


def _audio_reason(original: Path, exc: AudioError) -> str:
    """The decoder's reason, or "too short" when the file holds too little audio to be decoded."""
    try:
        seconds = probe(original).duration
    except AudioError:
        return str(exc)
    if 0 < seconds < MIN_SPEECH_SECONDS:
        return _too_short(f"it is {seconds:.1f} s long")
    return str(exc)
