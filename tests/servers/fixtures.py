"""Pytest fixtures for the fake cloud servers: one fresh running server per test.

Use them from any test module with

    from tests.servers.fixtures import fake_openai  # noqa: F401

or register them for the whole suite with `pytest_plugins = ["tests.servers.fixtures"]` in
tests/conftest.py. Each fixture yields the running fake (`.base_url`, `.api_key`, `.calls`,
`.fail()`, `.hang()`, ...); it is stopped after the test.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.servers.fake_anthropic import FakeAnthropic
from tests.servers.fake_elevenlabs import FakeElevenLabs
from tests.servers.fake_openai import FakeOpenAI
from tests.servers.fake_telegram import FakeTelegram


@pytest.fixture
def fake_openai() -> Iterator[FakeOpenAI]:
    """OpenAI at `{base_url}` = http://127.0.0.1:PORT/v1 with key `fake_openai.api_key`."""
    with FakeOpenAI() as server:
        yield server


@pytest.fixture
def fake_openai_compatible() -> Iterator[FakeOpenAI]:
    """A keyless OpenAI-compatible server (like Ollama) under http://127.0.0.1:PORT/ollama/v1."""
    with FakeOpenAI(api_key=None, prefix="/ollama/v1") as server:
        yield server


@pytest.fixture
def fake_anthropic() -> Iterator[FakeAnthropic]:
    with FakeAnthropic() as server:
        yield server


@pytest.fixture
def fake_elevenlabs() -> Iterator[FakeElevenLabs]:
    with FakeElevenLabs() as server:
        yield server


@pytest.fixture
def fake_telegram() -> Iterator[FakeTelegram]:
    """The Telegram Bot API at `{api_url}/bot{token}/...` for bot `fake_telegram.token` (@echome_test_bot)."""
    with FakeTelegram() as server:
        yield server
