"""Fake ElevenLabs: `POST /v1/text-to-speech/{voice_id}` (answers a real short MP3 or PCM),
`POST /v1/text-to-speech/{voice_id}/stream` (the same audio, chunked: `chunk_bytes` at a time,
`chunk_delay` seconds apart), `POST /v1/voices/add` (instant cloning, multipart) and
`DELETE /v1/voices/{voice_id}`.

`voices` maps the voice ids the account has to a description; cloning adds to it, deleting removes.
`chunk_delay` is how fast the fake "makes" speech: the whole-audio endpoint answers after as long as
streaming the same audio takes. `break_stream(after_chunks)` cuts the next stream off mid-body.
"""

from __future__ import annotations

import asyncio
import functools
import json
from typing import Any

import numpy as np
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from tests.servers import ApiError, Call, FakeService, Fault

OUTPUT_FORMATS = {
    "mp3_22050_32", "mp3_44100_32", "mp3_44100_64", "mp3_44100_96", "mp3_44100_128", "mp3_44100_192",
    "pcm_16000", "pcm_22050", "pcm_24000", "pcm_44100",
}  # fmt: skip
MODEL_CHARACTERS = {
    "eleven_multilingual_v2": 10_000,
    "eleven_flash_v2_5": 40_000,
    "eleven_turbo_v2_5": 40_000,
    "eleven_v3": 5_000,
}
SETTING_RANGES = {"stability": (0, 1), "similarity_boost": (0, 1), "style": (0, 1), "speed": (0.7, 1.2)}
MAX_FILES = 25
MAX_FILE_BYTES = 10 * 1024 * 1024
_MAGIC = {
    "audio/mpeg": (b"ID3", b"\xff\xfb", b"\xff\xf3", b"\xff\xf2"),
    "audio/wav": (b"RIFF",),
    "audio/x-wav": (b"RIFF",),
    "audio/flac": (b"fLaC",),
    "audio/ogg": (b"OggS",),
}
PREMADE_VOICE = "21m00Tcm4TlvDq8ikWAM"


