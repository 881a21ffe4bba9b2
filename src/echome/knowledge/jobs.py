"""The `catalog.import` and `store_info.import` jobs: ingestion of a stored upload.

The upload is read (parsed) in a child process under `limits` (`echome.jobs.limits`): a file that
needs more memory or time than that fails its job with the reason, for good - the same file would
fail the same way again - while the server and the other jobs carry on. Chunking, embedding and
indexing then run here on the parsed records, whose size the readers' caps bound."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import PurePath
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from echome.jobs import JobContext, PermanentJobError, TransientJobError
from echome.jobs.limits import ResourceLimitExceeded, ResourceLimits, run_limited
from echome.knowledge.index import ingest_catalog
from echome.knowledge.keyword import KeywordCache
from echome.knowledge.parse import parse_catalog
from echome.knowledge.records import Field, ParsedCatalog, ParseError, ProductRecord
from echome.knowledge.store_doc import Passage, StoreDocument, parse_store_info
from echome.knowledge.store_info import ingest_store_info
from echome.providers.base import Embedder, ProviderError, VectorStore
from echome.storage import StorageError
from echome.storage.base import FileStorage

JOB_KIND = "catalog.import"
PARSE_LIMITS = ResourceLimits(memory_bytes=1024 * 1024 * 1024, seconds=300)
# What a parse may send back from its child process (see jobs/limits.py)
_PARSED = (ParsedCatalog, ProductRecord, Field, ParseError, StoreDocument, Passage, Decimal, date, datetime)


def read_upload(parse: Any, data: bytes, filename: str, *, limits: ResourceLimits, ctx: JobContext) -> Any:
    """`parse(data, filename)` in a child process under `limits`; a bad or hostile file fails the
    job for good with what was wrong."""
    try:
        return run_limited(parse, data, filename, limits=limits, returns=_PARSED, checkpoint=ctx.checkpoint)
    except ParseError as exc:
        raise PermanentJobError(f"{filename}: {exc}") from None
    except ResourceLimitExceeded as exc:
        # Not retried: the same file hits the same limit again.
        hint = " (a catalog this large can be imported as several smaller files)"
        raise PermanentJobError(
            f"{filename}: reading the file {exc}; it was not imported"
            + (hint if exc.resource in ("memory", "time") else "")
        ) from None


@dataclass(eq=False)
class CatalogImportJob:
    sessions: sessionmaker[Session]
    storage: FileStorage
    embedder: Embedder
    store: VectorStore
    keywords: KeywordCache
    limits: ResourceLimits = PARSE_LIMITS  # memory and time for reading the file

    def __call__(self, ctx: JobContext, payload: dict[str, Any]) -> dict[str, Any]:
        filename = PurePath(payload.get("filename") or payload["file_key"]).name
        ctx.progress(2, f"reading {filename}")
        try:
            data = self.storage.get(payload["file_key"])
        except StorageError as exc:
            raise PermanentJobError(f"the uploaded file is gone: {exc}") from None
        ctx.progress(5, "parsing")
        catalog: ParsedCatalog = read_upload(parse_catalog, data, filename, limits=self.limits, ctx=ctx)
        del data
        ctx.progress(8, f"chunking {len(catalog.products)} products")
        try:
            report = ingest_catalog(
                catalog,
                user_id=ctx.user_id,
                persona_id=payload.get("persona_id"),
                sessions=self.sessions,
                embedder=self.embedder,
                store=self.store,
                progress=lambda pct, stage: ctx.progress(pct, stage),
            )
        except ProviderError as exc:
            if exc.transient:
                raise TransientJobError(str(exc)) from None
            raise PermanentJobError(str(exc)) from None
        self.keywords.invalidate(ctx.user_id)  # this process searches the new catalog at once
        return {**report.as_dict(), "result_ref": payload["file_key"]}


STORE_INFO_JOB_KIND = "store_info.import"


@dataclass(eq=False)
class StoreInfoImportJob:
    """The `store_info.import` job: a stored store-information file → passages, replacing what
    the same file gave before. A bad file fails the job with its reason and changes nothing."""

    sessions: sessionmaker[Session]
    storage: FileStorage
    embedder: Embedder
    store: VectorStore
    keywords: KeywordCache
    limits: ResourceLimits = PARSE_LIMITS  # memory and time for reading the file

    def __call__(self, ctx: JobContext, payload: dict[str, Any]) -> dict[str, Any]:
        filename = PurePath(payload.get("filename") or payload["file_key"]).name
        ctx.progress(2, f"reading {filename}")
        try:
            data = self.storage.get(payload["file_key"])
        except StorageError as exc:
            raise PermanentJobError(f"the uploaded file is gone: {exc}") from None
        ctx.progress(5, "reading the passages")
        doc: StoreDocument = read_upload(parse_store_info, data, filename, limits=self.limits, ctx=ctx)
        try:
            report = ingest_store_info(
                doc,
                user_id=ctx.user_id,
                persona_id=payload.get("persona_id"),
                sessions=self.sessions,
                embedder=self.embedder,
                store=self.store,
                progress=lambda pct, stage: ctx.progress(pct, stage),
            )
        except ParseError as exc:
            raise PermanentJobError(f"{filename}: {exc}") from None
        except ProviderError as exc:
            if exc.transient:
                raise TransientJobError(str(exc)) from None
            raise PermanentJobError(str(exc)) from None
        self.keywords.invalidate(ctx.user_id)  # this process answers from the new passages at once
        return {**report.as_dict(), "result_ref": payload["file_key"]}
