"""The fake Telegram Bot API's files and voice notes, chat actions, scripted faults and update builders,
and python-telegram-bot (the client the product uses) pointed at it."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from telegram import error as tg_error

from tests.servers.fake_telegram import (
    FakeTelegram,
    ogg_duration,
    photo_update,
    sticker_update,
    text_update,
    voice_update,
)
from tests.support.telegram_wire import CHAT, api_call, bot_for, error_of, ogg_tone

pytest_plugins = ["tests.servers.fixtures"]


def test_get_file_and_download(fake_telegram: FakeTelegram) -> None:
    tg = fake_telegram
    ogg = ogg_tone()
    file_id = tg.add_file(ogg)
    info = api_call(tg, "getFile", data={"file_id": file_id}).json()["result"]
    assert info == {
        "file_id": file_id,
        "file_unique_id": info["file_unique_id"],
        "file_size": len(ogg),
        "file_path": "voice/file_1.oga",
    }
    download = httpx.get(f"{tg.api_url}/file/bot{tg.token}/{info['file_path']}")
    assert download.status_code == 200 and download.content == ogg
    assert download.headers["content-type"] == "audio/ogg"
    assert error_of(httpx.get(f"{tg.api_url}/file/bot{tg.token}/voice/nope.oga")) == (404, "Not Found")
    assert error_of(httpx.get(f"{tg.api_url}/file/bot1:wrong/{info['file_path']}")) == (401, "Unauthorized")
    assert error_of(api_call(tg, "getFile", data={"file_id": "AwACAgnope"})) == (
        400,
        "Bad Request: invalid file_id",
    )
    assert error_of(api_call(tg, "getFile")) == (400, "Bad Request: invalid file_id")
    big = tg.add_file(b"\0" * (20 * 1024 * 1024 + 1), file_path="documents/big.bin", mime_type="")
    assert error_of(api_call(tg, "getFile", json={"file_id": big})) == (400, "Bad Request: file is too big")


def test_send_voice_upload_and_reuse(fake_telegram: FakeTelegram) -> None:
    tg = fake_telegram
    ogg = ogg_tone(2.0)
    assert ogg_duration(ogg) == 2 and ogg_duration(b"ID3 not ogg") == 0
    sent = api_call(
        tg,
        "sendVoice",
        data={"chat_id": str(CHAT), "caption": "Here you go"},
        files={"voice": ("reply.ogg", ogg, "audio/ogg")},
    ).json()["result"]
    voice = sent["voice"]
    assert voice["duration"] == 2 and voice["mime_type"] == "audio/ogg" and voice["file_size"] == len(ogg)
    assert set(voice) == {"file_id", "file_unique_id", "duration", "mime_type", "file_size"}
    assert sent["caption"] == "Here you go" and sent["chat"]["id"] == CHAT
    [call] = tg.calls_to("sendVoice")
    [part] = call.files
    assert (part.field, part.filename, part.content_type, part.data) == (
        "voice",
        "reply.ogg",
        "audio/ogg",
        ogg,
    )
    assert tg.sent_voices == [(CHAT, ogg, "Here you go")]
    assert tg.file_bytes(voice["file_id"]) == ogg

    again = api_call(tg, "sendVoice", json={"chat_id": CHAT, "voice": voice["file_id"], "duration": 7}).json()
    assert (
        again["result"]["voice"]["file_id"] == voice["file_id"] and again["result"]["voice"]["duration"] == 7
    )
    assert again["result"]["message_id"] == sent["message_id"] + 1
    assert tg.sent_voices[1] == (CHAT, ogg, None)

    def send(**params: Any) -> tuple[int, str]:
        return error_of(api_call(tg, "sendVoice", json={"chat_id": CHAT, **params}))

    assert send() == (400, "Bad Request: there is no voice in the request")
    assert send(voice="AwACAgunknown") == (400, "Bad Request: wrong file identifier/HTTP URL specified")
    assert send(voice="https://cdn.example.com/v.ogg") == (400, "Bad Request: failed to get HTTP URL content")
    tg.url_files["https://cdn.example.com/v.ogg"] = ogg
    assert (
        api_call(
            tg, "sendVoice", json={"chat_id": CHAT, "voice": "https://cdn.example.com/v.ogg"}
        ).status_code
        == 200
    )
    assert send(voice=voice["file_id"], caption="c" * 1025) == (
        400,
        "Bad Request: message caption is too long",
    )
    empty = api_call(
        tg, "sendVoice", data={"chat_id": str(CHAT)}, files={"voice": ("v.ogg", b"", "audio/ogg")}
    )
    assert error_of(empty) == (400, "Bad Request: file must be non-empty")


def test_send_chat_action(fake_telegram: FakeTelegram) -> None:
    tg = fake_telegram
    assert api_call(tg, "sendChatAction", data={"chat_id": str(CHAT), "action": "record_voice"}).json() == {
        "ok": True,
        "result": True,
    }
    assert error_of(api_call(tg, "sendChatAction", json={"chat_id": CHAT, "action": "dancing"})) == (
        400,
        "Bad Request: wrong parameter action in request",
    )
    assert error_of(api_call(tg, "sendChatAction", json={"chat_id": CHAT}))[0] == 400
    assert tg.chat_actions == [(CHAT, "record_voice")]


def test_scripted_faults(fake_telegram: FakeTelegram) -> None:
    tg = fake_telegram
    tg.fail(429, retry_after=7)
    flood = api_call(tg, "sendMessage", json={"chat_id": CHAT, "text": "hi"})
    assert flood.status_code == 429
    assert flood.json() == {
        "ok": False,
        "error_code": 429,
        "description": "Too Many Requests: retry after 7",
        "parameters": {"retry_after": 7},
    }
    tg.fail(502)
    assert error_of(api_call(tg, "getMe")) == (502, "Bad Gateway")
    tg.hang(0.5)
    with pytest.raises(httpx.ReadTimeout):
        httpx.post(tg.method_url("getMe"), timeout=0.2)
    tg.garbage()
    assert api_call(tg, "getMe").text.startswith("<html>")
    assert api_call(tg, "getMe").json()["ok"] is True
    assert tg.sent_messages == []  # the failed send did not happen


def test_update_builders() -> None:
    start = text_update("/start promo", chat_id=42, first_name="Ana", language_code="pt")
    message = start["message"]
    assert isinstance(start["update_id"], int) and isinstance(message["message_id"], int)
    assert message["chat"] == {"id": 42, "first_name": "Ana", "type": "private"}
    assert message["from"] == {"id": 42, "is_bot": False, "first_name": "Ana", "language_code": "pt"}
    assert message["entities"] == [{"type": "bot_command", "offset": 0, "length": 6}]
    assert "entities" not in text_update("hello")["message"]

    voice = voice_update("AwACvoice", duration=4, file_size=9000)["message"]["voice"]
    assert voice == {
        "file_id": "AwACvoice",
        "file_unique_id": voice["file_unique_id"],
        "duration": 4,
        "mime_type": "audio/ogg",
        "file_size": 9000,
    }
    photos = photo_update("AgACphoto", caption="my shelf")["message"]
    assert [p["width"] for p in photos["photo"]] == [90, 320, 1280] and photos["photo"][-1][
        "file_id"
    ] == "AgACphoto"
    assert photos["caption"] == "my shelf"
    sticker = sticker_update()["message"]["sticker"]
    assert sticker["type"] == "regular" and sticker["emoji"] == "👍" and not sticker["is_animated"]
    assert text_update("a")["update_id"] < text_update("b")["update_id"]


def test_push_update_fills_in_known_file_metadata(fake_telegram: FakeTelegram) -> None:
    tg = fake_telegram
    ogg = ogg_tone(1.0)
    file_id = tg.add_file(ogg)
    queued = tg.push_update(tg.token, voice_update(file_id))
    assert queued["message"]["voice"]["file_size"] == len(ogg)
    received = tg.receive_voice(ogg)["message"]["voice"]
    assert received["duration"] == 1 and tg.file_bytes(received["file_id"]) == ogg


# -- python-telegram-bot ----------------------------------------------------------------------------
# PTB 22 warns that durations will become timedeltas; the ints are what the wire carries.
@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")
def test_python_telegram_bot_round_trip(fake_telegram: FakeTelegram) -> None:
    tg = fake_telegram
    customer_ogg = ogg_tone(2.0)
    reply_ogg = ogg_tone(1.0)

    async def scenario() -> None:
        async with bot_for(tg) as bot:
            me = await bot.get_me()
            assert (me.id, me.username, me.is_bot, me.can_join_groups) == (
                123456,
                "echome_test_bot",
                True,
                True,
            )

            assert await bot.set_webhook(
                "https://bot.example.com/tg", secret_token="hook-Secret_1", allowed_updates=["message"]
            )
            assert tg.webhooks[tg.token]["secret_token"] == "hook-Secret_1"
            info = await bot.get_webhook_info()
            assert info.url == "https://bot.example.com/tg" and info.allowed_updates == ("message",)
            with pytest.raises(tg_error.Conflict):
                await bot.get_updates()
            with pytest.raises(tg_error.BadRequest, match="unallowed characters"):
                await bot.set_webhook("https://bot.example.com/tg", secret_token="no:colons")
            assert await bot.delete_webhook()
            assert tg.webhooks == {}

            tg.receive_text("/start")
            tg.receive_voice(customer_ogg)
            updates = await bot.get_updates(timeout=1)
            assert [u.effective_message.text for u in updates] == ["/start", None]
            assert updates[0].effective_message.entities[0].type == "bot_command"
            assert (
                updates[0].effective_user.first_name == "Dana" and updates[0].effective_chat.type == "private"
            )
            voice = updates[1].effective_message.voice
            assert (
                voice.duration == 2
                and voice.mime_type == "audio/ogg"
                and voice.file_size == len(customer_ogg)
            )
            assert await bot.get_updates(offset=updates[-1].update_id + 1, timeout=0) == ()

            file = await voice.get_file()
            assert file.file_path == f"{tg.api_url}/file/bot{tg.token}/voice/file_1.oga"
            assert bytes(await file.download_as_bytearray()) == customer_ogg

            assert await bot.send_chat_action(CHAT, "record_voice")
            text = await bot.send_message(
                CHAT, "<b>Hi Dana!</b>", parse_mode="HTML", reply_to_message_id=updates[1].message.message_id
            )
            assert text.text == "Hi Dana!" and text.reply_to_message.voice.file_id == voice.file_id
            sent = await bot.send_voice(CHAT, reply_ogg, caption="Listen", duration=1)
            assert (
                sent.voice.duration == 1
                and sent.voice.file_size == len(reply_ogg)
                and sent.caption == "Listen"
            )
            assert sent.message_id == text.message_id + 1

            with pytest.raises(tg_error.BadRequest, match="Message is too long"):
                await bot.send_message(CHAT, "x" * 4097)
            tg.fail(429, retry_after=3)
            with pytest.raises(tg_error.RetryAfter) as flood:
                await bot.send_message(CHAT, "hi")
            wait = flood.value.retry_after
            assert (wait if isinstance(wait, int) else wait.total_seconds()) == 3
            tg.block(CHAT)
            with pytest.raises(tg_error.Forbidden, match="blocked by the user"):
                await bot.send_voice(CHAT, reply_ogg)
            tg.revoke(tg.token)
            with pytest.raises(tg_error.InvalidToken):
                await bot.get_me()

    asyncio.run(scenario())

    assert tg.sent_voices == [(CHAT, reply_ogg, "Listen")]
    [upload] = tg.calls_to("sendVoice")[0].files
    assert upload.field == "voice" and upload.data == reply_ogg
    assert tg.chat_actions == [(CHAT, "record_voice")]
    assert tg.calls_to("setWebhook")[0].params["secret_token"] == "hook-Secret_1"
