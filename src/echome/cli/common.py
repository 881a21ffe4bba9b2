"""What every command shares: settings, services, the acting seller, output helpers."""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING, Any

import typer
from rich.console import Console

# Only typer and rich at import time, so `echome --help` starts fast: the database, the queue and
# the settings are imported by the commands that use them.
if TYPE_CHECKING:
    from echome.bootstrap import Services
    from echome.db.models import User
    from echome.settings import Settings

console = Console(stderr=True)
out = Console()


class State:
    log_format: str | None = None
    log_level: str | None = None
    long_running: bool = False  # serve / worker: their INFO lines are what an operator watches
    _services: Services | None = None

    def logging_for(self, settings: Settings) -> tuple[str, str]:
        """(level, format) of the log lines on stderr. Flags win, then the environment; on an
        interactive terminal the default is readable text, and only warnings for one-off commands
        (their results go to stdout); elsewhere (a service manager, a pipe) JSON lines at INFO."""
        chosen = settings.model_fields_set
        tty = sys.stderr.isatty()
        fmt = self.log_format or ("text" if tty and "log_format" not in chosen else settings.log_format)
        quiet = tty and not self.long_running and "log_level" not in chosen
        level = self.log_level or ("WARNING" if quiet else settings.log_level)
        return level, fmt

    def settings(self) -> Settings:
        from echome.settings import Settings

        return Settings()

    def services(self, *, migrate_db: bool = True) -> Services:
        if self._services is None:
            from echome.bootstrap import build_services
            from echome.db import migrate
            from echome.logs import configure_logging

            settings = self.settings()
            level, fmt = self.logging_for(settings)
            configure_logging(level=level, fmt=fmt)
            try:
                self._services = build_services(settings)
            except Exception as exc:
                fail(f"cannot start: {exc}")
            if migrate_db and settings.auto_migrate:
                migrate.upgrade(self._services.engine)
        return self._services


state = State()


def fail(message: str, code: int = 1) -> None:
    console.print(f"[red]error:[/red] {message}")
    raise typer.Exit(code)


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, default=str, ensure_ascii=False) + "\n")


def ensure_owner(services: Services) -> User:
    """The embedded owner account, created on first run; its password is printed once."""
    from echome.accounts.users import ensure_owner as _ensure
    from echome.db.session import transaction

    with transaction(services.sessions) as s:
        owner, password = _ensure(s, email=services.settings.owner_email)
    if password:
        console.print(
            f"[green]Created the owner account[/green] {owner.email} with password [bold]{password}[/bold]\n"
            "  (shown once; change it with `echome users set-password`)"
        )
    return owner


def acting_user(services: Services, email: str | None) -> User:
    """`--user EMAIL`, or the local owner when none is given."""
    from sqlalchemy import select

    from echome.accounts.users import get_user_by_email
    from echome.db.models import User

    with services.sessions() as s:
        if email:
            user = get_user_by_email(s, email)
            if user is None:
                fail(f"no user with email {email}")
            return user  # type: ignore[return-value]
        owners = list(s.scalars(select(User).where(User.is_owner.is_(True))))
    if not owners and services.settings.embedded:
        return ensure_owner(services)
    if len(owners) == 1:
        return owners[0]
    fail("pass --user EMAIL (there is no single owner account)")
    raise AssertionError
