"""Lazily built parts are built once per process, however many threads ask at the same moment."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from echome.jobs.registry import JobRegistry, load_plugins
from echome.lazy import Lazy


def test_two_threads_asking_at_once_get_one_copy() -> None:
    built: list[object] = []

    def build() -> object:
        time.sleep(0.05)  # a model load: long enough for the other thread to ask meanwhile
        built.append(object())
        return built[-1]

    lazy: Lazy[object] = Lazy(build)
    start = threading.Barrier(4)
    got: list[object] = []

    def ask() -> None:
        start.wait()
        got.append(lazy())

    threads = [threading.Thread(target=ask) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(built) == 1 and all(g is built[0] for g in got)
    assert lazy.loaded and lazy.peek() is built[0]


def test_a_failed_build_is_tried_again_on_the_next_use() -> None:
    calls = [0]

    def build() -> str:
        calls[0] += 1
        if calls[0] == 1:
            raise RuntimeError("model file broken")
        return "model"

    lazy: Lazy[str] = Lazy(build)
    with pytest.raises(RuntimeError):
        lazy()
    assert not lazy.loaded and lazy.peek() is None
    assert lazy() == "model" and calls[0] == 2


def test_job_kinds_are_built_on_first_use_and_plugins_must_register_explicitly() -> None:
    registry = JobRegistry()
    built: list[str] = []

    def factory() -> Any:
        built.append("built")
        return lambda ctx, payload: {"ok": True}

    registry.register_lazy("demo.kind", factory)
    assert "demo.kind" in registry and built == []  # registering imports and builds nothing
    assert registry.get("demo.kind") is registry.get("demo.kind") and built == ["built"]
    assert registry.get("no.such.kind") is None
    with pytest.raises(ValueError, match="register_jobs"):
        load_plugins(registry, ["json"])  # a module without register_jobs(registry)
