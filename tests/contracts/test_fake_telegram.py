"""The fake Telegram Bot API speaks the real wire protocol, checked with plain httpx: tokens and method
names, parameters in every encoding, messages, webhooks and long polling. Files, voice, faults and
python-telegram-bot: test_fake_telegram_files.py."""

from __future__ import annotations

import threading
import time
from typing import Any

import httpx
import pytest

from tests.servers import fake_telegram as fake_module
from tests.servers.fake_telegram import (
    FakeTelegram,
    text_update,
)
from tests.support.telegram_wire import CHAT, api_call, error_of, ogg_tone

pytest_plugins = ["tests.servers.fixtures"]


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
    assert api_call(tg, "GETME").json()["result"]["username"] == "echome_test_bot"  # case-insensitive
    assert error_of(api_call(tg, "getMe", "999:nope")) == (401, "Unauthorized")
    assert error_of(api_call(tg, "sendTelepathy")) == (404, "Not Found")
    assert error_of(httpx.get(f"{tg.api_url}/nothing/here")) == (404, "Not Found")

    tg.add_bot("777:SECOND-bot", "second_bot")
    assert api_call(tg, "getMe", "777:SECOND-bot").json()["result"]["id"] == 777
    tg.revoke("777:SECOND-bot")
    assert error_of(api_call(tg, "getMe", "777:SECOND-bot")) == (401, "Unauthorized")
    assert api_call(tg, "getMe").status_code == 200
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
        return api_call(tg, "sendMessage", json={"chat_id": CHAT, **params})

    assert error_of(api_call(tg, "sendMessage", json={"text": "hi"})) == (
        400,
        "Bad Request: chat_id is empty",
    )
    assert error_of(send()) == (400, "Bad Request: message text is empty")
    assert error_of(send(text="  \n ")) == (400, "Bad Request: message text is empty")
    assert error_of(send(text="x" * 4097)) == (400, "Bad Request: message is too long")
    assert send(text="x" * 4096).status_code == 200
    assert error_of(send(text="hi", parse_mode="BBCode")) == (400, "Bad Request: unsupported parse_mode")
    assert send(text="<b>Hi</b> &amp; bye", parse_mode="HTML").json()["result"]["text"] == "Hi & bye"
    code, why = error_of(send(text="a <div>b</div>", parse_mode="HTML"))
    assert code == 400 and why.startswith('Bad Request: can\'t parse entities: Unsupported start tag "div"')
    code, why = error_of(send(text="Done. Thanks!", parse_mode="MarkdownV2"))
    assert code == 400 and "Character '.' is reserved" in why
    assert send(text="*Done\\.* [site](https://x.io/a.b)", parse_mode="MarkdownV2").status_code == 200
    assert error_of(send(text="re", reply_parameters={"message_id": 999})) == (
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
    assert error_of(api_call(tg, "sendMessage", json={"chat_id": CHAT, "text": "hi"})) == forbidden
    assert error_of(api_call(tg, "sendChatAction", json={"chat_id": CHAT, "action": "typing"})) == forbidden
    voice = api_call(
        tg, "sendVoice", data={"chat_id": str(CHAT)}, files={"voice": ("v.ogg", ogg_tone(), "audio/ogg")}
    )
    assert error_of(voice) == forbidden
    assert tg.sent_voices == [] and tg.sent_messages == []
    tg.unblock(CHAT)
    assert api_call(tg, "sendMessage", json={"chat_id": CHAT, "text": "hi"}).status_code == 200


def test_webhook_lifecycle(fake_telegram: FakeTelegram) -> None:
    tg = fake_telegram
    hook = "https://bot.example.com/telegram/webhook"

    def set_hook(**params: Any) -> httpx.Response:
        return api_call(tg, "setWebhook", json=params)

    assert error_of(set_hook()) == (400, 'Bad Request: parameter "url" is required')
    assert error_of(set_hook(url="http://bot.example.com/x")) == (
        400,
        "Bad Request: bad webhook: An HTTPS URL must be provided for webhook",
    )
    assert error_of(set_hook(url="https://bot.example.com:8080/x"))[1].endswith("ports 80, 88, 443 or 8443")
    assert (
        error_of(set_hook(url="https://10.0.0.5/x"))[1]
        == "Bad Request: bad webhook: IP address 10.0.0.5 is reserved"
    )
    assert error_of(set_hook(url=hook, secret_token="has space")) == (
        400,
        "Bad Request: secret token contains unallowed characters",
    )
    assert error_of(set_hook(url=hook, secret_token="a" * 257)) == (
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
    info = api_call(tg, "getWebhookInfo").json()["result"]
    assert info == {
        "url": hook,
        "has_custom_certificate": False,
        "pending_update_count": 1,
        "max_connections": 40,
        "allowed_updates": ["message"],
    }
    assert error_of(api_call(tg, "getUpdates")) == (
        409,
        "Conflict: can't use getUpdates method while webhook is active; "
        "use deleteWebhook to delete the webhook first",
    )
    assert set_hook(url=hook).json()["description"] == "Webhook is already set"

    deleted = api_call(tg, "deleteWebhook", data={"drop_pending_updates": "true"}).json()
    assert deleted == {"ok": True, "result": True, "description": "Webhook was deleted"}
    assert api_call(tg, "deleteWebhook").json()["description"] == "Webhook is already deleted"
    assert tg.webhooks == {}
    assert api_call(tg, "getWebhookInfo").json()["result"] == {
        "url": "",
        "has_custom_certificate": False,
        "pending_update_count": 0,
    }
    assert api_call(tg, "getUpdates").json() == {"ok": True, "result": []}


def test_get_updates_offset_and_limit(fake_telegram: FakeTelegram) -> None:
    tg = fake_telegram
    first = tg.push_update(tg.token, {"message": {"chat": {"id": CHAT, "type": "private"}, "text": "a"}})
    assert first["update_id"] == 1 and first["message"]["message_id"] == 1 and "date" in first["message"]
    for text in ("b", "c", "d"):
        tg.push_update(None, {"message": {"chat": {"id": CHAT, "type": "private"}, "text": text}})

    def texts(**params: Any) -> list[str]:
        body = api_call(tg, "getUpdates", json=params).json()
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
    assert [u.get("message", {}).get("text") for u in api_call(tg, "getUpdates").json()["result"]] == ["e"]
    assert error_of(api_call(tg, "getUpdates", json={"offset": "soon"}))[0] == 400


def test_long_poll_waits_for_an_update(fake_telegram: FakeTelegram, monkeypatch: pytest.MonkeyPatch) -> None:
    tg = fake_telegram
    timer = threading.Timer(0.3, lambda: tg.receive_text("hello"))
    timer.start()
    started = time.monotonic()
    result = api_call(tg, "getUpdates", json={"timeout": 30}).json()["result"]
    assert 0.25 < time.monotonic() - started < 1.9
    assert [u["message"]["text"] for u in result] == ["hello"]

    monkeypatch.setattr(fake_module, "MAX_POLL_SECONDS", 0.3)
    started = time.monotonic()
    assert (
        api_call(tg, "getUpdates", json={"offset": result[0]["update_id"] + 1, "timeout": 30}).json()[
            "result"
        ]
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
        assert error_of(answers[0]) == (
            409,
            "Conflict: terminated by other getUpdates request; "
            "make sure that only one bot instance is running",
        )

        poller = threading.Thread(
            target=lambda: answers.append(client.post(tg.method_url("getUpdates"), json={"timeout": 10}))
        )
        poller.start()
        time.sleep(0.2)
        assert api_call(tg, "setWebhook", json={"url": "https://bot.example.com/hook"}).status_code == 200
        poller.join()
        assert error_of(answers[1]) == (409, "Conflict: terminated by setWebhook request")
