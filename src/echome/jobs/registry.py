"""Job kinds and the context a handler runs in.

The composition root registers every kind explicitly: `registry.register("catalog.import", job)`,
or `register_lazy(kind, factory)` so a command that never runs that job never imports its stack.
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from echome.lazy import Lazy


class TransientJobError(RuntimeError):
    """Worth retrying later (network hiccup, provider 5xx, rate limit)."""


class PermanentJobError(RuntimeError):
    """Will fail the same way again (bad input); the message is shown to the seller."""


class JobCancelled(BaseException):
    """Raised inside a handler at its next checkpoint after the seller cancelled the job."""


class JobLost(BaseException):
    """This worker no longer holds the job's lease (it was presumed dead and the job rerun)."""


Handler = Callable[["JobContext", dict[str, Any]], "dict[str, Any] | None"]


class JobRegistry:
    """Job kind -> handler. Lazy entries are built once, on first use, under a lock."""

    def __init__(self) -> None:
        self._entries: dict[str, Lazy[Handler]] = {}
        self._lock = threading.Lock()

    def register(self, kind: str, handler: Handler) -> None:
        self.register_lazy(kind, lambda: handler)

    def register_lazy(self, kind: str, factory: Callable[[], Handler]) -> None:
        with self._lock:
            self._entries[kind] = Lazy(factory)

    def get(self, kind: str) -> Handler | None:
        entry = self._entries.get(kind)
        return entry() if entry is not None else None

    def __contains__(self, kind: object) -> bool:
        return kind in self._entries

    def kinds(self) -> list[str]:
        return sorted(self._entries)


def load_plugins(registry: JobRegistry, modules: list[str]) -> None:
    """Each plugin module registers its kinds in a `register_jobs(registry)` function."""
    for name in modules:
        module = importlib.import_module(name)
        register = getattr(module, "register_jobs", None)
        if not callable(register):
            raise ValueError(f"job plugin {name!r} has no register_jobs(registry) function")
        register(registry)


@dataclass
class JobContext:
    """What a handler gets besides its payload: its ids, progress reporting (also a checkpoint) and
    cancellation. The parts a handler works with are its own constructor arguments."""

    job_id: str
    user_id: str
    kind: str
    attempt: int
    report: Callable[[int | None, str | None], None]
    max_attempts: int = 1
    cancel_event: threading.Event = field(default_factory=threading.Event)
    lost_event: threading.Event = field(default_factory=threading.Event)

    def progress(self, percent: float | None = None, stage: str | None = None) -> None:
        self.checkpoint()
        pct = None if percent is None else max(0, min(99, int(percent)))
        self.report(pct, stage)

    def checkpoint(self) -> None:
        if self.lost_event.is_set():
            raise JobLost(self.job_id)
        if self.cancel_event.is_set():
            raise JobCancelled(self.job_id)

    @property
    def cancelled(self) -> bool:
        return self.cancel_event.is_set()

    @property
    def may_retry(self) -> bool:
        """Whether a transient failure now gets another attempt."""
        return self.attempt < self.max_attempts
