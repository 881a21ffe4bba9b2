"""`echome persona speakers`: which voice in a recording is the seller's, from the terminal (what the
Persona page's "Which voice is yours" does). A recording with several voices is measured, and its voice
copied, only from the speaker the seller names."""

from __future__ import annotations

from typing import Any

import typer

from echome.cli.common import acting_user, fail, out, print_json, state
from echome.cli.persona import JsonOpt, UserOpt, _run, resolve


def speakers(
    persona: str,
    recording: str = typer.Argument(None, help="The recording (its title or id); none: list them all"),
    speaker: str = typer.Argument(None, help="Its speaker that is you (S1, S2 ...), or 'all'"),
    user: str = UserOpt,
    as_json: bool = JsonOpt,
) -> None:
    """Which speaker in each recording is you: list them, or choose one (re-measures the persona
    and, with consent, rebuilds the voice)."""
    from sqlalchemy import or_, select

    from echome.db.models import PersonaMedia, Transcript
    from echome.persona.service import ALL_SPEAKERS, MediaInputError, choose_speaker

    services = state.services()
    acting = acting_user(services, user)
    p = resolve(services, acting, persona)
    with services.sessions() as db:
        query = (
            select(PersonaMedia, Transcript)
            .join(Transcript, Transcript.media_id == PersonaMedia.id)
            .where(PersonaMedia.persona_id == p.id, PersonaMedia.user_id == acting.id)
            .order_by(PersonaMedia.created_at, PersonaMedia.id)
        )
        if recording is not None:
            query = query.where(or_(PersonaMedia.id == recording, PersonaMedia.title == recording))
        rows = db.execute(query).all()
        if recording is not None and not rows:
            fail(f"no transcribed recording {recording!r} in {p.name} (`echome persona speakers {p.name}`)")
        if recording is not None and len(rows) > 1:
            fail(f"several recordings are titled {recording!r}; use the id")
        if speaker is None:
            listing = [_listing(media, tr) for media, tr in rows]
            if as_json:
                print_json(listing)
            else:
                for item in listing:
                    _show(item)
            return
        media, tr = rows[0]
        try:
            job_id = choose_speaker(
                db, services.submit_job, media=media, transcript=tr, speaker=speaker.strip()
            )
        except MediaInputError as exc:
            fail(str(exc))
    job = _run(services, acting, job_id)
    if as_json:
        print_json(job)
    else:
        said = "every voice" if speaker.strip() == ALL_SPEAKERS else f"speaker {speaker.strip()}"
        out.print(f"{said} of {media.title or media.id} is you: {job['status']}")
        voice = (job.get("result") or {}).get("voice")
        if voice:
            out.print(f"voice: {voice}", soft_wrap=True)
    if job["status"] != "completed":
        raise typer.Exit(1)


def _listing(media: Any, tr: Any) -> dict[str, Any]:
    from echome.persona.service import every_voice_is_seller, speaker_shares

    segments = [s for s in tr.segments or [] if isinstance(s, dict)]
    speakers = []
    for sid, share in speaker_shares(tr):
        said = next((str(g.get("text", "")).strip() for g in segments if g.get("speaker") == sid), "")
        speakers.append({"id": sid, "share": share, "says": said[:120], "chosen": sid == tr.seller_speaker})
    return {
        "recording": media.title or media.id,
        "id": media.id,
        "chosen_by": tr.speaker_chosen_by,
        "all_are_you": every_voice_is_seller(tr),
        "speakers": speakers,
    }


def _show(item: dict[str, Any]) -> None:
    from rich.markup import escape

    who = "you chose" if item["chosen_by"] == "seller" else "guessed"
    out.print(f"[bold]{escape(item['recording'])}[/bold]  ({item['id']}, {who})", soft_wrap=True)
    if item["all_are_you"]:
        out.print("  every voice is taken as yours")
    for s in item["speakers"]:
        share = f"{s['share'] * 100:.0f}%" if s["share"] is not None else "?"
        mark = " <- you" if s["chosen"] else ""
        out.print(f"  {s['id']}  {share:>4}  {escape(s['says'])!r}{mark}", soft_wrap=True)
