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


# Every section's page is built now; a new section would be listed here until its page lands.
SECTIONS: dict[str, Section] = {}
