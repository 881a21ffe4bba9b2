"""Resemblyzer (GE2E d-vectors, 256 dims) as a SpeakerEmbedder. Optional: it needs torch.

The model's weights ship inside the `resemblyzer` wheel (pretrained.pt, 17 MB), so nothing is
downloaded at run time. torch is never a default dependency of Echo Me: without it, use
`echome.providers.speaker_mfcc.MfccSpeakerEmbedder`.
"""

from __future__ import annotations

import threading
import warnings
from typing import Any

import numpy as np

from echome.providers.base import MissingDependency
from echome.providers.speaker_mfcc import RATE, to_16k

INSTALL = "pip install torch==2.13.0 && pip install -e '.[speaker]'"
MIN_SAMPLES = RATE // 2  # the network reads 1.6 s partials; shorter input is zero-padded


def _load() -> tuple[Any, Any, Any]:
    try:
        with warnings.catch_warnings():
            # resemblyzer 0.1.4 imports binary_dilation from scipy.ndimage.morphology (deprecated path)
            warnings.simplefilter("ignore", DeprecationWarning)
            import torch
            from resemblyzer import VoiceEncoder, audio
    except ImportError as exc:
        raise MissingDependency(
            f"Resemblyzer speaker embeddings need torch and resemblyzer: {INSTALL}"
        ) from (exc)
    return torch, VoiceEncoder, audio


class ResemblyzerSpeakerEmbedder:
    name = "resemblyzer-ge2e"
    dim = 256
    # See MfccSpeakerEmbedder.min_separation: one LibriSpeech reader split in two gives up to ~0.5,
    # two readers >= 1.0 (>= 1.8 without added noise).
    min_separation = 0.7
    window_seconds = 1.6  # Resemblyzer's partial window; shorter input is padded

    def __init__(self, *, device: str = "cpu", threads: int | None = None) -> None:
        torch, voice_encoder, audio = _load()
        if threads:
            torch.set_num_threads(threads)
        self._torch = torch
        self._audio = audio
        self._encoder = voice_encoder(device=device, verbose=False)
        self._lock = threading.Lock()

    def embed(self, wav: np.ndarray, sample_rate: int) -> np.ndarray:
        x = to_16k(wav, sample_rate).astype(np.float32)
        if x.size < MIN_SAMPLES:
            x = np.pad(x, (0, MIN_SAMPLES - x.size))
        peak = float(np.max(np.abs(x))) if x.size else 0.0
        if peak < 1e-6:  # digital silence: the network's output would be 0/0
            vec = np.zeros(self.dim, dtype=np.float32)
            vec[0] = 1.0
            return vec
        x = self._audio.normalize_volume(x, -30, increase_only=True)
        if x.size > 3 * RATE:
            # Long stretches: drop pauses as Resemblyzer's own preprocessing does (webrtcvad), but
            # keep the audio as it is when that leaves too little of it.
            trimmed = self._audio.trim_long_silences(x)
            if trimmed.size >= MIN_SAMPLES:
                x = trimmed
        with self._lock, self._torch.no_grad():
            vec = self._encoder.embed_utterance(x.astype(np.float32))
        vec = np.asarray(vec, dtype=np.float32)
        return vec / max(float(np.linalg.norm(vec)), 1e-9)
