"""What of a reply is worth speaking. Lists, links and long tails read badly aloud: the voice note
speaks the prose, and the full text (lists, prices, links) travels as text beside it."""

from __future__ import annotations

import re

MAX_SPOKEN_CHARS = 600  # about 40 seconds of speech
_URL = re.compile(r"(?:https?://|www\.)\S+", re.I)
_LIST_LINE = re.compile(r"^\s*(?:[-*•]|\d+[.)])\s+")
_SENT_END = re.compile(r"(?<=[.!?])\s+")


def spoken_part(text: str) -> str:
    """The prose of a reply: no links, no list lines, no markdown, cut at a sentence end."""
    lines = [ln for ln in text.splitlines() if ln.strip()]
    prose = [ln for ln in lines if not _LIST_LINE.match(ln)]
    if not prose:  # a reply that is only a list: speak its items
        prose = [_LIST_LINE.sub("", ln) for ln in lines]
    # A line that only pointed at a link ("See https://...") says nothing once the link is gone.
    prose = [
        _URL.sub("", ln).strip()
        for ln in prose
        if not (_URL.search(ln) and len(_URL.sub("", ln).split()) < 3)
    ]
    out = " ".join(prose)
    out = re.sub(r"[*_`#>]+", "", out)
    out = re.sub(r"\s+([,.!?])", r"\1", " ".join(out.split()))
    if len(out) <= MAX_SPOKEN_CHARS:
        return out.strip()
    kept = ""
    for sent in _SENT_END.split(out):
        if len(kept) + len(sent) + 1 > MAX_SPOKEN_CHARS:
            break
        kept = f"{kept} {sent}".strip()
    return kept or out[:MAX_SPOKEN_CHARS].rsplit(" ", 1)[0]


def needs_text_beside(answer: str, spoken: str) -> bool:
    """Whether the voice note leaves something out that the customer should get as text."""
    return (
        bool(_URL.search(answer))
        or any(_LIST_LINE.match(ln) for ln in answer.splitlines())
        or (len(" ".join(answer.split())) > len(spoken) + 5)
    )
