"""`/api/products`: upload catalogs (an ingestion job), list, search, delete."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Query, UploadFile
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import select

from echome.app.deps import CurrentUser, DbSession, Offset, ServicesDep
from echome.app.errors import ApiError, error_docs, not_found
from echome.app.routes.personas import get_persona
from echome.db.models import Product
from echome.knowledge.index import delete_products
from echome.knowledge.retrieve import SearchResult
from echome.knowledge.uploads import ALLOWED, is_catalog_name, safe_filename, submit_catalog_import
from echome.providers.base import ProviderError

router = APIRouter(prefix="/api/products", tags=["products"])
__all__ = ["ALLOWED", "router", "safe_filename"]  # the file rules live in knowledge.uploads


class ProductOut(BaseModel):
    id: str
    sku: str | None
    name: str
    description: str | None
    price: Decimal | None
    currency: str | None
    stock: int | None
    url: str | None
    category: str | None
    attributes: dict[str, Any]
    source: str | None
    persona_id: str | None
    updated_at: datetime


class SearchOut(BaseModel):
    query: str
    results: list[SearchResult]
    timings_ms: dict[str, float]


@router.post(
    "/upload",
    status_code=202,
    summary="Upload a catalog (CSV, XLSX, PDF, TXT, MD); returns its job",
    responses=error_docs(404, 409, 415),
)
def upload_catalog(
    user: CurrentUser,
    db: DbSession,
    services: ServicesDep,
    file: Annotated[UploadFile, File(description="The catalog file")],
    persona_id: Annotated[str | None, Form()] = None,
) -> JSONResponse:
    name = safe_filename(file.filename or "")
    if not is_catalog_name(name):
        raise ApiError(415, f"unsupported file type; upload one of: {', '.join(ALLOWED)}")
    if persona_id:
        persona_id = get_persona(db, user.id, persona_id).id  # an id or a name
    limit = services.settings.max_upload_bytes
    data = bytearray()
    while chunk := file.file.read(1 << 20):
        data.extend(chunk)
        if len(data) > limit:
            raise ApiError(413, f"the file is larger than the {limit // (1024 * 1024)} MB limit")
    if not data.strip():
        raise ApiError(422, "the file is empty")
    db.close()
    job_id = submit_catalog_import(
        storage=services.storage,
        submit_job=services.submit_job,
        user_id=user.id,
        filename=name,
        data=bytes(data),
        persona_id=persona_id,
    )
    return JSONResponse(
        {"job_id": job_id, "status": "pending", "events": f"/api/jobs/{job_id}/events"},
        status_code=202,
        headers={"Location": f"/api/jobs/{job_id}"},
    )


@router.get("", response_model=list[ProductOut])
def list_products(
    user: CurrentUser,
    db: DbSession,
    source: str | None = Query(default=None, max_length=500),
    limit: int = Query(default=100, ge=1, le=1000),
    offset: Offset = 0,
) -> list[ProductOut]:
    q = select(Product).where(Product.user_id == user.id)
    if source:
        q = q.where(Product.source == source)
    rows = db.scalars(q.order_by(Product.name, Product.id).limit(limit).offset(offset))
    return [ProductOut.model_validate(p, from_attributes=True) for p in rows]


@router.get("/search", response_model=SearchOut, responses=error_docs(404, 409, 503))
def search_products(
    user: CurrentUser,
    services: ServicesDep,
    db: DbSession,
    q: str = Query(min_length=1, max_length=2000),
    sku: str | None = Query(default=None, max_length=255),
    persona_id: str | None = Query(default=None, max_length=200, description="A persona's id or name"),
    top_k: int = Query(default=5, ge=1, le=50),
) -> SearchOut:
    if persona_id:
        persona_id = get_persona(db, user.id, persona_id).id
    db.close()
    try:
        results, timings = services.retriever.search(
            user_id=user.id, query=q, top_k=top_k, sku=sku, persona_id=persona_id
        )
    except ProviderError as exc:
        raise ApiError(503, f"search is unavailable: {exc}") from None
    return SearchOut(
        query=q,
        results=[SearchResult(**r.as_dict()) for r in results],
        timings_ms={k: round(v * 1000, 2) for k, v in timings.items()},
    )


@router.get("/{product_id}", response_model=ProductOut)
def get_product(product_id: str, user: CurrentUser, db: DbSession) -> ProductOut:
    p = db.scalar(select(Product).where(Product.id == product_id, Product.user_id == user.id))
    if p is None:
        raise not_found("product")
    return ProductOut.model_validate(p, from_attributes=True)


@router.delete("/{product_id}", status_code=204)
def delete_product(product_id: str, user: CurrentUser, db: DbSession, services: ServicesDep) -> None:
    if db.scalar(select(Product.id).where(Product.id == product_id, Product.user_id == user.id)) is None:
        raise not_found("product")
    db.close()
    delete_products(
        user_id=user.id, product_ids=[product_id], sessions=services.sessions, store=services.vectors
    )
    services.retriever.keywords.invalidate(user.id)


@router.delete(
    "",
    summary="Delete a whole catalog (every product imported from `source`)",
    responses=error_docs(404),
)
def delete_catalog(
    user: CurrentUser, db: DbSession, services: ServicesDep, source: str = Query(min_length=1, max_length=500)
) -> dict[str, int]:
    ids = list(db.scalars(select(Product.id).where(Product.user_id == user.id, Product.source == source)))
    if not ids:
        raise not_found("catalog")
    db.close()
    n = delete_products(user_id=user.id, product_ids=ids, sessions=services.sessions, store=services.vectors)
    services.retriever.keywords.invalidate(user.id)
    return {"deleted": n}
