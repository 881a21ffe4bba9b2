"""Word error rate, as speech tests score a transcript against what was said."""

from __future__ import annotations

import re


def words(text: str) -> list[str]:
    text = re.sub(r"\$(\d[\d,]*(?:\.\d+)?)", r"\1 dollars", text.lower()).replace(",", "")
    return re.findall(r"[a-z0-9']+", text)


def wer(reference: str, hypothesis: str) -> float:
    """(substitutions + deletions + insertions) / words in the reference."""
    r, h = words(reference), words(hypothesis)
    d = list(range(len(h) + 1))
    for i, rw in enumerate(r, 1):
        prev, d = d, [i] + [0] * len(h)
        for j, hw in enumerate(h, 1):
            d[j] = min(prev[j] + 1, d[j - 1] + 1, prev[j - 1] + (rw != hw))
    return d[-1] / max(1, len(r))
