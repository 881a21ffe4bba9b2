"""The memory and time caps for reading files and decoding recordings come from the settings
(ECHOME_PARSE_MEMORY_MB, ECHOME_PARSE_SECONDS, ECHOME_MEDIA_DECODE_MEMORY_MB,
ECHOME_MEDIA_DECODE_SECONDS), and a file that exceeds them fails its job for good with the reason."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from echome.jobs.limits import MB, ResourceLimits

from ..conftest import make_settings
from .test_catalog import EVAL, run_job, upload


@pytest.fixture
def settings(tmp_path: Path, database_url: str | None) -> Any:
    return make_settings(
        tmp_path,
        database_url=database_url,
        parse_memory_mb=321,
        parse_seconds=0.05,  # less than a reader process needs to start: every read hits it
        media_decode_memory_mb=456,
        media_decode_seconds=78,
    )


def test_the_job_parts_get_the_limits_from_the_settings(services: Any) -> None:
    parse = ResourceLimits(memory_bytes=321 * MB, seconds=0.05)
    assert services.registry.get("catalog.import").limits == parse
    assert services.registry.get("store_info.import").limits == parse
    media = services.registry.get("persona.media")
    assert media.transcriber.limits.decode == ResourceLimits(memory_bytes=456 * MB, seconds=78)


def test_a_file_over_the_time_limit_fails_for_good_and_keeps_the_catalog(
    client: Any, services: Any, make_seller: Any
) -> None:
    headers, user = make_seller()
    before = client.get("/api/products", headers=headers).json()
    uploaded = upload(client, headers, EVAL / "csv" / "apparel.csv").json()
    job = run_job(services, user["id"], uploaded["job_id"])
    assert job.status == "failed" and job.attempts == 1
    assert "time" in job.error and "apparel.csv" in job.error, job.error
    assert client.get("/api/products", headers=headers).json() == before
