"""Bomb files through the real upload API and job path of a running `echome serve`.

Each is uploaded as a seller would; its job must end (failed, with the reason) within 10 s while
the server process and the readers it starts use at most 1 GB more memory than before the upload,
and `/api/health` answers 200 throughout. The server runs under an 8 GB address-space cap (the
issue's 0.39 MB workbook grew it to 22 GB), with the local models of a default install.

The figures (seconds, peak extra RSS of the server and its children, slowest health check) are
attached to each test with `record_property`: `--junitxml=out.xml -o junit_family=legacy`."""

from __future__ import annotations

import os
import resource
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import bombs
import httpx
import pytest
from echome_env import echome_env
from waiting import wait_for

pytestmark = pytest.mark.slow

MB = 1024 * 1024
GB = 1024 * MB
SERVER_ADDRESS_SPACE = 8 * GB
MAX_SECONDS = 10.0
MAX_EXTRA_RSS = 1 * GB


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _memory(pid: int) -> int:
    """Proportional resident memory (PSS) of one process: pages shared with another process count
    half. A child between fork and exec shares all of the server's pages; its RSS would count them
    twice, its PSS does not."""
    with open(f"/proc/{pid}/smaps_rollup") as f:
        return next(int(line.split()[1]) * 1024 for line in f if line.startswith("Pss:"))


def _cmdline(pid: int) -> bytes:
    with open(f"/proc/{pid}/cmdline", "rb") as f:
        return f.read()


def _tree(pid: int) -> dict[int, int]:
    """Memory (PSS, bytes) of a process and each of its descendants. A child not yet past exec
    (still the server's command line) is left out: after vfork it shares the server's memory map,
    and reading its memory would count the server twice."""
    out, todo = {}, [pid]
    root = _cmdline(pid)
    while todo:
        p = todo.pop()
        try:
            if p == pid or _cmdline(p) != root:
                out[p] = _memory(p)
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children") as f:
                    todo += [int(c) for c in f.read().split()]
        except (FileNotFoundError, ProcessLookupError, PermissionError, StopIteration):
            continue
    return out


def _tree_rss(pid: int) -> int:
    return sum(_tree(pid).values())


