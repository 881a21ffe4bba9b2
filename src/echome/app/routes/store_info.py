"""`/api/store-info`: the store's policies, shipping, opening hours and FAQ (an import job), list,
what a shopper's question finds in it, delete."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Path, Query, UploadFile
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from echome.answer.store_questions import store_topic
from echome.app.deps import CurrentUser, DbSession, ServicesDep
from echome.app.errors import ApiError, error_docs, not_found
from echome.app.routes.personas import get_persona
from echome.app.routes.products import safe_filename
from echome.knowledge.records import ParseError
from echome.knowledge.retrieve import SearchResult
from echome.knowledge.store_doc import ALLOWED, MAX_FILE_BYTES, check_upload
from echome.knowledge.store_info import delete_store_info, list_store_info
from echome.providers.base import ProviderError

router = APIRouter(prefix="/api/store-info", tags=["store information"])


class StoreInfoFile(BaseModel):
    source: str
    persona_id: str | None
    persona: str | None
    passages: int
    updated_at: str


class StoreInfoSearch(BaseModel):
    question: str
    topic: str | None  # the store topic the question asks about (None: no known topic)
    results: list[SearchResult]


@router.post(
    "",
    status_code=202,
    summary="Upload store information (Markdown, TXT, PDF); returns its job. A file of the same "
    "name replaces the one imported before.",
    responses=error_docs(404, 409, 415),
)
def upload_store_info(
    user: CurrentUser,
    db: DbSession,
    services: ServicesDep,
    file: Annotated[UploadFile, File(description="Policies, shipping, opening hours, FAQ")],
    persona_id: Annotated[str | None, Form(description="Only this persona uses it (id or name)")] = None,
) -> JSONResponse:
    name = safe_filename(file.filename or "")
    if not name.lower().endswith(ALLOWED):
        raise ApiError(415, f"unsupported file type; upload one of: {', '.join(ALLOWED)}")
    if persona_id:
        persona_id = get_persona(db, user.id, persona_id).id
    limit = min(services.settings.max_upload_bytes, MAX_FILE_BYTES)
    data = bytearray()
    while chunk := file.file.read(1 << 20):
        data.extend(chunk)
        if len(data) > limit:
            raise ApiError(413, f"the file is larger than the {limit // (1024 * 1024)} MB limit")
    try:
        check_upload(bytes(data), name)
    except ParseError as exc:
        raise ApiError(422, f"{name}: {exc}") from None
    key = services.storage.put("uploads", user.id, f"{uuid.uuid4().hex[:12]}-{name}", bytes(data))
    db.close()
    job_id = services.submit_job(
        user_id=user.id,
        kind="store_info.import",
        payload={"file_key": key, "filename": name, "persona_id": persona_id},
    )
    return JSONResponse(
        {"job_id": job_id, "status": "pending", "events": f"/api/jobs/{job_id}/events"},
        status_code=202,
        headers={"Location": f"/api/jobs/{job_id}"},
    )


@router.get("", response_model=list[StoreInfoFile], summary="Your store-information files")
def list_files(user: CurrentUser, services: ServicesDep) -> list[dict[str, Any]]:
    return list_store_info(services.sessions, user_id=user.id)


@router.get(
    "/search",
    response_model=StoreInfoSearch,
    summary="What a shopper's question finds",
    responses=error_docs(404, 409, 503),
)
def search_store_info(
    user: CurrentUser,
    services: ServicesDep,
    db: DbSession,
    q: str = Query(min_length=1, max_length=2000),
    persona_id: str | None = Query(default=None, max_length=200, description="A persona's id or name"),
    top_k: int = Query(default=3, ge=1, le=20),
) -> StoreInfoSearch:
    if persona_id:
        persona_id = get_persona(db, user.id, persona_id).id
    db.close()
    topic = store_topic(q)
    try:
        results = services.store_info.find(
            user_id=user.id, persona_id=persona_id, question=q, top_k=top_k, topic=topic
        )
    except ProviderError as exc:
        raise ApiError(503, f"search is unavailable: {exc}") from None
    return StoreInfoSearch(question=q, topic=topic, results=results)


@router.delete("/{source}", summary="Delete a store-information file's passages")
def delete_file(
    user: CurrentUser,
    services: ServicesDep,
    source: Annotated[str, Path(min_length=1, max_length=500)],
) -> dict[str, int]:
    n = delete_store_info(user_id=user.id, source=source, sessions=services.sessions, store=services.vectors)
    if not n:
        raise not_found("store information")
    services.retriever.keywords.invalidate(user.id)
    return {"deleted": n}
