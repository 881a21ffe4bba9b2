"""The fake Telegram Bot API speaks the real wire protocol: checked with plain httpx and with
python-telegram-bot (the client the product uses) pointed at it."""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any

import httpx
import numpy as np
import pytest
import telegram
from telegram import error as tg_error

from echome.media.audio import encode
from tests.servers import fake_telegram as fake_module
from tests.servers.fake_telegram import (
    DEFAULT_CHAT_ID,
    FakeTelegram,
    ogg_duration,
    photo_update,
    sticker_update,
    text_update,
    voice_update,
)

pytest_plugins = ["tests.servers.fixtures"]

CHAT = DEFAULT_CHAT_ID


def _ogg(seconds: float = 2.0) -> bytes:
    t = np.arange(int(seconds * 16_000)) / 16_000
    return encode((0.3 * np.sin(2 * np.pi * 180 * t)).astype(np.float32), 16_000, codec="opus")


def _api(tg: FakeTelegram, method: str, token: str | None = None, **kwargs: Any) -> httpx.Response:
    return httpx.post(tg.method_url(method, token), timeout=10, **kwargs)


def _error(response: httpx.Response) -> tuple[int, str]:
    body = response.json()
    assert body["ok"] is False and body["error_code"] == response.status_code
    return response.status_code, body["description"]


def _ptb(tg: FakeTelegram, token: str | None = None) -> telegram.Bot:
    return telegram.Bot(
        token or tg.token, base_url=f"{tg.api_url}/bot", base_file_url=f"{tg.api_url}/file/bot"
    )


# -- plain HTTP ------------------------------------------------------------------------------------
def test_get_me_tokens_and_method_names(fake_telegram: FakeTelegram) -> None:
    tg = fake_telegram
    me = httpx.get(tg.method_url("getMe")).json()
    assert me["ok"] is True
    assert me["result"] == {
        "id": 123456,
        "is_bot": True,
        "first_name": "Echome Test",
        "username": "echome_test_bot",
        "can_join_groups": True,
        "can_read_all_group_messages": False,
        "supports_inline_queries": False,
        "can_connect_to_business": False,
        "has_main_web_app": False,
    }
    assert _api(tg, "GETME").json()["result"]["username"] == "echome_test_bot"  # case-insensitive
    assert _error(_api(tg, "getMe", "999:nope")) == (401, "Unauthorized")
    assert _error(_api(tg, "sendTelepathy")) == (404, "Not Found")
    assert _error(httpx.get(f"{tg.api_url}/nothing/here")) == (404, "Not Found")

    tg.add_bot("777:SECOND-bot", "second_bot")
    assert _api(tg, "getMe", "777:SECOND-bot").json()["result"]["id"] == 777
    tg.revoke("777:SECOND-bot")
    assert _error(_api(tg, "getMe", "777:SECOND-bot")) == (401, "Unauthorized")
    assert _api(tg, "getMe").status_code == 200
    assert [c.api_method for c in tg.calls_to("getme")] == [
        "getMe",
        "GETME",
        "getMe",
        "getMe",
        "getMe",
        "getMe",
    ]


def test_parameters_from_query_form_json_and_multipart(fake_telegram: FakeTelegram) -> None:
    tg = fake_telegram
    url = tg.method_url("sendMessage")
    answers = [
        httpx.get(url, params={"chat_id": CHAT, "text": "query"}),
        httpx.post(url, data={"chat_id": str(CHAT), "text": "form"}),
        httpx.post(url, json={"chat_id": CHAT, "text": "json"}),
        httpx.post(url, data={"chat_id": str(CHAT), "text": "multipart"}, files={"x": ("x.bin", b"1")}),
    ]
    messages = [a.json()["result"] for a in answers]
    assert [m["text"] for m in messages] == ["query", "form", "json", "multipart"]
    assert [m["message_id"] for m in messages] == [1, 2, 3, 4]
    assert messages[0]["chat"] == {"id": CHAT, "first_name": "User", "type": "private"}
    assert messages[0]["from"]["is_bot"] is True and abs(messages[0]["date"] - time.time()) < 5
    calls = tg.calls_to("sendMessage")
    assert [c.params["text"] for c in calls] == ["query", "form", "json", "multipart"]
    assert calls[1].form == {"chat_id": [str(CHAT)], "text": ["form"]}
    assert calls[2].params["chat_id"] == CHAT and calls[2].json == {"chat_id": CHAT, "text": "json"}
    assert [tg.sent_messages[i]["text"] for i in range(4)] == ["query", "form", "json", "multipart"]


