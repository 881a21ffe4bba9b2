"""Background jobs: the `jobs` table is the truth, Huey (SQLite or Redis) carries job ids."""

from echome.jobs.registry import (
    JobCancelled,
    JobContext,
    JobLost,
    JobRegistry,
    PermanentJobError,
    TransientJobError,
)

__all__ = [
    "JobCancelled",
    "JobContext",
    "JobLost",
    "JobRegistry",
    "PermanentJobError",
    "TransientJobError",
]
