"""The pages before sign-in: landing with sign in / sign up, and sign out."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from echome.accounts import sessions, users
from echome.app.browser_auth import (
    CsrfRefused,
    check_pre_session,
    end_session_cookie,
    pre_session_token,
    signed_in,
    start_session,
)
from echome.db.models import Persona, PersonaProfile, User
from echome.web.deps import PageDb, Web, check_form, off_loop, safe_next
from echome.web.forms import Form, PostedForm, field_errors, read_form
from echome.web.render import render

router = APIRouter(include_in_schema=False)

NOTICES = {
    "expired": "Your session has ended. Please sign in again.",
    "signed_out": "You are signed out.",
    "everywhere": "You are signed out on every device.",
    "deleted": "Your account was deleted, with everything in it.",
    "voices_left": "Your account was deleted, with everything in it here. Its cloned voices could not be "
    "deleted at ElevenLabs: delete them under Voices in your ElevenLabs account.",
}
EXPIRED_FORM = "This form had expired, so nothing was sent. Please try again."


def _client_key(request: Request) -> str:
    return f"ip:{request.client.host if request.client else 'unknown'}"


def _notice(request: Request) -> str | None:
    q = request.query_params
    if q.get("expired"):
        return NOTICES["expired"]
    if q.get("signed_out") == "everywhere":
        return NOTICES["everywhere"]
    if q.get("signed_out"):
        return NOTICES["signed_out"]
    if q.get("account") == "deleted":
        return NOTICES["voices_left" if q.get("voices") == "left" else "deleted"]
    return None


def _auth_page(
    request: Request,
    web: Web,
    *,
    mode: str,
    next_url: str,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    form_error: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    return render(
        request,
        "pages/landing.html",
        status_code=status_code,
        mode=mode,
        next_url=next_url,
        values=values or {},
        errors=errors or {},
        form_error=form_error,
        notice=_notice(request) if status_code == 200 else None,
        pre_csrf=pre_session_token(request),
        google_enabled=web.google_enabled,
        allow_signup=web.allow_signup,
    )


def _already_in(request: Request, db: PageDb) -> Response | None:
    if signed_in(request, db) is not None:
        return RedirectResponse(safe_next(request.query_params.get("next")), status_code=303)
    return None


@router.get("/")
@router.get("/signin")
def signin_page(request: Request, db: PageDb, web: Web) -> Response:
    return _already_in(request, db) or _auth_page(
        request, web, mode="signin", next_url=safe_next(request.query_params.get("next"))
    )


@router.get("/signup")
def signup_page(request: Request, db: PageDb, web: Web) -> Response:
    return _already_in(request, db) or _auth_page(
        request, web, mode="signup", next_url=safe_next(request.query_params.get("next"))
    )


def _limited(web: Web, request: Request) -> bool:
    if web.ip_limit_per_minute <= 0:
        return False
    return not web.ratelimiter.hit(_client_key(request), limit=web.ip_limit_per_minute).allowed


# Sign-in and sign-up hash a password (~0.5 s of CPU by design) and wait for the database: both on
# a worker thread (`off_loop`), so the server goes on answering everyone else meanwhile.
@router.post("/signin")
async def signin(request: Request, db: PageDb, web: Web) -> Response:
    form = await read_form(request)
    return await off_loop(db, lambda: _signin(request, db, web, form))


def _signin(request: Request, db: PageDb, web: Web, form: Form) -> Response:
    email, password = form.text("email", limit=320).strip(), form.text("password", limit=1024)
    page: dict[str, Any] = {
        "mode": "signin",
        "next_url": safe_next(form.get("next")),
        "values": {"email": email},
    }
    try:
        check_pre_session(request, form.get("csrf_token"))
    except CsrfRefused:
        return _auth_page(request, web, **page, form_error=EXPIRED_FORM, status_code=403)
    errors = field_errors(
        email=None if email else "Enter the email address of your account.",
        password=None if password else "Enter your password.",
    )
    if errors:
        return _auth_page(request, web, **page, errors=errors, status_code=422)
    if _limited(web, request):
        return _auth_page(
            request, web, **page, form_error="Too many requests. Wait a minute.", status_code=429
        )
    attempt = web.ratelimiter.hit(f"login:{users.identity_key(email)}", limit=web.login_attempts_per_minute)
    if not attempt.allowed:
        message = f"Too many sign-in attempts for this account. Try again in {attempt.retry_after} s."
        return _auth_page(request, web, **page, form_error=message, status_code=429)
    user = users.authenticate(db, email=email, password=password)
    if user is None:
        wrong = {"password": "Wrong email or password. Check both and try again."}
        return _auth_page(request, web, **page, errors=wrong, status_code=401)
    db.commit()
    response = RedirectResponse(page["next_url"], status_code=303)
    start_session(request, response, db, user)
    return response


def _signup_errors(form: Form) -> dict[str, str]:
    password = form.text("password", limit=1024)
    return field_errors(
        display_name="Keep your name under 200 characters." if len(form.text("display_name")) > 200 else None,
        email=None if form.text("email").strip() else "Enter your email address.",
        password=(
            f"Use at least {users.MIN_PASSWORD} characters."
            if len(password) < users.MIN_PASSWORD
            else "Use at most 1024 characters."
            if len(form.get("password", "")) > 1024
            else None
        ),
    )


@router.post("/signup")
async def signup(request: Request, db: PageDb, web: Web) -> Response:
    form = await read_form(request)
    return await off_loop(db, lambda: _signup(request, db, web, form))


def _signup(request: Request, db: PageDb, web: Web, form: Form) -> Response:
    values = {
        "email": form.text("email", limit=320).strip(),
        "display_name": form.text("display_name").strip(),
    }
    page: dict[str, Any] = {"mode": "signup", "next_url": safe_next(form.get("next")), "values": values}
    try:
        check_pre_session(request, form.get("csrf_token"))
    except CsrfRefused:
        return _auth_page(request, web, **page, form_error=EXPIRED_FORM, status_code=403)
    if not web.allow_signup:
        closed = "Sign-up is closed on this server. Ask its owner for an account."
        return _auth_page(request, web, **page, form_error=closed, status_code=403)
    if _limited(web, request):
        return _auth_page(
            request, web, **page, form_error="Too many requests. Wait a minute.", status_code=429
        )
    errors = _signup_errors(form)
    if errors:
        return _auth_page(request, web, **page, errors=errors, status_code=422)
    try:
        user = users.create_user(
            db,
            email=values["email"],
            password=form.text("password", limit=1024),
            display_name=values["display_name"][:200] or None,
        )
    except users.Conflict:
        taken = {"email": "An account with this email already exists. Sign in instead."}
        return _auth_page(request, web, **page, errors=taken, status_code=409)
    except users.AccountError as exc:
        field = "password" if "password" in str(exc) else "email"
        message = str(exc)
        if field == "email":
            message = "This is not a valid email address. " + message.removeprefix("invalid email address: ")
        return _auth_page(request, web, **page, errors={field: message}, status_code=422)
    persona = _first_persona(user)
    db.add(persona)
    db.commit()
    # A new seller starts the guided setup (it opens at its first step); a sign-up that was sent
    # here from another page (`next`) goes back there.
    target = f"/app/personas/{persona.id}/setup" if page["next_url"] == "/app" else page["next_url"]
    response = RedirectResponse(target, status_code=303)
    start_session(request, response, db, user)
    return response


def _first_persona(user: User) -> Persona:
    """A new seller starts with one persona, named after them (the persona speaks as them), so
    sign-up lands on its guided setup; more can be made from the navigation."""
    name = user.display_name or user.email.split("@", 1)[0]
    persona = Persona(user_id=user.id, name=name[:200])
    persona.profile = PersonaProfile(user_id=user.id)
    return persona


@router.post("/signout")
def signout(request: Request, db: PageDb, form: PostedForm) -> Response:
    browser = signed_in(request, db)
    response = RedirectResponse("/?signed_out=1", status_code=303)
    if browser is not None:
        check_form(request, browser, form.get("csrf_token"))
        sessions.revoke_session(db, browser.session)
        db.commit()
    end_session_cookie(request, response)
    return response
