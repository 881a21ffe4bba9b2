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
    "persona": Section(
        "Persona",
        "persona",
        "See how Echo Me understood the way you talk: every trait with the quotes it came from, "
        "playable at their moment in your recordings, your own changes beside them, and every "
        "earlier version to compare and restore.",
        "Meanwhile, the command line and the HTTP API (/api/personas/…/profile) show and edit it:",
        ("echome persona show NAME", 'echome persona override NAME greeting "Hey friend!"'),
    ),
    "voice": Section(
        "Voice",
        "voice",
        "Add recordings of yourself, give your consent, follow the voice being built, and hear your "
        "own clip beside your generated voice saying the same sentence.",
        "Meanwhile, the command line and the HTTP API (/api/personas/…/media, /voice) do it:",
        (
            "echome persona add-media NAME https://youtu.be/… --consent",
            'echome say NAME "Thanks!" -o out.ogg',
        ),
    ),
    "catalog": Section(
        "Catalog",
        "catalog",
        "Upload your product list, check how each column was understood before it is imported, "
        "then browse, search and filter your products and try questions against them.",
        "Meanwhile, the command line and the HTTP API (/api/products/upload) import catalogs:",
        ("echome catalog import products.csv --persona NAME", 'echome search "does it come in blue?"'),
    ),
    "conversations": Section(
        "Conversations",
        "conversations",
        "Every customer thread across your channels in one inbox, with voice notes you can play, "
        "the sources of each answer and what your persona learned about each customer.",
        "Meanwhile, the HTTP API lists your customers and their history (/api/clients).",
        (),
    ),
    "chat": Section(
        "Test chat",
        "chat",
        "Talk to your persona as a customer would: see the answer, the products it cited, what the "
        "safety check changed, and hear the voice note. Rate answers to improve them.",
        "Meanwhile, the command line and the HTTP API (/api/chat) answer test questions:",
        ('echome ask NAME "How much is the blue shirt?" --voice',),
    ),
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
