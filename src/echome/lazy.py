"""A value built on first use, once per process, even when two threads ask at the same moment
(the warm-up thread and a request must not load two copies of a model)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class Lazy(Generic[T]):
    def __init__(self, build: Callable[[], T]) -> None:
        self._build: Callable[[], T] | None = build
        self._value: T | None = None
        self._lock = threading.Lock()

    def __call__(self) -> T:
        if self._build is None:  # built: no lock on the hot path
            return self._value  # type: ignore[return-value]
        with self._lock:
            if self._build is not None:
                self._value = self._build()
                self._build = None
        return self._value  # type: ignore[return-value]

    @property
    def loaded(self) -> bool:
        return self._build is None

    def peek(self) -> T | None:
        """The value when it was built, else None (builds nothing)."""
        return self._value if self._build is None else None

    def set(self, value: T) -> None:
        """Use `value` instead of building one (wiring a stand-in before first use)."""
        with self._lock:
            self._value, self._build = value, None
