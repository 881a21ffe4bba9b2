"""Fake OpenAI: `POST /v1/chat/completions` (plain, json_schema, SSE streaming) and
`POST /v1/audio/transcriptions` (multipart upload, verbose_json with segment and word timestamps).

`FakeOpenAI(api_key=None)` plays an OpenAI-compatible local server (Ollama, vLLM): no key checked.
Replies are taken from `replies` (FIFO); when it is empty the fake echoes the last user message, or
for a json_schema request answers with a minimal instance of the schema.
"""

from __future__ import annotations

import asyncio
import copy
import json
import re
import time
from collections import deque
from collections.abc import AsyncIterator
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response, StreamingResponse
from starlette.routing import Route

from tests.servers import ApiError, Call, FakeService, Fault

CHAT_KEYS = {
    "model", "messages", "temperature", "top_p", "n", "stream", "stream_options", "stop", "max_tokens",
    "max_completion_tokens", "presence_penalty", "frequency_penalty", "logit_bias", "user", "seed",
    "response_format", "tools", "tool_choice", "parallel_tool_calls", "logprobs", "top_logprobs", "store",
    "metadata", "reasoning_effort", "service_tier", "modalities", "prediction",
}  # fmt: skip
ROLES = {"system", "developer", "user", "assistant", "tool"}
AUDIO_FORMATS = ["flac", "m4a", "mp3", "mp4", "mpeg", "mpga", "oga", "ogg", "wav", "webm"]
MAX_AUDIO_BYTES = 26_214_400
TRANSCRIBE_MODELS = {"whisper-1", "gpt-4o-transcribe", "gpt-4o-mini-transcribe"}
LANGUAGE_NAMES = {"en": "english", "es": "spanish", "de": "german", "fr": "french", "it": "italian"}
_MAGIC = {
    "wav": (b"RIFF",),
    "flac": (b"fLaC",),
    "mp3": (b"ID3", b"\xff\xfb", b"\xff\xf3", b"\xff\xf2"),
    "ogg": (b"OggS",),
    "oga": (b"OggS",),
}

DEFAULT_TRANSCRIPTION: dict[str, Any] = {
    "task": "transcribe",
    "language": "english",
    "duration": 6.5,
    "text": "Hi, I'm Dana. This blender crushes ice in ten seconds.",
    "segments": [
        {
            "id": 0, "seek": 0, "start": 0.0, "end": 1.6, "text": " Hi, I'm Dana.",
            "tokens": [50364, 2421, 11, 286, 478, 44419, 13], "temperature": 0.0,
            "avg_logprob": -0.21, "compression_ratio": 0.9, "no_speech_prob": 0.01,
        },
        {
            "id": 1, "seek": 0, "start": 2.0, "end": 5.9, "text": " This blender crushes ice in ten seconds.",
            "tokens": [50464, 639, 3579, 260, 10321, 279, 4435, 294, 2064, 3949, 13], "temperature": 0.0,
            "avg_logprob": -0.34, "compression_ratio": 1.1, "no_speech_prob": 0.02,
        },
    ],
    "words": [
        {"word": "Hi", "start": 0.0, "end": 0.4}, {"word": "I'm", "start": 0.6, "end": 0.9},
        {"word": "Dana", "start": 0.9, "end": 1.5}, {"word": "This", "start": 2.0, "end": 2.3},
        {"word": "blender", "start": 2.3, "end": 2.9}, {"word": "crushes", "start": 2.9, "end": 3.5},
        {"word": "ice", "start": 3.5, "end": 3.9}, {"word": "in", "start": 3.9, "end": 4.1},
        {"word": "ten", "start": 4.1, "end": 4.6}, {"word": "seconds", "start": 4.6, "end": 5.9},
    ],
}  # fmt: skip


def example_instance(schema: dict[str, Any]) -> Any:
    """A minimal value of `schema` (what a model under structured output would at least produce)."""
    if "enum" in schema:
        return schema["enum"][0]
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if kind == "object":
        return {k: example_instance(v) for k, v in schema.get("properties", {}).items()}
    if kind == "array":
        return [example_instance(schema.get("items", {"type": "string"}))]
    return {"string": "example", "number": 1.0, "integer": 1, "boolean": True}.get(str(kind))


