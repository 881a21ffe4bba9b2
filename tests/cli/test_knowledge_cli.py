"""`echome catalog import`, `echome search` (single and batch) and `echome eval retrieval`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from .test_cli import run

pytestmark = pytest.mark.slow
EVAL = Path(__file__).resolve().parents[3] / "shared" / "eval"
FAST = {"ECHOME_EMBEDDER": "fake:hashing"}


def test_import_then_search_single_and_batch(tmp_path: Path) -> None:
    data = tmp_path / "data"
    r = run(data, "catalog", "import", str(EVAL / "csv" / "home-and-garden.csv"), "--json", env=FAST)
    assert r.returncode == 0, r.stderr
    job = json.loads(r.stdout)
    assert job["status"] == "completed" and job["result"]["products"] == 20
    r = run(data, "search", "copper bedside light", "--top-k", "3", "--json", env=FAST)
    hits = json.loads(r.stdout)["results"]
    assert len(hits) == 3 and hits[0]["name"] == "Copper Light"
    assert set(hits[0]) >= {"text", "score", "sku", "name", "source", "page"}

    queries = tmp_path / "q.jsonl"
    queries.write_text(
        json.dumps({"id": "a", "query": "copper light"})
        + "\n"
        + "not json\n"
        + json.dumps({"id": "b", "query": "garden", "sku": "no-such-sku"})
        + "\n"
    )
    r = run(data, "search", "--queries", str(queries), "--top-k", "2", env=FAST)
    lines = [json.loads(line) for line in r.stdout.splitlines()]
    assert [entry["id"] for entry in lines] == ["a", "b"]
    assert lines[0]["results"][0]["name"] == "Copper Light" and lines[1]["results"] == []
    assert "line 2" in r.stderr


def test_import_of_a_bad_file_fails_with_its_reason(tmp_path: Path) -> None:
    bad = tmp_path / "prices.csv"
    bad.write_text("sku,price\nA,1\n")
    r = run(tmp_path / "data", "catalog", "import", str(bad), env=FAST)
    assert r.returncode == 1 and "no product name column" in r.stderr
    missing = run(tmp_path / "data", "catalog", "import", str(tmp_path / "nope.csv"), env=FAST)
    assert missing.returncode == 1 and "no such file" in missing.stderr


def test_eval_retrieval_reports_system_and_baseline(tmp_path: Path) -> None:
    folder = tmp_path / "qa"
    folder.mkdir()
    (folder / "catalog.csv").write_text(
        "sku,name,description,reviews\n"
        "S1,Steel Kettle,Boils water in three minutes.,Very fast kettle || Handle gets hot\n"
        "S2,Oak Chair,Solid oak with a padded seat.,Comfortable for hours || Wobbles a bit\n"
    )
    questions = [
        {
            "qid": "1",
            "question": "how fast does it boil?",
            "sku": "S1",
            "product_name": "Steel Kettle",
            "evidence": [{"text": "Boils water in three minutes.", "source": "description", "label": 2}],
        },
        {
            "qid": "2",
            "question": "is the seat soft?",
            "sku": "S2",
            "product_name": "Oak Chair",
            "evidence": [{"text": "Solid oak with a padded seat.", "source": "description", "label": 2}],
        },
        {
            "qid": "3",
            "question": "unanswerable",
            "sku": "S2",
            "product_name": "Oak Chair",
            "evidence": [{"text": "Wobbles a bit", "source": "review", "label": 0}],
        },
    ]
    (folder / "questions.jsonl").write_text("\n".join(json.dumps(q) for q in questions) + "\n")
    r = run(tmp_path / "data", "eval", "retrieval", str(folder), "--json", env=FAST)
    assert r.returncode == 0, r.stderr
    report = json.loads(r.stdout)
    assert report["questions"] == 2  # the one without a label-2 evidence is not scored
    assert set(report["metrics"]) == {"bare", "named", "scoped"}
    scoped = report["metrics"]["scoped"]
    assert set(scoped) == {"ctx@1000", "ctx@2500", "hit@5", "mrr@10", "ndcg@5"}
    assert scoped["hit@5"]["value"] == 1.0 and scoped["hit@5"]["baseline"] is not None
    assert report["baseline_chunks"] >= 2
    assert not (tmp_path / "data" / "echome.db").exists()  # a throwaway seller, not the user's data


def test_eval_answers_scores_a_catalog_and_its_questions(tmp_path: Path) -> None:
    catalog = tmp_path / "tools.csv"
    catalog.write_text(
        "name,sku,price,stock,description\n"
        "Orbit Drill,DR-1,89.00,12,Cordless drill with two batteries and a case.\n"
        "Mason Hammer,HM-2,24.50,40,Steel claw hammer with a rubber grip.\n"
    )
    questions = tmp_path / "tools.questions.jsonl"
    questions.write_text(
        json.dumps({"question": "How much is the Orbit Drill?", "expect_all": [["89"]]})
        + "\n"
        + json.dumps({"question": "Do you sell garden hoses?", "offcatalog": True})
        + "\n"
    )
    r = run(tmp_path / "data", "eval", "answers", str(catalog), str(questions), "--json", env=FAST)
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["products"] == 2 and out["fact_questions"] == 1 and out["offcatalog_questions"] == 1
    assert out["fact_correct"] == 1 and out["offcatalog_declined"] == 1
    assert out["answers_with_invented_numbers"] == 0
    assert not (tmp_path / "data" / "echome.db").exists()  # a throwaway seller, not the user's data
    every = run(tmp_path / "data", "eval", "answers", "--all", str(tmp_path), "--json", env=FAST)
    assert [x["catalog"] for x in json.loads(every.stdout)] == ["tools.csv"]
