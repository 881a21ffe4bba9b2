"""Reading form posts defensively: text fields only, bounded, no NUL characters."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from starlette.datastructures import UploadFile

from echome.web.deps import PageError

MAX_FIELDS = 50
MAX_VALUE = 20_000


class Form(dict[str, str]):
    """A posted form's text fields (the first value of each name)."""

    def text(self, name: str, *, limit: int = MAX_VALUE) -> str:
        return self.get(name, "")[:limit]


async def read_form(request: Request) -> Form:
    try:
        data = await request.form(max_files=0, max_fields=MAX_FIELDS)
    except Exception:  # a malformed or oversized multipart body: python-multipart's many errors
        raise PageError(
            400, "The form could not be read", "Your browser sent a form we could not read. Please try again."
        ) from None
    form = Form()
    for name, value in data.multi_items():
        if isinstance(value, UploadFile) or name in form:
            continue
        # PostgreSQL cannot store NUL in text; nothing a person types contains one.
        form[name] = value.replace("\x00", "")[:MAX_VALUE]
    return form


# The posted form as a dependency: read on the event loop (it waits for the browser), so the route
# itself can be a plain `def` and do its database work on a worker thread (web/deps.py: never on
# the loop). List it after `Seller`, so a signed-out browser is sent to sign in first.
PostedForm = Annotated[Form, Depends(read_form)]


def field_errors(**errors: str | None) -> dict[str, str]:
    return {name: message for name, message in errors.items() if message}
