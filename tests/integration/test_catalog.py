"""Catalog import through the API and the job queue, search, re-import, delete, isolation."""

from __future__ import annotations

import gc
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from echome.db.models import Product
from echome.jobs import store as job_store
from echome.knowledge.index import EMBED_BATCH, ingest_catalog
from echome.knowledge.parse import parse_catalog
from echome.knowledge.retrieve import collection_name
from echome.providers.base import ProviderError
from echome.providers.fakes import HashingEmbedder

from ..conftest import make_settings

EVAL = Path(__file__).resolve().parents[3] / "shared" / "eval"


def upload(
    client: Any, headers: dict[str, str], path: Path | None = None, *, name: str = "", data: bytes = b""
) -> Any:
    content = path.read_bytes() if path else data
    return client.post(
        "/api/products/upload",
        files={"file": (name or (path.name if path else "x.csv"), content)},
        headers=headers,
    )


def run_job(services: Any, user_id: str, job_id: str) -> Any:
    services.executor.execute(job_id)
    with services.sessions() as s:
        return job_store.get_job(s, user_id=user_id, job_id=job_id)


def test_import_search_reimport_and_delete(client: Any, services: Any, make_seller: Any) -> None:
    headers, user = make_seller()
    r = upload(client, headers, EVAL / "csv" / "jewelery.csv")
    assert r.status_code == 202 and r.headers["location"] == f"/api/jobs/{r.json()['job_id']}"
    job = run_job(services, user["id"], r.json()["job_id"])
    assert job.status == "completed", job.error
    assert job.result["products"] == 20 and job.result["created"] == 20
    products = client.get("/api/products", headers=headers).json()
    assert len(products) == 20
    anchor = next(p for p in products if p["name"] == "Anchor Bracelet Mens")
    assert anchor["price"] == "55.00" and len(anchor["attributes"]["variants"]) == 2
    vectors = services.vectors.count(collection_name(user["id"]))
    assert vectors == job.result["chunks"] > 0

    hits = client.get("/api/products/search", params={"q": "anchor bracelet leather"}, headers=headers).json()
    assert hits["results"][0]["name"] == "Anchor Bracelet Mens"
    assert hits["results"][0]["source"] == "jewelery.csv" and "total" in hits["timings_ms"]

    again = run_job(
        services, user["id"], upload(client, headers, EVAL / "csv" / "jewelery.csv").json()["job_id"]
    )
    assert again.result["updated"] == 20 and again.result["created"] == 0
    assert len(client.get("/api/products", headers=headers).json()) == 20
    assert services.vectors.count(collection_name(user["id"])) == vectors

    assert client.delete(f"/api/products/{anchor['id']}", headers=headers).status_code == 204
    assert client.get(f"/api/products/{anchor['id']}", headers=headers).status_code == 404
    assert services.vectors.count(collection_name(user["id"])) == vectors - 1
    hits = client.get("/api/products/search", params={"q": "anchor bracelet leather"}, headers=headers).json()
    assert all(h["name"] != "Anchor Bracelet Mens" for h in hits["results"])

    r = client.delete("/api/products", params={"source": "jewelery.csv"}, headers=headers)
    assert r.json() == {"deleted": 19}
    assert services.vectors.count(collection_name(user["id"])) == 0


def test_failed_import_leaves_the_catalog_untouched(client: Any, services: Any, make_seller: Any) -> None:
    headers, user = make_seller()
    run_job(services, user["id"], upload(client, headers, EVAL / "csv" / "apparel.csv").json()["job_id"])
    before = client.get("/api/products", headers=headers).json()
    bad = upload(client, headers, name="prices.csv", data=b"sku,price\nA1,3\n")
    job = run_job(services, user["id"], bad.json()["job_id"])
    assert job.status == "failed" and job.attempts == 1
    assert "prices.csv: no product name column found" in job.error
    assert client.get("/api/products", headers=headers).json() == before


class _FailsOnCall(HashingEmbedder):
    """The model dies (out of memory, a broken file) after `ok` batches."""

    def __init__(self, ok: int) -> None:
        super().__init__()
        self.ok = ok

    def embed(self, texts: Any, *, kind: Any = "document") -> Any:
        if self.calls >= self.ok:
            raise ProviderError("embedding model crashed")
        return super().embed(texts, kind=kind)


def _ingest(services: Any, user_id: str, data: bytes, name: str, embedder: Any) -> Any:
    return ingest_catalog(
        parse_catalog(data, name),
        user_id=user_id,
        persona_id=None,
        sessions=services.sessions,
        embedder=embedder,
        store=services.vectors,
    )


