"""`echome catalog import`, `echome search`, `echome eval retrieval`."""

from __future__ import annotations

import json
import sys
import threading
import uuid
from pathlib import Path

import typer

from echome.cli.common import acting_user, console, fail, out, print_json, state
from echome.cli.jobs import follow

catalog_app = typer.Typer(help="Product catalogs.", no_args_is_help=True)
UserOpt = typer.Option(None, "--user", help="Act for this seller (default: the local owner)")


@catalog_app.command("import")
def catalog_import(
    path: Path = typer.Argument(..., exists=False),
    persona: str = typer.Option(None, "--persona", help="Attach the products to this persona (name or id)"),
    user: str = UserOpt,
    as_json: bool = typer.Option(False, "--json", help="Print the finished job as JSON"),
    no_wait: bool = typer.Option(False, "--no-wait", help="Queue the import and return its job id"),
) -> None:
    """Import a catalog file (CSV, XLSX, PDF, TXT, Markdown) as an ingestion job."""
    from echome.app.routes.products import ALLOWED, safe_filename

    if not path.is_file():
        fail(f"no such file: {path}")
    name = safe_filename(path.name)
    if not name.lower().endswith(ALLOWED):
        fail(f"unsupported file type; use one of: {', '.join(ALLOWED)}")
    from echome.cli.persona import resolve

    services = state.services()
    acting = acting_user(services, user)
    persona_id = resolve(services, acting, persona).id if persona else None  # a name or an id
    key = services.storage.put("uploads", acting.id, f"{uuid.uuid4().hex[:12]}-{name}", path.read_bytes())
    job_id = services.submit_job(
        user_id=acting.id,
        kind="catalog.import",
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
        console.print(
            f"[green]imported[/green] {r.get('products')} products ({r.get('created')} new, "
            f"{r.get('updated')} updated), {r.get('chunks')} chunks from {r.get('source')}"
        )
        for w in r.get("warnings", [])[:10]:
            console.print(f"[yellow]warning:[/yellow] {w}")
    if job["status"] != "completed":
        if not as_json:
            console.print(f"[red]import {job['status']}:[/red] {job.get('error')}")
        raise typer.Exit(1)


@catalog_app.command("list")
def catalog_list(
    user: str = UserOpt, as_json: bool = typer.Option(False, "--json", help="Print JSON")
) -> None:
    """Your catalogs: each imported file, its products and the persona it belongs to."""
    from sqlalchemy import func, select

    from echome.db.models import Persona, Product

    services = state.services()
    acting = acting_user(services, user)
    with services.sessions() as db:
        rows = db.execute(
            select(
                Product.source, Product.persona_id, Persona.name, func.count(), func.max(Product.updated_at)
            )
            .outerjoin(Persona, Persona.id == Product.persona_id)
            .where(Product.user_id == acting.id)
            .group_by(Product.source, Product.persona_id, Persona.name)
            .order_by(Product.source)
        ).all()
    catalogs = [
        {"source": src, "persona_id": pid, "persona": name, "products": n, "updated_at": str(when)[:19]}
        for src, pid, name, n, when in rows
    ]
    if as_json:
        print_json(catalogs)
        return
    if not catalogs:
        console.print("no catalogs yet: `echome catalog import FILE`")
    for c in catalogs:
        who = f"persona {c['persona']}" if c["persona"] else "every persona"
        out.print(
            f"{c['source']}  [bold]{c['products']}[/bold] products  [dim]{who}, {c['updated_at']}[/dim]"
        )


@catalog_app.command("delete")
def catalog_delete(
    source: str = typer.Argument(..., help="The catalog's file name, as `echome catalog list` shows it"),
    user: str = UserOpt,
    yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask for confirmation"),
) -> None:
    """Delete a catalog: every product imported from SOURCE, with its search entries."""
    from sqlalchemy import select

    from echome.db.models import Product
    from echome.knowledge.index import delete_products

    services = state.services()
    acting = acting_user(services, user)
    with services.sessions() as db:
        ids = list(
            db.scalars(select(Product.id).where(Product.user_id == acting.id, Product.source == source))
        )
    if not ids:
        fail(f"no catalog {source!r} (see `echome catalog list`)")
    if not yes and not typer.confirm(f"Delete {len(ids)} products imported from {source}?", err=True):
        raise typer.Exit(1)
    n = delete_products(
        user_id=acting.id, product_ids=ids, sessions=services.sessions, store=services.vectors
    )
    services.retriever.keywords.invalidate(acting.id)
    console.print(f"[green]deleted[/green] {n} products from {source}")


def search(
    query: str = typer.Argument(None, help="What to look for"),
    queries: Path = typer.Option(None, "--queries", help="JSONL file of {id, query[, sku]} lines"),
    top_k: int = typer.Option(5, "--top-k", min=1, max=100),
    sku: str = typer.Option(None, "--sku", help="Only this product"),
    persona: str = typer.Option(None, "--persona", help="Only this persona's products"),
    user: str = UserOpt,
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Search the catalog (hybrid dense + keyword, reranked), one query or a batch file."""
    if (query is None) == (queries is None):
        fail("give a QUERY or --queries FILE")
    services = state.services()
    acting = acting_user(services, user)
    retriever = services.retriever

    def run(q: str, scope: str | None) -> list[dict]:
        results, _ = retriever.search(user_id=acting.id, query=q, top_k=top_k, sku=scope, persona_id=persona)
        return [{k: v for k, v in r.as_dict().items() if k != "chunk_id"} for r in results]

    if queries is not None:
        if not queries.is_file():
            fail(f"no such file: {queries}")
        with queries.open(encoding="utf-8") as fh:
            for n, line in enumerate(fh, start=1):
                if not line.strip():
                    continue
                try:
                    item = json.loads(line)
                    q = str(item["query"])
                except (ValueError, KeyError, TypeError):
                    console.print(f'[yellow]line {n}: expected {{"id", "query"}}; skipped[/yellow]')
                    continue
                sys.stdout.write(
                    json.dumps(
                        {"id": item.get("id"), "results": run(q, item.get("sku") or sku)}, ensure_ascii=False
                    )
                    + "\n"
                )
        return
    results = run(query, sku)
    if as_json:
        print_json({"query": query, "results": results})
        return
    for i, r in enumerate(results, start=1):
        where = f"{r['source']}" + (f" p.{r['page']}" if r["page"] else "")
        out.print(f"[bold]{i}. {r['name']}[/bold] [dim]{r['sku'] or ''} {where} score {r['score']}[/dim]")
        out.print(f"   {r['text'][:300]}")
