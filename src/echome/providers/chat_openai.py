"""OpenAI Chat Completions (`POST {base_url}/chat/completions`), whole or streamed (server-sent events).

Any server that speaks the same API works through `base_url`: Ollama (`http://host:11434/v1`), vLLM,
llama.cpp's server, LM Studio; those usually need no key.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Generator, Sequence
from typing import Any

import httpx
from httpx_sse import EventSource

from echome.providers.base import ChatMessage, ChatResult, ChatStream, ProviderError
from echome.providers.http_retry import MalformedBody, RetryPolicy, scrub


def schema_name(schema: dict[str, Any], default: str = "response") -> str:
    """A name the APIs accept (letters, digits, _ and -, at most 64) from the schema's title."""
    name = re.sub(r"[^A-Za-z0-9_-]+", "_", str(schema.get("title") or default)).strip("_")
    return (name or default)[:64]


class OpenAIChat:
    def __init__(
        self,
        api_key: str | None = None,
        *,
        base_url: str = "https://api.openai.com/v1",
        model: str = "gpt-4o-mini",
        timeout: float = 30.0,
        max_retries: int = 2,
        backoff_base: float = 0.5,
        backoff_max: float = 8.0,
        max_retry_wait: float = 20.0,
        max_tokens_param: str = "max_tokens",
        stream_usage: bool = True,
        sleep: Callable[[float], None] = time.sleep,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.name = f"openai:{model}"
        self.model = model
        self.base_url = base_url.rstrip("/")
        # Newer OpenAI reasoning models take `max_completion_tokens`; compatible servers take `max_tokens`.
        self.max_tokens_param = max_tokens_param
        # `stream_options.include_usage` reports tokens at the end of a stream; a few servers reject it.
        self.stream_usage = stream_usage
        self._secret = api_key or None
        self._policy = RetryPolicy(
            max_retries=max_retries, base=backoff_base, cap=backoff_max, max_wait=max_retry_wait, sleep=sleep
        )
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._client = httpx.Client(
            base_url=self.base_url, headers=headers, timeout=timeout, transport=transport
        )

    def __repr__(self) -> str:
        key = "***" if self._secret else None
        return f"OpenAIChat(model={self.model!r}, base_url={self.base_url!r}, api_key={key!r})"

    def close(self) -> None:
        self._client.close()

    def _body(
        self,
        messages: Sequence[ChatMessage],
        *,
        temperature: float,
        max_tokens: int,
        json_schema: dict[str, Any] | None = None,
        stream: bool = False,
    ) -> dict[str, Any]:
        if not messages:
            raise ProviderError("no messages to send")
        body: dict[str, Any] = {
            "model": self.model,
            "messages": [{"role": m.role, "content": m.content} for m in messages],
            "temperature": temperature,
            self.max_tokens_param: max_tokens,
        }
        if json_schema is not None:
            body["response_format"] = {
                "type": "json_schema",
                "json_schema": {"name": schema_name(json_schema), "schema": json_schema, "strict": True},
            }
        if stream:
            body["stream"] = True
            if self.stream_usage:
                body["stream_options"] = {"include_usage": True}
        return body

    def _describe(self, response: httpx.Response) -> str:
        detail = ""
        try:
            err = response.json().get("error")
            if isinstance(err, dict):
                detail = str(err.get("message") or err.get("code") or "")
            elif isinstance(err, str):
                detail = err
        except (ValueError, AttributeError):
            pass
        message = f"OpenAI chat failed: HTTP {response.status_code}"
        return scrub(f"{message}: {detail}" if detail else message, self._secret)

    def complete(
        self,
        messages: Sequence[ChatMessage],
        *,
        json_schema: dict[str, Any] | None = None,
        temperature: float = 0.3,
        max_tokens: int = 800,
    ) -> ChatResult:
        body = self._body(messages, temperature=temperature, max_tokens=max_tokens, json_schema=json_schema)
        request = self._client.build_request("POST", "/chat/completions", json=body)
        data = self._policy.send(
            self._client, request, vendor="OpenAI chat", describe=self._describe, parse=_parse_completion
        )
        message = data["choices"][0].get("message") or {}
        if message.get("refusal"):
            raise ProviderError(scrub(f"the model refused: {message['refusal']}", self._secret))
        usage = data.get("usage") or {}
        return ChatResult(
            text=message.get("content") or "",
            model=str(data.get("model") or self.model),
            input_tokens=int(usage.get("prompt_tokens") or 0),
            output_tokens=int(usage.get("completion_tokens") or 0),
        )

    def stream(
        self, messages: Sequence[ChatMessage], *, temperature: float = 0.3, max_tokens: int = 800
    ) -> ChatStream:
        body = self._body(messages, temperature=temperature, max_tokens=max_tokens, stream=True)
        request = self._client.build_request("POST", "/chat/completions", json=body)
        response = self._policy.send(
            self._client, request, vendor="OpenAI chat", describe=self._describe, stream=True
        )
        return ChatStream(self.model, lambda out: self._pieces(response, out), on_close=response.close)

    def _pieces(self, response: httpx.Response, out: ChatStream) -> Generator[str, None, None]:
        finished = False
        try:
            for event in EventSource(response).iter_sse():
                if event.data.strip() == "[DONE]":
                    return
                if not event.data:
                    continue
                try:
                    chunk = event.json()
                except ValueError:
                    raise ProviderError("OpenAI chat stream sent a malformed event", transient=True) from None
                if chunk.get("error"):
                    err = chunk["error"]
                    text = err.get("message", "") if isinstance(err, dict) else str(err)
                    raise ProviderError(
                        scrub(f"OpenAI chat stream failed: {text}", self._secret), transient=True
                    )
                out.model = str(chunk.get("model") or out.model)
                if chunk.get("usage"):
                    out.input_tokens = int(chunk["usage"].get("prompt_tokens") or 0)
                    out.output_tokens = int(chunk["usage"].get("completion_tokens") or 0)
                for choice in chunk.get("choices") or []:
                    piece = (choice.get("delta") or {}).get("content")
                    if piece:
                        yield piece
                    if choice.get("finish_reason"):
                        finished = True
        except httpx.HTTPError as exc:
            text = f"OpenAI chat stream broke off ({type(exc).__name__}: {exc})"
            raise ProviderError(scrub(text, self._secret), transient=True) from None
        finally:
            response.close()
        if not finished:  # some compatible servers omit [DONE] but always send a finish_reason
            raise ProviderError("OpenAI chat stream ended before the reply was complete", transient=True)


def _parse_completion(response: httpx.Response) -> dict[str, Any]:
    try:
        data = response.json()
        data["choices"][0]
    except (ValueError, KeyError, IndexError, TypeError) as exc:
        raise MalformedBody(type(exc).__name__) from None
    return data  # type: ignore[no-any-return]