def test_send_message_checks(fake_telegram: FakeTelegram) -> None:
    tg = fake_telegram

    def send(**params: Any) -> httpx.Response:
        return _api(tg, "sendMessage", json={"chat_id": CHAT, **params})

    assert _error(_api(tg, "sendMessage", json={"text": "hi"})) == (400, "Bad Request: chat_id is empty")
    assert _error(send()) == (400, "Bad Request: message text is empty")
    assert _error(send(text="  \n ")) == (400, "Bad Request: message text is empty")
    assert _error(send(text="x" * 4097)) == (400, "Bad Request: message is too long")
    assert send(text="x" * 4096).status_code == 200
    assert _error(send(text="hi", parse_mode="BBCode")) == (400, "Bad Request: unsupported parse_mode")
    assert send(text="<b>Hi</b> &amp; bye", parse_mode="HTML").json()["result"]["text"] == "Hi & bye"
    code, why = _error(send(text="a <div>b</div>", parse_mode="HTML"))
    assert code == 400 and why.startswith('Bad Request: can\'t parse entities: Unsupported start tag "div"')
    code, why = _error(send(text="Done. Thanks!", parse_mode="MarkdownV2"))
    assert code == 400 and "Character '.' is reserved" in why
    assert send(text="*Done\\.* [site](https://x.io/a.b)", parse_mode="MarkdownV2").status_code == 200
    assert _error(send(text="re", reply_parameters={"message_id": 999})) == (
        400,
        "Bad Request: message to be replied not found",
    )
    ok = send(text="re", reply_parameters={"message_id": 999, "allow_sending_without_reply": True})
    assert "reply_to_message" not in ok.json()["result"]

    incoming = tg.push_update(tg.token, text_update("how much is it?", first_name="Dana"))
    reply = send(text="42 euros", reply_to_message_id=incoming["message"]["message_id"]).json()["result"]
    assert reply["reply_to_message"]["text"] == "how much is it?"
    assert reply["chat"]["first_name"] == "Dana"  # the chat as the user's update showed it
    assert reply["message_id"] > incoming["message"]["message_id"]
    keyboard = {"inline_keyboard": [[{"text": "Buy", "callback_data": "buy"}]]}
    assert send(text="menu", reply_markup=keyboard).json()["result"]["reply_markup"] == keyboard


def test_blocked_chat_is_forbidden(fake_telegram: FakeTelegram) -> None:
    tg = fake_telegram
    tg.block(CHAT)
    forbidden = (403, "Forbidden: bot was blocked by the user")
    assert _error(_api(tg, "sendMessage", json={"chat_id": CHAT, "text": "hi"})) == forbidden
    assert _error(_api(tg, "sendChatAction", json={"chat_id": CHAT, "action": "typing"})) == forbidden
    voice = _api(
        tg, "sendVoice", data={"chat_id": str(CHAT)}, files={"voice": ("v.ogg", _ogg(), "audio/ogg")}
    )
    assert _error(voice) == forbidden
    assert tg.sent_voices == [] and tg.sent_messages == []
    tg.unblock(CHAT)
    assert _api(tg, "sendMessage", json={"chat_id": CHAT, "text": "hi"}).status_code == 200


def test_webhook_lifecycle(fake_telegram: FakeTelegram) -> None:
    tg = fake_telegram
    hook = "https://bot.example.com/telegram/webhook"

    def set_hook(**params: Any) -> httpx.Response:
        return _api(tg, "setWebhook", json=params)

    assert _error(set_hook()) == (400, 'Bad Request: parameter "url" is required')
    assert _error(set_hook(url="http://bot.example.com/x")) == (
        400,
        "Bad Request: bad webhook: An HTTPS URL must be provided for webhook",
    )
    assert _error(set_hook(url="https://bot.example.com:8080/x"))[1].endswith("ports 80, 88, 443 or 8443")
    assert (
        _error(set_hook(url="https://10.0.0.5/x"))[1]
        == "Bad Request: bad webhook: IP address 10.0.0.5 is reserved"
    )
    assert _error(set_hook(url=hook, secret_token="has space")) == (
        400,
        "Bad Request: secret token contains unallowed characters",
    )
    assert _error(set_hook(url=hook, secret_token="a" * 257)) == (
        400,
        "Bad Request: secret token is too long",
    )
    assert tg.webhooks == {}

    tg.receive_text("queued before the webhook")
    answer = set_hook(url=hook, secret_token="s3cret_-X" + "a" * 247, allowed_updates=["message", "bogus"])
    assert answer.json() == {"ok": True, "result": True, "description": "Webhook was set"}
    assert tg.webhooks[tg.token]["url"] == hook
    assert tg.webhooks[tg.token]["secret_token"] == "s3cret_-X" + "a" * 247
    assert tg.webhooks[tg.token]["allowed_updates"] == ["message"]
    info = _api(tg, "getWebhookInfo").json()["result"]
    assert info == {
        "url": hook,
        "has_custom_certificate": False,
        "pending_update_count": 1,
        "max_connections": 40,
        "allowed_updates": ["message"],
    }
    assert _error(_api(tg, "getUpdates")) == (
        409,
        "Conflict: can't use getUpdates method while webhook is active; "
        "use deleteWebhook to delete the webhook first",
    )
    assert set_hook(url=hook).json()["description"] == "Webhook is already set"

    deleted = _api(tg, "deleteWebhook", data={"drop_pending_updates": "true"}).json()
    assert deleted == {"ok": True, "result": True, "description": "Webhook was deleted"}
    assert _api(tg, "deleteWebhook").json()["description"] == "Webhook is already deleted"
    assert tg.webhooks == {}
    assert _api(tg, "getWebhookInfo").json()["result"] == {
        "url": "",
        "has_custom_certificate": False,
        "pending_update_count": 0,
    }
    assert _api(tg, "getUpdates").json() == {"ok": True, "result": []}