@dataclass
class Watch:
    """Samples the server tree's memory every 20 ms and /api/health every 200 ms."""

    pid: int
    base: str
    peak: int = 0
    at_peak: dict[int, int] = field(default_factory=dict)  # MB per process at the peak
    health: list[tuple[int, float]] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)

    def __enter__(self) -> Watch:
        self.peak = _tree_rss(self.pid)
        self._threads = [threading.Thread(target=self._memory), threading.Thread(target=self._health)]
        for t in self._threads:
            t.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        for t in self._threads:
            t.join()

    def _memory(self) -> None:
        while not self._stop.wait(0.02):
            tree = _tree(self.pid)
            if sum(tree.values()) > self.peak:
                self.peak, self.at_peak = sum(tree.values()), {p: m // MB for p, m in tree.items()}

    def _health(self) -> None:
        with httpx.Client(base_url=self.base, timeout=5) as c:
            while not self._stop.wait(0.2):
                t = time.perf_counter()
                try:
                    status = c.get("/api/health").status_code
                except httpx.HTTPError:
                    status = 0
                self.health.append((status, time.perf_counter() - t))


@dataclass
class Server:
    proc: subprocess.Popen[bytes]
    base: str
    headers: dict[str, str]
    log: Path

    def baseline(self) -> int:
        """The tree's memory once it has settled (readers from earlier uploads gone)."""
        samples = []
        for _ in range(10):
            samples.append(_tree_rss(self.proc.pid))
            time.sleep(0.05)
        return min(samples)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    data = tmp_path_factory.mktemp("bombs") / "data"
    port = _free_port()
    env = echome_env()
    env.update(
        ECHOME_DATA_DIR=str(data),
        ECHOME_TELEGRAM_POLLING="off",
        ECHOME_LOG_FORMAT="json",
        MALLOC_ARENA_MAX="2",  # address space the server reserves per thread, not memory it uses
        # job and health polling several times a second, from one address and one seller
        ECHOME_RATE_LIMIT_USER_PER_MINUTE="100000",
        ECHOME_RATE_LIMIT_IP_PER_MINUTE="100000",
    )
    log = data.parent / "serve.log"
    proc = subprocess.Popen(
        [sys.executable, "-m", "echome", "serve", "--port", str(port)],
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )
    # Before it has loaded anything (seconds of imports); what it starts later inherits the cap.
    resource.prlimit(proc.pid, resource.RLIMIT_AS, (SERVER_ADDRESS_SPACE, SERVER_ADDRESS_SPACE))
    base = f"http://127.0.0.1:{port}"
    try:

        def ready() -> bool:
            try:
                ok = httpx.get(f"{base}/api/health", timeout=2).status_code == 200
            except httpx.HTTPError:
                return False
            return ok and "warmed up" in log.read_text()

        wait_for(ready, timeout=120, interval=0.3, what=f"echome serve (log: {log})")
        with httpx.Client(base_url=base) as c:
            email = f"seller-{uuid.uuid4().hex[:8]}@example.com"
            me = c.post("/api/auth/signup", json={"email": email, "password": "correct horse"})
            assert me.status_code == 201
            csrf = {"X-CSRF-Token": me.headers["x-csrf-token"]}  # a cookie-authenticated write
            token = c.post("/api/auth/tokens", json={"name": "bombs"}, headers=csrf).json()["token"]
        yield Server(proc, base, {"Authorization": f"Bearer {token}"}, log)
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()


@dataclass
class Outcome:
    job: dict[str, Any]
    seconds: float
    extra_rss: int
    slowest_health: float


def submit(
    server: Server,
    path: str,
    name: str,
    data: bytes,
    record: Callable[[str, object], None],
    *,
    max_seconds: float = MAX_SECONDS,
) -> Outcome:
    assert server.proc.poll() is None, "the server is gone"
    base_rss = server.baseline()
    with (
        httpx.Client(base_url=server.base, headers=server.headers, timeout=30) as c,
        Watch(server.proc.pid, server.base) as watch,
    ):
        t = time.perf_counter()
        r = c.post(path, files={"file": (name, data)})
        assert r.status_code == 202, r.text
        job_id = r.json()["job_id"]
        job: dict[str, Any] = {}
        while time.perf_counter() - t < 60:
            job = c.get(f"/api/jobs/{job_id}").json()
            if job["status"] in ("failed", "completed", "cancelled"):
                break
            time.sleep(0.1)
        seconds = time.perf_counter() - t
        time.sleep(0.3)  # a health check after the job ended, too
    out = Outcome(job, seconds, max(0, watch.peak - base_rss), max(s for _, s in watch.health))
    record("seconds", round(out.seconds, 2))
    record("peak_extra_rss_mb", round(out.extra_rss / MB))
    record("processes_at_peak_mb", watch.at_peak)
    record("slowest_health_ms", round(out.slowest_health * 1000))
    record("job_status", job.get("status"))
    record("job_error", job.get("error"))
    assert watch.health and all(status == 200 for status, _ in watch.health), watch.health
    assert server.proc.poll() is None, f"the server died (log: {server.log})"
    assert out.seconds <= max_seconds, f"{name}: {out.seconds:.1f} s"
    assert out.extra_rss <= MAX_EXTRA_RSS, f"{name}: {out.extra_rss / MB:.0f} MB more"
    return out


CATALOG_BOMBS = [
    ("xlsx-shared-string", "bomb.xlsx", lambda: bombs.xlsx_shared_string_bomb(), "decompression bomb"),
    ("xlsx-rows", "rows.xlsx", lambda: bombs.xlsx_row_bomb(), "1,048,576 rows; the limit is 200,000"),
    ("xlsx-merged-ranges", "merged.xlsx", lambda: bombs.xlsx_merge_bomb(), "merged cell ranges; the limit"),
    ("pdf-flate", "bomb.pdf", lambda: bombs.pdf_flate_bomb(), "decompression bomb"),
    ("pdf-nested-forms", "nested.pdf", lambda: bombs.pdf_nested_forms(), "nest drawings or objects deeper"),
    ("pdf-nested-arrays", "arrays.pdf", lambda: bombs.pdf_nested_arrays(), "nests objects deeper"),
    ("json-nested", "dump.txt", lambda: bombs.nested_json(), "no text (1 run of more than 1,000 characters"),
    (
        "xml-nested",
        "feed.xml",
        lambda: b"<products>" + b"<p>" * 200_000 + b"</p>" * 200_000 + b"</products>",
        "nested too deeply",
    ),
]


@pytest.mark.parametrize(
    ("case", "name", "build", "reason"), CATALOG_BOMBS, ids=[c[0] for c in CATALOG_BOMBS]
)
def test_catalog_bomb_fails_its_job_cleanly(
    server: Server,
    record_property: Callable[[str, object], None],
    case: str,
    name: str,
    build: Any,
    reason: str,
) -> None:
    out = submit(server, "/api/products/upload", name, build(), record_property)
    assert out.job["status"] == "failed", out.job
    assert reason in out.job["error"] and "scanned" not in out.job["error"], out.job["error"]
    assert out.job["attempts"] == 1  # failed for good: not retried


def test_store_information_pdf_bomb_fails_its_job_cleanly(
    server: Server, record_property: Callable[[str, object], None]
) -> None:
    out = submit(server, "/api/store-info", "policies.pdf", bombs.pdf_flate_bomb(), record_property)
    assert out.job["status"] == "failed" and "decompression bomb" in out.job["error"], out.job
    assert out.job["attempts"] == 1


def test_a_long_string_under_the_zip_caps_imports_cut_in_bounded_memory(
    server: Server, record_property: Callable[[str, object], None]
) -> None:
    data = bombs.xlsx_long_string(250_000_000)
    # Not a failure: the string is cut to a cell's size while it streams in, and the product is
    # imported. Its ~140 full-window chunks take the local embedder 15-30 s on 2 busy cores: the
    # time is embedding, not reading, so only memory is held to the bomb target here.
    out = submit(server, "/api/products/upload", "long.xlsx", data, record_property, max_seconds=120)
    assert out.job["status"] == "completed", out.job
    assert out.job["result"]["products"] == 1
    assert any("250,000,000 characters" in w for w in out.job["result"]["warnings"])


def test_nested_json_pasted_into_store_information_is_left_out(
    server: Server, record_property: Callable[[str, object], None]
) -> None:
    body = b"# Returns\n\nThirty days, free.\n\n" + bombs.nested_json(300_000) + b"\n"
    out = submit(server, "/api/store-info", "faq.md", body, record_property)
    assert out.job["status"] == "completed", out.job
    assert out.job["result"]["passages"] == 1 and "data, not text" in " ".join(out.job["result"]["warnings"])


def test_deeply_nested_json_bodies_are_refused_not_crashing(server: Server) -> None:
    deep = bombs.nested_json()
    with httpx.Client(base_url=server.base, headers=server.headers, timeout=30) as c:
        upload = c.post("/api/products/upload", files={"file": ("catalog.json", deep)})
        assert upload.status_code == 415  # JSON is not a catalog format: never parsed
        for path in ("/api/chat", "/api/auth/tokens"):
            r = c.post(path, content=deep, headers={"Content-Type": "application/json"})
            assert 400 <= r.status_code < 500, (path, r.status_code, r.text[:200])
        assert c.get("/api/health").status_code == 200
    assert server.proc.poll() is None
