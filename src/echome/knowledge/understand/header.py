"""Which row holds the column headers, and which sheet of a workbook holds the products.

Sellers' files do not always start with the header: Amazon flat files open with template rows
(`TemplateType=fptcustom`, then a row of human labels), price lists with a title and a date. The
header is the row among the first HEADER_SEARCH_ROWS that reads best against the vocabulary; a
row that matches a platform's signature columns wins over one that only shares a few words."""

from __future__ import annotations

import re

from echome.knowledge.understand.layout import detect_platform
from echome.knowledge.understand.vocabulary import classify

HEADER_SEARCH_ROWS = 10
_NUMBER = re.compile(r"[-+]?[\d.,' ]*\d[%]?")
_PLATFORM_BONUS = 3.0


def header_score(cells: list[str]) -> float:
    """How much a row reads like a header: vocabulary names count 1, a word in a header 0.5."""
    filled = [c for c in cells if c.strip()]
    if len(filled) < 2 or any(len(c) > 200 for c in filled):
        return 0.0
    score = 0.0
    for i, cell in enumerate(cells):
        if not cell.strip():
            continue
        col = classify(i, cell)
        if col.pair or col.option:
            score += 1
        elif col.role != "fact" and col.note != "no header":
            score += 0.5 if col.rank >= 500 or col.note.startswith("a setting") else 1
    if detect_platform(cells)[0]:
        score += _PLATFORM_BONUS
    return score - sum(bool(_NUMBER.fullmatch(c.strip())) for c in filled)  # data, not headers


def find_header(rows: list[list[str]]) -> tuple[int, float]:
    """(index of the header row, its score). The first row unless a later one reads clearly better."""
    if not rows:
        return 0, 0.0
    scores = [header_score(r) for r in rows[:HEADER_SEARCH_ROWS]]
    best = max(range(len(scores)), key=lambda i: (scores[i], -i))
    if best > 0 and scores[best] >= 2 and scores[best] > scores[0]:
        return best, scores[best]
    return 0, scores[0]


def skipped_rows_warning(rows: list[list[str]], index: int) -> str:
    above = " | ".join(" ".join(c for c in r if c.strip())[:60] for r in rows[:index])
    return (
        f"the column headers are on row {index + 1}; the {index} row(s) above them were not read as "
        f"products ({above[:160]})"
    )
