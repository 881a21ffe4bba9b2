"""`echome handoff list|show|reply|send-draft|claim|release|link` against a data dir where a web
customer's conversation was handed off."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ..conftest import make_settings
from .test_cli import run

pytestmark = pytest.mark.slow
FAST = {"ECHOME_EMBEDDER": "fake", "ECHOME_VECTOR_STORE": "memory"}


def _handed_off(tmp_path: Path, question: str, client: str) -> str:
    from echome.bootstrap import build_services

    services = build_services(
        make_settings(tmp_path, database_url=None, embedder="fake", vector_store="memory")
    )
    try:
        from sqlalchemy import select

        from echome.db.models import Persona

        with services.sessions() as db:
            persona = db.scalars(select(Persona)).one()
        out = services.answerer.answer(
            user_id=persona.user_id,
            persona_id=persona.id,
            question=question,
            channel="web",
            client_ref=client,
        )
        assert out.handoff is not None
        return str(out.conversation_id)
    finally:
        services.close()


def test_handoff_commands(tmp_path: Path) -> None:
    data = tmp_path / "data"
    assert run(data, "persona", "create", "Ana", env=FAST).returncode == 0
    cid = _handed_off(tmp_path, "Can I talk to a real person?", "visitor-1")

    listed = run(data, "handoff", "list", "Ana", "--json", env=FAST)
    assert listed.returncode == 0, listed.stderr
    items = json.loads(listed.stdout)
    assert [i["id"] for i in items] == [cid] and items[0]["reason"] == "customer_asked"
    assert items[0]["unanswered"] == ["Can I talk to a real person?"] and items[0]["draft"]

    sent = run(data, "handoff", "reply", cid[:8], "Hi, Ana here!", env=FAST)
    assert sent.returncode == 0 and "Queued for delivery" in sent.stdout, sent.stderr
    shown = json.loads(run(data, "handoff", "show", cid, "--json", env=FAST).stdout)
    assert shown["state"] == "seller" and shown["messages"][-1]["role"] == "seller"
    assert run(data, "handoff", "list", "Ana", "--json", env=FAST).stdout.strip() == "[]"
    assert cid in run(data, "handoff", "list", "Ana", "--all", env=FAST).stdout

    released = run(data, "handoff", "release", cid, env=FAST)
    assert released.returncode == 0 and f"{cid}: persona" in released.stdout
    nothing = run(data, "handoff", "send-draft", cid, env=FAST)
    assert nothing.returncode == 1 and "no draft is waiting" in nothing.stderr
    assert run(data, "handoff", "reply", "zz", "hi", env=FAST).returncode == 1
    assert run(data, "handoff", "reply", cid, "   ", env=FAST).returncode == 1

    code = run(data, "handoff", "link", "Ana", env=FAST)
    assert code.returncode == 0 and code.stdout.startswith("/start ")
