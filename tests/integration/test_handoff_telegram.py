"""The seller in the loop end to end, against the fake Telegram Bot API: the seller links their own
chat with the persona's bot, a customer's message hands off, the seller is notified with buttons,
taps one or replies (text or a voice note), and the customer receives it on their channel.

Real parts: the app and its routes, the webhook, the jobs (run as a worker runs them), the database
(SQLite and PostgreSQL), python-telegram-bot speaking HTTP to the fake. Fakes: the embedder, the
voice (silence) and the speech recogniser (it hears a scripted sentence).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from echome.db.models import Client, Conversation, Job, Message
from echome.db.types import utcnow
from echome.handoff import JOB_KINDS
from tests.servers.fake_telegram import FakeTelegram, text_update, voice_update
from tests.servers.fixtures import fake_telegram  # noqa: F401

from ..conftest import make_settings

CATALOG = b"""name,sku,price,stock,description
Harbor Linen Shirt,HL-100,48.00,12,Breathable linen shirt with mother-of-pearl buttons.
Fjord Wool Beanie,FW-220,22.00,40,Soft merino wool beanie that keeps its shape.
"""
CUSTOMER = 111_222_333
SELLER = 777_000_111
HEARD = "Yes, I can make it in blue for you by Friday."


@dataclass
class Desk:
    c: TestClient
    services: Any
    headers: dict[str, str]
    persona_id: str
    tg: FakeTelegram

    def post(self, update: dict[str, Any]) -> str:
        r = self.c.post(
            f"/webhook/telegram/{self.persona_id}",
            json=update,
            headers={
                "X-Telegram-Bot-Api-Secret-Token": self.services.telegram_inbox.webhook_secret(
                    self.persona_id
                )
            },
        )
        assert r.status_code == 200, r.text
        return str(r.json()["job_id"])

    def deliver(self, update: dict[str, Any]) -> dict[str, Any]:
        """Telegram posts the update; a worker runs its job, then the desk's jobs it started."""
        job_id = self.post(update)
        self.services.executor.execute(job_id)
        self.run_jobs()
        with self.services.sessions() as s:
            job = s.get(Job, job_id)
            assert job is not None and job.status == "completed", (job.status, job.error)
            return dict(job.result or {})

    def run_jobs(self) -> list[str]:
        """Run the desk's jobs that are due (a notification, a delivery, the persona resuming)."""
        ran: list[str] = []
        for _ in range(10):
            with self.services.sessions() as s:
                due = s.scalars(
                    select(Job)
                    .where(Job.status == "pending", Job.kind.in_(JOB_KINDS), Job.run_after <= utcnow())
                    .order_by(Job.created_at)
                ).all()
                due_ids = [(j.id, j.kind) for j in due]
            if not due_ids:
                return ran
            for job_id, kind in due_ids:
                self.services.executor.execute(job_id)
                ran.append(kind)
        raise AssertionError(f"jobs keep coming: {ran}")

    def to(self, chat_id: int) -> list[dict[str, Any]]:
        """sendMessage requests to a chat, as sent (text and any reply_markup)."""
        out = []
        for call in self.tg.calls_to("sendMessage"):
            if int(call.params.get("chat_id")) == chat_id:
                markup = call.params.get("reply_markup")
                out.append(
                    {**call.params, "reply_markup": json.loads(markup) if isinstance(markup, str) else markup}
                )
        return out

    def sent_to(self, chat_id: int) -> list[dict[str, Any]]:
        """The messages the bot sent to a chat, as Telegram holds them (with message ids)."""
        return [m for m in self.tg.sent_messages if m["chat"]["id"] == chat_id]


