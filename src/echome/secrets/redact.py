"""Last line of defence: scrub strings that look like credentials from text we store or log."""

from __future__ import annotations

import re

_PATTERNS = [
    re.compile(r"\b(sk|pk|rk|em|xi)[-_][A-Za-z0-9_\-]{16,}"),  # OpenAI/Anthropic/our tokens/ElevenLabs
    re.compile(r"\bbot\d{5,}:[A-Za-z0-9_\-]{20,}"),  # Telegram bot token in Bot API URLs
    re.compile(r"\b\d{5,}:[A-Za-z0-9_\-]{30,}"),  # bare Telegram token
    re.compile(
        r"(?i)(authorization|api[-_]?key|xi-api-key|password|secret|token)([\"']?\s*[:=]\s*[\"']?)[^\s\"',;]+"
    ),
]


def redact(text: str) -> str:
    for pattern in _PATTERNS[:3]:
        text = pattern.sub("[redacted]", text)
    return _PATTERNS[3].sub(lambda m: f"{m.group(1)}{m.group(2)}[redacted]", text)
