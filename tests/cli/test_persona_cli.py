"""`echome persona show` and a catalog attached to a persona by its name."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from .test_cli import run

pytestmark = pytest.mark.slow
EVAL = Path(__file__).resolve().parents[3] / "shared" / "eval"
FAST = {"ECHOME_EMBEDDER": "fake:hashing"}


def test_persona_show_and_a_catalog_imported_for_a_persona_by_name(tmp_path: Path) -> None:
    data = tmp_path / "data"
    assert run(data, "persona", "create", "Ana").returncode == 0
    shown = run(data, "persona", "show", "Ana", "--json")
    assert shown.returncode == 0, shown.stderr  # it used to wait on its own second transaction
    view = json.loads(shown.stdout)
    assert view["name"] == "Ana" and view["voice"]["consent"] is None and view["media"] == []

    r = run(
        data,
        "catalog",
        "import",
        str(EVAL / "csv" / "home-and-garden.csv"),
        "--persona",
        "Ana",
        "--json",
        env=FAST,
    )
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["status"] == "completed"
    asked = run(data, "ask", "Ana", "How much is the Clay Plant Pot?", "--json", env=FAST)
    assert asked.returncode == 0, asked.stderr
    answer = json.loads(asked.stdout)
    # a Shopify export names no currency, and none is configured: the price, with no guessed "$"
    assert "9.99" in answer["answer"] and "$" not in answer["answer"], answer
    assert answer["citations"][0]["name"] == "Clay Plant Pot"

    listed = json.loads(run(data, "catalog", "list", "--json").stdout)
    assert [(c["source"], c["persona"], c["products"]) for c in listed] == [
        ("home-and-garden.csv", "Ana", 20)
    ]
    assert (
        run(data, "catalog", "delete", "home-and-garden.csv", input="n\n").returncode == 1
    )  # asked, declined
    gone = run(data, "catalog", "delete", "home-and-garden.csv", "--yes", env=FAST)
    assert gone.returncode == 0 and "deleted 20 products" in gone.stderr
    assert json.loads(run(data, "catalog", "list", "--json").stdout) == []
    assert "no catalog" in run(data, "catalog", "delete", "home-and-garden.csv", "--yes").stderr

    missing = run(
        data, "catalog", "import", str(EVAL / "csv" / "home-and-garden.csv"), "--persona", "Bo", env=FAST
    )
    assert missing.returncode == 1 and "no persona 'Bo'" in missing.stderr
