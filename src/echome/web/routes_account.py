"""The account page: password change, signed-in browsers, sign out everywhere."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from echome.accounts import sessions, users
from echome.app.browser_auth import SignedIn, end_session_cookie
from echome.web.deps import PageDb, Seller, check_form
from echome.web.forms import Form, PostedForm, field_errors
from echome.web.shell import render_shell

router = APIRouter(prefix="/app/account", include_in_schema=False)


def _page(
    request: Request, db: Session, seller: SignedIn, *, status_code: int = 200, **context: Any
) -> Response:
    browsers = sessions.live_sessions(db, user_id=seller.user.id)
    values: dict[str, Any] = {"errors": {}, **context}
    return render_shell(
        request,
        db,
        seller,
        "pages/account.html",
        persona=None,
        section="account",
        status_code=status_code,
        browsers=browsers,
        current_session=seller.session.id,
        **values,
    )


@router.get("")
def account_page(request: Request, seller: Seller, db: PageDb) -> Response:
    return _page(request, db, seller)


def _password_errors(form: Form, has_password: bool) -> dict[str, str]:
    new, confirm = form.get("new_password", ""), form.get("confirm_password", "")
    return field_errors(
        current_password="Enter your current password."
        if has_password and not form.get("current_password")
        else None,
        new_password=(
            f"Use at least {users.MIN_PASSWORD} characters."
            if len(new) < users.MIN_PASSWORD
            else "Use at most 1024 characters."
            if len(new) > 1024
            else None
        ),
        confirm_password="This does not match the new password." if new and confirm != new else None,
    )


@router.post("/password")
def change_password(request: Request, seller: Seller, db: PageDb, form: PostedForm) -> Response:
    check_form(request, seller, form.get("csrf_token"))
    user = seller.user
    errors = _password_errors(form, user.password_hash is not None)
    if not errors:
        try:
            users.change_password(
                user, current=form.get("current_password") or None, new=form["new_password"]
            )
        except users.AccountError as exc:
            field = "current_password" if "current" in str(exc) else "new_password"
            message = str(exc)
            errors = {field: message[:1].upper() + message[1:] + "."}
    if errors:
        db.rollback()
        return _page(request, db, seller, status_code=422, errors=errors)
    sessions.revoke_user_sessions(db, user_id=user.id, keep=seller.session.id)
    db.commit()
    return RedirectResponse("/app/account?done=password", status_code=303)


@router.post("/sign-out-everywhere")
def sign_out_everywhere(request: Request, seller: Seller, db: PageDb, form: PostedForm) -> Response:
    check_form(request, seller, form.get("csrf_token"))
    sessions.revoke_user_sessions(db, user_id=seller.user.id)
    db.commit()
    response = RedirectResponse("/?signed_out=everywhere", status_code=303)
    end_session_cookie(request, response)
    return response
