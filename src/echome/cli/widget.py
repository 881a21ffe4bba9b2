"""`echome widget allow|disallow|show|slug`: which sites may embed a persona's web chat, its slug and
the line to paste into the site."""

from __future__ import annotations

from typing import Any

import typer

from echome.cli.common import acting_user, console, fail, out, print_json, state
from echome.cli.persona import JsonOpt, UserOpt, resolve

widget_app = typer.Typer(
    help="A persona's web chat: allowed sites (origins), slug and embed code.", no_args_is_help=True
)


def _persona(persona: str, user: str | None) -> tuple[Any, str, str]:
    services = state.services()
    acting = acting_user(services, user)
    return services, acting.id, resolve(services, acting, persona).id


def _show(services: Any, user_id: str, persona_id: str, as_json: bool) -> None:
    from echome.widget.personas import SlugError, widget_settings

    try:
        data = widget_settings(
            services.sessions, user_id=user_id, persona_id=persona_id, public_url=services.settings.public_url
        )
    except SlugError as exc:
        fail(str(exc))
    if as_json:
        print_json(data)
        return
    origins = ", ".join(data["allowed_origins"]) or "(none: only the hosted page works)"
    out.print(f"slug:            {data['slug']}", highlight=False)
    out.print(f"allowed sites:   {origins}", highlight=False)
    out.print(f"hosted page:     {data['hosted_url']}", highlight=False)
    out.print("embed code:", highlight=False)
    out.print(f"  {data['embed_code']}", highlight=False, markup=False)
    if not data["public_url_set"]:
        console.print("note: set ECHOME_PUBLIC_URL to this server's public address for absolute URLs")


@widget_app.command("allow")
def allow(
    persona: str,
    origin: str = typer.Argument(
        ..., help="The site, as scheme://host[:port], e.g. https://shop.example.com"
    ),
    user: str = UserOpt,
) -> None:
    """Let pages of ORIGIN embed PERSONA's web chat."""
    from echome.widget.origins import OriginError
    from echome.widget.personas import allow_origin

    services, user_id, pid = _persona(persona, user)
    try:
        origins = allow_origin(services.sessions, user_id=user_id, persona_id=pid, origin=origin)
    except OriginError as exc:
        fail(str(exc))
    out.print("allowed sites: " + ", ".join(origins), highlight=False)


@widget_app.command("disallow")
def disallow(persona: str, origin: str, user: str = UserOpt) -> None:
    """Stop pages of ORIGIN from using PERSONA's web chat."""
    from echome.widget.origins import OriginError
    from echome.widget.personas import disallow_origin

    services, user_id, pid = _persona(persona, user)
    try:
        origins, was_allowed = disallow_origin(
            services.sessions, user_id=user_id, persona_id=pid, origin=origin
        )
    except OriginError as exc:
        fail(str(exc))
    if not was_allowed:
        fail(f"{origin} was not allowed for this persona")
    out.print("allowed sites: " + (", ".join(origins) or "(none)"), highlight=False)


@widget_app.command("slug")
def slug(persona: str, value: str = typer.Argument(..., metavar="SLUG"), user: str = UserOpt) -> None:
    """Name PERSONA's hosted chat page /chat/SLUG (and its embed code)."""
    from echome.widget.personas import SlugError, set_slug

    services, user_id, pid = _persona(persona, user)
    try:
        chosen = set_slug(services.sessions, user_id=user_id, persona_id=pid, slug=value)
    except SlugError as exc:
        fail(str(exc))
    out.print(f"slug: {chosen}", highlight=False)


@widget_app.command("show")
def show(persona: str, user: str = UserOpt, as_json: bool = JsonOpt) -> None:
    """PERSONA's slug (made from its name the first time), allowed sites and embed code."""
    services, user_id, pid = _persona(persona, user)
    _show(services, user_id, pid, as_json)
