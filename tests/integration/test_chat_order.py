"""Two `echome worker` processes on Redis and PostgreSQL: one customer's two quick messages are
answered in the order they were sent, although each worker takes one.

The first message is a voice note (download, Whisper, answer, speech), the second a text question
(answer, speech): a worker answering the second on its own would send its reply first.
"""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from echome_env import echome_env
from sqlalchemy import select
from waiting import wait_for

from echome.bootstrap import build_services
from echome.db.models import Job, WorkerHeartbeat
from echome.db.session import transaction
from tests.servers.fake_telegram import FakeTelegram, text_update, voice_update
from tests.servers.fixtures import fake_telegram  # noqa: F401

from ..conftest import SUPPORT, make_settings

pytestmark = pytest.mark.slow
APPAREL = Path(__file__).resolve().parents[2].parent / "shared" / "eval" / "csv" / "apparel.csv"


def start_worker(settings: Any, log: Path) -> subprocess.Popen[bytes]:
    env = echome_env()
    env.update(
        {
            "ECHOME_DATA_DIR": str(settings.data_dir),
            "ECHOME_DATABASE_URL": settings.database_url,
            "ECHOME_REDIS_URL": settings.redis_url,
            "ECHOME_QUEUE_NAME": settings.queue_name,
            "ECHOME_EMBEDDER": settings.embedder,
            "ECHOME_STT": settings.stt,
            "ECHOME_TELEGRAM_API_URL": settings.telegram_api_url,
            "ECHOME_JOB_LEASE_SECONDS": "10",
            "ECHOME_CATALOG_CURRENCY": settings.catalog_currency or "",
            "PYTHONPATH": os.pathsep.join([str(SUPPORT), os.environ.get("PYTHONPATH", "")]),
        }
    )
    return subprocess.Popen(
        [sys.executable, "-m", "echome", "worker", "--threads", "1"],
        env=env,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
    )


def _started_jobs(log: Path) -> list[str]:
    """Ids of the telegram.update jobs a worker started, from its JSON log lines."""
    out = []
    for line in log.read_text(errors="replace").splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if entry.get("msg") == "job started" and entry.get("kind") == "telegram.update":
            out.append(entry["job_id"])
    return out


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_two_workers_answer_one_chat_in_order(
    tmp_path: Path,
    database_url: str,
    redis_url: str,
    fake_telegram: FakeTelegram,  # noqa: F811
) -> None:
    settings = make_settings(
        tmp_path,
        database_url=database_url,
        redis_url=redis_url,
        stt="local:tiny.en",
        telegram_api_url=fake_telegram.api_url,
    )
    services = build_services(settings)
    from echome.accounts import keys
    from echome.accounts.users import create_user
    from echome.db.models import Persona

    with transaction(services.sessions) as db:
        user_id = create_user(db, email="seller@example.com", password="correct horse").id
        persona = Persona(user_id=user_id, name="Ana")
        db.add(persona)
        db.flush()
        persona_id = persona.id
        keys.set_key(
            db,
            services.keystore,
            user_id=user_id,
            provider="telegram_bot_token",
            value=fake_telegram.token,
            scope=persona_id,
        )
    key = services.storage.put("uploads", user_id, "apparel.csv", APPAREL.read_bytes())
    services.executor.execute(
        services.submit_job(user_id=user_id, kind="catalog.import", payload={"file_key": key})
    )
    services.queue.huey.flush()  # the import ran here; nothing is left for the workers

    from echome.media.audio import encode, load_audio

    speech = services.models.tts("local", user_id=user_id).synthesize(
        "How much is the ocean blue shirt?", voice_id="piper:joe"
    )
    wav = load_audio(io.BytesIO(speech.audio), sample_rate=speech.sample_rate)
    file_id = fake_telegram.add_file(encode(wav, speech.sample_rate, codec="opus"), file_path="voice/q.oga")

    logs = [tmp_path / "worker-a.log", tmp_path / "worker-b.log"]
    workers = [start_worker(settings, log) for log in logs]
    try:

        def beating() -> int:
            with services.sessions() as db:
                return len(db.scalars(select(WorkerHeartbeat.id)).all())

        wait_for(lambda: beating() >= 2, timeout=90, what=f"two workers (logs: {logs})")
        # Both have loaded their models: the text question is then answered well before the voice note.
        wait_for(
            lambda: all("warmed up" in log.read_text(errors="replace") for log in logs),
            timeout=120,
            what=f"warm-up (logs: {logs})",
        )
        inbox = services.telegram_inbox
        inbox.record(persona_id=persona_id, update=voice_update(file_id, duration=3, chat_id=555))
        inbox.record(
            persona_id=persona_id, update=text_update("How much is the Classic Varsity Top?", chat_id=555)
        )
        wait_for(lambda: len(fake_telegram.sent_voices) >= 2, timeout=180, what=f"two replies (logs: {logs})")
    finally:
        for w in workers:
            w.send_signal(signal.SIGTERM)
        for w in workers:
            try:
                w.wait(timeout=30)
            except subprocess.TimeoutExpired:
                w.kill()
    captions = [caption or "" for _chat, _ogg, caption in fake_telegram.sent_voices]
    assert "Ocean Blue Shirt" in captions[0] and "$50" in captions[0], captions
    assert "Classic Varsity Top" in captions[1] and "$60" in captions[1], captions
    with services.sessions() as db:
        jobs = db.scalars(select(Job).where(Job.kind == "telegram.update")).all()
        assert [j.status for j in jobs] == ["completed", "completed"], [j.error for j in jobs]
    started = [_started_jobs(log) for log in logs]
    assert sorted(len(s) for s in started) == [1, 1], started  # each worker process took one message
    services.queue.huey.flush()
    services.close()
