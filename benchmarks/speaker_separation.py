"""How well each speaker embedder tells voices apart, on real speech. Prints JSON.

Data: LibriSpeech test-other, 6 readers x 10 clips (shared/eval/speech/speakers).
- verification: cosine similarity of same-speaker vs different-speaker pairs, over whole clips and over
  2-second windows (what diarization embeds), with the equal error rate (EER) and its threshold;
- diarization: for every ordered pair of readers (A, B), A's 6 clips and B's 3 in turns A B A A B A A B A
  with 0.3-0.7 s pauses, labelled by echome.media.speakers.assign_speakers. "clips": one segment per
  clip; "words": made-up word times and every B turn glued to the next A turn in one segment, so the
  change has to be found inside it. Accuracy = share of 0.1 s steps where "S1" <=> A. Also each reader
  alone (must be one speaker), and the same with noise 20 dB below the speech (`--noise`).

Run from the repository root: `python benchmarks/speaker_separation.py [--embedders mfcc,resemblyzer]`.
Resemblyzer is measured only where torch and resemblyzer are installed.
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import json
import time
from pathlib import Path
from typing import Any

import numpy as np
import scipy.signal

from echome.media.audio import load_audio
from echome.media.speakers import assign_speakers
from echome.providers.base import MissingDependency, Segment, SpeakerEmbedder, Word

SPEAKERS = Path(__file__).resolve().parents[2] / "shared" / "eval" / "speech" / "speakers"
SR = 16_000
PATTERN = "ABAABAABA"


class Cached:
    """Embeds each distinct stretch of audio once (the same windows recur across runs)."""

    def __init__(self, inner: SpeakerEmbedder) -> None:
        self.inner, self.name, self.dim = inner, inner.name, inner.dim
        self.min_separation = getattr(inner, "min_separation", None)
        if hasattr(inner, "window_seconds"):  # the probes that place a turn inside a segment
            self.window_seconds = inner.window_seconds
        self.memo: dict[str, np.ndarray] = {}
        self.seconds = 0.0
        self.audio = 0.0

    def embed(self, wav: np.ndarray, sample_rate: int) -> np.ndarray:
        key = hashlib.blake2b(np.ascontiguousarray(wav).tobytes(), digest_size=16).hexdigest()
        if key not in self.memo:
            t = time.perf_counter()
            self.memo[key] = self.inner.embed(wav, sample_rate)
            self.seconds += time.perf_counter() - t
            self.audio += wav.size / sample_rate
        return self.memo[key]

    def embed_many(self, wavs: list[np.ndarray], sample_rate: int) -> np.ndarray:
        """Batches the stretches not seen yet, as the media job does with an embedder that batches."""
        keys = [hashlib.blake2b(np.ascontiguousarray(w).tobytes(), digest_size=16).hexdigest() for w in wavs]
        todo = {k: w for k, w in zip(keys, wavs, strict=True) if k not in self.memo}
        if todo:
            t = time.perf_counter()
            many = getattr(self.inner, "embed_many", None)
            stretches = list(todo.values())
            fresh = (
                many(stretches, sample_rate)
                if many
                else [self.inner.embed(w, sample_rate) for w in stretches]
            )
            self.seconds += time.perf_counter() - t
            self.audio += sum(w.size for w in todo.values()) / sample_rate
            self.memo.update(zip(todo, fresh, strict=True))
        return np.stack([self.memo[k] for k in keys])


def make(name: str) -> SpeakerEmbedder | None:
    if name == "mfcc":
        from echome.providers.speaker_mfcc import MfccSpeakerEmbedder

        return MfccSpeakerEmbedder()
    if name == "ge2e":
        from echome.providers.speaker_ge2e import GE2ESpeakerEmbedder

        try:
            return GE2ESpeakerEmbedder()
        except MissingDependency:
            return None
    try:
        from echome.providers.speaker_resemblyzer import ResemblyzerSpeakerEmbedder

        return ResemblyzerSpeakerEmbedder()
    except MissingDependency:
        return None


def eer(same: np.ndarray, diff: np.ndarray) -> tuple[float, float]:
    """(equal error rate, threshold) for "same speaker if cosine >= threshold"."""
    best = (1.0, 0.0, 0.0)
    for t in np.unique(np.concatenate([same, diff])):
        miss, false = float(np.mean(same < t)), float(np.mean(diff >= t))
        if abs(miss - false) < best[0]:
            best = (abs(miss - false), (miss + false) / 2, float(t))
    return best[1], best[2]


def verification(emb: SpeakerEmbedder, clips: dict[str, list[np.ndarray]], window: float | None) -> dict:
    vecs, who, clip_of = [], [], []
    for spk, ws in clips.items():
        for ci, w in enumerate(ws):
            pieces = (
                [w]
                if window is None
                else [w[i : i + int(window * SR)] for i in range(0, w.size, int(window * SR))]
            )
            for p in pieces:
                if p.size >= int((window or 0) * SR):
                    vecs.append(emb.embed(p, SR))
                    who.append(spk)
                    clip_of.append((spk, ci))
    x = np.stack(vecs).astype(np.float64)
    sims = x @ x.T
    same, diff = [], []
    for i, j in itertools.combinations(range(len(x)), 2):
        if who[i] != who[j]:
            diff.append(sims[i, j])
        elif clip_of[i] != clip_of[j]:  # windows of one clip would flatter the figure
            same.append(sims[i, j])
    s, d = np.array(same), np.array(diff)
    rate, thr = eer(s, d)
    return {
        "items": len(x),
        "same_mean": round(float(s.mean()), 3),
        "different_mean": round(float(d.mean()), 3),
        "eer": round(rate, 3),
        "eer_threshold": round(thr, 3),
    }


def conversation(clips: dict[str, list[np.ndarray]], a: str, b: str, split: str, noise_db: float | None):
    rng = np.random.default_rng(7)
    it = {a: iter(clips[a][:6]), b: iter(clips[b][:3])}
    parts, truth, t = [], [], 0.0
    for c in PATTERN:
        who = a if c == "A" else b
        gap, clip = np.zeros(int(rng.uniform(0.3, 0.7) * SR), np.float32), next(it[who])
        parts += [gap, clip]
        start = t + gap.size / SR
        t = start + clip.size / SR
        truth.append((start, t, who))
    wav = add_noise(np.concatenate(parts), noise_db)
    if split == "clips":
        return wav, [Segment(s, e, w) for s, e, w in truth], truth
    turns = [[Word(x, min(x + 0.3, e), " w") for x in np.arange(s, e - 0.2, 0.35)] for s, e, _ in truth]
    segments, i = [], 0
    while i < len(turns):
        glue = PATTERN[i] == "B" and i + 1 < len(turns)
        words = turns[i] + (turns[i + 1] if glue else [])
        segments.append(Segment(words[0].start, words[-1].end, "", words=words))
        i += 2 if glue else 1
    return wav, segments, truth


def add_noise(wav: np.ndarray, snr_db: float | None) -> np.ndarray:
    if snr_db is None:
        return wav
    rng = np.random.default_rng(1)
    noise = scipy.signal.lfilter([1.0], [1.0, -0.95], rng.standard_normal(wav.size))  # reddish hiss
    speech = float(np.mean(wav[np.abs(wav) > 0.01] ** 2))
    noise *= np.sqrt(speech / 10 ** (snr_db / 10) / np.mean(noise**2))
    return (wav + noise).astype(np.float32)


def accuracy(segments: list[Segment], truth: list[tuple[float, float, str]], a: str) -> float:
    def at(t: float) -> str:
        return min(truth, key=lambda r: 0.0 if r[0] <= t <= r[1] else min(abs(t - r[0]), abs(t - r[1])))[2]

    marks = [(at(t) == a) == (s.speaker == "S1") for s in segments for t in np.arange(s.start, s.end, 0.1)]
    return float(np.mean(marks)) if marks else 0.0


def diarization(emb: SpeakerEmbedder, clips: dict[str, list[np.ndarray]], noise_db: float | None) -> dict:
    out: dict[str, Any] = {}
    for split in ("clips", "words"):
        accs, counts, dominant, audio, spent = [], [], 0, 0.0, 0.0
        for a, b in itertools.permutations(sorted(clips), 2):
            wav, segments, truth = conversation(clips, a, b, split, noise_db)
            t = time.perf_counter()
            rep = assign_speakers(wav, SR, segments, embedder=emb)
            spent += time.perf_counter() - t
            audio += wav.size / SR
            accs.append(accuracy(rep.segments, truth, a))
            counts.append(len(rep.speakers))
            dominant += rep.dominant == "S1" and accs[-1] > 0.5
        out[split] = {
            "pairs": len(accs),
            "accuracy_mean": round(float(np.mean(accs)), 3),
            "accuracy_min": round(float(np.min(accs)), 3),
            "two_speakers_found": round(float(np.mean(np.array(counts) == 2)), 3),
            "speaker_counts": {
                str(k): int(v) for k, v in zip(*np.unique(counts, return_counts=True), strict=True)
            },
            "dominant_right": round(dominant / len(accs), 3),
        }
    singles = []
    for spk, ws in sorted(clips.items()):
        segments, t = [], 0.0
        for w in ws:
            segments.append(Segment(t, t + w.size / SR, spk))
            t += w.size / SR + 0.5
        wav = add_noise(np.concatenate([np.r_[w, np.zeros(SR // 2, np.float32)] for w in ws]), noise_db)
        singles.append(len(assign_speakers(wav, SR, segments, embedder=emb).speakers))
    out["single_speaker_one_found"] = f"{sum(n == 1 for n in singles)}/{len(singles)}"
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--embedders", default="mfcc,ge2e,resemblyzer")
    ap.add_argument("--noise", type=float, default=20.0, help="also run with noise this many dB below speech")
    args = ap.parse_args()
    clips = {
        d.name: [load_audio(p) for p in sorted(d.glob("*.flac"))]
        for d in sorted(SPEAKERS.iterdir())
        if d.is_dir()
    }
    result: dict[str, Any] = {
        "data": f"LibriSpeech test-other, {len(clips)} speakers x {min(map(len, clips.values()))} clips",
        "embedders": {},
    }
    for name in args.embedders.split(","):
        inner = make(name)
        if inner is None:
            result["embedders"][name] = "not installed"
            continue
        emb = Cached(inner)
        started = time.perf_counter()
        result["embedders"][inner.name] = {
            "verification_clips": verification(emb, clips, None),
            "verification_2s_windows": verification(emb, clips, 2.0),
            "diarization": diarization(emb, clips, None),
            f"diarization_noise_{args.noise:g}dB": diarization(emb, clips, args.noise),
            "embed_ms_per_audio_second": round(1000 * emb.seconds / max(emb.audio, 1e-9), 2),
            "wall_seconds": round(time.perf_counter() - started, 1),
        }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