def test_get_updates_offset_and_limit(fake_telegram: FakeTelegram) -> None:
    tg = fake_telegram
    first = tg.push_update(tg.token, {"message": {"chat": {"id": CHAT, "type": "private"}, "text": "a"}})
    assert first["update_id"] == 1 and first["message"]["message_id"] == 1 and "date" in first["message"]
    for text in ("b", "c", "d"):
        tg.push_update(None, {"message": {"chat": {"id": CHAT, "type": "private"}, "text": text}})

    def texts(**params: Any) -> list[str]:
        body = _api(tg, "getUpdates", json=params).json()
        return [u["message"]["text"] for u in body["result"]]

    assert texts(limit=2) == ["a", "b"]
    assert texts() == ["a", "b", "c", "d"]  # nothing confirmed yet
    assert texts(offset=3) == ["c", "d"]  # confirms 1 and 2
    assert texts() == ["c", "d"]
    assert texts(offset=-1) == ["d"]  # keeps only the last one
    assert texts(offset=5) == []
    assert tg.pending_updates() == []
    later = tg.push_update(tg.token, text_update("e"))
    assert later["update_id"] >= 5

    tg.push_update(tg.token, {"chat_member": {"chat": {"id": CHAT}}})
    assert [u.get("message", {}).get("text") for u in _api(tg, "getUpdates").json()["result"]] == ["e"]
    assert _error(_api(tg, "getUpdates", json={"offset": "soon"}))[0] == 400


def test_long_poll_waits_for_an_update(fake_telegram: FakeTelegram, monkeypatch: pytest.MonkeyPatch) -> None:
    tg = fake_telegram
    timer = threading.Timer(0.3, lambda: tg.receive_text("hello"))
    timer.start()
    started = time.monotonic()
    result = _api(tg, "getUpdates", json={"timeout": 30}).json()["result"]
    assert 0.25 < time.monotonic() - started < 1.9
    assert [u["message"]["text"] for u in result] == ["hello"]

    monkeypatch.setattr(fake_module, "MAX_POLL_SECONDS", 0.3)
    started = time.monotonic()
    assert (
        _api(tg, "getUpdates", json={"offset": result[0]["update_id"] + 1, "timeout": 30}).json()["result"]
        == []
    )
    assert 0.25 < time.monotonic() - started < 1.5


def test_long_poll_is_ended_by_set_webhook_and_by_another_poll(fake_telegram: FakeTelegram) -> None:
    tg = fake_telegram
    with httpx.Client(timeout=10) as client:
        answers: list[httpx.Response] = []
        poller = threading.Thread(
            target=lambda: answers.append(client.post(tg.method_url("getUpdates"), json={"timeout": 10}))
        )
        poller.start()
        time.sleep(0.2)
        with httpx.Client(timeout=10) as other:
            assert other.post(tg.method_url("getUpdates"), json={"timeout": 0}).status_code == 200
        poller.join()
        assert _error(answers[0]) == (
            409,
            "Conflict: terminated by other getUpdates request; "
            "make sure that only one bot instance is running",
        )

        poller = threading.Thread(
            target=lambda: answers.append(client.post(tg.method_url("getUpdates"), json={"timeout": 10}))
        )
        poller.start()
        time.sleep(0.2)
        assert _api(tg, "setWebhook", json={"url": "https://bot.example.com/hook"}).status_code == 200
        poller.join()
        assert _error(answers[1]) == (409, "Conflict: terminated by setWebhook request")