@pytest.fixture
def desk(
    tmp_path: Path,
    database_url: str | None,
    fake_telegram: FakeTelegram,  # noqa: F811
    request: pytest.FixtureRequest,
) -> Iterator[Desk]:
    from echome.app.main import create_app
    from echome.bootstrap import build_services
    from echome.providers.fakes import RecordingTTS, ScriptedSTT

    marker = request.node.get_closest_marker("settings")
    settings = make_settings(
        tmp_path,
        database_url=database_url,
        vector_store="memory",
        embedder="fake",
        telegram_api_url=fake_telegram.api_url,
        **(marker.kwargs if marker else {}),
    )
    services = build_services(settings)
    services._local_tts.set(RecordingTTS())
    services._stt.set(ScriptedSTT(HEARD))
    try:
        with TestClient(create_app(services), base_url="http://testserver") as c:
            me = c.post(
                "/api/auth/signup",
                json={"email": f"s-{uuid.uuid4().hex[:8]}@example.com", "password": "correct horse"},
            )
            csrf = {"X-CSRF-Token": me.headers["x-csrf-token"]}
            token = c.post("/api/auth/tokens", json={"name": "t"}, headers=csrf).json()["token"]
            c.cookies.clear()
            headers = {"Authorization": f"Bearer {token}"}
            persona = c.post("/api/personas", json={"name": "Ana"}, headers=headers).json()
            r = c.put(
                "/api/keys/telegram_bot_token",
                json={"value": fake_telegram.token, "persona_id": persona["id"]},
                headers=headers,
            )
            assert r.status_code == 200, r.text
            up = c.post(
                "/api/products/upload",
                files={"file": ("shop.csv", CATALOG)},
                data={"persona_id": persona["id"]},
                headers=headers,
            )
            services.executor.execute(up.json()["job_id"])
            yield Desk(c, services, headers, persona["id"], fake_telegram)
    finally:
        services.close()


def link_seller(desk: Desk) -> None:
    r = desk.c.post(f"/api/personas/{desk.persona_id}/handoff/telegram-link", headers=desk.headers)
    assert r.status_code == 201, r.text
    link = r.json()
    assert link["bot_username"] == desk.tg.bot_username
    assert link["deep_link"] == f"https://t.me/{desk.tg.bot_username}?start={link['code']}"
    result = desk.deliver(text_update(link["command"], chat_id=SELLER, first_name="Ana"))
    assert result["seller"] == "linked"
    assert "seller chat" in desk.to(SELLER)[-1]["text"]
    state = desk.c.get(f"/api/personas/{desk.persona_id}/handoff/telegram-link", headers=desk.headers).json()
    assert state["linked"] and state["name"] == "Ana"


def conversation_of(desk: Desk, chat_id: int = CUSTOMER) -> Conversation:
    with desk.services.sessions() as s:
        client = s.scalars(select(Client).where(Client.external_id == str(chat_id))).one()
        return s.scalars(select(Conversation).where(Conversation.client_id == client.id)).one()


def test_seller_is_notified_with_buttons_and_send_draft_reaches_the_customer(desk: Desk) -> None:
    link_seller(desk)
    desk.deliver(text_update("/text", chat_id=CUSTOMER, first_name="Dana"))  # the customer reads text

    result = desk.deliver(
        text_update(
            "How much is the Harbor Linen Shirt? Can I talk to a real person?",
            chat_id=CUSTOMER,
            first_name="Dana",
        )
    )
    told = desk.to(CUSTOMER)[-1]["text"]
    assert "I've asked Ana to answer you personally" in told and "reply here" in told
    conv = conversation_of(desk)
    assert conv.state == "waiting" and conv.handoff_reason == "customer_asked"

    # The seller's chat: the question, the summary, the draft, and four buttons with our callback data.
    notice = desk.to(SELLER)[-1]
    assert "Dana needs you (Telegram): the customer asks for a person" in notice["text"]
    assert "How much is the Harbor Linen Shirt? Can I talk to a real person?" in notice["text"]
    assert "Ana's draft (not sent):" in notice["text"] and "$48" in notice["text"]
    buttons = [b["callback_data"] for row in notice["reply_markup"]["inline_keyboard"] for b in row]
    assert buttons == [f"h:{a}:{conv.id}" for a in ("send", "edit", "claim", "release")]
    assert result.get("handoff") is None  # the customer was told, by a message: it is delivered

    # The seller taps "Send draft": the tap is answered, the buttons go, the draft reaches Dana.
    tap = desk.tg.press(desk.sent_to(SELLER)[-1], f"h:send:{conv.id}", user_id=SELLER)
    desk.deliver(tap)
    assert desk.tg.answered_callbacks[-1]["text"] == "Sent to Dana."
    edits = desk.tg.calls_to("editMessageReplyMarkup")
    assert len(edits) == 1 and int(edits[0].params["chat_id"]) == SELLER
    assert "$48" in desk.to(CUSTOMER)[-1]["text"] and "Harbor Linen Shirt" in desk.to(CUSTOMER)[-1]["text"]
    assert conversation_of(desk).state == "persona"

    # The persona answers again; the seller's chat was never a customer.
    desk.deliver(text_update("And the Fjord Wool Beanie?", chat_id=CUSTOMER, first_name="Dana"))
    assert "$22" in desk.to(CUSTOMER)[-1]["text"]
    with desk.services.sessions() as s:
        assert s.scalars(select(Client).where(Client.external_id == str(SELLER))).first() is None
        roles = [m.role for m in s.scalars(select(Message).order_by(Message.created_at, Message.id))]
    assert roles.count("draft") == 1 and "seller" not in roles


