"""Fillers and backchannels in a transcript, and word error rate, for judging verbatim transcription.

The filler vocabulary is the usual one for English conversational speech (filled pauses and the
non-lexical backchannels of conversational transcription conventions), not words picked from any
evaluation file:

- filled pauses: uh, um, er, ah, eh, hmm, mm (and their spelling variants: umm, uhm, uhh, erm, hm, mmm)
- non-lexical backchannels and answers: mm-hmm (mhm), uh-huh, uh-uh, mm-mm, huh

Lexical words that are often used as fillers ("like", "you know", "so", "yeah", "oh") are not counted:
they are ordinary words in read speech too, so counting them says nothing about whether a transcriber
keeps disfluencies.

Text is compared as the evaluation data's README says: lower-cased, punctuation stripped. Two details
make that well defined for disfluent speech: a filler's spelling variants become one spelling
("Mhm" = "mm-hmm", "Umm" = "um"), and a hyphenated backchannel stays one word ("mm-hmm") while other
hyphens split words ("ill-disposed" = "ill disposed"; a false start "I-" = "i").
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

FILLED_PAUSES = frozenset({"uh", "um", "er", "ah", "eh", "hmm", "mm"})
BACKCHANNELS = frozenset({"mm-hmm", "uh-huh", "uh-uh", "mm-mm", "huh"})
FILLERS = FILLED_PAUSES | BACKCHANNELS

# Spelling variants → the canonical spelling above.
SPELLINGS = {
    "umm": "um",
    "ummm": "um",
    "uhm": "um",
    "uhh": "uh",
    "uhhh": "uh",
    "erm": "er",
    "ahh": "ah",
    "hm": "hmm",
    "hmmm": "hmm",
    "mmm": "mm",
    "mhm": "mm-hmm",
    "mmhmm": "mm-hmm",
    "mmhm": "mm-hmm",
    "mm-hm": "mm-hmm",
    "uhhuh": "uh-huh",
    "uh-hu": "uh-huh",
}
_TWO_WORD = {("mm", "hmm"): "mm-hmm", ("uh", "huh"): "uh-huh"}  # "Mm hmm" is one backchannel
_NOT_WORD = re.compile(r"[^a-z0-9'\- ]+")


def words(text: str) -> list[str]:
    """Lower-cased words without punctuation; filler spellings made canonical."""
    out: list[str] = []
    for raw in _NOT_WORD.sub(" ", text.lower().replace("\u2019", "'")).split():
        w = SPELLINGS.get(raw.strip("-'"), raw.strip("-'"))
        if not w:
            continue
        if w in FILLERS or "-" not in w:
            pieces = [w]
        else:
            pieces = [SPELLINGS.get(p, p) for p in w.split("-") if p.strip("'")]
        for piece in pieces:
            joined = _TWO_WORD.get((out[-1], piece)) if out else None
            if joined:
                out[-1] = joined
            else:
                out.append(piece)
    return out


def fillers(tokens: list[str]) -> Counter[str]:
    """Fillers among `words()` output, by spelling."""
    return Counter(t for t in tokens if t in FILLERS)


def count_fillers(text: str) -> int:
    return sum(fillers(words(text)).values())


def edit_distance(ref: list[str], hyp: list[str]) -> int:
    """Substitutions + deletions + insertions turning `ref` into `hyp` (Levenshtein over words)."""
    d = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        prev, d[0] = d[:], i
        for j, h in enumerate(hyp, 1):
            d[j] = min(prev[j] + 1, d[j - 1] + 1, prev[j - 1] + (r != h))
    return d[-1]


@dataclass(frozen=True)
class TranscriptScore:
    reference_words: int
    errors: int
    reference_fillers: int
    transcript_fillers: int
    kept_fillers: int  # reference fillers matched by the same filler in the transcript (by spelling)
    invented_fillers: int  # transcript fillers beyond the reference's count of that spelling

    @property
    def wer(self) -> float:
        return self.errors / self.reference_words if self.reference_words else 0.0


def score(reference: str, transcript: str) -> TranscriptScore:
    ref, hyp = words(reference), words(transcript)
    ref_f, hyp_f = fillers(ref), fillers(hyp)
    return TranscriptScore(
        reference_words=len(ref),
        errors=edit_distance(ref, hyp),
        reference_fillers=sum(ref_f.values()),
        transcript_fillers=sum(hyp_f.values()),
        kept_fillers=sum((ref_f & hyp_f).values()),
        invented_fillers=sum((hyp_f - ref_f).values()),
    )
