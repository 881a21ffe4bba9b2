"""`echome store-info import|list|delete` as a seller runs them, and a bad file's reason."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from store_files import PERSONA_FAQ_TXT, POLICIES_MD

from .test_cli import run

pytestmark = pytest.mark.slow
FAST = {"ECHOME_EMBEDDER": "fake:hashing"}


def test_import_list_and_delete(tmp_path: Path) -> None:
    data = tmp_path / "data"
    policies = tmp_path / "policies.md"
    policies.write_bytes(POLICIES_MD)
    r = run(data, "store-info", "import", str(policies), "--json", env=FAST)
    assert r.returncode == 0, r.stderr
    job = json.loads(r.stdout)
    assert job["status"] == "completed" and job["result"]["passages"] == 5

    assert run(data, "persona", "create", "Vintage", env=FAST).returncode == 0
    faq = tmp_path / "vintage-faq.txt"
    faq.write_bytes(PERSONA_FAQ_TXT)
    r = run(data, "store-info", "import", str(faq), "--persona", "Vintage", env=FAST)
    assert r.returncode == 0 and "imported 2 passages from vintage-faq.txt" in r.stderr, r.stderr

    r = run(data, "store-info", "list", "--json", env=FAST)
    files = {f["source"]: f for f in json.loads(r.stdout)}
    assert files["policies.md"]["passages"] == 5 and files["policies.md"]["persona"] is None
    assert files["vintage-faq.txt"]["persona"] == "Vintage"
    listed = run(data, "store-info", "list", env=FAST).stdout
    assert "policies.md" in listed and "every persona" in listed and "persona Vintage" in listed

    r = run(data, "store-info", "delete", "policies.md", "--yes", env=FAST)
    assert r.returncode == 0 and "deleted 5 passages" in r.stderr
    again = run(data, "store-info", "delete", "policies.md", "--yes", env=FAST)
    assert again.returncode == 1 and "no store information 'policies.md'" in again.stderr
    assert [f["source"] for f in json.loads(run(data, "store-info", "list", "--json", env=FAST).stdout)] == [
        "vintage-faq.txt"
    ]


def test_bad_files_fail_with_their_reason(tmp_path: Path) -> None:
    data = tmp_path / "data"
    junk = tmp_path / "junk.txt"
    junk.write_bytes(bytes(range(256)) * 40)
    r = run(data, "store-info", "import", str(junk), env=FAST)
    assert r.returncode == 1 and "junk.txt: this is a binary file" in r.stderr
    empty = tmp_path / "empty.md"
    empty.write_text("\n")
    r = run(data, "store-info", "import", str(empty), env=FAST)
    assert r.returncode == 1 and "the file is empty" in r.stderr
    sheet = tmp_path / "prices.csv"
    sheet.write_text("sku,name\nA,Chair\n")
    r = run(data, "store-info", "import", str(sheet), env=FAST)
    assert r.returncode == 1 and "Markdown, TXT or PDF" in r.stderr
    missing = run(data, "store-info", "import", str(tmp_path / "nope.md"), env=FAST)
    assert missing.returncode == 1 and "no such file" in missing.stderr
    many = tmp_path / "many.txt"
    many.write_text("\n\n".join(f"Paragraph {i} about nothing in particular." for i in range(500)))
    r = run(data, "store-info", "import", str(many), env=FAST)
    said = " ".join(r.stderr.split())  # the terminal wraps long lines
    assert (
        r.returncode == 1
        and "many.txt: the file has 500 passages; store information is limited to 400" in said
    )
