"""`echome ask`: a customer's question answered by a persona, from the terminal."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from echome.cli.common import acting_user, console, fail, out, print_json, state
from echome.cli.persona import UserOpt, resolve


def ask(
    persona: str,
    question: str,
    client: str = typer.Option(
        None, "--client", help="The customer: a client id, or any identifier to keep one conversation"
    ),
    voice: bool = typer.Option(False, "--voice", help="Also speak the answer as an OGG/Opus voice note"),
    output: Path = typer.Option(None, "-o", "--output", help="Write the voice note here (implies --voice)"),
    as_json: bool = typer.Option(False, "--json", help="Print JSON"),
    user: str = UserOpt,
) -> None:
    """Ask PERSONA a QUESTION: the answer with its citations (and a voice note with --voice)."""
    from echome.answer.pipeline import AnswerError
    from echome.app.routes.chat import resolve_client

    services = state.services()
    acting = acting_user(services, user)
    p = resolve(services, acting, persona)
    with services.sessions() as db:
        channel, external = resolve_client(db, acting.id, client, "cli")
    try:
        result = services.answerer.answer(
            user_id=acting.id,
            persona_id=p.id,
            question=question,
            channel=channel,
            client_ref=external,
            voice=voice or output is not None,
        )
    except AnswerError as exc:
        fail(str(exc))
    audio: str | None = None
    if result.audio_key:
        if output is not None:
            output.write_bytes(services.storage.get(result.audio_key))
            audio = str(output)
        else:
            with services.storage.local_copy(result.audio_key) as path:
                audio = str(path)  # local storage: the stored file itself
    payload: dict[str, Any] = {
        "answer": result.answer,
        "citations": [{k: c[k] for k in ("sku", "name", "source", "page", "text")} for c in result.citations],
        "audio": audio,
        "timings": result.timings,
        "mode": result.mode,
        "client_id": result.client_id,
    }
    if result.speech_error:
        payload["speech_error"] = result.speech_error
    if as_json:
        print_json(payload)
        return
    out.print(result.answer)
    for i, c in enumerate(result.citations, 1):
        where = ", ".join(
            x
            for x in (
                c.get("sku") and f"SKU {c['sku']}",
                c.get("source"),
                c.get("page") is not None and f"p. {c['page']}",
            )
            if x
        )
        console.print(f"[dim][{i}] {c.get('name') or ''} ({where})[/dim]")
    if audio:
        console.print(f"[dim]voice note: {audio}[/dim]")
    if result.speech_error:
        console.print(f"[yellow]no voice note: {result.speech_error}[/yellow]")
