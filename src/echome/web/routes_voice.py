"""The Voice page: add recordings (links or files) with consent, follow each one live (server-sent
events of the persona's jobs), the consent record and the clips the voice was built from, a "say
this" box, and the seller's own sentence beside the generated voice saying it."""

from __future__ import annotations

import hmac
import re
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response, StreamingResponse
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.datastructures import UploadFile

from echome.app.browser_auth import SignedIn
from echome.app.deps import client_ip
from echome.app.routes.jobs import follow
from echome.db.models import Persona, VoiceConsent
from echome.knowledge.uploads import safe_filename
from echome.persona.service import (
    DEFAULT_CONSENT,
    MAX_ITEMS,
    MEDIA_EXTENSIONS,
    MediaInputError,
    size_label,
)
from echome.voice.speaker import SpeakError
from echome.web.context import PersonaTools
from echome.web.deps import PageDb, PageError, Seller, Web, check_form, off_loop, persona_of, safe_next
from echome.web.form_once import NONCE_FIELD, form_once
from echome.web.forms import PostedForm, field_errors
from echome.web.onboarding import step_next
from echome.web.persona_media import (
    job_panel,
    media_row,
    own_sentence,
    owned_job,
    persona_jobs,
    persona_media,
    speech_signature,
    speech_url,
)
from echome.web.render import ENV
from echome.web.routes_persona import Tools
from echome.web.shell import persona_url, render_shell

router = APIRouter(prefix="/app/personas/{persona_id}", include_in_schema=False)

MAX_SAY = 500  # characters the "say this" box speaks at once
PAGES = ("voice", "persona", "setup/listening")  # where a job panel's "Show the results" leads
NOTICES = {
    "added": "Your recordings are in. Follow their progress below; you can leave this page and come back.",
    "building": "Building your voice. Follow its progress below.",
}
SSE_INTERVAL = 0.5


def _consents(db: PageDb, persona_id: str) -> list[VoiceConsent]:
    return list(
        db.scalars(
            select(VoiceConsent)
            .where(VoiceConsent.persona_id == persona_id)
            .order_by(VoiceConsent.created_at.desc(), VoiceConsent.id.desc())
        )
    )


def _page(
    request: Request,
    db: PageDb,
    seller: SignedIn,
    persona: Persona,
    tools: Tools,
    *,
    status_code: int = 200,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    next_url: str | None = None,
) -> Response:
    uid = seller.user.id
    media = persona_media(db, user_id=uid, persona_id=persona.id)
    titles = {m.id: m.title or m.source for m in media}
    consents = _consents(db, persona.id)
    vs = dict(persona.voice_settings or {})
    say = " ".join(request.query_params.get("say", "").split())
    say_error = None
    if "say" in request.query_params and not say:
        say_error = "Type a sentence to hear it in your voice."
    elif len(say) > MAX_SAY:
        say_error = f"Keep it under {MAX_SAY} characters (this is {len(say):,})."
    sentence = own_sentence(db, user_id=uid, persona_id=persona.id)
    return render_shell(
        request,
        db,
        seller,
        "pages/voice.html",
        persona=persona,
        section="voice",
        status_code=status_code,
        base=persona_url(persona),
        page_key="voice",
        notice=NOTICES.get(request.query_params.get("done", "")),
        media=[media_row(persona.id, m) for m in media],
        ready=sum(1 for m in media if m.status == "ready"),
        jobs=[job_panel(db, j) for j in persona_jobs(db, user_id=uid, persona_id=persona.id)],
        voice={
            "built": persona.voice_id is not None,
            "provider": "ElevenLabs" if persona.voice_provider == "elevenlabs" else "Local voice",
            "built_at": vs.get("built_at"),
            "samples": vs.get("samples"),
            "seconds": vs.get("sample_seconds"),
            "consent_id": vs.get("consent_id"),
            "quality": voice_quality(vs.get("quality")),
        },
        consents=[
            {
                "id": c.id,
                "statement": c.statement,
                "by": c.confirmed_by,
                "at": c.created_at,
                "client": c.client,
                "recordings": [titles.get(i, "a recording since deleted") for i in c.media_ids or []],
            }
            for c in consents
        ],
        say=say if not say_error else request.query_params.get("say", "")[: MAX_SAY * 2],
        say_error=say_error,
        max_say=MAX_SAY,
        say_url=speech_url(seller.csrf, persona.id, say) if say and not say_error else None,
        sentence=sentence,
        sentence_url=speech_url(seller.csrf, persona.id, sentence["text"][:MAX_SAY]) if sentence else None,
        consent_text=DEFAULT_CONSENT,
        max_upload_bytes=tools.media_intake.max_upload_bytes,
        max_upload_label=size_label(tools.media_intake.max_upload_bytes),
        accept=",".join(("audio/*", "video/*", *MEDIA_EXTENSIONS)),
        values=values or {},
        errors=errors or {},
        next_url=next_url,
    )


