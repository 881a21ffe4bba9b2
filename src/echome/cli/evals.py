"""`echome eval retrieval` and `echome eval answers`: quality on evaluation data, each run in a
throwaway seller in a throwaway embedded store (the seller's own data is never touched)."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from echome.cli.common import console, fail, out, print_json, state

if TYPE_CHECKING:
    from echome.bootstrap import Services

eval_app = typer.Typer(help="Quality evaluations.", no_args_is_help=True)


@contextmanager
def throwaway_seller() -> Iterator[tuple[Services, str]]:
    """Services on a temporary data dir with the configured models, and a new seller's id."""
    from echome.accounts.users import create_user
    from echome.bootstrap import build_services
    from echome.db import migrate
    from echome.db.session import transaction
    from echome.logs import configure_logging

    settings = state.settings()
    configure_logging(level=state.log_level or "WARNING", fmt=state.log_format or settings.log_format)
    with tempfile.TemporaryDirectory(prefix="echome-eval-") as tmp:
        local = settings.model_copy(
            update={
                "data_dir": Path(tmp),
                "database_url": None,
                "redis_url": None,
                "storage_backend": "local",
            }
        )
        services = build_services(local)
        try:
            migrate.upgrade(services.engine)
            with transaction(services.sessions) as s:
                user_id = create_user(s, email="eval@localhost", password="throwaway-eval").id
            yield services, user_id
        finally:
            services.close()


