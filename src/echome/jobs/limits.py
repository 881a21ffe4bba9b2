"""One step of a job run in a child process with a memory cap and a time limit.

Reading an uploaded file (a catalog, a recording) is where hostile input does its damage: a
0.4 MB spreadsheet that inflates to gigabytes, a PDF that nests objects until the parser gives
up, a decoder bug. Caps in the readers stop the bombs we know of; this is the wall behind them for
the ones we do not. The step runs in a fresh interpreter whose address space is capped
(`RLIMIT_AS`: its size once started plus `memory_bytes`) and which the parent kills when its wall
time is up. Whatever happens in there, the server and the other jobs keep running: the step ends
with its result, its own exception (a `ParseError` saying what is wrong with the file), or
`ResourceLimitExceeded` naming the limit it hit - a failure that would happen again, so job
handlers fail the job for good instead of retrying it.

Why a fresh interpreter (`subprocess`) and not `multiprocessing`: forking the server (threads: web,
jobs, model pools) is unsafe; `spawn` and `forkserver` children re-import the parent's `__main__`
script; a fresh `python -c` imports only what the step needs (~0.1-0.3 s, small beside a parse).

The step's function is pickled by reference (a module-level function) with plain-data arguments.
Its result comes back pickled, and is unpickled with only the classes the caller names (plus
Decimal and a few exceptions): the child has read hostile bytes, so what it sends back is not
trusted to name arbitrary callables.
"""

from __future__ import annotations

import io
import logging
import os
import pickle
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, TypeVar

T = TypeVar("T")
log = logging.getLogger("echome.jobs")
MB = 1024 * 1024
_SAFE_BUILTINS = {"ValueError", "RuntimeError", "MemoryError", "KeyError", "TypeError", "OSError"}


@dataclass(frozen=True)
class ResourceLimits:
    """What one step may use. `memory_bytes` is on top of the child interpreter's own size."""

    memory_bytes: int = 1024 * MB
    seconds: float = 300.0

    def memory_text(self) -> str:
        gb = self.memory_bytes / 1024**3
        return f"{gb:.1f} GB" if gb >= 1 else f"{self.memory_bytes // MB} MB"

    def time_text(self) -> str:
        return f"{self.seconds:.0f} s" if self.seconds < 120 else f"{self.seconds / 60:.0f} min"


class ResourceLimitExceeded(RuntimeError):
    """The step was stopped. `resource`: "memory", "time" or "crash" (its process died)."""

    def __init__(self, message: str, *, resource: str) -> None:
        super().__init__(message)
        self.resource = resource


def run_limited(
    fn: Callable[..., T],
    /,
    *args: Any,
    limits: ResourceLimits,
    returns: Iterable[type] = (),
    checkpoint: Callable[[], None] | None = None,
    **kwargs: Any,
) -> T:
    """`fn(*args, **kwargs)` in a child process under `limits`: its result, its exception raised
    again here, or ResourceLimitExceeded. `returns`: the classes the result and the exceptions
    `fn` raises are made of (plain data, str, numbers, lists and dicts need none). `checkpoint` is
    called while waiting (a job's cancellation check); what it raises stops the child."""
    returns = tuple(returns)
    names = {(t.__module__, t.__qualname__) for t in returns}
    payload = pickle.dumps((fn, args, kwargs, limits, names), protocol=pickle.HIGHEST_PROTOCOL)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
    # The step goes in as a file, not through a pipe: `communicate(input=..., timeout=...)`
    # retried after a timeout never sends the rest of its input (CPython registers stdin for
    # writing only on the call that passed it), so a child slower to start than the first
    # timeout waited for ever on a payload larger than the pipe's buffer.
    # The child's stderr goes to a file, not a pipe: a reader that logs without end costs disk,
    # not this process's memory; its tail says how a crashed child ended.
    with tempfile.TemporaryFile() as step, tempfile.TemporaryFile() as errors:
        step.write(payload)
        step.seek(0)
        del payload
        proc = subprocess.Popen(
            [sys.executable, "-c", "from echome.jobs.limits import child_main; child_main()"],
            stdin=step,
            stdout=subprocess.PIPE,
            stderr=errors,
            env=env,
            close_fds=True,
        )
        try:
            out = _communicate(proc, limits, checkpoint)
        finally:
            if proc.returncode is None:
                proc.kill()
                proc.communicate()
        errors.seek(max(0, errors.seek(0, os.SEEK_END) - 4000))
        err = errors.read()
    kind, value = _message(out, proc.returncode, err, limits, returns)
    if kind == "ok":
        return value  # type: ignore[no-any-return]
    if kind == "memory":
        raise ResourceLimitExceeded(
            f"needed more than {limits.memory_text()} of memory, the limit for this step", resource="memory"
        )
    raise value


