"""Prices, units and decimals through the local voice and back: TTS (Piper, stock voice) → Whisper
base, for 100 sentences generated from a seeded random generator (several currencies and number
formats, decimals, units, ranges, percentages). A sentence passes when every number and currency
in it comes back (compared by value, `tests/support/spoken_values.py`). Spoken with `speakable`
and, the baseline in the same run, as written.
Usage: python benchmarks/speech_roundtrip.py [--sentences 100] [--seed 7] [--no-baseline]  → JSON on
stdout; --no-baseline skips the as-written pass (half the time, for iterating on `speakable`).
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

from echome.providers.stt_whisper import FasterWhisperSTT
from echome.speech import speakable
from echome.voice.local import LocalVoiceTTS

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "support"))
from spoken_values import Value, missing  # noqa: E402

PRODUCTS = ["lamp", "kettle", "backpack", "desk chair", "blender", "jacket", "speaker", "monitor"]
Item = tuple[str, list[Value]]


def _amount(rng: random.Random, *, cents: bool = True) -> tuple[int, int]:
    whole = rng.choice([rng.randint(1, 99), rng.randint(100, 999), rng.randint(1000, 2999)])
    return whole, (rng.choice([0, 0, 5, 50, 90, 99, rng.randint(1, 99)]) if cents else 0)


def _de(whole: int) -> str:
    return f"{whole:,}".replace(",", ".")


def price(rng: random.Random) -> Item:
    code = rng.choice(["USD", "USD", "USD", "EUR", "EUR", "EUR", "GBP", "JPY", "INR", "AUD", "CAD", "CHF"])
    w, c = _amount(rng, cents=code not in ("JPY", "INR"))
    cc = f"{c:02}"
    cents_shown = {  # each format, and whether it shows the cents
        "USD": [(f"${w}", False), (f"${w:,}.{cc}", True), (f"USD {w}", False), (f"{w}.{cc} USD", True)],
        "EUR": [
            (f"€{w}.{cc}", True),
            (f"{_de(w)},{cc} €", True),
            (f"€ {w}", False),
            (f"EUR {w:,}.{cc}", True),
        ],
        "GBP": [(f"£{w:,}.{cc}", True), (f"£{w}", False)],
        "JPY": [(f"¥{w * 10:,}", False)],
        "INR": [(f"₹{w:,}", False)],
        "AUD": [(f"A${w}", False)],
        "CAD": [(f"C${w}.{cc}", True)],
        "CHF": [(f"CHF {w}.{cc}", True)],
    }[code]
    written, shown = rng.choice(cents_shown)
    value = Decimal(w * 10 if code == "JPY" else w) + (Decimal(c) / 100 if shown else 0)
    return written, [(value, code)]


def price_range(rng: random.Random) -> Item:
    a = rng.randint(5, 40)
    b = a + rng.choice([5, 10, 20, 50])
    written, code = rng.choice([(f"${a}-{b}", "USD"), (f"€{a}\u2013{b}", "EUR"), (f"{a}-{b} €", "EUR")])
    return written, [(Decimal(a), code), (Decimal(b), code)]


def decimal_unit(rng: random.Random) -> Item:
    value = Decimal(rng.randint(5, 99)) / 10
    unit = rng.choice(["kg", "l", "cm", "lbs", '"'])
    comma = rng.random() < 0.25  # a European catalog's decimal comma
    number = str(value).replace(".", ",") if comma else str(value)
    return f"{number}{'' if unit == chr(34) else ' '}{unit}", [(value, None)]


def whole_unit(rng: random.Random) -> Item:
    unit, low, high = rng.choice([("mAh", 1000, 9000), ("W", 5, 2000), ("GB", 16, 512), ("fps", 24, 240),
                                  ("mm", 2, 900), ("km/h", 10, 120), ("°C", 2, 90)])  # fmt: skip
    n = rng.randint(low, high)
    return f"{n}{rng.choice(['', ' ']) if unit != 'km/h' else ' '}{unit}", [(Decimal(n), None)]


def kelvin(rng: random.Random) -> Item:
    a, b = rng.choice([2200, 2700, 3000]), rng.choice([4000, 5000, 6500])
    if rng.random() < 0.5:
        return f"{a}K", [(Decimal(a), None)]
    return f"{a}-{b} K", [(Decimal(a), None), (Decimal(b), None)]


def percent(rng: random.Random) -> Item:
    a = rng.choice([5, 10, 15, 20, 25, 30])
    if rng.random() < 0.5:
        return f"{a}%", [(Decimal(a), None)]
    b = a + rng.choice([5, 10, 20])
    return f"{a}\u2013{b}%", [(Decimal(a), None), (Decimal(b), None)]


TEMPLATES: list[tuple[str, str, list[Callable[[random.Random], Item]]]] = [
    ("price", "The {p} costs {0}.", [price]),
    ("price", "The {p} is now {0}, down from {1}.", [price, price]),
    ("price+unit", "The {p} is {0} and weighs {1}.", [price, decimal_unit]),
    ("price range", "Our {p}s run from {0}.", [price_range]),
    ("units", "It weighs {0} and the battery holds {1}.", [decimal_unit, whole_unit]),
    ("units", "The {p} is rated {0} and measures {1}.", [whole_unit, decimal_unit]),
    ("kelvin", "The {p} goes from warm to cool, {0}.", [kelvin]),
    ("percent", "Take {0} off the {p} this week.", [percent]),
    ("percent+price", "With {0} off, the {p} is {1}.", [percent, price]),
]


def generate(n: int, seed: int) -> list[tuple[str, str, list[Value]]]:
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        kind, template, parts = rng.choice(TEMPLATES)
        items = [make(rng) for make in parts]
        text = template.format(*(w for w, _ in items), p=rng.choice(PRODUCTS))
        out.append((kind, text, [v for _, vs in items for v in vs]))
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sentences", type=int, default=100)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--no-baseline", action="store_true", help="only the sentences spoken with speakable")
    args = ap.parse_args()
    sentences = generate(args.sentences, args.seed)
    tts = LocalVoiceTTS()
    with tempfile.TemporaryDirectory() as tmp:
        stt = FasterWhisperSTT("base", cache_dir=Path(tmp))
        wav = Path(tmp) / "say.wav"

        def hear(text: str, timing: dict[str, float]) -> str:
            t = time.perf_counter()
            wav.write_bytes(tts.synthesize(text).audio)
            timing["synthesize"] += time.perf_counter() - t
            t = time.perf_counter()
            heard = stt.transcribe(str(wav), language="en").text
            timing["transcribe"] += time.perf_counter() - t
            return heard

        hear("Warming up the voice and the recogniser.", defaultdict(float))
        results = {}
        passes: list[tuple[str, Callable[[str], str]]] = [("with_speakable", speakable)]
        if not args.no_baseline:
            passes.append(("without", lambda s: s))
        for name, prepare in passes:
            timing: dict[str, float] = defaultdict(float)
            passed, failures = 0, []
            by_kind: dict[str, list[int]] = defaultdict(lambda: [0, 0])
            for kind, text, expected in sentences:
                t = time.perf_counter()
                spoken = prepare(text)
                timing["normalise"] += time.perf_counter() - t
                heard = hear(spoken, timing)
                lost = missing(expected, heard)
                by_kind[kind][1] += 1
                if not lost:
                    passed += 1
                    by_kind[kind][0] += 1
                else:
                    failures.append(
                        {
                            "text": text,
                            "spoken": spoken,
                            "heard": heard,
                            "missing": [[str(v), c] for v, c in lost],
                        }
                    )
            results[name] = {
                "intact": round(passed / len(sentences), 3),
                "passed": passed,
                "by_kind": {k: round(p / n, 3) for k, (p, n) in sorted(by_kind.items())},
                # every failure with speakable (what was said, what came back); the baseline's first ten
                "failures": failures if name == "with_speakable" else failures[:10],
                "seconds": {k: round(v, 2) for k, v in timing.items()},
                "normalise_ms_per_sentence": round(1000 * timing["normalise"] / len(sentences), 3),
            }
            print(f"{name}: {passed}/{len(sentences)} intact", file=sys.stderr)
    print(
        json.dumps(
            {
                "sentences": len(sentences),
                "seed": args.seed,
                "voice": "piper:joe (stock)",
                "stt": "local:base, beam 1, language en",
                "target_intact": 0.95,
                **results,
            },
            indent=1,
            ensure_ascii=False,
        )
    )


if __name__ == "__main__":
    main()
