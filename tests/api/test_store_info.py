"""`/api/store-info`: upload (a job), list, search, delete, on SQLite and PostgreSQL. A bad file
(wrong type, empty, binary junk, too big, too many passages) is refused with its reason and leaves
the store information already imported as it was."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from store_files import PERSONA_FAQ_TXT, POLICIES_MD, store_pdf

from echome.jobs import store as job_store

from ..conftest import make_settings

LIMIT = 200_000  # bytes: the upload limit of these tests' settings


@pytest.fixture
def settings(tmp_path: Path, database_url: str | None) -> Any:
    return make_settings(tmp_path, database_url=database_url, max_upload_bytes=LIMIT)


def upload(client: Any, headers: dict[str, str], name: str, data: bytes, **form: str) -> Any:
    return client.post("/api/store-info", files={"file": (name, data)}, data=form, headers=headers)


def run_job(services: Any, user_id: str, job_id: str) -> Any:
    services.executor.execute(job_id)
    with services.sessions() as s:
        return job_store.get_job(s, user_id=user_id, job_id=job_id)


def imported(client: Any, services: Any, headers: Any, user_id: str, name: str, data: bytes) -> Any:
    r = upload(client, headers, name, data)
    assert r.status_code == 202 and r.headers["location"] == f"/api/jobs/{r.json()['job_id']}", r.text
    return run_job(services, user_id, r.json()["job_id"])


def test_upload_list_search_and_delete(client: Any, services: Any, make_seller: Any) -> None:
    headers, user = make_seller()
    job = imported(client, services, headers, user["id"], "policies.md", POLICIES_MD)
    assert job.status == "completed", job.error
    assert job.result["passages"] == 5 and job.result["source"] == "policies.md"

    files = client.get("/api/store-info", headers=headers).json()
    assert [(f["source"], f["passages"], f["persona_id"]) for f in files] == [("policies.md", 5, None)]

    hit = client.get("/api/store-info/search", params={"q": "What's your return policy?"}, headers=headers)
    body = hit.json()
    assert body["topic"] == "returns" and body["results"][0]["name"] == "Returns & refunds"
    assert all(r["field"] == "store_info" and r["product_id"] is None for r in body["results"])
    # The catalog search does not see it.
    products = client.get("/api/products/search", params={"q": "return refund 30 days"}, headers=headers)
    assert products.json()["results"] == []

    # Another seller sees none of it, and cannot delete it.
    other, _ = make_seller()
    assert client.get("/api/store-info", headers=other).json() == []
    assert client.delete("/api/store-info/policies.md", headers=other).status_code == 404

    assert client.delete("/api/store-info/policies.md", headers=headers).json() == {"deleted": 5}
    assert client.get("/api/store-info", headers=headers).json() == []
    assert client.delete("/api/store-info/policies.md", headers=headers).status_code == 404
    gone = client.get("/api/store-info/search", params={"q": "What's your return policy?"}, headers=headers)
    assert gone.json()["results"] == []


def test_a_pdf_is_cited_by_page(client: Any, services: Any, make_seller: Any) -> None:
    headers, user = make_seller()
    pdf = store_pdf([["Returns", "Items can be returned within 30 days."], ["Shipping", "We ship with DHL."]])
    job = imported(client, services, headers, user["id"], "policies.pdf", pdf)
    assert job.status == "completed" and job.result["passages"] == 2 and job.result["format"] == "pdf"
    hit = client.get("/api/store-info/search", params={"q": "How much is shipping?"}, headers=headers).json()
    assert [(r["name"], r["source"], r["page"]) for r in hit["results"]] == [("Shipping", "policies.pdf", 2)]


def test_persona_store_info(client: Any, services: Any, make_seller: Any) -> None:
    headers, user = make_seller()
    persona = client.post("/api/personas", json={"name": "Vintage"}, headers=headers).json()
    r = upload(client, headers, "vintage-faq.txt", PERSONA_FAQ_TXT, persona_id="Vintage")  # a name or an id
    assert r.status_code == 202
    assert run_job(services, user["id"], r.json()["job_id"]).status == "completed"
    assert client.get("/api/store-info", headers=headers).json()[0]["persona"] == "Vintage"
    q = {"q": "Can I return it?", "persona_id": persona["id"]}
    found = client.get("/api/store-info/search", params=q, headers=headers).json()["results"]
    assert found and "damaged" in found[0]["text"]
    assert (
        client.get("/api/store-info/search", params={"q": "Can I return it?"}, headers=headers).json()[
            "results"
        ]
        == []
    )  # the shared store information (none) for every other persona
    missing = upload(client, headers, "faq.txt", PERSONA_FAQ_TXT, persona_id="Nobody")
    assert missing.status_code == 404


def test_bad_files_are_refused_and_change_nothing(client: Any, services: Any, make_seller: Any) -> None:
    headers, user = make_seller()
    assert imported(client, services, headers, user["id"], "policies.md", POLICIES_MD).status == "completed"
    before = client.get("/api/store-info", headers=headers).json()

    refused = {
        "catalog.csv": (b"sku,name\nA,Chair\n", 415, "unsupported file type"),
        "empty.md": (b"  \n\n", 422, "the file is empty"),
        "junk.txt": (bytes(range(256)) * 40, 422, "binary file"),
        "fake.pdf": (b"just text, not a PDF", 422, "not a PDF"),
        "huge.txt": (b"a" * (LIMIT + 1), 413, "limit"),
    }
    for name, (data, status, reason) in refused.items():
        r = upload(client, headers, name, data)
        assert r.status_code == status and reason in r.json()["detail"], (name, r.text)

    # What only reading the whole file can tell: the job fails with the reason.
    too_many = b"\n\n".join(b"Paragraph %d about nothing in particular." % i for i in range(500))
    failed = {
        "policies.md": (too_many, "store information is limited to 400"),
        "broken.pdf": (b"%PDF-1.4\n" + bytes(range(256)) * 8, "PDF"),
    }
    for name, (data, reason) in failed.items():
        job = imported(client, services, headers, user["id"], name, data)
        assert job.status == "failed" and job.attempts == 1 and reason in job.error, (name, job.error)
        assert job.error.startswith(f"{name}: ")
    assert client.get("/api/store-info", headers=headers).json() == before
    hit = client.get("/api/store-info/search", params={"q": "What's your return policy?"}, headers=headers)
    assert hit.json()["results"][0]["name"] == "Returns & refunds"
