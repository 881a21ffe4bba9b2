"""The web chat in Debian's Chromium with an ElevenLabs voice (the fake ElevenLabs server, sending its
audio a chunk at a time): each sentence plays from ElevenLabs' stream through MediaSource, to its
end, one after the other; a browser without MediaSource plays the same responses whole."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.browser.conftest import CHROMIUM, Server, require_browser_tools, serving
from tests.servers.fake_elevenlabs import PREMADE_VOICE, FakeElevenLabs

pytestmark = pytest.mark.slow  # a real server and browser

CATALOG = (
    b"sku,name,description,price\nLMP-2,Copper Desk Lamp,Brushed copper desk lamp. It ships in two days.,79\n"
)
# Object URLs the widget makes, by what they are made of (a MediaSource, or a Blob of a whole response).
WATCH = """
  window.madeFrom = [];
  const make = URL.createObjectURL;
  URL.createObjectURL = function (o) { window.madeFrom.push(o.constructor.name); return make.call(URL, o); };
"""
PLAYER = """() => {
  const a = document.querySelector('[data-echome-chat]').shadowRoot.querySelector('audio');
  window.played = 0;
  a.addEventListener('ended', () => { window.played += 1; });
}"""


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeElevenLabs]:
    with FakeElevenLabs() as server:
        server.chunk_bytes, server.chunk_delay = 800, 0.1
        yield server


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, fake: FakeElevenLabs) -> Iterator[Server]:
    require_browser_tools()
    env = {"ECHOME_ELEVENLABS_BASE_URL": fake.base_url, "ECHOME_EMBEDDER": "fake:hashing"}
    with serving(tmp_path_factory.mktemp("stream-server"), env) as instance:
        yield instance


@pytest.fixture(scope="module")
def slug(server: Server, fake: FakeElevenLabs) -> str:
    """A seller whose persona speaks with an ElevenLabs voice, their catalog imported."""
    with httpx.Client(base_url=server.url, timeout=30) as c:
        me = c.post("/api/auth/signup", json={"email": "stream@example.com", "password": "correct horse"})
        token = c.post(
            "/api/auth/tokens", json={"name": "t"}, headers={"X-CSRF-Token": me.headers["x-csrf-token"]}
        )
        c.cookies.clear()
        seller = {"Authorization": f"Bearer {token.json()['token']}"}
        persona = c.post("/api/personas", json={"name": "Ana"}, headers=seller).json()
        up = c.post("/api/products/upload", files={"file": ("lamps.csv", CATALOG)},
                    data={"persona_id": persona["id"]}, headers=seller)  # fmt: skip
        deadline = time.monotonic() + 180
        while c.get(f"/api/jobs/{up.json()['job_id']}", headers=seller).json()["status"] != "completed":
            assert time.monotonic() < deadline, "the catalog import did not finish"
            time.sleep(0.3)
        key = c.put("/api/keys/elevenlabs", json={"value": fake.api_key, "persona_id": persona["id"]},
                    headers=seller)  # fmt: skip
        assert key.status_code in (200, 201), key.text
        db = sqlite3.connect(server.database, timeout=30)
        try:
            with db:
                db.execute(
                    "UPDATE personas SET voice_provider = 'elevenlabs', voice_id = ? WHERE id = ?",
                    (PREMADE_VOICE, persona["id"]),
                )
        finally:
            db.close()
        return str(c.get(f"/api/personas/{persona['id']}/widget", headers=seller).json()["slug"])


@pytest.fixture(scope="module")
def browser(server: Server) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        instance = p.chromium.launch(
            executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"]
        )
        yield instance
        instance.close()


def _spoken_reply(browser: Any, server: Server, slug: str, *, media_source: bool) -> tuple[list[str], int]:
    context = browser.new_context()
    try:
        page = context.new_page()
        problems: list[str] = []
        page.on("pageerror", lambda e: problems.append(str(e)))
        page.add_init_script(WATCH + ("" if media_source else "window.MediaSource = undefined;"))
        page.goto(f"{server.url}/chat/{slug}")
        page.wait_for_selector("[data-echome-chat]")
        page.evaluate(PLAYER)
        page.get_by_role("textbox", name="Your message").fill("How much is the copper desk lamp?")
        page.get_by_role("button", name="Send").click()
        page.wait_for_function("() => window.played >= 2", timeout=90_000)  # both sentences, to the end
        assert problems == []
        return page.evaluate("() => window.madeFrom"), page.evaluate("() => window.played")
    finally:
        context.close()


def test_each_sentence_plays_from_the_elevenlabs_stream(
    browser: Any, server: Server, slug: str, fake: FakeElevenLabs
) -> None:
    before = len(fake.calls)
    made_from, played = _spoken_reply(browser, server, slug, media_source=True)
    assert played >= 2 and len(made_from) >= 2 and set(made_from) == {"MediaSource"}
    streams = [c for c in fake.calls[before:] if c.path.endswith("/stream")]
    assert len(streams) >= 2 and all(c.query["output_format"] == ["mp3_44100_128"] for c in streams)
    assert not [c for c in fake.calls[before:] if not c.path.endswith("/stream")]  # nothing made whole


def test_without_media_source_the_streamed_audio_plays_whole(
    browser: Any, server: Server, slug: str, fake: FakeElevenLabs
) -> None:
    made_from, played = _spoken_reply(browser, server, slug, media_source=False)
    assert played >= 2 and len(made_from) >= 2 and set(made_from) == {"Blob"}
