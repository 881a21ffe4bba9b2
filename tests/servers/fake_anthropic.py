"""Fake Anthropic Messages API: `POST /v1/messages`, plain, forced tool use and SSE streaming.

Replies come from `replies` (FIFO): a str is the text of the answer; for a request that forces a
tool, a dict (or a JSON string) is the tool's input. With nothing queued the fake echoes the last
user message, or answers a forced tool with a minimal instance of its input_schema.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections import deque
from collections.abc import AsyncIterator
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from tests.servers import ApiError, Call, FakeService, Fault
from tests.servers.fake_openai import example_instance

MESSAGE_KEYS = {
    "model", "messages", "max_tokens", "system", "temperature", "top_p", "top_k", "stop_sequences",
    "stream", "metadata", "tools", "tool_choice", "thinking", "service_tier",
}  # fmt: skip
VERSIONS = {"2023-06-01", "2023-01-01"}


class FakeAnthropic(FakeService):
    def __init__(self, api_key: str = "sk-ant-test-fake-0123456789") -> None:
        super().__init__(api_key)
        self.replies: deque[str | dict[str, Any]] = deque()

    @property
    def base_url(self) -> str:
        return self.url

    def reply(self, *replies: str | dict[str, Any]) -> None:
        self.replies.extend(replies)

    def stream_error(self, *, times: int = 1) -> None:
        """The next `times` streams send one piece, then an `overloaded_error` event."""
        self._push(times, Fault("stream_error"))

    def routes(self) -> list[Route]:
        return [Route("/v1/messages", self.wrap(self._messages), methods=["POST"])]

    def error_response(self, status: int, message: str, kind: str) -> Response:
        if status == 529:
            kind = "overloaded_error"
        return JSONResponse(
            {"type": "error", "error": {"type": kind, "message": message}}, status_code=status
        )

    def _check_headers(self, call: Call) -> None:
        key = call.headers.get("x-api-key")
        if not key:
            raise ApiError(401, "x-api-key header is required", "authentication_error")
        if key != self.api_key:
            raise ApiError(401, "invalid x-api-key", "authentication_error")
        version = call.headers.get("anthropic-version")
        if not version:
            raise ApiError(400, "anthropic-version: header is required")
        if version not in VERSIONS:
            raise ApiError(400, f"anthropic-version: invalid version {version}")

    async def _messages(self, request: Request) -> Response:
        call = await self.record(request)
        self._check_headers(call)
        if not isinstance(call.json, dict):
            raise ApiError(400, "Request body is not valid JSON")
        body: dict[str, Any] = call.json
        forced = _validate(body)
        fault = await self.apply_fault()
        if fault is not None:
            return fault
        queued = self.replies.popleft() if self.replies else None
        last_user = next((m["content"] for m in reversed(body["messages"]) if m["role"] == "user"), "")
        input_tokens = len(str(body.get("system", "")).split()) + sum(
            len(str(m["content"]).split()) for m in body["messages"]
        )
        if forced is not None:
            tool_input = json.loads(queued) if isinstance(queued, str) else queued
            if tool_input is None:
                tool_input = example_instance(forced["input_schema"])
            content = [
                {"type": "tool_use", "id": "toolu_fake01", "name": forced["name"], "input": tool_input}
            ]
            stop, out_tokens = "tool_use", len(json.dumps(tool_input).split())
        else:
            text = queued if isinstance(queued, str) else f"echo: {last_user}"
            content = [{"type": "text", "text": text}]
            stop, out_tokens = "end_turn", len(text.split())
        message = {
            "id": f"msg_fake{len(self.calls)}",
            "type": "message",
            "role": "assistant",
            "model": body["model"],
            "content": content,
            "stop_reason": stop,
            "stop_sequence": None,
            "usage": {"input_tokens": input_tokens, "output_tokens": out_tokens},
        }
        if body.get("stream"):
            broken = self._take_fault(("stream_error",)) is not None
            return StreamingResponse(_sse(message, broken), media_type="text/event-stream")
        return JSONResponse(message)


def _validate(body: dict[str, Any]) -> dict[str, Any] | None:
    """Raise the API's 400 for a bad request; returns the forced tool, if any."""
    for key in sorted(set(body) - MESSAGE_KEYS):
        raise ApiError(400, f"{key}: Extra inputs are not permitted")
    if not body.get("model"):
        raise ApiError(400, "model: Field required")
    if "max_tokens" not in body:
        raise ApiError(400, "max_tokens: Field required")
    if not isinstance(body["max_tokens"], int) or body["max_tokens"] < 1:
        raise ApiError(400, "max_tokens: Input should be greater than or equal to 1")
    temperature = body.get("temperature", 1.0)
    if not isinstance(temperature, int | float) or not 0 <= temperature <= 1:
        raise ApiError(400, "temperature: Input should be less than or equal to 1")
    system = body.get("system")
    if system is not None and not isinstance(system, str | list):
        raise ApiError(400, "system: Input should be a valid string")
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        raise ApiError(400, "messages: at least one message is required")
    for i, m in enumerate(messages):
        role = m.get("role") if isinstance(m, dict) else None
        if role == "system":
            raise ApiError(
                400,
                'messages: Unexpected role "system". The Messages API accepts a top-level `system` '
                'parameter, not "system" as an input message role.',
            )
        if role not in ("user", "assistant"):
            raise ApiError(400, f"messages.{i}.role: Input should be 'user' or 'assistant'")
        content = m.get("content")
        if isinstance(content, str) and not content.strip():
            raise ApiError(400, f"messages.{i}: text content blocks must be non-empty")
        if not isinstance(content, str | list):
            raise ApiError(400, f"messages.{i}.content: Input should be a valid list")
    tools = body.get("tools") or []
    names = {}
    for i, tool in enumerate(tools):
        if not re.fullmatch(r"[a-zA-Z0-9_-]{1,64}", str(tool.get("name", ""))):
            raise ApiError(400, f"tools.{i}.name: String should match pattern '^[a-zA-Z0-9_-]{{1,64}}$'")
        schema = tool.get("input_schema")
        if not isinstance(schema, dict) or schema.get("type") != "object":
            raise ApiError(400, f"tools.{i}.input_schema.type: Input should be 'object'")
        names[tool["name"]] = tool
    choice = body.get("tool_choice")
    if choice is None:
        return None
    if choice.get("type") not in ("auto", "any", "tool", "none"):
        raise ApiError(400, "tool_choice.type: Input tag does not match any of the expected tags")
    if choice["type"] != "tool":
        return None
    if choice.get("name") not in names:
        raise ApiError(400, f"tool_choice: tool '{choice.get('name')}' not found in tools")
    return names[choice["name"]]  # type: ignore[no-any-return]


