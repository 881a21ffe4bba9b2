"""The seller's own chat with the persona's bot: handoff notifications out, the seller's decisions in.

Out (`notify`): the customer's question, a short summary of the conversation, the persona's draft,
and buttons: send draft / edit / I'll answer / let the persona answer. Each notification is
recorded (`handoff_notices`), so a reply to it, or a tap on its buttons, finds its conversation.

In (`SellerChat`): a button tap (callback query), a reply to a notification (text, or a voice note
the update job transcribed), or a command. Nothing from this chat ever reaches the answer pipeline.
"""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from echome.channels.telegram.api import Keyboard, TelegramApi, TelegramError
from echome.db.models import Client, Conversation, HandoffNotice, Message, Persona
from echome.db.session import transaction
from echome.handoff.actions import ActionError, HandoffActions
from echome.handoff.link import unlink
from echome.handoff.state import NOTICE_KINDS, pending_drafts, split_reason, summary_of

CALLBACK = re.compile(r"h:(send|edit|claim|release):([0-9a-f]{32})")
QUOTE = 600  # characters of a message quoted in a notification
CHANNELS = {
    "telegram": "Telegram",
    "web": "web chat",
    "api": "API",
    "email": "e-mail",
    "whatsapp": "WhatsApp",
}
SELLER_HELP = (
    "This is your seller chat: I send you the conversations that need you.\n"
    "• Reply to a notification (text or a voice note) to answer that customer yourself.\n"
    "• Or use its buttons: send my draft, edit it, take the conversation, or let me answer.\n"
    "/unlink: stop sending handoffs to this chat"
)


def keyboard(conversation_id: str, persona_name: str, *, draft: bool) -> Keyboard:
    rows: Keyboard = []
    if draft:
        rows.append([("✅ Send draft", f"h:send:{conversation_id}"), ("✏️ Edit", f"h:edit:{conversation_id}")])
    rows.append(
        [
            ("🙋 I'll answer", f"h:claim:{conversation_id}"),
            (f"🤖 Let {persona_name[:20]} answer", f"h:release:{conversation_id}"),
        ]
    )
    return rows


def _quote(text: str, limit: int = QUOTE) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + "…"


def _client_name(client: Client | None) -> str:
    if client is None:
        return "A customer"
    return str((client.notes or {}).get("name") or client.name or "A customer")


def _notes_line(client: Client | None) -> str:
    notes = dict(client.notes or {}) if client is not None else {}
    parts: list[str] = []
    if notes.get("stage"):
        parts.append(str(notes["stage"]).replace("_", " "))
    budget = notes.get("budget")
    if isinstance(budget, dict) and budget.get("text"):
        parts.append(f"budget: {budget['text']}")
    discussed = [p.get("name") for p in notes.get("products_discussed") or [] if isinstance(p, dict)]
    if discussed:
        parts.append("discussed: " + ", ".join(str(d) for d in discussed[-3:] if d))
    return ("Notes: " + " · ".join(parts)) if parts else ""


def notice_text(
    db: Session, conv: Conversation, *, kind: str, draft: Message | None, message: Message | None
) -> str:
    """The notification for a handoff (`kind` "handoff") or a further customer message ("message")."""
    client = db.get(Client, conv.client_id) if conv.client_id else None
    persona = db.get(Persona, conv.persona_id) if conv.persona_id else None
    who, name = _client_name(client), persona.name if persona is not None else "Your persona"
    where = CHANNELS.get(conv.channel, conv.channel)
    code, said = split_reason(conv.handoff_reason)
    if kind == "message" and message is not None:
        lines = [f"💬 {who} wrote ({where}, waiting for you):", f"“{_quote(message.content)}”"]
        lines.append("\nReply to this message to answer.")
        return "\n".join(lines)
    question_id = (draft.meta or {}).get("question_id") if draft is not None else None
    question = db.get(Message, question_id) if question_id else None
    if code == "approval":
        head = f"🕒 {name}'s answer to {who} ({where}) waits for your OK."
    else:
        head = f"🔔 {who} needs you ({where}): {said or 'handed over'}."
    lines = [head]
    if question is not None:
        lines += ["", f"{who}: “{_quote(question.content)}”"]
    earlier = [
        m
        for m in summary_of(db, conv.id, messages=8)
        if m["kind"] not in NOTICE_KINDS and (question is None or m["id"] != question.id)
    ][-4:]
    if earlier:
        lines += ["", "Earlier:"]
        for m in earlier:
            speaker = who if m["role"] == "user" else ("You" if m["role"] == "seller" else name)
            lines.append(f"• {speaker}: {_quote(m['text'], 160)}")
    notes = _notes_line(client)
    if notes:
        lines += ["", notes]
    if draft is not None:
        lines += ["", f"{name}'s draft (not sent):", f"“{_quote(draft.content, 1500)}”"]
    lines += ["", f"Reply to this message to answer {who} yourself, or tap a button."]
    return "\n".join(lines)


