"""Update builders: the JSON a Telegram user's private-chat message arrives as, for
`FakeTelegram.push_update` (getUpdates) or for posting straight to a webhook.

    text_update("/start promo", chat_id=42, first_name="Ana", language_code="pt")
    voice_update(tg.add_file(ogg_bytes), duration=2)

Every builder takes the same keyword-only sender fields (`Sender`): chat_id, first_name, last_name,
username, language_code, update_id, message_id and date. Left out, update_id and message_id come
from process-wide counters (so updates built in order have increasing ids) and date is now.
"""

from __future__ import annotations

import hashlib
import itertools
import re
import time
from typing import Any, TypedDict, Unpack

from tests.servers.telegram_wire import utf16_len

DEFAULT_CHAT_ID = 111_222_333

_update_ids = itertools.count(700_000_001)
_message_ids = itertools.count(1001)


class Sender(TypedDict, total=False):
    """Who sent the message and the ids/date it carries (all optional, see `_message_update`)."""

    chat_id: int
    first_name: str
    last_name: str | None
    username: str | None
    language_code: str | None
    update_id: int | None
    message_id: int | None
    date: int | None


def unique_id_for(file_id: str) -> str:
    """The file_unique_id the fake pairs with `file_id` (stable, so builders and the fake agree)."""
    return "AgAD" + hashlib.sha1(file_id.encode()).hexdigest()[:12]


def _message_update(
    content: dict[str, Any],
    *,
    chat_id: int = DEFAULT_CHAT_ID,
    first_name: str = "Dana",
    last_name: str | None = None,
    username: str | None = None,
    language_code: str | None = "en",
    update_id: int | None = None,
    message_id: int | None = None,
    date: int | None = None,
) -> dict[str, Any]:
    """A "message" update in the private chat with user `chat_id`, carrying `content` (text, voice...)."""
    user: dict[str, Any] = {"id": chat_id, "is_bot": False, "first_name": first_name}
    chat: dict[str, Any] = {"id": chat_id, "first_name": first_name, "type": "private"}
    if last_name:
        user["last_name"] = chat["last_name"] = last_name
    if username:
        user["username"] = chat["username"] = username
    if language_code:
        user["language_code"] = language_code
    return {
        "update_id": update_id if update_id is not None else next(_update_ids),
        "message": {
            "message_id": message_id if message_id is not None else next(_message_ids),
            "from": user,
            "chat": chat,
            "date": date if date is not None else int(time.time()),
            **content,
        },
    }


def text_update(
    text: str, *, reply_to: dict[str, Any] | None = None, **sender: Unpack[Sender]
) -> dict[str, Any]:
    """A private-chat text message, with a bot_command entity when it starts with "/" (as Telegram
    sends it, and as python-telegram-bot's CommandHandler needs). `reply_to`: the message it answers
    (e.g. one the bot sent), quoted as Telegram quotes it."""
    content: dict[str, Any] = {"text": text}
    if reply_to is not None:
        content["reply_to_message"] = {k: v for k, v in reply_to.items() if k != "reply_to_message"}
    command = re.match(r"/[A-Za-z0-9_]+(@\w+)?", text)
    if command:
        content["entities"] = [{"type": "bot_command", "offset": 0, "length": utf16_len(command.group())}]
    return _message_update(content, **sender)


def voice_update(
    file_id: str,
    *,
    duration: int = 3,
    file_size: int | None = None,
    file_unique_id: str | None = None,
    mime_type: str = "audio/ogg",
    caption: str | None = None,
    reply_to: dict[str, Any] | None = None,
    **sender: Unpack[Sender],
) -> dict[str, Any]:
    """A private-chat voice note. `file_size` left out is filled in by `push_update` when the fake
    holds `file_id` (see `FakeTelegram.add_file`); `reply_to` as for `text_update`."""
    voice: dict[str, Any] = {
        "file_id": file_id,
        "file_unique_id": file_unique_id or unique_id_for(file_id),
        "duration": duration,
        "mime_type": mime_type,
    }
    if file_size is not None:
        voice["file_size"] = file_size
    content: dict[str, Any] = {"voice": voice}
    if caption:
        content["caption"] = caption
    if reply_to is not None:
        content["reply_to_message"] = {k: v for k, v in reply_to.items() if k != "reply_to_message"}
    return _message_update(content, **sender)


def photo_update(
    file_id: str,
    *,
    width: int = 1280,
    height: int = 960,
    file_size: int = 120_000,
    caption: str | None = None,
    **sender: Unpack[Sender],
) -> dict[str, Any]:
    """A private-chat photo: the usual ladder of PhotoSize objects, largest (`file_id`) last."""
    sizes = []
    for side, suffix in ((90, "-s"), (320, "-m"), (max(width, height), "")):
        scale = min(1.0, side / max(width, height))
        size_id = file_id + suffix
        sizes.append(
            {
                "file_id": size_id,
                "file_unique_id": unique_id_for(size_id),
                "file_size": max(1, int(file_size * scale * scale)),
                "width": max(1, round(width * scale)),
                "height": max(1, round(height * scale)),
            }
        )
    content: dict[str, Any] = {"photo": sizes}
    if caption:
        content["caption"] = caption
    return _message_update(content, **sender)


def sticker_update(
    file_id: str = "CAACAgIAAxkBAAIBZ2Zfake_sticker",
    *,
    emoji: str = "👍",
    set_name: str | None = "HotCherry",
    is_animated: bool = False,
    is_video: bool = False,
    **sender: Unpack[Sender],
) -> dict[str, Any]:
    """A private-chat sticker (a regular 512x512 WEBP one by default)."""
    sticker: dict[str, Any] = {
        "file_id": file_id,
        "file_unique_id": unique_id_for(file_id),
        "type": "regular",
        "width": 512,
        "height": 512,
        "is_animated": is_animated,
        "is_video": is_video,
        "emoji": emoji,
        "file_size": 24_000,
    }
    if set_name:
        sticker["set_name"] = set_name
    return _message_update({"sticker": sticker}, **sender)
