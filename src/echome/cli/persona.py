"""`echome persona ...`, `echome transcribe`, `echome say`."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from echome.cli.common import acting_user, console, fail, out, print_json, state
from echome.cli.jobs import follow

if TYPE_CHECKING:
    from echome.bootstrap import Services
    from echome.db.models import Persona, User

persona_app = typer.Typer(help="Personas: media, profile, voice.", no_args_is_help=True)
UserOpt = typer.Option(None, "--user", help="Act for this seller (default: the local owner)")
JsonOpt = typer.Option(False, "--json", help="Print JSON")


def resolve(services: Services, user: User, ref: str) -> Persona:
    from sqlalchemy import or_, select

    from echome.db.models import Persona

    with services.sessions() as db:
        rows = db.scalars(
            select(Persona).where(Persona.user_id == user.id, or_(Persona.id == ref, Persona.name == ref))
        ).all()
        if not rows:
            fail(f"no persona {ref!r} (use its id or exact name; `echome persona list`)")
        if len(rows) > 1:
            fail(f"several personas are named {ref!r}; use the id")
        db.expunge(rows[0])
        return rows[0]


def _no_consent(services: Services, persona_id: str) -> bool:
    from echome.voice.builder import latest_consent

    with services.sessions() as db:
        return latest_consent(db, persona_id) is None


def _run(services: Services, user: User, job_id: str) -> dict[str, Any]:
    # Run it here unless a worker takes it first (the claim makes sure only one runs it).
    runner = threading.Thread(target=services.executor.execute, args=(job_id,), daemon=True)
    runner.start()
    job = follow(services, user.id, job_id)
    runner.join(timeout=5)
    return job


def persona_view(services: Services, persona: Persona) -> dict[str, Any]:
    from sqlalchemy import select

    from echome.db.models import Persona, PersonaMedia
    from echome.persona import profile as profiles
    from echome.persona.service import media_view
    from echome.voice.builder import latest_consent

    with services.sessions() as db:
        p = db.get(Persona, persona.id)
        assert p is not None
        prof = profiles.load_profile(db, p)
        media = db.scalars(
            select(PersonaMedia).where(PersonaMedia.persona_id == p.id).order_by(PersonaMedia.created_at)
        ).all()
        vs = dict(p.voice_settings or {})
        view: dict[str, Any] = {
            "id": p.id,
            "name": p.name,
            "description": p.description,
            "profile": {
                "version": prof.version,
                "merged": profiles.merge(prof.auto_extracted or {}, prof.manual_overrides or {}),
                "overridden_fields": sorted(prof.manual_overrides or {}),
            },
            "media": [media_view(m) for m in media],
            "voice": {
                "provider": p.voice_provider or "local",
                "voice_id": p.voice_id or "piper:joe",
                "built": p.voice_id is not None,
                "params": vs.get("params") or {},
                "built_at": vs.get("built_at"),
                "consent": latest_consent(db, p.id),  # this session: a second one would wait on it
            },
        }
    # What the voice speaks: a reply in any other language is sent as text only.
    view["voice"]["languages"] = sorted(services.speaker.voice_languages(persona.id, persona.user_id))
    return view


@persona_app.command("create")
def create(
    name: str,
    description: str = typer.Option(None, "--description"),
    user: str = UserOpt,
    as_json: bool = JsonOpt,
) -> None:
    """Create a persona."""
    from echome.db.models import Persona, PersonaProfile
    from echome.db.session import transaction

    services = state.services()
    acting = acting_user(services, user)
    with transaction(services.sessions) as db:
        p = Persona(user_id=acting.id, name=name.strip(), description=description)
        p.profile = PersonaProfile(user_id=acting.id)
        db.add(p)
        db.flush()
        pid = p.id
    print_json({"id": pid, "name": name}) if as_json else out.print(pid)


@persona_app.command("list")
def list_(user: str = UserOpt, as_json: bool = JsonOpt) -> None:
    """List personas."""
    from sqlalchemy import select

    from echome.db.models import Persona

    services = state.services()
    acting = acting_user(services, user)
    with services.sessions() as db:
        rows = [
            {"id": p.id, "name": p.name, "voice": p.voice_provider or "local (stock)"}
            for p in db.scalars(
                select(Persona).where(Persona.user_id == acting.id).order_by(Persona.created_at)
            )
        ]
    if as_json:
        print_json(rows)
    else:
        for r in rows:
            out.print(f"{r['id']}  {r['name']}  [dim]{r['voice']}[/dim]")


@persona_app.command("show")
def show(persona: str, user: str = UserOpt, as_json: bool = JsonOpt) -> None:
    """The persona with its merged profile, media and voice."""
    services = state.services()
    acting = acting_user(services, user)
    view = persona_view(services, resolve(services, acting, persona))
    if as_json:
        print_json(view)
        return
    from echome.persona.analyse import style_summary

    out.print(f"[bold]{view['name']}[/bold] ({view['id']}) profile v{view['profile']['version']}")
    for line in style_summary(view["profile"]["merged"]):
        out.print(f"  • {line}")
    for m in view["media"]:
        out.print(f"  [{m['status']}] {m['title'] or m['source']} {m['error'] or ''}")
    v = view["voice"]
    out.print(f"  voice: {v['provider']} {v['voice_id']} {'(built)' if v['built'] else '(stock)'}")
    spoken = ", ".join(v["languages"]) or "none (the voice cannot be reached)"
    out.print(f"  voice speaks: {spoken} [dim](replies in other languages are sent as text only)[/dim]")


@persona_app.command("add-media")
def add_media_cmd(
    persona: str,
    sources: list[str] = typer.Argument(..., help="YouTube/any yt-dlp URLs, or audio/video files"),
    consent: bool = typer.Option(
        False, "--consent", help="I am the person in this media or have their permission (clones the voice)"
    ),
    voice_provider: str = typer.Option("auto", "--voice-provider", help="auto, local or elevenlabs"),
    no_wait: bool = typer.Option(False, "--no-wait", help="Queue the job and return its id"),
    user: str = UserOpt,
    as_json: bool = JsonOpt,
) -> None:
    """Add recordings of yourself: download, transcribe, measure your style, build your voice."""
    from echome.db.models import User
    from echome.persona.service import MediaInputError

    services = state.services()
    acting = acting_user(services, user)
    p = resolve(services, acting, persona)
    urls = [s for s in sources if s.startswith(("http://", "https://"))]
    files = [Path(s) for s in sources if not s.startswith(("http://", "https://"))]
    for f in files:
        if not f.is_file():
            fail(f"no such file: {f}")
    handles = [f.open("rb") for f in files]
    try:
        with services.sessions() as db:
            sub = services.media_intake.add_media(
                db, db.get(User, acting.id), p.id,  # type: ignore[arg-type]
                urls=urls, uploads=[(f.name, h) for f, h in zip(files, handles, strict=True)],
                consent=consent, provider=voice_provider, client="cli",
            )  # fmt: skip
            job_id = sub.job_id
    except MediaInputError as exc:
        fail(str(exc))
    finally:
        for h in handles:
            h.close()
    if no_wait:
        print_json({"job_id": job_id}) if as_json else out.print(job_id)
        return
    job = _run(services, acting, job_id)
    items = _job_media(services, job_id)
    from rich.markup import escape

    if as_json:
        print_json({"job": job, "media": items, "persona": persona_view(services, p)})
    else:
        for m in items:
            colour = "green" if m["status"] == "ready" else "red"
            name = m.get("title") or m["source"]
            reason = m.get("error") or ""
            reason = reason.removesuffix(f" ({name})")  # the reason ends with the URL: shown once
            # soft_wrap: a long URL or reason stays on one line, whole
            line = f"{name}: {reason}" if reason else name
            console.print(f"[{colour}]{m['status']}[/{colour}] {escape(line)}", soft_wrap=True)
        voice = (job.get("result") or {}).get("voice")
        if voice:
            console.print(f"voice: {escape(str(voice))}", soft_wrap=True)
    if job["status"] != "completed":
        if not as_json:
            error = str(job.get("error"))
            if items and all(m["status"] == "failed" and m.get("error") for m in items):
                error = "none of the recordings could be used (each one's reason is above)"
            console.print(f"[red]{job['status']}:[/red] {escape(error)}", soft_wrap=True)
        raise typer.Exit(1)


def _job_media(services: Services, job_id: str) -> list[dict[str, Any]]:
    """Every recording this job handled, with its own reason when it failed. Read from the media rows
    (playlist items included), not the job result: a job where every item failed has no result."""
    from sqlalchemy import select

    from echome.db.models import PersonaMedia
    from echome.persona.service import media_view

    with services.sessions() as db:
        rows = db.scalars(
            select(PersonaMedia)
            .where(PersonaMedia.job_id == job_id)
            .order_by(PersonaMedia.created_at, PersonaMedia.id)
        ).all()
        return [media_view(m) for m in rows]


@persona_app.command("voice")
def voice_cmd(
    persona: str,
    consent: bool = typer.Option(False, "--consent", help="I am the person in the media or have permission"),
    provider: str = typer.Option("auto", "--provider", help="auto, local or elevenlabs"),
    user: str = UserOpt,
    as_json: bool = JsonOpt,
) -> None:
    """(Re)build the persona's voice from its media."""
    from sqlalchemy import select

    from echome.db.models import PersonaMedia, User
    from echome.db.session import transaction
    from echome.persona.service import record_consent

    services = state.services()
    acting = acting_user(services, user)
    p = resolve(services, acting, persona)
    if consent:
        with transaction(services.sessions) as db:
            ids = list(db.scalars(select(PersonaMedia.id).where(PersonaMedia.persona_id == p.id)))
            record_consent(db, db.get(User, acting.id), p.id, ids, None, "cli")  # type: ignore[arg-type]
    elif _no_consent(services, p.id):
        fail("consent required: pass --consent to confirm you are the person in the media or have permission")
    job_id = services.submit_job(
        user_id=acting.id, kind="persona.voice", payload={"persona_id": p.id, "provider": provider}
    )
    job = _run(services, acting, job_id)
    print_json(job) if as_json else console.print(job.get("result") or job.get("error"))
    if job["status"] != "completed":
        raise typer.Exit(1)


