"""Time to the customer's first sentence with the seller's LLM: streamed vs whole, in one run.

The real OpenAI adapter talks to the fake OpenAI server (tests/servers), which writes at a model's
pace (`--token-ms` between pieces; gpt-4o-mini streams at about 50-100 tokens a second). The same
questions are answered by the same `Answerer` twice, alternately:
- streamed (`on_text`, what the web chat uses): the first sentence reaches the customer once the model
  has written it and the guardrail has checked it;
- whole (`model.complete`, what the Telegram path uses): nothing is shown until the reply is complete.
Prints JSON: p50 first text for both, the whole answer's time for both, and their ratio.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # the fake OpenAI server and the in-memory shop live with the tests

from tests.servers.fake_openai import FakeOpenAI  # noqa: E402
from tests.support.memory_shop import memory_shop  # noqa: E402

from echome.answer.pipeline import Answerer  # noqa: E402
from echome.providers.chat_openai import OpenAIChat  # noqa: E402
from echome.providers.fakes import FixedModels  # noqa: E402

CATALOG = b"""name,sku,price,stock,description
Copper Desk Lamp,LMP-2,79.00,14,Brushed copper desk lamp with a linen shade and a warm LED bulb.
Oak Armoire,ARM-1,899.00,2,Solid oak armoire with two doors and three drawers.
"""
# About 40 words, four sentences: the "40-word answer".
REPLY = (
    "The Copper Desk Lamp is $79.00 and we have 14 in stock. It is brushed copper with a linen shade. "
    "The warm LED bulb gives a soft light for reading at night. Would you like me to reserve one for you?"
)
NOTES = json.dumps({"name": None, "preferences": [], "budget": None, "objections": [], "stage": "interested"})


def one(answerer: Answerer, shop: Any, fake: FakeOpenAI, n: int, *, stream: bool) -> dict[str, float]:
    fake.reply(REPLY, NOTES)
    t0 = time.perf_counter()
    first: list[float] = []

    def shown(piece: str) -> None:
        if not first:
            first.append(time.perf_counter() - t0)

    out = answerer.answer(
        user_id=shop.user_id,
        persona_id=shop.persona_id,
        question="How much is the copper desk lamp?",
        channel="web",
        client_ref=f"bench:{n}",
        on_text=shown if stream else None,
    )
    total = time.perf_counter() - t0
    assert out.mode == "llm" and out.answer.startswith("The Copper Desk Lamp"), out.answer
    # The whole path shows its reply when the answer is complete (and the notes call after it is
    # not the customer's wait: timings["llm"] + retrieval is).
    done = out.timings.get("retrieve", 0.0) + out.timings.get("context", 0.0) + out.timings["llm"]
    return {"first_text": first[0] if first else done, "reply_written": done, "total": total}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--questions", type=int, default=10)
    ap.add_argument("--token-ms", type=float, default=20.0, help="milliseconds between streamed pieces")
    args = ap.parse_args()
    shop = memory_shop(CATALOG, profile={})
    with FakeOpenAI(token_seconds=args.token_ms / 1000) as fake:
        chat = OpenAIChat(fake.api_key, base_url=fake.base_url)
        answerer = Answerer(shop.sessions, shop.finder, FixedModels(chat=chat), None)
        one(answerer, shop, fake, -1, stream=False)  # warm-up: retrieval models, connections
        runs: dict[str, list[dict[str, float]]] = {"streamed": [], "whole": []}
        for n in range(args.questions):
            for mode in ("streamed", "whole") if n % 2 == 0 else ("whole", "streamed"):
                runs[mode].append(one(answerer, shop, fake, n, stream=mode == "streamed"))
        chat.close()

    def p50(mode: str, key: str) -> float:
        return round(statistics.median(r[key] for r in runs[mode]), 4)

    report = {
        "benchmark": "llm_stream",
        "questions": args.questions,
        "token_ms": args.token_ms,
        "reply_words": len(REPLY.split()),
        "streamed": {
            "first_text_p50_s": p50("streamed", "first_text"),
            "reply_p50_s": p50("streamed", "reply_written"),
        },
        "whole": {
            "first_text_p50_s": p50("whole", "first_text"),
            "reply_p50_s": p50("whole", "reply_written"),
        },
    }
    report["first_text_speedup"] = round(
        report["whole"]["first_text_p50_s"] / max(report["streamed"]["first_text_p50_s"], 1e-9), 2
    )
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
