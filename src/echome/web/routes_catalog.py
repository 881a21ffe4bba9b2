"""The Catalog pages: upload with live import progress and the column mapping, the catalogs with
delete, the products table, a product's facts and chunks, and the search playground."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response, StreamingResponse
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from starlette.datastructures import UploadFile

from echome.app.browser_auth import SignedIn
from echome.app.routes.jobs import follow
from echome.db.models import Persona, Product
from echome.jobs import store
from echome.knowledge.index import delete_products
from echome.knowledge.uploads import ALLOWED, is_catalog_name, safe_filename, submit_catalog_import
from echome.providers.base import ProviderError
from echome.web import catalog_data as data
from echome.web.catalog_jobs import (
    catalog_job,
    import_state,
    job_for_upload,
    recent_imports,
    running_imports,
)
from echome.web.context import CatalogTools
from echome.web.deps import (
    PageDb,
    PageError,
    Seller,
    Web,
    check_form,
    off_loop,
    persona_of,
    safe_next,
    web_context,
)
from echome.web.form_once import NONCE_FIELD, form_once
from echome.web.forms import PostedForm
from echome.web.onboarding import step_next
from echome.web.render import ENV, render
from echome.web.shell import persona_url, render_shell

router = APIRouter(prefix="/app/personas/{persona_id}/catalog", include_in_schema=False)

SEARCH_RESULTS = 10
EVENT_INTERVAL = 0.5  # seconds between looks at a running job


def _tools(request: Request) -> CatalogTools:
    tools = web_context(request).catalog
    if tools is None:
        raise PageError(503, "Catalog unavailable", "This Echo Me was started without its catalog tools.")
    return tools


def _page(
    request: Request,
    db: Session,
    seller: SignedIn,
    persona: Persona,
    template: str,
    *,
    tab: str,
    status_code: int = 200,
    **context: Any,
) -> Response:
    return render_shell(
        request,
        db,
        seller,
        template,
        persona=persona,
        section="catalog",
        status_code=status_code,
        tab=tab,
        base=persona_url(persona, "/catalog"),
        **context,
    )


# -- overview: upload, imports, catalogs ----------------------------------------------------------
def _overview(
    request: Request,
    db: Session,
    seller: SignedIn,
    persona: Persona,
    *,
    status_code: int = 200,
    errors: dict[str, str] | None = None,
    share: str = "persona",
    next_url: str | None = None,
) -> Response:
    user_id = seller.user.id
    scope = data.scope_of(db, user_id, persona.id)
    in_scope = db.scalar(select(func.count()).select_from(Product).where(scope.condition(user_id))) or 0
    return _page(
        request,
        db,
        seller,
        persona,
        "pages/catalog.html",
        tab="overview",
        status_code=status_code,
        catalogs=data.catalogs_of(db, user_id),
        names=data.persona_names(db, user_id),
        running=running_imports(db, user_id=user_id),
        recent=recent_imports(db, user_id=user_id, limit=3),
        in_scope=in_scope,
        scope_text=scope.describe(persona.name),
        errors=errors or {},
        share=share,
        next_url=next_url,
        accept=",".join(ALLOWED),
        formats=", ".join(e.lstrip(".").upper() for e in ALLOWED if e not in (".xlsm", ".markdown", ".tsv")),
    )


@router.get("")
def catalog_page(persona_id: str, request: Request, seller: Seller, db: PageDb) -> Response:
    persona = persona_of(db, seller.user.id, persona_id)
    return _overview(request, db, seller, persona)


async def _read_upload(request: Request) -> Any:
    try:
        return await request.form(max_files=1, max_fields=10)
    except Exception:  # a malformed or oversized multipart body: python-multipart's many errors
        raise PageError(
            400,
            "The upload could not be read",
            "Your browser sent a file we could not read. Please try again.",
        ) from None


@router.post("/upload")
async def upload(persona_id: str, request: Request, seller: Seller, db: PageDb, web: Web) -> Response:
    form = await _read_upload(request)
    token = form.get("csrf_token")
    check_form(request, seller, token if isinstance(token, str) else None)
    persona = await off_loop(db, lambda: persona_of(db, seller.user.id, persona_id))
    nonce = form.get(NONCE_FIELD)
    nonce = nonce[:64] if isinstance(nonce, str) else ""
    async with form_once(
        web.form_receipts, user_id=seller.user.id, form="catalog", nonce=nonce, idle=db.commit
    ) as once:
        if once.earlier is not None:  # the same form sent twice: where the first upload led
            return RedirectResponse(safe_next(once.earlier.get("location")), status_code=303)
        response = await _upload(request, db, seller, persona, form, nonce)
        if response.status_code == 303:
            once.done({"location": response.headers["location"]})
        return response


async def _upload(
    request: Request, db: Session, seller: SignedIn, persona: Persona, form: Any, nonce: str
) -> Response:
    tools = _tools(request)
    share = "all" if form.get("share") == "all" else "persona"
    next_raw = form.get("next")
    next_url = step_next(next_raw if isinstance(next_raw, str) else None, persona_id=persona.id)
    # Sent again after the server forgot the nonce (a restart): the import it started is on record.
    started = await off_loop(db, lambda: job_for_upload(db, user_id=seller.user.id, upload_id=nonce))
    if started:
        return RedirectResponse(
            next_url or persona_url(persona, f"/catalog/imports/{started}"), status_code=303
        )
    file = form.get("file")
    error = None
    content = b""
    name = ""
    if not isinstance(file, UploadFile) or not file.filename:
        error = "Choose your catalog file first."
    else:
        name = safe_filename(file.filename)
        if not is_catalog_name(name):
            error = (
                f"“{file.filename[:80]}” is not a file type Echo Me reads. Upload a CSV or Excel (.xlsx) "
                "export of your products, a PDF catalog, or a text (.txt, .md) list."
            )
        else:
            content = await file.read(tools.max_upload_bytes + 1)
            if len(content) > tools.max_upload_bytes:
                mb = tools.max_upload_bytes // (1024 * 1024)
                error = (
                    f"This file is larger than {mb} MB. Split the catalog into smaller files and "
                    "upload them one by one."
                )
            elif not content.strip():
                error = "This file is empty. Export your products again and upload the new file."
    if isinstance(file, UploadFile):
        await file.close()
    if error:
        errors = {"file": error}
        return await off_loop(
            db,
            lambda: _overview(
                request, db, seller, persona, status_code=422, errors=errors, share=share, next_url=next_url
            ),
        )
    job_id = await asyncio.to_thread(
        submit_catalog_import,
        storage=tools.storage,
        submit_job=tools.submit_job,
        user_id=seller.user.id,
        filename=name,
        data=content,
        persona_id=None if share == "all" else persona.id,
        extra={"upload_id": nonce} if nonce else None,
    )
    return RedirectResponse(next_url or persona_url(persona, f"/catalog/imports/{job_id}"), status_code=303)


# -- one import: progress, then how the columns were understood -----------------------------------
def _import_context(job: Any) -> dict[str, Any]:
    state = import_state(job)
    layout, columns = data.column_meanings(list(state.result.get("columns") or []))
    return {"state": state, "layout": layout, "columns": columns}


@router.get("/imports/{job_id}")
def import_page(persona_id: str, job_id: str, request: Request, seller: Seller, db: PageDb) -> Response:
    persona = persona_of(db, seller.user.id, persona_id)
    job = catalog_job(db, user_id=seller.user.id, job_id=job_id)
    if job is None:
        raise PageError(404, "Import not found", "There is no catalog import with this address among yours.")
    return _page(
        request,
        db,
        seller,
        persona,
        "pages/catalog_import.html",
        tab="overview",
        names=data.persona_names(db, seller.user.id),
        **_import_context(job),
    )


def _sse(event: str, html: str) -> str:
    lines = "\n".join(f"data: {line}" for line in html.splitlines() or [""])
    return f"event: {event}\n{lines}\n\n"


@router.get("/imports/{job_id}/events")
def import_events(
    persona_id: str, job_id: str, request: Request, seller: Seller, db: PageDb, view: str = "full"
) -> Response:
    """Live progress as server-sent events of HTML (htmx's SSE extension swaps them in)."""
    persona = persona_of(db, seller.user.id, persona_id)
    if catalog_job(db, user_id=seller.user.id, job_id=job_id) is None:
        raise PageError(404, "Import not found", "There is no catalog import with this address among yours.")
    user_id, base = seller.user.id, persona_url(persona, "/catalog")
    db.close()  # each look below uses its own short session (SQLite's lock is not held for the stream)
    sessions = web_context(request).sessions
    template = ENV.get_template("partials/catalog_import_status.html")
    compact = view == "compact"

    def look() -> tuple[bool, str]:
        with sessions() as s:
            job = store.get_job(s, user_id=user_id, job_id=job_id)
            context = _import_context(job)
            names = data.persona_names(s, user_id) if not compact else {}
            html = template.render(base=base, compact=compact, live=compact, names=names, **context)
            return context["state"].finished, html

    async def stream() -> AsyncIterator[str]:
        async for seen in follow(
            look, request, interval=EVENT_INTERVAL, key=lambda v: v[1], done=lambda v: v[0]
        ):
            if seen is None:
                yield ": keep-alive\n\n"
                continue
            yield _sse("status", seen[1])
            if seen[0]:
                yield _sse("done", "")

    return StreamingResponse(
        stream(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


# -- products ----------------------------------------------------------------------------------------
@router.get("/products")
def products_page(persona_id: str, request: Request, seller: Seller, db: PageDb) -> Response:
    persona = persona_of(db, seller.user.id, persona_id)
    scope = data.scope_of(db, seller.user.id, persona.id)
    wanted = data.ProductFilter.of(request.query_params)
    page = data.product_page(db, user_id=seller.user.id, scope=scope, wanted=wanted)
    context = {
        "wanted": wanted,
        "results": page,
        "sources": data.catalog_sources(db, user_id=seller.user.id, scope=scope),
        "scope_text": scope.describe(persona.name),
        "stock_filters": data.STOCK_FILTERS,
        "price_filters": data.PRICE_FILTERS,
        "money": data.money,
        "stock_words": data.stock_words,
        "urlencode": urlencode,
    }
    if request.headers.get("hx-target") == "product-results":  # the filter form, swapped in place
        return _fragment(
            request, "partials/catalog_products.html", base=persona_url(persona, "/catalog"), **context
        )
    return _page(request, db, seller, persona, "pages/catalog_products.html", tab="products", **context)


def _fragment(request: Request, template: str, **context: Any) -> Response:
    return render(request, template, **context)


@router.get("/products/{product_id}")
def product_page(persona_id: str, product_id: str, request: Request, seller: Seller, db: PageDb) -> Response:
    persona = persona_of(db, seller.user.id, persona_id)
    product = data.product_of(db, seller.user.id, product_id)
    if product is None:
        raise PageError(404, "Product not found", "There is no product with this address in your catalogs.")
    question = f"What can you tell me about the {product.name}?"
    return _page(
        request,
        db,
        seller,
        persona,
        "pages/catalog_product.html",
        tab="products",
        view=data.product_view(product),
        chunks=data.chunks_of(db, seller.user.id, product.id),
        names=data.persona_names(db, seller.user.id),
        ask_href=persona_url(persona, "/chat?q=" + quote(question[:500])),
    )


# -- search playground ----------------------------------------------------------------------------------
@router.get("/search")
def search_page(persona_id: str, request: Request, seller: Seller, db: PageDb) -> Response:
    persona = persona_of(db, seller.user.id, persona_id)
    query = " ".join(request.query_params.get("q", "").split())[:500]
    scope = data.scope_of(db, seller.user.id, persona.id)
    in_scope = (
        db.scalar(select(func.count()).select_from(Product).where(scope.condition(seller.user.id))) or 0
    )
    results: list[Any] = []
    error = None
    if query and in_scope:
        db.commit()  # search reads in sessions of its own: SQLite's write lock is not held meanwhile
        try:
            results, _ = (
                _tools(request)
                .retriever()
                .search(user_id=seller.user.id, query=query, top_k=SEARCH_RESULTS, where=scope.search_filter)
            )
        except ProviderError:
            error = "Search is not available right now. Wait a minute and try again."
    return _page(
        request,
        db,
        seller,
        persona,
        "pages/catalog_search.html",
        tab="search",
        query=query,
        results=results,
        error=error,
        in_scope=in_scope,
        scope_text=scope.describe(persona.name),
    )


# -- deleting a catalog -----------------------------------------------------------------------------------
def _catalog_named(db: Session, user_id: str, source: str) -> data.CatalogSummary | None:
    return next((c for c in data.catalogs_of(db, user_id) if c.source == source), None) if source else None


@router.get("/delete")
def confirm_delete(
    persona_id: str, request: Request, seller: Seller, db: PageDb, source: str = ""
) -> Response:
    persona = persona_of(db, seller.user.id, persona_id)
    catalog = _catalog_named(db, seller.user.id, source[:500])
    if catalog is None:
        raise PageError(404, "Catalog not found", "There is no catalog with this name among yours.")
    return _page(
        request,
        db,
        seller,
        persona,
        "pages/catalog_delete.html",
        tab="overview",
        catalog=catalog,
        names=data.persona_names(db, seller.user.id),
    )


@router.post("/delete")
def delete_catalog(
    persona_id: str, request: Request, seller: Seller, db: PageDb, form: PostedForm
) -> Response:
    check_form(request, seller, form.get("csrf_token"))
    persona = persona_of(db, seller.user.id, persona_id)
    tools = _tools(request)
    source = form.text("source", limit=500)
    user_id = seller.user.id
    ids = (
        list(db.scalars(select(Product.id).where(Product.user_id == user_id, Product.source == source)))
        if source
        else []
    )
    back = persona_url(persona, "/catalog")
    if not ids:  # already deleted (a second click, another tab): nothing to do twice
        return RedirectResponse(back + "?done=catalog-gone", status_code=303)
    db.close()
    sessions = web_context(request).sessions

    delete_products(user_id=user_id, product_ids=ids, sessions=sessions, store=tools.vectors())
    tools.retriever().keywords.invalidate(user_id)
    return RedirectResponse(back + "?done=catalog-deleted", status_code=303)
