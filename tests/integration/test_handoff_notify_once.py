"""The seller's Telegram notification is sent once: a notify job rerun after Telegram took its
message (its worker lost the lease before recording the job as done, and the reaper put it back)
sends nothing again, while a job whose send failed still sends on its retry.

Real parts as in `test_handoff_telegram` (whose fixture this reuses): the app, the webhook, the job
executor and its lease reaper, the database (SQLite and PostgreSQL), python-telegram-bot speaking
HTTP to the fake Telegram Bot API, which counts what it accepted.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from echome.db.models import Job
from echome.db.session import transaction
from echome.db.types import utcnow
from echome.handoff import NOTIFY_JOB
from echome.jobs import store
from tests.integration.test_handoff_telegram import (  # noqa: F401  (the fixtures)
    CUSTOMER,
    SELLER,
    Desk,
    conversation_of,
    desk,
    fake_telegram,
    link_seller,
)
from tests.servers.fake_telegram import text_update


def _pending_notify(d: Desk) -> str:
    with d.services.sessions() as s:
        jobs = s.scalars(select(Job).where(Job.kind == NOTIFY_JOB, Job.status == "pending")).all()
        assert len(jobs) == 1, [(j.id, j.status) for j in jobs]
        return jobs[0].id


def _job(d: Desk, job_id: str) -> Job:
    with d.services.sessions() as s:
        job = s.get(Job, job_id)
        assert job is not None
        s.expunge(job)
        return job


def _customer_writes(d: Desk, text: str) -> None:
    """The customer's update is handled; the notify job it starts is left pending."""
    d.services.executor.execute(d.post(text_update(text, chat_id=CUSTOMER, first_name="Dana")))


def _rerun_as_after_a_lost_lease(d: Desk, job_id: str) -> None:
    """The worker that ran `job_id` stopped renewing its lease before the job was recorded as done:
    the reaper puts the job back and another worker runs it."""
    with transaction(d.services.sessions) as s:
        job = s.get(Job, job_id)
        assert job is not None
        job.status, job.result, job.finished_at = "running", None, None
        job.lease_owner, job.lease_expires_at = "a-worker-that-died", utcnow() - timedelta(seconds=5)
    with transaction(d.services.sessions) as s:
        assert store.release_expired(s) == [job_id]
    d.services.executor.execute(job_id)


def test_a_notify_job_rerun_after_telegram_took_the_message_does_not_send_it_again(desk: Desk) -> None:  # noqa: F811
    link_seller(desk)
    desk.deliver(text_update("/text", chat_id=CUSTOMER, first_name="Dana"))
    before = len(desk.sent_to(SELLER))

    _customer_writes(desk, "Can I talk to a real person?")
    handoff = _pending_notify(desk)
    desk.services.executor.execute(handoff)
    assert len(desk.sent_to(SELLER)) == before + 1
    assert "Dana needs you" in desk.sent_to(SELLER)[-1]["text"]
    first = _job(desk, handoff).result or {}
    assert first["status"] == "sent"

    _rerun_as_after_a_lost_lease(desk, handoff)
    assert len(desk.sent_to(SELLER)) == before + 1  # the seller got it once
    again = _job(desk, handoff)
    assert again.status == "completed" and again.attempts == 2
    assert again.result == {"status": "sent", "message_id": first["message_id"], "repeat": True}

    # A further message while the conversation waits: its own notification, also sent once.
    _customer_writes(desk, "Hello? Two shirts, size M")
    further = _pending_notify(desk)
    desk.services.executor.execute(further)
    assert len(desk.sent_to(SELLER)) == before + 2
    assert "Two shirts, size M" in desk.sent_to(SELLER)[-1]["text"]
    _rerun_as_after_a_lost_lease(desk, further)
    assert len(desk.sent_to(SELLER)) == before + 2

    # The seller's reply to the notification still finds its conversation.
    notice = desk.sent_to(SELLER)[-1]
    desk.deliver(text_update("Sure, size M it is.", chat_id=SELLER, reply_to=notice))
    assert desk.to(CUSTOMER)[-1]["text"] == "Sure, size M it is."
    assert conversation_of(desk).state == "seller"


def test_a_notify_job_whose_send_failed_sends_on_its_retry(desk: Desk) -> None:  # noqa: F811
    link_seller(desk)
    desk.deliver(text_update("/text", chat_id=CUSTOMER, first_name="Dana"))
    before = len(desk.sent_to(SELLER))
    _customer_writes(desk, "I want to speak to a human")
    job_id = _pending_notify(desk)

    desk.tg.fail(502)  # Telegram is briefly unreachable: nothing was accepted
    desk.services.executor.execute(job_id)
    failed = _job(desk, job_id)
    assert failed.status == "pending" and "Telegram unreachable" in (failed.error or "")
    assert len(desk.sent_to(SELLER)) == before

    with transaction(desk.services.sessions) as s:  # its retry is due (no waiting out the backoff)
        job = s.get(Job, job_id)
        assert job is not None
        job.run_after = utcnow()
    desk.services.executor.execute(job_id)
    assert _job(desk, job_id).status == "completed"
    assert len(desk.sent_to(SELLER)) == before + 1
    assert "Dana needs you" in desk.sent_to(SELLER)[-1]["text"]
    sends = [c for c in desk.tg.calls_to("sendMessage") if int(c.params["chat_id"]) == SELLER]
    assert len(sends) == before + 2  # the failed attempt and the retry both asked Telegram
