"""OpenAI Chat Completions (`POST {base_url}/chat/completions`).

Any server that speaks the same API works through `base_url`: Ollama (`http://host:11434/v1`), vLLM,
llama.cpp's server, LM Studio; those usually need no key. This module also holds the retry and
server-sent-events helpers the Anthropic adapter shares.
"""

from __future__ import annotations

import json
import random
import re
import time
from collections.abc import Callable, Generator, Iterator, Sequence
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from echome.providers.base import ChatMessage, ChatResult, ProviderError

# The statuses worth trying again: timeouts, conflicts, rate limits, server errors, Anthropic's 529.
RETRY_STATUSES = frozenset({408, 409, 429, 500, 502, 503, 504, 529})


class MalformedBody(Exception):
    """A 2xx answer whose body is not what the API promises (proxies and overloaded servers do this)."""


def retry_after_seconds(headers: httpx.Headers) -> float | None:
    """How long the server asks us to wait: `retry-after-ms`, `retry-after` seconds or an HTTP date."""
    ms = headers.get("retry-after-ms")
    if ms:
        try:
            return max(0.0, float(ms) / 1000.0)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


class RetryPolicy:
    """Exponential backoff with jitter; a server's Retry-After wins when it gives one."""

    def __init__(
        self,
        *,
        max_retries: int = 2,
        base: float = 0.5,
        cap: float = 8.0,
        max_wait: float = 20.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.max_retries = max(0, max_retries)
        self.base = base
        self.cap = cap
        self.max_wait = max_wait  # a longer Retry-After fails now instead of stalling a live reply
        self.sleep = sleep
        self._rng = random.Random()

    def delay(self, attempt: int, retry_after: float | None) -> float | None:
        """Seconds to wait before attempt `attempt + 1`, or None when the server wants too long a pause."""
        if retry_after is not None:
            return retry_after if retry_after <= self.max_wait else None
        return min(self.cap, self.base * 2**attempt) * self._rng.uniform(0.5, 1.0)


def scrub(text: str, secret: str | None) -> str:
    """Error text for logs and users: never the key, never a page of HTML."""
    if secret:
        text = text.replace(secret, "***")
    text = " ".join(text.split())
    return text[:300]


def send_with_retries(
    client: httpx.Client,
    request: httpx.Request,
    *,
    policy: RetryPolicy,
    vendor: str,
    describe: Callable[[httpx.Response], str],
    stream: bool = False,
    parse: Callable[[httpx.Response], Any] | None = None,
) -> Any:
    """Send `request`, retrying transient failures; returns `parse(response)` or the open response."""
    for attempt in range(policy.max_retries + 1):
        last = attempt == policy.max_retries
        retry_after: float | None = None
        try:
            response = client.send(request, stream=stream)
        except httpx.TimeoutException:
            problem = f"{vendor} did not answer within the timeout"
        except httpx.TransportError as exc:
            problem = f"{vendor} unreachable ({type(exc).__name__})"
        else:
            if response.status_code < 400:
                if parse is None:
                    return response
                try:
                    return parse(response)
                except MalformedBody as exc:
                    problem = f"{vendor} sent a malformed answer ({exc})"
            else:
                if stream:
                    response.read()
                    response.close()
                problem = describe(response)
                if response.status_code not in RETRY_STATUSES:
                    raise ProviderError(problem, transient=False)
                retry_after = retry_after_seconds(response.headers)
        tries = f"{attempt + 1} attempt{'s' if attempt else ''}"
        if last:
            raise ProviderError(f"{problem} (gave up after {tries})", transient=True)
        wait = policy.delay(attempt, retry_after)
        if wait is None:
            raise ProviderError(f"{problem} (asked to wait {retry_after:.0f} s; gave up)", transient=True)
        policy.sleep(wait)
    raise AssertionError("unreachable")  # pragma: no cover


def iter_sse(response: httpx.Response) -> Iterator[tuple[str | None, str]]:
    """(event, data) pairs of a text/event-stream body; multi-line data is joined with newlines."""
    event: str | None = None
    data: list[str] = []
    for line in response.iter_lines():
        if not line:
            if data:
                yield event, "\n".join(data)
            event, data = None, []
            continue
        if line.startswith(":"):
            continue
        name, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if name == "event":
            event = value
        elif name == "data":
            data.append(value)
    if data:
        yield event, "\n".join(data)


class TextStream(Iterator[str]):
    """Reply text piece by piece; `model`, `input_tokens` and `output_tokens` are set once it ends.

    Close it (or use `with`) when stopping early so the HTTP connection is released.
    """

    def __init__(
        self,
        response: httpx.Response,
        pieces: Callable[[TextStream], Generator[str, None, None]],
        model: str,
    ) -> None:
        self.model = model
        self.input_tokens = 0
        self.output_tokens = 0
        self._response = response
        self._pieces = pieces(self)

    def __iter__(self) -> TextStream:
        return self

    def __next__(self) -> str:
        return next(self._pieces)

    def close(self) -> None:
        self._pieces.close()
        self._response.close()

    def __enter__(self) -> TextStream:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


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
        data = send_with_retries(
            self._client,
            request,
            policy=self._policy,
            vendor="OpenAI chat",
            describe=self._describe,
            parse=_parse_completion,
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
    ) -> TextStream:
        """Text pieces as the model writes them (connection errors before the first byte are retried)."""
        body = self._body(messages, temperature=temperature, max_tokens=max_tokens, stream=True)
        request = self._client.build_request("POST", "/chat/completions", json=body)
        response = send_with_retries(
            self._client,
            request,
            policy=self._policy,
            vendor="OpenAI chat",
            describe=self._describe,
            stream=True,
        )
        return TextStream(response, lambda s: self._pieces(response, s), self.model)

    def _pieces(self, response: httpx.Response, out: TextStream) -> Generator[str, None, None]:
        finished = False
        try:
            for _event, data in iter_sse(response):
                if data.strip() == "[DONE]":
                    return
                try:
                    chunk = json.loads(data)
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
            raise ProviderError(
                f"OpenAI chat stream broke off ({type(exc).__name__})", transient=True
            ) from None
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
