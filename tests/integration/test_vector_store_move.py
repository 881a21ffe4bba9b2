"""A data dir made when embedded Chroma was the default moves to the flat store on first use, once."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from echome.accounts.users import create_user
from echome.bootstrap import build_services
from echome.db import migrate
from echome.db.session import transaction
from echome.knowledge.index import delete_products, ingest_catalog
from echome.knowledge.parse import parse_catalog
from echome.knowledge.retrieve import collection_name, products_collection

from ..conftest import make_settings

CATALOG = (
    b"sku,name,description,price\n"
    b"L1,Brass Lamp,A brass desk lamp with a linen shade,40\n"
    b"C2,Oak Chair,A solid oak dining chair,120\n"
    b"R3,Wool Rug,A hand-woven wool rug in deep blue,250\n"
)


def _services(tmp_path: Path, database_url: str, store: str) -> Any:
    services = build_services(make_settings(tmp_path, database_url=database_url, vector_store=store))
    migrate.upgrade(services.engine)
    return services


def test_an_embedded_chroma_store_is_adopted_once(tmp_path: Path, sqlite_template: Path) -> None:
    db = tmp_path / "echome.db"
    db.write_bytes(sqlite_template.read_bytes())
    url = f"sqlite:///{db}"
    old = _services(tmp_path, url, "chroma")
    with transaction(old.sessions) as s:
        uid = create_user(s, email="moved@example.com", password="password123").id
    report = ingest_catalog(
        parse_catalog(CATALOG, "shop.csv"),
        user_id=uid,
        persona_id=None,
        sessions=old.sessions,
        embedder=old.embedder,
        store=old.vectors,
    )
    before = old.vectors.vectors(collection_name(uid), ["nothing"])  # a real lookup on the old store
    assert before == {} and old.vectors.count(collection_name(uid)) == report.chunks > 0
    old.close()

    new = _services(tmp_path, url, "flat")
    assert new.vectors.name == "flat"
    assert new.vectors.count(collection_name(uid)) == report.chunks
    assert new.vectors.count(products_collection(uid)) == 3
    results, _ = new.retriever.search(user_id=uid, query="oak dining chair", top_k=3)
    assert results[0].name == "Oak Chair"
    (hit,) = new.vectors.query(collection_name(uid), new.embedder.embed(["rug"])[0], top_k=1)
    assert hit.metadata == {"persona_id": ""}  # Chroma's placeholder key did not come along
    # Deleted after the move: a second start does not bring it back from the old store.
    delete_products(
        user_id=uid, product_ids=[results[0].product_id], sessions=new.sessions, store=new.vectors
    )
    left = new.vectors.count(collection_name(uid))
    new.close()
    again = _services(tmp_path, url, "flat")
    assert again.vectors.count(collection_name(uid)) == left < report.chunks
    assert again.vectors.count(products_collection(uid)) == 2
    again.close()
