"""Word error rate of each local Whisper model on the LibriVox clips, with real-time factor.

Scoring as `../shared/eval/speech/README.md` says: lower-case, strip punctuation, then
WER = (substitutions + deletions + insertions) / reference words, summed over all clips.
Usage: python benchmarks/stt_wer.py [--beam 1]  → JSON on stdout.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
import time
from pathlib import Path

from echome.providers.stt_whisper import MODELS, FasterWhisperSTT
from echome.speech.disfluency import edit_distance

LIBRIVOX = Path(__file__).resolve().parents[1].parent / "shared" / "eval" / "speech" / "librivox"


def words(text: str) -> list[str]:
    # Hyphens split words ("ill-disposed" = "ill disposed"), other punctuation is dropped.
    return re.sub(r"[^a-z0-9' ]+", " ", text.lower().replace("-", " ")).split()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--beam", type=int, nargs="+", default=[1, 5])
    args = ap.parse_args()
    clips = sorted(LIBRIVOX.glob("*.wav"))
    if not clips:
        sys.exit(f"no clips in {LIBRIVOX}")
    refs = {c: c.with_suffix(".txt").read_text() for c in clips}
    results = []
    with tempfile.TemporaryDirectory() as cache:
        for model in MODELS:
            for beam in args.beam:
                stt = FasterWhisperSTT(model, cache_dir=Path(cache), beam_size=beam)
                stt.transcribe(str(clips[0]))  # load the model outside the timing
                errors = total = 0
                audio = elapsed = 0.0
                per_clip = []
                for c in clips:
                    t = time.perf_counter()
                    tr = stt.transcribe(str(c))
                    elapsed += time.perf_counter() - t
                    audio += tr.duration
                    e, n = edit_distance(words(refs[c]), words(tr.text)), len(words(refs[c]))
                    errors, total = errors + e, total + n
                    per_clip.append({"clip": c.stem[-4:], "wer": round(e / n, 4), "hypothesis": tr.text})
                results.append(
                    {
                        "model": model,
                        "beam_size": beam,
                        "wer": round(errors / total, 4),
                        "errors": errors,
                        "reference_words": total,
                        "rtf": round(elapsed / audio, 3),
                        "clips": per_clip,
                    }
                )
                print(f"{model} beam={beam}: WER {errors / total:.3%}", file=sys.stderr)
    best = min(results, key=lambda r: r["wer"])
    print(
        json.dumps(
            {
                "target_wer": 0.03,
                "best": {k: best[k] for k in ("model", "beam_size", "wer")},
                "results": results,
            },
            indent=1,
        )
    )


if __name__ == "__main__":
    main()
