"""Polling mode for sellers without a public address: one long-poll loop (getUpdates) per persona bot.

Updates go through the same `record_update` as the webhook, so a redelivered update (after a
restart, before Telegram saw our offset) is still answered once. Bots whose token was revoked are
skipped until the seller stores a new token; a bot with a webhook set is left to the webhook.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from echome.channels.telegram import TOKEN_PROVIDER
from echome.channels.telegram.api import TelegramApi, TelegramError
from echome.channels.telegram.inbox import TelegramInbox, UpdateRejected
from echome.db.models import ApiKey, Persona
from echome.db.session import transaction
from echome.providers.base import ModelsForSeller

log = logging.getLogger("echome.telegram")


@dataclass
class _Bot:
    persona_id: str
    user_id: str
    key_version: str  # the key row's updated_at: a new token restarts the loop


def bots_with_tokens(sessions: sessionmaker[Session], persona_id: str | None = None) -> list[_Bot]:
    with transaction(sessions) as db:
        q = (
            select(ApiKey.scope, ApiKey.user_id, ApiKey.updated_at)
            .join(Persona, Persona.id == ApiKey.scope)
            .where(ApiKey.provider == TOKEN_PROVIDER)
        )
        if persona_id:
            q = q.where(ApiKey.scope == persona_id)
        return [_Bot(scope, user, str(updated)) for scope, user, updated in db.execute(q).all()]


class TelegramPoller:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        models: ModelsForSeller,
        inbox: TelegramInbox,
        *,
        bot_api: Callable[[str], TelegramApi],
        persona_id: str | None = None,
        long_poll: int = 25,
        rescan: float = 30.0,
    ) -> None:
        self.sessions = sessions
        self.models = models
        self.inbox = inbox
        self.bot_api = bot_api
        self.persona_id = persona_id
        self.long_poll = long_poll
        self.rescan = rescan
        self.stop_event = threading.Event()
        self._threads: dict[str, tuple[threading.Thread, str]] = {}
        self.rejected: set[tuple[str, str]] = set()  # (persona, key version) whose token Telegram refused
        self._main: threading.Thread | None = None
        self.received = 0

    def start(self) -> None:
        self._main = threading.Thread(target=self._supervise, name="telegram-poller", daemon=True)
        self._main.start()

    def stop(self, timeout: float = 5.0) -> None:
        self.stop_event.set()
        if self._main is not None:
            self._main.join(timeout)

    def _supervise(self) -> None:
        while not self.stop_event.is_set():
            try:
                for bot in bots_with_tokens(self.sessions, self.persona_id):
                    running = self._threads.get(bot.persona_id)
                    if (
                        running
                        and running[1] == bot.key_version
                        and (running[0].is_alive() or (bot.persona_id, bot.key_version) in self.rejected)
                    ):
                        continue  # polling, or its token was refused: wait for a new token
                    t = threading.Thread(target=self._poll_bot, args=(bot,), daemon=True, name="telegram-bot")
                    self._threads[bot.persona_id] = (t, bot.key_version)
                    t.start()
            except Exception:
                log.exception("telegram poller could not list bots")
            self.stop_event.wait(self.rescan)

    def _poll_bot(self, bot: _Bot) -> None:
        token = self.models.key(bot.user_id, TOKEN_PROVIDER, bot.persona_id)
        if not token:
            return
        try:
            asyncio.run(self._loop(bot, token))
        except TelegramError as exc:
            self.rejected.add((bot.persona_id, bot.key_version))
            log.error("telegram polling stopped", extra={"persona_id": bot.persona_id, "error": str(exc)})

    async def _loop(self, bot: _Bot, token: str) -> None:
        offset: int | None = None
        backoff = 1.0
        async with self.bot_api(token) as api:
            while not self.stop_event.is_set():
                current = self._threads.get(bot.persona_id)
                if current is not None and current[1] != bot.key_version:
                    return  # a new token: a new loop takes over
                try:
                    updates = await api.get_updates(offset=offset, timeout=self.long_poll)
                except TelegramError as exc:
                    if exc.kind == "token":
                        raise
                    wait = exc.retry_after or (60.0 if exc.kind == "conflict" else backoff)
                    log.warning(
                        "telegram getUpdates failed", extra={"persona_id": bot.persona_id, "error": str(exc)}
                    )
                    backoff = min(60.0, backoff * 2)
                    await asyncio.sleep(min(wait, 60.0))
                    continue
                backoff = 1.0
                for update in updates:
                    try:
                        await asyncio.to_thread(self.inbox.record, persona_id=bot.persona_id, update=update)
                        self.received += 1
                    except UpdateRejected as exc:
                        log.warning("telegram update rejected", extra={"error": str(exc)})
                    offset = max(offset or 0, int(update["update_id"]) + 1)
