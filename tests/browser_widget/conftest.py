"""The web chat in Debian's Chromium: a real `echome serve` (local models, a small catalog) and a shop's
pages served by a second local HTTP server on another port, embedding the widget with its one line.

Origins: the shop at http://localhost:SHOP_PORT is allowed; the same pages at
http://127.0.0.1:SHOP_PORT are another origin, which the seller did not allow. Chromium gets a fake
microphone that says a question (made with the local voice), for hold-to-record.

Package scope (server, shop, browser), as tests/browser does: Playwright's sync API keeps an event
loop running in the main thread while it is open.
"""

from __future__ import annotations

import contextlib
import html
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from tests.browser.conftest import CHROMIUM, Server, require_browser_tools, serving

CATALOG = (
    b"sku,name,description,price\n"
    b"LMP-2,Copper Desk Lamp,Brushed copper desk lamp with a linen shade. It ships within two days.,79\n"
    b"ARM-1,Oak Armoire,Solid oak armoire with two doors and a brass lock.,899\n"
    b"RUG-3,Wool Rug,Hand-woven wool rug in natural grey.,240\n"
)
SPOKEN_QUESTION = "How much is the copper desk lamp?"
# The shop's own CSS is hostile on purpose: none of it may reach the widget (shadow DOM).
SHOP_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Lamp shop</title>
<style>
  * {{ color: rgb(255, 0, 0) !important; font-size: 40px !important; font-family: monospace !important; }}
  button {{ display: none !important; }}
  .ec-launcher, .ec-panel, [data-echome-chat] * {{ background: rgb(0, 255, 0) !important; }}
