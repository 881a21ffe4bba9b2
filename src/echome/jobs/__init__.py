"""Background jobs: the `jobs` table is the truth, Huey (SQLite or Redis) carries job ids."""

from echome.jobs.registry import (
    JobCancelled,
    JobContext,
    JobLost,
    PermanentJobError,
    TransientJobError,
    job_handler,
)

__all__ = [
    "JobCancelled",
    "JobContext",
    "JobLost",
    "PermanentJobError",
    "TransientJobError",
    "job_handler",
]