def test_embedding_that_fails_midway_leaves_no_vectors_behind(services: Any, make_seller: Any) -> None:
    """Vectors are written only when every batch is embedded: a crash midway leaves none."""
    _, user = make_seller()
    coll = collection_name(user["id"])
    _ingest(
        services,
        user["id"],
        b"sku,name,description\nA1,Oak Chair,A sturdy chair\n",
        "a.csv",
        HashingEmbedder(),
    )
    before = services.vectors.count(coll)
    rows = "\n".join(f"S{i},Lamp {i},A brass lamp with shade model {i}" for i in range(3 * EMBED_BATCH))
    failing = _FailsOnCall(ok=2)
    with pytest.raises(ProviderError, match="crashed"):
        _ingest(services, user["id"], f"sku,name,description\n{rows}\n".encode(), "lamps.csv", failing)
    assert failing.calls == 2  # two batches were embedded before the crash
    assert services.vectors.count(coll) == before == 1
    results, _ = services.retriever.search(user_id=user["id"], query="brass lamp shade", top_k=5)
    assert [r.name for r in results] == ["Oak Chair"]


def test_an_import_runs_with_the_cycle_collector_paused_and_gives_it_back(
    services: Any, make_seller: Any
) -> None:
    _, user = make_seller()
    seen: list[bool] = []

    class Watching(HashingEmbedder):
        def embed(self, texts: Any, *, kind: Any = "document") -> Any:
            seen.append(gc.isenabled())
            return super().embed(texts, kind=kind)

    _ingest(services, user["id"], b"sku,name,description\nA1,Oak Chair,A sturdy chair\n", "a.csv", Watching())
    assert seen == [False] and gc.isenabled()
    with pytest.raises(ProviderError):  # a failed import gives it back too
        _ingest(services, user["id"], b"sku,name\nB1,Lamp\n", "b.csv", _FailsOnCall(ok=0))
    assert gc.isenabled()


def test_identical_texts_are_embedded_once(services: Any, make_seller: Any) -> None:
    _, user = make_seller()
    care = "Machine wash cold with like colours, tumble dry low. " * 12  # a long shared paragraph
    data = f'sku,name,description\nT1,Red Tee,"{care}"\nT2,Blue Tee,"{care}"\n'.encode()

    class Counting(HashingEmbedder):
        seen: list[str] = []

        def embed(self, texts: Any, *, kind: Any = "document") -> Any:
            self.seen.extend(texts)
            return super().embed(texts, kind=kind)

    emb = Counting()
    report = _ingest(services, user["id"], data, "tees.csv", emb)
    assert len(emb.seen) == len(set(emb.seen)) < report.chunks
    assert services.vectors.count(collection_name(user["id"])) == report.chunks
    hits, _ = services.retriever.search(user_id=user["id"], query="tumble dry", sku="T2", top_k=3)
    assert hits and {h.sku for h in hits} == {"T2"}


def test_datasheet_part_number_finds_its_page(client: Any, services: Any, make_seller: Any) -> None:
    headers, user = make_seller()
    job = run_job(
        services, user["id"], upload(client, headers, EVAL / "pdf" / "tas67524-q1.pdf").json()["job_id"]
    )
    assert job.status == "completed", job.error
    top = client.get(
        "/api/products/search", params={"q": "TAS67524QDKQRQ1", "top_k": 3}, headers=headers
    ).json()
    first = top["results"][0]
    assert "TAS67524QDKQRQ1" in first["text"] and first["page"] in (3, 4, 5, 6)
    assert first["source"] == "tas67524-q1.pdf"


def test_search_scoped_to_one_product(client: Any, services: Any, make_seller: Any) -> None:
    headers, user = make_seller()
    data = b"sku,name,description\nA1,Oak Chair,A sturdy chair\nB2,Oak Table,A sturdy table made of oak\n"
    run_job(services, user["id"], upload(client, headers, name="f.csv", data=data).json()["job_id"])
    hits = client.get("/api/products/search", params={"q": "sturdy oak", "sku": "A1"}, headers=headers).json()
    assert {h["sku"] for h in hits["results"]} == {"A1"}


def test_one_sellers_search_never_returns_anothers_chunks(
    client: Any, services: Any, make_seller: Any
) -> None:
    a_headers, a = make_seller()
    b_headers, b = make_seller()
    run_job(services, a["id"], upload(client, a_headers, EVAL / "csv" / "apparel.csv").json()["job_id"])
    run_job(
        services,
        b["id"],
        upload(client, b_headers, name="b.csv", data=b"name\nGarden Hose\n").json()["job_id"],
    )
    for q in ("shirt", "ocean blue shirt", "Garden Hose"):
        results = client.get("/api/products/search", params={"q": q, "top_k": 20}, headers=b_headers).json()[
            "results"
        ]
        assert {r["name"] for r in results} <= {"Garden Hose"}
    a_ids = [p["id"] for p in client.get("/api/products", headers=a_headers).json()]
    assert client.get(f"/api/products/{a_ids[0]}", headers=b_headers).status_code == 404
    assert client.delete(f"/api/products/{a_ids[0]}", headers=b_headers).status_code == 404
    assert client.get("/api/products", headers=b_headers).json()[0]["name"] == "Garden Hose"


