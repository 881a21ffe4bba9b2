"""OpenAI-style and Anthropic chat adapters against local fakes of their wire APIs."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import httpx
import pytest

from echome.providers.base import ChatMessage, ChatModel, ChatResult, ChatStream, ProviderError
from echome.providers.chat_anthropic import AnthropicChat
from echome.providers.chat_openai import OpenAIChat
from echome.providers.fakes import ScriptedChat
from echome.providers.http_retry import retry_after_seconds
from tests.servers.fake_anthropic import FakeAnthropic
from tests.servers.fake_openai import FakeOpenAI

pytest_plugins = ["tests.servers.fixtures"]

SYSTEM = ChatMessage("system", "You are Dana, a friendly seller.")
ASK = ChatMessage("user", "Does the blender crush ice?")
ANSWER_SCHEMA: dict[str, Any] = {
    "title": "Answer",
    "type": "object",
    "properties": {"answer": {"type": "string"}, "confident": {"type": "boolean"}},
    "required": ["answer", "confident"],
    "additionalProperties": False,
}


def _openai(server: FakeOpenAI, sleeps: list[float] | None = None, **kw: Any) -> OpenAIChat:
    """No real sleeping between retries: the waits are recorded in `sleeps`."""
    sleep = (sleeps if sleeps is not None else []).append
    return OpenAIChat(server.api_key, base_url=server.base_url, sleep=sleep, **kw)


# -- OpenAI ------------------------------------------------------------------------------------
def test_openai_request_shape_and_usage(fake_openai: FakeOpenAI) -> None:
    chat = _openai(fake_openai)
    assert isinstance(chat, ChatModel) and chat.name == "openai:gpt-4o-mini"
    fake_openai.reply("Yes, in ten seconds flat.")
    result = chat.complete([SYSTEM, ASK], temperature=0.2, max_tokens=50)
    expected = ChatResult("Yes, in ten seconds flat.", "gpt-4o-mini", input_tokens=11, output_tokens=5)
    assert result == expected
    [call] = fake_openai.calls
    assert (call.method, call.path) == ("POST", "/v1/chat/completions")
    assert call.headers["authorization"] == f"Bearer {fake_openai.api_key}"
    assert call.json == {
        "model": "gpt-4o-mini",
        "messages": [
            {"role": "system", "content": "You are Dana, a friendly seller."},
            {"role": "user", "content": "Does the blender crush ice?"},
        ],
        "temperature": 0.2,
        "max_tokens": 50,
    }
    assert fake_openai.api_key not in repr(chat) and "***" in repr(chat)


def test_openai_compatible_server_needs_no_key(fake_openai_compatible: FakeOpenAI) -> None:
    server = fake_openai_compatible
    chat = OpenAIChat(base_url=server.base_url, model="llama3.2:3b", max_tokens_param="max_tokens")
    result = chat.complete([ChatMessage("user", "hi there")])
    assert result.text == "echo: hi there" and result.model == "llama3.2:3b"
    [call] = server.calls
    assert call.path == "/ollama/v1/chat/completions"
    assert "authorization" not in call.headers
    assert call.json["model"] == "llama3.2:3b" and call.json["max_tokens"] == 800
    assert repr(chat).endswith("api_key=None)")


def test_openai_json_schema_is_sent_strict(fake_openai: FakeOpenAI) -> None:
    result = _openai(fake_openai).complete([ASK], json_schema=ANSWER_SCHEMA)
    assert json.loads(result.text) == {"answer": "example", "confident": True}
    assert fake_openai.calls[0].json["response_format"] == {
        "type": "json_schema",
        "json_schema": {"name": "Answer", "schema": ANSWER_SCHEMA, "strict": True},
    }


def test_openai_schema_the_api_refuses_is_a_permanent_error(fake_openai: FakeOpenAI) -> None:
    loose = {"type": "object", "properties": {"answer": {"type": "string"}}}
    with pytest.raises(ProviderError) as err:
        _openai(fake_openai, sleeps=[]).complete([ASK], json_schema=loose)
    assert err.value.transient is False
    assert "HTTP 400" in str(err.value) and "additionalProperties" in str(err.value)
    assert len(fake_openai.calls) == 1


def test_openai_stream_pieces_and_usage(fake_openai: FakeOpenAI) -> None:
    fake_openai.reply("Hello there, friend!")
    with _openai(fake_openai).stream([SYSTEM, ASK], max_tokens=20) as stream:
        pieces = list(stream)
    assert pieces == ["Hello", " there,", " friend!"]
    assert (stream.model, stream.input_tokens, stream.output_tokens) == ("gpt-4o-mini", 11, 3)
    body = fake_openai.calls[0].json
    assert body["stream"] is True and body["stream_options"] == {"include_usage": True}
    assert body["max_tokens"] == 20


def test_openai_stream_cut_short_is_a_transient_error(fake_openai: FakeOpenAI) -> None:
    fake_openai.reply("one two three")
    fake_openai.cut_stream()
    stream = _openai(fake_openai).stream([ASK])
    assert next(stream) == "one"
    with pytest.raises(ProviderError) as err:
        list(stream)
    assert err.value.transient is True and "before the reply was complete" in str(err.value)


def test_openai_stream_retries_failures_before_the_first_piece(fake_openai: FakeOpenAI) -> None:
    sleeps: list[float] = []
    fake_openai.fail(503)
    fake_openai.reply("Back again")
    with _openai(fake_openai, sleeps).stream([ASK]) as stream:
        assert isinstance(stream, ChatStream)
        assert list(stream) == ["Back", " again"]
    assert len(fake_openai.chat_calls()) == 2 and len(sleeps) == 1
    assert all(c.json["stream"] is True for c in fake_openai.chat_calls())


def test_openai_stream_bad_key_is_permanent(fake_openai: FakeOpenAI) -> None:
    chat = OpenAIChat("sk-wrong-key-abcdefghijklmnop", base_url=fake_openai.base_url, sleep=[].append)
    with pytest.raises(ProviderError) as err:
        chat.stream([ASK])
    assert err.value.transient is False and "HTTP 401" in str(err.value)
    assert len(fake_openai.calls) == 1


def _sse_transport(chunks: list[bytes], seen: list[httpx.Request], content_type: str) -> httpx.MockTransport:
    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, headers={"content-type": content_type}, content=iter(chunks))

    return httpx.MockTransport(handler)


def test_openai_stream_reads_any_sse_framing() -> None:
    """Comments, CRLF line ends, `retry:` fields, events split across reads, multi-line data, and
    raw U+2028 in the text (a line break to str.splitlines, not to SSE)."""
    chunks = [
        b": keep-alive\r\n\r\n",
        b'data: {"model": "llama3.2:3b", "choices": [{"delta": {"content": "Hel',
        'lo\u2028"}}]}\r\n\r\nretry: 3000\r\n\r\n'.encode(),
        b'data: {"choices": [{"delta": {"content": " you"}, "finish_reason": "stop"}],\r\n',
        b'data: "usage": {"prompt_tokens": 4, "completion_tokens": 2}}\r\n\r\n',
        b"data: [DONE]\r\n\r\n",
    ]
    seen: list[httpx.Request] = []
    chat = OpenAIChat(
        base_url="http://llm.invalid/v1", transport=_sse_transport(chunks, seen, "text/event-stream")
    )
    with chat.stream([ASK], temperature=0.1, max_tokens=5) as stream:
        assert list(stream) == ["Hello\u2028", " you"]
    assert (stream.model, stream.input_tokens, stream.output_tokens) == ("llama3.2:3b", 4, 2)
    [request] = seen
    assert (request.method, request.url.path) == ("POST", "/v1/chat/completions")
    assert json.loads(request.content) == {
        "model": "gpt-4o-mini",
        "messages": [{"role": "user", "content": "Does the blender crush ice?"}],
        "temperature": 0.1,
        "max_tokens": 5,
        "stream": True,
        "stream_options": {"include_usage": True},
    }


def test_openai_stream_that_is_not_sse_is_a_transient_error() -> None:
    chunks = [b'{"choices": []}']
    chat = OpenAIChat(
        base_url="http://llm.invalid/v1", transport=_sse_transport(chunks, [], "application/json")
    )
    with pytest.raises(ProviderError) as err:
        list(chat.stream([ASK]))
    assert err.value.transient is True and "text/event-stream" in str(err.value)


def test_openai_stream_without_usage_option(fake_openai_compatible: FakeOpenAI) -> None:
    chat = OpenAIChat(base_url=fake_openai_compatible.base_url, model="llama3.2:3b", stream_usage=False)
    with chat.stream([ChatMessage("user", "hi there")]) as stream:
        assert "".join(stream) == "echo: hi there"
    body = fake_openai_compatible.calls[0].json
    assert body["stream"] is True and "stream_options" not in body
    assert (stream.model, stream.input_tokens, stream.output_tokens) == ("llama3.2:3b", 0, 0)


def test_openai_retries_honour_retry_after_then_back_off(fake_openai: FakeOpenAI) -> None:
    sleeps: list[float] = []
    fake_openai.fail(429, retry_after="0.25")
    fake_openai.fail(503)
    fake_openai.reply("finally")
    result = _openai(fake_openai, sleeps, max_retries=2, backoff_base=0.5).complete([ASK])
    assert result.text == "finally"
    assert len(fake_openai.calls) == 3
    assert all(c.json == fake_openai.calls[0].json for c in fake_openai.calls)
    assert sleeps[0] == 0.25  # the server's Retry-After
    assert 0.5 <= sleeps[1] <= 1.0  # 0.5 * 2**1 with jitter


def test_openai_gives_up_with_a_transient_error(fake_openai: FakeOpenAI) -> None:
    sleeps: list[float] = []
    fake_openai.fail(500, times=3, message="The server had an error")
    with pytest.raises(ProviderError) as err:
        _openai(fake_openai, sleeps, max_retries=2).complete([ASK])
    assert err.value.transient is True
    assert "HTTP 500: The server had an error" in str(err.value) and "3 attempts" in str(err.value)
    assert len(fake_openai.calls) == 3 and len(sleeps) == 2


def test_openai_long_retry_after_fails_fast(fake_openai: FakeOpenAI) -> None:
    sleeps: list[float] = []
    fake_openai.fail(429, retry_after="120")
    with pytest.raises(ProviderError) as err:
        _openai(fake_openai, sleeps, max_retry_wait=20).complete([ASK])
    assert err.value.transient is True and "120 s" in str(err.value)
    assert sleeps == [] and len(fake_openai.calls) == 1


def test_openai_bad_key_is_permanent_and_not_echoed(fake_openai: FakeOpenAI) -> None:
    key = "sk-wrong-key-abcdefghijklmnop"
    chat = OpenAIChat(key, base_url=fake_openai.base_url, sleep=[].append)
    with pytest.raises(ProviderError) as err:
        chat.complete([ASK])
    assert err.value.transient is False
    assert "HTTP 401: Incorrect API key provided" in str(err.value) and key not in str(err.value)
    assert len(fake_openai.calls) == 1


def test_openai_timeout_is_retried(fake_openai: FakeOpenAI) -> None:
    sleeps: list[float] = []
    fake_openai.hang(3.0)
    fake_openai.reply("after the timeout")
    started = time.monotonic()
    result = _openai(fake_openai, sleeps, timeout=0.5, max_retries=1).complete([ASK])
    assert result.text == "after the timeout"
    assert len(fake_openai.calls) == 2 and len(sleeps) == 1
    assert time.monotonic() - started < 2.5


def test_openai_timeouts_give_up_transient(fake_openai: FakeOpenAI) -> None:
    fake_openai.hang(3.0, times=2)
    with pytest.raises(ProviderError) as err:
        _openai(fake_openai, [], timeout=0.4, max_retries=1).complete([ASK])
    assert err.value.transient is True and "timeout" in str(err.value)


def test_retry_after_header_forms() -> None:
    assert retry_after_seconds(httpx.Headers({"retry-after-ms": "1500", "retry-after": "9"})) == 1.5
    assert retry_after_seconds(httpx.Headers({"retry-after": "3"})) == 3.0
    date = format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    assert 25 < (retry_after_seconds(httpx.Headers({"retry-after": date})) or 0) <= 30
    assert retry_after_seconds(httpx.Headers({"retry-after": "soon"})) is None
    assert retry_after_seconds(httpx.Headers()) is None


def test_openai_malformed_success_body_is_retried(fake_openai: FakeOpenAI) -> None:
    fake_openai.garbage()
    fake_openai.reply("ok now")
    assert _openai(fake_openai, []).complete([ASK]).text == "ok now"
    assert len(fake_openai.calls) == 2


# -- Anthropic ---------------------------------------------------------------------------------
def _anthropic(server: FakeAnthropic, sleeps: list[float] | None = None, **kw: Any) -> AnthropicChat:
    sleep = (sleeps if sleeps is not None else []).append
    return AnthropicChat(server.api_key, base_url=server.base_url, sleep=sleep, **kw)


def test_anthropic_request_shape(fake_anthropic: FakeAnthropic) -> None:
    chat = _anthropic(fake_anthropic)
    assert isinstance(chat, ChatModel) and chat.name == "anthropic:claude-3-5-haiku-latest"
    fake_anthropic.reply("It does, in ten seconds.")
    messages = [
        SYSTEM,
        ChatMessage("user", "Hi"),
        ChatMessage("assistant", "Hello! How can I help?"),
        ChatMessage("user", "Price?"),
        ChatMessage("user", "And colours?"),
    ]
    result = chat.complete(messages, temperature=1.7, max_tokens=300)
    assert result == ChatResult(
        text="It does, in ten seconds.", model="claude-3-5-haiku-latest", input_tokens=15, output_tokens=5
    )
    [call] = fake_anthropic.calls
    assert call.path == "/v1/messages"
    assert call.headers["x-api-key"] == fake_anthropic.api_key
    assert call.headers["anthropic-version"] == "2023-06-01"
    assert call.json == {
        "model": "claude-3-5-haiku-latest",
        "max_tokens": 300,
        "system": "You are Dana, a friendly seller.",
        "messages": [
            {"role": "user", "content": "Hi"},
            {"role": "assistant", "content": "Hello! How can I help?"},
            {"role": "user", "content": "Price?\n\nAnd colours?"},
        ],
        "temperature": 1.0,  # the API's maximum
    }
    assert fake_anthropic.api_key not in repr(chat)


def test_anthropic_json_through_a_forced_tool(fake_anthropic: FakeAnthropic) -> None:
    fake_anthropic.reply({"answer": "yes", "confident": True})
    result = _anthropic(fake_anthropic).complete([ASK], json_schema=ANSWER_SCHEMA)
    assert json.loads(result.text) == {"answer": "yes", "confident": True}
    body = fake_anthropic.calls[0].json
    assert body["tools"] == [
        {
            "name": "Answer",
            "description": "Record the answer. Its input is the complete answer.",
            "input_schema": ANSWER_SCHEMA,
        }
    ]
    assert body["tool_choice"] == {"type": "tool", "name": "Answer"}


def test_anthropic_non_object_schema_is_wrapped(fake_anthropic: FakeAnthropic) -> None:
    schema = {"type": "array", "items": {"type": "string"}}
    result = _anthropic(fake_anthropic).complete([ASK], json_schema=schema)
    assert json.loads(result.text) == ["example"]
    tool = fake_anthropic.calls[0].json["tools"][0]
    assert tool["name"] == "response"
    assert tool["input_schema"] == {"type": "object", "properties": {"value": schema}, "required": ["value"]}


def test_anthropic_stream(fake_anthropic: FakeAnthropic) -> None:
    fake_anthropic.reply("Yes it does!")
    with _anthropic(fake_anthropic).stream([SYSTEM, ASK], max_tokens=64) as stream:
        pieces = list(stream)
    assert pieces == ["Yes", " it", " does!"]
    assert (stream.input_tokens, stream.output_tokens) == (11, 3)
    body = fake_anthropic.calls[0].json
    assert body["stream"] is True and body["system"] == SYSTEM.content and body["max_tokens"] == 64


def test_anthropic_stream_error_event_is_transient(fake_anthropic: FakeAnthropic) -> None:
    fake_anthropic.reply("one two three")
    fake_anthropic.stream_error()
    stream = _anthropic(fake_anthropic).stream([ASK])
    assert next(stream) == "one"
    with pytest.raises(ProviderError) as err:
        next(stream)
    assert err.value.transient is True and "overloaded_error" in str(err.value)


def test_anthropic_stream_reports_model_and_retries_before_the_first_piece(
    fake_anthropic: FakeAnthropic,
) -> None:
    sleeps: list[float] = []
    fake_anthropic.fail(529, message="Overloaded")
    fake_anthropic.reply("Right away.")
    with _anthropic(fake_anthropic, sleeps).stream([ASK]) as stream:
        assert isinstance(stream, ChatStream)
        assert list(stream) == ["Right", " away."]
    assert stream.model == "claude-3-5-haiku-latest"
    assert len(fake_anthropic.calls) == 2 and len(sleeps) == 1
    assert all(c.json["stream"] is True for c in fake_anthropic.calls)


def test_anthropic_stream_closed_early_stops_reading(fake_anthropic: FakeAnthropic) -> None:
    fake_anthropic.reply("one two three four")
    stream = _anthropic(fake_anthropic).stream([ASK])
    assert next(stream) == "one"
    stream.close()
    with pytest.raises(StopIteration):
        next(stream)


def test_anthropic_overloaded_and_rate_limited_are_retried(fake_anthropic: FakeAnthropic) -> None:
    sleeps: list[float] = []
    fake_anthropic.fail(529, message="Overloaded")
    fake_anthropic.fail(429, retry_after="2")
    result = AnthropicChat(
        fake_anthropic.api_key, base_url=fake_anthropic.base_url, sleep=sleeps.append, backoff_base=0.2
    ).complete([ASK])
    assert result.text == "echo: Does the blender crush ice?"
    assert len(fake_anthropic.calls) == 3
    assert 0.1 <= sleeps[0] <= 0.2 and sleeps[1] == 2.0


def test_anthropic_overloaded_gives_up_transient(fake_anthropic: FakeAnthropic) -> None:
    fake_anthropic.fail(529, times=2, message="Overloaded")
    with pytest.raises(ProviderError) as err:
        _anthropic(fake_anthropic, max_retries=1).complete([ASK])
    assert err.value.transient is True and "HTTP 529 (overloaded_error: Overloaded)" in str(err.value)
    assert len(fake_anthropic.calls) == 2


def test_anthropic_bad_key_is_permanent(fake_anthropic: FakeAnthropic) -> None:
    chat = AnthropicChat("sk-ant-wrong", base_url=fake_anthropic.base_url, sleep=[].append)
    with pytest.raises(ProviderError) as err:
        chat.complete([ASK])
    assert err.value.transient is False and "authentication_error" in str(err.value)
    assert len(fake_anthropic.calls) == 1


# -- the scripted fake -------------------------------------------------------------------------
def test_scripted_chat_streams_word_pieces() -> None:
    chat = ScriptedChat(["Hello there, friend!", RuntimeError("down")])
    assert isinstance(chat, ChatModel)
    with chat.stream([SYSTEM, ASK], temperature=0.5) as stream:
        assert list(stream) == ["Hello", " there,", " friend!"]
    assert (stream.model, stream.input_tokens, stream.output_tokens) == ("fake:scripted", 11, 3)
    assert chat.calls[0]["stream"] is True and chat.calls[0]["temperature"] == 0.5
    with pytest.raises(RuntimeError, match="down"):
        chat.stream([ASK])
