"""Lines a shop export carries for its own bookkeeping (Shopify's "Vendor:", "Tags:") are said only
when the shopper asks for them by name."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from echome.db.models import Persona
from echome.db.session import transaction
from echome.knowledge.index import ingest_catalog
from echome.knowledge.parse import parse_catalog

CATALOG = Path(__file__).resolve().parents[3] / "shared" / "eval" / "csv" / "apparel.csv"


def test_a_shop_exports_bookkeeping_line_is_said_only_when_asked_for(services: Any, make_seller: Any) -> None:
    """Shopify's "Vendor:" line is no answer to "how much is it?", but it is to "who is the vendor?"."""
    _, user = make_seller()
    catalog = parse_catalog(CATALOG.read_bytes(), CATALOG.name)
    product = next(p for p in catalog.products if "vendor" in " ".join(f.text for f in p.fields).lower())
    vendor = next(f.text for f in product.fields if f.text.lower().startswith("vendor"))
    vendor = vendor.split(":", 1)[1].strip()
    with transaction(services.sessions) as db:
        persona = Persona(user_id=user["id"], name="Sam")
        db.add(persona)
        db.flush()
        persona_id = persona.id
    ingest_catalog(
        catalog, user_id=user["id"], persona_id=None, sessions=services.sessions,
        embedder=services.embedder, store=services.vectors,
    )  # fmt: skip

    def ask(question: str) -> str:
        return services.answerer.answer(
            user_id=user["id"], persona_id=persona_id, question=question, channel="eval", client_ref=question
        ).answer

    assert vendor.lower() in ask(f"What is the vendor of the {product.name}?").lower()
    assert "vendor" not in ask(f"How much is the {product.name}?").lower()
