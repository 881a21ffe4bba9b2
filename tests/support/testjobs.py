"""Job kinds used by the tests (loaded through ECHOME_JOB_PLUGINS=testjobs).

`test.steps` does `steps` units of work, reporting progress after each, and appends one line per
run to `marker` so tests can count how often it ran. `fail_transient` makes the first N attempts
raise a transient error."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path
from typing import Any

from echome.jobs import JobContext, JobRegistry, PermanentJobError, TransientJobError


def register_jobs(registry: JobRegistry) -> None:
    registry.register("test.steps", steps)
    registry.register("test.bad_input", bad_input)
    registry.register("test.crash", crash)


def steps(ctx: JobContext, payload: dict[str, Any]) -> dict[str, Any]:
    marker = Path(payload["marker"]) if payload.get("marker") else None
    if marker:
        with marker.open("a") as fh:
            nice = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
            fh.write(f"start attempt={ctx.attempt} nice={nice} pid={os.getpid()}\n")
    if ctx.attempt <= int(payload.get("fail_transient", 0)):
        raise TransientJobError("provider busy, try later")
    n = int(payload.get("steps", 3))
    for i in range(n):
        time.sleep(float(payload.get("delay", 0.01)))
        ctx.progress(100 * (i + 1) / n, f"step {i + 1} of {n}")
    if marker:
        with marker.open("a") as fh:
            fh.write(f"done attempt={ctx.attempt} pid={os.getpid()}\n")
    return {"steps": n, "attempt": ctx.attempt, "result_ref": f"test/{ctx.job_id}"}


def bad_input(ctx: JobContext, payload: dict[str, Any]) -> None:
    raise PermanentJobError("the file is not a CSV: line 1 has no columns")


def crash(ctx: JobContext, payload: dict[str, Any]) -> None:
    raise ZeroDivisionError("division by zero")