async def notify(
    api: TelegramApi,
    sessions: sessionmaker[Session],
    *,
    chat_id: int,
    conversation_id: str,
    kind: str,
    draft_id: str | None = None,
    message_id: str | None = None,
) -> int | None:
    """Send one notification to the seller's chat and record it; None when there is nothing to say
    (the conversation is gone, or the persona has it again)."""
    with sessions() as db:
        conv = db.get(Conversation, conversation_id)
        if conv is None or (kind == "message" and conv.state == "persona"):
            return None
        drafts = pending_drafts(db, conv.id)
        draft = next((d for d in drafts if d.id == draft_id), None) if draft_id else (drafts or [None])[0]
        if kind == "handoff" and draft_id and draft is None:
            return None  # already sent, or the seller answered from the dashboard
        message = db.get(Message, message_id) if message_id else None
        text = notice_text(db, conv, kind=kind, draft=draft, message=message)
        persona = db.get(Persona, conv.persona_id) if conv.persona_id else None
        buttons = keyboard(conv.id, persona.name if persona else "me", draft=bool(drafts))
        user_id, persona_id = conv.user_id, conv.persona_id
    sent = await api.send_message(chat_id, text, keyboard=buttons)
    _remember(
        sessions,
        user_id=user_id,
        persona_id=persona_id,
        conversation_id=conversation_id,
        chat_id=chat_id,
        message_id=sent,
        kind=kind,
        draft_id=draft.id if draft else None,
    )
    return sent


def _remember(sessions: sessionmaker[Session], **row: Any) -> None:
    with transaction(sessions) as db:
        db.add(HandoffNotice(**row))


@dataclass(frozen=True)
class Target:
    conversation_id: str
    kind: str  # "handoff" | "message" | "edit"
    draft_id: str | None
    client_name: str


