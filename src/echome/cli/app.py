"""The `echome` Typer application: global options and command groups."""

from __future__ import annotations

import typer

from echome import __version__
from echome.cli import (
    admin,
    answer,
    eval_conversations,
    eval_diarization,
    evals,
    jobs,
    knowledge,
    persona,
    persona_speakers,
    serve,
    store_info,
    telegram,
)
from echome.cli.common import state
from echome.cli.handoff import handoff_app
from echome.cli.widget import widget_app

app = typer.Typer(
    name="echome",
    help="Echo Me: your AI sales representative, in your style and your voice.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(__version__)
        raise typer.Exit()


@app.callback()
def _global(
    log_format: str = typer.Option(None, "--log-format", help="json (default) or text"),
    log_level: str = typer.Option(None, "--log-level", help="DEBUG, INFO, WARNING..."),
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True),
) -> None:
    if log_format not in (None, "json", "text"):
        raise typer.BadParameter("--log-format must be json or text")
    state.log_format = log_format
    state.log_level = log_level


app.command("serve")(serve.serve)
app.command("worker")(serve.worker)
app.add_typer(admin.db_app, name="db")
app.add_typer(admin.users_app, name="users")
app.add_typer(admin.tokens_app, name="tokens")
app.add_typer(admin.keys_app, name="keys")
app.add_typer(jobs.jobs_app, name="jobs")
app.add_typer(knowledge.catalog_app, name="catalog")
app.command("search")(knowledge.search)
app.add_typer(store_info.store_info_app, name="store-info")
evals.eval_app.command("conversations")(eval_conversations.eval_conversations)
evals.eval_app.command("persona")(eval_conversations.eval_persona)
evals.eval_app.command("diarization")(eval_diarization.eval_diarization)
app.add_typer(evals.eval_app, name="eval")
persona.persona_app.command("speakers")(persona_speakers.speakers)
app.add_typer(persona.persona_app, name="persona")
app.command("transcribe")(persona.transcribe)
app.command("say")(persona.say)
app.command("ask")(answer.ask)
app.add_typer(telegram.telegram_app, name="telegram")
app.add_typer(handoff_app, name="handoff")
app.add_typer(widget_app, name="widget")