def _event(name: str, data: dict[str, Any]) -> bytes:
    return f"event: {name}\ndata: {json.dumps(data)}\n\n".encode()


async def _sse(message: dict[str, Any], broken: bool) -> AsyncIterator[bytes]:
    start = {**message, "content": [], "stop_reason": None, "usage": {**message["usage"], "output_tokens": 1}}
    yield _event("message_start", {"type": "message_start", "message": start})
    text = "".join(b.get("text", "") for b in message["content"])
    yield _event(
        "content_block_start",
        {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
    )
    yield _event("ping", {"type": "ping"})
    for i, piece in enumerate(re.findall(r"\s*\S+", text) or [text]):
        delta = {"type": "text_delta", "text": piece}
        yield _event("content_block_delta", {"type": "content_block_delta", "index": 0, "delta": delta})
        await asyncio.sleep(0)
        if broken and i == 0:
            error = {"type": "overloaded_error", "message": "Overloaded"}
            yield _event("error", {"type": "error", "error": error})
            return
    yield _event("content_block_stop", {"type": "content_block_stop", "index": 0})
    yield _event(
        "message_delta",
        {
            "type": "message_delta",
            "delta": {"stop_reason": message["stop_reason"], "stop_sequence": None},
            "usage": {"output_tokens": message["usage"]["output_tokens"]},
        },
    )
    yield _event("message_stop", {"type": "message_stop"})
