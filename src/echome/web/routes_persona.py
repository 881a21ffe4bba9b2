"""The Persona page: each trait as measured, the quotes it came from (playable at their moment in
the recording), the seller's own value beside it; edits checked by the profile schema, a stale edit
shown as a conflict, versions with their changes and restore; which speaker in a recording is you.
Also the tenant-checked audio of a moment of a recording (quotes, speaker samples, the Voice page)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from echome.answer.prompt import persona_prompt
from echome.app.browser_auth import SignedIn
from echome.app.deps import MAX_VERSION
from echome.db.models import Persona, PersonaMedia, PersonaProfile, Transcript
from echome.media.audio import AudioError, encode, load_span
from echome.persona import profile as profiles
from echome.persona.service import ALL_SPEAKERS, MediaInputError, choose_speaker
from echome.web import persona_traits as traits
from echome.web.context import PersonaTools
from echome.web.deps import PageDb, PageError, Seller, Web, check_form, persona_of
from echome.web.forms import Form, PostedForm
from echome.web.persona_media import (
    MAX_CLIP_SECONDS,
    clip_url,
    job_panel,
    persona_jobs,
    speaker_choices,
)
from echome.web.shell import persona_url, render_shell

router = APIRouter(prefix="/app/personas/{persona_id}", include_in_schema=False)

CLIP_RATE = 24_000
CLIP_PAD = 0.2  # seconds around a quote: its first and last words are not cut
VERSIONS_SHOWN = 20


def persona_tools(web: Web) -> PersonaTools:
    if web.persona is None:  # an app built without them (a test of other pages)
        raise PageError(503, "Not available", "Recordings and voices are not available on this server.")
    return web.persona


Tools = Annotated[PersonaTools, Depends(persona_tools)]
NOTICES = {
    "saved": "Saved. Your persona now uses your value.",
    "reset": "Done. Your persona uses the measured value again.",
    "restored": "Version restored. It is saved as the newest version, so nothing was lost.",
    "speaker": "Thanks. Your persona is being measured again from that speaker's speech.",
}


def _profile(db: Session, persona: Persona) -> PersonaProfile:
    profile = profiles.load_profile(db, persona)
    db.commit()
    return profile


def _trait_rows(
    persona_id: str, profile: PersonaProfile, typed: dict[str, Any], errors: dict[str, str]
) -> list[dict[str, Any]]:
    auto, over = profile.auto_extracted or {}, profile.manual_overrides or {}
    rows = []
    for t in traits.TRAITS:
        measured = auto.get(t.field)
        quotes = []
        for q in traits.quotes(measured):
            url = None
            if traits.playable(q):
                start, end = float(q["start"]), float(q["end"])
                end = min(max(end, start + 1.0) + CLIP_PAD, start + MAX_CLIP_SECONDS)
                url = clip_url(persona_id, q["media_id"], start - CLIP_PAD, end)
            quotes.append(
                {"text": q["text"], "url": url, "title": q.get("media_title"), "at": _clock(q.get("start"))}
            )
        overridden = t.field in over
        current = over[t.field] if overridden else measured
        rows.append(
            {
                "trait": t,
                "measured": traits.in_words(t, measured),
                "default": t.default,
                "quotes": quotes,
                "overridden": overridden,
                "override": traits.in_words(t, over.get(t.field), measured=False) if overridden else "",
                "override_is_none": overridden and over.get(t.field) is None,
                "value": typed[t.field] if t.field in typed else traits.form_value(t, current),
                "error": errors.get(t.field),
            }
        )
    return rows


def _clock(seconds: Any) -> str:
    if not isinstance(seconds, int | float):
        return ""
    s = int(seconds)
    return f"{s // 60}:{s % 60:02d}"


def _page(
    request: Request,
    db: PageDb,
    seller: SignedIn,
    persona: Persona,
    *,
    status_code: int = 200,
    typed: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    conflict: dict[str, Any] | None = None,
) -> Response:
    profile = _profile(db, persona)
    auto, over = profile.auto_extracted or {}, profile.manual_overrides or {}
    rows = _trait_rows(persona.id, profile, typed or {}, errors or {})
    versions = profiles.versions(db, profile)[:VERSIONS_SHOWN]
    changes_of = request.query_params.get("changes", "")
    shown = None
    if changes_of.isdigit() and 1 <= int(changes_of) <= MAX_VERSION:
        shown = _changes(db, profile, int(changes_of))
    notice = NOTICES.get(request.query_params.get("done", ""))
    jobs = [job_panel(db, j) for j in persona_jobs(db, user_id=seller.user.id, persona_id=persona.id)]
    return render_shell(
        request,
        db,
        seller,
        "pages/persona.html",
        persona=persona,
        section="persona",
        status_code=status_code,
        profile=profile,
        groups=[(g, [r for r in rows if r["trait"].group == g]) for g in traits.GROUPS],
        measured_any=any(k != "awaiting_speaker" for k in auto),
        speech_minutes=_speech_minutes(auto),
        notes=[n for n in auto.get("notes") or [] if isinstance(n, str)][:4],
        overridden_count=len(over),
        versions=versions,
        shown=shown,
        notice=notice,
        notice_field=request.query_params.get("field", ""),
        conflict=conflict,
        prompt=persona_prompt(persona.name, profiles.merge(auto, over)),
        recordings=speaker_choices(db, user_id=seller.user.id, persona_id=persona.id),
        jobs=[j for j in jobs if j.kind != "persona.voice"],
        base=persona_url(persona),
        page_key="persona",
    )


def _changes(db: Session, profile: PersonaProfile, number: int) -> dict[str, Any] | None:
    """What version `number` changed compared with the one before it, field by field in words."""
    try:
        after = profiles.get_version(db, profile, number)
    except profiles.ProfileError:
        return None
    before_auto: dict[str, Any] = {}
    before_over: dict[str, Any] = {}
    if number > 1:
        try:
            prev = profiles.get_version(db, profile, number - 1)
            before_auto, before_over = prev.auto_extracted or {}, prev.manual_overrides or {}
        except profiles.ProfileError:
            pass
    before = profiles.merge(before_auto, before_over)
    now = profiles.merge(after.auto_extracted or {}, after.manual_overrides or {})
    rows = []
    for t in traits.TRAITS:
        a, b = traits.in_words(t, before.get(t.field)), traits.in_words(t, now.get(t.field))
        if a != b:
            rows.append({"label": t.label, "before": a or "—", "after": b or "—"})
    other = [c["path"] for c in profiles.diff(before, now) if c["path"].split(".")[0] not in traits.BY_FIELD]
    return {"version": after.version, "change": after.change, "rows": rows, "measured_changes": len(other)}


def _expected(form: Form) -> int | None:
    raw = form.text("expected_version", limit=12)
    return int(raw) if raw.isdigit() else None


def _conflict_page(
    request: Request,
    db: PageDb,
    seller: SignedIn,
    persona: Persona,
    profile: PersonaProfile,
    exc: profiles.VersionConflict,
    *,
    field: str | None,
    typed: dict[str, Any],
) -> Response:
    """The page again, saying what changed meanwhile, with the seller's typed value kept."""
    latest = profiles.versions(db, profile)[:1]
    conflict = {
        "field": field,
        "current": exc.current,
        "expected": exc.expected,
        "change": latest[0].change if latest else "",
    }
    return _page(request, db, seller, persona, status_code=409, typed=typed, conflict=conflict)


