"""Webhook acknowledgement under load: 200 updates/s for 60 s against a running server. Prints JSON.

`echome serve --no-worker` (the web tier alone, embedded SQLite and the SQLite queue) receives
Telegram updates at a fixed rate (open loop: a slow answer does not slow the sender). Each update
is a distinct customer message. Afterwards every update must be recorded exactly once with its job
(0 lost, 0 duplicated).

system:   POST /webhook/telegram/{persona} (secret check, update + job row in one transaction, enqueue)
baseline: GET / (a static page) at the same rate on the same server: the HTTP stack's floor
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, round(p / 100 * (len(values) - 1)))] if values else float("nan")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def setup(data_dir: Path, urls: dict[str, str], token: str | None = None) -> tuple[str, str]:
    from seller import bench_seller, ingest

    services, uid, pid = bench_seller(data_dir, bot_token=token, **urls)
    if token:  # the workers answer for real: a catalog to answer from
        ingest(
            services, uid, [Path(__file__).resolve().parents[2] / "shared" / "eval" / "csv" / "apparel.csv"]
        )
    # the server reads the same session key from the data dir
    secret = services.telegram_inbox.webhook_secret(pid)
    services.close()
    return pid, secret


def _fake_bot_api(conn: Any) -> None:
    """The fake Bot API, in a process of its own: in the sender's process it would take the sender's
    interpreter lock for every answer the server sends, and the acknowledgements measured would be
    the sender's own delays."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from tests.servers.fake_telegram import FakeTelegram

    with FakeTelegram() as tg:
        conn.send((tg.token, tg.api_url))
        while conn.recv() == "count":
            conn.send(len(tg.calls_to("sendVoice")))


class FakeBotApi:
    def __init__(self) -> None:
        ctx = multiprocessing.get_context("spawn")
        self._conn, child = ctx.Pipe()
        self._proc = ctx.Process(target=_fake_bot_api, args=(child,), daemon=True)
        self._proc.start()
        self.token, self.api_url = self._conn.recv()

    def voice_notes(self) -> int:
        self._conn.send("count")
        return int(self._conn.recv())

    def close(self) -> None:
        self._conn.send("stop")
        self._proc.join(10)
        if self._proc.is_alive():
            self._proc.kill()


def update(i: int) -> dict[str, Any]:
    chat = 10_000 + i % 500
    return {
        "update_id": 1_000_000 + i,
        "message": {
            "message_id": i + 1,
            "from": {"id": chat, "is_bot": False, "first_name": "Load"},
            "chat": {"id": chat, "type": "private", "first_name": "Load"},
            "date": int(time.time()),
            "text": f"How much is the Ocean Blue Shirt? ({i % 37})",
        },
    }


async def run(url: str, rate: float, seconds: float, make: Any, headers: dict[str, str]) -> dict[str, Any]:
    latencies: list[float] = []
    statuses: dict[str, int] = {}
    limits = httpx.Limits(max_connections=200, max_keepalive_connections=200)
    async with httpx.AsyncClient(timeout=30, limits=limits, headers=headers) as client:

        async def one(i: int, due: float) -> None:
            try:
                r = await (client.post(url, json=make(i)) if make else client.get(url))
                key = str(r.status_code)
            except httpx.HTTPError as exc:
                key = type(exc).__name__
            statuses[key] = statuses.get(key, 0) + 1
            latencies.append(time.perf_counter() - due)  # from when it should have been sent

        tasks = []
        start = time.perf_counter()
        n = int(rate * seconds)
        for i in range(n):
            due = start + i / rate
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one(i, due)))
        await asyncio.gather(*tasks)
        wall = time.perf_counter() - start
    return {
        "sent": n,
        "achieved_rate": round(n / wall, 1),
        "statuses": statuses,
        "ack_p50_ms": round(1000 * pct(latencies, 50), 1),
        "ack_p95_ms": round(1000 * pct(latencies, 95), 1),
        "ack_p99_ms": round(1000 * pct(latencies, 99), 1),
        "ack_max_ms": round(1000 * max(latencies), 1),
    }


def recorded(data_dir: Path, persona_id: str, urls: dict[str, str]) -> dict[str, int]:
    from sqlalchemy import text

    from echome.db.session import make_engine
    from echome.settings import Settings

    engine = make_engine(Settings(_env_file=None, data_dir=data_dir, **urls).effective_database_url)
    with engine.connect() as db:
        rows, distinct = db.execute(
            text("select count(*), count(distinct update_id) from channel_updates where persona_id = :p"),
            {"p": persona_id},
        ).one()
        jobs = db.execute(text("select count(*) from jobs where kind = 'telegram.update'")).scalar_one()
    engine.dispose()
    return {"recorded": rows, "distinct": distinct, "jobs": jobs}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rate", type=float, default=200)
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--database-url", help="PostgreSQL (an empty database); default: SQLite in a temp dir")
    ap.add_argument("--redis-url", help="Redis queue; default: the SQLite queue")
    ap.add_argument(
        "--embedded-answering",
        action="store_true",
        help="one-process mode: the server's own worker threads answer (voice notes) while it acknowledges",
    )
    args = ap.parse_args()
    urls = {k: v for k, v in (("database_url", args.database_url), ("redis_url", args.redis_url)) if v}
    tg = FakeBotApi() if args.embedded_answering else None
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp)
        pid, secret = setup(data_dir, urls, tg.token if tg else None)
        port = free_port()
        env = {**os.environ, "ECHOME_DATA_DIR": str(data_dir), "ECHOME_TELEGRAM_POLLING": "off",
               "ECHOME_LOG_LEVEL": "WARNING"}  # fmt: skip
        env.update({f"ECHOME_{k.upper()}": v for k, v in urls.items()})
        if tg:
            env["ECHOME_TELEGRAM_API_URL"] = tg.api_url
        worker = [] if tg else ["--no-worker"]
        server = subprocess.Popen(
            [sys.executable, "-m", "echome", "serve", *worker, "--port", str(port)],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        try:
            base = f"http://127.0.0.1:{port}"
            for _ in range(600):
                try:
                    if httpx.get(f"{base}/", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    time.sleep(0.1)
            headers = {"X-Telegram-Bot-Api-Secret-Token": secret}
            asyncio.run(run(f"{base}/", 50, 2, None, {}))  # warm up
            baseline = asyncio.run(run(f"{base}/", args.rate, min(args.seconds, 20), None, {}))
            system = asyncio.run(
                run(f"{base}/webhook/telegram/{pid}", args.rate, args.seconds, update, headers)
            )
            counts = recorded(data_dir, pid, urls)
            accepted = system["statuses"].get("200", 0)
            out = {
                "mode": "embedded: worker threads answering in the same process"
                if tg
                else "web tier (--no-worker)",
                "voice_notes_sent_during_run": tg.voice_notes() if tg else None,
                "backend": "postgresql" if args.database_url else "sqlite",
                "queue": "redis" if args.redis_url else "sqlite",
                "rate_per_s": args.rate,
                "seconds": args.seconds,
                "system_webhook": system,
                "baseline_static_page": baseline,
                "recorded": counts,
                "lost": system["sent"] - counts["distinct"],
                "duplicated": counts["recorded"] - counts["distinct"],
                "accepted_but_not_recorded": accepted - counts["recorded"],
                "target": {"ack_p99_ms": 50, "lost": 0},
            }
            print(json.dumps(out, indent=2))
        finally:
            server.terminate()
            server.wait(20)
            if tg:
                tg.close()


if __name__ == "__main__":
    main()
