"""Our Telegram client's inline-keyboard calls (handoff notifications) against the fake Bot API,
asserting the exact requests sent, and the fake holding to Telegram's rules for them."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from echome.channels.telegram.api import ALLOWED_UPDATES, TelegramApi, TelegramError
from tests.servers.fake_telegram import FakeTelegram
from tests.servers.fixtures import fake_telegram  # noqa: F401

SELLER = 555_000_111


def run(coro: Any) -> Any:
    return asyncio.run(coro)


def test_keyboard_tap_answer_and_removal(fake_telegram: FakeTelegram) -> None:  # noqa: F811
    tg = fake_telegram
    keyboard = [[("✅ Send draft", "h:send:" + "a" * 32), ("✏️ Edit", "h:edit:" + "a" * 32)]]

    async def send() -> int:
        async with TelegramApi(tg.token, api_url=tg.api_url) as api:
            return await api.send_message(SELLER, "Dana needs you", keyboard=keyboard)

    message_id = run(send())
    call = tg.calls_to("sendMessage")[-1]
    markup = json.loads(call.params["reply_markup"])
    assert markup == {
        "inline_keyboard": [
            [
                {"text": "✅ Send draft", "callback_data": "h:send:" + "a" * 32},
                {"text": "✏️ Edit", "callback_data": "h:edit:" + "a" * 32},
            ]
        ]
    }
    tap = tg.press(tg.sent_messages[-1], "h:send:" + "a" * 32)
    query = tap["callback_query"]
    assert query["message"]["message_id"] == message_id and query["from"]["id"] == SELLER

    async def answer() -> None:
        async with TelegramApi(tg.token, api_url=tg.api_url) as api:
            await api.answer_callback_query(query["id"], "Sent to Dana.")
            await api.edit_keyboard(SELLER, message_id, None)
            with pytest.raises(TelegramError) as again:  # a query is answered once
                await api.answer_callback_query(query["id"], "twice")
            assert again.value.kind == "bad_request"
            with pytest.raises(TelegramError, match="not modified"):
                await api.edit_keyboard(SELLER, message_id, None)

    run(answer())
    assert tg.answered_callbacks == [{"id": query["id"], "text": "Sent to Dana.", "show_alert": False}]
    assert tg.edited_markups == [{"chat_id": SELLER, "message_id": message_id, "reply_markup": None}]
    with pytest.raises(ValueError, match="no button"):
        tg.press(tg.sent_messages[-1], "h:send:" + "a" * 32)  # the buttons are gone


def test_force_reply_reply_target_and_bad_callback_data(fake_telegram: FakeTelegram) -> None:  # noqa: F811
    tg = fake_telegram
    tg.receive_text("hello", chat_id=SELLER)
    incoming = tg.pending_updates()[-1]["message"]

    async def go() -> None:
        async with TelegramApi(tg.token, api_url=tg.api_url) as api:
            await api.send_message(SELLER, "Edit the draft", force_reply="Your version")
            await api.send_message(SELLER, "✓ Sent", reply_to=incoming["message_id"])
            with pytest.raises(ValueError, match="callback_data"):
                await api.send_message(SELLER, "x", keyboard=[[("too long", "h:" + "x" * 70)]])

    run(go())
    force, reply = tg.calls_to("sendMessage")[-2:]
    assert json.loads(force.params["reply_markup"]) == {
        "force_reply": True,
        "input_field_placeholder": "Your version",
    }
    assert json.loads(reply.params["reply_parameters"])["message_id"] == incoming["message_id"]
    assert tg.sent_messages[-1]["reply_to_message"]["text"] == "hello"
    assert len(tg.calls_to("sendMessage")) == 2  # the bad keyboard never left our side


def test_webhook_and_polling_ask_for_button_taps(fake_telegram: FakeTelegram) -> None:  # noqa: F811
    tg = fake_telegram

    async def go() -> None:
        async with TelegramApi(tg.token, api_url=tg.api_url) as api:
            await api.set_webhook("https://shop.example.com/webhook/telegram/p", secret_token="s3cret")
            await api.delete_webhook()
            await api.get_updates(offset=None, timeout=0)

    run(go())
    assert (
        tg.webhooks == {}
        and json.loads(tg.calls_to("setWebhook")[-1].params["allowed_updates"]) == ALLOWED_UPDATES
    )
    assert json.loads(tg.calls_to("getUpdates")[-1].params["allowed_updates"]) == [
        "message",
        "callback_query",
    ]