def _save_or_conflict(
    request: Request,
    db: PageDb,
    seller: SignedIn,
    persona: Persona,
    profile: PersonaProfile,
    *,
    expected: int | None,
    overrides: dict[str, Any],
    change: str,
    field: str,
    typed: dict[str, Any],
) -> Response | None:
    """Saves `overrides` as a new version (None), or the page with the conflict."""
    try:
        profiles.check_version(profile, expected)
    except profiles.VersionConflict as exc:
        return _conflict_page(request, db, seller, persona, profile, exc, field=field, typed=typed)
    profiles.save(db, profile, overrides=overrides, change=change)
    db.commit()
    return None


def _speech_minutes(auto: dict[str, Any]) -> float | None:
    """Minutes of the seller's speech the profile was measured from, when it says so as a number
    (profiles written by older versions or by hand may not)."""
    summary = auto.get("summary")
    minutes = summary.get("speech_minutes") if isinstance(summary, dict) else None
    return float(minutes) if isinstance(minutes, int | float) and not isinstance(minutes, bool) else None


@router.get("/persona")
def persona_page(persona_id: str, request: Request, seller: Seller, db: PageDb) -> Response:
    return _page(request, db, seller, persona_of(db, seller.user.id, persona_id))


@router.post("/persona/fields/{field}")
def save_field(
    persona_id: str, field: str, request: Request, seller: Seller, db: PageDb, form: PostedForm
) -> Response:
    check_form(request, seller, form.get("csrf_token"))
    persona = persona_of(db, seller.user.id, persona_id)
    trait = traits.BY_FIELD.get(field)
    if trait is None:
        raise PageError(404, "Trait not found", "There is no such trait to change on this persona.")
    raw = form.text("value")
    chosen = [a for a in trait.options if form.get(f"choice-{a}")]
    typed: dict[str, Any] = {field: chosen if trait.kind == "choices" else raw}
    profile = _profile(db, persona)
    try:
        value = traits.parse(trait, raw, chosen, measured=(profile.auto_extracted or {}).get(field))
    except traits.TraitInputError as exc:
        return _page(request, db, seller, persona, status_code=422, typed=typed, errors={field: str(exc)})
    message = traits.problem(field, value)
    if message:
        return _page(request, db, seller, persona, status_code=422, typed=typed, errors={field: message})
    current = dict(profile.manual_overrides or {})
    done = persona_url(persona, f"/persona?done=saved&field={field}#trait-{field}")
    if field in current and current[field] == value:
        return RedirectResponse(done, status_code=303)  # sent twice, or nothing changed: saved once
    profiles.check_new_overrides({field: value})
    conflict = _save_or_conflict(
        request, db, seller, persona, profile,
        expected=_expected(form), overrides={**current, field: value},
        change=f"{trait.label.lower()} set on the Persona page", field=field, typed=typed,
    )  # fmt: skip
    return conflict or RedirectResponse(done, status_code=303)