@persona_app.command("override")
def override(
    persona: str,
    field: str,
    value: str = typer.Argument(
        ..., help="""JSON ('{"energy": "calm"}', '["warm"]', 150), or plain text taken as a string"""
    ),
    user: str = UserOpt,
) -> None:
    """Set one profile field by hand (it wins over the measured value).

    Fields: role, backstory, personality_traits, speech_patterns, dos, donts, tone, formality,
    greeting, sign_off, catchphrases, fillers, speaking_rate_wpm_overall, speaking_rate_wpm,
    speaking_rate_label, sentence_length, selling, vocabulary, style_strength (off, natural or strong:
    how much of your catchphrases and fillers replies carry; types: echome.persona.schema)."""
    from echome.persona import profile as profiles

    parsed = _override_value(value)
    try:
        profiles.check_new_overrides({field: parsed})
    except profiles.ProfileError as exc:
        _fail_plain(str(exc))
    _edit(persona, user, lambda cur: {**cur, field: parsed}, f"overrides set: {field}")


def _override_value(value: str) -> Any:
    """JSON when the value is JSON; plain text ("Hey friend!") is a string. Text that looks like JSON
    (starts with {, [ or ") but does not parse is an error, never stored as a string."""
    try:
        return json.loads(value, parse_constant=_no_constant)
    except ValueError as exc:  # JSONDecodeError, or NaN/Infinity (taken as words)
        if value.lstrip().startswith(("{", "[", '"')):
            _fail_plain(f"the value is not valid JSON: {exc}")
        return value


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON value")