# How good the speech a voice was built from is, for the seller: (label, badge tone, one sentence).
GRADES = {
    "good": ("Good", "success", "Built from plenty of clear speech of you."),
    "fair": ("Fair", "warning", "Usable, but it may sound less like you than it could."),
    "poor": ("Poor", "danger", "Built from the little usable speech we found: expect it to sound rough."),
}
IMPROVE = (
    "To make it closer, add a recording of you talking on your own in a quiet place for a minute or "
    "more, then build it again."
)


def voice_quality(stored: Any) -> dict[str, Any] | None:
    """The grade the voice builder stored, in plain words; None for voices built before grades (or a
    value of another shape)."""
    if not isinstance(stored, dict) or stored.get("grade") not in GRADES:
        return None
    label, tone, summary = GRADES[stored["grade"]]
    reasons = stored.get("reasons")
    return {
        "grade": stored["grade"],
        "label": label,
        "tone": tone,
        "summary": summary,
        "reasons": [r for r in reasons if isinstance(r, str)][:6] if isinstance(reasons, list) else [],
        "best_available": stored.get("best_available") is True,
        "advice": IMPROVE if stored["grade"] != "good" else None,
    }


@router.get("/voice")
def voice_page(persona_id: str, request: Request, seller: Seller, db: PageDb, tools: Tools) -> Response:
    return _page(request, db, seller, persona_of(db, seller.user.id, persona_id), tools)


def _field_for(exc: MediaInputError) -> str:
    message = str(exc)
    return (
        "urls" if "web address" in message or "at least one" in message or "at most" in message else "files"
    )


# Ends like the API's upload path, so the larger body limit for recordings applies to it too.
@router.post("/voice/media/upload")
async def add_recordings(
    persona_id: str, request: Request, seller: Seller, db: PageDb, web: Web, tools: Tools
) -> Response:
    try:
        data = await request.form(max_files=MAX_ITEMS, max_fields=20)
    except Exception:  # a malformed multipart body: python-multipart's many errors
        raise PageError(
            400, "The form could not be read", "Your browser sent a form we could not read. Please try again."
        ) from None
    fields = {k: v for k, v in data.multi_items() if isinstance(v, str)}
    check_form(request, seller, fields.get("csrf_token"))
    persona = await off_loop(db, lambda: persona_of(db, seller.user.id, persona_id))
    nonce = fields.get(NONCE_FIELD, "")[:64]
    async with form_once(
        web.form_receipts, user_id=seller.user.id, form="media", nonce=nonce, idle=db.commit
    ) as once:
        if once.earlier is not None:  # the same form sent twice: added once, where it led
            return RedirectResponse(safe_next(once.earlier.get("location")), status_code=303)
        # On a worker thread: the files are copied and the rows written there, not on the event loop.
        response = await off_loop(
            db, lambda: _add_recordings(request, db, seller, persona, tools, data, fields, nonce)
        )
        if response.status_code == 303:
            once.done({"location": response.headers["location"]})
        return response


def _add_recordings(
    request: Request, db: Session, seller: SignedIn, persona: Persona, tools: PersonaTools,
    data: Any, fields: dict[str, str], nonce: str,
) -> Response:  # fmt: skip
    urls_text = fields.get("urls", "")[:20_000].replace("\x00", "")
    urls = [u for u in re.split(r"\s+", urls_text) if u]
    files = [f for f in data.getlist("files") if isinstance(f, UploadFile) and f.filename]
    values = {"urls": urls_text}
    next_url = step_next(fields.get("next"), persona_id=persona.id)  # the guided setup's step
    done = next_url or persona_url(persona, "/voice?done=added#progress")
    # Sent again after the server forgot the nonce (a restart): the recordings are on record.
    if nonce and any(
        (m.meta or {}).get("form_id") == nonce
        for m in persona_media(db, user_id=seller.user.id, persona_id=persona.id)
    ):
        return RedirectResponse(done, status_code=303)
    errors = field_errors(
        urls=None if urls or files else "Paste a link to a video of you, or choose a file below.",
        consent=None
        if fields.get("consent")
        else "Tick this box to confirm the recordings are of you, or that you have permission.",
    )
    if not errors:
        try:
            sub = tools.media_intake.add_media(
                db, seller.user, persona.id,
                urls=urls, uploads=[(safe_filename(f.filename or ""), f.file) for f in files],
                consent=True, statement=DEFAULT_CONSENT, client=f"web {client_ip(request)}",
            )  # fmt: skip
        except MediaInputError as exc:
            errors = {_field_for(exc): f"{exc}."}
        else:
            for row in sub.media:
                row.meta = {**(row.meta or {}), "form_id": nonce}
            db.commit()
            return RedirectResponse(done, status_code=303)
    return _page(
        request, db, seller, persona, tools, status_code=422, values=values, errors=errors, next_url=next_url
    )


