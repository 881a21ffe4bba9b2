"""Schemathesis against the app's own OpenAPI spec, in process (ASGI transport), on SQLite.

Schemathesis' engine (what `st run` drives) runs every phase over every operation: the spec's
examples, coverage (boundary and wrong-type values, unsupported methods, missing parameters),
fuzzing (valid and invalid data), and stateful sequences. It is signed in as a seller whose persona,
profile version, media, job and key exist, and about half the generated path ids are pointed at
those, so the routes behind the 404s run too. Every answer must be no 5xx, a documented status, a
documented content type, documented headers and a body matching the documented schema.

The standing run is bounded (ECHOME_FUZZ_EXAMPLES per operation and phase, deterministic). A
measuring run takes a bigger budget, a random seed, and writes its figures as JSON:

    ECHOME_FUZZ_EXAMPLES=150 ECHOME_FUZZ_REPORT=fuzz.json pytest tests/api/test_fuzz.py -p no:cacheprovider
"""

from __future__ import annotations

import json
import os
import re
import shutil
import uuid
import zlib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

schemathesis = pytest.importorskip("schemathesis")

import hypothesis.configuration  # noqa: E402
from fastapi.testclient import TestClient  # noqa: E402
from schemathesis import GenerationMode  # noqa: E402
from schemathesis.engine import events  # noqa: E402

from ..conftest import make_settings  # noqa: E402

EXAMPLES = int(os.environ.get("ECHOME_FUZZ_EXAMPLES", "50"))
REPORT = os.environ.get("ECHOME_FUZZ_REPORT")
CHECKS = [
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_headers_conformance",
    "response_schema_conformance",
]
PERSONA = "fuzz persona"  # a persona id may be given as its name: this one always resolves