def test_a_seller_reply_reaches_the_customer_and_a_burst_gets_one_acknowledgement(desk: Desk) -> None:
    link_seller(desk)
    desk.deliver(text_update("/text", chat_id=CUSTOMER, first_name="Dana"))
    desk.deliver(
        text_update("Could you give me a discount on two linen shirts?", chat_id=CUSTOMER, first_name="Dana")
    )
    conv = conversation_of(desk)
    assert conv.state == "waiting" and conv.handoff_reason == "discount"
    notice = desk.sent_to(SELLER)[-1]

    # A burst while waiting: recorded and passed on, but the customer hears nothing more yet.
    before = len(desk.to(CUSTOMER))
    for text in ("Hello?", "Two shirts, size M"):
        desk.deliver(text_update(text, chat_id=CUSTOMER, first_name="Dana"))
    assert len(desk.to(CUSTOMER)) == before
    forwarded = [m["text"] for m in desk.to(SELLER)[-2:]]
    assert "Hello?" in forwarded[0] and "Two shirts, size M" in forwarded[1]

    # The seller replies to the notification: it goes to Dana as the seller's own words.
    desk.deliver(text_update("Ten percent off for two, Dana!", chat_id=SELLER, reply_to=notice))
    assert desk.to(CUSTOMER)[-1]["text"] == "Ten percent off for two, Dana!"
    assert "On its way to Dana" in desk.to(SELLER)[-1]["text"]
    assert conversation_of(desk).state == "seller"

    # The seller is answering live: a new customer message is passed on, without an acknowledgement.
    desk.deliver(text_update("Great, how do I order?", chat_id=CUSTOMER, first_name="Dana"))
    assert desk.to(CUSTOMER)[-1]["text"] == "Ten percent off for two, Dana!"

    # "Let the persona answer": it answers what nobody answered yet.
    tap = desk.tg.press(desk.sent_to(SELLER)[-1], f"h:release:{conv.id}", user_id=SELLER)
    desk.deliver(tap)
    assert conversation_of(desk).state == "persona"
    assert desk.tg.answered_callbacks[-1]["text"] == "Ana answers Dana again."
    with desk.services.sessions() as s:
        last = s.scalars(
            select(Message).where(Message.conversation_id == conv.id).order_by(Message.created_at.desc())
        ).first()
    assert last is not None and last.role == "assistant" and (last.meta or {}).get("delivery") == "sent"
    assert desk.to(CUSTOMER)[-1]["text"] == last.content


def test_seller_voice_reply_is_transcribed_and_sent_as_their_voice(desk: Desk) -> None:
    link_seller(desk)
    desk.deliver(
        text_update("Do you do custom embroidery on the beanie?", chat_id=CUSTOMER, first_name="Dana")
    )
    notice = desk.sent_to(SELLER)[-1]
    note = desk.tg.add_file(b"OggS" + b"\x01" * 400, file_path="voice/seller.oga")
    desk.deliver(voice_update(note, chat_id=SELLER, duration=3, reply_to=notice))
    voices = [v for v in desk.tg.sent_voices if v[0] == CUSTOMER]
    assert voices and voices[-1][1].startswith(b"OggS") and voices[-1][2] == HEARD
    with desk.services.sessions() as s:
        reply = s.scalars(select(Message).where(Message.role == "seller")).one()
        assert reply.content == HEARD and reply.audio_ref and "seller-notes/" in reply.audio_ref


def test_edit_button_then_reply_sends_the_edited_draft(desk: Desk) -> None:
    link_seller(desk)
    desk.deliver(text_update("/text", chat_id=CUSTOMER, first_name="Dana"))
    desk.deliver(text_update("I want to speak to a human", chat_id=CUSTOMER, first_name="Dana"))
    conv = conversation_of(desk)
    desk.deliver(desk.tg.press(desk.sent_to(SELLER)[-1], f"h:edit:{conv.id}", user_id=SELLER))
    ask = desk.to(SELLER)[-1]
    assert ask["reply_markup"]["force_reply"] is True and "Edit Ana's draft" in ask["text"]
    desk.deliver(
        text_update(
            "Hi Dana, Ana here. What can I do for you?", chat_id=SELLER, reply_to=desk.sent_to(SELLER)[-1]
        )
    )
    assert desk.to(CUSTOMER)[-1]["text"] == "Hi Dana, Ana here. What can I do for you?"
    assert conversation_of(desk).state == "persona"  # an edited draft hands the conversation back


