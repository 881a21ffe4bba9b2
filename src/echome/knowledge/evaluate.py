"""Retrieval scoring in the format of shared/eval/product-qa (see its README for the metrics).

A chunk "contains" an evidence when the normalised evidence is a substring of the chunk, or the
chunk (over 20 characters) is a substring of the evidence. Questions without a label-2 evidence
are not scored."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

_WS = re.compile(r"\s+")
FORMS = ("bare", "named", "scoped")


def norm(text: str) -> str:
    return _WS.sub(" ", text.lower()).strip()


@dataclass
class Question:
    qid: str
    question: str
    sku: str
    product_name: str
    evidence: list[tuple[str, int]]  # (normalised text, label)

    def query(self, form: str) -> tuple[str, str | None]:
        if form == "named":
            return f"{self.product_name} {self.question}", None
        if form == "scoped":
            return self.question, self.sku
        return self.question, None


def load_questions(path: Path) -> list[Question]:
    out = []
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            if not line.strip():
                continue
            q = json.loads(line)
            ev = [(norm(e["text"]), int(e["label"])) for e in q.get("evidence", []) if e.get("text")]
            if any(label == 2 for _, label in ev):
                out.append(Question(str(q["qid"]), q["question"], q["sku"], q.get("product_name", ""), ev))
    return out


def chunk_gain(chunk: str, evidence: Sequence[tuple[str, int]]) -> int:
    c = norm(chunk)
    best = 0
    for text, label in evidence:
        if label > best and (text in c or (len(c) > 20 and c in text)):
            best = label
    return best


def score_ranking(texts: Sequence[str], q: Question) -> dict[str, float]:
    gains = [chunk_gain(t, q.evidence) for t in texts[:10]]
    out: dict[str, float] = {}
    for budget in (1000, 2500):
        used, hit = 0, 0.0
        for t, g in zip(texts, gains, strict=False):
            used += len(t)
            if used > budget:
                break
            if g == 2:
                hit = 1.0
                break
        out[f"ctx@{budget}"] = hit
    out["hit@5"] = float(any(g == 2 for g in gains[:5]))
    first = next((i for i, g in enumerate(gains) if g == 2), None)
    out["mrr@10"] = 0.0 if first is None else 1.0 / (first + 1)
    dcg = sum(g / math.log2(i + 2) for i, g in enumerate(gains[:5]))
    ideal = sorted((label for _, label in q.evidence), reverse=True)[:5]
    idcg = sum(g / math.log2(i + 2) for i, g in enumerate(ideal))
    out["ndcg@5"] = dcg / idcg if idcg else 0.0
    return out


def evaluate(
    questions: Sequence[Question],
    search: Callable[[str, str | None], list[str]],
    *,
    forms: Sequence[str] = FORMS,
) -> dict[str, dict[str, float]]:
    """`search(query, sku)` returns ranked chunk texts; returns {form: {metric: mean}}."""
    result: dict[str, dict[str, float]] = {}
    for form in forms:
        totals: dict[str, float] = {}
        for q in questions:
            query, sku = q.query(form)
            for k, v in score_ranking(search(query, sku), q).items():
                totals[k] = totals.get(k, 0.0) + v
        result[form] = {k: round(v / max(len(questions), 1), 4) for k, v in totals.items()}
    return result


def compare(system: dict[str, dict[str, float]], baseline: dict[str, dict[str, float]]) -> dict[str, Any]:
    return {
        form: {
            metric: {"value": v, "baseline": baseline.get(form, {}).get(metric)}
            for metric, v in metrics.items()
        }
        for form, metrics in system.items()
    }
