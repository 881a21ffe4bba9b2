"""Home once a persona is live: today's conversations, what needs the seller (the threads
Conversations lists under "Needs you": handed off and waiting for the seller's reply, or the answer
stage found nothing in the catalog and offered to ask the seller), and the jobs running. Each list
is the Conversations or Jobs page's own query, cut short."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from echome.db.models import Persona
from echome.web.catalog_data import persona_names
from echome.web.handoff_view import waiting_count
from echome.web.jobs_view import JobRow, job_row, running_jobs
from echome.web.routes_conversations import Filters, ThreadItem, thread_items
from echome.web.shell import persona_url

SHOWN = 5


@dataclass(frozen=True)
class ThreadList:
    items: list[ThreadItem]
    total: int
    href: str  # the Conversations inbox with the same filter


@dataclass(frozen=True)
class Dashboard:
    today: ThreadList
    needs_you: ThreadList
    jobs: list[JobRow]
    inbox: str
    waiting: int = 0  # conversations handed to the seller, waiting for their reply

    def thread_href(self, item: ThreadItem, listing: ThreadList) -> str:
        return listing.href + ("&" if "?" in listing.href else "?") + f"c={item.client_id}"


def _list(db: Session, user_id: str, persona: Persona, filters: Filters) -> ThreadList:
    items, total = thread_items(db, user_id, persona.id, filters, SHOWN)
    return ThreadList(items, total, persona_url(persona, "/conversations") + filters.query())


def dashboard_of(db: Session, *, user_id: str, persona: Persona) -> Dashboard:
    jobs = running_jobs(db, user_id=user_id, limit=SHOWN)
    names: dict[str, Any] = persona_names(db, user_id) if jobs else {}
    return Dashboard(
        today=_list(db, user_id, persona, Filters(today=True)),
        needs_you=_list(db, user_id, persona, Filters(needs=True)),
        jobs=[job_row(db, j, names) for j in jobs],
        inbox=persona_url(persona, "/conversations"),
        waiting=waiting_count(db, user_id=user_id, persona_id=persona.id),
    )
