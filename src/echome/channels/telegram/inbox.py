"""Receiving Telegram updates: the fast path both the webhook and the poller use.

One transaction stores the update (unique per persona and update_id, so Telegram's retries are not
answered twice) with its job, then the job id goes to the queue. The `telegram.update` job does the
slow part: commands, voice-note download and transcription, the answer, speech and delivery.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import threading
from collections import OrderedDict
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from echome.channels.telegram import CHANNEL, JOB_KIND
from echome.db.models import ChannelUpdate, Job, Persona
from echome.db.session import transaction
from echome.db.types import new_id
from echome.jobs.submit import JobSubmitter

log = logging.getLogger("echome.telegram")


class UpdateRejected(ValueError):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def webhook_secret(server_secret: str, persona_id: str) -> str:
    """The `secret_token` Telegram echoes in `X-Telegram-Bot-Api-Secret-Token` (A-Z a-z 0-9 _ -)."""
    mac = hmac.new(server_secret.encode(), f"telegram-webhook:{persona_id}".encode(), hashlib.sha256)
    return base64.urlsafe_b64encode(mac.digest()).decode().rstrip("=")


class _Owners:
    """persona id -> seller id, for the most recent `size` personas (a persona never changes owner)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._items: OrderedDict[str, str] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, persona_id: str) -> str | None:
        with self._lock:
            user_id = self._items.get(persona_id)
            if user_id is not None:
                self._items.move_to_end(persona_id)
            return user_id

    def put(self, persona_id: str, user_id: str) -> None:
        with self._lock:
            self._items[persona_id] = user_id
            while len(self._items) > self.size:
                self._items.popitem(last=False)

    def forget(self, persona_id: str) -> None:
        with self._lock:
            self._items.pop(persona_id, None)


class TelegramInbox:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        jobs: JobSubmitter,
        *,
        server_secret: str,
        max_attempts: int,
        owners_cached: int = 10_000,
    ) -> None:
        self.sessions = sessions
        self.jobs = jobs
        self.server_secret = server_secret
        self.max_attempts = max_attempts
        self._owners = _Owners(owners_cached)

    def webhook_secret(self, persona_id: str) -> str:
        return webhook_secret(self.server_secret, persona_id)

    def check_secret(self, persona_id: str, given: str | None) -> bool:
        # Compared as bytes: a header of any characters is a wrong secret, not an error.
        return bool(given) and hmac.compare_digest(
            self.webhook_secret(persona_id).encode(), (given or "").encode()
        )

    def owner_of(self, persona_id: str) -> str | None:
        user_id = self._owners.get(persona_id)
        if user_id is None:
            with transaction(self.sessions) as db:
                persona = db.get(Persona, persona_id)
                if persona is None:
                    return None
                user_id = persona.user_id
            self._owners.put(persona_id, user_id)
        return user_id

    def record(self, *, persona_id: str, update: Any) -> tuple[str, str | None]:
        """Store one update and queue its job: ("queued", job_id) or ("duplicate", None)."""
        if not isinstance(update, dict) or not isinstance(update.get("update_id"), int):
            raise UpdateRejected(400, "expected a Telegram update with an integer update_id")
        user_id = self.owner_of(persona_id)
        if user_id is None:
            raise UpdateRejected(404, "persona not found")
        # Ids made here, so both rows go in with one flush: the acknowledgement waits for one commit.
        row_id, job_id = new_id(), new_id()
        try:
            with transaction(self.sessions) as db:  # SQLite writers queue in the session layer
                db.add(
                    Job(
                        id=job_id,
                        user_id=user_id,
                        kind=JOB_KIND,
                        payload={"update": row_id, "persona_id": persona_id},
                        max_attempts=self.max_attempts,
                        stage="queued",
                    )
                )
                db.add(
                    ChannelUpdate(
                        id=row_id,
                        user_id=user_id,
                        persona_id=persona_id,
                        channel=CHANNEL,
                        update_id=update["update_id"],
                        payload=update,
                        job_id=job_id,
                    )
                )
        except IntegrityError:
            self._owners.forget(persona_id)  # or the persona was deleted a moment ago
            return "duplicate", None
        self.jobs.send(job_id)
        return "queued", job_id
