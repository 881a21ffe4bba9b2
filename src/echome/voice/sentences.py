"""A reply cut into sentences, so it can be shown and spoken one sentence at a time.

`text_pieces` keeps every character (joined again they are the reply exactly, line breaks and all),
for a chat that shows the reply as it arrives. `speech_sentences` gives what a voice says in turn:
trimmed, a fragment too short to be worth a request of its own joined to the next, and a long
sentence cut at a comma so the first sound is not held back by a long first sentence.
"""

from __future__ import annotations

import re

# A sentence ends at . ! ? or … (closing quotes and brackets stay with it) before a space, or at a
# line break.
_END = re.compile(r"[.!?\u2026]+[\"'\u2019\u201d)\]]*(?:[ \t]+|(?=\n)|$)|\n+")
_NEXT_STARTS = re.compile(r"[\s\"'\u2018\u201c(\[]*[A-Z0-9\u00c0-\u00de\u00bf\u00a1*\-\u2022]")
_LAST_WORD = re.compile(r"([^\W\d_]+)\.$")
# "e.g. the", "approx. 5 kg", "Dr. Rossi": a period that does not end the sentence.
ABBREVIATIONS = frozenset(
    {"e.g", "i.e", "eg", "ie", "mr", "mrs", "ms", "dr", "st", "no", "nr", "approx", "ca", "etc", "vs",
     "incl", "excl", "inc", "ltd", "co", "min", "max", "fig", "ref", "z.b", "bzw", "usw", "ggf"}
)  # fmt: skip
MIN_SPOKEN_CHARS = 12  # shorter fragments ("Hi!") are said together with the next sentence
MAX_SPOKEN_CHARS = 220  # about 15 seconds: longer sentences are cut at a comma


def _ends_sentence(text: str, end: int, match: re.Match[str]) -> bool:
    if match.group().startswith("\n"):
        return True
    rest = text[match.end() :]
    if rest and not _NEXT_STARTS.match(rest):  # "4.5 kg", "e.g. the": the next word is lower-case
        return False
    head = text[: match.start() + 1]
    word = _LAST_WORD.search(head)
    if word is not None and match.group().startswith(".") and not match.group().startswith(".."):
        token = word.group(1).lower()
        before = text[: word.start()]
        dotted = before.endswith(".") and re.search(r"(?:^|\s)(\w\.)+$", before)
        if token in ABBREVIATIONS or (len(token) == 1 and not dotted and word.group(1).isupper()):
            return False  # "Dr. Rossi", "J. Smith"
        if dotted and f"{before.split()[-1]}{token}".lower().rstrip(".") in ABBREVIATIONS:
            return False
    return True


def text_pieces(text: str) -> list[str]:
    """`text` in sentence-sized pieces whose concatenation is `text` itself."""
    pieces: list[str] = []
    start = 0
    for match in _END.finditer(text):
        if match.end() <= start or not _ends_sentence(text, match.end(), match):
            continue
        pieces.append(text[start : match.end()])
        start = match.end()
    if start < len(text):
        pieces.append(text[start:])
    # A piece of nothing but line breaks belongs to the piece before it.
    merged: list[str] = []
    for piece in pieces:
        if merged and not piece.strip():
            merged[-1] += piece
        else:
            merged.append(piece)
    return merged


def _cut_long(sentence: str, limit: int) -> list[str]:
    out: list[str] = []
    while len(sentence) > limit:
        window = sentence[:limit]
        cut = max(window.rfind(", "), window.rfind("; "), window.rfind(": "), window.rfind(" \u2013 "))
        if cut < limit // 4:
            cut = window.rfind(" ")
        if cut <= 0:
            cut = limit - 1
        out.append(sentence[: cut + 1].strip())
        sentence = sentence[cut + 1 :].strip()
    if sentence:
        out.append(sentence)
    return out


def speech_sentences(
    text: str, *, min_chars: int = MIN_SPOKEN_CHARS, max_chars: int = MAX_SPOKEN_CHARS
) -> list[str]:
    """What a voice says in turn: sentences of `text`, short ones joined, long ones cut."""
    out: list[str] = []
    carry = ""
    for piece in text_pieces(text):
        sentence = " ".join(f"{carry} {piece}".split())
        if not sentence:
            continue
        if len(sentence) < min_chars:
            carry = sentence
            continue
        carry = ""
        out.extend(_cut_long(sentence, max_chars))
    if carry:
        if out and len(out[-1]) + len(carry) < max_chars:
            out[-1] = f"{out[-1]} {carry}"
        else:
            out.append(carry)
    return out