@router.post("/persona/fields/{field}/reset")
def reset_field(
    persona_id: str, field: str, request: Request, seller: Seller, db: PageDb, form: PostedForm
) -> Response:
    check_form(request, seller, form.get("csrf_token"))
    persona = persona_of(db, seller.user.id, persona_id)
    trait = traits.BY_FIELD.get(field)
    if trait is None:
        raise PageError(404, "Trait not found", "There is no such trait to change on this persona.")
    profile = _profile(db, persona)
    current = dict(profile.manual_overrides or {})
    done = persona_url(persona, f"/persona?done=reset&field={field}#trait-{field}")
    if field not in current:
        return RedirectResponse(done, status_code=303)  # already measured: nothing to do twice
    current.pop(field)
    conflict = _save_or_conflict(
        request, db, seller, persona, profile,
        expected=_expected(form), overrides=current,
        change=f"{trait.label.lower()}: back to the measured value", field=field, typed={},
    )  # fmt: skip
    return conflict or RedirectResponse(done, status_code=303)


@router.post("/persona/versions/{number}/restore")
def restore_version(
    persona_id: str, number: int, request: Request, seller: Seller, db: PageDb, form: PostedForm
) -> Response:
    check_form(request, seller, form.get("csrf_token"))
    persona = persona_of(db, seller.user.id, persona_id)
    profile = _profile(db, persona)
    if not 1 <= number <= MAX_VERSION:
        raise PageError(404, "Version not found", "This persona has no such version.")
    try:
        old = profiles.get_version(db, profile, number)
    except profiles.ProfileError:
        raise PageError(404, "Version not found", "This persona has no such version.") from None
    done = persona_url(persona, "/persona?done=restored#history")
    same = (old.auto_extracted or {}) == (profile.auto_extracted or {}) and (old.manual_overrides or {}) == (
        profile.manual_overrides or {}
    )
    if same:
        return RedirectResponse(done, status_code=303)  # already what it holds: a second click does nothing
    try:
        profiles.check_version(profile, _expected(form))
    except profiles.VersionConflict as exc:
        return _conflict_page(request, db, seller, persona, profile, exc, field=None, typed={})
    profiles.restore(db, profile, number)
    db.commit()
    return RedirectResponse(done, status_code=303)


