"""Create forms sent twice make one thing: the one-time nonce each carries is claimed once in a
server-side store (memory, or Redis when the server has one); a repeat shows the first post's result
(the same API token, the persona or import it led to), also when both posts arrive at once."""

from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from echome.db.models import AccessToken, Job, Persona
from echome.db.session import transaction
from echome.web.form_once import (
    FormReceipts,
    MemoryFormReceipts,
    RedisFormReceipts,
    StillSending,
    form_once,
    new_nonce,
)
from tests.support.web_pages import HTML
from tests.support.web_pages import csrf_token as _token
from tests.support.web_pages import sign_up as _sign_up

SHIRTS = b"sku,name,price,currency\nTS-1,Linen Shirt,48.00,EUR\n"


def _nonce(html: str) -> str:
    found = re.search(r'name="form_nonce" value="([^"]+)"', html)
    assert found, "the form carries no one-time nonce"
    return found.group(1)


def _count(services: Any, model: Any, *where: Any) -> int:
    with transaction(services.sessions) as db:
        return int(db.scalar(select(func.count()).select_from(model).where(*where)) or 0)


# -- the stores -------------------------------------------------------------------------------------
@pytest.fixture(params=["memory", "redis"])
def receipts(request: pytest.FixtureRequest) -> Iterator[FormReceipts]:
    if request.param == "memory":
        yield MemoryFormReceipts()
        return
    import redis

    request.applymarker(pytest.mark.redis)
    client = redis.Redis.from_url(request.getfixturevalue("redis_url"))
    namespace = f"echome-test-form-{uuid.uuid4().hex[:8]}"
    try:
        yield RedisFormReceipts(client, namespace=namespace)
    finally:
        for key in client.scan_iter(f"{namespace}:*"):
            client.delete(key)
        client.close()


def test_a_nonce_is_claimed_once_and_remembers_what_it_made(receipts: FormReceipts) -> None:
    assert receipts.claim("u:token:n1", ttl=60) is True
    assert receipts.claim("u:token:n1", ttl=60) is False
    assert receipts.state("u:token:n1") == "pending"
    receipts.finish("u:token:n1", {"location": "/app/x"}, ttl=60)
    assert receipts.claim("u:token:n1", ttl=60) is False
    assert receipts.state("u:token:n1") == {"location": "/app/x"}
    assert receipts.claim("u:token:n2", ttl=60) is True  # another nonce is another form
    receipts.release("u:token:n2")
    assert receipts.state("u:token:n2") is None and receipts.claim("u:token:n2", ttl=60) is True


def test_memory_receipts_expire() -> None:
    store = MemoryFormReceipts()
    assert store.claim("k", ttl=0) is True
    assert store.state("k") is None and store.claim("k", ttl=60) is True


# -- two posts of one form, at the same time --------------------------------------------------------
def _run_twice(store: FormReceipts, first_work: Any, *, wait: float = 5.0) -> list[Any]:
    nonce = new_nonce()

    async def post(work: Any) -> Any:
        async with form_once(store, user_id="u1", form="token", nonce=nonce, wait_seconds=wait) as once:
            if once.earlier is not None:
                return ("repeat", once.earlier)
            return await work(once)

    async def second(once: Any) -> Any:
        once.done({"made": "second"})
        return ("made", "second")

    async def both() -> list[Any]:
        first = asyncio.create_task(post(first_work))
        await asyncio.sleep(0.05)  # the first is at work when the second arrives
        return list(await asyncio.gather(first, post(second), return_exceptions=True))

    return asyncio.run(both())


def test_the_second_post_waits_for_the_first_and_shows_its_result() -> None:
    async def slow(once: Any) -> Any:
        await asyncio.sleep(0.4)
        once.done({"made": "first"})
        return ("made", "first")

    assert _run_twice(MemoryFormReceipts(), slow) == [("made", "first"), ("repeat", {"made": "first"})]


def test_a_first_post_that_made_nothing_lets_the_second_go_ahead() -> None:
    async def refused(once: Any) -> Any:
        await asyncio.sleep(0.3)
        return ("error", "bad input")  # no done(): the nonce is given back

    assert _run_twice(MemoryFormReceipts(), refused) == [("error", "bad input"), ("made", "second")]


def test_a_second_post_does_not_wait_forever() -> None:
    async def stuck(once: Any) -> Any:
        await asyncio.sleep(1.0)
        once.done({"made": "first"})
        return ("made", "first")

    first, second = _run_twice(MemoryFormReceipts(), stuck, wait=0.3)
    assert first == ("made", "first") and isinstance(second, StillSending)


