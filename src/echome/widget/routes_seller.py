"""`/api/personas/{persona_id}/widget`: the seller's web chat settings (slug, allowed sites) and the
code to put on their site. Signed in, the seller's own personas only."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field

from echome.app.deps import CurrentUser, DbSession
from echome.app.errors import ApiError, error_docs
from echome.app.routes.personas import get_persona
from echome.widget.context import WidgetContext
from echome.widget.origins import MAX_ORIGINS, OriginError
from echome.widget.personas import SlugError, set_origins, set_slug, widget_settings

router = APIRouter(prefix="/api/personas", tags=["web chat"])


def _widget(request: Request) -> WidgetContext:
    return request.app.state.widget  # type: ignore[no-any-return]


WidgetDep = Annotated[WidgetContext, Depends(_widget)]


class WidgetSettingsOut(BaseModel):
    persona_id: str
    slug: str = Field(description="Names the chat in the hosted page's address and in the embed code")
    allowed_origins: list[str] = Field(
        description="Sites (scheme://host[:port]) whose pages may embed the chat"
    )
    script_url: str
    embed_code: str = Field(description="The line to paste into the site's pages")
    hosted_url: str = Field(description="The chat as a page of its own, to share as a link")
    public_url_set: bool = Field(
        description="Whether ECHOME_PUBLIC_URL is set; without it the URLs above are relative to this server"
    )


class WidgetSettingsIn(BaseModel):
    allowed_origins: list[Annotated[str, Field(max_length=300)]] | None = Field(
        default=None,
        max_length=MAX_ORIGINS,
        description='Replaces the list, e.g. ["https://shop.example.com"]',
    )
    slug: str | None = Field(
        default=None, max_length=60, description="3-60 lower-case letters, digits, hyphens"
    )


def _out(db: DbSession, user_id: str, persona_id: str, ctx: WidgetContext) -> WidgetSettingsOut:
    persona = get_persona(db, user_id, persona_id)
    pid = persona.id
    db.close()  # the settings are read and written in sessions of their own
    return WidgetSettingsOut(
        **widget_settings(ctx.sessions, user_id=user_id, persona_id=pid, public_url=ctx.public_url)
    )


@router.get(
    "/{persona_id}/widget",
    summary="The persona's web chat: slug, allowed sites and embed code (a slug is made on first look)",
    responses=error_docs(401, 404, 409, 422),
)
def read_widget(persona_id: str, user: CurrentUser, db: DbSession, ctx: WidgetDep) -> WidgetSettingsOut:
    try:
        return _out(db, user.id, persona_id, ctx)
    except SlugError as exc:
        raise ApiError(409, str(exc)) from None


@router.patch(
    "/{persona_id}/widget",
    summary="Set the web chat's allowed sites and/or slug",
    responses=error_docs(400, 401, 404, 409, 413, 422),
)
def update_widget(
    persona_id: str, body: WidgetSettingsIn, user: CurrentUser, db: DbSession, ctx: WidgetDep
) -> WidgetSettingsOut:
    pid = get_persona(db, user.id, persona_id).id
    db.close()
    try:
        if body.allowed_origins is not None:
            set_origins(ctx.sessions, user_id=user.id, persona_id=pid, origins=body.allowed_origins)
        if body.slug is not None:
            set_slug(ctx.sessions, user_id=user.id, persona_id=pid, slug=body.slug)
        return WidgetSettingsOut(
            **widget_settings(ctx.sessions, user_id=user.id, persona_id=pid, public_url=ctx.public_url)
        )
    except OriginError as exc:
        raise ApiError(422, str(exc)) from None
    except SlugError as exc:
        raise ApiError(409 if exc.taken else 422, str(exc)) from None