@router.post("/persona/recordings/{media_id}/speaker")
def pick_speaker(
    persona_id: str,
    media_id: str,
    request: Request,
    seller: Seller,
    db: PageDb,
    tools: Tools,
    form: PostedForm,
) -> Response:
    check_form(request, seller, form.get("csrf_token"))
    persona = persona_of(db, seller.user.id, persona_id)
    media = _media(db, seller.user.id, persona.id, media_id)
    tr = db.scalar(select(Transcript).where(Transcript.media_id == media.id))
    if tr is None:
        raise PageError(409, "Not ready yet", "This recording has not been transcribed yet. Try again soon.")
    speaker = form.text("speaker", limit=16)
    current = ALL_SPEAKERS if tr.seller_speaker is None else tr.seller_speaker
    if speaker != current or tr.speaker_chosen_by != "seller":
        try:
            choose_speaker(db, tools.submit_job, media=media, transcript=tr, speaker=speaker)
        except MediaInputError:
            raise PageError(
                422, "Choose a speaker", "Choose one of the speakers listed for this recording."
            ) from None
    return RedirectResponse(persona_url(persona, "/persona?done=speaker#speakers"), status_code=303)


def _media(db: Session, user_id: str, persona_id: str, media_id: str) -> PersonaMedia:
    media = (
        db.scalar(
            select(PersonaMedia).where(
                PersonaMedia.id == media_id,
                PersonaMedia.persona_id == persona_id,
                PersonaMedia.user_id == user_id,
            )
        )
        if len(media_id) <= 64
        else None
    )
    if media is None:
        raise PageError(404, "Recording not found", "There is no such recording among this persona's.")
    return media


@router.get("/media/{media_id}/clip")
def media_clip(
    persona_id: str,
    media_id: str,
    seller: Seller,
    db: PageDb,
    tools: Tools,
    start: Annotated[float, Query(ge=0, le=86_400)],
    end: Annotated[float, Query(ge=0, le=86_400)],
) -> Response:
    """A moment of one of the seller's recordings (OGG/Opus), at most MAX_CLIP_SECONDS long."""
    persona = persona_of(db, seller.user.id, persona_id)
    media = _media(db, seller.user.id, persona.id, media_id)
    key = media.audio_key
    db.close()
    if not key or end <= start:
        raise PageError(404, "No audio", "This recording has no audio to play.")
    end = min(end, start + MAX_CLIP_SECONDS)
    try:
        with tools.storage.local_copy(key) as path:
            wav = load_span(path, start, end, sample_rate=CLIP_RATE)
    except (AudioError, OSError):
        raise PageError(404, "No audio", "This recording's audio could not be read.") from None
    if wav.size == 0:
        raise PageError(404, "No audio", "There is no audio at this moment of the recording.")
    return Response(
        encode(wav, CLIP_RATE, codec="opus"),
        media_type="audio/ogg",
        headers={
            "Cache-Control": "private, max-age=3600",
            "Content-Disposition": 'inline; filename="clip.ogg"',
        },
    )
