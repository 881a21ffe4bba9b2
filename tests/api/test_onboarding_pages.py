"""The guided setup, Home's dashboard and the Jobs page over HTTP, on SQLite and PostgreSQL: steps
read from stored data (skip and resume), each step posting to its owner page's route with a `next`
that only leads back into the setup (never to another site), the dashboard once live, jobs with
failure reasons and cancel; tenancy (another seller's ids are 404) and CSRF refusal. The browser
suite drives the same pages in Chromium."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from echome.db.models import ApiKey, Client, Conversation, Job, Message, Persona, PersonaProfile
from echome.db.session import transaction
from echome.web.deps import safe_next
from echome.web.onboarding import step_next
from tests.support.web_pages import HTML
from tests.support.web_pages import csrf_token as _token
from tests.support.web_pages import sign_up as _sign_up

from ..conftest import make_settings

HX = {"HX-Request": "true"}
D = "\u2013"  # the en dash of the jobs count ("1 to 20 of 25")
SHIRTS = (
    b"sku,name,price,currency,stock\nTS-1,Linen Shirt Ocean Blue,48.00,EUR,12\nTS-2,Canvas Tote,22.00,EUR,0\n"
)
TINY_WAV = (
    b"RIFF$\x00\x00\x00WAVEfmt \x10\x00\x00\x00\x01\x00\x01\x00\x80>\x00\x00\x00}\x00\x00\x02\x00\x10\x00"
    b"data\x00\x00\x00\x00"
)


@pytest.fixture
def settings(tmp_path: Path, database_url: str | None) -> Any:
    return make_settings(tmp_path, database_url=database_url, max_upload_bytes=200_000)


def _field(html: str, name: str) -> str:
    found = re.search(rf'name="{name}"[^>]*? value="([^"]*)"', html)
    assert found, f"the form has no {name} field"
    return found.group(1)


def _setup(pid: str, step: str = "") -> str:
    return f"/app/personas/{pid}/setup" + (f"/{step}" if step else "")


def _uid(client: Any) -> str:
    return str(client.get("/api/auth/me").json()["id"])


# -- `next`: same-site paths into the setup only ----------------------------------------------------
def test_next_is_only_a_step_of_this_personas_setup() -> None:
    pid = "a" * 32
    assert (
        step_next(f"/app/personas/{pid}/setup/catalog", persona_id=pid)
        == f"/app/personas/{pid}/setup/catalog"
    )
    for bad in (
        "https://evil.example/",
        "//evil.example/app",
        "/\\evil.example",
        "/\t/evil.example",
        "/\n/evil.example",
        f"/app/personas/{'b' * 32}/setup/catalog",  # another persona's setup
        f"/app/personas/{pid}/setup/nowhere",
        f"/app/personas/{pid}/voice",
        "",
        None,
    ):
        assert step_next(bad, persona_id=pid) is None, bad
    assert safe_next("/\t/evil.example") == "/app" and safe_next("/app/x") == "/app/x"


# -- the steps --------------------------------------------------------------------------------------
def test_setup_starts_at_the_first_step_not_done_and_every_step_opens(client: Any) -> None:
    pid = _sign_up(client)
    home = client.get(f"/app/personas/{pid}", headers=HTML).text
    assert "Start guided setup" in home and f'href="/app/personas/{pid}/setup"' in home
    r = client.get(_setup(pid), headers=HTML, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == _setup(pid, "recordings")
    for i, step in enumerate(("recordings", "listening", "persona", "catalog", "test", "channel")):
        page = client.get(_setup(pid, step), headers=HTML)
        assert page.status_code == 200, step
        assert f"step {i + 1} of 6" in page.text and 'aria-current="step"' in page.text
        assert "(to do)" in page.text and "(done)" not in page.text
        if step != "channel":
            assert "Skip for now" in page.text
    channel = client.get(_setup(pid, "channel"), headers=HTML).text
    assert f'href="/app/personas/{pid}/channels"' in channel
    assert client.get(_setup(pid, "nowhere"), headers=HTML).status_code == 404


def test_recordings_post_to_the_voice_route_and_come_back(client: Any, services: Any) -> None:
    pid = _sign_up(client)
    page = client.get(_setup(pid, "recordings"), headers=HTML).text
    assert f'action="/app/personas/{pid}/voice/media/upload"' in page
    assert _field(page, "next") == _setup(pid, "recordings")
    data = {
        "csrf_token": _token(page),
        "form_nonce": _field(page, "form_nonce"),
        "next": _setup(pid, "listening"),
    }
    # Without consent: the error sits next to the field and the `next` is kept for the retry.
    missing = client.post(
        f"/app/personas/{pid}/voice/media/upload",
        data=data,
        files={"files": ("me.wav", TINY_WAV, "audio/wav")},
        headers=HTML,
    )
    assert missing.status_code == 422 and "Tick this box" in missing.text
    assert _field(missing.text, "next") == _setup(pid, "listening")
    ok = client.post(
        f"/app/personas/{pid}/voice/media/upload",
        data={**data, "consent": "1"},
        files={"files": ("me.wav", TINY_WAV, "audio/wav")},
        headers=HTML,
        follow_redirects=False,
    )
    assert ok.status_code == 303 and ok.headers["location"] == _setup(pid, "listening")
    assert client.get(_setup(pid), follow_redirects=False).headers["location"] == _setup(pid, "listening")
    listening = client.get(_setup(pid, "listening"), headers=HTML).text
    assert "me.wav" in listening and "Listening to your recordings" in listening
    assert "sse-connect" in listening and "page=setup/listening" in listening


def test_an_outside_next_is_never_followed(client: Any) -> None:
    pid = _sign_up(client)
    page = client.get(_setup(pid, "recordings"), headers=HTML).text
    for bad in ("https://evil.example/", "//evil.example", "/\t/evil.example"):
        r = client.post(
            f"/app/personas/{pid}/voice/media/upload",
            data={"csrf_token": _token(page), "consent": "1", "next": bad},
            files={"files": ("me.wav", TINY_WAV, "audio/wav")},
            headers=HTML,
            follow_redirects=False,
        )
        assert r.status_code == 303 and r.headers["location"].startswith(f"/app/personas/{pid}/voice"), bad


def test_catalog_and_test_question_steps_use_their_pages_routes(client: Any, services: Any) -> None:
    pid = _sign_up(client)
    page = client.get(_setup(pid, "catalog"), headers=HTML).text
    assert f'action="/app/personas/{pid}/catalog/upload"' in page
    r = client.post(
        f"/app/personas/{pid}/catalog/upload",
        data={
            "csrf_token": _token(page),
            "form_nonce": _field(page, "form_nonce"),
            "next": _setup(pid, "catalog"),
        },
        files={"file": ("shirts.csv", SHIRTS, "text/csv")},
        headers=HTML,
        follow_redirects=False,
    )
    assert r.status_code == 303 and r.headers["location"] == _setup(pid, "catalog")
    running = client.get(_setup(pid, "catalog"), headers=HTML).text
    assert "Importing now" in running and "/catalog/imports/" in running
    with transaction(services.sessions) as db:
        job_id = db.query(Job).filter(Job.kind == "catalog.import").one().id
    services.executor.execute(job_id)
    done = client.get(_setup(pid, "catalog"), headers=HTML).text
    assert "This step is done" in done and "Continue: Ask a test question" in done

    test = client.get(_setup(pid, "test"), headers=HTML).text
    form = {
        "csrf_token": _token(test),
        "after": _field(test, "after"),
        "message": "How much is the Canvas Tote?",
        "next": _setup(pid, "test"),
    }
    asked = client.post(f"/app/personas/{pid}/chat", data=form, headers=HTML, follow_redirects=False)
    assert asked.status_code == 303 and asked.headers["location"] == _setup(pid, "test")
    answered = client.get(_setup(pid, "test"), headers=HTML).text
    assert "22" in answered and "This step is done" in answered
    again = client.post(
        f"/app/personas/{pid}/chat",
        data={**form, "after": _field(answered, "after"), "message": "Is the shirt in stock?"},
        headers={**HTML, **HX},
        follow_redirects=False,
    )
    assert again.status_code == 204 and again.headers["hx-redirect"] == _setup(pid, "test")
    # Three steps not done in between are still to do: the setup resumes at the first of them.
    assert client.get(_setup(pid), follow_redirects=False).headers["location"] == _setup(pid, "recordings")


# -- Home as a dashboard ----------------------------------------------------------------------------
def _make_live(services: Any, uid: str, pid: str) -> None:
    from echome.db.models import Product

    with transaction(services.sessions) as db:
        persona = db.get(Persona, pid)
        assert persona is not None
        persona.voice_id = "local:abc"
        profile = db.query(PersonaProfile).filter(PersonaProfile.persona_id == pid).one()
        profile.auto_extracted = {"tone": {"energy": "calm"}}
        db.add(Product(user_id=uid, external_key="k", name="Linen Shirt", persona_id=pid))
        db.add(ApiKey(user_id=uid, scope=pid, provider="telegram_bot_token", ciphertext="x", hint="1"))
        for i, stage in enumerate(("needs_seller", "interested")):
            c = Client(
                user_id=uid, persona_id=pid, channel="telegram", external_id=f"10{i}", name=f"Customer {i}",
                notes={"stage": stage},
            )  # fmt: skip
            db.add(c)
            db.flush()
            conv = Conversation(user_id=uid, persona_id=pid, client_id=c.id, channel="telegram")
            db.add(conv)
            db.flush()
            db.add(Message(user_id=uid, conversation_id=conv.id, role="user", content=f"Question {i}?"))
            db.add(Message(user_id=uid, conversation_id=conv.id, role="assistant", content=f"Answer {i}."))


def test_home_is_a_dashboard_once_live(client: Any, services: Any) -> None:
    pid = _sign_up(client)
    uid = _uid(client)
    _make_live(services, uid, pid)
    with transaction(services.sessions) as db:
        db.add(
            Job(user_id=uid, kind="persona.voice", status="running", progress=40, payload={"persona_id": pid})
        )
    home = client.get(f"/app/personas/{pid}", headers=HTML).text
    assert "Ana is live" in home and "Start guided setup" not in home
    assert "Today&#39;s conversations" in home or "Today's conversations" in home
    assert "2</span> customers today" in home
    assert "Questions it could not answer" in home and "1</span> waiting for you" in home
    assert f"/app/personas/{pid}/conversations?needs=1&amp;c=" in home
    assert "Building your voice" in home and 'href="/app/jobs"' in home
    assert "<details" in home and "all 5 steps done" in home  # the checklist folded away


# -- the Jobs page ----------------------------------------------------------------------------------
def test_jobs_page_lists_newest_first_with_failure_reasons_and_cancels(client: Any, services: Any) -> None:
    pid = _sign_up(client)
    uid = _uid(client)
    with transaction(services.sessions) as db:
        failed = Job(
            user_id=uid, kind="catalog.import", status="failed", payload={"filename": "notes.csv"},
            error="notes.csv: No product name column found", finished_at=None,
        )  # fmt: skip
        db.add(failed)
        db.flush()
        pending = Job(user_id=uid, kind="persona.voice", status="pending", payload={"persona_id": pid})
        db.add(pending)
        db.add(Job(user_id=uid, kind="telegram.update", status="failed", payload={}, error="x"))
        db.flush()
        failed_id, pending_id = failed.id, pending.id
    page = client.get("/app/jobs", headers=HTML)
    assert page.status_code == 200
    text = page.text
    assert "Importing a catalog" in text and "No product name column found." in text
    assert "What to do: Fix this in the file" in text and "Traceback" not in text
    assert "Building your voice" in text and "Stop this job" in text
    assert "2 of 2 jobs" in text  # the Telegram message is not the seller's job
    assert text.index(f"job-{pending_id}") < text.index(f"job-{failed_id}")  # newest first
    assert f'sse-connect="/app/jobs/{pending_id}/events"' in text
    assert f'sse-connect="/app/jobs/{failed_id}/events"' not in text

    refused = client.post(f"/app/jobs/{pending_id}/cancel", data={}, headers=HTML)
    assert refused.status_code == 403 and "This request was refused" in refused.text
    token = _token(text)
    r = client.post(f"/app/jobs/{pending_id}/cancel", data={"csrf_token": token}, follow_redirects=False)
    assert r.status_code == 303 and "done=cancelled" in r.headers["location"]
    again = client.post(f"/app/jobs/{pending_id}/cancel", data={"csrf_token": token}, follow_redirects=False)
    assert "done=finished" in again.headers["location"]  # a second click does nothing twice
    after = client.get("/app/jobs", headers=HTML).text
    assert "Cancelled" in after and "It was stopped before it finished." in after


def test_jobs_page_pages(client: Any, services: Any) -> None:
    _sign_up(client)
    uid = _uid(client)
    with transaction(services.sessions) as db:
        for i in range(25):
            db.add(
                Job(user_id=uid, kind="catalog.import", status="completed", payload={"filename": f"f{i}.csv"})
            )
    first = client.get("/app/jobs", headers=HTML).text
    assert f"1{D}20 of 25 jobs" in first and "Older jobs" in first
    second = client.get("/app/jobs?page=2", headers=HTML).text
    assert f"21{D}25 of 25 jobs" in second and "Newer jobs" in second
    assert client.get("/app/jobs?page=x", headers=HTML).status_code == 200


def test_another_sellers_setup_and_jobs_are_404(app: Any, client: Any, services: Any) -> None:
    pid = _sign_up(client)
    uid = _uid(client)
    with transaction(services.sessions) as db:
        job = Job(user_id=uid, kind="persona.voice", status="running", payload={"persona_id": pid})
        db.add(job)
        db.flush()
        job_id = job.id
    with TestClient(app, base_url="http://testserver") as other:
        _sign_up(other, "bo@example.com", "Bo")
        for url in (_setup(pid), _setup(pid, "catalog"), f"/app/jobs/{job_id}/events"):
            r = other.get(url, headers=HTML)
            assert r.status_code == 404 and "Ana" not in r.text, url
        token = _token(other.get("/app/jobs", headers=HTML).text)
        assert "Building your voice" not in other.get("/app/jobs", headers=HTML).text
        r = other.post(f"/app/jobs/{job_id}/cancel", data={"csrf_token": token}, headers=HTML)
        assert r.status_code == 404
    with transaction(services.sessions) as db:
        assert db.get(Job, job_id).cancel_requested is False  # type: ignore[union-attr]


def test_pages_need_a_session(client: Any) -> None:
    r = client.get("/app/jobs", headers=HTML, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/signin?next=/app/jobs")
