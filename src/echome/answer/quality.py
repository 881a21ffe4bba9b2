"""Answer quality on a catalog and its shopper questions (`echome eval answers`).

Questions are JSON lines: `{"question", "expect_all": [[any-of], ...]}` — every inner list is one fact
a correct answer states (case-insensitive substring) — or `{"question", "offcatalog": true}` — the
shop does not sell it. An answer is correct when it states every expected fact and no number absent
from the catalog file and the question; an off-catalog answer declines and states no number.
"""

from __future__ import annotations

import io
import json
import re
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from echome.answer.phrase_tables import TABLES

# "1,299.99", "1.299,99", "59,99", "37.5", "2700": every reading of a written number.
_NUMBER = re.compile(r"(?<![\w.,])\d{1,3}(?:[.,\u00a0\u202f']\d{3})+(?:[.,]\d+)?(?![\d])|\d+(?:[.,]\d+)?")
# How an answer says it does not have something (our composer's words and an LLM's usual ones).
_DECLINE = re.compile(
    r"\b(?:don'?t|do not|doesn'?t|does not|can'?t|cannot|couldn'?t|could not)\s+"
    r"(?:have|carry|sell|stock|offer|find|see)\b"
    r"|\bnot (?:in|part of) (?:my|our|the) (?:catalog|range|shop|store)"
    r"|\bno (?:such|matching) product|\bnot something (?:I|we) (?:sell|carry)"
    r"|\b(?:führen|haben|verkaufen) (?:wir|ich) (?:leider )?(?:nicht|kein)",
    re.I,
)


# The composer's own ways of declining, in every reply language (the fixed part of each sentence).
_OUR_DECLINES = tuple(
    text.split("{")[0].strip()
    for table in TABLES.values()
    for text in (table.no_catalog, table.not_carried, table.no_policy, table.no_detail, table.closest)
    if len(text.split("{")[0].strip()) >= 12
)


@dataclass
class Question:
    question: str
    expect_all: list[list[str]] = field(default_factory=list)
    offcatalog: bool = False
    kind: str = ""  # what a generated question tests ("price", "stock", "options", "foreign"...)


def load_questions(path: Path) -> list[Question]:
    out = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            out.append(
                Question(
                    question=str(row["question"]),
                    expect_all=[[str(x) for x in group] for group in row.get("expect_all") or []],
                    offcatalog=bool(row.get("offcatalog")),
                )
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise ValueError(f"{path.name} line {n}: {exc}") from None
    return out


def number_values(text: str) -> set[Decimal]:
    """Every value a written number in `text` may mean: "1.299" is 1299 or 1.299, "59,99" is 59.99."""
    out: set[Decimal] = set()
    for m in _NUMBER.finditer(text):
        raw = re.sub(r"[\u00a0\u202f']", "", m.group())
        readings = {raw.replace(",", ""), raw.replace(".", "").replace(",", "."), raw.replace(",", ".")}
        for r in readings:
            if r.count(".") > 1:
                continue
            try:
                out.add(Decimal(r).normalize())
            except InvalidOperation:
                continue
    return out


def catalog_numbers(text: str) -> set[Decimal]:
    """Values of the numbers in a catalog file. A comma may be a decimal mark ("59,99" in a
    semicolon file) or a field delimiter ("DR-1,89.00,12"): both readings count."""
    return number_values(text) | number_values(re.sub(r"[,;|\t]", " ", text))


def catalog_text(path: Path) -> str:
    """The catalog file as text, for checking which numbers it holds (XLSX: its cell strings)."""
    data = path.read_bytes()
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            return " ".join(
                z.read(n).decode("utf-8", "replace")
                for n in z.namelist()
                if n.startswith("xl/") and n.endswith(".xml")
            )
    return data.decode("utf-8", "replace") if _is_utf8(data) else data.decode("cp1252", "replace")


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


@dataclass
class Scored:
    question: str
    answer: str
    offcatalog: bool
    missing: list[list[str]]
    invented: list[str]
    declined: bool
    correct: bool
    mode: str = ""

    def as_dict(self) -> dict[str, Any]:
        return self.__dict__.copy()


def score(q: Question, answer: str, *, known: set[Decimal], mode: str = "") -> Scored:
    """Judge one answer. `known`: the values of every number in the catalog file."""
    low = answer.lower()
    asked = number_values(q.question)
    invented = [
        m.group() for m in _NUMBER.finditer(answer) if not (number_values(m.group()) & (known | asked))
    ]
    declined = (
        mode == "no-evidence" or bool(_DECLINE.search(answer)) or any(d in answer for d in _OUR_DECLINES)
    )
    if q.offcatalog:
        said_numbers = [m.group() for m in _NUMBER.finditer(answer) if not (number_values(m.group()) & asked)]
        return Scored(
            q.question, answer, True, [], said_numbers, declined, declined and not said_numbers, mode
        )
    missing = [group for group in q.expect_all if not any(alt.lower() in low for alt in group)]
    correct = not missing and not invented and not declined
    return Scored(q.question, answer, False, missing, invented, declined, correct, mode)


def summarise(scored: list[Scored]) -> dict[str, Any]:
    facts = [s for s in scored if not s.offcatalog]
    off = [s for s in scored if s.offcatalog]
    return {
        "questions": len(scored),
        "fact_questions": len(facts),
        "fact_correct": sum(s.correct for s in facts),
        "offcatalog_questions": len(off),
        "offcatalog_declined": sum(s.correct for s in off),
        "answers_with_invented_numbers": sum(bool(s.invented) for s in facts),
        "fact_questions_declined": sum(s.declined for s in facts),
    }


def run_answer_eval(
    catalog: Path,
    questions: Path | list[Question],
    *,
    ingest: Callable[[bytes, str], dict[str, Any]],
    ask: Callable[[str, str], Any],
    say: Callable[[str], None] = lambda _m: None,
) -> dict[str, Any]:
    """Import `catalog` with `ingest(data, filename)` (returns its import report), ask every question
    with `ask(question, client_ref)` (returns an `Answer`), and score the answers."""
    qs = load_questions(questions) if isinstance(questions, Path) else questions
    say(f"importing {catalog.name}")
    t = time.perf_counter()
    report = ingest(catalog.read_bytes(), catalog.name)
    ingest_s = time.perf_counter() - t
    known = catalog_numbers(catalog_text(catalog))
    say(f"asking {len(qs)} questions")
    scored: list[Scored] = []
    latencies: list[float] = []
    for i, q in enumerate(qs):
        t = time.perf_counter()
        a = ask(q.question, f"eval-{i}")
        latencies.append(time.perf_counter() - t)
        scored.append(score(q, a.answer, known=known, mode=a.mode))
    latencies.sort()
    return {
        "catalog": catalog.name,
        "products": report.get("products"),
        "import_warnings": (report.get("warnings") or [])[:10],
        "ingest_seconds": round(ingest_s, 2),
        "answer_p50_ms": round(1000 * latencies[len(latencies) // 2], 1) if latencies else None,
        **summarise(scored),
        **({"by_kind": _by_kind(scored, qs)} if any(q.kind for q in qs) else {}),
        "answers": [s.as_dict() for s in scored],
    }


def _by_kind(scored: list[Scored], questions: list[Question]) -> dict[str, dict[str, int]]:
    out: dict[str, dict[str, int]] = {}
    for s, q in zip(scored, questions, strict=True):
        row = out.setdefault(q.kind or "other", {"questions": 0, "correct": 0, "declined": 0})
        row["questions"] += 1
        row["correct"] += int(s.correct)
        row["declined"] += int(s.declined)
    return out