def test_buttons_and_replies_from_anyone_but_the_linked_seller_do_nothing(desk: Desk) -> None:
    link_seller(desk)
    desk.deliver(text_update("Can I talk to a person?", chat_id=CUSTOMER, first_name="Dana"))
    conv = conversation_of(desk)
    notice = desk.sent_to(SELLER)[-1]
    # A forged tap from another user (Telegram would never deliver it, but a webhook is hostile input).
    forged = desk.tg.press(notice, f"h:send:{conv.id}", user_id=CUSTOMER)
    desk.deliver(forged)
    assert desk.tg.answered_callbacks[-1]["text"] == "This button is not for you."
    assert conversation_of(desk).state == "waiting"
    # A message in the seller's chat that answers no notification is not sent to anyone.
    n = len(desk.to(CUSTOMER))
    desk.deliver(text_update("hello there", chat_id=SELLER))
    assert "Which customer is this for?" in desk.to(SELLER)[-1]["text"] and len(desk.to(CUSTOMER)) == n
    # A wrong or reused code links nothing.
    code = desk.c.post(f"/api/personas/{desk.persona_id}/handoff/telegram-link", headers=desk.headers).json()
    desk.deliver(text_update(f"/start {code['code']}x", chat_id=CUSTOMER, first_name="Dana"))
    assert "seller chat" not in desk.to(CUSTOMER)[-1]["text"]


@pytest.mark.settings(public_url="https://shop.example.com")
def test_linking_upgrades_an_older_webhook_to_deliver_button_taps(desk: Desk) -> None:
    import httpx

    hook = f"https://shop.example.com/webhook/telegram/{desk.persona_id}"
    secret = desk.services.telegram_inbox.webhook_secret(desk.persona_id)
    old = httpx.post(
        desk.tg.method_url("setWebhook"),
        json={"url": hook, "secret_token": secret, "allowed_updates": ["message"]},
    )
    assert old.json()["ok"]
    r = desk.c.post(f"/api/personas/{desk.persona_id}/handoff/telegram-link", headers=desk.headers)
    assert r.status_code == 201 and r.json()["bot_username"] == desk.tg.bot_username
    again = desk.tg.calls_to("setWebhook")[-1].params
    assert again["url"] == hook and again["secret_token"] == secret
    assert json.loads(again["allowed_updates"]) == ["message", "callback_query"]
    desk.c.post(f"/api/personas/{desk.persona_id}/handoff/telegram-link", headers=desk.headers)
    assert len(desk.tg.calls_to("setWebhook")) == 2  # up to date now: not set again


def test_a_web_chat_visitor_gets_the_sellers_telegram_reply_in_the_widget(desk: Desk) -> None:
    shop = "https://shop.example.com"
    w = desk.c.patch(
        f"/api/personas/{desk.persona_id}/widget", json={"allowed_origins": [shop]}, headers=desk.headers
    )
    assert w.status_code == 200, w.text
    slug = w.json()["slug"]
    link_seller(desk)
    token = desk.c.post(f"/api/widget/{slug}/visitor", headers={"Origin": shop}).json()["token"]
    visitor = {"Origin": shop, "X-Echome-Visitor": token}

    r = desk.c.post(
        f"/api/widget/{slug}/messages", json={"text": "Can I talk to a real person?"}, headers=visitor
    )
    assert r.status_code == 200, r.text
    answer = next(
        json.loads(b.split("data: ", 1)[1]) for b in r.text.split("\n\n") if b.startswith("event: answer")
    )
    assert answer["handed_off"] is True and "I've asked Ana" in answer["text"]
    desk.run_jobs()

    notice = desk.sent_to(SELLER)[-1]
    assert "needs you (web chat): the customer asks for a person" in notice["text"]
    assert any(
        b["callback_data"].startswith("h:send:")
        for row in notice["reply_markup"]["inline_keyboard"]
        for b in row
    )
    desk.deliver(text_update("Hello! Ana here, how can I help?", chat_id=SELLER, reply_to=notice))

    thread = desk.c.get(f"/api/widget/{slug}/thread", headers=visitor).json()
    assert thread["state"] == "seller"
    assert [(m["role"], m["text"]) for m in thread["messages"]][-1] == (
        "seller",
        "Hello! Ana here, how can I help?",
    )
    # The persona's draft (its "Shall I pass your question on...") never reaches the visitor.
    assert not any("Shall I pass" in m["text"] for m in thread["messages"])
