"""The signed-in app: choosing and creating personas, and Home (checklist, then dashboard)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from echome.app.browser_auth import SignedIn
from echome.db.models import Persona, PersonaProfile
from echome.web.checklist import persona_checklist
from echome.web.dashboard import dashboard_of
from echome.web.deps import PageDb, Seller, Web, check_form, off_loop, persona_of, personas_of, safe_next
from echome.web.form_once import NONCE_FIELD, form_once
from echome.web.forms import Form, PostedForm, field_errors
from echome.web.jobs_view import job_row, running_jobs
from echome.web.shell import persona_url, remembered_persona, render_shell

router = APIRouter(prefix="/app", include_in_schema=False)

MAX_NAME = 200
MAX_DESCRIPTION = 5000


@router.get("")
def app_home(request: Request, seller: Seller, db: PageDb) -> Response:
    persona = remembered_persona(request, personas_of(db, seller.user.id))
    target = persona_url(persona) if persona is not None else "/app/personas/new"
    return RedirectResponse(target, status_code=303)


@router.get("/personas/new")
def new_persona_page(request: Request, seller: Seller, db: PageDb) -> Response:
    return render_shell(
        request, db, seller, "pages/persona_new.html", persona=None, section="new", values={}, errors={}
    )


@router.post("/personas")
async def create_persona(
    request: Request, seller: Seller, db: PageDb, web: Web, form: PostedForm
) -> Response:
    check_form(request, seller, form.get("csrf_token"))
    async with form_once(
        web.form_receipts, user_id=seller.user.id, form="persona", nonce=form.get(NONCE_FIELD), idle=db.commit
    ) as once:
        if once.earlier is not None:  # sent twice: the persona the first post made
            return RedirectResponse(safe_next(once.earlier.get("location")), status_code=303)
        response = await off_loop(db, lambda: _create_persona(request, seller, db, form))
        if response.status_code == 303:
            once.done({"location": response.headers["location"]})
        return response


def _create_persona(request: Request, seller: SignedIn, db: Session, form: Form) -> Response:
    name, description = form.text("name").strip(), form.text("description").strip()
    personas = personas_of(db, seller.user.id)
    errors = field_errors(
        name=(
            "Give your persona a name, for example your shop's or your own."
            if not name
            else f"Keep the name under {MAX_NAME} characters."
            if len(name) > MAX_NAME
            else f"You already have a persona named “{name}”. Choose another name."
            if any(p.name == name for p in personas)
            else None
        ),
        description=f"Keep the description under {MAX_DESCRIPTION:,} characters."
        if len(description) > MAX_DESCRIPTION
        else None,
    )
    if errors:
        values = {"name": name, "description": description}
        return render_shell(
            request,
            db,
            seller,
            "pages/persona_new.html",
            persona=None,
            section="new",
            status_code=422,
            values=values,
            errors=errors,
        )
    persona = Persona(user_id=seller.user.id, name=name, description=description or None)
    persona.profile = PersonaProfile(user_id=seller.user.id)
    db.add(persona)
    db.commit()
    # A seller's first persona (signed up with Google, or after deleting the last one) starts the
    # guided setup, as a sign-up does; another one opens on its Home.
    target = persona_url(persona, "/setup") if not personas else persona_url(persona) + "?done=created"
    return RedirectResponse(target, status_code=303)


@router.get("/personas/{persona_id}")
def persona_home(persona_id: str, request: Request, seller: Seller, db: PageDb) -> Response:
    persona = persona_of(db, seller.user.id, persona_id)
    checklist = persona_checklist(db, user_id=seller.user.id, persona=persona, base_url=persona_url(persona))
    board = dashboard_of(db, user_id=seller.user.id, persona=persona) if checklist.live else None
    jobs = [] if board else running_jobs(db, user_id=seller.user.id, limit=3)
    names = {p.id: p.name for p in personas_of(db, seller.user.id)} if jobs else {}
    running = [job_row(db, j, names) for j in jobs]
    return render_shell(
        request,
        db,
        seller,
        "pages/home.html",
        persona=persona,
        section="home",
        checklist=checklist,
        board=board,
        running=running,
    )


@router.get("/styleguide")
def styleguide(request: Request, seller: Seller, db: PageDb) -> Response:
    """Every component once, for whoever builds pages (not in the navigation)."""
    return render_shell(request, db, seller, "pages/styleguide.html", persona=None, section="styleguide")
