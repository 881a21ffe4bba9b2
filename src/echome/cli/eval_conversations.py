"""`echome eval conversations`: test conversations before going live — buyer questions generated from
a persona's own catalog, answered by its real pipeline, scored, and every failing question named.
The seller's data is left as it was (see `echome.rehearsal.conversations`)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from echome.cli.common import acting_user, console, fail, out, print_json, state
from echome.cli.evals import parsed_catalogs, throwaway_seller
from echome.cli.persona import UserOpt, resolve

if TYPE_CHECKING:
    from echome.bootstrap import Services
    from echome.knowledge.records import ProductRecord


def eval_conversations(
    persona: str = typer.Argument(None, help="The persona to test (name or id)"),
    catalogs: list[Path] = typer.Option(
        None,
        "--catalog",
        help="Instead of a persona: a catalog file or folder, imported for a new persona of a "
        "throwaway seller (repeat for several; each is tested, the others' products are off-catalog)",
    ),
    n: int = typer.Option(50, "--n", min=1, max=1000, help="Questions per persona"),
    seed: int = typer.Option(7, "--seed", help="The same seed asks the same questions"),
    as_json: bool = typer.Option(False, "--json", help="The full report as JSON"),
    user: str = UserOpt,
) -> None:
    """Ask a persona realistic buyer questions from its own catalog (price, stock, options, specs,
    comparisons, things it does not sell, a discount request, a complaint, asking for a person) and
    score the answers: facts right, declines right, handed to the seller where it should be."""
    if (persona is None) == (not catalogs):
        fail("give a PERSONA, or --catalog FILE")
    if persona is not None:
        reports = [_persona_report(persona, user, n=n, seed=seed)]
    else:
        reports = _catalog_reports(catalogs, n=n, seed=seed)
    if as_json:
        print_json(reports[0] if persona is not None else reports)
        return
    for r in reports:
        _print(r)


def _persona_report(ref: str, user: str | None, *, n: int, seed: int) -> dict[str, Any]:
    services = state.services()
    acting = acting_user(services, user)
    p = resolve(services, acting, ref)
    return {"persona": p.name, **_run(services, acting.id, p.id, n=n, seed=seed)}


def _run(
    services: Services,
    user_id: str,
    persona_id: str,
    *,
    n: int,
    seed: int,
    others: list[ProductRecord] | None = None,
) -> dict[str, Any]:
    from echome.db.models import Persona
    from echome.handoff.state import settings_of
    from echome.persona.profile import load_profile, merge
    from echome.rehearsal.buyer_questions import buyer_questions
    from echome.rehearsal.conversations import (
        dry_run_answerer,
        known_numbers,
        persona_catalog,
        run_conversation_eval,
    )

    records = persona_catalog(services.sessions, user_id=user_id, persona_id=persona_id)
    if not records:
        fail("the persona has no catalog to ask about (import one: `echome catalog import FILE --persona`)")
    with services.sessions() as db:
        triggers = settings_of(db, persona_id).triggers
        persona = db.get(Persona, persona_id)
        stored = load_profile(db, persona) if persona is not None else None
        profile = merge(stored.auto_extracted or {}, stored.manual_overrides or {}) if stored else {}
    questions = buyer_questions(records, n=n, seed=seed, others=others, triggers=triggers)
    result = run_conversation_eval(
        dry_run_answerer(services.answerer),
        services.sessions,
        user_id=user_id,
        persona_id=persona_id,
        questions=questions,
        known=known_numbers(services.sessions, user_id=user_id, products=records),
        # style needs the seller's measured speech, or habits they set by hand
        profile=profile if any(profile.get(k) for k in ("summary", "fillers", "catchphrases")) else None,
        say=lambda m: console.print(f"[dim]{m}[/dim]"),
    )
    return {"products": len(records), "seed": seed, **result}


def _catalog_reports(paths: list[Path], *, n: int, seed: int) -> list[dict[str, Any]]:
    parsed = parsed_catalogs(paths)
    reports = []
    for f, catalog in parsed.items():
        others = [p for g, c in parsed.items() if g != f for p in c.products]
        reports.append({"catalog": f.name, **_catalog_run(catalog, others, n=n, seed=seed)})
    return reports


def _catalog_run(catalog: Any, others: list[ProductRecord], *, n: int, seed: int) -> dict[str, Any]:
    """The catalog imported for a new persona of a throwaway seller, then tested like a live one."""
    from echome.db.models import Persona, PersonaProfile
    from echome.db.session import transaction
    from echome.knowledge.index import ingest_catalog

    with throwaway_seller() as (services, user_id):
        with transaction(services.sessions) as db:
            persona = Persona(user_id=user_id, name="Sam")
            persona.profile = PersonaProfile(user_id=user_id)
            db.add(persona)
            db.flush()
            persona_id = persona.id
        console.print(f"[dim]importing {catalog.source}[/dim]")
        ingest_catalog(
            catalog,
            user_id=user_id,
            persona_id=persona_id,
            sessions=services.sessions,
            embedder=services.embedder,
            store=services.vectors,
        )
        services.retriever.keywords.invalidate(user_id)
        return _run(services, user_id, persona_id, n=n, seed=seed, others=others)


def _print(r: dict[str, Any]) -> None:
    from rich.markup import escape
    from rich.table import Table

    title = r.get("persona") or r.get("catalog")
    rate = f"{100 * r['pass_rate']:.0f}%" if r["pass_rate"] is not None else "-"
    out.print(
        f"[bold]{escape(str(title))}[/bold]  passed {r['passed']}/{r['questions']} ({rate})  "
        f"[dim]{r['products']} products, seed {r['seed']}[/dim]"
    )
    table = Table("kind", "passed", "questions", "rate")
    for kind, row in r["by_kind"].items():
        table.add_row(kind, str(row["passed"]), str(row["questions"]), f"{100 * row['pass_rate']:.0f}%")
    out.print(table)
    for a in r["failing"]:
        why, kind = escape("; ".join(a["why"])), escape(f"[{a['kind']}]")
        out.print(f"  [red]FAIL[/red] {kind} {escape(a['question'])}  [dim]{why}[/dim]")
        out.print(f"       {escape(' '.join(a['answer'].split())[:300])}")
    _print_style(r.get("style"))


def _print_style(style: dict[str, Any] | None) -> None:
    if style is None:
        out.print("[dim]style: not measured (the persona has no measured speech)[/dim]")
        return
    out.print(f"[bold]style[/bold] {style['score']:.2f} of 1 over {style['replies']} replies")
    for name, m in style["measures"].items():
        check = (
            "" if "within_25_percent" not in m else ("  ok" if m["within_25_percent"] else "  [red]off[/red]")
        )
        out.print(
            f"  {name:<28} replies {m['replies']:>6}  you {m['source']:>6}  {m['closeness']:.2f}{check}"
        )


def eval_persona(
    persona: str = typer.Argument(..., help="The persona (name or id)"),
    n: int = typer.Option(40, "--n", min=5, max=1000, help="Questions asked"),
    seed: int = typer.Option(7, "--seed"),
    as_json: bool = typer.Option(False, "--json", help="The report as JSON"),
    user: str = UserOpt,
) -> None:
    """How much the persona's replies sound like you: fillers (voice notes), catchphrases, sentence
    length, formality and vocabulary of replies to buyer questions, beside your own speech's, and one
    score. Asked like `eval conversations` (nothing of yours changes)."""
    report = _persona_report(persona, user, n=n, seed=seed)
    style = report.get("style")
    if style is None:
        fail("the persona has no measured speech to compare with: add recordings of yourself first")
    if as_json:
        print_json({"persona": report["persona"], "questions": report["questions"], **style})
        return
    out.print(f"[bold]{report['persona']}[/bold]")
    _print_style(style)