def _fail_plain(message: str) -> None:
    from rich.markup import escape

    fail(escape(message))  # field paths like catchphrases[2] are not rich markup


@persona_app.command("unset")
def unset(persona: str, field: str, user: str = UserOpt) -> None:
    """Remove an override; the measured value applies again."""
    _edit(
        persona, user, lambda cur: {k: v for k, v in cur.items() if k != field}, f"override removed: {field}"
    )


def _edit(persona: str, user: str | None, change: Any, label: str) -> None:
    from echome.db.models import Persona
    from echome.db.session import transaction
    from echome.persona import profile as profiles

    services = state.services()
    acting = acting_user(services, user)
    p = resolve(services, acting, persona)
    with transaction(services.sessions) as db:
        prof = profiles.load_profile(db, db.get(Persona, p.id))  # type: ignore[arg-type]
        try:
            v = profiles.save(db, prof, overrides=change(dict(prof.manual_overrides or {})), change=label)
        except profiles.ProfileError as exc:
            _fail_plain(str(exc))
        out.print(f"profile version {v.version}")


@persona_app.command("versions")
def versions(persona: str, user: str = UserOpt, as_json: bool = JsonOpt) -> None:
    """List the profile's saved versions."""
    from echome.db.models import Persona
    from echome.persona import profile as profiles

    services = state.services()
    acting = acting_user(services, user)
    p = resolve(services, acting, persona)
    with services.sessions() as db:
        prof = profiles.load_profile(db, db.get(Persona, p.id))  # type: ignore[arg-type]
        rows = [profiles.version_view(v) for v in profiles.versions(db, prof)]
    if as_json:
        print_json(rows)
    else:
        for r in rows:
            out.print(f"v{r['version']}  {r['created_at'][:19]}  {r['change']}")


