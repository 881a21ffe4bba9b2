"""Files and voice notes for the fake Telegram Bot API: getFile, downloads at
`GET /file/bot{token}/{file_path}`, sendVoice (upload, attach://, file_id or HTTP URL input) and the
test-side `add_file`. Mixed into `FakeTelegram`, which owns the state (`files`, `url_files`,
`sent_messages`, ...) and the chat/message helpers used here.
"""

from __future__ import annotations

import copy
import hashlib
import struct
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response

from tests.servers import ApiError
from tests.servers.telegram_updates import unique_id_for
from tests.servers.telegram_wire import int_param, ok, parse_mode_param, plain_text, str_param, utf16_len

if TYPE_CHECKING:
    import itertools
    import threading

    from tests.servers.fake_telegram import Bot, TelegramCall

MAX_CAPTION = 1024
MAX_DOWNLOAD_BYTES = 20 * 1024 * 1024  # getFile refuses bigger files
MAX_UPLOAD_BYTES = 50 * 1024 * 1024


@dataclass
class StoredFile:
    file_id: str
    file_unique_id: str
    file_path: str
    data: bytes
    mime_type: str


def ogg_duration(data: bytes) -> int:
    """Whole seconds of an OGG/Opus stream (last page's granule position less pre-skip, at 48 kHz);
    0 when `data` is not OGG/Opus."""
    if not data.startswith(b"OggS"):
        return 0
    head = data.find(b"OpusHead")
    last = data.rfind(b"OggS")
    if head < 0 or last < 0 or len(data) < last + 14 or len(data) < head + 12:
        return 0
    pre_skip = struct.unpack_from("<H", data, head + 10)[0]
    granule = struct.unpack_from("<q", data, last + 6)[0]
    return max(0, round((granule - pre_skip) / 48_000))


class TelegramFiles:
    """getFile, file downloads and sendVoice; `add_file` / `file_bytes` for tests."""

    if TYPE_CHECKING:  # provided by FakeTelegram (and FakeService)
        _lock: threading.Lock
        _file_counter: itertools.count[int]
        files: dict[str, StoredFile]
        url_files: dict[str, bytes]
        sent_messages: list[dict[str, Any]]
        _sent_voices: list[tuple[int | str, bytes, str | None]]

        async def record(self, request: Request) -> TelegramCall: ...
        async def apply_fault(self) -> Response | None: ...
        def _bot_for(self, token: str) -> Bot: ...
        def _target_chat(self, params: dict[str, Any]) -> int | str: ...
        def _reply_target(
            self, bot: Bot, chat_id: int | str, params: dict[str, Any]
        ) -> dict[str, Any] | None: ...
        def _new_message(
            self, bot: Bot, chat_id: int | str, reply_to: dict[str, Any] | None, extra: dict[str, Any]
        ) -> dict[str, Any]: ...

    def add_file(self, data: bytes, *, file_path: str | None = None, mime_type: str = "audio/ogg") -> str:
        """Register a downloadable file (say a customer's voice note); returns its file_id.
        The default path is `voice/file_N.oga`."""
        n = next(self._file_counter)
        path = file_path or f"voice/file_{n}.oga"
        file_id = f"AwACAgIAAxkBAAI{n:06d}" + hashlib.sha1(data).hexdigest()[:20]
        with self._lock:
            self.files[file_id] = StoredFile(file_id, unique_id_for(file_id), path, data, mime_type)
        return file_id

    def file_bytes(self, file_id: str) -> bytes:
        return self.files[file_id].data

    async def _download(self, request: Request) -> Response:
        call = await self.record(request)
        self._bot_for(call.token)
        path = request.path_params["file_path"]
        with self._lock:
            stored = next((f for f in self.files.values() if f.file_path == path), None)
        if stored is None:
            raise ApiError(404, "Not Found")
        fault = await self.apply_fault()
        if fault is not None:
            return fault
        return Response(stored.data, media_type=stored.mime_type or "application/octet-stream")

    async def _get_file(self, bot: Bot, call: TelegramCall) -> Response:
        file_id = str_param(call.params, "file_id") or ""
        with self._lock:
            stored = self.files.get(file_id)
        if stored is None:
            raise ApiError(400, "Bad Request: invalid file_id")
        if len(stored.data) > MAX_DOWNLOAD_BYTES:
            raise ApiError(400, "Bad Request: file is too big")
        fault = await self.apply_fault()
        if fault is not None:
            return fault
        return ok(
            {
                "file_id": stored.file_id,
                "file_unique_id": stored.file_unique_id,
                "file_size": len(stored.data),
                "file_path": stored.file_path,
            }
        )

    async def _send_voice(self, bot: Bot, call: TelegramCall) -> Response:
        p = call.params
        chat_id = self._target_chat(p)
        parse_mode = parse_mode_param(p)
        caption = plain_text(str_param(p, "caption") or "", parse_mode).strip()
        if utf16_len(caption) > MAX_CAPTION:
            raise ApiError(400, "Bad Request: message caption is too long")
        reply_to = self._reply_target(bot, chat_id, p)
        data, existing = self._voice_input(call)
        if not data and existing is None:
            raise ApiError(400, "Bad Request: file must be non-empty")
        if len(data) > MAX_UPLOAD_BYTES:
            raise ApiError(413, "Request Entity Too Large")
        duration = int_param(p, "duration", -1)
        fault = await self.apply_fault()
        if fault is not None:
            return fault
        if existing is None:
            file_id = self.add_file(data)
            with self._lock:
                existing = self.files[file_id]
        if duration < 0:
            duration = ogg_duration(existing.data)
        voice = {
            "file_id": existing.file_id,
            "file_unique_id": existing.file_unique_id,
            "duration": duration,
            "mime_type": "audio/ogg",
            "file_size": len(existing.data),
        }
        extra: dict[str, Any] = {"voice": voice}
        if caption:
            extra["caption"] = caption
        message = self._new_message(bot, chat_id, reply_to, extra)
        with self._lock:
            self._sent_voices.append((chat_id, existing.data, caption or None))
            self.sent_messages.append(copy.deepcopy(message))
        return ok(message)

    def _voice_input(self, call: TelegramCall) -> tuple[bytes, StoredFile | None]:
        """The voice's bytes for an upload, or the stored file a file_id / URL names."""
        upload = next((f for f in call.files if f.field == "voice"), None)
        if upload is not None:
            return upload.data, None
        ref = str_param(call.params, "voice") or ""
        if not ref:
            raise ApiError(400, "Bad Request: there is no voice in the request")
        if ref.startswith("attach://"):
            part = next((f for f in call.files if f.field == ref.removeprefix("attach://")), None)
            if part is None:
                raise ApiError(400, "Bad Request: wrong file identifier/HTTP URL specified")
            return part.data, None
        if ref.startswith(("http://", "https://")):
            with self._lock:
                data = self.url_files.get(ref)
            if data is None:
                raise ApiError(400, "Bad Request: failed to get HTTP URL content")
            return data, None
        with self._lock:
            stored = self.files.get(ref)
        if stored is None:
            raise ApiError(400, "Bad Request: wrong file identifier/HTTP URL specified")
        return stored.data, stored