# -- the forms ----------------------------------------------------------------------------------------
def test_a_token_form_sent_twice_makes_one_token_and_shows_it_again(client: Any, services: Any) -> None:
    pid = _sign_up(client)
    page = client.get(f"/app/personas/{pid}/settings", headers=HTML).text
    data = {"csrf_token": _token(page), "form_nonce": _nonce(page), "name": "shop sync"}
    url = f"/app/personas/{pid}/settings/tokens"
    first = client.post(url, data=data, headers=HTML)
    second = client.post(url, data=data, headers=HTML)  # a double click: the browser shows this one
    token = re.search(r'id="new-token" class="mono" type="text" value="([^"]+)"', first.text)
    assert first.status_code == 200 and token, first.text
    assert second.status_code == 200 and f'value="{token.group(1)}"' in second.text
    assert "You sent the form twice, and one token was made: this one." in second.text
    assert _count(services, AccessToken) == 1
    assert (
        client.get("/api/auth/me", headers={"Authorization": f"Bearer {token.group(1)}"}).status_code == 200
    )

    # Revoked since, then the old form posted again: it says so and still makes nothing.
    with transaction(services.sessions) as db:
        tid = db.scalar(select(AccessToken.id))
    client.post(f"{url}/{tid}/revoke", data={"csrf_token": data["csrf_token"]}, headers=HTML)
    third = client.post(url, data=data, headers=HTML)
    assert third.status_code == 200 and "revoked since: nothing new was made" in third.text
    assert token.group(1) not in third.text
    assert _count(services, AccessToken) == 1

    # A new rendering of the form is a new nonce: a second token is a deliberate second token.
    fresh = client.get(f"/app/personas/{pid}/settings", headers=HTML).text
    assert _nonce(fresh) != data["form_nonce"]
    client.post(url, data={**data, "form_nonce": _nonce(fresh)}, headers=HTML)
    assert _count(services, AccessToken) == 2


def test_a_token_form_with_an_error_can_be_sent_again_once_corrected(client: Any, services: Any) -> None:
    pid = _sign_up(client)
    page = client.get(f"/app/personas/{pid}/settings", headers=HTML).text
    data = {"csrf_token": _token(page), "form_nonce": _nonce(page), "name": "  "}
    url = f"/app/personas/{pid}/settings/tokens"
    assert client.post(url, data=data, headers=HTML).status_code == 422
    ok = client.post(url, data={**data, "name": "cli"}, headers=HTML)
    assert ok.status_code == 200 and 'id="new-token"' in ok.text
    assert _count(services, AccessToken) == 1


def test_a_persona_form_sent_twice_makes_one_persona(client: Any, services: Any) -> None:
    _sign_up(client)
    page = client.get("/app/personas/new", headers=HTML).text
    data = {"csrf_token": _token(page), "form_nonce": _nonce(page), "name": "Second shop"}
    first = client.post("/app/personas", data=data, headers=HTML, follow_redirects=False)
    second = client.post("/app/personas", data=data, headers=HTML, follow_redirects=False)
    # Not "you already have a persona named …": the page the first one led to.
    assert first.status_code == second.status_code == 303
    assert first.headers["location"] == second.headers["location"]
    assert first.headers["location"].endswith("?done=created")
    assert _count(services, Persona, Persona.name == "Second shop") == 1


def test_an_upload_sent_twice_at_once_starts_one_import(app: Any, client: Any, services: Any) -> None:
    pid = _sign_up(client)
    page = client.get(f"/app/personas/{pid}/catalog", headers=HTML).text
    data = {"csrf_token": _token(page), "form_nonce": _nonce(page)}
    url = f"/app/personas/{pid}/catalog/upload"

    async def both() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://testserver", cookies=dict(client.cookies)
        ) as c:
            posts = [c.post(url, data=data, files={"file": ("shirts.csv", SHIRTS)}) for _ in range(2)]
            return list(await asyncio.gather(*posts))

    first, second = asyncio.run(both())
    assert first.status_code == second.status_code == 303
    assert first.headers["location"] == second.headers["location"]
    assert "/catalog/imports/" in first.headers["location"]
    assert _count(services, Job, Job.kind == "catalog.import") == 1


def test_a_waiting_post_lets_go_of_its_transaction_first() -> None:
    """The waiting post calls `idle` (the page's `db.commit`) once, before it sleeps; a post that
    does not wait never calls it. (Holding SQLite's process write lock across the wait stalled both
    posts for 30 s and failed one with "database is locked".)"""
    nonce = new_nonce()
    store = MemoryFormReceipts()
    idled: list[str] = []

    async def post(name: str, work_seconds: float) -> Any:
        async with form_once(
            store, user_id="u1", form="token", nonce=nonce, idle=lambda: idled.append(name)
        ) as once:
            if once.earlier is not None:
                return once.earlier
            await asyncio.sleep(work_seconds)
            once.done({"made": name})
            return {"made": name}

    async def both() -> list[Any]:
        first = asyncio.create_task(post("first", 0.4))
        await asyncio.sleep(0.05)
        return list(await asyncio.gather(first, post("second", 0)))

    assert asyncio.run(both()) == [{"made": "first"}, {"made": "first"}]
    assert idled == ["second"]