class SellerChat:
    """Updates from the seller's linked chat, acted on through `HandoffActions`."""

    def __init__(self, sessions: sessionmaker[Session], actions: HandoffActions) -> None:
        self.sessions = sessions
        self.actions = actions

    def target(self, persona_id: str, chat_id: int, reply_to: dict[str, Any] | None) -> Target | None:
        """The conversation a reply in the seller's chat is for: the notification it replies to."""
        mid = (reply_to or {}).get("message_id")
        if not isinstance(mid, int):
            return None
        with self.sessions() as db:
            notice = db.scalars(
                select(HandoffNotice).where(
                    HandoffNotice.persona_id == persona_id,
                    HandoffNotice.chat_id == chat_id,
                    HandoffNotice.message_id == mid,
                )
            ).first()
            if notice is None:
                return None
            conv = db.get(Conversation, notice.conversation_id)
            client = db.get(Client, conv.client_id) if conv is not None and conv.client_id else None
            return Target(notice.conversation_id, notice.kind, notice.draft_id, _client_name(client))

    async def on_reply(
        self,
        api: TelegramApi,
        *,
        user_id: str,
        chat_id: int,
        message_id: int,
        target: Target,
        text: str,
        audio_key: str | None = None,
    ) -> dict[str, Any]:
        """The seller answered a notification: their words go to the customer."""
        try:
            if target.kind == "edit":
                self.actions.send_draft(
                    user_id=user_id,
                    conversation_id=target.conversation_id,
                    draft_id=target.draft_id,
                    text=text,
                    by="telegram",
                )
                said = f"✓ Your edited answer is on its way to {target.client_name}."
            else:
                self.actions.reply(
                    user_id=user_id,
                    conversation_id=target.conversation_id,
                    text=text,
                    audio_key=audio_key,
                    by="telegram",
                )
                said = (
                    f"✓ On its way to {target.client_name}. The conversation is yours until you let me "
                    "answer."
                )
        except ActionError as exc:
            said = f"Not sent: {exc}."
            await api.send_message(chat_id, said, reply_to=message_id)
            return {"status": "done", "seller": "refused", "error": str(exc)}
        await api.send_message(chat_id, said, reply_to=message_id)
        return {"status": "done", "seller": "replied", "conversation_id": target.conversation_id}

    async def on_command(
        self, api: TelegramApi, *, persona_id: str, chat_id: int, command: str
    ) -> dict[str, Any]:
        if command == "/unlink":
            with transaction(self.sessions) as db:
                persona = db.get(Persona, persona_id)
                if persona is not None:
                    unlink(db, persona)
            await api.send_message(chat_id, "Unlinked: handoffs are no longer sent to this chat.")
            return {"status": "done", "seller": "unlinked"}
        await api.send_message(chat_id, SELLER_HELP)
        return {"status": "done", "seller": "help"}

    async def on_callback(
        self, api: TelegramApi, *, user_id: str, persona_id: str, callback: dict[str, Any]
    ) -> dict[str, Any]:
        """A tap on a notification's button."""
        cq_id = str(callback.get("id") or "")
        message = callback.get("message") or {}
        chat_id = (message.get("chat") or {}).get("id")
        m = CALLBACK.fullmatch(str(callback.get("data") or ""))
        if m is None or not isinstance(chat_id, int):
            await api.answer_callback_query(cq_id, "This button is no longer valid.")
            return {"status": "done", "seller": "unknown button"}
        action, conversation_id = m.groups()
        with self.sessions() as db:
            conv = db.get(Conversation, conversation_id)
            if conv is None or conv.persona_id != persona_id:
                conv = None
            client = db.get(Client, conv.client_id) if conv is not None and conv.client_id else None
            persona = db.get(Persona, persona_id)
            drafts = pending_drafts(db, conversation_id) if conv is not None else []
        if conv is None:
            await api.answer_callback_query(cq_id, "That conversation is gone.")
            return {"status": "done", "seller": "gone"}
        who, name = _client_name(client), persona.name if persona is not None else "The persona"
        remove = False
        try:
            if action == "send":
                self.actions.send_draft(user_id=user_id, conversation_id=conversation_id, by="telegram")
                toast, remove = f"Sent to {who}.", True
            elif action == "edit":
                if not drafts:
                    raise ActionError(409, "no draft is waiting any more")
                sent = await api.send_message(
                    chat_id,
                    f"Edit {name}'s draft and send it back as a reply to this message:\n\n"
                    + drafts[0].content,
                    force_reply="Your version of the answer",
                )
                _remember(
                    self.sessions,
                    user_id=user_id,
                    persona_id=persona_id,
                    conversation_id=conversation_id,
                    chat_id=chat_id,
                    message_id=sent,
                    kind="edit",
                    draft_id=drafts[0].id,
                )
                toast = "Reply to my message with your version."
            elif action == "claim":
                self.actions.claim(user_id=user_id, conversation_id=conversation_id, by="telegram")
                toast = f"You're answering {who}: reply to the notification."
            else:
                self.actions.release(user_id=user_id, conversation_id=conversation_id, by="telegram")
                toast, remove = f"{name} answers {who} again.", True
        except ActionError as exc:
            toast, remove = f"Not done: {exc}.", exc.status == 409
        await api.answer_callback_query(cq_id, toast)
        if remove and isinstance(message.get("message_id"), int):
            with contextlib.suppress(TelegramError):  # e.g. the buttons were removed already
                await api.edit_keyboard(chat_id, message["message_id"], None)
        return {"status": "done", "seller": action, "conversation_id": conversation_id}
