"""Voice transform on the WORLD vocoder: pitch level and range, formant warp, envelope EQ, breathiness.

F0 is tracked with Harvest: DIO doubles the stock voice's F0 on many frames. All curves in
`settings` are given in dB on a frequency grid (Hz) and are interpolated to the FFT bins of the
signal's own sample rate; above the grid's last point the curve is held flat.

Speed (benchmarks/voice_speed.py): Harvest is most of the cost, so it is run at a coarser internal
step (`track_f0`); aperiodicity, which changes slowly, is estimated on every other frame
(`aperiodicity`); the frequency interpolations of envelope matching are done for all frames at
once (`interpolate_rows`), and a voice's codebook is decoded once per process.
"""

from __future__ import annotations

import base64
import functools
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import pyworld as pw
from scipy.cluster.vq import kmeans2
from scipy.fft import dct
from scipy.ndimage import convolve1d
from scipy.spatial.distance import cdist

FRAME_MS = 5.0
F0_FLOOR = 60.0
F0_CEIL = 500.0
# Keep F0 inside what WORLD resynthesises cleanly.
F0_MIN_OUT = 55.0
F0_MAX_OUT = 600.0

# Envelope matching works on log envelopes sampled on a mel-spaced grid that fits under the
# Nyquist frequency of 16 kHz recordings, so a seller's phone audio and the 22 kHz voice compare.
MATCH_GRID_HZ: list[float] = [
    round(float(700.0 * (10 ** (m / 2595.0) - 1.0)), 1)
    for m in np.linspace(2595.0 * np.log10(1 + 50 / 700), 2595.0 * np.log10(1 + 7800 / 700), 80)
]
MATCH_DIMS = 12  # cepstral coefficients compared (c1..c12: envelope shape, not fine detail)
MATCH_K = 4
CODEBOOK_SIZE = 512
# Harvest refines its F0 candidates on every millisecond of its input, whatever frame period is
# asked for. Given the audio as if recorded at HARVEST_STRETCH times its rate (F0 range scaled to
# match), it works on 1/HARVEST_STRETCH as many milliseconds: 2 ms steps, still finer than FRAME_MS,
# for about a third of the time. On the stock voice its frames differ from a full Harvest about
# twice as often as a full Harvest's differ from themselves after a one-sample shift.
HARVEST_STRETCH = 2
# D4C runs on every APERIODICITY_STEP-th frame; the frames between are interpolated.
APERIODICITY_STEP = 2

TRANSFORM_KEYS = (
    "f0_median_hz",
    "f0_range_scale",
    "formant_ratio",
    "eq_db",
    "eq_unvoiced_db",
    "aperiodicity_db",
    "envelope_codebook",
)


def needs_transform(settings: dict[str, Any]) -> bool:
    return any(settings.get(k) is not None for k in TRANSFORM_KEYS)