def test_upload_rejections(tmp_path: Path, database_url: str | None, make_seller: Any) -> None:
    from echome.app.main import create_app
    from echome.bootstrap import build_services

    services = build_services(make_settings(tmp_path, database_url=database_url, max_upload_bytes=2000))
    with TestClient(create_app(services), base_url="http://testserver") as c:
        me = c.post("/api/auth/signup", json={"email": "up@example.com", "password": "correct horse"})
        csrf = {"X-CSRF-Token": me.headers["x-csrf-token"]}  # uploads with the session cookie
        assert upload(c, csrf, name="x.exe", data=b"MZ").status_code == 415
        assert upload(c, csrf, name="empty.csv", data=b"").status_code == 422
        big = upload(c, csrf, name="big.csv", data=b"name\n" + b"x" * 5000)
        assert big.status_code == 413 and "limit" in big.json()["detail"]
        assert c.get("/api/jobs").json() == []
        assert c.get("/api/products/search").status_code == 422
    services.close()


@pytest.mark.slow
def test_real_local_embedder_ranks_by_meaning(tmp_path: Path, database_url: str | None) -> None:
    """The offline ONNX MiniLM path end to end: paraphrases find the right product."""
    from echome.accounts.users import create_user
    from echome.bootstrap import build_services
    from echome.db.session import transaction
    from echome.knowledge.index import ingest_catalog
    from echome.knowledge.parse import parse_catalog

    services = build_services(make_settings(tmp_path, database_url=database_url, embedder="local:minilm"))
    with transaction(services.sessions) as s:
        uid = create_user(s, email="real@example.com", password="password123").id
    for name in ("apparel.csv", "home-and-garden.csv"):
        cat = parse_catalog((EVAL / "csv" / name).read_bytes(), name)
        ingest_catalog(
            cat,
            user_id=uid,
            persona_id=None,
            sessions=services.sessions,
            embedder=services.embedder,
            store=services.vectors,
        )
    results, _ = services.retriever.search(user_id=uid, query="something warm to wear in autumn", top_k=3)
    assert "Yellow Wool Jumper" in [r.name for r in results]
    results, _ = services.retriever.search(user_id=uid, query="a lamp for my nightstand", top_k=3)
    assert any("Light" in (r.name or "") or "Lamp" in (r.name or "") for r in results)
    services.close()


@pytest.mark.slow
def test_epqa_catalog_imports_through_the_api(client: Any, services: Any, make_seller: Any) -> None:
    headers, user = make_seller()
    job = run_job(
        services, user["id"], upload(client, headers, EVAL / "product-qa" / "catalog.csv").json()["job_id"]
    )
    assert job.status == "completed", job.error
    assert job.result["products"] == 888 and job.result["chunks"] > 3000
    hits = client.get(
        "/api/products/search", params={"q": "crisper drawer 240337103", "top_k": 3}, headers=headers
    ).json()["results"]
    assert hits[0]["sku"] == "B00545ATZW"
    scoped = client.get(
        "/api/products/search",
        params={"q": "will it fit?", "sku": "B00545ATZW", "top_k": 10},
        headers=headers,
    ).json()["results"]
    assert scoped and {h["sku"] for h in scoped} == {"B00545ATZW"}


def test_a_chunk_newer_than_the_keyword_index_is_cited_from_the_database(
    services: Any, make_seller: Any
) -> None:
    """The vector store holds vectors and filter fields only; a dense hit the keyword index has
    not seen yet (it is re-read every few seconds) still comes back with its text and citation."""
    _, user = make_seller()
    services.retriever.keywords.recheck = 3600  # the index read below stays current for the test
    _ingest(
        services,
        user["id"],
        b"sku,name,description\nA1,Oak Chair,A sturdy chair\n",
        "a.csv",
        services.embedder,
    )
    assert services.retriever.search(user_id=user["id"], query="chair", top_k=3)[0]
    data = b"sku,name,description\nL1,Brass Lamp,A brass lamp with a linen shade\n"
    _ingest(services, user["id"], data, "lamps.csv", services.embedder)
    results, _ = services.retriever.search(user_id=user["id"], query="brass lamp linen shade", top_k=5)
    lamp = next(r for r in results if r.sku == "L1")
    assert "A brass lamp with a linen shade" in lamp.text
    assert (lamp.name, lamp.source) == ("Brass Lamp", "lamps.csv") and lamp.product_id


