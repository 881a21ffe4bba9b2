"""`echome jobs list|show|cancel`."""

from __future__ import annotations

import time

import typer

from echome.cli.common import acting_user, console, fail, out, print_json, state

jobs_app = typer.Typer(help="Background jobs.", no_args_is_help=True)
UserOpt = typer.Option(None, "--user", help="Act for this seller (default: the local owner)")


@jobs_app.command("list")
def jobs_list(
    user: str = UserOpt,
    status: str = typer.Option(None, "--status"),
    limit: int = typer.Option(20, "--limit"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Recent jobs, newest first."""
    from rich.table import Table

    from echome.app.routes.jobs import job_json
    from echome.jobs import store

    services = state.services()
    acting = acting_user(services, user)
    with services.sessions() as s:
        rows = [job_json(j) for j in store.list_jobs(s, user_id=acting.id, status=status, limit=limit)]
    if as_json:
        print_json(rows)
        return
    table = Table("id", "kind", "status", "progress", "stage", "created")
    for r in rows:
        table.add_row(r["id"], r["kind"], r["status"], f"{r['progress']}%", r["stage"], r["created_at"][:19])
    out.print(table)


def follow(services, user_id: str, job_id: str) -> dict:  # type: ignore[no-untyped-def]
    """Show a progress bar until the job ends; returns the final job."""
    from rich.progress import BarColumn, Progress, TextColumn

    from echome.app.routes.jobs import job_json
    from echome.db.models import TERMINAL_STATUSES
    from echome.jobs import store

    columns = (TextColumn("{task.description}"), BarColumn(), TextColumn("{task.percentage:>3.0f}%"))
    with Progress(*columns, console=console) as bar:  # stderr, so stdout stays clean for --json
        task = bar.add_task("queued", total=100)
        while True:
            with services.sessions() as s:
                job = job_json(store.get_job(s, user_id=user_id, job_id=job_id))
            bar.update(task, completed=job["progress"], description=job["stage"] or job["status"])
            if job["status"] in TERMINAL_STATUSES:
                return job
            time.sleep(0.3)


@jobs_app.command("show")
def jobs_show(
    job_id: str = typer.Argument(..., help="The job's id, or its first characters (at least 4)"),
    user: str = UserOpt,
    as_json: bool = typer.Option(False, "--json"),
    wait: bool = typer.Option(False, "--wait", help="Follow with a progress bar until it ends"),
) -> None:
    """One job, in full."""
    from echome.app.routes.jobs import job_json
    from echome.db.models import TERMINAL_STATUSES
    from echome.jobs import store

    services = state.services()
    acting = acting_user(services, user)
    try:
        with services.sessions() as s:
            job_id = store.resolve_job_id(s, user_id=acting.id, ref=job_id)  # or a prefix of it
            job = job_json(store.get_job(s, user_id=acting.id, job_id=job_id))
    except store.JobNotFound:
        fail(f"no job {job_id}")
    except store.AmbiguousJob as exc:
        fail(str(exc))
    if wait and job["status"] not in TERMINAL_STATUSES:
        job = follow(services, acting.id, job_id)
    if as_json:
        print_json(job)
    else:
        for key, value in job.items():
            out.print(f"[bold]{key:>16}[/bold]  {value}")
    if job["status"] == "failed":
        raise typer.Exit(1)


@jobs_app.command("cancel")
def jobs_cancel(job_id: str, user: str = UserOpt) -> None:
    """Cancel a pending or running job."""
    from echome.jobs import store

    services = state.services()
    acting = acting_user(services, user)
    try:
        with services.sessions() as s, s.begin():
            job_id = store.resolve_job_id(s, user_id=acting.id, ref=job_id)  # or a prefix of it
            job = store.request_cancel(s, user_id=acting.id, job_id=job_id)
            status = job.status
    except store.JobNotFound:
        fail(f"no job {job_id}")
    except (store.JobStateError, store.AmbiguousJob) as exc:
        fail(str(exc))
    out.print(f"job {job_id}: {status}{' (cancel requested)' if status == 'running' else ''}")
