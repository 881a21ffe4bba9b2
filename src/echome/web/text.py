"""Words for values shown on pages: how long ago, which browser on which system."""

from __future__ import annotations

from datetime import datetime

from echome.db.types import utcnow


def ago(when: datetime | None, now: datetime | None = None) -> str:
    if when is None:
        return "never"
    seconds = int(((now or utcnow()) - when).total_seconds())
    if seconds < 60:
        return "just now"
    if seconds < 3600:
        return f"{seconds // 60} min ago"
    if seconds < 86400:
        return f"{seconds // 3600} h ago"
    if seconds < 7 * 86400:
        days = seconds // 86400
        return "yesterday" if days == 1 else f"{days} days ago"
    return when.strftime("%d %b %Y")


# First match wins: Edge and Opera say "Chrome" too, Chrome says "Safari".
_BROWSERS = (
    ("Edg/", "Edge"),
    ("OPR/", "Opera"),
    ("Firefox/", "Firefox"),
    ("Chrome/", "Chrome"),
    ("Chromium/", "Chromium"),
    ("Safari/", "Safari"),
)
_SYSTEMS = (
    ("Android", "Android"),
    ("iPhone", "iPhone"),
    ("iPad", "iPad"),
    ("Windows", "Windows"),
    ("Mac OS X", "macOS"),
    ("CrOS", "ChromeOS"),
    ("Linux", "Linux"),
)


def device(user_agent: str | None) -> str:
    """ "Chrome on Windows" from a User-Agent header; "Unknown browser" when it says nothing usable."""
    ua = user_agent or ""
    browser = next((name for token, name in _BROWSERS if token in ua), None)
    system = next((name for token, name in _SYSTEMS if token in ua), None)
    if browser and system:
        return f"{browser} on {system}"
    if browser or system:
        return browser or f"A browser on {system}"
    return "Unknown browser" if not ua else ua[:40]
