"""Local fakes of the cloud APIs we call, served over real HTTP on 127.0.0.1.

Each fake is a Starlette app run by uvicorn in a thread. It checks requests the way the real API
does (auth, required fields, multipart shape) and answers with the real status codes and error
JSON, records every call, and can be told to fail: `fail(status, times=...)`, `hang(seconds)`,
`garbage()` (a 200 whose body is not JSON), plus vendor-specific faults.

    with FakeOpenAI() as server:
        chat = OpenAIChat(server.api_key, base_url=server.base_url)

Fixtures for the same live in `tests/servers/fixtures.py`.
"""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Self

import uvicorn
from starlette.applications import Starlette
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route


@dataclass
class UploadedFile:
    field: str
    filename: str | None
    content_type: str | None
    data: bytes


@dataclass
class Call:
    """One request as the fake received it."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]  # lower-cased names
    raw: bytes
    json: Any = None
    form: dict[str, list[str]] = field(default_factory=dict)
    files: list[UploadedFile] = field(default_factory=list)
    received_at: float = field(default_factory=time.time)  # wall clock when the request arrived


@dataclass
class Fault:
    kind: str  # "status", "hang", "garbage" or a vendor-specific kind
    status: int = 0
    seconds: float = 0.0
    headers: dict[str, str] = field(default_factory=dict)
    body: Any = None


class ApiError(Exception):
    """Raised inside a handler to answer with the vendor's error JSON."""

    def __init__(self, status: int, message: str, kind: str = "invalid_request_error") -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.kind = kind


class FakeService:
    """Shared machinery: the thread-run server, call recording and scripted faults."""

    prefix = ""

    def __init__(self, api_key: str | None) -> None:
        self.api_key = api_key
        self.calls: list[Call] = []
        self._faults: deque[Fault] = deque()
        self._lock = threading.Lock()
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self.port = 0

    # -- subclass hooks ----------------------------------------------------------------------
    def routes(self) -> list[Route]:
        raise NotImplementedError

    def error_response(self, status: int, message: str, kind: str) -> Response:
        raise NotImplementedError

    # -- scripting ---------------------------------------------------------------------------
    def fail(
        self,
        status: int,
        *,
        times: int = 1,
        retry_after: str | None = None,
        message: str = "scripted failure",
    ) -> None:
        """The next `times` valid requests get `status` with the vendor's error JSON."""
        headers = {"retry-after": retry_after} if retry_after is not None else {}
        self._push(times, Fault("status", status=status, headers=headers, body=message))

    def hang(self, seconds: float, *, times: int = 1) -> None:
        """The next `times` valid requests wait `seconds` before answering (to trip client timeouts)."""
        self._push(times, Fault("hang", seconds=seconds))

    def garbage(self, *, times: int = 1) -> None:
        """The next `times` valid requests get HTTP 200 with a body that is not JSON."""
        self._push(times, Fault("garbage"))

    def _push(self, times: int, fault: Fault) -> None:
        with self._lock:
            self._faults.extend([fault] * times)

    def _take_fault(self, kinds: tuple[str, ...] = ("status", "hang", "garbage")) -> Fault | None:
        with self._lock:
            if self._faults and self._faults[0].kind in kinds:
                return self._faults.popleft()
        return None

    async def apply_fault(self) -> Response | None:
        fault = self._take_fault()
        if fault is None:
            return None
        if fault.kind == "hang":
            await asyncio.sleep(fault.seconds)
            return None
        if fault.kind == "garbage":
            return Response("<html>502 Bad Gateway</html>", status_code=200, media_type="application/json")
        response = self.error_response(fault.status, str(fault.body), _kind_for(fault.status))
        response.headers.update(fault.headers)
        return response

    # -- recording ---------------------------------------------------------------------------
    async def record(self, request: Request) -> Call:
        raw = await request.body()
        call = Call(
            method=request.method,
            path=request.url.path,
            query={k: request.query_params.getlist(k) for k in request.query_params},
            headers={k.lower(): v for k, v in request.headers.items()},
            raw=raw,
        )
        kind = call.headers.get("content-type", "")
        if kind.startswith("application/json"):
            try:
                call.json = json.loads(raw)
            except ValueError:
                call.json = None
        elif kind.startswith("multipart/form-data"):
            form = await request.form(max_part_size=30 * 1024 * 1024)
            for name, value in form.multi_items():
                if isinstance(value, UploadFile):
                    ctype = value.headers.get("content-type")
                    call.files.append(UploadedFile(name, value.filename, ctype, await value.read()))
                else:
                    call.form.setdefault(name, []).append(value)
        with self._lock:
            self.calls.append(call)
        return call

    def wrap(self, handler: Any) -> Any:
        async def endpoint(request: Request) -> Response:
            try:
                return await handler(request)  # type: ignore[no-any-return]
            except ApiError as err:
                return self.error_response(err.status, err.message, err.kind)

        return endpoint

    # -- lifecycle ---------------------------------------------------------------------------
    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Self:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        self.port = sock.getsockname()[1]
        app = Starlette(routes=self.routes())
        config = uvicorn.Config(
            app,
            lifespan="off",
            log_level="warning",
            access_log=False,
            http="h11",
            ws="none",
            loop="asyncio",
            timeout_graceful_shutdown=1,
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [sock]}, name=f"{type(self).__name__}", daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"{type(self).__name__} did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        if self._server is not None and self._thread is not None:
            self._server.should_exit = True
            self._thread.join(timeout=10)
        self._server = None
        self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _kind_for(status: int) -> str:
    return {
        400: "invalid_request_error",
        401: "authentication_error",
        403: "permission_error",
        404: "not_found_error",
        413: "request_too_large",
        429: "rate_limit_error",
        529: "overloaded_error",
    }.get(status, "api_error")


def json_error(status: int, body: dict[str, Any]) -> JSONResponse:
    return JSONResponse(body, status_code=status)
