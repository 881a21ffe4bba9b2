"""The navigation's sections whose pages are not built yet: what each will do, and what a seller
can already do today without it (the HTTP API and the command line do all of it)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Section:
    title: str
    icon: str
    promise: str  # what the page will let a seller do
    today: str  # where it can be done meanwhile
    commands: tuple[str, ...]


SECTIONS: dict[str, Section] = {
    "channels": Section(
        "Channels",
        "channels",
        "Connect your Telegram bot (web chat and email come later) and see whether messages are arriving.",
        "Meanwhile, the command line connects a Telegram bot:",
        ("echome keys set telegram_bot_token --persona ID", "echome telegram info NAME"),
    ),
    "settings": Section(
        "Settings",
        "settings",
        "Your provider keys (stored encrypted, never shown again), API tokens, and deleting a "
        "persona or a catalog with all its files.",
        "Meanwhile, the command line and the HTTP API (/api/keys, /api/auth/tokens) manage them:",
        ("echome keys set openai", "echome tokens create"),
    ),
}
