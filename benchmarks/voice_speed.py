"""The local voice's speed: stock Piper against the seller-shaped voice on the same text. Prints JSON.

On ANSWERS (~40-word seller-like replies with prices and product names), alternating in one process,
`--repeat` rounds of, per answer:

  piper     Piper as the library runs it: `PiperVoice.synthesize(text)`, one sentence after another
            (the baseline of issue 16's "seller-shaped synthesis <= 1.3x stock Piper")
  stock     `LocalVoiceTTS.render(text, {})`: the product's stock voice, its sentences said side by
            side on the voice pool (a thread per core)
  seller    `LocalVoiceTTS.render(text, settings)`: the voice cloned with `LocalVoiceCloner` from the
            first `--clips` clips of a LibriSpeech speaker (../shared/eval/speech/speakers/<id>/),
            reshaped with WORLD (in parallel with Piper, as the product does)
  note      the whole voice-note path: `PreparedVoice.say(text, fmt="ogg")` in the seller's voice
            (spoken text, synthesis, WAV decode, OGG/Opus encoding), as a Telegram reply is made

Figures: `seconds` sums over every answer and round (wall time; `median_per_answer` beside it), and
`seller_over_piper`, `seller_over_stock`, `note_over_piper`, `note_over_stock` their ratios. The
stock voice got the same sentence parallelism as the seller's, so `seller_over_stock` measures what
WORLD's reshaping adds on the same cores, and `seller_over_piper` the whole voice against plain Piper.
`audio_seconds` is the length of the speech.

`stages` is a serial pass over the same answers (nothing in parallel, one round): seconds spent in
Piper, in WORLD's F0 tracking (Harvest, or DIO + StoneMask), spectral envelope (CheapTrick),
aperiodicity (D4C), WORLD synthesis, the rest of the reshaping (numpy: pitch shift, warp, EQ,
envelope matching), and OGG/Opus encoding of the result. The WORLD calls are timed by wrapping
pyworld's functions, so the split holds for any arrangement of `world.transform`.

  python benchmarks/voice_speed.py [--speaker 367] [--clips 5] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pyworld

from echome.media.audio import encode
from echome.voice import local, world
from echome.voice.local import LocalVoiceCloner, LocalVoiceTTS
from echome.voice.speaker import PreparedVoice

SPEAKERS = Path(__file__).resolve().parents[1].parent / "shared" / "eval" / "speech" / "speakers"
ANSWERS = (
    "Yes, the Harbor canvas tote is in stock in navy and sand. It costs 49 dollars 90, holds a "
    "fifteen inch laptop, and ships within two working days. If you order before noon it leaves today.",
    "The Alpine down jacket is 189 euros. It packs into its own pocket and is rated to minus ten "
    "degrees. Most customers take their usual size, but go one up if you wear thick sweaters under it.",
    "Good question! The ceramic pour over set includes the dripper, a 600 millilitre carafe and forty "
    "paper filters, all for 34 pounds. Replacement filters are 6 pounds 50 for a pack of one hundred.",
    "Our Linen Classic shirt comes in white, sage and sky blue, sizes small to double extra large. It "
    "is 59 dollars, or two for 100 dollars this week. Washing it cold keeps the colour bright.",
    "The Nova wireless earbuds last about eight hours per charge, and the case adds another twenty. "
    "They cost 79 dollars 99 and come with a one year warranty. Returns are free within thirty days.",
    "Sorry, the walnut serving board in the large size is sold out until March. The medium one is "
    "still available at 42 euros, and I can let you know as soon as the large is back in stock.",
    "The Trail Runner 3 shoes weigh 280 grams each and have a four millimetre drop. They are 129 "
    "dollars. People with wide feet usually prefer the wide version, which costs the same.",
    "Shipping to Canada takes five to seven days and costs 12 dollars, free on orders over 150. You "
    "will get a tracking link by email, and customs fees are already included in the price.",
    "The Sunrise scented candle burns for about fifty hours. It is made from soy wax with cotton "
    "wicks and costs 24 dollars. The lavender and cedar versions are the most popular this month.",
    "Yes, the Oslo desk lamp has a dimmer and a warm light setting. It costs 64 euros 50, the bulb "
    "is included, and the arm reaches forty five centimetres. It comes in black, white and brass.",
)
WORLD_STAGES = {
    "harvest": "f0",
    "dio": "f0",
    "stonemask": "f0",
    "cheaptrick": "envelope",
    "d4c": "aperiodicity",
    "synthesize": "world_synthesis",
}


def _timed(seconds: dict[str, float], stage: str, fn: Callable[..., Any]) -> Callable[..., Any]:
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        t0 = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            seconds[stage] += time.perf_counter() - t0

    return wrapped


def stage_pass(settings: dict[str, Any]) -> dict[str, float]:
    """Seconds per stage over ANSWERS, one sentence piece at a time (see the module docstring)."""
    seconds: dict[str, float] = defaultdict(float)
    originals = {name: getattr(pyworld, name) for name in WORLD_STAGES}
    for name, stage in WORLD_STAGES.items():
        setattr(pyworld, name, _timed(seconds, stage, originals[name]))
    tts = LocalVoiceTTS()
    scale = float(settings.get("length_scale") or 1.0)
    try:
        for text in ANSWERS:
            t0 = time.perf_counter()
            said = local.respell(text, tts.languages)
            sentences = list(local.piper_sentences(said, length_scale=scale))
            seconds["piper"] += time.perf_counter() - t0
            t0 = time.perf_counter()
            outs = [
                world.transform(p, sr, settings)
                for wav, sr in sentences
                for p in local.split_at_pauses(wav, sr)
            ]
            seconds["transform"] += time.perf_counter() - t0
            t0 = time.perf_counter()
            encode(np.concatenate(outs), sentences[0][1], codec="opus")
            seconds["encode"] += time.perf_counter() - t0
    finally:
        for name, fn in originals.items():
            setattr(pyworld, name, fn)
    world_calls = sum(seconds[s] for s in set(WORLD_STAGES.values()))
    seconds["reshape"] = seconds.pop("transform") - world_calls
    order = ("piper", "f0", "envelope", "aperiodicity", "reshape", "world_synthesis", "encode")
    return {k: round(seconds.get(k, 0.0), 3) for k in order}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--speaker", default="367", help="LibriSpeech speaker id to clone (default 367)")
    parser.add_argument("--clips", type=int, default=5, help="clips the voice is cloned from")
    parser.add_argument("--repeat", type=int, default=3, help="alternating rounds")
    args = parser.parse_args()
    clips = sorted((SPEAKERS / args.speaker).glob("*.flac"))[: args.clips]
    if not clips:
        sys.exit(f"error: no clips for speaker {args.speaker} in {SPEAKERS}")

    t0 = time.perf_counter()
    voice = LocalVoiceCloner().clone(name=args.speaker, samples=[str(p) for p in clips])
    clone_s = time.perf_counter() - t0
    settings = voice.settings
    tts = LocalVoiceTTS()
    note_voice = PreparedVoice(
        tts=tts, provider="local", voice_id=local.STOCK_VOICE_ID, settings=settings, language="en"
    )
    tts.render("Warming up.", {})  # loads the Piper model outside the timings
    tts.render("Warming up.", settings)

    piper = local.load_piper()
    times: dict[str, list[float]] = {"piper": [], "stock": [], "seller": [], "note": []}
    audio_s = {"stock": 0.0, "seller": 0.0}
    for _ in range(args.repeat):
        for text in ANSWERS:
            for mode in ("piper", "stock", "seller", "note"):
                t0 = time.perf_counter()
                if mode == "note":
                    note_voice.say(text, fmt="ogg")
                elif mode == "piper":
                    [chunk.audio_float_array for chunk in piper.synthesize(text)]
                else:
                    wav, sr = tts.render(text, {} if mode == "stock" else settings)
                    audio_s[mode] += wav.size / sr
                times[mode].append(time.perf_counter() - t0)

    total = {k: round(sum(v), 3) for k, v in times.items()}
    print(
        json.dumps(
            {
                "answers": len(ANSWERS),
                "words_per_answer": round(statistics.mean(len(a.split()) for a in ANSWERS), 1),
                "repeat": args.repeat,
                "speaker": args.speaker,
                "clone_seconds": round(clone_s, 2),
                "seconds": total,
                "median_per_answer": {k: round(statistics.median(v), 3) for k, v in times.items()},
                "audio_seconds": {k: round(v / args.repeat, 2) for k, v in audio_s.items()},
                "seller_over_piper": round(total["seller"] / total["piper"], 3),
                "note_over_piper": round(total["note"] / total["piper"], 3),
                "seller_over_stock": round(total["seller"] / total["stock"], 3),
                "note_over_stock": round(total["note"] / total["stock"], 3),
                "stages": stage_pass(settings),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
