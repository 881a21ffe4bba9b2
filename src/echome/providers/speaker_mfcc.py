"""Torch-free voice fingerprint: statistics of mel-cepstra over the voiced frames of a stretch of speech.

The vector is the per-coefficient mean and standard deviation of MFCCs 1-19 (25 ms frames every 10 ms,
40 mel bands from 60 Hz to 7.6 kHz), taken over frames an energy gate calls speech, each standardised
with fixed population figures and L2-normalised. There is deliberately no cepstral mean normalisation:
the mean carries most of what tells two voices apart (vocal tract length, timbre), and speakers of one
video share its channel. The flip side is that the same person recorded through two very different
microphones looks less alike than they are.

Measured on LibriSpeech test-other (6 speakers, `benchmarks/speaker_separation.py`): equal error rate
0.4 % between whole clips (3-20 s) and 9.5 % between 2-second windows (Resemblyzer: 0.4 % and 2.2 %).
Each of those readers has their own microphone and room, which flatters a channel-sensitive fingerprint:
expect less on two people sharing one microphone. Pitch statistics (pyworld) were tried and made it
worse, so they are left out.
"""

from __future__ import annotations

from math import gcd

import numpy as np
import scipy.fft
import scipy.signal
import scipy.sparse

RATE = 16_000
FRAME = 400  # 25 ms at 16 kHz
HOP = 160  # 10 ms
N_FFT = 512
N_MELS = 40
N_CEPS = 19  # c1..c19; c0 is loudness, not voice
GATE_DB = 40.0  # frames more than this far below the loud frames are pauses or room noise
STD_WEIGHT = 0.6  # spread statistics separate voices less well than the means (measured)

# Population mean and spread of the clip-level statistics, from LibriSpeech test-other (60 clips of
# 6 readers, 3 female and 3 male). Fitting them on 3 of the speakers and testing on the other 3 gave
# the same error rates, so they are not tuned to those 6 voices. They set where "average voice" lies:
# cosine similarity is measured around it.
_MEAN_MU = (-5.635, -0.415, 0.798, -1.429, -1.383, -1.559, -1.150, -0.334, -0.593, 0.023)
_MEAN_MU += (-0.548, -0.199, -0.021, -0.478, -0.338, -0.305, -0.371, -0.490, -0.209)
_MEAN_SD = (6.020, 1.423, 1.383, 1.729, 1.327, 1.152, 1.083, 0.930, 0.690, 1.055)
_MEAN_SD += (0.737, 0.795, 0.722, 0.421, 0.463, 0.387, 0.586, 0.521, 0.506)
_STD_MU = (9.691, 5.204, 4.266, 3.368, 2.593, 2.332, 1.982, 1.792, 1.755, 1.598)
_STD_MU += (1.575, 1.497, 1.340, 1.312, 1.266, 1.249, 1.235, 1.227, 1.208)
_STD_SD = (1.839, 1.096, 0.917, 0.747, 0.343, 0.437, 0.383, 0.284, 0.324, 0.279)
_STD_SD += (0.372, 0.329, 0.270, 0.243, 0.192, 0.249, 0.240, 0.281, 0.284)


