"""Measurements of a voice from recordings: pitch, spectral envelope, formants, breathiness, rate.

Everything is measured at one analysis rate (16 kHz) so that a seller's phone recording and the
22.05 kHz stock voice are described on the same frequency grid; the results are plain floats and
lists so they can be stored as JSON and shown to the seller.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import pyworld as pw
from scipy.linalg import solve_toeplitz
from scipy.signal import find_peaks, resample_poly

from echome.media.audio import load_audio

ANALYSIS_RATE = 16_000
FRAME_MS = 10.0
F0_FLOOR = 60.0
F0_CEIL = 500.0
# Frequency grid (Hz) for long-term envelopes and EQ curves: ERB-like spacing, 60 Hz .. 7.6 kHz.
GRID_HZ: list[float] = [round(float(f), 1) for f in np.geomspace(60.0, 7600.0, 48)]
FORMANT_RATE = 11_000  # LPC formants: F1-F3 (and F4 for low voices) lie below 5.5 kHz
PIECE_SECONDS = 30
_POOL_NAME = "voice-measure"
_POOL: ThreadPoolExecutor | None = None
_POOL_LOCK = threading.Lock()


def _pool() -> ThreadPoolExecutor:
    """Harvest releases the GIL: long audio is tracked in pieces, one per core."""
    global _POOL
    with _POOL_LOCK:
        if _POOL is None:
            _POOL = ThreadPoolExecutor(max_workers=max(1, os.cpu_count() or 1), thread_name_prefix=_POOL_NAME)
        return _POOL


def _in_pool() -> bool:
    return threading.current_thread().name.startswith(_POOL_NAME)


def _harvest(x: np.ndarray, sr: int) -> np.ndarray:
    return pw.harvest(x, sr, f0_floor=F0_FLOOR, f0_ceil=F0_CEIL, frame_period=FRAME_MS)[0]


def _track_f0(x: np.ndarray, sr: int) -> tuple[np.ndarray, np.ndarray]:
    """Harvest over the full speech range.

    DIO is not used for measuring: on the stock voice it reports twice the true F0 on about half
    of the voiced frames (its creaky, low male voice), which a cepstrum check does not confirm.
    Audio longer than a minute is tracked in whole-frame pieces in parallel; each piece's last
    frame (Harvest adds one past the end) is dropped so the frames line up with one pass.
    """
    hop = int(sr * FRAME_MS / 1000)
    piece = PIECE_SECONDS * sr // hop * hop
    if x.size <= 2 * piece or _in_pool():
        f0 = _harvest(x, sr)
    else:
        bounds = list(range(0, x.size, piece))
        parts = list(_pool().map(lambda b: _harvest(x[b : b + piece], sr), bounds))
        f0 = np.concatenate([p[:-1] for p in parts[:-1]] + [parts[-1]])
    t = np.arange(f0.size) * FRAME_MS / 1000
    return f0, t


def _to_analysis(wav: np.ndarray, sample_rate: int) -> np.ndarray:
    x = np.asarray(wav, dtype=np.float64).reshape(-1)
    if sample_rate != ANALYSIS_RATE:
        g = np.gcd(int(sample_rate), ANALYSIS_RATE)
        x = resample_poly(x, ANALYSIS_RATE // g, int(sample_rate) // g)
    peak = float(np.max(np.abs(x))) if x.size else 0.0
    return x / peak * 0.9 if peak > 1e-6 else x


def envelope_on_grid(sp: np.ndarray, sr: int, grid: Sequence[float] = GRID_HZ) -> np.ndarray:
    """Log envelope (dB) per frame sampled on `grid` (Hz); `sp` is a WORLD power envelope."""
    bins = np.linspace(0.0, sr / 2.0, sp.shape[1])
    db = 10.0 * np.log10(np.maximum(sp, 1e-16))
    return np.stack([np.interp(grid, bins, row) for row in db]) if db.size else np.zeros((0, len(grid)))


def _semitones(f0: np.ndarray, ref: float) -> np.ndarray:
    return 12.0 * np.log2(f0 / ref)


def _pitch(f0: np.ndarray) -> dict[str, float]:
    voiced = f0[f0 > 0]
    if voiced.size >= 5:
        # Frames more than an octave from the median are tracking errors, not intonation.
        first = float(np.median(voiced))
        voiced = voiced[np.abs(np.log2(voiced / first)) < 1.0]
    if voiced.size < 5:
        return {
            "f0_median_hz": 0.0,
            "f0_p05_hz": 0.0,
            "f0_p95_hz": 0.0,
            "f0_range_semitones": 0.0,
            "f0_std_semitones": 0.0,
        }
    med = float(np.median(voiced))
    st = _semitones(voiced, med)
    p05, p95 = np.percentile(st, [5, 95])
    # Spread from the inter-quartile range: robust to octave errors at the extremes.
    q25, q75 = np.percentile(st, [25, 75])
    return {
        "f0_median_hz": round(med, 2),
        "f0_p05_hz": round(float(med * 2 ** (p05 / 12)), 2),
        "f0_p95_hz": round(float(med * 2 ** (p95 / 12)), 2),
        "f0_range_semitones": round(float(p95 - p05), 3),
        "f0_std_semitones": round(float((q75 - q25) / 1.349), 3),
    }


def _lpc_formants(x: np.ndarray, sr: int, f0: np.ndarray, frame_s: float) -> list[float]:
    """Median F1-F3 (Hz) over voiced frames from LPC roots (order 12 at 11 kHz)."""
    g = np.gcd(sr, FORMANT_RATE)
    y = resample_poly(x, FORMANT_RATE // g, sr // g)
    y = np.append(y[0], y[1:] - 0.7 * y[:-1])
    win = int(0.025 * FORMANT_RATE)
    hop = frame_s * FORMANT_RATE
    hamming = np.hamming(win)
    order = 12
    tracks: list[list[float]] = [[], [], []]
    energy = None
    for i in np.flatnonzero(f0 > 0):
        start = int(i * hop - win / 2)
        if start < 0 or start + win > y.size:
            continue
        seg = y[start : start + win] * hamming
        e = float(np.dot(seg, seg))
        if e < 1e-8:
            continue
        energy = e if energy is None else max(energy, e)
        r = np.correlate(seg, seg, "full")[win - 1 : win + order]
        if r[0] <= 0:
            continue
        try:
            a = solve_toeplitz(r[:order], -r[1 : order + 1])
        except (np.linalg.LinAlgError, ValueError):
            continue
        roots = np.roots(np.concatenate([[1.0], a]))
        roots = roots[np.imag(roots) > 0]
        freqs = np.angle(roots) * FORMANT_RATE / (2 * np.pi)
        bw = -np.log(np.abs(roots)) * FORMANT_RATE / np.pi
        cand = np.sort(freqs[(freqs > 150) & (freqs < 5000) & (bw < 500)])
        if cand.size >= 3:
            for k in range(3):
                tracks[k].append(float(cand[k]))
    return [round(float(np.median(t)), 1) if t else 0.0 for t in tracks]


def _speaking_rate(x: np.ndarray, sr: int, f0: np.ndarray, frame_s: float) -> dict[str, float]:
    """Syllable-nucleus rate: voiced loudness peaks per second of speech (pauses > 0.3 s excluded)."""
    hop = int(frame_s * sr)
    n = min(f0.size, x.size // hop)
    if n < 10:
        return {"syllables_per_second": 0.0, "speech_seconds": 0.0, "pause_share": 0.0}
    frames = x[: n * hop].reshape(n, hop)
    db = 10 * np.log10(np.mean(frames**2, axis=1) + 1e-10)
    kernel = np.hanning(7)
    db = np.convolve(db, kernel / kernel.sum(), mode="same")
    floor = np.percentile(db, 95) - 35.0
    active = db > floor
    # Close gaps shorter than 0.3 s so that speech time counts short stops but not pauses.
    gap = int(0.3 / frame_s)
    idx = np.flatnonzero(active)
    speech = np.zeros(n, bool)
    if idx.size:
        starts = np.concatenate([[idx[0]], idx[1:][np.diff(idx) > gap]])
        ends = np.concatenate([idx[:-1][np.diff(idx) > gap], [idx[-1]]])
        for s, e in zip(starts, ends, strict=True):
            speech[s : e + 1] = True
    peaks, _ = find_peaks(db, prominence=2.0, distance=int(0.1 / frame_s))
    peaks = [p for p in peaks if f0[p] > 0 and db[p] > floor + 10]
    speech_s = float(speech.sum() * frame_s)
    return {
        "syllables_per_second": round(len(peaks) / speech_s, 3) if speech_s > 0 else 0.0,
        "speech_seconds": round(speech_s, 2),
        "pause_share": round(1.0 - speech_s / (n * frame_s), 3),
    }


def _analyse(wav: np.ndarray, sample_rate: int) -> dict[str, Any]:
    x = _to_analysis(wav, sample_rate)
    sr = ANALYSIS_RATE
    f0, t = _track_f0(x, sr)
    sp = pw.cheaptrick(x, f0, t, sr)
    ap = pw.d4c(x, f0, t, sr)
    return {"x": x, "f0": f0, "t": t, "sp": sp, "ap": ap}


def _frame_stats(a: dict[str, Any]) -> dict[str, Any]:
    f0, sp, ap = a["f0"], a["sp"], a["ap"]
    env = envelope_on_grid(sp, ANALYSIS_RATE)
    frame_db = 10 * np.log10(np.sum(sp, axis=1) + 1e-16)
    loud = frame_db > np.percentile(frame_db, 95) - 30 if frame_db.size else frame_db > 0
    voiced = (f0 > 0) & loud
    unvoiced = (f0 == 0) & loud & (frame_db > np.percentile(frame_db, 95) - 25 if frame_db.size else loud)
    ap_grid = np.stack([np.interp(GRID_HZ, np.linspace(0, ANALYSIS_RATE / 2, ap.shape[1]), r) for r in ap])
    ap_db = 20 * np.log10(np.clip(ap_grid, 1e-4, 1.0))
    return {"env": env, "voiced": voiced, "unvoiced": unvoiced, "ap_db": ap_db}


def _summarise(analyses: list[dict[str, Any]]) -> dict[str, Any]:
    f0_all = np.concatenate([a["f0"] for a in analyses])
    stats = [_frame_stats(a) for a in analyses]
    env_v = np.concatenate([s["env"][s["voiced"]] for s in stats])
    env_u = np.concatenate([s["env"][s["unvoiced"]] for s in stats])
    ap_v = np.concatenate([s["ap_db"][s["voiced"]] for s in stats])
    formant_sets = [_lpc_formants(a["x"], ANALYSIS_RATE, a["f0"], FRAME_MS / 1000) for a in analyses]
    formants = [
        round(float(np.median([fs[k] for fs in formant_sets if fs[k] > 0])), 1)
        if any(fs[k] > 0 for fs in formant_sets)
        else 0.0
        for k in range(3)
    ]
    rates = [_speaking_rate(a["x"], ANALYSIS_RATE, a["f0"], FRAME_MS / 1000) for a in analyses]
    speech_s = sum(r["speech_seconds"] for r in rates)
    sylls = sum(r["syllables_per_second"] * r["speech_seconds"] for r in rates)
    total_s = sum(a["x"].size for a in analyses) / ANALYSIS_RATE
    voiced_frames = int(np.sum(f0_all > 0))

    def curve(rows: np.ndarray) -> list[float]:
        return [round(float(v), 2) for v in np.mean(rows, axis=0)] if rows.size else []

    return {
        **_pitch(f0_all),
        "voiced_share": round(voiced_frames / max(1, f0_all.size), 3),
        "voiced_seconds": round(voiced_frames * FRAME_MS / 1000, 2),
        "seconds": round(total_s, 2),
        "formants_hz": formants,
        "syllables_per_second": round(sylls / speech_s, 3) if speech_s > 0 else 0.0,
        "pause_share": round(1.0 - speech_s / total_s, 3) if total_s > 0 else 0.0,
        "grid_hz": GRID_HZ,
        "ltas_voiced_db": curve(env_v),
        "ltas_unvoiced_db": curve(env_u),
        "aperiodicity_voiced_db": curve(ap_v),
        "analysis_rate": ANALYSIS_RATE,
    }


def measure_voice(wav: np.ndarray, sample_rate: int) -> dict[str, Any]:
    """Describe one recording (mono float32). All values are JSON-serialisable."""
    return _summarise([_analyse(wav, sample_rate)])


def analyse_files(paths: Sequence[str | Path]) -> list[dict[str, Any]]:
    """WORLD analyses (16 kHz) of the usable files: the input of `summarise` and `voiced_envelopes`."""

    def one(p: str | Path) -> dict[str, Any]:
        return _analyse(load_audio(p, sample_rate=ANALYSIS_RATE), ANALYSIS_RATE)

    analyses = [one(p) for p in paths] if _in_pool() else list(_pool().map(one, paths))
    analyses = [a for a in analyses if a["x"].size > ANALYSIS_RATE // 4]
    if not analyses:
        raise ValueError("no usable audio in the voice samples")
    return analyses


def summarise(analyses: Sequence[dict[str, Any]]) -> dict[str, Any]:
    out = _summarise(list(analyses))
    out["files"] = len(analyses)
    return out


def voiced_envelopes(analyses: Sequence[dict[str, Any]], grid: Sequence[float]) -> np.ndarray:
    """Log envelopes (dB on `grid`) of the loud voiced frames, all files pooled."""
    rows = [envelope_on_grid(a["sp"], ANALYSIS_RATE, grid)[_frame_stats(a)["voiced"]] for a in analyses]
    return np.concatenate(rows) if rows else np.zeros((0, len(grid)))


def measure_samples(paths: Sequence[str | Path]) -> dict[str, Any]:
    """Describe one speaker from several recordings, pooling their frames."""
    return summarise(analyse_files(paths))


def measure_waves(waves: Sequence[tuple[np.ndarray, int]]) -> dict[str, Any]:
    """Like `measure_samples`, for audio already in memory as (samples, rate) pairs."""
    return _summarise([_analyse(w, sr) for w, sr in waves])


def pitch_summary(wav: np.ndarray, sr: int) -> dict[str, float]:
    """Pitch level and liveliness of one recording (what a listener hears as tone and energy)."""
    x = _to_analysis(wav, sr)
    if x.size < ANALYSIS_RATE // 10:
        return {
            "f0_median_hz": 0.0,
            "f0_range_semitones": 0.0,
            "f0_std_semitones": 0.0,
            "voiced_seconds": 0.0,
        }
    f0, _ = _track_f0(x, ANALYSIS_RATE)
    p = _pitch(f0)
    return {
        "f0_median_hz": p["f0_median_hz"],
        "f0_range_semitones": p["f0_range_semitones"],
        "f0_std_semitones": p["f0_std_semitones"],
        "voiced_seconds": round(float(np.sum(f0 > 0)) * FRAME_MS / 1000, 2),
    }
