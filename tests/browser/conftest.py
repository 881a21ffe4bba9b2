"""A real `echome serve` and Debian's Chromium driven by Playwright (sync API).

One server and one browser per test session; each test gets fresh browser contexts (cookies,
storage). Every page is watched: a request to anything but the server (the app must work offline),
a Content-Security-Policy violation or an uncaught script error fails the test.

Screenshots (desktop 1280x800 and phone 390x844, light and dark) and the accessibility report go to
`ECHOME_SCREENSHOTS_DIR` (default `<repo>/build/screenshots`); the run prints the folder at the end.

Needs /usr/bin/chromium (`apt-get install chromium`; `ECHOME_CHROMIUM` overrides the path) and
`web/node_modules` (`npm ci` in web/, for axe-core). Without them the tests skip, or fail when CI
is set, as the PostgreSQL and Redis tests do.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from echome_env import echome_env

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path(os.environ.get("ECHOME_CHROMIUM", "/usr/bin/chromium"))
AXE = ROOT / "web" / "node_modules" / "axe-core" / "axe.min.js"
SHOTS = Path(os.environ.get("ECHOME_SCREENSHOTS_DIR", ROOT / "build" / "screenshots"))
IN_CI = bool(os.environ.get("CI"))
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
PASSWORD = "correct horse battery"
SERIOUS = ("serious", "critical")


def _require(ok: bool, what: str) -> None:
    if ok:
        return
    if IN_CI:
        pytest.fail(f"{what} is missing and CI is set")
    pytest.skip(f"{what} is missing")


def require_browser_tools() -> None:
    _require(CHROMIUM.exists(), f"Chromium at {CHROMIUM} (apt-get install chromium)")
    _require(AXE.exists(), f"axe-core at {AXE} (npm ci in web/)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        _require(False, "the playwright package (pip install -e '.[test]')")


# -- the server ---------------------------------------------------------------------------------
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    url: str
    data_dir: Path
    log: Path

    @property
    def database(self) -> Path:
        return self.data_dir / "echome.db"

    def log_size(self) -> int:
        try:
            return self.log.stat().st_size
        except OSError:
            return 0

    def event_loop_stalls(self, since: int) -> list[str]:
        """Lines the server logged since `since` (a log size) about database work on its event loop
        (echome.db.session), which stalls every request while it waits."""
        try:
            with self.log.open("rb") as f:
                f.seek(since)
                text = f.read().decode(errors="replace")
        except OSError:
            return []
        return [line[:600] for line in text.splitlines() if "database work on the event loop" in line]

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"


# Package scope, not session: Playwright's sync API keeps an event loop running in the main thread
# while it is open, and every later test that calls asyncio.run() (the Telegram job, the bot
# library's round trip) would fail with "cannot be called from a running event loop".
@contextlib.contextmanager
def serving(base: Path, extra_env: dict[str, str] | None = None) -> Iterator[Server]:
    """A real `echome serve` with embedded defaults (SQLite, local files and models, the worker
    inside) in a data folder of its own under `base`, stopped (its whole process group) on exit."""
    data, log = base / "data", base / "serve.log"
    port = _free_port()
    env = echome_env(ECHOME_DATA_DIR=str(data), ECHOME_HOST="127.0.0.1", ECHOME_PORT=str(port))
    env["ECHOME_CATALOG_CURRENCY"] = "USD"  # the tests' shop sells in dollars; its catalogs name none
    env.update(extra_env or {})
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "echome", "serve"],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    instance = Server(f"http://127.0.0.1:{port}", data, log)
    try:
        _wait_healthy(proc, instance)
        yield instance
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


@pytest.fixture(scope="package")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    require_browser_tools()
    with serving(tmp_path_factory.mktemp("browser-server")) as instance:
        yield instance


def _wait_healthy(proc: subprocess.Popen[bytes], server: Server) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"echome serve exited with {proc.returncode}:\n{server.log_tail()}")
        try:
            if httpx.get(f"{server.url}/api/health", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    pytest.fail(f"echome serve did not become healthy:\n{server.log_tail()}")


# -- the browser --------------------------------------------------------------------------------
@pytest.fixture(scope="package")
def browser(server: Server) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        instance = p.chromium.launch(
            executable_path=str(CHROMIUM),
            # Root in a container has no user namespaces for Chromium's sandbox.
            args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
        )
        yield instance
        instance.close()


@dataclass
class Watch:
    """What the pages of one test did that they must not."""

    server_url: str
    outside: list[str] = field(default_factory=list)
    csp: list[str] = field(default_factory=list)
    script_errors: list[str] = field(default_factory=list)

    def allowed(self, url: str) -> bool:
        if url.startswith(("data:", "blob:", "about:")):
            return True
        ours, theirs = urlsplit(self.server_url), urlsplit(url)
        return (theirs.hostname, theirs.port) == (ours.hostname, ours.port)

    def problems(self) -> list[str]:
        return (
            [f"request left 127.0.0.1: {u}" for u in self.outside]
            + [f"CSP violation: {m}" for m in self.csp]
            + [f"script error: {m}" for m in self.script_errors]
        )


@dataclass
class Browsing:
    """Opens browser contexts on the server, each watched; `new_page()` is a fresh browser."""

    browser: Any
    server: Server
    watch: Watch
    contexts: list[Any] = field(default_factory=list)

    def new_page(self, *, viewport: dict[str, int] | None = None, color_scheme: str = "light") -> Any:
        # Reduced motion: no transition is caught half-way by a screenshot or a contrast check.
        context = self.browser.new_context(
            base_url=self.server.url,
            viewport=viewport or DESKTOP,
            color_scheme=color_scheme,
            reduced_motion="reduce",
        )
        context.set_default_timeout(15_000)
        context.route("**/*", self._route)
        self.contexts.append(context)
        page = context.new_page()
        page.on("console", self._console)
        page.on("pageerror", lambda exc: self.watch.script_errors.append(str(exc)))
        return page

    def _route(self, route: Any) -> None:
        url = route.request.url
        if self.watch.allowed(url):
            route.continue_()
        else:
            self.watch.outside.append(url)
            route.abort("blockedbyclient")

    def _console(self, message: Any) -> None:
        text = message.text
        if "Content Security Policy" in text or "Content-Security-Policy" in text:
            self.watch.csp.append(text)

    def close(self) -> None:
        for context in self.contexts:
            with contextlib.suppress(Exception):
                context.close()


@pytest.fixture
def browsing(browser: Any, server: Server) -> Iterator[Browsing]:
    session = Browsing(browser, server, Watch(server.url))
    start = server.log_size()
    try:
        yield session
    finally:
        session.close()
    problems = session.watch.problems() + server.event_loop_stalls(start)
    assert not problems, "\n".join(problems)


@pytest.fixture
def page(browsing: Browsing) -> Any:
    return browsing.new_page()


# -- journeys' building blocks -------------------------------------------------------------------
_counter = iter(range(1, 10_000))


def new_email(label: str = "seller") -> str:
    return f"{label}-{os.getpid()}-{next(_counter)}@example.com"


SETUP_START = re.compile(r"/app/personas/([0-9a-f]{32})/setup/recordings$")


def sign_up(
    page: Any, *, name: str = "Ana", email: str | None = None, password: str = PASSWORD, home: bool = True
) -> str:
    """Create an account through the sign-up form; returns its email. A new seller lands on the
    guided setup's first step; with `home` the persona's Home (its checklist) is opened next."""
    email = email or new_email()
    page.goto("/signup")
    page.get_by_label("Your name").fill(name)
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Create account").click()
    page.wait_for_url(SETUP_START)
    if home:
        found = SETUP_START.search(page.url)
        assert found
        page.goto(f"/app/personas/{found.group(1)}")
    return email


def sign_in(page: Any, email: str, password: str = PASSWORD) -> None:
    page.goto("/signin")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"/app/"))


# -- screenshots and accessibility -------------------------------------------------------------
_written: list[Path] = []
_a11y: dict[str, Any] = {}


def _axe(page: Any) -> list[dict[str, Any]]:
    # Evaluated over DevTools, which the page's CSP does not govern (a <script> tag would be refused).
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(AXE.read_text(encoding="utf-8"))
    result = page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")
    return [
        {
            "id": v["id"],
            "impact": v.get("impact"),
            "help": v["help"],
            "nodes": [n["target"] for n in v["nodes"]][:5],
        }
        for v in result["violations"]
    ]


def check_accessibility(page: Any, name: str) -> None:
    """axe-core on the page as it is, in light and in dark: no serious or critical violation."""
    found: dict[str, Any] = {}
    for scheme in ("light", "dark"):
        page.emulate_media(color_scheme=scheme)
        found[scheme] = _axe(page)
    page.emulate_media(color_scheme="light")
    _a11y[name] = found
    serious = [
        f"{scheme}: {v['id']} ({v['impact']}) {v['help']} at {v['nodes']}"
        for scheme, vs in found.items()
        for v in vs
        if v["impact"] in SERIOUS
    ]
    assert not serious, f"accessibility violations on {name}:\n" + "\n".join(serious)


def screenshot(page: Any, name: str) -> None:
    """The page at desktop and phone widths (light), and at desktop width in dark."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    original = page.viewport_size or DESKTOP
    shots: list[tuple[str, dict[str, int], str]] = [
        ("desktop", DESKTOP, "light"),
        ("phone", PHONE, "light"),
        ("desktop-dark", DESKTOP, "dark"),
    ]
    for label, size, scheme in shots:
        page.set_viewport_size(size)
        page.emulate_media(color_scheme=scheme)
        path = SHOTS / f"{name}-{label}.png"
        page.screenshot(path=str(path), full_page=True, animations="disabled")
        _written.append(path)
    page.set_viewport_size(original)
    page.emulate_media(color_scheme="light")