def test_a_product_newer_than_the_keyword_index_is_searched_within(services: Any, make_seller: Any) -> None:
    """The vectors carry only the persona they were imported for; a search inside one product the
    keyword index has not seen yet reads that product's chunks from the database."""
    _, user = make_seller()
    uid = user["id"]
    services.retriever.keywords.recheck = 3600  # the index read below stays current for the test
    _ingest(services, uid, b"sku,name,description\nA1,Oak Chair,A sturdy chair\n", "a.csv", services.embedder)
    assert services.retriever.search(user_id=uid, query="chair", top_k=3)[0]
    data = (
        b"sku,name,description\nL1,Brass Lamp,A brass lamp with a linen shade\nL2,Steel Lamp,A steel lamp\n"
    )
    _ingest(services, uid, data, "lamps.csv", services.embedder)
    by_sku, _ = services.retriever.search(user_id=uid, query="lamp shade", sku="L1", top_k=5)
    assert by_sku and {r.sku for r in by_sku} == {"L1"} and "linen shade" in by_sku[0].text
    pid = by_sku[0].product_id
    by_id, _ = services.retriever.search(user_id=uid, query="lamp", product_id=pid, top_k=5)
    assert by_id and {r.product_id for r in by_id} == {pid}
    assert services.retriever.search(user_id=uid, query="lamp", sku="nope", top_k=5)[0] == []
    (hit,) = services.vectors.query(collection_name(uid), services.embedder.embed(["lamp"])[0], top_k=1)
    assert set(hit.metadata) == {"persona_id"}


@pytest.mark.parametrize("vector_store", ["flat", "chroma", "qdrant"])
def test_import_search_and_delete_on_each_vector_store(
    tmp_path: Path, database_url: str | None, vector_store: str
) -> None:
    from echome.accounts.users import create_user
    from echome.bootstrap import build_services
    from echome.db import migrate
    from echome.db.session import transaction
    from echome.knowledge.index import delete_products

    services = build_services(make_settings(tmp_path, database_url=database_url, vector_store=vector_store))
    migrate.upgrade(services.engine)
    with transaction(services.sessions) as s:
        uid = create_user(s, email=f"{vector_store}@example.com", password="password123").id
    report = _ingest(
        services, uid, (EVAL / "csv" / "apparel.csv").read_bytes(), "apparel.csv", services.embedder
    )
    assert services.vectors.count(collection_name(uid)) == report.chunks
    results, _ = services.retriever.search(user_id=uid, query="ocean blue shirt", top_k=3)
    top = results[0]
    assert top.name == "Ocean Blue Shirt" and "Ocean Blue Shirt" in top.text and top.source == "apparel.csv"
    scoped, _ = services.retriever.search(user_id=uid, query="shirt", sku=top.sku, top_k=5)
    assert scoped and {r.sku for r in scoped} == {top.sku}
    delete_products(
        user_id=uid, product_ids=[top.product_id], sessions=services.sessions, store=services.vectors
    )
    services.retriever.keywords.invalidate(uid)  # as the delete route does
    results, _ = services.retriever.search(user_id=uid, query="ocean blue shirt", top_k=10)
    assert all(r.product_id != top.product_id for r in results)
    services.close()


def _rows(prefix: str, n: int) -> bytes:
    rows = "\n".join(f"{prefix}{i},Lamp {prefix}{i},A brass lamp with shade model {i}" for i in range(n))
    return f"sku,name,description\n{rows}\n".encode()


def test_every_vector_is_written_once_the_import_returns(services: Any, make_seller: Any) -> None:
    _, user = make_seller()
    report = _ingest(services, user["id"], _rows("A", EMBED_BATCH + 7), "a.csv", HashingEmbedder())
    assert services.vectors.count(collection_name(user["id"])) == report.chunks == EMBED_BATCH + 7


def test_a_write_the_store_refuses_fails_the_import_and_leaves_nothing(
    services: Any, make_seller: Any
) -> None:
    _, user = make_seller()
    coll = collection_name(user["id"])
    _ingest(services, user["id"], _rows("A", 3), "a.csv", HashingEmbedder(dim=256))
    before = services.vectors.count(coll)
    # Vectors of another size than the collection's: the store refuses the first write.
    with pytest.raises(Exception, match=r"(?i)dimension"):
        _ingest(services, user["id"], _rows("B", EMBED_BATCH + 1), "b.csv", HashingEmbedder(dim=64))
    assert services.vectors.count(coll) == before == 3
    with services.sessions() as s:
        skus = sorted(p.sku for p in s.query(Product).filter(Product.user_id == user["id"]))
    assert skus == ["A0", "A1", "A2"]
