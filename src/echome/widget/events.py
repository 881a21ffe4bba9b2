"""The web chat's server-sent events and the addresses of a reply's spoken sentences."""

from __future__ import annotations

import json
from typing import Any

from echome.widget.personas import PublicPersona


def sse(event: str, data: dict[str, Any]) -> bytes:
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False, default=str)}\n\n".encode()


def audio_url(persona: PublicPersona, reply_id: str, index: int) -> str:
    return f"/api/widget/{persona.ref}/audio/{reply_id}/{index}"


def sentence_key(reply_id: str, index: int) -> str:
    return f"{reply_id}:{index}"
