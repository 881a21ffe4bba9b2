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
    from echome.rehearsal.buyer_questions import BuyerSource

BUYERS = ("auto", "llm", "templates")


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
    buyers: str = typer.Option(
        "auto",
        "--buyers",
        help="Who writes the buyers' messages: llm (the seller's LLM rephrases each planned question "
        "like a real shopper; a rephrasing that changes what is asked keeps the template's words), "
        "templates (offline), auto (llm when the seller has an LLM key, else templates)",
    ),
    as_json: bool = typer.Option(False, "--json", help="The full report as JSON"),
    user: str = UserOpt,
) -> None:
    """Ask a persona realistic buyer questions from its own catalog (price, stock, options, specs,
    comparisons, things it does not sell, a discount request, a complaint, asking for a person, saying
    they will buy) and score the answers: facts right, declines right, handed to the seller where it
    should be."""
    if (persona is None) == (not catalogs):
        fail("give a PERSONA, or --catalog FILE")
    if buyers not in BUYERS:
        fail(f"--buyers must be one of {', '.join(BUYERS)}")
    if persona is not None:
        reports = [_persona_report(persona, user, n=n, seed=seed, buyers=buyers)]
    else:
        reports = _catalog_reports(catalogs, n=n, seed=seed, buyers=buyers)
    if as_json:
        print_json(reports[0] if persona is not None else reports)
        return
    for r in reports:
        _print(r)


def _persona_report(ref: str, user: str | None, *, n: int, seed: int, buyers: str = "auto") -> dict[str, Any]:
    services = state.services()
    acting = acting_user(services, user)
    p = resolve(services, acting, ref)
    source = _buyer_source(services, acting.id, p.id, buyers)
    return {"persona": p.name, **_run(services, acting.id, p.id, n=n, seed=seed, source=source)}


def _buyer_source(services: Services, user_id: str, persona_id: str, buyers: str) -> BuyerSource:
    """The templates, or the seller's LLM rephrasing them: the same LLM (the seller's or persona's
    key, or the server's LLM_BASE_URL) that writes the persona's answers."""
    from echome.rehearsal.buyer_questions import TemplateBuyers
    from echome.rehearsal.llm_buyers import LLMBuyers

    templates = TemplateBuyers()
    if buyers == "templates":
        return templates
    model = services.models.chat(user_id, persona_id)
    if model is None:
        if buyers == "llm":
            fail(
                "--buyers llm needs an LLM: store an OpenAI or Anthropic key (`echome keys set openai`) "
                "or set ECHOME_LLM_BASE_URL; or use --buyers templates"
            )
        return templates
    return LLMBuyers(model, templates=templates, say=lambda m: console.print(f"[dim]{m}[/dim]"))


def _run(
    services: Services,
    user_id: str,
    persona_id: str,
    *,
    n: int,
    seed: int,
    source: BuyerSource,
    others: list[ProductRecord] | None = None,
) -> dict[str, Any]:
    from echome.db.models import Persona
    from echome.handoff.state import settings_of
    from echome.persona.profile import load_profile, merge
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
    buyers = source.questions(records, n=n, seed=seed, others=others, triggers=triggers)
    questions = buyers.questions
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
    return {"products": len(records), "seed": seed, "buyers": buyers.report, **result}


def _catalog_reports(paths: list[Path], *, n: int, seed: int, buyers: str) -> list[dict[str, Any]]:
    parsed = parsed_catalogs(paths)
    reports = []
    for f, catalog in parsed.items():
        others = [p for g, c in parsed.items() if g != f for p in c.products]
        reports.append({"catalog": f.name, **_catalog_run(catalog, others, n=n, seed=seed, buyers=buyers)})
    return reports


def _catalog_run(
    catalog: Any, others: list[ProductRecord], *, n: int, seed: int, buyers: str
) -> dict[str, Any]:
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
        source = _buyer_source(services, user_id, persona_id, buyers)  # no LLM: fail before importing
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
        return _run(services, user_id, persona_id, n=n, seed=seed, source=source, others=others)


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
    _print_buyers(r.get("buyers") or {}, r.get("by_phrasing") or {})
    for a in r["failing"]:
        why, kind = escape("; ".join(a["why"])), escape(f"[{a['kind']}]")
        out.print(f"  [red]FAIL[/red] {kind} {escape(a['question'])}  [dim]{why}[/dim]")
        if a.get("template_question"):
            out.print(f"       [dim]planned: {escape(a['template_question'])}[/dim]")
        out.print(f"       {escape(' '.join(a['answer'].split())[:300])}")
        if a.get("told") and a["told"] != a["answer"]:  # handed off: the draft waits for the seller
            out.print(f"       [dim]the customer reads:[/dim] {escape(' '.join(a['told'].split())[:300])}")
    _print_style(r.get("style"))


def _print_buyers(buyers: dict[str, Any], by_phrasing: dict[str, Any]) -> None:
    from rich.markup import escape

    if buyers.get("source") != "llm":
        out.print("[dim]buyers: template wording[/dim]")
        return
    reasons = ", ".join(f"{k} {v}" for k, v in (buyers.get("fallback_reasons") or {}).items())
    out.print(
        f"buyers: {buyers['llm_phrased']} rephrased by {escape(str(buyers['model']))}, "
        f"{buyers['fallback']} in the template's words"
        + (f" [dim]({escape(reasons)})[/dim]" if reasons else "")
    )
    for who, row in by_phrasing.items():
        out.print(f"  {who:<9} passed {row['passed']}/{row['questions']}")


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
