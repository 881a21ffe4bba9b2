"""`echome db`, `echome users`, `echome tokens`, `echome keys`."""

from __future__ import annotations

import typer

from echome.cli.common import acting_user, console, fail, out, print_json, state

db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
users_app = typer.Typer(help="Seller accounts.", no_args_is_help=True)
tokens_app = typer.Typer(help="API tokens for the HTTP API.", no_args_is_help=True)
keys_app = typer.Typer(help="Provider keys (stored encrypted).", no_args_is_help=True)

UserOpt = typer.Option(None, "--user", help="Act for this seller (default: the local owner)")


@db_app.command("upgrade")
def db_upgrade(revision: str = typer.Argument("head")) -> None:
    """Apply migrations (SQLite or PostgreSQL, whichever is configured)."""
    from echome.db import migrate

    services = state.services(migrate_db=False)
    migrate.upgrade(services.engine, revision)
    console.print(f"database at revision {migrate.current_revision(services.engine)}")


@db_app.command("current")
def db_current() -> None:
    """Show the applied and the latest revision."""
    from echome.db import migrate

    services = state.services(migrate_db=False)
    print_json(
        {"current": migrate.current_revision(services.engine), "head": migrate.head_revision(services.engine)}
    )


@users_app.command("create")
def users_create(
    email: str,
    password: str = typer.Option(None, "--password", help="Prompted when omitted", hide_input=True),
    name: str = typer.Option(None, "--name"),
    owner: bool = typer.Option(False, "--owner", help="Make this the default account of the CLI"),
    no_password: bool = typer.Option(False, "--no-password", help="Google sign-in only"),
) -> None:
    """Create a seller account."""
    from echome.accounts import users as user_service
    from echome.db.session import transaction

    services = state.services()
    if password is None and not no_password:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        with transaction(services.sessions) as s:
            user = user_service.create_user(
                s, email=email, password=password, display_name=name, is_owner=owner
            )
            uid, stored = user.id, user.email
    except user_service.AccountError as exc:
        fail(str(exc))
    console.print(f"created user {stored} ({uid})")  # the address as sign-in and --user match it


@users_app.command("list")
def users_list(as_json: bool = typer.Option(False, "--json")) -> None:
    """List accounts."""
    from rich.table import Table
    from sqlalchemy import select

    from echome.db.models import User

    services = state.services()
    with services.sessions() as s:
        rows = [
            {"id": u.id, "email": u.email, "owner": u.is_owner, "google": u.google_sub is not None}
            for u in s.scalars(select(User).order_by(User.created_at))
        ]
    if as_json:
        print_json(rows)
        return
    table = Table("id", "email", "owner", "google")
    for r in rows:
        table.add_row(r["id"], r["email"], "yes" if r["owner"] else "", "yes" if r["google"] else "")
    out.print(table)


@users_app.command("set-password")
def users_set_password(email: str, password: str = typer.Option(None, "--password", hide_input=True)) -> None:
    """Set (or reset) an account's password."""
    from echome.accounts import users as user_service
    from echome.db.session import transaction

    services = state.services()
    if password is None:
        password = typer.prompt("New password", hide_input=True, confirmation_prompt=True)
    with transaction(services.sessions) as s:
        user = user_service.get_user_by_email(s, email)
        if user is None:
            fail(f"no user with email {email}")
        try:
            user.password_hash = user_service.hash_password(password)  # type: ignore[union-attr]
        except user_service.AccountError as exc:
            fail(str(exc))
    console.print("password updated")


@tokens_app.command("create")
def tokens_create(
    user: str = UserOpt,
    name: str = typer.Option("cli", "--name"),
    days: int = typer.Option(None, "--days", help="Lifetime (default ECHOME_TOKEN_TTL_DAYS)"),
) -> None:
    """Issue an API token (printed once) for `Authorization: Bearer ...`."""
    from datetime import timedelta

    from echome.accounts import users as user_service
    from echome.db.models import User
    from echome.db.session import transaction

    services = state.services()
    acting = acting_user(services, user)
    ttl = timedelta(days=days or services.settings.token_ttl_days)
    with transaction(services.sessions) as s:
        issued = user_service.issue_token(s, user=s.get(User, acting.id), name=name, ttl=ttl)  # type: ignore[arg-type]
    out.print(issued.token)


@keys_app.command("set")
def keys_set(
    provider: str,
    user: str = UserOpt,
    persona: str = typer.Option(None, "--persona", help="Scope to one persona"),
) -> None:
    """Store a provider key (read from a hidden prompt or stdin, never from the command line)."""
    from echome.accounts import keys as key_service
    from echome.db.session import transaction

    services = state.services()
    acting = acting_user(services, user)
    value = typer.prompt(f"{key_service.PROVIDERS.get(provider, provider)}", hide_input=True)
    try:
        with transaction(services.sessions) as s:
            masked = key_service.set_key(
                s, services.keystore, user_id=acting.id, provider=provider, value=value, scope=persona or ""
            )
    except key_service.KeyInputError as exc:
        fail(str(exc))
    console.print(f"stored {provider}: {masked.masked}")


@keys_app.command("list")
def keys_list(user: str = UserOpt, as_json: bool = typer.Option(False, "--json")) -> None:
    """Show stored keys, masked."""
    from rich.table import Table

    from echome.accounts import keys as key_service

    services = state.services()
    acting = acting_user(services, user)
    with services.sessions() as s:
        rows = [
            {
                "provider": k.provider,
                "persona_id": k.scope or None,
                "masked": k.masked,
                "updated_at": k.updated_at,
            }
            for k in key_service.list_keys(s, user_id=acting.id)
        ]
    if as_json:
        print_json(rows)
        return
    table = Table("provider", "persona", "key", "updated")
    for r in rows:
        table.add_row(r["provider"], r["persona_id"] or "", r["masked"], str(r["updated_at"])[:19])
    out.print(table)


@keys_app.command("rotate-master")
def keys_rotate_master() -> None:
    """Add a new master key and re-encrypt every stored provider key with it."""
    from echome.accounts import keys as key_service
    from echome.bootstrap import keystore_for, master_key_path
    from echome.db.session import transaction
    from echome.secrets.keystore import prepend_key_file

    services = state.services()
    if services.settings.master_keys is not None:
        fail("master keys come from ECHOME_MASTER_KEYS: put a new key first in that list, then rerun")
    prepend_key_file(master_key_path(services.settings))
    keystore = keystore_for(services.settings)
    with transaction(services.sessions) as s:
        count = key_service.rotate_all(s, keystore)
    console.print(f"re-encrypted {count} keys with the new master key")
