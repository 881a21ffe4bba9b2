"""Anthropic Messages API (`POST {base_url}/v1/messages`).

The system prompt is the top-level `system` field (the API refuses a "system" message role),
`max_tokens` is required, temperature tops out at 1.0. JSON output goes through a forced tool call:
the tool's `input_schema` is the wanted schema and its input comes back as the JSON text.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Generator, Sequence
from typing import Any

import httpx
from httpx_sse import EventSource

from echome.providers.base import ChatMessage, ChatResult, ChatStream, ProviderError
from echome.providers.chat_openai import schema_name
from echome.providers.http_retry import MalformedBody, RetryPolicy, scrub

API_VERSION = "2023-06-01"
_WRAPPED = "value"  # input_schema must be an object; other schemas travel wrapped under this key


class AnthropicChat:
    def __init__(
        self,
        api_key: str,
        *,
        base_url: str = "https://api.anthropic.com",
        model: str = "claude-3-5-haiku-latest",
        timeout: float = 30.0,
        max_retries: int = 2,
        backoff_base: float = 0.5,
        backoff_max: float = 8.0,
        max_retry_wait: float = 20.0,
        sleep: Callable[[float], None] = time.sleep,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        if not api_key:
            raise ProviderError("the Anthropic chat model needs an API key")
        self.name = f"anthropic:{model}"
        self.model = model
        self.base_url = base_url.rstrip("/")
        self._secret = api_key
        self._policy = RetryPolicy(
            max_retries=max_retries, base=backoff_base, cap=backoff_max, max_wait=max_retry_wait, sleep=sleep
        )
        self._client = httpx.Client(
            base_url=self.base_url,
            headers={"x-api-key": api_key, "anthropic-version": API_VERSION},
            timeout=timeout,
            transport=transport,
        )

    def __repr__(self) -> str:
        return f"AnthropicChat(model={self.model!r}, base_url={self.base_url!r}, api_key='***')"

    def close(self) -> None:
        self._client.close()

    def _body(
        self, messages: Sequence[ChatMessage], *, temperature: float, max_tokens: int
    ) -> dict[str, Any]:
        system = [m.content for m in messages if m.role == "system" and m.content.strip()]
        turns: list[dict[str, Any]] = []
        for m in messages:
            if m.role == "system" or not m.content.strip():  # empty text blocks are refused
                continue
            if turns and turns[-1]["role"] == m.role:  # keep turns alternating
                turns[-1]["content"] += "\n\n" + m.content
            else:
                turns.append({"role": m.role, "content": m.content})
        if not turns:
            raise ProviderError("no user or assistant message to send")
        body: dict[str, Any] = {
            "model": self.model,
            "max_tokens": max(1, int(max_tokens)),
            "messages": turns,
            "temperature": min(max(float(temperature), 0.0), 1.0),
        }
        if system:
            body["system"] = "\n\n".join(system)
        return body

    def _describe(self, response: httpx.Response) -> str:
        detail = ""
        try:
            err = response.json().get("error") or {}
            detail = f"{err.get('type', '')}: {err.get('message', '')}".strip(": ")
        except (ValueError, AttributeError):
            pass
        message = f"Anthropic chat failed: HTTP {response.status_code}"
        return scrub(f"{message} ({detail})" if detail else message, self._secret)

    def complete(
        self,
        messages: Sequence[ChatMessage],
        *,
        json_schema: dict[str, Any] | None = None,
        temperature: float = 0.3,
        max_tokens: int = 800,
    ) -> ChatResult:
        body = self._body(messages, temperature=temperature, max_tokens=max_tokens)
        tool = None
        wrapped = False
        if json_schema is not None:
            tool = schema_name(json_schema)
            wrapped = json_schema.get("type") != "object"
            schema = (
                {"type": "object", "properties": {_WRAPPED: json_schema}, "required": [_WRAPPED]}
                if wrapped
                else json_schema
            )
            body["tools"] = [
                {
                    "name": tool,
                    "description": "Record the answer. Its input is the complete answer.",
                    "input_schema": schema,
                }
            ]
            body["tool_choice"] = {"type": "tool", "name": tool}
        request = self._client.build_request("POST", "/v1/messages", json=body)
        data = self._policy.send(
            self._client, request, vendor="Anthropic chat", describe=self._describe, parse=_parse_message
        )
        blocks = data["content"]
        text = "".join(b.get("text", "") for b in blocks if b.get("type") == "text")
        if tool is not None:
            for b in blocks:
                if b.get("type") == "tool_use" and b.get("name") == tool:
                    value = b.get("input")
                    if wrapped and isinstance(value, dict):
                        value = value.get(_WRAPPED)
                    text = json.dumps(value, ensure_ascii=False)
                    break
        usage = data.get("usage") or {}
        return ChatResult(
            text=text,
            model=str(data.get("model") or self.model),
            input_tokens=int(usage.get("input_tokens") or 0),
            output_tokens=int(usage.get("output_tokens") or 0),
        )

    def stream(
        self, messages: Sequence[ChatMessage], *, temperature: float = 0.3, max_tokens: int = 800
    ) -> ChatStream:
        body = self._body(messages, temperature=temperature, max_tokens=max_tokens)
        body["stream"] = True
        request = self._client.build_request("POST", "/v1/messages", json=body)
        response = self._policy.send(
            self._client, request, vendor="Anthropic chat", describe=self._describe, stream=True
        )
        return ChatStream(self.model, lambda out: self._pieces(response, out), on_close=response.close)

    def _pieces(self, response: httpx.Response, out: ChatStream) -> Generator[str, None, None]:
        try:
            for event in EventSource(response).iter_sse():
                if not event.data:
                    continue
                try:
                    payload = event.json()
                except ValueError:
                    raise ProviderError("Anthropic stream sent a malformed event", transient=True) from None
                kind = payload.get("type") or event.event
                if kind == "message_start":
                    message = payload.get("message") or {}
                    out.model = str(message.get("model") or out.model)
                    out.input_tokens = int((message.get("usage") or {}).get("input_tokens") or 0)
                elif kind == "content_block_delta":
                    delta = payload.get("delta") or {}
                    if delta.get("type") == "text_delta" and delta.get("text"):
                        yield delta["text"]
                elif kind == "message_delta":
                    out.output_tokens = int((payload.get("usage") or {}).get("output_tokens") or 0)
                elif kind == "message_stop":
                    return
                elif kind == "error":
                    err = payload.get("error") or {}
                    transient = err.get("type") in ("overloaded_error", "api_error", "rate_limit_error")
                    text = f"Anthropic stream failed ({err.get('type')}: {err.get('message')})"
                    raise ProviderError(scrub(text, self._secret), transient=transient)
        except httpx.HTTPError as exc:
            text = f"Anthropic stream broke off ({type(exc).__name__}: {exc})"
            raise ProviderError(scrub(text, self._secret), transient=True) from None
        finally:
            response.close()
        raise ProviderError("Anthropic stream ended before message_stop", transient=True)


def _parse_message(response: httpx.Response) -> dict[str, Any]:
    try:
        data = response.json()
        if not isinstance(data["content"], list):
            raise TypeError("content is not a list")
    except (ValueError, KeyError, TypeError) as exc:
        raise MalformedBody(type(exc).__name__) from None
    return data  # type: ignore[no-any-return]