@functools.cache
def tone(output_format: str = "mp3_44100_128") -> bytes:
    """Half a second of a 220 Hz tone in `output_format` (MP3 frames or raw s16le PCM)."""
    from echome.media.audio import encode

    codec, rate = output_format.split("_")[:2]
    source_rate = int(rate) if codec == "pcm" else 22050
    t = np.arange(source_rate // 2) / source_rate
    wav = (0.3 * np.sin(2 * np.pi * 220 * t)).astype(np.float32)
    if codec == "pcm":
        return (wav * 32767).astype("<i2").tobytes()
    return encode(wav, source_rate, codec="mp3", out_rate=int(rate))


class FakeElevenLabs(FakeService):
    def __init__(self, api_key: str = "xi-test-fake-0123456789") -> None:
        super().__init__(api_key)
        self.voices: dict[str, dict[str, Any]] = {PREMADE_VOICE: {"name": "Rachel", "category": "premade"}}
        self._next_voice = 1
        self.chunk_bytes = 2048
        self.chunk_delay = 0.0  # seconds between streamed chunks (and per chunk for whole audio)

    def break_stream(self, *, after_chunks: int = 1, times: int = 1) -> None:
        """The next `times` streams stop after `after_chunks` chunks: the connection is closed without
        ending the chunked body (a dropped connection, as a client sees it)."""
        self._push(times, Fault("break", status=after_chunks))

    def chunks(self, output_format: str = "mp3_44100_128") -> list[bytes]:
        """The chunks a stream of `output_format` sends, in order."""
        audio = tone(output_format)
        return [audio[i : i + self.chunk_bytes] for i in range(0, len(audio), self.chunk_bytes)]

    @property
    def base_url(self) -> str:
        return self.url

    def routes(self) -> list[Route]:
        return [
            Route("/v1/text-to-speech/{voice_id}", self.wrap(self._tts), methods=["POST"]),
            Route("/v1/text-to-speech/{voice_id}/stream", self.wrap(self._tts_stream), methods=["POST"]),
            Route("/v1/voices/add", self.wrap(self._add_voice), methods=["POST"]),
            Route("/v1/voices/{voice_id}", self.wrap(self._delete_voice), methods=["DELETE"]),
        ]

    def error_response(self, status: int, message: str, kind: str) -> Response:
        if kind == "validation":  # FastAPI-style 422 body
            loc, _, msg = message.partition("|")
            body: Any = [{"loc": loc.split("."), "msg": msg, "type": "value_error"}]
        else:
            code = {429: "too_many_concurrent_requests", 500: "internal_error"}.get(status, kind)
            body = {"status": code, "message": message}
        return JSONResponse({"detail": body}, status_code=status)

    def _check_auth(self, call: Call) -> None:
        key = call.headers.get("xi-api-key")
        if not key:
            raise ApiError(
                401,
                "Neither authorization header nor xi-api-key received, please provide one.",
                "needs_authorization",
            )
        if key != self.api_key:
            raise ApiError(401, "Invalid API key", "invalid_api_key")

    async def _tts(self, request: Request) -> Response:
        output_format = await self._speech_request(request)
        fault = await self.apply_fault()
        if fault is not None:
            return fault
        await asyncio.sleep(self.chunk_delay * len(self.chunks(output_format)))  # as long as a stream
        kind = "audio/mpeg" if output_format.startswith("mp3") else "audio/pcm"
        return Response(tone(output_format), media_type=kind)

    async def _tts_stream(self, request: Request) -> Response:
        output_format = await self._speech_request(request)
        fault = await self.apply_fault()
        if fault is not None:
            return fault
        broken = self._take_fault(("break",))
        kind = "audio/mpeg" if output_format.startswith("mp3") else "audio/pcm"
        chunks = self.chunks(output_format)
        return _Chunked(chunks, kind, self.chunk_delay, broken.status if broken else None)

    async def _speech_request(self, request: Request) -> str:
        """Checks a text-to-speech request as the API does; its output_format."""
        call = await self.record(request)
        self._check_auth(call)
        voice_id = request.path_params["voice_id"]
        output_format = (call.query.get("output_format") or ["mp3_44100_128"])[0]
        if output_format not in OUTPUT_FORMATS:
            raise ApiError(
                422, f"query.output_format|Input should be one of {sorted(OUTPUT_FORMATS)}", "validation"
            )
        body = call.json
        if not isinstance(body, dict):
            raise ApiError(422, "body|Field required", "validation")
        text = body.get("text")
        if not isinstance(text, str):
            raise ApiError(422, "body.text|Field required", "validation")
        model_id = body.get("model_id", "eleven_multilingual_v2")
        if model_id not in MODEL_CHARACTERS:
            raise ApiError(400, f"A model with model ID {model_id} does not exist.", "model_not_found")
        if len(text) > MODEL_CHARACTERS[model_id]:
            raise ApiError(
                400, f"Text exceeds {MODEL_CHARACTERS[model_id]} characters.", "max_character_limit_exceeded"
            )
        settings = body.get("voice_settings") or {}
        for key, value in settings.items():
            if key == "use_speaker_boost":
                if not isinstance(value, bool):
                    raise ApiError(
                        422, "body.voice_settings.use_speaker_boost|Input should be a boolean", "validation"
                    )
                continue
            if key not in SETTING_RANGES:
                raise ApiError(422, f"body.voice_settings.{key}|Extra inputs are not permitted", "validation")
            low, high = SETTING_RANGES[key]
            if not isinstance(value, int | float) or not low <= value <= high:
                raise ApiError(
                    422, f"body.voice_settings.{key}|Input should be between {low} and {high}", "validation"
                )
        if voice_id not in self.voices:
            raise ApiError(404, f"A voice with voice_id {voice_id} does not exist.", "voice_not_found")
        return output_format

    async def _add_voice(self, request: Request) -> Response:
        call = await self.record(request)
        self._check_auth(call)
        if not call.headers.get("content-type", "").startswith("multipart/form-data"):
            raise ApiError(422, "body.name|Field required", "validation")
        name = (call.form.get("name") or [""])[0]
        if not name.strip():
            raise ApiError(422, "body.name|Field required", "validation")
        files = [f for f in call.files if f.field == "files"]
        if not files:
            raise ApiError(422, "body.files|Field required", "validation")
        if len(files) > MAX_FILES:
            raise ApiError(400, f"You can upload at most {MAX_FILES} samples.", "too_many_files")
        for f in files:
            if not f.filename:
                raise ApiError(422, "body.files|Expected UploadFile, received: <class 'str'>", "validation")
            ctype = (f.content_type or "").split(";")[0]
            if not ctype.startswith("audio/"):
                raise ApiError(400, f"{f.filename} is not an audio file ({ctype}).", "invalid_file_type")
            if len(f.data) > MAX_FILE_BYTES:
                raise ApiError(400, f"{f.filename} exceeds the 10MB limit.", "file_too_large")
            magic = _MAGIC.get(ctype)
            if magic and not f.data.startswith(magic):
                raise ApiError(400, f"{f.filename} could not be decoded.", "corrupted_audio")
        noise = (call.form.get("remove_background_noise") or ["false"])[0]
        if noise not in ("true", "false"):
            raise ApiError(422, "body.remove_background_noise|Input should be a valid boolean", "validation")
        labels = (call.form.get("labels") or [None])[0]
        if labels is not None:
            try:
                parsed = json.loads(labels)
            except ValueError:
                parsed = None
            if not isinstance(parsed, dict):
                raise ApiError(400, "labels must be a JSON object of strings", "invalid_labels")
        fault = await self.apply_fault()
        if fault is not None:
            return fault
        voice_id = f"clonedVoice{self._next_voice:04d}"
        self._next_voice += 1
        self.voices[voice_id] = {"name": name, "category": "cloned", "samples": [f.filename for f in files]}
        return JSONResponse({"voice_id": voice_id, "requires_verification": False})

    async def _delete_voice(self, request: Request) -> Response:
        call = await self.record(request)
        self._check_auth(call)
        voice_id = request.path_params["voice_id"]
        if voice_id not in self.voices:
            raise ApiError(404, f"A voice with voice_id {voice_id} does not exist.", "voice_not_found")
        fault = await self.apply_fault()
        if fault is not None:
            return fault
        del self.voices[voice_id]
        return JSONResponse({"status": "ok"})


class _Chunked(Response):
    """A chunked audio body sent a chunk at a time; with `break_after`, the app returns after that
    many chunks without ending the body, so the server drops the connection mid-stream."""

    def __init__(self, chunks: list[bytes], media_type: str, delay: float, break_after: int | None) -> None:
        super().__init__(media_type=media_type)
        del self.headers["content-length"]
        self.chunks, self.delay, self.break_after = chunks, delay, break_after

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": self.raw_headers})
        for n, chunk in enumerate(self.chunks):
            if n == self.break_after:
                return
            if self.delay:
                await asyncio.sleep(self.delay)
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
        await send({"type": "http.response.body", "body": b"", "more_body": False})
