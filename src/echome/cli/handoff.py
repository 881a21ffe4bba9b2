"""`echome handoff list|show|reply|send-draft|claim|release|link`: the seller's handoff desk from the
terminal. Replies are delivered by the server's workers (`echome serve` or `echome worker`)."""

from __future__ import annotations

from typing import Any

import typer

from echome.cli.common import acting_user, console, fail, out, print_json, state
from echome.cli.persona import JsonOpt, UserOpt, resolve

handoff_app = typer.Typer(
    help="Conversations handed to you: list them, reply, send the persona's draft, or let it answer.",
    no_args_is_help=True,
)


def _conversation(services: Any, user_id: str, ref: str) -> str:
    """A conversation id from its id or a unique prefix (at least 6 characters) of it."""
    from sqlalchemy import select

    from echome.db.models import Conversation

    ref = ref.strip().lower()
    with services.sessions() as db:
        if db.scalar(select(Conversation.id).where(Conversation.id == ref, Conversation.user_id == user_id)):
            return ref
        if len(ref) < 6 or not ref.isalnum():
            fail(f"no conversation {ref!r}")
        ids = db.scalars(
            select(Conversation.id)
            .where(Conversation.user_id == user_id, Conversation.id.startswith(ref, autoescape=True))
            .limit(2)
        ).all()
    if len(ids) != 1:
        fail(f"no conversation {ref!r}" if not ids else f"{ref!r} starts several conversation ids; give more")
    return ids[0]


def _act(call: Any, **kw: Any) -> Any:
    from echome.handoff.actions import ActionError

    try:
        return call(**kw)
    except ActionError as exc:
        fail(str(exc))


@handoff_app.command("list")
def list_(
    persona: str,
    everything: bool = typer.Option(False, "--all", help="Also the ones you answer yourself"),
    user: str = UserOpt,
    as_json: bool = JsonOpt,
) -> None:
    """Conversations of PERSONA waiting for you (with --all: also the ones you answer)."""
    from sqlalchemy import select

    from echome.db.models import Conversation
    from echome.handoff.actions import conversation_view
    from echome.handoff.state import pending_drafts, unanswered

    services = state.services()
    acting = acting_user(services, user)
    p = resolve(services, acting, persona)
    states = ("waiting", "seller") if everything else ("waiting",)
    with services.sessions() as db:
        rows = db.scalars(
            select(Conversation)
            .where(
                Conversation.user_id == acting.id,
                Conversation.persona_id == p.id,
                Conversation.state.in_(states),
            )
            .order_by(Conversation.state_changed_at.desc())
            .limit(200)
        ).all()
        items = [
            {
                **conversation_view(db, c),
                "unanswered": [m.content for m in unanswered(db, c.id)],
                "draft": next((d.content for d in pending_drafts(db, c.id)), None),
            }
            for c in rows
        ]
    if as_json:
        print_json(items)
        return
    if not items:
        out.print(f"Nothing waiting for you at {p.name}.")
        return
    for it in items:
        who = it["client"]["name"] or "a customer"
        out.print(f"{it['id']}  {it['state']:<8} {who} ({it['channel']}): {it['reason_text'] or ''}")
        for text in it["unanswered"][-3:]:
            console.print(f"    [dim]customer:[/dim] {text[:200]}")
        if it["draft"]:
            console.print(f"    [dim]draft:[/dim] {it['draft'][:200]}")


@handoff_app.command("show")
def show(conversation: str, user: str = UserOpt, as_json: bool = JsonOpt) -> None:
    """One CONVERSATION (id or prefix): its state and messages, drafts included."""
    from sqlalchemy import select

    from echome.db.models import Conversation, Message
    from echome.handoff.actions import conversation_view, message_view

    services = state.services()
    acting = acting_user(services, user)
    cid = _conversation(services, acting.id, conversation)
    with services.sessions() as db:
        conv = db.get(Conversation, cid)
        assert conv is not None
        msgs = db.scalars(
            select(Message).where(Message.conversation_id == cid).order_by(Message.created_at, Message.id)
        ).all()
        data = {**conversation_view(db, conv), "messages": [message_view(m) for m in msgs[-50:]]}
    if as_json:
        print_json(data)
        return
    out.print(f"{data['id']}  {data['state']}  {data['reason_text'] or ''}")
    for m in data["messages"]:
        console.print(f"[dim]{m['role']:<9}[/dim] {m['content']}")


@handoff_app.command("reply")
def reply(
    conversation: str,
    text: str,
    voice: bool = typer.Option(None, "--voice/--no-voice", help="Speak it in the persona's voice"),
    user: str = UserOpt,
) -> None:
    """Reply to the customer of CONVERSATION yourself; the conversation is yours afterwards."""
    services = state.services()
    acting = acting_user(services, user)
    cid = _conversation(services, acting.id, conversation)
    sent = _act(
        services.handoff_actions.reply,
        user_id=acting.id,
        conversation_id=cid,
        text=text,
        voice=voice,
        by="cli",
    )
    out.print(f"Queued for delivery (message {sent['id']}).")


@handoff_app.command("send-draft")
def send_draft(
    conversation: str,
    text: str = typer.Option(None, "--text", help="Your edited version instead of the draft as it is"),
    user: str = UserOpt,
) -> None:
    """Send the persona's draft waiting in CONVERSATION (or your --text); the persona answers again."""
    services = state.services()
    acting = acting_user(services, user)
    cid = _conversation(services, acting.id, conversation)
    sent = _act(
        services.handoff_actions.send_draft, user_id=acting.id, conversation_id=cid, text=text, by="cli"
    )
    out.print(f"Queued for delivery (message {sent['id']}).")


@handoff_app.command("claim")
def claim(conversation: str, user: str = UserOpt) -> None:
    """Take CONVERSATION: the persona stays silent until you release it."""
    services = state.services()
    acting = acting_user(services, user)
    cid = _conversation(services, acting.id, conversation)
    view = _act(services.handoff_actions.claim, user_id=acting.id, conversation_id=cid, by="cli")
    out.print(f"{cid}: {view['state']}")


@handoff_app.command("release")
def release(conversation: str, user: str = UserOpt) -> None:
    """Let the persona answer CONVERSATION again (it answers what nobody answered yet)."""
    services = state.services()
    acting = acting_user(services, user)
    cid = _conversation(services, acting.id, conversation)
    view = _act(services.handoff_actions.release, user_id=acting.id, conversation_id=cid, by="cli")
    out.print(f"{cid}: {view['state']}")


@handoff_app.command("link")
def link(persona: str, user: str = UserOpt) -> None:
    """A one-time code that links your own Telegram chat with PERSONA's bot, for handoff notices."""
    from echome.db.models import Persona
    from echome.db.session import transaction
    from echome.handoff.link import CODE_MINUTES, new_code

    services = state.services()
    acting = acting_user(services, user)
    p = resolve(services, acting, persona)
    with transaction(services.sessions) as db:
        row = db.get(Persona, p.id)
        assert row is not None
        code, _expires = new_code(db, row)
    out.print(f"/start {code}")
    console.print(
        f"[dim]Send this to {p.name}'s bot from your own Telegram within {CODE_MINUTES} minutes.[/dim]"
    )
