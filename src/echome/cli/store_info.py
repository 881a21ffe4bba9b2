"""`echome store-info import|list|delete`: the store's policies, shipping, opening hours and FAQ."""

from __future__ import annotations

import threading
import uuid
from pathlib import Path

import typer

from echome.cli.common import acting_user, console, fail, out, print_json, state
from echome.cli.jobs import follow

store_info_app = typer.Typer(
    help="Store information (policies, shipping, opening hours, FAQ) for questions about the shop.",
    no_args_is_help=True,
)
UserOpt = typer.Option(None, "--user", help="Act for this seller (default: the local owner)")


@store_info_app.command("import")
def store_info_import(
    path: Path = typer.Argument(..., exists=False, help="A Markdown, TXT or PDF file"),
    persona: str = typer.Option(None, "--persona", help="Only this persona uses it (name or id)"),
    user: str = UserOpt,
    as_json: bool = typer.Option(False, "--json", help="Print the finished job as JSON"),
    no_wait: bool = typer.Option(False, "--no-wait", help="Queue the import and return its job id"),
) -> None:
    """Import store information; importing a file of the same name again replaces it."""
    from echome.app.routes.products import safe_filename
    from echome.cli.persona import resolve
    from echome.knowledge.records import ParseError
    from echome.knowledge.store_doc import MAX_FILE_BYTES, check_upload

    if not path.is_file():
        fail(f"no such file: {path}")
    name = safe_filename(path.name)
    if path.stat().st_size > MAX_FILE_BYTES:
        fail(f"the file is larger than the {MAX_FILE_BYTES // (1024 * 1024)} MB limit for store information")
    data = path.read_bytes()
    try:
        check_upload(data, name)
    except ParseError as exc:
        fail(f"{path.name}: {exc}")
    services = state.services()
    acting = acting_user(services, user)
    persona_id = resolve(services, acting, persona).id if persona else None
    key = services.storage.put("uploads", acting.id, f"{uuid.uuid4().hex[:12]}-{name}", data)
    job_id = services.submit_job(
        user_id=acting.id,
        kind="store_info.import",
        payload={"file_key": key, "filename": name, "persona_id": persona_id},
    )
    if no_wait:
        print_json({"job_id": job_id}) if as_json else out.print(job_id)
        return
    # Run it here unless a worker takes it first (the claim makes sure only one runs it).
    runner = threading.Thread(target=services.executor.execute, args=(job_id,), daemon=True)
    runner.start()
    job = follow(services, acting.id, job_id)
    runner.join(timeout=5)
    if as_json:
        print_json(job)
    elif job["status"] == "completed":
        r = job["result"] or {}
        console.print(f"[green]imported[/green] {r.get('passages')} passages from {r.get('source')}")
        for w in r.get("warnings", [])[:10]:
            console.print(f"[yellow]warning:[/yellow] {w}")
    if job["status"] != "completed":
        if not as_json:
            console.print(f"[red]import {job['status']}:[/red] {job.get('error')}")
        raise typer.Exit(1)


@store_info_app.command("list")
def store_info_list(
    user: str = UserOpt, as_json: bool = typer.Option(False, "--json", help="Print JSON")
) -> None:
    """Your store-information files: passages and the persona each belongs to."""
    from echome.knowledge.store_info import list_store_info

    services = state.services()
    acting = acting_user(services, user)
    files = list_store_info(services.sessions, user_id=acting.id)
    if as_json:
        print_json(files)
        return
    if not files:
        console.print("no store information yet: `echome store-info import FILE`")
    for f in files:
        who = "every persona" if not f["persona_id"] else f"persona {f['persona'] or '(deleted)'}"
        out.print(
            f"{f['source']}  [bold]{f['passages']}[/bold] passages  [dim]{who}, {f['updated_at']}[/dim]"
        )


@store_info_app.command("delete")
def store_info_delete(
    source: str = typer.Argument(..., help="The file's name, as `echome store-info list` shows it"),
    user: str = UserOpt,
    yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask for confirmation"),
) -> None:
    """Delete a store-information file's passages."""
    from echome.knowledge.store_info import delete_store_info

    services = state.services()
    acting = acting_user(services, user)
    if not yes and not typer.confirm(f"Delete the store information imported from {source}?", err=True):
        raise typer.Exit(1)
    n = delete_store_info(
        user_id=acting.id, source=source, sessions=services.sessions, store=services.vectors
    )
    if not n:
        fail(f"no store information {source!r} (see `echome store-info list`)")
    services.retriever.keywords.invalidate(acting.id)
    console.print(f"[green]deleted[/green] {n} passages from {source}")