@router.post("/voice/build")
def build_voice(
    persona_id: str, request: Request, seller: Seller, db: PageDb, tools: Tools, form: PostedForm
) -> Response:
    check_form(request, seller, form.get("csrf_token"))
    persona = persona_of(db, seller.user.id, persona_id)
    running = [
        j for j in persona_jobs(db, user_id=seller.user.id, persona_id=persona.id) if not j.finished_at
    ]
    ready = [
        m for m in persona_media(db, user_id=seller.user.id, persona_id=persona.id) if m.status == "ready"
    ]
    if not ready or not _consents(db, persona.id):
        raise PageError(
            409, "Add a recording first", "Your voice is built from recordings you added with your consent."
        )
    if not any(j.kind == "persona.voice" for j in running):  # a second click does not start another
        tools.submit_job(
            user_id=seller.user.id,
            kind="persona.voice",
            payload={"persona_id": persona.id, "provider": "auto"},
        )
    done = step_next(form.get("next"), persona_id=persona.id)  # the guided setup's step
    return RedirectResponse(done or persona_url(persona, "/voice?done=building#progress"), status_code=303)


def _sse(event: str, html: str) -> str:
    lines = [line for line in html.splitlines() if line.strip()] or [""]
    return f"event: {event}\n" + "".join(f"data: {line}\n" for line in lines) + "\n"


@router.get("/jobs/{job_id}/events")
def job_events(
    persona_id: str,
    job_id: str,
    request: Request,
    seller: Seller,
    db: PageDb,
    web: Web,
    page: Annotated[str, Query(max_length=20)] = "voice",
) -> StreamingResponse:
    """The job's panel, sent again whenever it changes (htmx's SSE extension swaps it in)."""
    persona = persona_of(db, seller.user.id, persona_id)
    user_id = seller.user.id
    if owned_job(db, user_id=user_id, persona_id=persona.id, job_id=job_id) is None:
        raise PageError(404, "Job not found", "There is no such job for this persona.")
    base, page_key = persona_url(persona), page if page in PAGES else "voice"
    db.close()  # each poll uses its own short session (SQLite's write lock is not held)
    template = ENV.get_template("partials/job_panel_body.html")

    def snapshot() -> Any:
        with web.sessions() as s:
            job = owned_job(s, user_id=user_id, persona_id=persona_id, job_id=job_id)
            return job_panel(s, job) if job is not None else None

    async def stream() -> AsyncIterator[str]:
        async for panel in follow(
            snapshot,
            request,
            interval=SSE_INTERVAL,
            key=lambda p: p.key if p is not None else "gone",
            done=lambda p: p is None or p.finished,
        ):
            if panel is None:
                yield ": keep-alive\n\n"
                continue
            html = template.render(job=panel, base=base, page_key=page_key)
            yield _sse("end" if panel.finished else "progress", html)

    return StreamingResponse(
        stream(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


@router.get("/voice/speech")
def speech(
    persona_id: str,
    seller: Seller,
    db: PageDb,
    tools: Tools,
    text: Annotated[str, Query(max_length=MAX_SAY * 2)] = "",
    sig: Annotated[str, Query(max_length=64)] = "",
) -> Response:
    """`text` in the persona's voice (OGG/Opus); only for addresses our own pages signed."""
    persona = persona_of(db, seller.user.id, persona_id)
    if not hmac.compare_digest(sig, speech_signature(seller.csrf, persona.id, text)):
        raise PageError(403, "This request was refused", "Open the Voice page again and press Say it.")
    persona_id, user_id = persona.id, seller.user.id
    db.close()
    try:
        spoken = tools.speaker().speak(persona_id=persona_id, user_id=user_id, text=text[:MAX_SAY], fmt="ogg")
    except SpeakError as exc:
        return Response(str(exc), status_code=503 if exc.transient else 422, media_type="text/plain")
    return Response(
        spoken.audio,
        media_type=spoken.content_type,
        headers={"Cache-Control": "private, max-age=600", "X-Voice-Provider": spoken.provider},
    )
