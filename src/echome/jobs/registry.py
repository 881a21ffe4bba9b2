"""Job kinds and the context a handler runs in."""

from __future__ import annotations

import importlib
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from echome.bootstrap import Services


class TransientJobError(RuntimeError):
    """Worth retrying later (network hiccup, provider 5xx, rate limit)."""


class PermanentJobError(RuntimeError):
    """Will fail the same way again (bad input); the message is shown to the seller."""


class JobCancelled(BaseException):
    """Raised inside a handler at its next checkpoint after the seller cancelled the job."""


class JobLost(BaseException):
    """This worker no longer holds the job's lease (it was presumed dead and the job rerun)."""


Handler = Callable[["JobContext", dict[str, Any]], "dict[str, Any] | None"]
_HANDLERS: dict[str, Handler] = {}


def job_handler(kind: str) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        _HANDLERS[kind] = fn
        return fn

    return register


def get_handler(kind: str) -> Handler | None:
    return _HANDLERS.get(kind)


def known_kinds() -> list[str]:
    return sorted(_HANDLERS)


def load_plugins(modules: list[str]) -> None:
    for name in modules:
        importlib.import_module(name)


@dataclass
class JobContext:
    """What a handler may use: its ids, services, and progress reporting (which is also a checkpoint)."""

    job_id: str
    user_id: str
    kind: str
    attempt: int
    services: Services
    report: Callable[[int | None, str | None], None]
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