def _communicate(
    proc: subprocess.Popen[bytes],
    limits: ResourceLimits,
    checkpoint: Callable[[], None] | None,
) -> bytes:
    """Wait for the answer within the time allowed, calling `checkpoint` meanwhile."""
    deadline = time.monotonic() + limits.seconds
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            raise ResourceLimitExceeded(
                f"stopped after {limits.time_text()}, the time allowed for this step", resource="time"
            )
        try:
            out, _ = proc.communicate(timeout=min(0.25, left))  # a retry loses no output
            return out
        except subprocess.TimeoutExpired:
            if checkpoint is not None:
                checkpoint()


def _message(
    out: bytes, returncode: int, err: bytes, limits: ResourceLimits, returns: Iterable[type]
) -> tuple[str, Any]:
    if out:
        try:
            message = _Restricted(io.BytesIO(out), returns).load()
        except Exception as exc:  # truncated (killed mid-write) or not ours
            raise ResourceLimitExceeded(
                f"sent back an unreadable result ({type(exc).__name__})", resource="crash"
            ) from None
        if isinstance(message, tuple) and len(message) == 2 and message[0] in ("ok", "memory", "raised"):
            return message  # type: ignore[return-value]
    death = _death(returncode, limits, err)
    log.warning("a limited step ended without an answer: %s", death, extra={"returncode": returncode})
    log.debug("its last output: %s", err[-1500:].decode("utf-8", "replace"))
    raise death


def _death(returncode: int, limits: ResourceLimits, err: bytes) -> ResourceLimitExceeded:
    import signal

    if returncode == -signal.SIGKILL:  # the kernel's OOM killer (or an operator)
        return ResourceLimitExceeded(
            f"was stopped by the system, most likely for memory (the limit is {limits.memory_text()})",
            resource="memory",
        )
    if returncode == -getattr(signal, "SIGXCPU", 24):
        return ResourceLimitExceeded(
            f"used more processor time than the {limits.time_text()} allowed", resource="time"
        )
    if b"MemoryError" in err[-2000:] or b"bad_alloc" in err[-2000:]:
        return ResourceLimitExceeded(
            f"needed more than {limits.memory_text()} of memory, the limit for this step", resource="memory"
        )
    if returncode < 0:
        try:
            name = signal.Signals(-returncode).name
        except ValueError:
            name = f"signal {-returncode}"
        return ResourceLimitExceeded(f"crashed ({name}) on this file", resource="crash")
    return ResourceLimitExceeded(f"stopped unexpectedly (exit status {returncode})", resource="crash")


class _Restricted(pickle.Unpickler):
    """Only the caller's classes, Decimal and a few built-in exceptions may be named."""

    def __init__(self, file: io.BytesIO, returns: Iterable[type]) -> None:
        super().__init__(file)
        self.allowed = {(t.__module__, t.__qualname__): t for t in returns}
        self.allowed[("decimal", "Decimal")] = Decimal

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) in self.allowed:
            return self.allowed[(module, name)]
        if module == "builtins" and name in _SAFE_BUILTINS:
            return getattr(__import__("builtins"), name)
        raise pickle.UnpicklingError(f"{module}.{name} is not an expected result type")


# -- in the child ---------------------------------------------------------------------------------
def child_main() -> None:
    """The child's entry: read the step from stdin, run it under its limits, answer on stdout."""
    answer = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # anything a library prints goes to stderr, not into the answer
    logging.lastResort = None  # nobody reads the child's log; a broken file can log without end
    fn, args, kwargs, limits, names = pickle.loads(sys.stdin.buffer.read())
    _apply_limits(limits)
    try:
        message: tuple[str, Any] = ("ok", fn(*args, **kwargs))
    except MemoryError:
        message = ("memory", None)
    except BaseException as exc:  # every outcome goes back to the parent, as a type it may read
        known = (type(exc).__module__, type(exc).__qualname__) in names
        if not known and not (type(exc).__module__ == "builtins" and type(exc).__name__ in _SAFE_BUILTINS):
            exc = RuntimeError(f"{type(exc).__name__}: {exc}"[:500])
        message = ("raised", exc)
    try:
        data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    except MemoryError:
        data = pickle.dumps(("memory", None))
    except Exception as exc:  # a result that does not pickle
        data = pickle.dumps(("raised", RuntimeError(f"{type(exc).__name__}: {exc}"[:500])))
    del message  # the result is in `data` now
    answer.write(data)
    answer.flush()


def _apply_limits(limits: ResourceLimits) -> None:
    try:
        import resource
    except ImportError:  # pragma: no cover - Windows: the parent's wall time only
        return
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # a crash must not write gigabytes of core
    cpu = int(limits.seconds) + 10  # a backstop should the parent be gone; the wall time rules
    _lower(resource, resource.RLIMIT_CPU, cpu, cpu + 5)
    if sys.platform.startswith("linux"):
        with open("/proc/self/statm") as f:
            size = int(f.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
        cap = size + limits.memory_bytes
        _lower(resource, resource.RLIMIT_AS, cap, cap)


def _lower(resource: Any, which: int, soft: int, hard: int) -> None:
    cur_hard = resource.getrlimit(which)[1]
    if cur_hard != resource.RLIM_INFINITY:
        hard = min(hard, cur_hard)
        soft = min(soft, hard)
    resource.setrlimit(which, (soft, hard))
