"""Calibration of "do we carry it?" (knowledge/coverage.py) on every catalog we have, from 5 to ~900
products and six domains: how often a question about something the shop sells would be declined
(false declines) and how often a question about something it does not sell would be answered (misses),
at the shipped threshold `MIN_COVER` and at others beside it.

In-catalog questions: the catalog's own question file (fact questions), ePQA's real shopper questions
for the ePQA catalog, and "Do you sell the X?" for its own products. Off-catalog questions: the
question file's off-catalog ones, "Do you sell the X?" for other shops' products whose names this
shop's text mostly lacks, and the other shops' fact questions that name their products.
The decision is the answer stage's own: a question naming a product (record lookup) is carried;
one naming none is carried when a single product holds `MIN_COVER` of its subject words, or (a
question that does not ask whether the shop has something) when it asks something of the one product
whose name's head it says ("Does the teapot work on induction?": `answer.evidence.asked_of_kind`)
and that the search ranks first (here: the product holding most of the subject's weight).
Usage: python benchmarks/offcatalog.py [--eval ../shared/eval]  → JSON on stdout.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from echome.answer.asks import asks_availability, subject_of
from echome.answer.evidence import not_carried, points_back_first
from echome.answer.kind_asked import asked_of_kind
from echome.answer.nearest_kind import NEAR_KIND, NearestKinds
from echome.answer.quality import load_questions
from echome.answer.record_questions import foreign_questions, own_name_questions
from echome.knowledge.chunk import chunk_product
from echome.knowledge.coverage import MIN_COVER, cover, holders, subject_words
from echome.knowledge.keyword import build_index
from echome.knowledge.lookup import ProductNames
from echome.knowledge.parse import parse_catalog
from echome.providers.embed_onnx import OnnxMiniLMEmbedder
from echome.providers.fakes import HashingEmbedder

THRESHOLDS = (0.3, 0.4, 0.5, MIN_COVER, 0.7, 0.8)  # for questions asking whether the shop has it
EXAMPLES = 8  # offers of the closest kind printed per catalog and side


def _index(products: list) -> tuple:
    emb = HashingEmbedder()
    ids, texts, meta = [], [], []
    for n, rec in enumerate(products):
        for c in chunk_product(rec, source="bench", count=emb.count_tokens, max_tokens=emb.max_tokens):
            ids.append(f"{n}-{len(ids)}")
            texts.append(c.keyword_text)
            meta.append({"product_id": str(n), "name": rec.name, "sku": rec.sku or "", "persona_id": ""})
    names = ProductNames((str(n), p.name, p.sku, None) for n, p in enumerate(products))
    return build_index(ids, texts, texts, meta), names


def _declined(question: str, index, names: ProductNames, threshold: float) -> bool:
    """The answer stage's decision (answer.evidence), with `threshold` in place of `MIN_COVER`."""
    if names.find(question).mentions or points_back_first(question):
        return False
    found = cover(index, subject_words(subject_of(question)), persona_id="")
    if found is None:
        return False
    if asks_availability(question):
        return found.share < threshold
    about = asked_of_kind(question, names, lambda _persona: True)  # taken when the search agrees:
    return not_carried(question, found, about=about if about == found.product_id else None)  # its best


def _offered(question: str, index, names: ProductNames, kinds: NearestKinds, products: list) -> list[str]:
    """The products a declined question is offered as the closest thing (names), or []."""
    subject = subject_words(subject_of(question))
    found = cover(index, subject, persona_id="")
    closest = kinds.closest(
        names,
        found,
        subject,
        question,
        sells=lambda _p: True,
        holders=lambda w: holders(index, [w], persona_id=""),
    )
    return [products[int(p)].name for p in closest.products] if closest else []


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--eval", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "eval")
    args = ap.parse_args()
    files = sorted((args.eval / "catalogs").glob("*.*")) + sorted((args.eval / "csv").glob("*.csv"))
    files = [f for f in files if f.suffix in (".csv", ".xlsx")] + [args.eval / "product-qa" / "catalog.csv"]
    catalogs = {f: parse_catalog(f.read_bytes(), f.name).products for f in files}
    asked: dict[Path, list] = {}
    for f in files:
        qfile = f.with_name(f.name.rsplit(".", 1)[0] + ".questions.jsonl")
        if f.parent.name == "product-qa":
            qs = [json.loads(line)["question"] for line in (f.parent / "questions.jsonl").open()]
            asked[f] = [(q, False) for q in qs]
        elif qfile.exists():
            asked[f] = [(q.question, q.offcatalog) for q in load_questions(qfile)]
        else:
            asked[f] = []
    report = []
    kinds = NearestKinds(OnnxMiniLMEmbedder())
    for f, products in catalogs.items():
        index, names = _index(products)
        others = [p for g, ps in catalogs.items() if g != f for p in ps]
        inside = [q for q, off in asked[f] if not off] + [q.question for q in own_name_questions(products)]
        outside = [q for q, off in asked[f] if off] + [
            q.question for q in foreign_questions(products, others)
        ]
        # other shops' fact questions name their own products (ePQA's are bare: their subject may be here)
        outside += [
            q
            for g, qs in asked.items()
            if g != f and g.parent.name != "product-qa"
            for q, off in qs
            if not off
        ]
        row = {
            "catalog": f.name,
            "products": len(products),
            "in_catalog": len(inside),
            "off_catalog": len(outside),
        }
        # Declined at the shipped threshold: how often the closest kind by meaning is offered instead
        # (answer/nearest_kind.py, the real local embedder), with examples to read.
        for side, questions in (("in", inside), ("off", outside)):
            declined = [q for q in questions if _declined(q, index, names, MIN_COVER)]
            offers = [(q, o) for q in declined if (o := _offered(q, index, names, kinds, products))]
            row[f"closest_offered_{side}"] = f"{len(offers)}/{len(declined)}"
            row[f"closest_examples_{side}"] = [f"{q} -> {', '.join(o)}" for q, o in offers[:EXAMPLES]]
        for t in THRESHOLDS:
            no_in = sum(_declined(q, index, names, t) for q in inside)
            no_out = sum(_declined(q, index, names, t) for q in outside)
            row[f"false_declines@{t}"] = round(no_in / max(len(inside), 1), 3)
            row[f"off_declined@{t}"] = round(no_out / max(len(outside), 1), 3)
        report.append(row)
    offered = {
        side: [sum(int(r[f"closest_offered_{side}"].split("/")[k]) for r in report) for k in (0, 1)]
        for side in ("in", "off")
    }
    total_in = sum(r["in_catalog"] for r in report)
    total_out = sum(r["off_catalog"] for r in report)
    summary = {
        "min_cover": MIN_COVER,
        "near_kind": NEAR_KIND,
        # of the questions declined at MIN_COVER, how many are offered the closest kind instead
        **{f"closest_offered_{side}": f"{a}/{b}" for side, (a, b) in offered.items()},
        **{
            f"false_declines@{t}": round(
                sum(r[f"false_declines@{t}"] * r["in_catalog"] for r in report) / total_in, 3
            )
            for t in THRESHOLDS
        },
        **{
            f"off_declined@{t}": round(
                sum(r[f"off_declined@{t}"] * r["off_catalog"] for r in report) / total_out, 3
            )
            for t in THRESHOLDS
        },
    }
    json.dump({"summary": summary, "catalogs": report}, sys.stdout, indent=2)
    print()


if __name__ == "__main__":
    main()