@persona_app.command("restore")
def restore(persona: str, version: int, user: str = UserOpt) -> None:
    """Make an old profile version current again (saved as a new version)."""
    from echome.db.models import Persona
    from echome.db.session import transaction
    from echome.persona import profile as profiles

    services = state.services()
    acting = acting_user(services, user)
    p = resolve(services, acting, persona)
    with transaction(services.sessions) as db:
        prof = profiles.load_profile(db, db.get(Persona, p.id))  # type: ignore[arg-type]
        try:
            v = profiles.restore(db, prof, version)
        except profiles.ProfileError as exc:
            fail(str(exc))
        out.print(f"restored v{version} as v{v.version}")


def transcribe(
    path: Path = typer.Argument(..., help="Any audio or video file"),
    model: str = typer.Option(None, "--model", help="tiny.en or base (default: the server setting)"),
    speakers: bool = typer.Option(True, "--speakers/--no-speakers", help="Label who speaks each segment"),
    verbatim: bool = typer.Option(
        False, "--verbatim", help="Keep fillers, backchannels and false starts (as persona analysis does)"
    ),
    as_json: bool = JsonOpt,
) -> None:
    """Transcribe a file: text, language, timestamped segments with speakers and words."""
    import tempfile

    from echome.media.audio import RECOGNITION_RATE, AudioError, load_audio, write_wav
    from echome.providers.registry import make_stt

    if not path.is_file():
        fail(f"no such file: {path}")
    services = state.services(migrate_db=False)
    s = services.settings
    if model is not None:
        stt = make_stt(f"local:{model}", cache_dir=s.effective_models_dir, verbatim=verbatim)
    else:
        stt = services.persona_stt if verbatim else services.stt
    try:
        wav = load_audio(path, sample_rate=RECOGNITION_RATE, max_seconds=s.max_media_minutes * 60)
    except AudioError as exc:
        fail(f"{path.name}: {exc}")
    with tempfile.TemporaryDirectory() as tmp:
        asr = Path(tmp) / "speech.wav"
        write_wav(asr, wav, RECOGNITION_RATE)
        tr = stt.transcribe(str(asr))
    segments = tr.segments
    if speakers and segments:
        from echome.media.speakers import assign_speakers

        segments = assign_speakers(
            wav, RECOGNITION_RATE, segments, embedder=services.speaker_embedder
        ).segments
    result = {
        "text": tr.text,
        "language": tr.language,
        "language_probability": round(tr.language_probability, 3),
        "duration": round(tr.duration, 2),
        "model": tr.model,
        # What the recogniser did, not what was asked: an adapter without a verbatim mode is clean.
        "mode": "verbatim" if getattr(stt, "verbatim", False) else "clean",
        "segments": [
            {
                "start": round(x.start, 2),
                "end": round(x.end, 2),
                "text": x.text,
                "speaker": x.speaker,
                "words": [
                    {
                        "start": round(w.start, 2),
                        "end": round(w.end, 2),
                        "text": w.text,
                        "probability": round(w.probability, 3),
                    }
                    for w in x.words
                ],
            }
            for x in segments
        ],
    }
    if as_json:
        print_json(result)
    else:
        for x in result["segments"]:
            out.print(f"[dim]{x['start']:7.2f}-{x['end']:7.2f} {x['speaker'] or ''}[/dim] {x['text']}")


def say(
    persona: str,
    text: str,
    output: Path = typer.Option(..., "-o", "--output", help="Audio file to write (.ogg, .wav or .mp3)"),
    user: str = UserOpt,
) -> None:
    """Speak TEXT in the persona's voice."""
    from echome.voice.speaker import SpeakError

    fmt = output.suffix.lower().lstrip(".") or "ogg"
    if fmt not in ("ogg", "wav", "mp3"):
        fail("the output file must end in .ogg, .wav or .mp3")
    services = state.services()
    acting = acting_user(services, user)
    p = resolve(services, acting, persona)
    try:
        spoken = services.speaker.speak(persona_id=p.id, user_id=acting.id, text=text, fmt=fmt)  # type: ignore[arg-type]
    except SpeakError as exc:
        fail(str(exc))
    output.write_bytes(spoken.audio)
    console.print(f"wrote {output} ({spoken.duration:.1f} s, {spoken.provider} voice {spoken.voice_id})")
