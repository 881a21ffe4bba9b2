"""The web chat on the local stack: time to first text and first audio, and many visitors at once.
Prints JSON.

A real `echome serve` (embedded SQLite, Chroma, MiniLM, Piper) answers questions whose answers are
about 40 words: "What is the X like?" about a catalog made here (24 products whose descriptions are two
sentences; the Shopify exports of the eval set describe products in a few words, and their answers
are ~20 words). No LLM key: the grounded composer writes the answers. The widget's limits are off (one
client plays every visitor).

latency, one question at a time (each from a new visitor):
  system:   POST /api/widget/{slug}/messages (SSE): send → first `text` event; send → first sentence's
            audio fetched (playable); send → every sentence's audio fetched (the whole answer spoken)
  baseline: the whole-reply path the other channels use, in the same run on the same questions:
            POST /api/chat with voice=true (Answerer → Speaker.save_reply) → its voice note fetched
browser (--browser N, needs /usr/bin/chromium): the hosted page in Chromium, click Send → the
  first sentence on screen, and → the <audio> element's `playing` event
concurrency (--visitors, --seconds): each visitor arrives within --ramp seconds, asks, reads the
  stream to its end (speech included, unless --crowd-audio none), waits --think seconds, asks again;
  first-text p50/p95 and answers lost (no `answer` event). When the time is up, streams that have
  their answer are closed.

Targets (issue 15): first text <= 300 ms and first audio playable <= 1.0 s p50; the whole answer's
audio no later than the whole-reply path; 100 visitors for 60 s: first text p95 <= 1 s, 0 lost.

    python benchmarks/widget.py                         # a short run
    python benchmarks/widget.py --visitors 100 --seconds 60 --browser 10
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
SPEAKER = sorted((ROOT.parent / "shared" / "eval" / "speech" / "librivox").glob("*.wav"))[:4]
CHROMIUM = Path(os.environ.get("ECHOME_CHROMIUM", "/usr/bin/chromium"))
TEMPLATES = ("What is the {} like?", "Tell me about the {}.")
ADJECTIVES = ("Copper", "Oak", "Linen", "Walnut", "Marble", "Rattan", "Brass", "Wool")
NOUNS = ("Desk Lamp", "Side Table", "Cushion")
MATERIALS = ("brushed copper", "solid oak", "washed linen", "oiled walnut", "white marble", "woven rattan",
             "polished brass", "felted wool")  # fmt: skip


def catalog() -> bytes:
    """24 products, each described in two sentences (about 40 words)."""
    rows = ["sku,name,description,price"]
    for i, (adjective, material) in enumerate(zip(ADJECTIVES, MATERIALS, strict=True)):
        for j, noun in enumerate(NOUNS):
            rows.append(
                f"B{i}{j},{adjective} {noun},"
                f'"A {material} {noun.lower()}, made by hand in our small workshop from reclaimed stock, '
                f"finished with natural oil and wax, and sold with a two-year guarantee. "
                f'It measures {40 + 5 * j} centimetres across and ships within {2 + j} working days.",'
                f"{49 + 20 * i + 7 * j}"
            )
    return ("\n".join(rows) + "\n").encode()


def pct(values: list[float], p: float) -> float | None:
    values = sorted(v for v in values if v is not None)
    if not values:
        return None
    return round(values[min(len(values) - 1, round(p / 100 * (len(values) - 1)))], 3)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# -- setup --------------------------------------------------------------------------------------------
def setup(data_dir: Path, *, voice: str, wanted: int) -> dict[str, Any]:
    sys.path.insert(0, str(Path(__file__).parent))
    from seller import bench_seller, ingest

    from echome.accounts.users import issue_token
    from echome.db.models import Persona, User
    from echome.db.session import transaction
    from echome.widget.personas import ensure_slug

    services, uid, pid = bench_seller(data_dir)
    shop = data_dir / "bench-shop.csv"
    shop.write_bytes(catalog())
    ingest(services, uid, [shop])
    with shop.open(encoding="utf-8") as fh:
        titles = [r["name"] for r in csv.DictReader(fh)]
    questions: list[str] = []
    for title in dict.fromkeys(titles):
        for template in TEMPLATES:
            q = template.format(title)
            a = services.answerer.answer(
                user_id=uid, persona_id=pid, question=q, channel="probe", client_ref=q
            )
            if 30 <= len(a.answer.split()) <= 50:
                questions.append(q)
                break
        if len(questions) >= wanted:
            break
    if voice == "seller":
        from echome.voice.local import LocalVoiceCloner

        made = LocalVoiceCloner().clone(name="bench", samples=[str(s) for s in SPEAKER])
        with transaction(services.sessions) as db:
            p = db.get(Persona, pid)
            p.voice_provider, p.voice_id, p.voice_settings = "local", made.voice_id, {"params": made.settings}
    slug = ensure_slug(services.sessions, user_id=uid, persona_id=pid)
    with transaction(services.sessions) as db:
        token = issue_token(db, user=db.get(User, uid), name="bench", ttl=None).token
    words = [
        len(
            services.answerer.answer(
                user_id=uid, persona_id=pid, question=q, channel="probe", client_ref=q
            ).answer.split()
        )
        for q in questions[:10]
    ]
    services.close()
    return {"persona_id": pid, "slug": slug, "token": token, "questions": questions, "words": words}


def start_server(data_dir: Path, port: int, nice: int | None) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ECHOME_")}
    env.update(
        {
            "ECHOME_DATA_DIR": str(data_dir),
            "ECHOME_LOG_LEVEL": "WARNING",
            "ECHOME_TELEGRAM_POLLING": "off",
            # One client plays every visitor from one address: the per-address limits would refuse it.
            "ECHOME_WIDGET_MESSAGES_PER_MINUTE": "0",
            "ECHOME_WIDGET_READS_PER_MINUTE": "0",
            "ECHOME_WIDGET_IP_PER_MINUTE": "0",
            "ECHOME_WIDGET_VISITORS_PER_IP_PER_HOUR": "0",
            "ECHOME_RATE_LIMIT_IP_PER_MINUTE": "0",
            "ECHOME_RATE_LIMIT_USER_PER_MINUTE": "0",
        }
    )
    if nice is not None:
        env["ECHOME_WORKER_NICE"] = str(nice)
    return subprocess.Popen(
        [sys.executable, "-m", "echome", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def wait_up(base: str, timeout: float = 120) -> None:
    end = time.time() + timeout
    while time.time() < end:
        try:
            if httpx.get(f"{base}/api/health", timeout=2).status_code in (200, 503):
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise SystemExit("the server did not start")


# -- one question at a time -------------------------------------------------------------------------------
def events(lines: Any) -> Any:
    name = None
    for line in lines:
        if line.startswith("event: "):
            name = line[7:]
        elif line.startswith("data: ") and name:
            yield name, json.loads(line[6:])
            name = None


def streamed(http: httpx.Client, base: str, slug: str, question: str) -> dict[str, Any]:
    token = http.post(f"{base}/api/widget/{slug}/visitor").json()["token"]
    headers = {"X-Echome-Visitor": token}
    out: dict[str, Any] = {"first_text": None, "first_audio": None, "all_audio": None, "sentences": 0}
    t0 = time.perf_counter()
    with http.stream(
        "POST", f"{base}/api/widget/{slug}/messages", json={"text": question, "audio": "mp3"}, headers=headers
    ) as r:
        r.raise_for_status()
        for name, data in events(r.iter_lines()):
            now = time.perf_counter() - t0
            if name == "text" and out["first_text"] is None:
                out["first_text"] = now
            elif name == "audio":
                audio = http.get(base + data["url"], headers=headers)
                audio.raise_for_status()
                fetched = time.perf_counter() - t0
                if out["first_audio"] is None:
                    out["first_audio"] = fetched
                out["all_audio"] = fetched
                out["sentences"] += 1
                out["audio_seconds"] = out.get("audio_seconds", 0.0) + float(data["duration"])
            elif name == "answer":
                out["words"] = len(data["text"].split())
            elif name == "audio_error":
                out["audio_error"] = data["detail"]
    return out


def whole_reply(
    http: httpx.Client, base: str, seller: dict[str, str], persona_id: str, question: str
) -> float:
    """The path every other channel uses: the answer and its whole voice note, then the note fetched."""
    t0 = time.perf_counter()
    r = http.post(
        f"{base}/api/chat",
        json={"persona_id": persona_id, "message": question, "voice": True, "client_id": os.urandom(8).hex()},
        headers=seller,
    )
    r.raise_for_status()
    audio = r.json()["audio"]
    if not audio:
        raise SystemExit(f"no voice note: {r.json().get('speech_error')}")
    http.get(base + audio, headers=seller).raise_for_status()
    return time.perf_counter() - t0


# -- in the browser ---------------------------------------------------------------------------------------
MEASURE = """() => {
  const root = document.querySelector('[data-echome-chat]').shadowRoot;
  const form = root.querySelector('form'), audio = root.querySelector('audio');
  const spans = () => root.querySelectorAll('.ec-msg-assistant .ec-bubble span').length;
  const before = spans();
  window.__measure = new Promise((resolve) => {
    let t0 = null, text = null;
    form.addEventListener('submit', () => { t0 = performance.now(); }, {capture: true, once: true});
    const watch = new MutationObserver(() => {
      if (t0 !== null && text === null && spans() > before) text = performance.now() - t0;
    });
    watch.observe(root.querySelector('.ec-log'), {childList: true, subtree: true});
    audio.addEventListener('playing', () => {
      watch.disconnect();
      resolve({text: text / 1000, audio: (performance.now() - t0) / 1000});
    }, {once: true});
    setTimeout(() => { watch.disconnect(); resolve({text: text && text / 1000, audio: null}); }, 30000);
  });
}"""


LISTENED = """() => {
  const root = document.querySelector('[data-echome-chat]').shadowRoot;
  const audio = root.querySelector('audio');
  const now = performance.now();
  if (!audio.paused) { window.__quiet = null; return false; }
  window.__quiet = window.__quiet || now;
  return now - window.__quiet > 3000;  // nothing more came to play
}"""


def in_browser(base: str, slug: str, questions: list[str]) -> dict[str, Any]:
    from playwright.sync_api import sync_playwright

    runs = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_page()
        page.goto(f"{base}/chat/{slug}")
        page.get_by_role("textbox", name="Your message").wait_for()
        for q in questions:
            page.evaluate(MEASURE)
            page.get_by_role("textbox", name="Your message").fill(q)
            page.get_by_role("button", name="Send").click()
            runs.append(page.evaluate("() => window.__measure"))
            # The visitor listens to the whole answer before asking again.
            page.wait_for_function(LISTENED, timeout=120_000)
        browser.close()
    return {
        "questions": len(runs),
        "first_text_p50_s": pct([r["text"] for r in runs], 50),
        "first_audio_playing_p50_s": pct([r["audio"] for r in runs], 50),
        "first_audio_playing_p95_s": pct([r["audio"] for r in runs], 95),
        "never_played": sum(1 for r in runs if r["audio"] is None),
    }


# -- many visitors ------------------------------------------------------------------------------------------
async def crowd(base: str, slug: str, questions: list[str], *, visitors: int, seconds: float, think: float,
                audio: str, ramp: float) -> dict[str, Any]:  # fmt: skip
    limits = httpx.Limits(max_connections=visitors + 20, max_keepalive_connections=visitors + 20)
    first_text: list[float] = []
    turns: list[float] = []
    counts = {"sent": 0, "answered": 0, "lost": 0, "refused": 0, "audio_sentences": 0, "audio_errors": 0}
    errors: list[str] = []
    deadline = time.perf_counter() + seconds

    async def read(resp: httpx.Response, t0: float, seen: dict[str, bool]) -> None:
        async for line in resp.aiter_lines():
            if not line.startswith("event: "):
                continue
            name = line[7:]
            if name == "text" and not seen["answered"] and "text" not in seen:
                seen["text"] = True
                first_text.append(time.perf_counter() - t0)
            elif name == "answer":
                seen["answered"] = True
            elif name == "audio":
                counts["audio_sentences"] += 1
            elif name == "audio_error":
                counts["audio_errors"] += 1
            elif name == "error":
                errors.append("error event")

    async def visitor(n: int, http: httpx.AsyncClient) -> None:
        await asyncio.sleep(ramp * n / visitors)  # visitors arrive over the first `ramp` seconds
        r = await http.post(f"{base}/api/widget/{slug}/visitor")
        headers = {"X-Echome-Visitor": r.json()["token"]}
        i = n
        while time.perf_counter() < deadline:
            question = questions[i % len(questions)]
            i += visitors
            counts["sent"] += 1
            t0 = time.perf_counter()
            seen = {"answered": False}
            try:
                async with http.stream(
                    "POST",
                    f"{base}/api/widget/{slug}/messages",
                    json={"text": question, "audio": audio},
                    headers=headers,
                ) as resp:
                    if resp.status_code != 200:
                        counts["refused" if resp.status_code == 429 else "lost"] += 1
                        errors.append(f"HTTP {resp.status_code}")
                        continue
                    reading = asyncio.ensure_future(read(resp, t0, seen))
                    while not reading.done():
                        await asyncio.wait({reading}, timeout=0.5)
                        if seen["answered"] and time.perf_counter() > deadline:
                            reading.cancel()  # the run is over: the rest of the speech is not waited for
                            seen["cut"] = True
                            break
                    if reading.done() and not reading.cancelled() and reading.exception() is not None:
                        raise reading.exception()  # type: ignore[misc]
            except httpx.HTTPError as exc:
                errors.append(f"{type(exc).__name__}: {exc}"[:120])
            answered = seen["answered"]
            if answered:
                counts["answered"] += 1
                if not seen.get("cut"):
                    turns.append(time.perf_counter() - t0)  # send → the stream's end, speech included
            else:
                counts["lost"] += 1
            await asyncio.sleep(think)

    async with httpx.AsyncClient(timeout=httpx.Timeout(300.0), limits=limits) as http:
        await asyncio.gather(*(visitor(n, http) for n in range(visitors)))
    return {
        "visitors": visitors,
        "seconds": seconds,
        "think_s": think,
        "ramp_s": ramp,
        "audio": audio,
        **counts,
        "first_text_p50_s": pct(first_text, 50),
        "first_text_p95_s": pct(first_text, 95),
        "first_text_max_s": round(max(first_text), 3) if first_text else None,
        "streams_cut_at_the_end": counts["answered"] - len(turns),
        "turn_p50_s": pct(turns, 50),
        "turn_p95_s": pct(turns, 95),
        "errors": sorted(set(errors))[:10],
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--questions", type=int, default=12, help="latency questions (one at a time)")
    ap.add_argument("--voice", choices=("seller", "stock"), default="seller")
    ap.add_argument("--browser", type=int, default=0, help="questions asked in Chromium (0: none)")
    ap.add_argument("--visitors", type=int, default=10)
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--think", type=float, default=10.0, help="seconds a visitor waits before asking again")
    ap.add_argument("--ramp", type=float, default=10.0, help="seconds over which the visitors arrive")
    ap.add_argument("--crowd-audio", choices=("mp3", "none"), default="mp3")
    ap.add_argument(
        "--nice", type=int, default=None, help="ECHOME_WORKER_NICE for the server (speech threads)"
    )
    args = ap.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp)
        seller = setup(data_dir, voice=args.voice, wanted=args.questions + 2 + args.browser)
        questions = seller["questions"]
        if len(questions) < 4:
            raise SystemExit("too few questions with ~40-word answers")
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        server = start_server(data_dir, port, args.nice)
        try:
            wait_up(base)
            bearer = {"Authorization": f"Bearer {seller['token']}"}
            with httpx.Client(timeout=120) as http:
                for q in questions[:2]:  # load the models
                    streamed(http, base, seller["slug"], q)
                    whole_reply(http, base, bearer, seller["persona_id"], q)
                asked = questions[2 : 2 + args.questions]
                system, baseline = [], []
                for q in asked:  # interleaved: both paths see the same machine state
                    system.append(streamed(http, base, seller["slug"], q))
                    baseline.append(whole_reply(http, base, bearer, seller["persona_id"], q))
            out: dict[str, Any] = {
                "voice": args.voice,
                "speech_nice": 10 if args.nice is None else args.nice,
                "questions": len(asked),
                "answer_words_mean": round(sum(seller["words"]) / len(seller["words"]), 1),
                "system_streamed": {
                    "first_text_p50_s": pct([r["first_text"] for r in system], 50),
                    "first_text_p95_s": pct([r["first_text"] for r in system], 95),
                    "first_audio_playable_p50_s": pct([r["first_audio"] for r in system], 50),
                    "first_audio_playable_p95_s": pct([r["first_audio"] for r in system], 95),
                    "all_audio_p50_s": pct([r["all_audio"] for r in system], 50),
                    "all_audio_p95_s": pct([r["all_audio"] for r in system], 95),
                    "sentences_mean": round(sum(r["sentences"] for r in system) / len(system), 1),
                    "audio_seconds_mean": round(
                        sum(r.get("audio_seconds", 0) for r in system) / len(system), 2
                    ),
                    "audio_errors": sorted({r["audio_error"] for r in system if r.get("audio_error")}),
                },
                "baseline_whole_reply": {
                    "voice_note_p50_s": pct(baseline, 50),
                    "voice_note_p95_s": pct(baseline, 95),
                },
                "targets": {
                    "first_text_p50_s": 0.3,
                    "first_audio_playable_p50_s": 1.0,
                    "all_audio_p50_s": "<= baseline voice_note_p50_s",
                    "crowd_100_visitors_60_s": {"first_text_p95_s": 1.0, "lost": 0},
                },
            }
            if args.browser:
                if not CHROMIUM.exists():
                    out["browser"] = f"skipped: no Chromium at {CHROMIUM}"
                else:
                    browsed = questions[2 + args.questions : 2 + args.questions + args.browser] or asked
                    out["browser"] = in_browser(base, seller["slug"], browsed)
            if args.visitors > 0 and args.seconds > 0:
                out["concurrency"] = asyncio.run(
                    crowd(
                        base,
                        seller["slug"],
                        questions,
                        visitors=args.visitors,
                        seconds=args.seconds,
                        think=args.think,
                        audio=args.crowd_audio,
                        ramp=args.ramp,
                    )
                )
            print(json.dumps(out, indent=2))
        finally:
            server.terminate()
            server.wait(30)


if __name__ == "__main__":
    main()
