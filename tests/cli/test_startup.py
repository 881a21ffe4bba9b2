"""Commands import only what they use: `echome --help`, `echome users list` and `echome jobs list`
load no media, speech, vector-store or voice library, and `--help` not even the database or the
composition root. Each case runs in a fresh interpreter, so nothing another test imported counts."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

# PyAV, faster-whisper, chromadb, onnxruntime, piper, scipy, pyworld: seconds of imports each.
HEAVY = ["av", "faster_whisper", "chromadb", "onnxruntime", "piper", "scipy", "pyworld"]
# What `--help` has no use for either: typer and rich are all it needs.
NOT_FOR_HELP = [
    "echome.bootstrap",
    "echome.settings",
    "sqlalchemy",
    "alembic",
    "huey",
    "fastapi",
    "numpy",
]

SCRIPT = """
import json, sys
from typer.testing import CliRunner
from echome.cli.app import app

result = CliRunner().invoke(app, sys.argv[1:])
watched = json.loads(sys.stdin.read())
print(json.dumps({
    "exit_code": result.exit_code,
    "output": result.output,
    "exception": repr(result.exception) if result.exception else None,
    "loaded": sorted(m for m in watched if m in sys.modules),
}))
"""


def run_command(tmp_path: Path, args: list[str], watched: list[str]) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ECHOME_")}  # no server URLs
    env["ECHOME_DATA_DIR"] = str(tmp_path / "data")
    proc = subprocess.run(
        [sys.executable, "-c", SCRIPT, *args],
        input=json.dumps(watched),
        env=env,
        cwd=tmp_path,  # no .env file from the working directory
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize(
    "args", [["--help"], ["users", "list"], ["jobs", "list"]], ids=["help", "users-list", "jobs-list"]
)
def test_commands_do_not_import_heavy_libraries(tmp_path: Path, args: list[str]) -> None:
    r = run_command(tmp_path, args, HEAVY)
    assert r["exit_code"] == 0, f"{r['output']}\n{r['exception']}"
    assert r["loaded"] == [], f"`echome {' '.join(args)}` imported {r['loaded']}"


def test_help_imports_neither_the_database_nor_the_composition_root(tmp_path: Path) -> None:
    r = run_command(tmp_path, ["--help"], NOT_FOR_HELP)
    assert r["exit_code"] == 0, f"{r['output']}\n{r['exception']}"
    assert "Usage" in r["output"] and "users" in r["output"]
    assert r["loaded"] == [], f"`echome --help` imported {r['loaded']}"
    assert not (tmp_path / "data").exists()  # and built nothing
