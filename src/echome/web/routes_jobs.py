"""The Jobs page: everything the seller started in the background (recordings, voices, catalog
imports), newest first and paged; running ones followed live (server-sent events of each row),
failed ones with the reason and what to do, and a cancel button for the running ones (the same
store call as `POST /api/jobs/{id}/cancel`)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response, StreamingResponse

from echome.app.routes.jobs import follow
from echome.jobs import store
from echome.web.catalog_data import persona_names
from echome.web.deps import PageDb, PageError, Seller, Web, check_form
from echome.web.forms import PostedForm
from echome.web.jobs_view import PAGE_SIZE, job_row, jobs_page, seller_job
from echome.web.render import ENV
from echome.web.shell import render_shell

router = APIRouter(prefix="/app/jobs", include_in_schema=False)

EVENT_INTERVAL = 0.5
NOTICES = {
    "cancelled": "Asked to stop. A job that already started stops at its next step.",
    "finished": "That job had already finished, so there was nothing to stop.",
}


def _not_found() -> PageError:
    return PageError(404, "Job not found", "There is no job with this address among yours.")


def _page_number(request: Request) -> int:
    raw = request.query_params.get("page", "1")
    return max(1, min(10_000, int(raw))) if raw.isdigit() else 1


@router.get("")
def jobs_list(request: Request, seller: Seller, db: PageDb) -> Response:
    page = _page_number(request)
    jobs, total = jobs_page(db, user_id=seller.user.id, page=page)
    names = persona_names(db, seller.user.id)
    pages = max(1, -(-total // PAGE_SIZE))
    return render_shell(
        request,
        db,
        seller,
        "pages/jobs.html",
        persona=None,
        section="jobs",
        rows=[job_row(db, j, names) for j in jobs],
        total=total,
        page=page,
        pages=pages,
        first=(page - 1) * PAGE_SIZE + 1,
        last=min(total, page * PAGE_SIZE),
        notice=NOTICES.get(request.query_params.get("done", "")),
    )


@router.post("/{job_id}/cancel")
def cancel(job_id: str, request: Request, seller: Seller, db: PageDb, form: PostedForm) -> Response:
    check_form(request, seller, form.get("csrf_token"))
    if seller_job(db, user_id=seller.user.id, job_id=job_id) is None:
        raise _not_found()
    try:
        store.request_cancel(db, user_id=seller.user.id, job_id=job_id)
    except store.JobStateError:  # finished meanwhile, or a second click: nothing to do twice
        db.rollback()
        return RedirectResponse(f"/app/jobs?done=finished#job-{job_id}", status_code=303)
    db.commit()
    return RedirectResponse(f"/app/jobs?done=cancelled#job-{job_id}", status_code=303)


def _sse(event: str, html: str) -> str:
    lines = [line for line in html.splitlines() if line.strip()] or [""]
    return f"event: {event}\n" + "".join(f"data: {line}\n" for line in lines) + "\n"


@router.get("/{job_id}/events")
def job_events(job_id: str, request: Request, seller: Seller, db: PageDb, web: Web) -> Response:
    """The job's row, sent again whenever it changes (htmx's SSE extension swaps it in)."""
    user_id = seller.user.id
    if seller_job(db, user_id=user_id, job_id=job_id) is None:
        raise _not_found()
    csrf = seller.csrf
    db.close()  # each look uses its own short session (SQLite's write lock is not held)
    template = ENV.get_template("partials/job_row_body.html")

    def look() -> Any:
        with web.sessions() as s:
            job = seller_job(s, user_id=user_id, job_id=job_id)
            return job_row(s, job, persona_names(s, user_id)) if job is not None else None

    async def stream() -> AsyncIterator[str]:
        async for row in follow(
            look,
            request,
            interval=EVENT_INTERVAL,
            key=lambda r: r.key if r is not None else "gone",
            done=lambda r: r is None or r.finished,
        ):
            if row is None:
                yield ": keep-alive\n\n"
                continue
            html = template.render(job=row, csrf=csrf)
            yield _sse("end" if row.finished else "progress", html)

    return StreamingResponse(
        stream(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