def look(page: Any, name: str) -> None:
    """Screenshots and the accessibility check of the page as it stands."""
    screenshot(page, name)
    check_accessibility(page, name)


Look = Callable[[Any, str], None]


@pytest.fixture
def look_at() -> Look:
    return look


def _worker() -> str:
    return os.environ.get("PYTEST_XDIST_WORKER", "main")  # pytest -n: each worker sees its own tests


def pytest_sessionstart(session: pytest.Session) -> None:
    if _worker() == "main" and SHOTS.exists():  # the run's own results only
        for old in SHOTS.glob(".looked-*.json"):
            old.unlink()


def pytest_sessionfinish(session: pytest.Session) -> None:
    if _a11y or _written:
        SHOTS.mkdir(parents=True, exist_ok=True)
        looked = {"a11y": _a11y, "written": sorted({str(p) for p in _written})}
        (SHOTS / f".looked-{_worker()}.json").write_text(json.dumps(looked))


def pytest_terminal_summary(terminalreporter: Any) -> None:
    a11y: dict[str, Any] = {}
    written: set[str] = set()
    for part in sorted(SHOTS.glob(".looked-*.json")) if SHOTS.exists() else []:
        looked = json.loads(part.read_text())
        a11y.update(looked["a11y"])
        written.update(looked["written"])
    if not written and not a11y:
        return
    (SHOTS / "accessibility.json").write_text(json.dumps(a11y, indent=2, sort_keys=True) + "\n")
    counts: dict[str, int] = {}
    for violations in a11y.values():
        for scheme_violations in violations.values():
            for v in scheme_violations:
                counts[v["impact"] or "unknown"] = counts.get(v["impact"] or "unknown", 0) + 1
    terminalreporter.write_sep("-", "browser tests")
    terminalreporter.write_line(f"screenshots: {SHOTS} ({len(written)} written)")
    summary = ", ".join(f"{n} {impact}" for impact, n in sorted(counts.items())) or "no violations"
    terminalreporter.write_line(
        f"accessibility (axe-core, {len(a11y)} pages, light and dark): {summary}; "
        f"report {SHOTS / 'accessibility.json'}"
    )
