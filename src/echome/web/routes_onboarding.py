"""The guided setup: one page per step (recordings with consent → their live progress and the voice →
the persona to review → the catalog → a test question → a channel), with a stepper showing where the
seller is. Every step embeds the form of the page that owns it and posts to that page's route with
`next=` back here, so nothing is done twice in code; where each step stands is read from the data
(`onboarding.setup_of`), so skipping a step and coming back later just works."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from echome.answer.pipeline import MAX_QUESTION_CHARS
from echome.knowledge.uploads import ALLOWED
from echome.persona.service import DEFAULT_CONSENT, MEDIA_EXTENSIONS, size_label
from echome.web import catalog_data
from echome.web.catalog_jobs import running_imports
from echome.web.deps import PageDb, PageError, Seller, persona_of, web_context
from echome.web.onboarding import STEP_KEYS, persona_summary, setup_of
from echome.web.persona_media import job_panel, media_row, persona_jobs, persona_media
from echome.web.routes_chat import _thread, _views
from echome.web.routes_persona import persona_tools
from echome.web.shell import persona_url, render_shell

router = APIRouter(prefix="/app/personas/{persona_id}/setup", include_in_schema=False)

SHOWN_MESSAGES = 4  # the test step shows the last question and answer or two


@router.get("")
def setup_start(persona_id: str, seller: Seller, db: PageDb) -> Response:
    """Where the seller left off: the first step not done (Home once everything is)."""
    persona = persona_of(db, seller.user.id, persona_id)
    setup = setup_of(db, user_id=seller.user.id, persona=persona, base_url=persona_url(persona))
    step = setup.first_open
    target = persona_url(persona, f"/setup/{step.key}") if step else persona_url(persona)
    return RedirectResponse(target, status_code=303)


def _recordings_context(request: Request, db: PageDb, seller: Any, persona: Any) -> dict[str, Any]:
    intake = persona_tools(web_context(request)).media_intake
    return {
        "consent_text": DEFAULT_CONSENT,
        "max_upload_bytes": intake.max_upload_bytes,
        "max_upload_label": size_label(intake.max_upload_bytes),
        "accept": ",".join(("audio/*", "video/*", *MEDIA_EXTENSIONS)),
        "values": {},
        "errors": {},
    }


def _listening_context(db: PageDb, seller: Any, persona: Any) -> dict[str, Any]:
    uid = seller.user.id
    media = persona_media(db, user_id=uid, persona_id=persona.id)
    jobs = persona_jobs(db, user_id=uid, persona_id=persona.id)
    return {
        "jobs": [job_panel(db, j) for j in jobs],
        "media": [media_row(persona.id, m) for m in media],
        "ready": sum(1 for m in media if m.status == "ready"),
        "running": any(not j.finished_at for j in jobs),
        "page_key": "setup/listening",
    }


def _catalog_context(db: PageDb, seller: Any, persona: Any) -> dict[str, Any]:
    uid = seller.user.id
    return {
        "running": running_imports(db, user_id=uid),
        "accept": ",".join(ALLOWED),
        "formats": ", ".join(
            e.lstrip(".").upper() for e in ALLOWED if e not in (".xlsm", ".markdown", ".tsv")
        ),
        "errors": {},
        "share": "persona",
        "catalogs": catalog_data.catalogs_of(db, uid)[:5],
    }


def _test_context(db: PageDb, seller: Any, persona: Any) -> dict[str, Any]:
    rows = _thread(db, seller.user.id, persona)
    shown = rows[-SHOWN_MESSAGES:]
    return {
        "messages": _views(db, seller.user.id, persona, shown),
        "after": rows[-1].id if rows else "",
        "values": {"message": "", "voice": False},
        "errors": {},
        "feedback_errors": {},
        "feedback_values": {},
        "max_question": MAX_QUESTION_CHARS,
    }


@router.get("/{step}")
def setup_step(persona_id: str, step: str, request: Request, seller: Seller, db: PageDb) -> Response:
    persona = persona_of(db, seller.user.id, persona_id)
    if step not in STEP_KEYS:
        raise PageError(404, "Step not found", "The guided setup has no step with this address.")
    base = persona_url(persona)
    setup = setup_of(db, user_id=seller.user.id, persona=persona, base_url=base)
    context: dict[str, Any] = {}
    if step == "recordings":
        context = _recordings_context(request, db, seller, persona)
    elif step == "listening":
        context = _listening_context(db, seller, persona)
    elif step == "persona":
        context = {"summary": persona_summary(db, user_id=seller.user.id, persona_id=persona.id)}
    elif step == "catalog":
        context = _catalog_context(db, seller, persona)
    elif step == "test":
        context = _test_context(db, seller, persona)
    current = setup.step(step)
    following = setup.following(step)
    return render_shell(
        request,
        db,
        seller,
        f"pages/onboarding_{step}.html",
        persona=persona,
        section="home",
        setup=setup,
        current=current,
        following=following,
        previous=setup.previous(step),
        next_href=persona_url(persona, f"/setup/{following.key}") if following else base,
        base=base,
        next_url=persona_url(persona, f"/setup/{step}"),
        **context,
    )
