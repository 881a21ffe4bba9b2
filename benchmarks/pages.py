"""Web app page times and weight. Prints JSON.

home:      server time of the dashboard (Home: the persona's checklist) for a seller with 10k
           products, on SQLite (embedded defaults). Target p95 <= 100 ms.
products:  server time of the Catalog's products table (first page; and page 3 under a search and
           two filters) with the same 10k products, on SQLite. Target p95 <= 100 ms.
persona/voice: server time of the Persona editor and the Voice page of a new seller. Target p95 <= 100 ms.
home_dashboard/jobs_page: Home once the persona is live (today's conversations, the questions it
           could not answer, jobs running) with the same threads, and the Jobs page with 300 jobs.
           Target p95 <= 100 ms.
conversations: server time of the Conversations inbox (thread list, the newest thread open, the
           customer's card) with 500 customer threads and 10k messages, on SQLite. Target p95 <= 100 ms.
baseline:  GET /api/auth/me in the same run: the cost of any signed-in request (session lookup,
           middleware), so the page's own share is home minus baseline.
assets:    for each page, the JS and CSS it loads, as sent with `Accept-Encoding: gzip`.
           Target <= 250 KB compressed on any page. The typeface (woff2, already compressed) is
           reported beside it; a page loads only the subsets its characters need.

Timed in process through the ASGI app (Starlette's TestClient), so the figures are the server's
time plus a little transport overhead, without network.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import insert, update

from echome.app.main import create_app
from echome.bootstrap import build_services
from echome.db import migrate
from echome.db.models import ApiKey, Client, Conversation, Job, Message, Persona, PersonaProfile, Product
from echome.db.types import new_id, utcnow
from echome.settings import Settings

HTML = {"Accept": "text/html"}
TARGET_P95_MS = 100
TARGET_ASSETS_KB = 250


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def timed(client: TestClient, url: str, n: int, headers: dict[str, str] | None = None) -> dict[str, Any]:
    for _ in range(5):  # warm: templates compiled, connections pooled
        client.get(url, headers=headers)
    ms = []
    for _ in range(n):
        t = time.perf_counter()
        r = client.get(url, headers=headers)
        ms.append((time.perf_counter() - t) * 1000)
        assert r.status_code == 200, (url, r.status_code)
    return {
        "requests": n,
        "p50_ms": round(statistics.median(ms), 2),
        "p95_ms": round(pct(ms, 95), 2),
        "max_ms": round(max(ms), 2),
    }


def page_weight(client: TestClient, url: str) -> dict[str, Any]:
    html = client.get(url, headers=HTML).text
    scripts = re.findall(r'<script[^>]*\ssrc="([^"]+)"', html)
    styles = re.findall(r'<link[^>]*rel="stylesheet"[^>]*href="([^"]+)"', html)
    sizes: dict[str, dict[str, int]] = {}
    fonts = 0
    for asset in scripts + styles:
        r = client.get(asset, headers={"Accept-Encoding": "gzip"})
        raw = r.content  # decoded by httpx; the wire size is the compressed stream's
        wire = int(r.headers.get("content-length", len(raw)))
        sizes[asset.split("?")[0]] = {"bytes": len(raw), "gzip_bytes": wire}
        if asset.endswith(".css") or ".css?" in asset:
            for font in re.findall(r"url\((fonts/inter-latin-wght[^)]+)\)", raw.decode()):
                fonts += len(client.get(f"/static/app/vendor/{font}").content)
    js = sum(v["gzip_bytes"] for k, v in sizes.items() if k.endswith(".js"))
    css = sum(v["gzip_bytes"] for k, v in sizes.items() if k.endswith(".css"))
    return {
        "js_gzip_bytes": js,
        "css_gzip_bytes": css,
        "total_gzip_kb": round((js + css) / 1024, 1),
        "font_latin_woff2_bytes": fonts,
        "files": sizes,
    }


def seed_conversations(engine: Any, uid: str, pid: str, threads: int, messages: int) -> None:
    """Telegram customers with notes, one conversation each, questions and cited answers."""
    now = utcnow()
    clients = [
        {
            "id": new_id(),
            "user_id": uid,
            "persona_id": pid,
            "channel": "telegram",
            "external_id": str(100000 + i),
            "name": f"Customer {i}",
            "notes": {
                "stage": "needs_seller" if i % 7 == 0 else "considering",
                "preferences": ["linen", "blue"],
                "products_discussed": [{"product_id": "p", "name": f"Product {i}", "sku": f"SKU-{i}"}],
            },
            "created_at": now - timedelta(days=30),
            "updated_at": now - timedelta(minutes=i),
        }
        for i in range(threads)
    ]
    convs = [
        {"id": new_id(), "user_id": uid, "persona_id": pid, "client_id": c["id"], "channel": "telegram",
         "created_at": now, "updated_at": now}
        for c in clients
    ]  # fmt: skip
    rows = []
    for n in range(messages):
        conv = convs[n % threads]
        answer = n % 2 == 1
        rows.append(
            {
                "id": new_id(),
                "user_id": uid,
                "conversation_id": conv["id"],
                "role": "assistant" if answer else "user",
                "content": "The Product costs $60 and comes in Small, Medium and Large." if answer
                else "How much is it, and which sizes are left?",
                "citations": [{"name": "Product", "sku": "SKU-1", "text": "Product: price 60; sizes S M L"}]
                if answer else [],
                "timings": {},
                "meta": {"mode": "composer", "guardrail": {"composer": {"unsupported": [], "removed": []}}},
                "created_at": now - timedelta(seconds=messages - n),
            }
        )  # fmt: skip
    with engine.begin() as conn:
        conn.execute(insert(Client), clients)
        conn.execute(insert(Conversation), convs)
        conn.execute(insert(Message), rows)


def make_live(engine: Any, uid: str, pid: str, jobs: int, bot_token: str) -> None:
    """Every checklist step done (Home becomes the dashboard), and `jobs` finished and running jobs."""
    now = utcnow()
    with engine.begin() as conn:
        conn.execute(update(Persona).where(Persona.id == pid).values(voice_id="local:bench"))
        conn.execute(
            update(PersonaProfile)
            .where(PersonaProfile.persona_id == pid)
            .values(auto_extracted={"tone": {}, "summary": {"speech_minutes": 3.0}})
        )
        conn.execute(
            insert(ApiKey),
            [{"id": new_id(), "user_id": uid, "scope": pid, "provider": "telegram_bot_token",
              "ciphertext": bot_token, "hint": "1", "created_at": now, "updated_at": now}],
        )  # fmt: skip
        conn.execute(
            insert(Job),
            [
                {"id": new_id(), "user_id": uid, "kind": "catalog.import" if i % 3 else "persona.voice",
                 "status": "running" if i < 3 else "failed" if i % 5 == 0 else "completed", "progress": 40,
                 "stage": "embedding 10/40", "payload": {"filename": f"f{i}.csv", "persona_id": pid},
                 "error": "f.csv: No product name column found" if i % 5 == 0 else None,
                 "created_at": now - timedelta(minutes=i), "updated_at": now}
                for i in range(jobs)
            ],
        )  # fmt: skip


def signed_up(client: TestClient) -> str:
    page = client.get("/signup", headers=HTML).text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    r = client.post(
        "/signup",
        data={
            "email": "bench@example.com",
            "password": "correct horse",
            "display_name": "Bench",
            "csrf_token": token,
        },
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    # A new seller lands on the guided setup of their persona: /app/personas/{id}/setup
    return re.search(r"/app/personas/([^/]+)", r.headers["location"]).group(1)  # type: ignore[union-attr]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--products", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--threads", type=int, default=500)
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--jobs", type=int, default=300)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(
            _env_file=None,
            data_dir=Path(tmp) / "data",
            rate_limit_ip_per_minute=0,
            rate_limit_user_per_minute=0,
        )
        services = build_services(settings)
        migrate.upgrade(services.engine)
        app = create_app(services, run_worker=False)
        with TestClient(app, base_url="http://127.0.0.1") as client:
            landing = page_weight(client, "/")
            pid = signed_up(client)
            uid = client.get("/api/auth/me").json()["id"]
            now = utcnow()
            with services.engine.begin() as conn:
                conn.execute(
                    insert(Product),
                    [
                        {
                            "id": new_id(),
                            "user_id": uid,
                            "persona_id": pid if i % 2 else None,
                            "external_key": f"sku-{i}",
                            "sku": f"SKU-{i}",
                            "name": f"Product {i}",
                            "attributes": {},
                            "created_at": now,
                            "updated_at": now,
                        }
                        for i in range(args.products)
                    ],
                )
            home_url = f"/app/personas/{pid}"
            # Home counts what the answerer reads: the persona's own products (half of them here).
            assert f"{args.products // 2:,} products" in client.get(home_url, headers=HTML).text
            home = timed(client, home_url, args.requests, HTML)
            products_url = f"{home_url}/catalog/products"  # the products table (half are this persona's)
            assert "Product 1" in client.get(products_url, headers=HTML).text
            products = timed(client, products_url, args.requests, HTML)
            filtered_url = f"{products_url}?q=product+1&stock=unknown&price=no&page=3"
            assert "of 5" in client.get(filtered_url, headers=HTML).text  # "101-150 of 556 products"
            products_filtered = timed(client, filtered_url, args.requests, HTML)
            seed_conversations(services.engine, uid, pid, args.threads, args.messages)
            inbox_url = f"{home_url}/conversations"
            assert "Customer " in client.get(inbox_url, headers=HTML).text
            conversations = timed(client, inbox_url, args.requests, HTML)
            make_live(
                services.engine, uid, pid, jobs=args.jobs, bot_token=services.keystore.encrypt("123456:bench")
            )
            assert "is live" in client.get(home_url, headers=HTML).text
            home_dashboard = timed(client, home_url, args.requests, HTML)  # live: today, needs you, jobs
            jobs_page = timed(client, "/app/jobs", args.requests, HTML)
            persona_page = timed(client, f"{home_url}/persona", args.requests, HTML)  # Persona editor
            voice_page = timed(client, f"{home_url}/voice", args.requests, HTML)  # Voice page
            settings_page = timed(client, f"{home_url}/settings", args.requests, HTML)  # keys, tokens
            channels_page = timed(client, f"{home_url}/channels", args.requests, HTML)  # no bot: no network
            baseline = timed(client, "/api/auth/me", args.requests)
            weights = {
                "landing": landing,
                "home": page_weight(client, home_url),
                "jobs": page_weight(client, "/app/jobs"),
                "setup_test": page_weight(client, f"{home_url}/setup/test"),
                "account": page_weight(client, "/app/account"),
                "section": page_weight(client, f"{home_url}/catalog"),
                "conversations": page_weight(client, inbox_url),
                "products": page_weight(client, products_url),
                "persona": page_weight(client, f"{home_url}/persona"),
                "voice": page_weight(client, f"{home_url}/voice"),
                "settings": page_weight(client, f"{home_url}/settings"),
                "channels": page_weight(client, f"{home_url}/channels"),
            }
        services.close()
    heaviest = max(w["total_gzip_kb"] for w in weights.values())
    for name in ("landing", "account", "section", "conversations"):  # the same files as home's; listed once
        weights[name].pop("files")
    print(
        json.dumps(
            {
                "database": "sqlite",
                "products": args.products,
                "home": home,
                "conversations": {"threads": args.threads, "messages": args.messages, **conversations},
                "products_page": products,
                "products_page_filtered": products_filtered,
                "home_dashboard": {"threads": args.threads, "jobs": args.jobs, **home_dashboard},
                "jobs_page": {"jobs": args.jobs, **jobs_page},
                "persona_page": persona_page,
                "voice_page": voice_page,
                "settings_page": settings_page,
                "channels_page": channels_page,
                "baseline_auth_me": baseline,
                "assets": weights,
                "targets": {
                    "home_p95_ms": TARGET_P95_MS,
                    "assets_gzip_kb": TARGET_ASSETS_KB,
                    "home_p95_met": home["p95_ms"] <= TARGET_P95_MS,
                    "conversations_p95_met": conversations["p95_ms"] <= TARGET_P95_MS,
                    "products_p95_met": max(products["p95_ms"], products_filtered["p95_ms"]) <= TARGET_P95_MS,
                    "persona_voice_p95_met": max(persona_page["p95_ms"], voice_page["p95_ms"])
                    <= TARGET_P95_MS,
                    "settings_channels_p95_met": max(settings_page["p95_ms"], channels_page["p95_ms"])
                    <= TARGET_P95_MS,
                    "dashboard_jobs_p95_met": max(home_dashboard["p95_ms"], jobs_page["p95_ms"])
                    <= TARGET_P95_MS,
                    "assets_met": heaviest <= TARGET_ASSETS_KB,
                    "heaviest_page_gzip_kb": heaviest,
                },
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