def analyse(x: np.ndarray, sr: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """WORLD parameters of `x` at FRAME_MS frames: F0 (Hz, 0 unvoiced), times (s), envelope, aperiodicity."""
    x = np.asarray(x, dtype=np.float64)
    f0, t = track_f0(x, sr)
    sp = pw.cheaptrick(x, f0, t, sr)
    ap = aperiodicity(x, f0, t, sr)
    return f0, t, sp, ap


def track_f0(x: np.ndarray, sr: int, *, stretch: int = HARVEST_STRETCH) -> tuple[np.ndarray, np.ndarray]:
    """Harvest F0 (octave jumps folded) per FRAME_MS frame, and the frame times in seconds.

    With `stretch` > 1 the samples are handed to Harvest as if recorded at `stretch` times `sr`:
    every frequency it sees is `stretch` times the real one and every duration 1/`stretch`, so
    the range and frame period are scaled to match and the F0 divided back.
    """
    x = np.asarray(x, dtype=np.float64)
    f0, _ = pw.harvest(
        x,
        sr * stretch,
        f0_floor=F0_FLOOR * stretch,
        f0_ceil=F0_CEIL * stretch,
        frame_period=FRAME_MS / stretch,
    )
    f0 = fix_octave_jumps(f0 / stretch)
    return f0, np.arange(f0.size) * (FRAME_MS / 1000.0)


def aperiodicity(
    x: np.ndarray, f0: np.ndarray, t: np.ndarray, sr: int, *, step: int = APERIODICITY_STEP
) -> np.ndarray:
    """D4C aperiodicity on every `step`-th frame (and the last), linearly interpolated between."""
    if step <= 1 or f0.size <= 2:
        return pw.d4c(x, f0, t, sr)
    idx = np.arange(0, f0.size, step)
    if idx[-1] != f0.size - 1:
        idx = np.append(idx, f0.size - 1)
    coarse = pw.d4c(x, np.ascontiguousarray(f0[idx]), np.ascontiguousarray(t[idx]), sr)
    frames = np.arange(f0.size)
    left = np.clip(np.searchsorted(idx, frames, side="right") - 1, 0, idx.size - 2)
    w = ((frames - idx[left]) / (idx[left + 1] - idx[left]))[:, None]
    return coarse[left] * (1.0 - w) + coarse[left + 1] * w


def fix_octave_jumps(f0: np.ndarray) -> np.ndarray:
    """Fold frames tracked an octave off the utterance's median back toward it.

    The stock voice is low and creaky: trackers report twice (or half) its F0 on some frames, and
    resynthesising those frames as tracked makes the pitch jump by an octave.
    """
    voiced = f0 > 0
    if int(voiced.sum()) < 10:
        return f0
    med = float(np.median(f0[voiced]))
    out = f0.copy()
    high = voiced & (f0 > 1.7 * med)
    low = voiced & (f0 < med / 1.7)
    out[high] /= 2.0
    out[low] *= 2.0
    return out


def shift_f0(f0: np.ndarray, *, target: float, source: float | None, range_scale: float) -> np.ndarray:
    """Move the median to `target` Hz and scale deviations from it in the log domain."""
    voiced = f0 > 0
    if not np.any(voiced):
        return f0
    src = source if source and source > 0 else float(np.median(f0[voiced]))
    out = f0.copy()
    log_dev = np.log(f0[voiced] / src)
    out[voiced] = np.clip(target * np.exp(range_scale * log_dev), F0_MIN_OUT, F0_MAX_OUT)
    return out


def warp_frequency(spec: np.ndarray, ratio: float, *, log_domain: bool = True) -> np.ndarray:
    """Resample each frame along frequency so that a peak at f moves to f * ratio."""
    if abs(ratio - 1.0) < 1e-4:
        return spec
    n = spec.shape[1]
    pos = np.clip(np.arange(n) / ratio, 0, n - 1)
    lo = np.floor(pos).astype(int)
    hi = np.minimum(lo + 1, n - 1)
    w = pos - lo
    data = np.log(np.maximum(spec, 1e-16)) if log_domain else spec
    out = data[:, lo] * (1.0 - w) + data[:, hi] * w
    return np.exp(out) if log_domain else out


def curve_on_bins(grid_hz: Sequence[float], values_db: Sequence[float], sr: int, n_bins: int) -> np.ndarray:
    bins = np.linspace(0.0, sr / 2.0, n_bins)
    return np.interp(bins, np.asarray(grid_hz, float), np.asarray(values_db, float))


def _voicing_weight(f0: np.ndarray) -> np.ndarray:
    """1 on voiced frames, 0 on unvoiced, ramped over ~20 ms so curves do not switch abruptly."""
    v = (f0 > 0).astype(float)
    k = np.hanning(7)
    return np.clip(np.convolve(v, k / k.sum(), mode="same"), 0.0, 1.0)


def match_features(env_db: np.ndarray, dims: int = MATCH_DIMS) -> np.ndarray:
    return dct(env_db, type=2, norm="ortho", axis=1)[:, 1 : dims + 1]


def build_codebook(frames_db: np.ndarray, *, size: int = CODEBOOK_SIZE) -> dict[str, Any]:
    """Settings entries holding a speaker's voiced envelopes (dB on MATCH_GRID_HZ), k-means reduced.

    The codebook is stored as base64 of uint8 levels so that the settings stay small JSON (~55 kB).
    """
    frames = np.asarray(frames_db, float)
    frames = frames[np.all(np.isfinite(frames), axis=1)]
    if frames.shape[0] < 50:
        return {}
    n = int(min(size, frames.shape[0] // 4))
    # Random-point seeding: 0.2 s on ~10k frames against 35 s for k-means++ seeding, for a
    # quantisation error about 2% higher (measured on LibriVox and LibriSpeech voices).
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # an empty cluster keeps its seed point: harmless here
        centroids, _ = kmeans2(frames, n, seed=0, minit="points")
    feats = match_features(frames)
    low = float(np.floor(centroids.min()))
    step = max(0.25, float(centroids.max() - low) / 255.0)
    levels = np.clip(np.round((centroids - low) / step), 0, 255).astype(np.uint8)
    return {
        "envelope_codebook": base64.b64encode(levels.tobytes()).decode("ascii"),
        "envelope_codebook_rows": n,
        "envelope_codebook_min_db": low,
        "envelope_codebook_step_db": round(step, 5),
        "envelope_feature_mean": [round(float(v), 4) for v in feats.mean(axis=0)],
        "envelope_feature_std": [round(float(v), 4) for v in feats.std(axis=0) + 1e-6],
    }


def decode_codebook(settings: dict[str, Any]) -> np.ndarray:
    raw = np.frombuffer(base64.b64decode(settings["envelope_codebook"]), dtype=np.uint8)
    rows = int(settings["envelope_codebook_rows"])
    levels = raw.reshape(rows, -1).astype(float)
    return float(settings["envelope_codebook_min_db"]) + levels * float(settings["envelope_codebook_step_db"])


@functools.lru_cache(maxsize=32)
def _seller_codebook(
    codebook: str, rows: int, min_db: float, step_db: float, mean: tuple[float, ...], std: tuple[float, ...]
) -> tuple[np.ndarray, np.ndarray]:
    """A voice's decoded codebook and its standardised match features (read-only, shared)."""
    settings = {
        "envelope_codebook": codebook,
        "envelope_codebook_rows": rows,
        "envelope_codebook_min_db": min_db,
        "envelope_codebook_step_db": step_db,
    }
    book = decode_codebook(settings)
    feats = (match_features(book) - np.asarray(mean)) / np.asarray(std)
    book.flags.writeable = False
    feats.flags.writeable = False
    return book, feats


def seller_codebook(settings: dict[str, Any]) -> tuple[np.ndarray, np.ndarray]:
    """(codebook rows in dB on MATCH_GRID_HZ, their standardised features), decoded once per voice:
    the cache key is the settings' codebook entries themselves, so edited settings decode anew."""
    return _seller_codebook(
        str(settings["envelope_codebook"]),
        int(settings["envelope_codebook_rows"]),
        float(settings["envelope_codebook_min_db"]),
        float(settings["envelope_codebook_step_db"]),
        tuple(float(v) for v in settings["envelope_feature_mean"]),
        tuple(float(v) for v in settings["envelope_feature_std"]),
    )


@functools.lru_cache(maxsize=16)
def _interpolation(n_bins: int, sr: int, to_grid: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Left and right source columns and right-hand weights of np.interp from the FFT bins of `sr`
    to MATCH_GRID_HZ (`to_grid`) or back (held flat outside the grid, as np.interp does)."""
    bins = np.linspace(0.0, sr / 2.0, n_bins)
    src, dst = (bins, np.asarray(MATCH_GRID_HZ)) if to_grid else (np.asarray(MATCH_GRID_HZ), bins)
    pos = np.interp(dst, src, np.arange(src.size, dtype=float))
    left = np.floor(pos).astype(int)
    right = np.minimum(left + 1, src.size - 1)
    return left, right, pos - left


def interpolate_rows(rows: np.ndarray, sr: int, n_bins: int, *, to_grid: bool) -> np.ndarray:
    """np.interp of every row between the `n_bins` FFT bins of `sr` and MATCH_GRID_HZ, at once.

    Gathers, not a matrix product: a small product through multithreaded BLAS ran ~20 times
    slower than this while the other core was busy (with Piper, say).
    """
    left, right, w = _interpolation(n_bins, sr, to_grid)
    return rows[:, left] * (1.0 - w) + rows[:, right] * w


def match_correction(env_db: np.ndarray, settings: dict[str, Any]) -> np.ndarray:
    """Per-frame dB corrections that move each source envelope toward its nearest seller envelopes.

    Source and seller features are each standardised by their own statistics, so a frame is paired
    with the seller frames that hold the same place in the seller's distribution (the same kind of
    sound), and the correction is the mean of its MATCH_K neighbours minus the frame, level-neutral.
    """
    book, tgt = seller_codebook(settings)
    src = match_features(env_db)
    src = (src - src.mean(axis=0)) / (src.std(axis=0) + 1e-6)
    dist = cdist(src, tgt, "sqeuclidean")  # not BLAS: see interpolate_rows
    k = min(MATCH_K, book.shape[0])
    nearest = np.argpartition(dist, k - 1, axis=1)[:, :k]
    diff = book[nearest].mean(axis=1) - env_db
    return diff - diff.mean(axis=1, keepdims=True)


def _apply_matching(sp: np.ndarray, f0: np.ndarray, sr: int, settings: dict[str, Any]) -> np.ndarray:
    strength = float(settings.get("envelope_match", 0.5))
    voiced = f0 > 0
    if strength <= 0 or int(voiced.sum()) < 20:
        return sp
    db = 10.0 * np.log10(np.maximum(sp[voiced], 1e-16))
    env = interpolate_rows(db, sr, sp.shape[1], to_grid=True)
    corr = np.zeros((sp.shape[0], len(MATCH_GRID_HZ)))
    corr[voiced] = strength * match_correction(env, settings)
    kernel = np.hanning(7)[1:-1]
    kernel /= kernel.sum()
    # Smoothed along time (zeros beyond the ends), as np.convolve(..., mode="same") per column.
    corr = convolve1d(corr, kernel, axis=0, mode="constant", cval=0.0)
    gain_db = interpolate_rows(corr, sr, sp.shape[1], to_grid=False)
    return sp * 10.0 ** (gain_db / 10.0)


def transform(x: np.ndarray, sr: int, settings: dict[str, Any]) -> np.ndarray:
    """Apply the voice settings to mono float audio; returns float32 peak-normalised to 0.95."""
    if x.size < sr // 20:
        return x.astype(np.float32)
    f0, _t, sp, ap = analyse(x, sr)
    grid = settings.get("grid_hz")

    target = settings.get("f0_median_hz")
    scale = float(settings.get("f0_range_scale") or 1.0)
    if target:
        f0 = shift_f0(f0, target=float(target), source=settings.get("source_f0_median_hz"), range_scale=scale)
    elif abs(scale - 1.0) > 1e-3:
        f0 = shift_f0(
            f0, target=float(np.median(f0[f0 > 0])) if np.any(f0 > 0) else 0.0, source=None, range_scale=scale
        )

    ratio = float(settings.get("formant_ratio") or 1.0)
    sp = warp_frequency(sp, ratio)
    ap = warp_frequency(ap, ratio, log_domain=False)

    weight = _voicing_weight(f0)[:, None]
    eq_v = settings.get("eq_db")
    eq_u = settings.get("eq_unvoiced_db")
    if grid and (eq_v or eq_u):
        gain_v = curve_on_bins(grid, eq_v, sr, sp.shape[1]) if eq_v else 0.0
        gain_u = curve_on_bins(grid, eq_u, sr, sp.shape[1]) if eq_u else gain_v
        gain_db = weight * gain_v + (1.0 - weight) * gain_u
        sp = sp * 10.0 ** (gain_db / 10.0)

    if settings.get("envelope_codebook"):
        sp = _apply_matching(sp, f0, sr, settings)

    ap_db = settings.get("aperiodicity_db")
    if grid and ap_db:
        offset = curve_on_bins(grid, ap_db, sr, ap.shape[1])[None, :] * weight
        ap = np.clip(ap * 10.0 ** (offset / 20.0), 1e-3, 1.0 - 1e-6)

    y = pw.synthesize(f0, np.ascontiguousarray(sp), np.ascontiguousarray(ap), sr, FRAME_MS)
    peak = float(np.max(np.abs(y))) if y.size else 0.0
    if peak > 1e-6:
        y = y / peak * 0.95
    return y.astype(np.float32)
