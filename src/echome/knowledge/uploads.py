"""A catalog upload becomes an import job: its file name made safe, its bytes stored, the
`catalog.import` job submitted. The HTTP API, the web app and the command line all go through here."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from typing import Any

from echome.storage.base import FileStorage

IMPORT_KIND = "catalog.import"
ALLOWED = (".csv", ".tsv", ".xlsx", ".xlsm", ".xml", ".pdf", ".txt", ".md", ".markdown")
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")

SubmitJob = Callable[..., str]  # Services.submit_job(user_id=, kind=, payload=) -> job id


def safe_filename(name: str) -> str:
    base = _UNSAFE.sub("_", (name or "upload").rsplit("/", 1)[-1].rsplit("\\", 1)[-1]).strip("._") or "upload"
    return base[-120:]


def is_catalog_name(name: str) -> bool:
    """Whether the (safe) file name has one of the extensions the import reads."""
    return name.lower().endswith(ALLOWED)


def submit_catalog_import(
    *,
    storage: FileStorage,
    submit_job: SubmitJob,
    user_id: str,
    filename: str,
    data: bytes,
    persona_id: str | None,
    extra: dict[str, Any] | None = None,
) -> str:
    """Store the file and queue its import; returns the job id. `filename` is already safe and
    checked; `extra` adds to the job's payload (what the importer ignores, e.g. a form's token)."""
    key = storage.put("uploads", user_id, f"{uuid.uuid4().hex[:12]}-{filename}", data)
    payload = {**(extra or {}), "file_key": key, "filename": filename, "persona_id": persona_id}
    return submit_job(user_id=user_id, kind=IMPORT_KIND, payload=payload)