@dataclass
class Counted:
    """The app as a server runs it: every request counted, and an exception raised after its 500
    went out is logged, not raised into the client (uvicorn's behaviour; TestClient would raise)."""

    app: Any
    statuses: Counter[int] = field(default_factory=Counter)
    crashes: list[str] = field(default_factory=list)

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def counting_send(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                self.statuses[message["status"]] += 1
            await send(message)

        try:
            await self.app(scope, receive, counting_send)
        except Exception as exc:
            self.crashes.append(f"{scope['method']} {scope['path']}: {type(exc).__name__}: {exc}"[:300])


@dataclass
class Seller:
    services: Any
    user_id: str
    headers: dict[str, str]
    ids: dict[str, str]  # path parameter -> an existing value

    def aim(self, path_parameters: dict[str, Any] | None) -> dict[str, Any] | None:
        """Point about half the generated ids at things that exist; which half is decided by the
        generated value, so a case replays and shrinks the same."""
        if not path_parameters:
            return path_parameters
        for name, real in self.ids.items():
            value = path_parameters.get(name)
            if value is not None and zlib.crc32(str(value).encode()) % 2 == 0:
                path_parameters[name] = real
        return path_parameters

    def keep_token(self) -> None:
        """Stateful sequences list the tokens and revoke what they find: ours stays valid."""
        from sqlalchemy import update

        from echome.db.models import AccessToken
        from echome.db.session import transaction

        with transaction(self.services.sessions) as s:
            s.execute(update(AccessToken).where(AccessToken.user_id == self.user_id).values(revoked_at=None))

    def keep_persona(self) -> None:
        """Exactly one persona of that name, whatever generated renames and deletes did."""
        from sqlalchemy import delete, select

        from echome.db.models import Persona, PersonaProfile
        from echome.db.session import transaction

        with self.services.sessions() as s:
            if len(s.scalars(select(Persona.id).where(Persona.name == PERSONA)).all()) == 1:
                return
        with transaction(self.services.sessions) as s:
            s.execute(delete(Persona).where(Persona.name == PERSONA))
            persona = Persona(user_id=self.user_id, name=PERSONA)
            persona.profile = PersonaProfile(user_id=self.user_id)
            s.add(persona)


@pytest.fixture
def seller_app(tmp_path: Path, sqlite_template: Path) -> Any:
    from echome.app.main import create_app
    from echome.bootstrap import build_services
    from echome.providers.fakes import RecordingTTS

    data = tmp_path / "data"
    data.mkdir()
    shutil.copy(sqlite_template, data / "echome.db")
    cfg = make_settings(
        tmp_path,
        database_url=None,
        vector_store="memory",
        # Per-minute budgets would answer most of the run with 429 (documented, but it hides the routes).
        rate_limit_user_per_minute=0,
        rate_limit_ip_per_minute=0,
    )
    services = build_services(cfg)
    services._local_tts.set(RecordingTTS())  # /say and spoken answers without loading a voice model
    app = create_app(services, run_worker=False)
    with TestClient(app, base_url="http://testserver") as c:
        email = f"fuzz-{uuid.uuid4().hex[:8]}@example.com"
        me = c.post("/api/auth/signup", json={"email": email, "password": "correct horse"})
        csrf = {"X-CSRF-Token": me.headers["x-csrf-token"]}  # a cookie-authenticated write
        token = c.post("/api/auth/tokens", json={"name": "fuzz"}, headers=csrf).json()["token"]
        headers = {"Authorization": f"Bearer {token}"}
        persona = c.post("/api/personas", json={"name": PERSONA}, headers=headers).json()
        overrides = f"/api/personas/{persona['id']}/profile/overrides"
        assert c.patch(overrides, json={"tone": "warm"}, headers=headers).status_code == 200  # version 1
        # A key no answer or voice uses: with a model's key, chat would try to reach that provider.
        key = c.put("/api/keys/smtp_password", json={"value": "fuzz-password-0000"}, headers=headers)
        assert key.status_code == 200
        media = c.post(
            f"/api/personas/{persona['id']}/media",
            json={"urls": ["https://example.com/video"], "consent": True},
            headers=headers,
        )
    ids = {"persona_id": PERSONA, "provider": "smtp_password", "number": "1", "field": "tone"}
    if media.status_code == 202:
        ids |= {"job_id": media.json()["job_id"], "media_id": media.json()["media"][0]["id"]}
    yield app, Seller(services, me.json()["id"], headers, ids)
    services.close()


def test_generated_requests_get_documented_answers(seller_app: Any, tmp_path: Path) -> None:
    app, seller = seller_app
    hypothesis.configuration.set_hypothesis_home_dir(str(tmp_path / "hypothesis"))  # not the checkout
    counted = Counted(app)
    schema = schemathesis.openapi.from_asgi("/openapi.json", counted)
    schema.config.update(headers=seller.headers, continue_on_failure=True)
    schema.config.generation.update(
        modes=list(GenerationMode), max_examples=EXAMPLES, deterministic=not REPORT, database="none"
    )
    schema.config.checks.update(included_check_names=CHECKS)

    @schema.hook
    def map_path_parameters(context: Any, path_parameters: dict[str, Any] | None) -> dict[str, Any] | None:
        return seller.aim(path_parameters)

    @schema.hook
    def after_call(context: Any, case: Any, response: Any) -> None:
        if case.method.upper() in ("DELETE", "PATCH") and case.operation.path.startswith("/api/personas/{"):
            seller.keep_persona()
        if case.method.upper() == "DELETE" and case.operation.path.startswith("/api/auth/tokens/"):
            seller.keep_token()

    operations = {f"{op.ok().method.upper()} {op.ok().path}" for op in schema.get_all_operations()}
    tested: set[str] = set()
    failures: Counter[str] = Counter()
    errors: list[str] = []
    for event in schemathesis.engine.from_schema(schema).execute():
        if isinstance(event, events.ScenarioFinished):
            tested.add(event.recorder.label)
            for case_id, checks in event.recorder.checks.items():
                interaction = event.recorder.interactions.get(case_id)
                status = interaction.response.status_code if interaction and interaction.response else None
                for check in checks:
                    if check.status.value == "failure":
                        failures[f"{event.recorder.label} -> {status}: {check.name}"] += 1
        elif isinstance(event, events.NonFatalError | events.FatalError):
            errors.append(str(getattr(event, "value", None) or getattr(event, "exception", None))[:300])

    figures = {
        "requests": sum(counted.statuses.values()),
        "operations": len(operations),
        "operations_tested": len(operations & tested),
        "statuses": dict(sorted(counted.statuses.items())),
        "server_errors": sum(n for code, n in counted.statuses.items() if code >= 500),
        # Answers that are no 5xx yet break the spec (a 5xx also fails status conformance: not counted twice).
        "mismatches": sum(n for k, n in failures.items() if not re.search(r" -> 5\d\d: ", k)),
        "failures": dict(failures),
        "crashes": counted.crashes,
        "engine_errors": errors,
    }
    hypothesis.configuration.set_hypothesis_home_dir(None)  # back to Hypothesis' default
    if REPORT:
        Path(REPORT).write_text(json.dumps(figures, indent=1))
    assert len(operations) >= 50, "the spec lost its operations"
    assert operations <= tested, f"operations never tested: {sorted(operations - tested)}"
    assert not counted.crashes and not figures["server_errors"], counted.crashes
    assert not failures, "answers the spec does not document:\n  " + "\n  ".join(sorted(failures))
    assert not errors, errors