def strict_schema_problems(schema: Any, where: str = "()") -> list[str]:
    """What OpenAI's strict structured output refuses: objects without additionalProperties=false or
    with properties missing from `required`."""
    problems: list[str] = []
    if not isinstance(schema, dict):
        return problems
    if schema.get("type") == "object" or "properties" in schema:
        if schema.get("additionalProperties") is not False:
            problems.append(
                f"In context={where}, 'additionalProperties' is required to be supplied and to be false."
            )
        missing = [k for k in schema.get("properties", {}) if k not in (schema.get("required") or [])]
        if missing:
            problems.append(
                f"In context={where}, 'required' is required to be supplied and to be an array including "
                f"every key in properties. Missing '{missing[0]}'."
            )
        for name, sub in schema.get("properties", {}).items():
            problems += strict_schema_problems(sub, f"{where[:-1]}'properties', '{name}')")
    if isinstance(schema.get("items"), dict):
        problems += strict_schema_problems(schema["items"], f"{where[:-1]}'items')")
    return problems


class FakeOpenAI(FakeService):
    def __init__(
        self,
        api_key: str | None = "sk-test-fake-openai-0123456789",
        *,
        prefix: str = "/v1",
        token_seconds: float = 0.0,
    ) -> None:
        """`token_seconds`: a model's pace, the time between two streamed pieces (and per word of a
        whole reply)."""
        super().__init__(api_key)
        self.prefix = prefix.rstrip("/")
        self.token_seconds = token_seconds
        self.replies: deque[str] = deque()
        self.transcription: dict[str, Any] = copy.deepcopy(DEFAULT_TRANSCRIPTION)

    @property
    def base_url(self) -> str:
        return self.url + self.prefix

    def reply(self, *texts: str) -> None:
        """Queue the model's next replies (one per request)."""
        self.replies.extend(texts)

    def cut_stream(self, *, times: int = 1) -> None:
        """The next `times` streamed replies stop after the first piece, with no finish_reason or [DONE]."""
        self._push(times, Fault("cut"))

    def chat_calls(self) -> list[Call]:
        return [c for c in self.calls if c.path.endswith("/chat/completions")]

    def routes(self) -> list[Route]:
        return [
            Route(f"{self.prefix}/chat/completions", self.wrap(self._chat), methods=["POST"]),
            Route(f"{self.prefix}/audio/transcriptions", self.wrap(self._transcribe), methods=["POST"]),
        ]

    def error_response(self, status: int, message: str, kind: str) -> Response:
        code = {401: "invalid_api_key", 429: "rate_limit_exceeded", 404: "model_not_found"}.get(status)
        error_type = {500: "server_error", 503: "server_error"}.get(status, kind)
        body = {"error": {"message": message, "type": error_type, "param": None, "code": code}}
        return JSONResponse(body, status_code=status)

    def _check_auth(self, call: Call) -> None:
        if self.api_key is None:
            return
        header = call.headers.get("authorization", "")
        if not header.startswith("Bearer "):
            raise ApiError(
                401,
                "You didn't provide an API key. You need to provide your API key in an Authorization header "
                "using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
            )
        given = header.removeprefix("Bearer ")
        if given != self.api_key:
            shown = f"{given[:4]}{'*' * 8}{given[-4:]}" if len(given) > 8 else "****"
            raise ApiError(
                401,
                f"Incorrect API key provided: {shown}. You can find your API key at https://platform.openai.com/account/api-keys.",
            )

    # -- chat ----------------------------------------------------------------------------------
    async def _chat(self, request: Request) -> Response:
        call = await self.record(request)
        self._check_auth(call)
        if not call.headers.get("content-type", "").startswith("application/json") or not isinstance(
            call.json, dict
        ):
            raise ApiError(
                400,
                "We could not parse the JSON body of your request. (HINT: This likely means you aren't using "
                "your HTTP library correctly.)",
            )
        body: dict[str, Any] = call.json
        _validate_chat(body)
        fault = await self.apply_fault()
        if fault is not None:
            return fault
        schema = None
        fmt = body.get("response_format") or {}
        if fmt.get("type") == "json_schema":
            schema = fmt["json_schema"]["schema"]
        last_user = next((m["content"] for m in reversed(body["messages"]) if m["role"] == "user"), "")
        if self.replies:
            text = self.replies.popleft()
        elif schema is not None:
            text = json.dumps(example_instance(schema))
        else:
            text = f"echo: {last_user}"
        prompt_tokens = sum(len(str(m.get("content", "")).split()) for m in body["messages"])
        usage = {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": len(text.split()),
            "total_tokens": prompt_tokens + len(text.split()),
        }
        if body.get("stream"):
            cut = self._take_fault(("cut",)) is not None
            include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
            return StreamingResponse(
                _sse(body["model"], text, usage if include_usage else None, cut, self.token_seconds),
                media_type="text/event-stream",
            )
        await asyncio.sleep(self.token_seconds * len(re.findall(r"\s*\S+", text)))  # the model writing
        return JSONResponse(
            {
                "id": f"chatcmpl-fake{len(self.calls)}",
                "object": "chat.completion",
                "created": int(time.time()),
                "model": body["model"],
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": text, "refusal": None},
                        "logprobs": None,
                        "finish_reason": "stop",
                    }
                ],
                "usage": usage,
                "system_fingerprint": "fp_fake",
            }
        )

    # -- transcription -------------------------------------------------------------------------
    async def _transcribe(self, request: Request) -> Response:
        call = await self.record(request)
        self._check_auth(call)
        ctype = call.headers.get("content-type", "")
        if not ctype.startswith("multipart/form-data"):
            raise ApiError(400, f"Invalid Content-Type header ({ctype}), expected multipart/form-data.")
        uploads = [f for f in call.files if f.field == "file"]
        if len(uploads) != 1 or not uploads[0].filename:
            raise ApiError(
                400,
                "1 validation error for Request\nbody -> file\n  field required (type=value_error.missing)",
            )
        upload = uploads[0]
        model = (call.form.get("model") or [""])[0]
        if not model:
            raise ApiError(400, "you must provide a model parameter")
        if model not in TRANSCRIBE_MODELS:
            raise ApiError(404, f"The model `{model}` does not exist or you do not have access to it.")
        ext = upload.filename.rsplit(".", 1)[-1].lower() if "." in upload.filename else ""
        if ext not in AUDIO_FORMATS:
            raise ApiError(400, f"Invalid file format. Supported formats: {AUDIO_FORMATS}")
        if len(upload.data) > MAX_AUDIO_BYTES:
            raise ApiError(
                413,
                f"Maximum content size limit ({MAX_AUDIO_BYTES}) exceeded ({len(upload.data)} bytes read)",
            )
        magic = _MAGIC.get(ext)
        if len(upload.data) < 100 or (magic and not upload.data.startswith(magic)):
            raise ApiError(400, "Audio file might be corrupted or unsupported")
        response_format = (call.form.get("response_format") or ["json"])[0]
        granularities = call.form.get("timestamp_granularities[]", [])
        if response_format not in ("json", "text", "srt", "verbose_json", "vtt"):
            raise ApiError(
                400,
                f"'{response_format}' is not one of ['json', 'text', 'srt', 'verbose_json', 'vtt'] - "
                "'response_format'",
            )
        if model != "whisper-1" and response_format not in ("json", "text"):
            raise ApiError(
                400,
                f"response_format '{response_format}' is not compatible with model '{model}'. "
                "Use 'json' or 'text' instead.",
            )
        if granularities and response_format != "verbose_json":
            raise ApiError(400, "timestamp_granularities requires response_format=verbose_json")
        if any(g not in ("word", "segment") for g in granularities):
            raise ApiError(400, f"Invalid timestamp_granularities: {granularities}")
        language = (call.form.get("language") or [None])[0]
        if language is not None and not re.fullmatch(r"[a-z]{2}", language):
            raise ApiError(
                400,
                f"Invalid language '{language}'. Language parameter must be specified in ISO-639-1 format.",
            )
        fault = await self.apply_fault()
        if fault is not None:
            return fault
        result = copy.deepcopy(self.transcription)
        if language:
            result["language"] = LANGUAGE_NAMES.get(language, language)
        if response_format == "text":
            return PlainTextResponse(result["text"])
        if response_format != "verbose_json":
            return JSONResponse({"text": result["text"]})
        if granularities and "segment" not in granularities:
            result.pop("segments", None)
        if "word" not in granularities:
            result.pop("words", None)
        return JSONResponse(result)


