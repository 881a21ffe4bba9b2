"""Steps for the run_limited tests: they run in the child process, so they live in a module."""

from __future__ import annotations

import ctypes
import os
import time

from echome.knowledge.records import ParseError


class Unexpected:  # a class the parent did not say it expects back
    pass


def echo(value: object) -> object:
    return value


def allocate(n: int) -> int:
    return len(bytearray(n))


def sleep(seconds: float) -> float:
    time.sleep(seconds)
    return seconds


def refuse(message: str) -> None:
    raise ParseError(message)


def key_error() -> None:
    raise KeyError("missing")


def other_error() -> None:
    raise ZeroDivisionError("odd")


def segfault() -> None:
    ctypes.string_at(0)


def unexpected() -> Unexpected:
    return Unexpected()


def pid_and_nice() -> tuple[int, int]:
    return os.getpid(), os.getpriority(os.PRIO_PROCESS, 0)


def shout(text: str) -> str:
    print("noise on stdout that must not spoil the answer")
    return text
