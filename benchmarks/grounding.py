"""Grounding of answers on real customer questions. Prints JSON.

Catalog: the ePQA catalog (888 Amazon products) plus the three Shopify exports (60 products with
prices and variants), all for one seller. Questions: the first N ePQA questions that have a label-2
evidence, asked `bare` and `named` (product name + question), plus a price and a sizes question for
every Shopify product.

Figures:
- `unsupported_number_answers`: answers stating a number (digits or a number word) that appears
  nowhere in the seller's catalog (typed fields or any chunk). Target: 0.
- `with_label2_evidence`: answers that quote a label-2 (human-graded "answers it") evidence.
- Shopify: answers whose price equals the catalog's price for the product asked about (the amount,
  with or without a currency sign: the files state no currency and answers never guess one).
- `adversarial_llm`: a scripted "LLM" that rewrites each grounded answer with one invented price and
  one altered number; counts unsupported numbers before the guardrail (the baseline) and after it.
- `baseline_top_chunk`: the naive RAG reply (the top chunk verbatim) on the same retrieval, for the
  label-2 figure.
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import tempfile
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

from seller import bench_seller, ingest
from sqlalchemy import select

from echome.answer.guardrail import Support, claims_in, sentences
from echome.db.models import Product, ProductChunk
from echome.db.session import transaction
from echome.knowledge.evaluate import load_questions
from echome.providers.fakes import ScriptedChat

EVAL = Path(__file__).resolve().parents[2] / "shared" / "eval"
SHOPIFY = ("apparel.csv", "home-and-garden.csv", "jewelery.csv")
_ALNUM = re.compile(r"[^a-z0-9]+")


def flat(text: str) -> str:
    return _ALNUM.sub(" ", text.lower()).strip()


def catalog_support(services: Any, user_id: str) -> Support:
    """Every number, code and word anywhere in the seller's catalog."""
    s = Support()
    with transaction(services.sessions) as db:
        for text in db.scalars(select(ProductChunk.content).where(ProductChunk.user_id == user_id)):
            s.add_text(text)
        for p in db.scalars(select(Product).where(Product.user_id == user_id)):
            s.add_text(p.name)
            if p.price is not None:
                s.numbers.add(p.price)
            if p.stock is not None:
                s.numbers.add(Decimal(p.stock))
            for v in (p.attributes or {}).get("variants") or []:
                s.add_text(" ".join(str(x) for x in v.values() if x is not None and not isinstance(x, dict)))
    return s


def unsupported_numbers(answer: str, support: Support) -> list[str]:
    return [c.text for sent in sentences(answer) for c in claims_in(sent, support) if c.kind == "number"]


def quotes_label2(answer: str, evidence: list[tuple[str, int]]) -> bool:
    a = flat(answer)
    for text, label in evidence:
        if label != 2:
            continue
        e = flat(text)
        if e and e in a:
            return True
        for sent in sentences(answer):
            said = re.sub(
                r"^(?:\s*(?:one customer wrote:|a customer answered:|about the [^:]+:))+",
                "",
                sent,
                flags=re.I,
            )
            s = flat(said)
            if len(s) > 20 and s in e:
                return True
    return False


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--questions", type=int, default=200)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        services, uid, pid = bench_seller(Path(tmp))
        t = time.perf_counter()
        ingest(services, uid, [EVAL / "product-qa" / "catalog.csv", *(EVAL / "csv" / n for n in SHOPIFY)])
        ingest_s = time.perf_counter() - t
        support = catalog_support(services, uid)
        questions = load_questions(EVAL / "product-qa" / "questions.jsonl")[: args.questions]

        out: dict[str, Any] = {"questions": len(questions), "ingest_seconds": round(ingest_s, 1)}
        for form in ("bare", "named"):
            bad, label2, top_label2, latencies, words = 0, 0, 0, [], []
            examples: list[dict[str, Any]] = []
            for i, q in enumerate(questions):
                text, _ = q.query(form)
                t = time.perf_counter()
                a = services.answerer.answer(
                    user_id=uid,
                    persona_id=pid,
                    question=text,
                    channel="bench",
                    client_ref=f"{form}-{i}",
                )
                latencies.append(time.perf_counter() - t)
                words.append(len(a.answer.split()))
                nums = unsupported_numbers(a.answer, support)
                if nums:
                    bad += 1
                    examples.append({"qid": q.qid, "answer": a.answer, "numbers": nums})
                label2 += quotes_label2(a.answer, q.evidence)
                ev = services.answerer.finder.find(user_id=uid, persona_id=pid, question=text)
                top_label2 += bool(ev.results) and quotes_label2(ev.results[0].text, q.evidence)
            latencies.sort()
            out[form] = {
                "unsupported_number_answers": bad,
                "with_label2_evidence": label2,
                "baseline_top_chunk_with_label2": top_label2,
                "answer_words_mean": round(sum(words) / len(words), 1),
                "answer_p50_s": round(latencies[len(latencies) // 2], 3),
                "unsupported_examples": examples[:5],
            }

        shop_rows = {}
        for name in SHOPIFY:
            with (EVAL / "csv" / name).open(encoding="utf-8") as fh:
                for row in csv.DictReader(fh):
                    if row.get("Title") and row.get("Variant Price"):
                        shop_rows.setdefault(row["Title"], row["Variant Price"])
        right, asked, bad_shop = 0, 0, 0
        for title, price in shop_rows.items():
            for q in (f"How much is the {title}?", f"What sizes does the {title} come in?"):
                a = services.answerer.answer(
                    user_id=uid, persona_id=pid, question=q, channel="bench", client_ref=q
                )
                bad_shop += bool(unsupported_numbers(a.answer, support))
                if q.startswith("How much"):
                    asked += 1
                    # The Shopify files state no currency, and answers never guess one: the amount
                    # counts as stated with or without a "$" ("$40", "40", "42.99").
                    amount = f"{float(price):,.0f}" if float(price).is_integer() else f"{float(price):,.2f}"
                    said = re.search(rf"(?<![\d.,]){re.escape(amount)}(?![\d]|[.,]\d)", a.answer)
                    right += said is not None
        out["shopify"] = {
            "products": len(shop_rows),
            "answers": 2 * len(shop_rows),
            "unsupported_number_answers": bad_shop,
            "price_questions": asked,
            "price_correct": right,
        }

        # An LLM that invents: each draft = a grounded answer + an invented price + a changed number.
        before, after, answered = 0, 0, 0
        for i, q in enumerate(questions[:100]):
            grounded = services.answerer.answer(
                user_id=uid,
                persona_id=pid,
                question=q.question,
                channel="bench",
                client_ref=f"adv-{i}",
            ).answer
            lie = f"{grounded} Today it's only ${17 + i}.99, and {311 + i} customers bought it this week."
            notes = {"name": None, "preferences": [], "budget": None, "objections": [], "stage": "interested"}
            chat = ScriptedChat([lie, lie, json.dumps(notes)])
            before += bool(unsupported_numbers(lie, support))
            a = services.answerer.answer(
                user_id=uid, persona_id=pid, question=q.question, channel="bench",
                client_ref=f"adv2-{i}", chat=chat,
            )  # fmt: skip
            after += bool(unsupported_numbers(a.answer, support))
            answered += bool(a.answer.strip())
        out["adversarial_llm"] = {
            "drafts": 100,
            "baseline_unsupported_before_guardrail": before,
            "unsupported_after_guardrail": after,
            "non_empty_answers": answered,
        }
        print(json.dumps(out, indent=2))
        services.close()


if __name__ == "__main__":
    main()
