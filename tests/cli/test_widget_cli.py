"""`echome widget allow|disallow|slug|show`: a persona's web chat settings from the command line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from .test_cli import run

pytestmark = pytest.mark.slow


def test_widget_commands(tmp_path: Path) -> None:
    data = tmp_path / "data"
    assert run(data, "persona", "create", "Ana Vintage").returncode == 0
    shown = run(data, "widget", "show", "Ana Vintage", "--json")
    assert shown.returncode == 0, shown.stderr
    view = json.loads(shown.stdout)
    assert view["slug"] == "ana-vintage" and view["allowed_origins"] == []  # made from the name
    assert view["embed_code"] == '<script src="/widget.js" data-persona="ana-vintage" async></script>'

    allowed = run(data, "widget", "allow", "Ana Vintage", "HTTPS://Shop.Example.com/")
    assert allowed.returncode == 0 and "https://shop.example.com" in allowed.stdout
    run(data, "widget", "allow", "Ana Vintage", "http://localhost:3000")
    bad = run(data, "widget", "allow", "Ana Vintage", "https://shop.example.com/products")
    assert bad.returncode == 1 and "no path" in bad.stderr
    assert run(data, "widget", "allow", "Ana Vintage", "*.example.com").returncode == 1
    assert json.loads(run(data, "widget", "show", "Ana Vintage", "--json").stdout)["allowed_origins"] == [
        "https://shop.example.com",
        "http://localhost:3000",
    ]

    gone = run(data, "widget", "disallow", "Ana Vintage", "http://localhost:3000")
    assert gone.returncode == 0 and "localhost" not in gone.stdout
    again = run(data, "widget", "disallow", "Ana Vintage", "http://localhost:3000")
    assert again.returncode == 1 and "was not allowed" in again.stderr

    assert run(data, "widget", "slug", "Ana Vintage", "ana-shop").returncode == 0
    refused = run(data, "widget", "slug", "Ana Vintage", "Ana Shop!")
    assert refused.returncode == 1 and "lower-case letters" in refused.stderr
    text = run(data, "widget", "show", "Ana Vintage", env={"ECHOME_PUBLIC_URL": "https://echo.example.org"})
    assert 'src="https://echo.example.org/widget.js" data-persona="ana-shop"' in text.stdout
    assert "https://echo.example.org/chat/ana-shop" in text.stdout
    assert run(data, "widget", "show", "Nobody").returncode == 1
