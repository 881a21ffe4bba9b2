"""Persona jobs: they run the media, profile and voice stages by id.

- `persona.media`: fetch + transcribe + diarize each item, then re-measure the profile, then (with
  consent) rebuild the voice. Items that fail are reported one by one; the job fails only when no
  item could be used.
- `persona.analyse`: re-measure the profile (after the seller picked another speaker, or deleted media).
- `persona.voice`: (re)build the voice from the current media.
"""

from __future__ import annotations

import shutil
import time
from dataclasses import KW_ONLY, dataclass
from pathlib import Path
from typing import Any

from echome.jobs import JobContext, PermanentJobError, TransientJobError
from echome.media.transcribe import MediaFailed, MediaTranscriber
from echome.persona.builder import ProfileBuilder
from echome.providers.base import ModelsForSeller
from echome.voice.builder import VoiceBuilder, VoiceBuildError


def work_dir(tmp_root: Path, ctx: JobContext) -> Path:
    return tmp_root / f"job-{ctx.job_id}"


@dataclass(eq=False)
class PersonaVoiceJob:
    """`persona.voice`: (re)build the persona's voice."""

    voices: VoiceBuilder
    models: ModelsForSeller
    _: KW_ONLY
    tmp_root: Path

    def __call__(self, ctx: JobContext, payload: dict[str, Any]) -> dict[str, Any]:
        try:
            ctx.progress(5, "selecting clean samples of your voice")
            return {"voice": self.build(ctx, payload["persona_id"], payload.get("provider") or "auto")}
        finally:
            shutil.rmtree(work_dir(self.tmp_root, ctx), ignore_errors=True)

    def build(self, ctx: JobContext, persona_id: str, provider: str) -> dict[str, Any]:
        if provider == "auto":
            provider = self.models.voice_provider(ctx.user_id, persona_id)
        try:
            return self.voices.build(
                persona_id=persona_id,
                user_id=ctx.user_id,
                provider=provider,
                work_dir=work_dir(self.tmp_root, ctx) / "voice",
            )
        except VoiceBuildError as exc:
            if exc.transient and ctx.may_retry:
                raise TransientJobError(str(exc)) from None
            raise PermanentJobError(str(exc)) from None


@dataclass(eq=False)
class PersonaAnalyseJob:
    """`persona.analyse`: re-measure the profile; with `build_voice` (the seller said which speaker
    is them) also rebuild the voice, when they consented to one."""

    profiles: ProfileBuilder
    voice: PersonaVoiceJob | None = None

    def __call__(self, ctx: JobContext, payload: dict[str, Any]) -> dict[str, Any]:
        ctx.progress(10, "measuring your speaking style")
        persona_id = payload["persona_id"]
        version = self.profiles.rebuild(
            persona_id=persona_id,
            user_id=ctx.user_id,
            change=str(payload.get("change") or "re-analysed"),
        )
        out: dict[str, Any] = {"profile_version": version}
        if payload.get("build_voice") and self.voice is not None and self.voice.voices.consented(persona_id):
            ctx.progress(60, "building your voice")
            try:
                out["voice"] = self.voice.build(ctx, persona_id, "auto")
            except PermanentJobError as exc:  # the profile stands; the seller can retry the voice
                out["voice"] = {"error": str(exc)}
            finally:
                shutil.rmtree(work_dir(self.voice.tmp_root, ctx), ignore_errors=True)
        return out


@dataclass(eq=False)
class PersonaMediaJob:
    """`persona.media`: new recordings → transcripts → profile → (with consent) voice."""

    transcriber: MediaTranscriber
    profiles: ProfileBuilder
    voice: PersonaVoiceJob
    _: KW_ONLY
    tmp_root: Path

    def __call__(self, ctx: JobContext, payload: dict[str, Any]) -> dict[str, Any]:
        persona_id = payload["persona_id"]
        work = work_dir(self.tmp_root, ctx)
        try:
            results = self._transcribe(ctx, list(payload["media_ids"]), work)
            ready = [r for r in results if r["status"] == "ready"]
            if not ready:
                reasons = "; ".join(r.get("error") or "unknown" for r in results) or "no media given"
                raise PermanentJobError(f"none of the recordings could be used: {reasons}")
            ctx.progress(82, "measuring your speaking style")
            t = time.perf_counter()
            titles = ", ".join(str(r.get("title") or r["media_id"]) for r in ready)
            version = self.profiles.rebuild(
                persona_id=persona_id, user_id=ctx.user_id, change=f"media added: {titles}"[:200]
            )
            timings = {"analyse": round(time.perf_counter() - t, 3)}
            out: dict[str, Any] = {
                "media": results,
                "profile_version": version,
                "voice": None,
                "timings": timings,
            }
            if payload.get("build_voice"):
                ctx.progress(90, "building your voice")
                t = time.perf_counter()
                try:
                    out["voice"] = self.voice.build(ctx, persona_id, payload.get("voice_provider") or "auto")
                except PermanentJobError as exc:  # the transcripts and profile stand; the seller can retry
                    out["voice"] = {"error": str(exc)}
                timings["voice"] = round(time.perf_counter() - t, 3)
            return out
        finally:
            shutil.rmtree(work, ignore_errors=True)

    def _transcribe(self, ctx: JobContext, media_ids: list[str], work: Path) -> list[dict[str, Any]]:
        unreachable: dict[str, str] = {}
        ids = self.transcriber.expand_playlists(
            media_ids=media_ids, progress=lambda f, m: ctx.progress(2, m), failed=unreachable
        )
        results: list[dict[str, Any]] = [
            {"media_id": media_id, "status": "failed", "error": reason}
            for media_id, reason in unreachable.items()
        ]
        n = max(1, len(ids))
        for i, media_id in enumerate(ids):
            base, span = 3 + 77 * i / n, 77 / n
            label = f"[{i + 1}/{len(ids)}] " if len(ids) > 1 else ""
            try:
                r = self.transcriber.process(
                    media_id=media_id,
                    work_dir=work / media_id,
                    progress=lambda f, m, b=base, s=span, lb=label: ctx.progress(b + s * f, lb + m),
                )
                results.append(r.as_dict())
            except MediaFailed as exc:
                if exc.transient and ctx.may_retry:
                    raise TransientJobError(str(exc)) from None
                results.append({"media_id": media_id, "status": "failed", "error": str(exc)})
            finally:
                shutil.rmtree(work / media_id, ignore_errors=True)
        return results
