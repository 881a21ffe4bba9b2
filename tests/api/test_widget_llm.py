"""The web chat with the seller's LLM (the fake OpenAI server): the reply is streamed from the
model's tokens sentence by sentence, each sentence checked first; an invented price never reaches
the visitor; in approval mode nothing streams and the draft waits for the seller."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.api.test_widget_api import Shop, shop  # noqa: F401
from tests.servers.fixtures import fake_openai  # noqa: F401

pytestmark = pytest.mark.llm
NOTES = json.dumps({"name": None, "preferences": [], "budget": None, "objections": [], "stage": "interested"})


def _key(seller_shop: Shop, fake: Any) -> None:
    r = seller_shop.client.put("/api/keys/openai", json={"value": fake.api_key}, headers=seller_shop.seller)
    assert r.status_code == 200, r.text


def test_the_models_reply_streams_sentence_by_sentence(shop: Shop, fake_openai: Any) -> None:  # noqa: F811
    _key(shop, fake_openai)
    reply = "The Copper Desk Lamp is $79. It has a linen shade. It ships in two days."
    fake_openai.reply(reply, NOTES)
    r, evs = shop.ask(shop.visitor(), "How much is the copper desk lamp?", audio="none")
    assert r.status_code == 200
    texts = [data["text"] for name, data in evs if name == "text"]
    answer = next(data for name, data in evs if name == "answer")
    assert [t.strip() for t in texts] == [
        "The Copper Desk Lamp is $79.",
        "It has a linen shade.",
        "It ships in two days.",
    ]
    assert "".join(texts) == answer["text"] == reply
    asked = fake_openai.chat_calls()[0].json
    assert asked["stream"] is True and asked["stream_options"] == {"include_usage": True}


def test_an_invented_price_never_reaches_the_visitor(shop: Shop, fake_openai: Any) -> None:  # noqa: F811
    _key(shop, fake_openai)
    fake_openai.reply(
        "The Copper Desk Lamp has a linen shade. It is $19 this week only! Buy now.",
        "It costs $79 and ships in two days.",
        NOTES,
    )
    _, evs = shop.ask(shop.visitor(), "Tell me about the copper desk lamp", audio="none")
    texts = [data["text"] for name, data in evs if name == "text"]
    answer = next(data for name, data in evs if name == "answer")
    assert not any("19" in t for t in texts)
    assert "".join(texts) == answer["text"]
    assert answer["text"] == "The Copper Desk Lamp has a linen shade. It costs $79 and ships in two days."
    rewrite = fake_openai.chat_calls()[1].json["messages"][-1]["content"]
    assert "already read" in rewrite and "linen shade" in rewrite


def test_in_approval_mode_nothing_streams_and_the_draft_waits(shop: Shop, fake_openai: Any) -> None:  # noqa: F811
    _key(shop, fake_openai)
    r = shop.client.put(
        f"/api/personas/{shop.persona_id}/handoff/settings",
        json={"approval_mode": "all"},
        headers=shop.seller,
    )
    assert r.status_code == 200, r.text
    fake_openai.reply("The Copper Desk Lamp is $79.", NOTES)
    r, evs = shop.ask(shop.visitor(), "How much is the copper desk lamp?", audio="none")
    answer = next(data for name, data in evs if name == "answer")
    texts = "".join(data["text"] for name, data in evs if name == "text")
    assert answer["handed_off"] and "$79" not in texts and texts == answer["text"]
    assert not fake_openai.chat_calls()[0].json.get("stream")
