"""An import pauses Python's cycle collector and always gives it back as it found it."""

from __future__ import annotations

import gc
import threading

import pytest

from echome.knowledge.index import collector_paused


def test_the_collector_resumes_after_the_last_of_overlapping_imports() -> None:
    assert gc.isenabled()
    first_in = threading.Event()
    release = threading.Event()
    seen: list[bool] = []

    def other_import() -> None:
        with collector_paused():
            first_in.set()
            release.wait(10)

    t = threading.Thread(target=other_import)
    t.start()
    first_in.wait(10)
    with collector_paused():
        seen.append(gc.isenabled())
    seen.append(gc.isenabled())  # the other import is still running
    release.set()
    t.join(10)
    assert seen == [False, False] and gc.isenabled()


def test_a_failed_import_resumes_it_and_a_disabled_collector_stays_off() -> None:
    with pytest.raises(RuntimeError), collector_paused():
        raise RuntimeError("bad catalog")
    assert gc.isenabled()
    gc.disable()
    try:
        with collector_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()
