"""The `catalog.import` job: a thin wrapper that runs ingestion on a stored upload."""

from __future__ import annotations

from pathlib import PurePath
from typing import Any

from echome.jobs import JobContext, PermanentJobError, TransientJobError, job_handler
from echome.knowledge.index import ingest_catalog
from echome.knowledge.parse import parse_catalog
from echome.knowledge.records import ParseError
from echome.providers.base import ProviderError
from echome.storage import StorageError


@job_handler("catalog.import")
def import_catalog(ctx: JobContext, payload: dict[str, Any]) -> dict[str, Any]:
    services = ctx.services
    filename = PurePath(payload.get("filename") or payload["file_key"]).name
    ctx.progress(2, f"reading {filename}")
    try:
        data = services.storage.get(payload["file_key"])
    except StorageError as exc:
        raise PermanentJobError(f"the uploaded file is gone: {exc}") from None
    ctx.progress(5, "parsing")
    try:
        catalog = parse_catalog(data, filename)
    except ParseError as exc:
        raise PermanentJobError(f"{filename}: {exc}") from None
    ctx.progress(8, f"chunking {len(catalog.products)} products")
    try:
        report = ingest_catalog(
            catalog,
            user_id=ctx.user_id,
            persona_id=payload.get("persona_id"),
            sessions=services.sessions,
            embedder=services.embedder,
            store=services.vectors,
            progress=lambda pct, stage: ctx.progress(pct, stage),
        )
    except ProviderError as exc:
        if exc.transient:
            raise TransientJobError(str(exc)) from None
        raise PermanentJobError(str(exc)) from None
    services.retriever.keywords.invalidate(ctx.user_id)  # this process searches the new catalog at once
    return {**report.as_dict(), "result_ref": payload["file_key"]}
