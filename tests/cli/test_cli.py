"""The `echome` command as a newcomer runs it: a fresh data dir, no servers, no network."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest
from echome_env import echome_env
from waiting import wait_for

pytestmark = pytest.mark.slow


def run(data_dir: Path, *args: str, input: str | None = None, env: dict[str, str] | None = None) -> Any:
    full_env = echome_env(ECHOME_DATA_DIR=str(data_dir), **(env or {}))
    return subprocess.run(
        [sys.executable, "-m", "echome", "--log-level", "WARNING", *args],
        env=full_env,
        input=input,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_users_tokens_and_jobs_commands(tmp_path: Path) -> None:
    data = tmp_path / "data"
    r = run(data, "users", "create", "ana@example.com", "--password", "correct horse")
    assert r.returncode == 0, r.stderr
    dup = run(data, "users", "create", "ANA@example.com", "--password", "correct horse")
    assert dup.returncode == 1 and "already exists" in dup.stderr
    bad = run(data, "users", "create", "not-an-email", "--password", "correct horse")
    assert bad.returncode == 1 and "invalid email" in bad.stderr
    listed = json.loads(run(data, "users", "list", "--json").stdout)
    assert [u["email"] for u in listed] == ["ana@example.com"]

    token = run(data, "tokens", "create", "--user", "ana@example.com").stdout.strip()
    assert token.startswith("em_")

    jobs = run(data, "jobs", "list", "--json", "--user", "ana@example.com")
    assert jobs.returncode == 0 and json.loads(jobs.stdout) == []
    missing = run(data, "jobs", "show", "nope", "--user", "ana@example.com")
    assert missing.returncode == 1 and "no job nope" in missing.stderr
    nobody = run(data, "jobs", "list", "--user", "ghost@example.com")
    assert nobody.returncode == 1 and "no user" in nobody.stderr

    # Without --user the embedded owner is created and used.
    owner_jobs = run(data, "jobs", "list", "--json")
    assert owner_jobs.returncode == 0 and "Created the owner account" in owner_jobs.stderr
    emails = {u["email"]: u["owner"] for u in json.loads(run(data, "users", "list", "--json").stdout)}
    assert emails == {"ana@example.com": False, "owner@localhost": True}


def test_keys_set_reads_the_secret_from_stdin_and_lists_masked(tmp_path: Path) -> None:
    data = tmp_path / "data"
    secret = "sk-cli-secret-abcdefghij4242"
    r = run(data, "keys", "set", "openai", input=secret + "\n")
    assert r.returncode == 0, r.stderr
    listed = run(data, "keys", "list", "--json")
    assert secret not in listed.stdout + listed.stderr
    assert json.loads(listed.stdout)[0]["masked"].endswith("4242")
    bad = run(data, "keys", "set", "myspace", input="whatever-value\n")
    assert bad.returncode == 1 and "unknown provider" in bad.stderr
    rot = run(data, "keys", "rotate-master")
    assert rot.returncode == 0 and "re-encrypted 1 keys" in rot.stderr
    assert len((data / "keys" / "master.key").read_text().split()) == 2


def test_db_upgrade_and_current(tmp_path: Path) -> None:
    data = tmp_path / "data"
    assert run(data, "db", "upgrade").returncode == 0
    current = json.loads(run(data, "db", "current").stdout)
    assert current["current"] == current["head"] is not None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_serve_on_an_empty_data_dir_is_healthy(tmp_path: Path) -> None:
    data = tmp_path / "fresh"
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("ECHOME_")}
    env["ECHOME_DATA_DIR"] = str(data)
    log = (tmp_path / "serve.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "echome", "serve", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:

        def healthy() -> Any:
            try:
                r = httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=2)
            except httpx.HTTPError:
                return None
            return r if r.status_code == 200 else None

        r = wait_for(healthy, timeout=60, interval=0.3, what="serve to be healthy")
        body = r.json()
        assert body["components"]["queue"]["workers"] == 1  # the embedded worker
        assert (data / "echome.db").exists() and (data / "keys" / "master.key").exists()
        assert httpx.get(f"http://127.0.0.1:{port}/openapi.json").json()["info"]["title"] == "Echo Me"
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
    # uvicorn re-raises SIGTERM after its graceful shutdown, so the exit status reports the signal.
    assert proc.returncode in (0, -signal.SIGTERM)
    output = (tmp_path / "serve.log").read_text()
    assert "Created the owner account owner@localhost" in output
    assert "worker stopped" in output and "Application shutdown complete" in output