def _validate_chat(body: dict[str, Any]) -> None:
    unknown = sorted(set(body) - CHAT_KEYS)
    if unknown:
        raise ApiError(400, f"Unrecognized request argument supplied: {unknown[0]}")
    if not body.get("model"):
        raise ApiError(400, "you must provide a model parameter")
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        raise ApiError(400, "[] is too short - 'messages'")
    for i, m in enumerate(messages):
        if not isinstance(m, dict) or m.get("role") not in ROLES:
            raise ApiError(400, f"Invalid value for 'messages[{i}].role'")
        if not isinstance(m.get("content"), str | list):
            raise ApiError(400, f"Invalid type for 'messages[{i}].content': expected a string")
    temperature = body.get("temperature", 1)
    if not isinstance(temperature, int | float) or not 0 <= temperature <= 2:
        raise ApiError(400, f"Invalid 'temperature': {temperature}; must be between 0 and 2.")
    for key in ("max_tokens", "max_completion_tokens"):
        if key in body and (not isinstance(body[key], int) or body[key] < 1):
            raise ApiError(400, f"Invalid '{key}': integer below minimum value.")
    if "stream_options" in body and not body.get("stream"):
        raise ApiError(400, "The 'stream_options' parameter is only allowed when 'stream' is enabled.")
    fmt = body.get("response_format")
    if fmt is None:
        return
    if fmt.get("type") not in ("text", "json_object", "json_schema"):
        raise ApiError(
            400,
            f"Invalid value: '{fmt.get('type')}'. Supported values are: 'text', 'json_object', "
            "and 'json_schema'.",
        )
    if fmt["type"] == "json_schema":
        spec = fmt.get("json_schema")
        if not isinstance(spec, dict) or not re.fullmatch(r"[A-Za-z0-9_-]{1,64}", str(spec.get("name", ""))):
            raise ApiError(400, "Invalid 'response_format.json_schema.name': string does not match pattern.")
        if not isinstance(spec.get("schema"), dict):
            raise ApiError(400, "Missing required parameter: 'response_format.json_schema.schema'.")
        if spec.get("strict"):
            problems = strict_schema_problems(spec["schema"])
            if problems:
                raise ApiError(400, f"Invalid schema for response_format '{spec['name']}': {problems[0]}")


async def _sse(
    model: str, text: str, usage: dict[str, int] | None, cut: bool, token_seconds: float = 0.0
) -> AsyncIterator[bytes]:
    created = int(time.time())

    def event(delta: dict[str, Any] | None, finish: str | None = None, **extra: Any) -> bytes:
        chunk: dict[str, Any] = {
            "id": "chatcmpl-fakestream",
            "object": "chat.completion.chunk",
            "created": created,
            "model": model,
            "system_fingerprint": "fp_fake",
            "choices": []
            if delta is None
            else [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}],
        }
        if usage is not None:
            chunk["usage"] = None
        chunk.update(extra)
        return f"data: {json.dumps(chunk)}\n\n".encode()

    yield event({"role": "assistant", "content": "", "refusal": None})
    for i, piece in enumerate(re.findall(r"\s*\S+", text) or [text]):
        yield event({"content": piece})
        await asyncio.sleep(token_seconds)
        if cut and i == 0:
            return
    yield event({}, "stop")
    if usage is not None:
        yield event(None, usage=usage)
    yield b"data: [DONE]\n\n"