@eval_app.command("retrieval")
def eval_retrieval(
    folder: Path,
    limit: int = typer.Option(None, "--limit", help="Only the first N questions"),
    no_baseline: bool = typer.Option(False, "--no-baseline"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Score retrieval on a product-QA folder, with the LangChain-style baseline beside it."""
    from echome.knowledge.evalrun import run_retrieval_eval

    with throwaway_seller() as (services, user_id):
        try:
            result = run_retrieval_eval(
                folder,
                user_id=user_id,
                sessions=services.sessions,
                embedder=services.embedder,
                store=services.vectors,
                retriever=services.retriever,
                limit=limit,
                baseline=not no_baseline,
                say=lambda m: console.print(f"[dim]{m}[/dim]"),
            )
        except FileNotFoundError as exc:
            fail(str(exc))
    if as_json:
        print_json(result)
        return
    for form, metrics in result["metrics"].items():
        row = "  ".join(
            f"{m} {v['value']:.3f}" + (f" (base {v['baseline']:.3f})" if v["baseline"] is not None else "")
            for m, v in metrics.items()
        )
        out.print(f"[bold]{form:>6}[/bold]  {row}")


@eval_app.command("answers")
def eval_answers(
    catalog: Path = typer.Argument(None, help="A catalog file (CSV, TSV, XLSX, PDF, TXT)"),
    questions: Path = typer.Argument(None, help="Its questions (JSON lines)"),
    folder: Path = typer.Option(
        None, "--all", help="Every NAME.questions.jsonl in this folder with its catalog NAME.*"
    ),
    as_json: bool = typer.Option(False, "--json"),
    details: bool = typer.Option(False, "--details", help="Every answer, not only the failures"),
) -> None:
    """Score answers: facts stated, invented numbers, off-catalog questions declined."""
    pairs = _pairs(folder) if folder is not None else [(catalog, questions)]
    if not pairs or any(c is None or q is None for c, q in pairs):
        fail("give CATALOG QUESTIONS, or --all FOLDER")
    results = []
    for cat, qs in pairs:
        if not cat.is_file() or not qs.is_file():
            fail(f"no such file: {cat if not cat.is_file() else qs}")
        results.append(_answer_eval(cat, qs))
    if as_json:
        print_json(results if folder is not None else results[0])
        return
    for r in results:
        out.print(
            f"[bold]{r['catalog']}[/bold]  facts {r['fact_correct']}/{r['fact_questions']}  "
            f"off-catalog declined {r['offcatalog_declined']}/{r['offcatalog_questions']}  "
            f"answers with invented numbers {r['answers_with_invented_numbers']}  "
            f"[dim]{r['products']} products, p50 {r['answer_p50_ms']} ms[/dim]"
        )
        for a in r["answers"]:
            if details or not a["correct"]:
                why = "; ".join(
                    [f"missing {'/'.join(g)}" for g in a["missing"]]
                    + [f"invented {', '.join(a['invented'])}"] * bool(a["invented"])
                    + ["not declined"] * (a["offcatalog"] and not a["declined"])
                )
                out.print(f"  {'ok ' if a['correct'] else 'NO '} {a['question']}  [dim]{why}[/dim]")
                out.print(f"      {a['answer'][:300]}")


_CATALOG_SUFFIXES = (".csv", ".tsv", ".xlsx", ".xlsm", ".xml")


def parsed_catalogs(paths: list[Path]) -> dict[Path, Any]:
    """Every catalog file (CSV, TSV, XLSX, XML) in `paths` (files, or folders of them) parsed; one that
    does not parse is named and left out. Fails when there is none."""
    from echome.knowledge.parse import parse_catalog
    from echome.knowledge.records import ParseError

    files = [
        f
        for p in paths
        for f in (sorted(p.iterdir()) if p.is_dir() else [p])
        if f.is_file() and f.suffix.lower() in _CATALOG_SUFFIXES
    ]
    if not files:
        fail("no catalog files (CSV, TSV, XLSX, XML) in the paths given")
    parsed = {}
    for f in files:
        try:
            parsed[f] = parse_catalog(f.read_bytes(), f.name)
        except ParseError as exc:
            console.print(f"[yellow]{f.name}: {exc}[/yellow]")
    return parsed


@eval_app.command("records")
def eval_records(
    paths: list[Path] = typer.Argument(..., help="Catalog files, or folders of them"),
    sample: int = typer.Option(40, help="Products asked about per catalog"),
    seed: int = typer.Option(7),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Score answers on questions generated from each catalog's own records (price, stock, options,
    by full and shortened name), its own products asked for by name, and the other catalogs'
    products, which it must decline. For catalogs that come without question files."""
    from echome.answer.record_questions import foreign_questions, own_name_questions, record_questions

    parsed = {f: c.products for f, c in parsed_catalogs(paths).items()}
    results = []
    for f, products in parsed.items():
        others = [p for g, ps in parsed.items() if g != f for p in ps]
        qs = [
            *record_questions(products, sample=sample, seed=seed),
            *own_name_questions(products, sample=max(sample // 2, 1), seed=seed),
            *foreign_questions(products, others, sample=max(sample // 2, 1), seed=seed),
        ]
        results.append(_answer_eval(f, qs))
    if as_json:
        print_json(results)
        return
    for r in results:
        kinds = "  ".join(f"{k} {v['correct']}/{v['questions']}" for k, v in r.get("by_kind", {}).items())
        out.print(f"[bold]{r['catalog']}[/bold]  {kinds}  [dim]{r['products']} products[/dim]")


def _pairs(folder: Path) -> list[tuple[Path, Path]]:
    out = []
    for qs in sorted(folder.glob("*.questions.jsonl")):
        stem = qs.name.removesuffix(".questions.jsonl")
        cats = [p for p in folder.glob(f"{stem}.*") if p != qs and not p.name.endswith(".jsonl")]
        if cats:
            out.append((cats[0], qs))
    return out


def _answer_eval(catalog: Path, questions: Path | list[Any]) -> dict[str, Any]:
    from echome.answer.quality import run_answer_eval
    from echome.db.models import Persona
    from echome.db.session import transaction
    from echome.knowledge.index import ingest_catalog
    from echome.knowledge.parse import parse_catalog

    with throwaway_seller() as (services, user_id):
        with transaction(services.sessions) as db:
            persona = Persona(user_id=user_id, name="Sam")
            db.add(persona)
            db.flush()
            persona_id = persona.id

        def ingest(data: bytes, name: str) -> dict[str, Any]:
            parsed = parse_catalog(data, name)
            report = ingest_catalog(
                parsed,
                user_id=user_id,
                persona_id=None,
                sessions=services.sessions,
                embedder=services.embedder,
                store=services.vectors,
            )
            services.retriever.keywords.invalidate(user_id)
            return report.as_dict()

        def ask(question: str, client: str) -> Any:
            return services.answerer.answer(
                user_id=user_id, persona_id=persona_id, question=question, channel="eval", client_ref=client
            )

        return run_answer_eval(
            catalog, questions, ingest=ingest, ask=ask, say=lambda m: console.print(f"[dim]{m}[/dim]")
        )


@eval_app.command("transcripts")
def eval_transcripts(
    folders: list[Path] = typer.Argument(..., help="Folders of recordings, each NAME.wav with NAME.txt"),
    model: str = typer.Option("base", "--model", help="Local Whisper model: tiny.en or base"),
    beam: int = typer.Option(1, "--beam", min=1, max=10, help="Beam size (1 = greedy)"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Clean vs verbatim transcription: fillers in the reference and the transcript, fillers invented,
    word error rate, per file and per folder."""
    from echome.providers.registry import make_stt
    from echome.speech.transcript_eval import recordings, run_transcript_eval

    for f in folders:
        if not f.is_dir() or not recordings(f):
            fail(f"{f}: no recordings with a reference transcript (NAME.wav + NAME.txt)")
    cache = state.settings().effective_models_dir
    report = run_transcript_eval(
        folders,
        make_stt=lambda verbatim: make_stt(
            f"local:{model}", cache_dir=cache, beam_size=beam, verbatim=verbatim
        ),
        say=lambda m: console.print(f"[dim]{m}[/dim]"),
    )
    report = {"model": model, "beam_size": beam, **report}
    if as_json:
        print_json(report)
        return
    for s in report["sets"]:
        out.print(f"[bold]{s['folder']}[/bold]  {s['checks']}")
        for mode, t in s["modes"].items():
            out.print(
                f"  {mode:8} fillers {t['transcript_fillers']}/{t['reference_fillers']} "
                f"(invented {t['invented_fillers']})  WER {t['wer']:.1%}"
            )
