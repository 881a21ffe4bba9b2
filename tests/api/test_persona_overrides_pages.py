"""A trait set on the Persona page is saved in the shape the answer stage reads, so it changes what
the persona is told and nothing else: the tone as the seller's word for their energy (the measured
mood stays), the formality as a label with a score in its band. Checked on the page's prompt, on
the merged profile's style summary, and on the system prompt the language model actually receives
(the fake OpenAI server records it)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from echome.answer.prompt import persona_prompt
from echome.db.models import Persona, PersonaProfile
from echome.db.session import transaction
from echome.persona import profile as profiles
from echome.persona.style import style_summary
from tests.servers.fixtures import fake_openai  # noqa: F401
from tests.support.web_pages import HTML
from tests.support.web_pages import csrf_token as _token
from tests.support.web_pages import sign_up as _sign_up

from ..conftest import make_settings

MEASURED = {
    "summary": {"speech_minutes": 6.0, "words": 900, "reliable": True},
    "tone": {"energy_label": "energetic", "sentiment_mean": 0.42},
    "formality": {"label": "casual", "score": 0.31},
}
CATALOG = b"sku,name,price,currency,description\nLS-1,Linen Shirt,48.00,EUR,A light linen shirt.\n"


@pytest.fixture
def settings(tmp_path: Path, database_url: str | None, fake_openai: Any) -> Any:  # noqa: F811
    return make_settings(tmp_path, database_url=database_url, openai_base_url=fake_openai.base_url)


def _measured(services: Any, pid: str) -> None:
    with transaction(services.sessions) as db:
        persona = db.get(Persona, pid)
        assert persona is not None
        profiles.save(db, profiles.load_profile(db, persona), auto=MEASURED, change="measured")


def _merged(services: Any, pid: str) -> dict[str, Any]:
    with services.sessions() as db:
        row = db.scalar(select(PersonaProfile).where(PersonaProfile.persona_id == pid))
        assert row is not None
        return profiles.merge(row.auto_extracted or {}, row.manual_overrides or {})


def _set(client: Any, pid: str, field: str, value: str) -> Any:
    page = client.get(f"/app/personas/{pid}/persona", headers=HTML).text
    version = re.search(r'name="expected_version" value="(\d+)"', page)
    assert version
    data = {"value": value, "expected_version": version.group(1), "csrf_token": _token(page)}
    return client.post(
        f"/app/personas/{pid}/persona/fields/{field}", data=data, headers=HTML, follow_redirects=False
    )


def test_tone_and_formality_from_the_page_change_the_prompt_and_keep_the_rest(
    client: Any, services: Any
) -> None:
    pid = _sign_up(client)
    _measured(services, pid)
    assert "Your tone: energetic, upbeat and positive, casual." in persona_prompt(
        "Ana", _merged(services, pid)
    )

    assert _set(client, pid, "tone", "  warm   and calm ").status_code == 303
    merged = _merged(services, pid)
    # The seller's word replaces the measured energy; the measured mood and formality stay.
    assert merged["tone"] == {"energy": "warm and calm", "energy_label": "energetic", "sentiment_mean": 0.42}
    prompt = persona_prompt("Ana", merged)
    assert "Your tone: warm and calm, upbeat and positive, casual." in prompt
    assert "Energetic delivery" not in prompt  # the summary does not contradict the seller
    page = client.get(f"/app/personas/{pid}/persona", headers=HTML).text
    assert "Your tone: warm and calm, upbeat and positive, casual." in page  # what the page shows
    assert 'value="warm and calm"' in page  # the edit box holds the seller's words, not the mood

    assert _set(client, pid, "formality", "formal").status_code == 303
    merged = _merged(services, pid)
    assert merged["formality"] == {"label": "formal", "score": 0.85}  # a score inside "formal"
    assert "Formal language (formality 0.85)" in style_summary(merged)
    prompt = persona_prompt("Ana", merged)
    assert "Your tone: warm and calm, upbeat and positive, formal." in prompt and "asual" not in prompt
    page = client.get(f"/app/personas/{pid}/persona", headers=HTML).text
    assert '<option value="formal" selected>' in page
    assert "formal (0.85 of 1)" not in page.split('id="trait-formality"')[1].split("</section>")[0]

    # "casual" again keeps the measured score, which lies in its band.
    assert _set(client, pid, "formality", "casual").status_code == 303
    assert _merged(services, pid)["formality"] == {"label": "casual", "score": 0.31}


def test_bad_tone_and_formality_are_explained_next_to_the_field(client: Any, services: Any) -> None:
    pid = _sign_up(client)
    _measured(services, pid)
    long = _set(client, pid, "tone", "warm " * 15)
    assert long.status_code == 422 and 'id="f-tone-error"' in long.text
    assert "Say it in 60 characters or fewer (this is 74)" in long.text
    odd = _set(client, pid, "formality", "very posh")
    assert odd.status_code == 422 and 'id="f-formality-error"' in odd.text
    assert "Choose one of: casual, neutral, formal." in odd.text
    empty = _set(client, pid, "tone", "   ")
    assert empty.status_code == 422 and "Type a value" in empty.text
    assert _merged(services, pid) == {**MEASURED}


def test_the_language_model_receives_the_tone_set_on_the_page(
    client: Any,
    services: Any,
    fake_openai: Any,  # noqa: F811
) -> None:
    pid = _sign_up(client)
    _measured(services, pid)
    settings = client.get(f"/app/personas/{pid}/settings", headers=HTML).text
    key = {"provider": "openai", "scope": "account", "value": fake_openai.api_key}
    client.post(f"/app/personas/{pid}/settings/keys", data={**key, "csrf_token": _token(settings)})
    up = client.post(
        "/api/products/upload",
        files={"file": ("shop.csv", CATALOG)},
        data={"persona_id": pid},
        headers={"X-CSRF-Token": _token(settings)},
    )
    assert up.status_code == 202, up.text
    services.executor.execute(up.json()["job_id"])
    assert _set(client, pid, "tone", "warm and calm").status_code == 303
    assert _set(client, pid, "formality", "formal").status_code == 303

    fake_openai.reply("The Linen Shirt is 48 EUR.")
    chat = client.get(f"/app/personas/{pid}/chat", headers=HTML).text
    after = re.search(r'name="after" id="chat-after" value="([^"]*)"', chat)
    assert after
    asked = {"csrf_token": _token(chat), "after": after.group(1), "message": "How much is the Linen Shirt?"}
    assert client.post(f"/app/personas/{pid}/chat", data=asked, follow_redirects=False).status_code == 303
    systems = [
        m["content"] for c in fake_openai.chat_calls() for m in c.json["messages"] if m["role"] == "system"
    ]
    persona = [s for s in systems if s.startswith("You are Ana")]
    assert persona, f"the answer stage did not give the model the persona: {systems}"
    assert "Your tone: warm and calm, upbeat and positive, formal." in persona[-1]
