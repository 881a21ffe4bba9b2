"""Talking to the fake Telegram Bot API in tests: a method call over HTTP, its error, a bot client."""

from __future__ import annotations

from typing import Any

import httpx
import numpy as np
import telegram
from tests.servers.fake_telegram import DEFAULT_CHAT_ID, FakeTelegram

from echome.media.audio import encode

CHAT = DEFAULT_CHAT_ID


def ogg_tone(seconds: float = 2.0) -> bytes:
    t = np.arange(int(seconds * 16_000)) / 16_000
    return encode((0.3 * np.sin(2 * np.pi * 180 * t)).astype(np.float32), 16_000, codec="opus")


def api_call(tg: FakeTelegram, method: str, token: str | None = None, **kwargs: Any) -> httpx.Response:
    return httpx.post(tg.method_url(method, token), timeout=10, **kwargs)


def error_of(response: httpx.Response) -> tuple[int, str]:
    body = response.json()
    assert body["ok"] is False and body["error_code"] == response.status_code
    return response.status_code, body["description"]


def bot_for(tg: FakeTelegram, token: str | None = None) -> telegram.Bot:
    return telegram.Bot(
        token or tg.token, base_url=f"{tg.api_url}/bot", base_file_url=f"{tg.api_url}/file/bot"
    )
