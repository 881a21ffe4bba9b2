"""The Catalog pages over HTTP, on SQLite and PostgreSQL: upload → import job → column mapping,
catalogs list and delete, the products table's filters and pages, a product's facts and chunks, the
search playground; tenancy (another seller's ids are 404) and CSRF refusal. The browser suite
drives the same pages in Chromium."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from echome.db.models import Job, Product
from echome.db.session import transaction
from echome.jobs import store as job_store
from echome.knowledge.retrieve import collection_name
from tests.support.web_pages import HTML
from tests.support.web_pages import csrf_token as _token
from tests.support.web_pages import sign_up as _sign_up

from ..conftest import make_settings

D = "\u2013"  # the en dash of the products count ("1 to 50 of 120")
LIMIT = 200_000  # bytes: the upload limit of these tests' settings
SHIRTS = (
    b"sku,name,price,currency,stock,colour,description\n"
    b"TS-1,Linen Shirt Ocean Blue,48.00,EUR,12,Blue,Light linen shirt for hot summer days.\n"
    b"TS-2,Canvas Tote,22.00,EUR,0,Natural,A sturdy canvas bag with long handles.\n"
    b"TS-3,Wool Scarf,,EUR,,Grey,Soft merino scarf.\n"
)


@pytest.fixture
def settings(tmp_path: Path, database_url: str | None) -> Any:
    return make_settings(tmp_path, database_url=database_url, max_upload_bytes=LIMIT)


def _upload(client: Any, pid: str, name: str, content: bytes, **fields: str) -> Any:
    page = client.get(f"/app/personas/{pid}/catalog", headers=HTML).text
    nonce = re.search(r'name="form_nonce" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    data = {"csrf_token": _token(page), "form_nonce": nonce, **fields}
    return client.post(
        f"/app/personas/{pid}/catalog/upload",
        files={"file": (name, content, "text/csv")},
        data=data,
        headers=HTML,
        follow_redirects=False,
    )


def _imported(client: Any, services: Any, pid: str, name: str = "shirts.csv", content: bytes = SHIRTS) -> str:
    r = _upload(client, pid, name, content)
    assert r.status_code == 303, r.text
    job_id = r.headers["location"].rsplit("/", 1)[1]
    services.executor.execute(job_id)
    return job_id


def test_upload_shows_progress_then_the_column_mapping(client: Any, services: Any) -> None:
    pid = _sign_up(client)
    empty = client.get(f"/app/personas/{pid}/catalog", headers=HTML)
    assert empty.status_code == 200 and "No catalog yet" in empty.text and "Upload your catalog" in empty.text
    r = _upload(client, pid, "shirts.csv", SHIRTS)
    assert r.status_code == 303 and "/catalog/imports/" in r.headers["location"]
    job_id = r.headers["location"].rsplit("/", 1)[1]
    waiting = client.get(r.headers["location"], headers=HTML).text
    assert "Waiting to start" in waiting and f"/imports/{job_id}/events" in waiting
    # Leaving and coming back: the Catalog page shows the running import with its live progress.
    overview = client.get(f"/app/personas/{pid}/catalog", headers=HTML).text
    assert "Importing now" in overview and f"/imports/{job_id}/events?view=compact" in overview

    services.executor.execute(job_id)
    done = client.get(r.headers["location"], headers=HTML).text
    assert "3 products imported from shirts.csv" in done
    assert "How each column was understood" in done
    for header, meaning in (
        ("sku", "SKU (your article number)"),
        ("price", "Price"),
        ("stock", "Stock quantity"),
    ):
        assert re.search(rf"<strong>{header}</strong></td>\s*<td>{re.escape(meaning)}", done), header
    assert "colour" in done and "{" not in done.split("<main", 1)[1]  # no raw JSON on the page
    # The events stream ends at once for a finished job, with the same summary as HTML.
    events = client.get(f"{r.headers['location']}/events", headers={"Accept": "text/event-stream"})
    assert events.status_code == 200 and "event: status" in events.text and "event: done" in events.text
    assert "3 products imported" in events.text

    catalogs = client.get(f"/app/personas/{pid}/catalog", headers=HTML).text
    assert "shirts.csv" in catalogs and "Importing now" not in catalogs and "No catalog yet" not in catalogs


def test_a_double_submitted_upload_starts_one_import(client: Any, services: Any) -> None:
    pid = _sign_up(client)
    page = client.get(f"/app/personas/{pid}/catalog", headers=HTML).text
    data = {
        "csrf_token": _token(page),
        "form_nonce": re.search(r'name="form_nonce" value="([^"]+)"', page).group(1),  # type: ignore[union-attr]
    }
    url = f"/app/personas/{pid}/catalog/upload"
    first = client.post(url, files={"file": ("a.csv", SHIRTS)}, data=data, follow_redirects=False)
    second = client.post(url, files={"file": ("a.csv", SHIRTS)}, data=data, follow_redirects=False)
    assert first.headers["location"] == second.headers["location"]
    with services.sessions() as s:
        assert len(job_store.list_jobs(s, user_id=client.get("/api/auth/me").json()["id"])) == 1


def test_bad_uploads_are_explained_next_to_the_field(client: Any) -> None:
    pid = _sign_up(client)
    for name, content, message in (
        ("photo.png", b"\x89PNG....", "is not a file type Echo Me reads"),
        ("empty.csv", b"  \n", "This file is empty"),
        ("big.csv", b"a" * (LIMIT + 1), "larger than"),
    ):
        r = _upload(client, pid, name, content, share="all")
        assert r.status_code == 422, name
        assert 'id="f-file-error"' in r.text and message in r.text, name
        assert 'value="all" checked' in r.text  # the choice made is kept
    r = _upload(client, pid, "", b"")
    assert r.status_code == 422 and "Choose your catalog file first" in r.text


def test_a_failed_import_says_why_and_what_to_do(client: Any, services: Any) -> None:
    pid = _sign_up(client)
    job_id = _imported(client, services, pid, "notes.csv", b"colour,size\nblue,M\nred,L\n")
    page = client.get(f"/app/personas/{pid}/catalog/imports/{job_id}", headers=HTML).text
    assert "notes.csv was not imported" in page and "No product name column found" in page
    assert "upload it again" in page and "Traceback" not in page
    assert "Not imported" in client.get(f"/app/personas/{pid}/catalog", headers=HTML).text  # recent imports


def test_products_table_filters_and_pages_in_sql(client: Any, services: Any) -> None:
    pid = _sign_up(client)
    _imported(client, services, pid)
    base = f"/app/personas/{pid}/catalog/products"
    page = client.get(base, headers=HTML).text
    assert f"1{D}3 of 3 products" in page and "Linen Shirt Ocean Blue" in page and "€48.00" in page
    assert "Out of stock" in client.get(base, params={"stock": "out"}, headers=HTML).text
    assert f"1{D}1 of 1 product" in client.get(base, params={"stock": "out"}, headers=HTML).text
    assert "Wool Scarf" in client.get(base, params={"price": "no"}, headers=HTML).text
    assert f"1{D}1 of 1" in client.get(base, params={"q": "ts-2"}, headers=HTML).text  # by SKU, any case
    none = client.get(base, params={"q": "100%_"}, headers=HTML).text  # LIKE wildcards are literal
    assert "No product matches" in none
    junk = client.get(base, params={"page": "x", "stock": "<script>", "price": "1"}, headers=HTML)
    assert junk.status_code == 200 and f"1{D}3 of 3" in junk.text
    # htmx asks for the results only.
    part = client.get(
        base, params={"q": "tote"}, headers={"HX-Request": "true", "HX-Target": "product-results"}
    )
    assert part.text.lstrip().startswith('<div id="product-results"') and "<html" not in part.text

    uid = client.get("/api/auth/me").json()["id"]
    with transaction(services.sessions) as db:
        db.add_all(
            [
                Product(user_id=uid, persona_id=pid, external_key=f"k{i}", name=f"Bulk {i:03}")
                for i in range(120)
            ]
        )
    second = client.get(base, params={"page": "2", "q": "bulk"}, headers=HTML).text
    assert f"51{D}100 of 120 products" in second and "Bulk 050" in second and "Bulk 049" not in second
    assert 'rel="prev"' in second and 'rel="next"' in second
    last = client.get(base, params={"page": "999", "q": "bulk"}, headers=HTML).text
    assert f"101{D}120 of 120" in last


def test_product_page_shows_facts_chunks_and_asks_in_test_chat(client: Any, services: Any) -> None:
    pid = _sign_up(client)
    _imported(client, services, pid)
    uid = client.get("/api/auth/me").json()["id"]
    with services.sessions() as s:
        shirt = s.query(Product).filter_by(user_id=uid, sku="TS-1").one()
        shirt_id = shirt.id
    page = client.get(f"/app/personas/{pid}/catalog/products/{shirt_id}", headers=HTML).text
    assert "Linen Shirt Ocean Blue" in page and "TS-1" in page and "€48.00" in page and "12 in stock" in page
    assert "Light linen shirt for hot summer days." in page and "What your persona reads" in page
    assert f'href="/app/personas/{pid}/chat?q=What%20can%20you%20tell%20me%20about%20the%20Linen' in page


def test_search_playground_ranks_passages_with_citations(client: Any, services: Any) -> None:
    pid = _sign_up(client)
    empty = client.get(f"/app/personas/{pid}/catalog/search", params={"q": "shirt"}, headers=HTML).text
    assert "Nothing to search yet" in empty
    _imported(client, services, pid)
    page = client.get(f"/app/personas/{pid}/catalog/search", params={"q": "linen shirt"}, headers=HTML).text
    assert "best passage" in page and "score " in page
    first = page.split('class="hit"', 2)[1]
    assert "Linen Shirt Ocean Blue" in first and "TS-1" in first and "shirts.csv" in first


def test_delete_asks_first_then_removes_products_and_vectors(client: Any, services: Any) -> None:
    pid = _sign_up(client)
    _imported(client, services, pid)
    uid = client.get("/api/auth/me").json()["id"]
    confirm = client.get(f"/app/personas/{pid}/catalog/delete", params={"source": "shirts.csv"}, headers=HTML)
    assert confirm.status_code == 200 and "Delete 3 products" in confirm.text
    url = f"/app/personas/{pid}/catalog/delete"
    refused = client.post(url, data={"source": "shirts.csv"}, headers=HTML)
    assert refused.status_code == 403 and "This request was refused" in refused.text
    assert client.get("/api/products", params={"source": "shirts.csv"}).json() != []
    form = {"source": "shirts.csv", "csrf_token": _token(confirm.text)}
    r = client.post(url, data=form, headers=HTML, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].endswith("?done=catalog-deleted")
    assert client.get("/api/products").json() == []
    assert services.vectors.count(collection_name(uid)) == 0
    search = client.get("/api/products/search", params={"q": "linen shirt"}).json()
    assert search["results"] == []
    again = client.post(url, data=form, headers=HTML, follow_redirects=False)  # a second click
    assert again.headers["location"].endswith("?done=catalog-gone")
    page = client.get(r.headers["location"], headers=HTML).text
    assert "No catalog yet" in page


def test_another_sellers_catalog_pages_are_404(app: Any, client: Any, services: Any) -> None:
    pid = _sign_up(client)
    job_id = _imported(client, services, pid)
    uid = client.get("/api/auth/me").json()["id"]
    with services.sessions() as s:
        product_id = s.query(Product).filter_by(user_id=uid).first().id  # type: ignore[union-attr]
    with TestClient(app, base_url="http://testserver") as other:
        own = _sign_up(other, "bo@example.com", "Bo")
        for url in (
            f"/app/personas/{pid}/catalog",
            f"/app/personas/{pid}/catalog/products",
            f"/app/personas/{pid}/catalog/search?q=shirt",
            f"/app/personas/{own}/catalog/imports/{job_id}",
            f"/app/personas/{own}/catalog/imports/{job_id}/events",
            f"/app/personas/{own}/catalog/products/{product_id}",
            f"/app/personas/{own}/catalog/delete?source=shirts.csv",
        ):
            r = other.get(url, headers=HTML)
            assert r.status_code == 404 and "Linen" not in r.text, url
        # Bo cannot delete Ana's catalog through his own persona either.
        token = _token(other.get(f"/app/personas/{own}/catalog", headers=HTML).text)
        other.post(f"/app/personas/{own}/catalog/delete", data={"source": "shirts.csv", "csrf_token": token})
        assert other.get(f"/app/personas/{own}/catalog/products", headers=HTML).text.count("Linen") == 0
    assert f"1{D}3 of 3" in client.get(f"/app/personas/{pid}/catalog/products", headers=HTML).text


def test_a_persona_with_its_own_catalog_shows_only_those_products(client: Any, services: Any) -> None:
    pid = _sign_up(client)
    uid = client.get("/api/auth/me").json()["id"]
    with transaction(services.sessions) as db:
        db.add(
            Product(user_id=uid, persona_id=None, external_key="shared", name="Shared Mug", source="all.csv")
        )
    page = client.get(f"/app/personas/{pid}/catalog/products", headers=HTML).text
    assert "Shared Mug" in page and "shared with all your personas" in page
    with transaction(services.sessions) as db:
        db.add(Product(user_id=uid, persona_id=pid, external_key="own", name="Own Lamp", source="own.csv"))
    page = client.get(f"/app/personas/{pid}/catalog/products", headers=HTML).text
    assert "Own Lamp" in page and "Shared Mug" not in page  # as the answerer chooses
    overview = client.get(f"/app/personas/{pid}/catalog", headers=HTML).text
    assert "all.csv" in overview and "own.csv" in overview and "All personas" in overview


def test_job_ids_of_other_kinds_are_not_catalog_imports(client: Any, services: Any) -> None:
    pid = _sign_up(client)
    uid = client.get("/api/auth/me").json()["id"]
    with transaction(services.sessions) as db:
        job = Job(user_id=uid, kind="persona.voice", payload={})
        db.add(job)
        db.flush()
        job_id = job.id
    assert client.get(f"/app/personas/{pid}/catalog/imports/{job_id}", headers=HTML).status_code == 404
