"""Voice transform on the WORLD vocoder: pitch level and range, formant warp, envelope EQ, breathiness.

The input is clean synthetic speech (the stock Piper voice), so the fast DIO + StoneMask pitch
tracker is enough. All curves in `settings` are given in dB on a frequency grid (Hz) and are
interpolated to the FFT bins of the signal's own sample rate; above the grid's last point the
curve is held flat.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pyworld as pw

FRAME_MS = 5.0
F0_FLOOR = 60.0
F0_CEIL = 500.0
# Keep F0 inside what WORLD resynthesises cleanly.
F0_MIN_OUT = 55.0
F0_MAX_OUT = 600.0

TRANSFORM_KEYS = (
    "f0_median_hz",
    "f0_range_scale",
    "formant_ratio",
    "eq_db",
    "eq_unvoiced_db",
    "aperiodicity_db",
)


def needs_transform(settings: dict[str, Any]) -> bool:
    return any(settings.get(k) is not None for k in TRANSFORM_KEYS)


def analyse(x: np.ndarray, sr: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    x = np.asarray(x, dtype=np.float64)
    f0, t = pw.dio(x, sr, f0_floor=F0_FLOOR, f0_ceil=F0_CEIL, frame_period=FRAME_MS)
    f0 = pw.stonemask(x, f0, t, sr)
    sp = pw.cheaptrick(x, f0, t, sr)
    ap = pw.d4c(x, f0, t, sr)
    return f0, t, sp, ap


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
        f0 = shift_f0(f0, target=float(np.median(f0[f0 > 0])) if np.any(f0 > 0) else 0.0, source=None,
                      range_scale=scale)

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

    ap_db = settings.get("aperiodicity_db")
    if grid and ap_db:
        offset = curve_on_bins(grid, ap_db, sr, ap.shape[1])[None, :] * weight
        ap = np.clip(ap * 10.0 ** (offset / 20.0), 1e-3, 1.0 - 1e-6)

    y = pw.synthesize(f0, np.ascontiguousarray(sp), np.ascontiguousarray(ap), sr, FRAME_MS)
    peak = float(np.max(np.abs(y))) if y.size else 0.0
    if peak > 1e-6:
        y = y / peak * 0.95
    return y.astype(np.float32)