def test_get_file_and_download(fake_telegram: FakeTelegram) -> None:
    tg = fake_telegram
    ogg = _ogg()
    file_id = tg.add_file(ogg)
    info = _api(tg, "getFile", data={"file_id": file_id}).json()["result"]
    assert info == {
        "file_id": file_id,
        "file_unique_id": info["file_unique_id"],
        "file_size": len(ogg),
        "file_path": "voice/file_1.oga",
    }
    download = httpx.get(f"{tg.api_url}/file/bot{tg.token}/{info['file_path']}")
    assert download.status_code == 200 and download.content == ogg
    assert download.headers["content-type"] == "audio/ogg"
    assert _error(httpx.get(f"{tg.api_url}/file/bot{tg.token}/voice/nope.oga")) == (404, "Not Found")
    assert _error(httpx.get(f"{tg.api_url}/file/bot1:wrong/{info['file_path']}")) == (401, "Unauthorized")
    assert _error(_api(tg, "getFile", data={"file_id": "AwACAgnope"})) == (
        400,
        "Bad Request: invalid file_id",
    )
    assert _error(_api(tg, "getFile")) == (400, "Bad Request: invalid file_id")
    big = tg.add_file(b"\0" * (20 * 1024 * 1024 + 1), file_path="documents/big.bin", mime_type="")
    assert _error(_api(tg, "getFile", json={"file_id": big})) == (400, "Bad Request: file is too big")


def test_send_voice_upload_and_reuse(fake_telegram: FakeTelegram) -> None:
    tg = fake_telegram
    ogg = _ogg(2.0)
    assert ogg_duration(ogg) == 2 and ogg_duration(b"ID3 not ogg") == 0
    sent = _api(
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

    again = _api(tg, "sendVoice", json={"chat_id": CHAT, "voice": voice["file_id"], "duration": 7}).json()
    assert (
        again["result"]["voice"]["file_id"] == voice["file_id"] and again["result"]["voice"]["duration"] == 7
    )
    assert again["result"]["message_id"] == sent["message_id"] + 1
    assert tg.sent_voices[1] == (CHAT, ogg, None)

    def send(**params: Any) -> tuple[int, str]:
        return _error(_api(tg, "sendVoice", json={"chat_id": CHAT, **params}))

    assert send() == (400, "Bad Request: there is no voice in the request")
    assert send(voice="AwACAgunknown") == (400, "Bad Request: wrong file identifier/HTTP URL specified")
    assert send(voice="https://cdn.example.com/v.ogg") == (400, "Bad Request: failed to get HTTP URL content")
    tg.url_files["https://cdn.example.com/v.ogg"] = ogg
    assert (
        _api(tg, "sendVoice", json={"chat_id": CHAT, "voice": "https://cdn.example.com/v.ogg"}).status_code
        == 200
    )
    assert send(voice=voice["file_id"], caption="c" * 1025) == (
        400,
        "Bad Request: message caption is too long",
    )
    empty = _api(tg, "sendVoice", data={"chat_id": str(CHAT)}, files={"voice": ("v.ogg", b"", "audio/ogg")})
    assert _error(empty) == (400, "Bad Request: file must be non-empty")


def test_send_chat_action(fake_telegram: FakeTelegram) -> None:
    tg = fake_telegram
    assert _api(tg, "sendChatAction", data={"chat_id": str(CHAT), "action": "record_voice"}).json() == {
        "ok": True,
        "result": True,
    }
    assert _error(_api(tg, "sendChatAction", json={"chat_id": CHAT, "action": "dancing"})) == (
        400,
        "Bad Request: wrong parameter action in request",
    )
    assert _error(_api(tg, "sendChatAction", json={"chat_id": CHAT}))[0] == 400
    assert tg.chat_actions == [(CHAT, "record_voice")]


def test_scripted_faults(fake_telegram: FakeTelegram) -> None:
    tg = fake_telegram
    tg.fail(429, retry_after=7)
    flood = _api(tg, "sendMessage", json={"chat_id": CHAT, "text": "hi"})
    assert flood.status_code == 429
    assert flood.json() == {
        "ok": False,
        "error_code": 429,
        "description": "Too Many Requests: retry after 7",
        "parameters": {"retry_after": 7},
    }
    tg.fail(502)
    assert _error(_api(tg, "getMe")) == (502, "Bad Gateway")
    tg.hang(0.5)
    with pytest.raises(httpx.ReadTimeout):
        httpx.post(tg.method_url("getMe"), timeout=0.2)
    tg.garbage()
    assert _api(tg, "getMe").text.startswith("<html>")
    assert _api(tg, "getMe").json()["ok"] is True
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
    ogg = _ogg(1.0)
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
    customer_ogg = _ogg(2.0)
    reply_ogg = _ogg(1.0)

    async def scenario() -> None:
        async with _ptb(tg) as bot:
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
