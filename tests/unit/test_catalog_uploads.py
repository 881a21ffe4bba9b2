"""A catalog upload becomes an import job (knowledge.uploads), and the Catalog pages' words for a
job's stage and failure (web.catalog_jobs)."""

from __future__ import annotations

from typing import Any

from echome.knowledge.uploads import IMPORT_KIND, is_catalog_name, safe_filename, submit_catalog_import
from echome.web.catalog_jobs import failure_words, stage_words


class _Storage:
    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}

    def put(self, kind: str, user_id: str, name: str, data: bytes) -> str:
        key = f"{kind}/{user_id}/{name}"
        self.files[key] = data
        return key


def test_an_upload_is_stored_and_queued_with_its_persona_and_extra_payload() -> None:
    storage, submitted = _Storage(), []

    def submit(**job: Any) -> str:
        submitted.append(job)
        return "job-1"

    job_id = submit_catalog_import(
        storage=storage,  # type: ignore[arg-type]
        submit_job=submit,
        user_id="u1",
        filename="shirts.csv",
        data=b"name\nShirt\n",
        persona_id="p1",
        extra={"upload_id": "abc", "file_key": "not overridable"},
    )
    assert job_id == "job-1"
    [job] = submitted
    payload = job["payload"]
    assert job["kind"] == IMPORT_KIND and job["user_id"] == "u1"
    assert (
        payload["persona_id"] == "p1"
        and payload["filename"] == "shirts.csv"
        and payload["upload_id"] == "abc"
    )
    assert storage.files[payload["file_key"]] == b"name\nShirt\n" and payload["file_key"].endswith(
        "-shirts.csv"
    )


def test_file_names_are_made_safe_and_checked() -> None:
    assert safe_filename("../../etc/pass wd.CSV") == "pass_wd.CSV"
    assert safe_filename("C:\\shop\\export.xlsx") == "export.xlsx"
    assert safe_filename("") == "upload"
    assert is_catalog_name("pass_wd.CSV") and not is_catalog_name("photo.png")


def test_a_jobs_stage_and_failure_in_the_sellers_words() -> None:
    assert stage_words("embedding 256/1000 distinct chunk texts", "running") == (
        "Learning your products (256 of 1,000 passages)"
    )
    assert stage_words("chunking 1 products", "running") == "Preparing 1 product"
    assert stage_words("anything", "pending") == "Waiting to start"
    reason, advice = failure_words(
        "notes.csv: no product name column found; name one column 'name'", "notes.csv"
    )
    assert reason == "No product name column found; name one column 'name'." and "upload it again" in advice
    reason, advice = failure_words("big.csv: reading the file needed more memory than 1 GB", "big.csv")
    assert reason.startswith("Reading the file") and "smaller files" in advice
    assert failure_words(None, "x.csv")[0] == "The import stopped without saying why."
