"""Persona jobs: thin wrappers that run the media, profile and voice pipelines by id.

- `persona.media`: fetch + transcribe + diarize each item, then re-measure the profile, then (with
  consent) rebuild the voice. Items that fail are reported one by one; the job fails only when no
  item could be used.
- `persona.analyse`: re-measure the profile (after the seller picked another speaker, or deleted media).
- `persona.voice`: (re)build the voice from the current media.
"""

from __future__ import annotations

import shutil
import time
from typing import Any

from echome.jobs import JobContext, PermanentJobError, TransientJobError, job_handler
from echome.persona.build import rebuild_profile
from echome.persona.media import MediaFailed, expand_playlists, process_media


def _work_dir(ctx: JobContext) -> Any:
    return ctx.services.settings.data_dir / "tmp" / f"job-{ctx.job_id}"


@job_handler("persona.media")
def add_media(ctx: JobContext, payload: dict[str, Any]) -> dict[str, Any]:
    services = ctx.services
    persona_id = payload["persona_id"]
    work = _work_dir(ctx)
    try:
        ids = expand_playlists(
            services, media_ids=list(payload["media_ids"]), progress=lambda f, m: ctx.progress(2, m)
        )
        results: list[dict[str, Any]] = []
        n = max(1, len(ids))
        for i, media_id in enumerate(ids):
            base, span = 3 + 77 * i / n, 77 / n
            label = f"[{i + 1}/{len(ids)}] " if len(ids) > 1 else ""
            try:
                r = process_media(
                    services,
                    media_id=media_id,
                    work_dir=work / media_id,
                    progress=lambda f, m, b=base, s=span, lb=label: ctx.progress(b + s * f, lb + m),
                )
                results.append(r.as_dict())
            except MediaFailed as exc:
                if exc.transient and ctx.attempt < _max_attempts(ctx):
                    raise TransientJobError(str(exc)) from None
                results.append({"media_id": media_id, "status": "failed", "error": str(exc)})
            finally:
                shutil.rmtree(work / media_id, ignore_errors=True)
        ready = [r for r in results if r["status"] == "ready"]
        if not ready:
            reasons = "; ".join(r.get("error") or "unknown" for r in results) or "no media given"
            raise PermanentJobError(f"none of the recordings could be used: {reasons}")
        ctx.progress(82, "measuring your speaking style")
        t = time.perf_counter()
        titles = ", ".join(str(r.get("title") or r["media_id"]) for r in ready)
        version = rebuild_profile(
            services, persona_id=persona_id, user_id=ctx.user_id, change=f"media added: {titles}"[:200]
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
                out["voice"] = _voice(ctx, persona_id, payload.get("voice_provider") or "auto")
            except PermanentJobError as exc:  # the transcripts and profile stand; the seller can retry
                out["voice"] = {"error": str(exc)}
            timings["voice"] = round(time.perf_counter() - t, 3)
        return out
    finally:
        shutil.rmtree(work, ignore_errors=True)


@job_handler("persona.analyse")
def analyse(ctx: JobContext, payload: dict[str, Any]) -> dict[str, Any]:
    ctx.progress(10, "measuring your speaking style")
    version = rebuild_profile(
        ctx.services,
        persona_id=payload["persona_id"],
        user_id=ctx.user_id,
        change=str(payload.get("change") or "re-analysed"),
    )
    return {"profile_version": version}


@job_handler("persona.voice")
def voice(ctx: JobContext, payload: dict[str, Any]) -> dict[str, Any]:
    try:
        ctx.progress(5, "selecting clean samples of your voice")
        return {"voice": _voice(ctx, payload["persona_id"], payload.get("provider") or "auto")}
    finally:
        shutil.rmtree(_work_dir(ctx), ignore_errors=True)


def _voice(ctx: JobContext, persona_id: str, provider: str) -> dict[str, Any]:
    from echome.voice.build import VoiceBuildError, build_voice

    if provider == "auto":
        has_key = ctx.services.cloud_key(ctx.user_id, "elevenlabs", persona_id)
        provider = "elevenlabs" if has_key else "local"
    try:
        return build_voice(
            ctx.services,
            persona_id=persona_id,
            user_id=ctx.user_id,
            provider=provider,
            work_dir=_work_dir(ctx) / "voice",
        )
    except VoiceBuildError as exc:
        if exc.transient and ctx.attempt < _max_attempts(ctx):
            raise TransientJobError(str(exc)) from None
        raise PermanentJobError(str(exc)) from None


def _max_attempts(ctx: JobContext) -> int:
    return ctx.services.settings.job_max_attempts
