"""`echome eval conversations`: on a catalog file (a throwaway seller) and on a live persona, whose
data it must leave as it was."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from .test_cli import run

pytestmark = pytest.mark.slow
FAST = {"ECHOME_EMBEDDER": "fake:hashing"}
CATALOG = (
    "name,sku,price,stock,material,description\n"
    "Oak Garden Bench,GB-1,240.00,4,Solid oak,A two-seat bench for the garden.\n"
    "Linen Tea Towel,TT-2,8.90,0,Washed linen,A soft towel for the kitchen.\n"
    "Copper Watering Can,WC-3,45.00,12,Hammered copper,Holds five litres.\n"
    "Wicker Picnic Basket,PB-4,60.00,2,Willow,Fits plates for four.\n"
)


def _rows(db: Path, table: str) -> int:
    with sqlite3.connect(db) as conn:
        return int(conn.execute(f"select count(*) from {table}").fetchone()[0])


def test_on_a_catalog_file_every_kind_is_scored_and_failures_named(tmp_path: Path) -> None:
    catalog = tmp_path / "garden.csv"
    catalog.write_text(CATALOG)
    data = tmp_path / "data"
    r = run(data, "eval", "conversations", "--catalog", str(catalog), "--n", "20", "--json", env=FAST)
    assert r.returncode == 0, r.stderr
    (report,) = json.loads(r.stdout)
    assert report["catalog"] == "garden.csv" and report["products"] == 4 and report["questions"] == 20
    assert {"price", "stock", "specs", "comparison", "off-catalog", "discount", "complaint", "human"} <= set(
        report["by_kind"]
    )
    assert report["by_kind"]["price"]["passed"] >= 1
    assert report["style"] is None  # a throwaway persona has no measured speech
    assert len(report["failing"]) == report["questions"] - report["passed"]
    assert all(f["why"] and f["answer"] is not None for f in report["failing"])
    assert not (data / "echome.db").exists()  # a throwaway seller, not the user's data

    human = run(data, "eval", "conversations", "--catalog", str(catalog), "--n", "20", env=FAST)
    assert human.returncode == 0, human.stderr
    assert f"passed {report['passed']}/20" in human.stdout and "off-catalog" in human.stdout
    for f in report["failing"]:  # the same questions (seeded), each named
        assert f["question"][:40] in " ".join(human.stdout.split())


def test_on_a_live_persona_nothing_of_the_seller_changes(tmp_path: Path) -> None:
    catalog = tmp_path / "garden.csv"
    catalog.write_text(CATALOG)
    data = tmp_path / "data"
    assert run(data, "persona", "create", "Ana", env=FAST).returncode == 0
    imported = run(data, "catalog", "import", str(catalog), "--persona", "Ana", "--json", env=FAST)
    assert imported.returncode == 0, imported.stderr
    asked = run(data, "ask", "Ana", "How much is the Oak Garden Bench?", "--client", "shopper-1", env=FAST)
    assert "240" in asked.stdout, asked.stderr
    db = data / "echome.db"
    before = {t: _rows(db, t) for t in ("clients", "conversations", "messages", "handoff_events", "jobs")}

    r = run(data, "eval", "conversations", "Ana", "--n", "12", "--seed", "3", "--json", env=FAST)
    assert r.returncode == 0, r.stderr
    report = json.loads(r.stdout)
    assert report["persona"] == "Ana" and report["questions"] == 12 and report["seed"] == 3
    humans = [a for a in report["answers"] if a["kind"] == "human"]
    assert humans and all(a["handoff"] == "customer_asked" for a in humans)
    assert {t: _rows(db, t) for t in before} == before

    missing = run(data, "eval", "conversations", "Nobody", env=FAST)
    assert missing.returncode == 1 and "no persona" in missing.stderr
    neither = run(data, "eval", "conversations", env=FAST)
    assert neither.returncode == 1 and "--catalog" in neither.stderr


def test_eval_persona_reports_style_beside_the_sellers_own(tmp_path: Path) -> None:
    catalog = tmp_path / "garden.csv"
    catalog.write_text(CATALOG)
    data = tmp_path / "data"
    assert run(data, "persona", "create", "Ana", env=FAST).returncode == 0
    assert run(data, "catalog", "import", str(catalog), "--persona", "Ana", env=FAST).returncode == 0
    none = run(data, "eval", "persona", "Ana", env=FAST)
    assert none.returncode == 1 and "recordings" in none.stderr  # nothing measured or set yet
    assert run(data, "persona", "override", "Ana", "fillers", '["um"]', env=FAST).returncode == 0
    r = run(data, "eval", "persona", "Ana", "--n", "30", "--json", env=FAST)
    assert r.returncode == 0, r.stderr
    report = json.loads(r.stdout)
    assert report["persona"] == "Ana" and report["replies"] > 10
    fillers = report["measures"]["fillers_per_100_words"]
    assert fillers["replies"] > 0  # the voice notes' words carry the seller's "um"
    assert set(report["measures"]) >= {"catchphrases_per_100_words", "sentence_length", "formality"}
    assert 0 <= report["score"] <= 1


def test_buyers_from_the_llm_when_one_is_configured_else_templates(tmp_path: Path) -> None:
    from tests.servers.fake_openai import FakeOpenAI

    catalog = tmp_path / "garden.csv"
    catalog.write_text(CATALOG)
    data = tmp_path / "data"
    args = ("eval", "conversations", "--catalog", str(catalog), "--n", "8", "--json")
    none = run(data, *args, "--buyers", "llm", env=FAST)
    assert none.returncode == 1 and "--buyers llm needs an LLM" in none.stderr
    assert run(data, *args, "--buyers", "poets", env=FAST).returncode == 1

    with FakeOpenAI(api_key=None, prefix="/ollama/v1") as llm:  # a keyless server, like Ollama
        env = {**FAST, "ECHOME_LLM_BASE_URL": llm.base_url}
        llm.reply(*["can i talk to a real person pls"] * 8)  # fits only a question with no product
        r = run(data, *args, env=env)  # auto: the configured LLM writes the buyers
        assert r.returncode == 0, r.stderr
        (report,) = json.loads(r.stdout)
        buyer_calls = [c for c in llm.chat_calls() if "play a shopper" in c.json["messages"][0]["content"]]
        assert len(buyer_calls) == report["questions"] == 8
        assert report["buyers"]["source"] == "llm" and report["buyers"]["llm_phrased"] >= 1
        assert report["buyers"]["llm_phrased"] + report["buyers"]["fallback"] == 8
        assert report["buyers"]["fallback_reasons"]["drops the product name"] >= 4
        (human,) = [a for a in report["answers"] if a["kind"] == "human"]
        assert human["phrased_by"] == "llm" and human["question"] == "can i talk to a real person pls"
        prices = [a for a in report["answers"] if a["kind"] == "price"]
        assert prices and all(a["phrased_by"] == "template" for a in prices)
        assert report["by_phrasing"]["llm"]["questions"] == report["buyers"]["llm_phrased"]

        before = len(llm.chat_calls())
        templates = run(data, *args, "--buyers", "templates", env=env)
        assert templates.returncode == 0, templates.stderr
        (plain,) = json.loads(templates.stdout)
        assert plain["buyers"] == {"source": "templates", "questions": 8}
        later = llm.chat_calls()[before:]
        assert not any("play a shopper" in c.json["messages"][0]["content"] for c in later)
