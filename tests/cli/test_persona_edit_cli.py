"""`echome persona override` checks what it stores; `echome persona add-media` says why each URL failed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from echome.answer.prompt import persona_prompt

from ..support.media import serve_dir
from .test_cli import run

pytestmark = pytest.mark.slow
LAN = {"ECHOME_FETCH_ALLOW_NETWORKS": "127.0.0.1"}  # `serve_dir` serves on loopback


def _merged(data: Path) -> dict:
    shown = run(data, "persona", "show", "Ana", "--json")
    assert shown.returncode == 0, shown.stderr
    return json.loads(shown.stdout)["profile"]["merged"]


def test_override_validates_and_the_readme_example_changes_the_prompt(tmp_path: Path) -> None:
    data = tmp_path / "data"
    assert run(data, "persona", "create", "Ana").returncode == 0
    before = persona_prompt("Ana", _merged(data))

    r = run(data, "persona", "override", "Ana", "tone", '{"energy": "calm"}')  # README's example
    assert r.returncode == 0, r.stderr
    merged = _merged(data)
    assert merged["tone"] == {"energy": "calm"}
    after = persona_prompt("Ana", merged)
    assert after != before and "Your tone: calm." in after

    r = run(data, "persona", "override", "Ana", "greeting", "Hey friend!")  # plain text is a string
    assert r.returncode == 0, r.stderr
    assert _merged(data)["greeting"] == "Hey friend!"
    assert "You greet people with 'Hey friend!'" in persona_prompt("Ana", _merged(data))

    broken = run(data, "persona", "override", "Ana", "tone", '{"energy": "calm"')
    assert broken.returncode == 1
    assert "not valid JSON" in broken.stderr and "Expecting" in broken.stderr, broken.stderr

    unknown = run(data, "persona", "override", "Ana", "tonne", "calm")
    assert unknown.returncode == 1
    err = " ".join(unknown.stderr.split())
    assert "unknown profile field 'tonne'" in err and "tone" in err and "sign_off" in err, err

    wrong = run(data, "persona", "override", "Ana", "catchphrases", '["ok", 3]')
    assert wrong.returncode == 1
    assert "catchphrases[1] must be a string or an object" in " ".join(wrong.stderr.split())

    assert _merged(data) == {"tone": {"energy": "calm"}, "greeting": "Hey friend!"}  # nothing else stored
    assert run(data, "persona", "unset", "Ana", "tone").returncode == 0
    assert _merged(data) == {"greeting": "Hey friend!"}


def test_add_media_prints_each_failed_urls_real_reason(tmp_path: Path) -> None:
    data = tmp_path / "data"
    site = tmp_path / "site"
    site.mkdir()
    (site / "page.html").write_text("<html><body><p>No media here.</p></body></html>")
    assert run(data, "persona", "create", "Ana").returncode == 0
    with serve_dir(site) as base:
        r = run(data, "persona", "add-media", "Ana", f"{base}/gone.mp4", f"{base}/page.html", env=LAN)
    assert r.returncode == 1
    lines = [line for line in r.stderr.splitlines() if line.startswith("failed")]
    gone = next(line for line in lines if "/gone.mp4" in line)
    page = next(line for line in lines if "/page.html" in line)
    assert "HTTP Error 404" in gone and "404 Not Found" in gone, r.stderr
    assert "Unsupported URL" in page and "no video or audio was found" in page, r.stderr
    assert "no media given" not in r.stderr

    with serve_dir(site) as base:
        r = run(data, "persona", "add-media", "Ana", f"{base}/gone.mp4", "--json", env=LAN)
    assert r.returncode == 1
    (item,) = json.loads(r.stdout)["media"]
    assert item["status"] == "failed" and "HTTP Error 404" in item["error"]
