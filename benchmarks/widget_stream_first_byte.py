"""The web chat with an ElevenLabs voice: how soon the first sentence's audio reaches the browser when
it is relayed from ElevenLabs' stream, beside the whole-sentence path. Prints JSON.

The fake ElevenLabs server (tests/servers/fake_elevenlabs.py) "makes" speech at a set pace: it sends
its half-second MP3 `--chunk-bytes` at a time, `--chunk-delay` seconds apart, and its whole-audio
endpoint answers after as long as the stream takes. The app runs under uvicorn in this process (the
embedded stack, the offline composer), so responses really stream.

  system:   widget asks for MP3 → the `audio` event comes at once → GET relays /stream
  baseline: widget asks for OGG (ElevenLabs does not stream it here) → the sentence is made whole
            (POST /v1/text-to-speech, decode, OGG) → `audio` event → GET serves it from the cache
Per question (a new visitor each), sentence 0: answer event → audio event; audio GET → first byte;
audio GET → last byte; answer event → first byte (what the listener waits for). Also the adapter
alone: ElevenLabsTTS.stream first chunk vs. synthesize. Medians over --runs.

    python benchmarks/widget_stream_first_byte.py --runs 5 --chunk-bytes 800 --chunk-delay 0.15
"""

from __future__ import annotations

import argparse
import json
import socket
import statistics
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import uvicorn

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.servers.fake_elevenlabs import PREMADE_VOICE, FakeElevenLabs  # noqa: E402

CATALOG = (
    b"sku,name,description,price\n"
    b"LMP-2,Copper Desk Lamp,Brushed copper desk lamp with a linen shade. It ships in two days.,79\n"
)
QUESTION = "How much is the copper desk lamp?"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def serve(app: Any) -> tuple[uvicorn.Server, str]:
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.02)
    return server, f"http://127.0.0.1:{port}"


def seed(http: httpx.Client, services: Any, fake: FakeElevenLabs) -> str:
    from echome.db.models import Persona
    from echome.db.session import transaction

    me = http.post(
        "/api/auth/signup",
        json={"email": f"s-{uuid.uuid4().hex[:6]}@example.com", "password": "correct horse"},
    )
    token = http.post(
        "/api/auth/tokens", json={"name": "b"}, headers={"X-CSRF-Token": me.headers["x-csrf-token"]}
    )
    http.cookies.clear()
    seller = {"Authorization": f"Bearer {token.json()['token']}"}
    persona = http.post("/api/personas", json={"name": "Ana"}, headers=seller).json()
    up = http.post("/api/products/upload", files={"file": ("shop.csv", CATALOG)},
                   data={"persona_id": persona["id"]}, headers=seller)  # fmt: skip
    services.executor.execute(up.json()["job_id"])
    http.put(
        "/api/keys/elevenlabs", json={"value": fake.api_key, "persona_id": persona["id"]}, headers=seller
    )
    with transaction(services.sessions) as db:
        p = db.get(Persona, persona["id"])
        p.voice_provider, p.voice_id = "elevenlabs", PREMADE_VOICE
    return str(http.get(f"/api/personas/{persona['id']}/widget", headers=seller).json()["slug"])


def one_turn(http: httpx.Client, slug: str, fmt: str) -> dict[str, float]:
    token = http.post(f"/api/widget/{slug}/visitor").json()["token"]
    visitor = {"X-Echome-Visitor": token}
    t0 = time.perf_counter()
    marks: dict[str, float] = {}
    url = None
    with http.stream("POST", f"/api/widget/{slug}/messages", json={"text": QUESTION, "audio": fmt},
                     headers=visitor) as r:  # fmt: skip
        for line in r.iter_lines():
            if line.startswith("event: answer"):
                marks["answer"] = time.perf_counter() - t0
            elif line.startswith("event: audio") and "audio" not in marks:
                marks["audio_event"] = time.perf_counter() - t0
            elif line.startswith("data: ") and "audio_event" in marks and url is None:
                url = json.loads(line[6:])["url"]
    assert url, "no audio event"
    g0 = time.perf_counter()
    with http.stream("GET", url, headers=visitor) as got:
        assert got.status_code == 200, got.status_code
        size = 0
        for chunk in got.iter_bytes():
            if size == 0:
                marks["first_byte"] = time.perf_counter() - t0
                get_first = time.perf_counter() - g0
            size += len(chunk)
    get_last = time.perf_counter() - g0
    return {
        "answer_to_audio_event": marks["audio_event"] - marks["answer"],
        "get_to_first_byte": get_first,
        "get_to_last_byte": get_last,
        "answer_to_first_byte": marks["first_byte"] - marks["answer"],
        "bytes": size,
    }


def adapter(fake: FakeElevenLabs, runs: int) -> dict[str, float]:
    from echome.providers.tts_elevenlabs import ElevenLabsTTS

    tts = ElevenLabsTTS(fake.api_key, base_url=fake.base_url)
    first, last, whole = [], [], []
    for _ in range(runs):
        t0 = time.perf_counter()
        for n, _chunk in enumerate(tts.stream("Hello there.", voice_id=PREMADE_VOICE)):
            if n == 0:
                first.append(time.perf_counter() - t0)
        last.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        tts.synthesize("Hello there.", voice_id=PREMADE_VOICE)
        whole.append(time.perf_counter() - t0)
    return {
        "stream_first_chunk_s": round(statistics.median(first), 3),
        "stream_last_chunk_s": round(statistics.median(last), 3),
        "synthesize_s": round(statistics.median(whole), 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--chunk-bytes", type=int, default=800)
    parser.add_argument("--chunk-delay", type=float, default=0.15)
    args = parser.parse_args()

    from echome.app.main import create_app
    from echome.bootstrap import build_services
    from echome.db.migrate import upgrade
    from echome.settings import Settings

    with FakeElevenLabs() as fake, tempfile.TemporaryDirectory() as tmp:
        fake.chunk_bytes, fake.chunk_delay = args.chunk_bytes, args.chunk_delay
        settings = Settings(
            _env_file=None,
            data_dir=Path(tmp) / "data",
            embedder="fake:hashing",
            vector_store="memory",
            elevenlabs_base_url=fake.base_url,
            widget_messages_per_minute=0,
            widget_reads_per_minute=0,
            widget_ip_per_minute=0,
            widget_visitors_per_ip_per_hour=0,
        )
        services = build_services(settings)
        upgrade(services.engine)
        server, base = serve(create_app(services))
        try:
            with httpx.Client(base_url=base, timeout=60) as http:
                slug = seed(http, services, fake)
                one_turn(http, slug, "mp3"), one_turn(http, slug, "ogg")  # warm up (models, caches)
                rows: dict[str, list[dict[str, float]]] = {"streamed_mp3": [], "whole_sentence_ogg": []}
                for _ in range(args.runs):  # interleaved
                    rows["streamed_mp3"].append(one_turn(http, slug, "mp3"))
                    rows["whole_sentence_ogg"].append(one_turn(http, slug, "ogg"))
            out: dict[str, Any] = {
                "fake_elevenlabs": {
                    "chunk_bytes": args.chunk_bytes,
                    "chunk_delay_s": args.chunk_delay,
                    "chunks_per_sentence": len(fake.chunks()),
                },
                "runs": args.runs,
            }
            for name, samples in rows.items():
                out[name] = {k: round(statistics.median(s[k] for s in samples), 3) for k in samples[0]}
            out["adapter"] = adapter(fake, args.runs)
            print(json.dumps(out, indent=2))
        finally:
            server.should_exit = True
            time.sleep(0.3)
            services.close()


if __name__ == "__main__":
    main()
