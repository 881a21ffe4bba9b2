"""On an interactive terminal the CLI shows results, not JSON log lines; piped, it logs JSON."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest
from echome_env import echome_env

pytestmark = pytest.mark.slow


def _run(data_dir: Path, *args: str, tty: bool) -> tuple[int, str, str]:
    env = echome_env(ECHOME_DATA_DIR=str(data_dir))
    if not tty:
        r = subprocess.run(
            [sys.executable, "-m", "echome", *args], env=env, capture_output=True, text=True, timeout=120
        )
        return r.returncode, r.stdout, r.stderr
    master, slave = pty.openpty()
    try:
        r = subprocess.run(
            [sys.executable, "-m", "echome", *args],
            env=env,
            stdout=subprocess.PIPE,
            stderr=slave,
            text=True,
            timeout=120,
        )
    finally:
        os.close(slave)
    chunks = []
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # the terminal is closed and drained
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(master)
    return r.returncode, r.stdout, b"".join(chunks).decode(errors="replace")


def test_a_terminal_gets_results_without_json_log_lines(tmp_path: Path) -> None:
    code, out, err = _run(tmp_path / "tty", "users", "list", "--json", tty=True)
    assert code == 0 and out.strip().startswith("[")  # the result on stdout
    assert '{"ts"' not in err and "database schema upgraded" not in err

    code, out, err = _run(tmp_path / "pipe", "users", "list", "--json", tty=False)
    assert code == 0 and out.strip().startswith("[")
    assert '"database schema upgraded"' in err  # a first run migrates; a pipe gets the JSON line