</style></head>
<body><main><h1>Lamps and more</h1><p>Our shop.</p></main>
<script src="{server}/widget.js" data-persona="{persona}" async></script>
</body></html>
"""


@dataclass
class Seller:
    headers: dict[str, str]
    persona_id: str
    slug: str


@dataclass
class Shop:
    port: int
    allowed: str  # http://localhost:PORT
    refused: str  # http://127.0.0.1:PORT, the same pages from an origin the seller did not allow
    pages: dict[str, str] = field(default_factory=dict)


def _signup(server: Server) -> Seller:
    with httpx.Client(base_url=server.url, timeout=30) as c:
        me = c.post(
            "/api/auth/signup", json={"email": "widget-seller@example.com", "password": "correct horse"}
        )
        assert me.status_code == 201, me.text
        csrf = {"X-CSRF-Token": me.headers["x-csrf-token"]}
        token = c.post("/api/auth/tokens", json={"name": "t"}, headers=csrf).json()["token"]
        c.cookies.clear()
        seller = {"Authorization": f"Bearer {token}"}
        persona = c.post("/api/personas", json={"name": "Ana"}, headers=seller).json()
        up = c.post(
            "/api/products/upload",
            files={"file": ("lamps.csv", CATALOG)},
            data={"persona_id": persona["id"]},
            headers=seller,
        )
        assert up.status_code == 202, up.text
        deadline = time.monotonic() + 180
        while c.get(f"/api/jobs/{up.json()['job_id']}", headers=seller).json()["status"] != "completed":
            assert time.monotonic() < deadline, "the catalog import did not finish"
            time.sleep(0.3)
        widget = c.get(f"/api/personas/{persona['id']}/widget", headers=seller).json()
        return Seller(seller, persona["id"], widget["slug"])


@pytest.fixture(scope="package")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    require_browser_tools()
    # The local stack (MiniLM, the stock Piper voice); the smallest Whisper for recorded questions.
    with serving(tmp_path_factory.mktemp("widget-server"), {"ECHOME_STT": "local:tiny.en"}) as instance:
        yield instance


@pytest.fixture(scope="package")
def seller(server: Server) -> Seller:
    return _signup(server)


@pytest.fixture(scope="package")
def shop(server: Server, seller: Seller) -> Iterator[Shop]:
    page = SHOP_PAGE.format(server=html.escape(server.url), persona=html.escape(seller.slug))

    class Pages(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = page.encode() if self.path.split("?")[0] in ("/", "/index.html") else b"not here"
            self.send_response(200 if body != b"not here" else 404)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_args: Any) -> None:
            return None

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Pages)
    port = httpd.server_address[1]
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    shop = Shop(port, f"http://localhost:{port}", f"http://127.0.0.1:{port}")
    with httpx.Client(base_url=server.url, timeout=30) as c:
        r = c.patch(
            f"/api/personas/{seller.persona_id}/widget",
            json={"allowed_origins": [shop.allowed]},
            headers=seller.headers,
        )
        assert r.status_code == 200, r.text
    try:
        yield shop
    finally:
        httpd.shutdown()
        httpd.server_close()


@pytest.fixture(scope="package")
def spoken_question(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A WAV of the question in the stock local voice: what the fake microphone says."""
    import io

    import numpy as np

    from echome.media.audio import load_audio, wav_bytes
    from echome.voice.local import LocalVoiceTTS

    speech = LocalVoiceTTS().synthesize(SPOKEN_QUESTION)
    wav = load_audio(io.BytesIO(speech.audio), sample_rate=speech.sample_rate)
    pause = np.zeros(int(1.5 * speech.sample_rate), np.float32)  # the fake microphone loops the file
    path = tmp_path_factory.mktemp("mic") / "question.wav"
    path.write_bytes(
        wav_bytes(np.concatenate([pause[: speech.sample_rate // 5], wav, pause]), speech.sample_rate)
    )
    return path


@pytest.fixture(scope="package")
def browser(server: Server, spoken_question: Path) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        instance = p.chromium.launch(
            executable_path=str(CHROMIUM),
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--use-fake-ui-for-media-stream",
                "--use-fake-device-for-media-stream",
                f"--use-file-for-fake-audio-capture={spoken_question}",
            ],
        )
        yield instance
        instance.close()


@dataclass
class Visit:
    """Browser contexts (each a visitor with their own storage), watched: a request anywhere but our
    server and the shop, a CSP violation, a script error or a dialog (alert) fails the test."""

    browser: Any
    allowed_hosts: set[tuple[str | None, int | None]]
    problems: list[str] = field(default_factory=list)
    contexts: list[Any] = field(default_factory=list)

    def new_page(self, *, color_scheme: str = "light", viewport: dict[str, int] | None = None) -> Any:
        context = self.browser.new_context(
            viewport=viewport or {"width": 1280, "height": 800},
            color_scheme=color_scheme,
            reduced_motion="reduce",
            permissions=["microphone"],
        )
        context.set_default_timeout(20_000)
        context.route("**/*", self._route)
        self.contexts.append(context)
        page = context.new_page()
        page.on("console", self._console)
        page.on("pageerror", lambda exc: self.problems.append(f"script error: {exc}"))
        page.on(
            "dialog", lambda dialog: (self.problems.append(f"dialog: {dialog.message}"), dialog.dismiss())
        )
        return page

    def _route(self, route: Any) -> None:
        url = route.request.url
        parts = urlsplit(url)
        if url.startswith(("data:", "blob:", "about:")) or (parts.hostname, parts.port) in self.allowed_hosts:
            route.continue_()
        else:
            self.problems.append(f"request left the test: {url}")
            route.abort("blockedbyclient")

    def _console(self, message: Any) -> None:
        text = message.text
        if "Content Security Policy" in text or "Content-Security-Policy" in text:
            self.problems.append(f"CSP violation: {text}")

    def close(self) -> None:
        for context in self.contexts:
            with contextlib.suppress(Exception):
                context.close()


@pytest.fixture
def visit(browser: Any, server: Server, shop: Shop) -> Iterator[Visit]:
    ours = urlsplit(server.url)
    session = Visit(
        browser,
        {(ours.hostname, ours.port), ("localhost", shop.port), ("127.0.0.1", shop.port)},
    )
    try:
        yield session
    finally:
        session.close()
    assert not session.problems, "\n".join(session.problems)
