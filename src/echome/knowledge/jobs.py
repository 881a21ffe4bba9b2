"""The `catalog.import` and `store_info.import` jobs: ingestion of a stored upload."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePath
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from echome.jobs import JobContext, PermanentJobError, TransientJobError
from echome.knowledge.index import ingest_catalog
from echome.knowledge.keyword import KeywordCache
from echome.knowledge.parse import parse_catalog
from echome.knowledge.records import ParseError
from echome.knowledge.store_doc import parse_store_info
from echome.knowledge.store_info import ingest_store_info
from echome.providers.base import Embedder, ProviderError, VectorStore
from echome.storage import StorageError
from echome.storage.base import FileStorage

JOB_KIND = "catalog.import"


@dataclass(eq=False)
class CatalogImportJob:
    sessions: sessionmaker[Session]
    storage: FileStorage
    embedder: Embedder
    store: VectorStore
    keywords: KeywordCache

    def __call__(self, ctx: JobContext, payload: dict[str, Any]) -> dict[str, Any]:
        filename = PurePath(payload.get("filename") or payload["file_key"]).name
        ctx.progress(2, f"reading {filename}")
        try:
            data = self.storage.get(payload["file_key"])
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

    def __call__(self, ctx: JobContext, payload: dict[str, Any]) -> dict[str, Any]:
        filename = PurePath(payload.get("filename") or payload["file_key"]).name
        ctx.progress(2, f"reading {filename}")
        try:
            data = self.storage.get(payload["file_key"])
        except StorageError as exc:
            raise PermanentJobError(f"the uploaded file is gone: {exc}") from None
        ctx.progress(5, "reading the passages")
        try:
            doc = parse_store_info(data, filename)
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
