"""Sending an answer back to a Telegram chat: a voice note with the answer and its sources as the
caption (the full text beside it when the caption cannot hold it), or a text message. A voice note
that cannot be sent (the customer forbids voice messages, storage lost the file) falls back to text."""

from __future__ import annotations

import time
from typing import Any

from echome.channels.telegram.api import MAX_CAPTION, TelegramApi, TelegramError
from echome.storage.base import FileStorage


def caption_for(answer: str, citations: list[dict[str, Any]]) -> str:
    """The answer and where it came from, within Telegram's caption limit."""
    seen: list[str] = []
    for c in citations:
        name = c.get("name") or c.get("source") or ""
        if c.get("sku"):
            name += f" (SKU {c['sku']})"
        if c.get("page") is not None and c.get("source"):
            name += f", {c['source']} p. {c['page']}"
        if name and name not in seen:
            seen.append(name)
    sources = "\n".join(f"Source: {s}" for s in seen[:3])
    text = f"{answer}\n\n{sources}".strip() if sources else answer
    if len(text) <= MAX_CAPTION:
        return text
    room = MAX_CAPTION - len(sources) - 3
    short = answer[: max(0, room - 1)].rsplit(" ", 1)[0] + "…"
    return f"{short}\n\n{sources}".strip()[:MAX_CAPTION]


async def deliver(
    api: TelegramApi, storage: FileStorage, chat_id: int, reply: dict[str, Any]
) -> dict[str, Any]:
    """Send a reply made by the answer job (`text`, `caption`, optional `audio_key`)."""
    sent: dict[str, Any] = {
        "status": "done",
        "message_id": reply.get("message_id"),
        "timings": reply.get("timings"),
    }
    if reply.get("audio_key"):
        try:
            audio = storage.get(reply["audio_key"])
            caption = reply["caption"]
            sent["voice"] = await api.send_voice(
                chat_id, audio, caption=caption, duration=reply.get("duration")
            )
            sent["sent_voice_at"] = time.time()
            if reply.get("text_beside") or len(caption) < len(reply["text"]):
                sent["text"] = await api.send_message(chat_id, reply["text"])
            return sent
        except TelegramError as exc:
            if exc.kind in ("token", "blocked") or exc.transient:
                raise
            sent["voice_error"] = str(exc)  # e.g. voice messages forbidden by the user's privacy settings
        except Exception as exc:  # storage lost the file: the text still goes out
            sent["voice_error"] = str(exc)[:200]
    sent["text"] = await api.send_message(
        chat_id, reply["caption"] if len(reply["caption"]) <= 4096 else reply["text"]
    )
    return sent
