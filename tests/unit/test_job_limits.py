"""A job step in a child process with a memory cap and a time limit (echome.jobs.limits)."""

from __future__ import annotations

import os
import sys
import threading
import time
from pathlib import Path

import limited_steps as steps
import pytest

from echome.jobs.limits import ResourceLimitExceeded, ResourceLimits, run_limited
from echome.knowledge.records import ParseError

MB = 1024 * 1024
SMALL = ResourceLimits(memory_bytes=200 * MB, seconds=5)


def test_the_result_comes_back_from_another_process() -> None:
    value = {"products": [1, 2.5, "three", None], "nested": {"ok": True}}
    assert run_limited(steps.echo, value, limits=SMALL) == value
    pid, _ = run_limited(steps.pid_and_nice, limits=SMALL)
    assert pid != os.getpid()


def test_what_a_library_prints_does_not_spoil_the_answer() -> None:
    assert run_limited(steps.shout, "ok", limits=SMALL) == "ok"


def test_the_steps_own_error_is_raised_again_here() -> None:
    with pytest.raises(ParseError, match="the header row is missing"):
        run_limited(steps.refuse, "the header row is missing", limits=SMALL, returns=[ParseError])
    with pytest.raises(KeyError):
        run_limited(steps.key_error, limits=SMALL)
    with pytest.raises(RuntimeError, match="ZeroDivisionError: odd"):  # a type the caller did not name
        run_limited(steps.other_error, limits=SMALL)


def test_memory_over_the_cap_fails_the_step_not_the_process() -> None:
    assert run_limited(steps.allocate, 50 * MB, limits=SMALL) == 50 * MB
    with pytest.raises(ResourceLimitExceeded, match="more than 200 MB of memory") as exc:
        run_limited(steps.allocate, 2048 * MB, limits=SMALL)
    assert exc.value.resource == "memory"


def test_time_over_the_limit_stops_the_child() -> None:
    t = time.monotonic()
    with pytest.raises(ResourceLimitExceeded, match="stopped after 1 s") as exc:
        run_limited(steps.sleep, 30, limits=ResourceLimits(memory_bytes=200 * MB, seconds=1))
    assert exc.value.resource == "time" and time.monotonic() - t < 5


def test_a_crashing_reader_is_reported_not_inherited() -> None:
    with pytest.raises(ResourceLimitExceeded, match="crashed \\(SIGSEGV\\)") as exc:
        run_limited(steps.segfault, limits=SMALL)
    assert exc.value.resource == "crash"


def test_the_answer_may_only_name_the_expected_classes() -> None:
    # The child read hostile bytes: what it sends back is not trusted to name any class.
    with pytest.raises(ResourceLimitExceeded, match="unreadable result"):
        run_limited(steps.unexpected, limits=SMALL)


def test_a_checkpoint_that_raises_stops_the_child() -> None:
    class Cancelled(BaseException):
        pass

    started = time.monotonic()

    def checkpoint() -> None:
        if time.monotonic() - started > 0.5:
            raise Cancelled

    with pytest.raises(Cancelled):
        run_limited(steps.sleep, 30, limits=SMALL, checkpoint=checkpoint)
    assert time.monotonic() - started < 5


def test_the_child_runs_at_the_calling_threads_priority_or_lower() -> None:
    def job_thread(out: list[int]) -> None:
        tid = threading.get_native_id()
        os.setpriority(os.PRIO_PROCESS, tid, min(19, os.getpriority(os.PRIO_PROCESS, tid) + 5))
        out.append(run_limited(steps.pid_and_nice, limits=SMALL)[1])
        out.append(os.getpriority(os.PRIO_PROCESS, tid))

    got: list[int] = []
    t = threading.Thread(target=job_thread, args=(got,))
    t.start()
    t.join()
    assert got[0] >= got[1]


def test_a_large_step_reaches_a_child_slow_to_start(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # On a loaded machine the child's interpreter can take longer to start than the parent's first
    # wait; the step (here 4 MB, far more than a pipe's buffer) must still arrive whole.
    slow = tmp_path / "slow-python"
    slow.write_text(f'#!/bin/sh\nsleep 1\nexec "{sys.executable}" "$@"\n')
    slow.chmod(0o755)
    monkeypatch.setattr(sys, "executable", str(slow))
    value = b"x" * (4 * MB)
    assert run_limited(steps.echo, value, limits=SMALL) == value
