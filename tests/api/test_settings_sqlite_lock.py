"""The Settings pages and SQLite's one write lock per process (db/session.py): taken at every
transaction's BEGIN, given back when the session's connection returns to its pool.

A page that waits for it on the event loop stops the whole server; and a page whose session still
holds it while its response is sent (the session closes after that, which needs the loop) can then
never give it back. Two posts of the token form at once did exactly this: the server stood still for
30 s and one post failed with "database is locked". So every Settings route does its database work
on a worker thread and ends its transaction before its page leaves; both are checked here on each
route, each answer (a page, a form error, a redirect, a 404); and on sign-up and sign-in, which
also hash a password."""

from __future__ import annotations

import asyncio
import traceback
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event

from tests.support.web_pages import HTML
from tests.support.web_pages import csrf_token as _token
from tests.support.web_pages import sign_up as _sign_up


@pytest.fixture
def backend() -> str:
    return "sqlite"  # the process-wide write lock is SQLite's


@pytest.fixture
def settings(tmp_path: Path, database_url: str | None) -> Any:
    from tests.conftest import make_settings

    # Nothing listens on port 9 of loopback: the key test is "offline".
    return make_settings(tmp_path, database_url=database_url, openai_base_url="http://127.0.0.1:9/v1")


class Watch:
    """BEGINs on the event loop, and responses that started while a connection was checked out."""

    def __init__(self, engine: Any) -> None:
        self.engine = engine
        self.on_loop: list[str] = []
        self.held: list[str] = []
        event.listen(engine, "begin", self._begin)

    def _begin(self, _conn: Any) -> None:
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return  # a worker thread: waiting there holds no one else up
        self.on_loop.append("".join(traceback.format_stack(limit=14)[:-1]))

    def app(self, inner: Any) -> Any:
        async def watched(scope: dict[str, Any], receive: Any, send: Any) -> None:
            async def sending(message: dict[str, Any]) -> None:
                if message["type"] == "http.response.start" and self.engine.pool.checkedout():
                    self.held.append(f"{scope['method']} {scope['path']} -> {message['status']}")
                await send(message)

            await inner(scope, receive, sending if scope["type"] == "http" else send)

        return watched

    def clear(self) -> None:
        self.on_loop.clear()
        self.held.clear()


@pytest.fixture
def watched(app: Any, services: Any) -> Iterator[tuple[TestClient, Watch]]:
    watch = Watch(services.engine)
    with TestClient(watch.app(app), base_url="http://testserver") as client:
        yield client, watch
    event.remove(services.engine, "begin", watch._begin)


def _post(client: TestClient, base: str, path: str, data: dict[str, str]) -> Any:
    page = client.get(base, headers=HTML).text
    return client.post(
        base + path, data={**data, "csrf_token": _token(page)}, headers=HTML, follow_redirects=False
    )


def test_no_settings_route_waits_for_the_lock_on_the_loop_or_holds_it_while_answering(
    watched: tuple[TestClient, Watch],
) -> None:
    client, watch = watched
    pid = _sign_up(client)
    base = f"/app/personas/{pid}/settings"
    watch.clear()  # sign-up is not a Settings route

    answers = [
        client.get(base, headers=HTML).status_code,
        _post(client, base, "/keys", {"provider": "openai", "scope": "account", "value": "sk-test-1234abcd"}),
        _post(client, base, "/keys", {"provider": "openai", "scope": "persona", "value": "  "}),  # 422
        _post(client, base, "/keys/test", {"provider": "openai", "scope": "account"}),  # offline
        _post(client, base, "/keys/test", {"provider": "cohere", "scope": "account"}),  # none stored
        _post(client, base, "/keys/remove", {"provider": "openai", "scope": "account"}),
        _post(client, base, "/tokens", {"name": ""}),  # 422
        _post(client, base, "/tokens", {"name": "shop sync"}),
        _post(client, base, "/tokens/nothere/revoke", {}),  # 404
        client.get(base + "/delete-persona", headers=HTML).status_code,
        _post(client, base, "/delete-persona", {"confirm": "Anna"}),  # 422: not its name
        client.get(base + "/delete-account", headers=HTML).status_code,
        _post(client, base, "/delete-account", {"confirm": "someone@example.com"}),  # 422
        client.get("/app/personas/" + "0" * 32 + "/settings", headers=HTML).status_code,  # 404
    ]
    codes = [a if isinstance(a, int) else a.status_code for a in answers]
    assert codes == [200, 303, 422, 200, 200, 303, 422, 200, 404, 200, 422, 200, 422, 404], codes
    # The tokens made were shown; revoking one and deleting the persona, then the account, too.
    token_page = _post(client, base, "/tokens", {"name": "to revoke"}).text
    assert "to revoke" in token_page
    revoke = client.get(base, headers=HTML).text.split('action="' + base + "/tokens/", 1)[1].split('"')[0]
    assert _post(client, base, "/tokens/" + revoke, {}).status_code == 303
    assert _post(client, base, "/delete-persona", {"confirm": "Ana"}).status_code == 303
    assert watch.on_loop == [], "a BEGIN on the event loop:\n" + "\n---\n".join(watch.on_loop)
    assert watch.held == [], f"answers sent while a transaction held the lock: {watch.held}"


def test_the_account_is_deleted_without_the_lock_on_the_loop(watched: tuple[TestClient, Watch]) -> None:
    client, watch = watched
    pid = _sign_up(client, email="leaving@example.com")
    base = f"/app/personas/{pid}/settings"
    watch.clear()
    r = _post(client, base, "/delete-account", {"confirm": "leaving@example.com"})
    assert r.status_code == 303 and r.headers["location"].startswith("/?account=deleted")
    assert watch.on_loop == [], "a BEGIN on the event loop:\n" + "\n---\n".join(watch.on_loop)
    assert watch.held == [], f"answers sent while a transaction held the lock: {watch.held}"


def test_sign_up_and_sign_in_hash_and_wait_for_the_lock_off_the_loop(
    watched: tuple[TestClient, Watch], monkeypatch: pytest.MonkeyPatch
) -> None:
    # A password hash is ~0.5 s of CPU by design: on the loop, every other visitor waits that long.
    from echome.accounts import users

    hashed_on_loop: list[str] = []

    def off_loop(fn: Any) -> Any:
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            try:
                asyncio.get_running_loop()
                hashed_on_loop.append(fn.__name__)
            except RuntimeError:
                pass
            return fn(*args, **kwargs)

        return wrapped

    monkeypatch.setattr(users, "hash_password", off_loop(users.hash_password))
    monkeypatch.setattr(users, "verify_password", off_loop(users.verify_password))
    client, watch = watched
    _sign_up(client, email="ana@example.com")
    client.cookies.clear()  # a new browser
    page = client.get("/signin", headers=HTML).text
    wrong = {"email": "ana@example.com", "password": "wrong horse", "csrf_token": _token(page)}
    assert client.post("/signin", data=wrong, headers=HTML, follow_redirects=False).status_code == 401
    page = client.get("/signin", headers=HTML).text
    right = {"email": "ana@example.com", "password": "correct horse", "csrf_token": _token(page)}
    r = client.post("/signin", data=right, headers=HTML, follow_redirects=False)
    assert r.status_code == 303 and client.get("/app", headers=HTML).status_code == 200
    assert hashed_on_loop == [] and watch.on_loop == [], (hashed_on_loop, watch.on_loop)
    assert watch.held == [], f"answers sent while a transaction held the lock: {watch.held}"