def _mel_filterbank() -> np.ndarray:
    def to_mel(hz: np.ndarray) -> np.ndarray:
        return 2595.0 * np.log10(1.0 + hz / 700.0)

    def to_hz(mel: np.ndarray) -> np.ndarray:
        return 700.0 * (10.0 ** (mel / 2595.0) - 1.0)

    edges = to_hz(np.linspace(to_mel(np.array(60.0)), to_mel(np.array(7600.0)), N_MELS + 2))
    freqs = np.arange(N_FFT // 2 + 1) * RATE / N_FFT
    bank = np.zeros((N_MELS, freqs.size))
    for i in range(N_MELS):
        lo, mid, hi = edges[i], edges[i + 1], edges[i + 2]
        bank[i] = np.clip(np.minimum((freqs - lo) / (mid - lo), (hi - freqs) / (hi - mid)), 0.0, None)
    return bank


# Sparse on purpose: a dense (frames x 257) @ (257 x 40) product goes to multi-threaded BLAS, which is
# ten times slower than this on a busy 2-core machine.
_BANK = scipy.sparse.csr_matrix(_mel_filterbank())
_WINDOW = np.hamming(FRAME)


def to_16k(wav: np.ndarray, sample_rate: int) -> np.ndarray:
    wav = np.asarray(wav, dtype=np.float64).reshape(-1)
    if sample_rate == RATE:
        return wav
    g = gcd(int(sample_rate), RATE)
    return scipy.signal.resample_poly(wav, RATE // g, int(sample_rate) // g)


def cepstra(wav16k: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(frames x 19 MFCCs, per-frame log energy) of 16 kHz audio."""
    x = np.asarray(wav16k, dtype=np.float64)
    if x.size < FRAME:
        x = np.pad(x, (0, FRAME - x.size))
    x = np.append(x[0], x[1:] - 0.97 * x[:-1])  # pre-emphasis
    n = 1 + (x.size - FRAME) // HOP
    frames = np.lib.stride_tricks.sliding_window_view(x, FRAME)[::HOP][:n] * _WINDOW
    power = np.abs(np.fft.rfft(frames, N_FFT)) ** 2
    logmel = np.log((_BANK @ power.T).T + 1e-8)
    ceps = scipy.fft.dct(logmel, type=2, norm="ortho", axis=1)[:, 1 : N_CEPS + 1]
    energy = np.log(np.sum(frames**2, axis=1) + 1e-10)
    return ceps, energy


def speech_frames(energy: np.ndarray) -> np.ndarray:
    """Energy gate: frames within GATE_DB of the loud ones and clearly above the quietest ones."""
    if energy.size == 0:
        return np.zeros(0, dtype=bool)
    loud, quiet = np.percentile(energy, 95), np.percentile(energy, 10)
    threshold = max(loud - GATE_DB / 10.0 * np.log(10.0), quiet + 0.15 * (loud - quiet))
    keep = energy > threshold
    if keep.sum() < 10:  # too little to gate: use everything that is not digital silence
        keep = energy > np.log(1e-9)
        if keep.sum() == 0:
            keep[:] = True
    return keep


class MfccSpeakerEmbedder:
    """Default speaker embedder: numpy + scipy only, about 1 ms per second of audio."""

    name = "mfcc-stats"
    dim = 2 * N_CEPS
    # How far apart (squared distance of means over the spread inside each) two groups of 2-second
    # windows must be to count as two voices (see echome.media.speakers). On LibriSpeech, one reader
    # split in two gives up to ~1.0 (1.25 as part of a 3-way split), two readers 1.55 and more; with
    # noise 20 dB below the speech some pairs fall to ~0.9 and are then taken for one voice.
    min_separation = 1.5

    def __init__(self) -> None:
        self._mean_mu = np.array(_MEAN_MU)
        self._mean_sd = np.array(_MEAN_SD)
        self._std_mu = np.array(_STD_MU)
        self._std_sd = np.array(_STD_SD)

    def embed(self, wav: np.ndarray, sample_rate: int) -> np.ndarray:
        ceps, energy = cepstra(to_16k(wav, sample_rate))
        keep = speech_frames(energy)
        voiced = ceps[keep]
        mean = (voiced.mean(axis=0) - self._mean_mu) / self._mean_sd
        std = (voiced.std(axis=0) - self._std_mu) / self._std_sd
        vec = np.concatenate([mean, STD_WEIGHT * std])
        norm = float(np.linalg.norm(vec))
        if not np.isfinite(norm) or norm < 1e-9:
            vec = np.zeros(self.dim)
            vec[0] = 1.0
            return vec.astype(np.float32)
        return (vec / norm).astype(np.float32)
