"""Telegram: updates in (webhook or polling), answers out (voice note + caption, or text).

`record_update` is the fast path both the webhook and the poller use: one transaction stores the
update (unique per persona and update_id, so Telegram's retries are not answered twice) with its
job, then the job id goes to the queue. The `telegram.update` job does the slow part:
commands, voice-note download and transcription, the answer, speech and delivery.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
from typing import TYPE_CHECKING, Any

from sqlalchemy.exc import IntegrityError

from echome.db.models import ChannelUpdate, Job, Persona
from echome.db.session import transaction
from echome.db.types import new_id

if TYPE_CHECKING:
    from echome.bootstrap import Services

log = logging.getLogger("echome.telegram")
CHANNEL = "telegram"
TOKEN_PROVIDER = "telegram_bot_token"
JOB_KIND = "telegram.update"
_OWNERS: dict[str, str] = {}  # persona id -> user id; a persona never changes owner


class UpdateRejected(ValueError):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def webhook_secret(services: Services, persona_id: str) -> str:
    """The `secret_token` Telegram echoes in `X-Telegram-Bot-Api-Secret-Token` (A-Z a-z 0-9 _ -)."""
    mac = hmac.new(
        services.session_secret.encode(), f"telegram-webhook:{persona_id}".encode(), hashlib.sha256
    )
    return base64.urlsafe_b64encode(mac.digest()).decode().rstrip("=")


def check_secret(services: Services, persona_id: str, given: str | None) -> bool:
    return bool(given) and hmac.compare_digest(webhook_secret(services, persona_id), given or "")


def owner_of(services: Services, persona_id: str) -> str | None:
    user_id = _OWNERS.get(persona_id)
    if user_id is None:
        with transaction(services.sessions) as db:
            persona = db.get(Persona, persona_id)
            if persona is None:
                return None
            user_id = _OWNERS[persona_id] = persona.user_id
    return user_id


def record_update(services: Services, *, persona_id: str, update: Any) -> tuple[str, str | None]:
    """Store one update and queue its job: ("queued", job_id) or ("duplicate", None)."""
    if not isinstance(update, dict) or not isinstance(update.get("update_id"), int):
        raise UpdateRejected(400, "expected a Telegram update with an integer update_id")
    user_id = owner_of(services, persona_id)
    if user_id is None:
        raise UpdateRejected(404, "persona not found")
    # Ids made here, so both rows go in with one flush: the acknowledgement waits for one commit.
    row_id, job_id = new_id(), new_id()
    try:
        with transaction(services.sessions) as db:  # SQLite writers queue in the session layer
            db.add(
                Job(
                    id=job_id,
                    user_id=user_id,
                    kind=JOB_KIND,
                    payload={"update": row_id, "persona_id": persona_id},
                    max_attempts=services.settings.job_max_attempts,
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
        _OWNERS.pop(persona_id, None)  # or the persona was deleted a moment ago
        return "duplicate", None
    try:
        services.queue.enqueue(job_id)
    except Exception:
        log.exception("could not enqueue a Telegram update; the reaper will", extra={"job_id": job_id})
    return "queued", job_id
