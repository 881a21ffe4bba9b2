"""Persona pipeline wall time per minute of audio, by stage, for a ~10-minute recording. Prints JSON.

The recording (LibriVox speech repeated to the length asked, muxed into an MP4 with a video track)
is served from a local HTTP server and posted as a URL, exactly as a seller would: download
(yt-dlp) → audio (PyAV) → transcript (local Whisper) → speakers → analysis → local voice.
The reference beside it: the speech model alone on the same 16 kHz audio (the floor for the
transcript stage), so the pipeline's own overhead is visible.
Usage: python benchmarks/persona_pipeline.py [--minutes 10] [--stt local:base]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from echome.accounts.users import create_user
from echome.bootstrap import build_services
from echome.db import migrate
from echome.db.models import Persona, User
from echome.db.session import transaction
from echome.media.audio import load_audio, write_wav
from echome.persona.service import add_media
from echome.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from tests.support.media import librivox_clips, serve_dir, write_mp4  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--minutes", type=float, default=10.0)
    ap.add_argument("--stt", default="local:base")
    args = ap.parse_args()
    clips = [load_audio(c) for c, _ in librivox_clips()]
    gap = np.zeros(8000, np.float32)
    pieces: list[np.ndarray] = []
    total = 0
    while total < args.minutes * 60 * 16000:
        for c in clips:
            pieces += [c, gap]
            total += c.size + gap.size
    wav = np.concatenate(pieces)[: int(args.minutes * 60 * 16000)]
    duration = wav.size / 16000
    with tempfile.TemporaryDirectory() as tmp:
        tmpd = Path(tmp)
        site = tmpd / "site"
        site.mkdir()
        write_mp4(site / "talk.mp4", wav)
        settings = Settings(
            _env_file=None,
            data_dir=tmpd / "data",
            stt=args.stt,
            log_level="WARNING",
            embedder="fake:hashing",
            fetch_allow_networks="127.0.0.1",  # the recording is served on loopback
        )
        services = build_services(settings)
        migrate.upgrade(services.engine)
        with transaction(services.sessions) as db:
            user = create_user(db, email="bench@example.com", password="bench-password")
            persona = Persona(user_id=user.id, name="Bench")
            db.add(persona)
            db.flush()
            user_id, persona_id = user.id, persona.id
        # warm the speech model so the figure is per-recording work, not a one-off load
        write_wav(tmpd / "warm.wav", clips[0], 16000)
        services.stt.transcribe(str(tmpd / "warm.wav"))
        with serve_dir(site) as base, services.sessions() as db:
            sub = add_media(
                services, db, db.get(User, user_id), persona_id, urls=[f"{base}/talk.mp4"], consent=True
            )
            t = time.perf_counter()
            services.executor.execute(sub.job_id)
            wall = time.perf_counter() - t
        with services.sessions() as db:
            from echome.jobs import store

            job = store.get_job(db, user_id=user_id, job_id=sub.job_id)
            status, result, error = job.status, job.result or {}, job.error
        write_wav(tmpd / "alone.wav", wav, 16000)
        t = time.perf_counter()
        services.stt.transcribe(str(tmpd / "alone.wav"))
        model_alone = time.perf_counter() - t
        services.close()
    if status != "completed":
        sys.exit(f"pipeline failed: {error}")
    stages = {**result["media"][0].get("timings", {}), **result.get("timings", {})}
    minutes = duration / 60
    print(
        json.dumps(
            {
                "stt": args.stt,
                "audio_seconds": round(duration, 1),
                "wall_seconds": round(wall, 2),
                "wall_per_audio_second": round(wall / duration, 4),
                "target_wall_per_audio_second": 0.3,
                "stages_seconds": stages,
                "stages_seconds_per_audio_minute": {k: round(v / minutes, 3) for k, v in stages.items()},
                "reference_model_alone_seconds": round(model_alone, 2),
                "pipeline_over_model_alone": round(wall / model_alone, 3),
                "voice": result.get("voice"),
            },
            indent=1,
        )
    )


if __name__ == "__main__":
    main()
