"""GE2E d-vectors without torch: Resemblyzer's trained speaker network, run with numpy.

The `resemblyzer` wheel ships a trained speaker-verification network (`pretrained.pt`, 17 MB: a
3-layer LSTM of 256 units over 40 mel bands, then a 256-unit ReLU layer, trained with the GE2E loss
on LibriSpeech and VoxCeleb 1 and 2). Its own code needs torch, which stays out of Echo Me's default
install. This module needs only that weights file: it reads PyTorch's legacy serialisation format
with a restricted unpickler (tensors and dicts only, nothing else can be built from the file) and
computes the same forward pass with numpy, several partial windows at a time.

The weights come from the wheel installed without its dependencies:

    pip install --no-deps resemblyzer==0.1.4

(Echo Me's install command does this.) `find_weights()` locates the file without importing the
package, so torch is never needed; without the file, `GE2ESpeakerEmbedder()` raises
`MissingDependency` with that command, and the MFCC fingerprint remains available.

The input side follows Resemblyzer's: 16 kHz audio, volume raised to -30 dBFS (never lowered),
pauses dropped from long stretches, a 40-band Slaney mel power spectrogram (25 ms Hann windows
every 10 ms, centred with zero padding), 1.6 s partial windows 1.3 per second, each embedded, the
mean of the partials L2-normalised.
"""

from __future__ import annotations

import importlib.util
import pickle
import struct
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

from echome.providers.base import MissingDependency
from echome.providers.speaker_mfcc import RATE, speech_frames, to_16k

INSTALL = "pip install --no-deps resemblyzer==0.1.4"
WEIGHTS_FILE = "pretrained.pt"

N_FFT = 400  # 25 ms at 16 kHz
HOP = 160  # 10 ms
N_MELS = 40
PARTIAL_FRAMES = 160  # 1.6 s partial windows
PARTIALS_PER_SECOND = 1.3
MIN_COVERAGE = 0.75  # a last, shorter partial counts if it covers this much of a window
MIN_SAMPLES = RATE // 2
TARGET_DBFS = -30.0
TRIM_ABOVE_SAMPLES = 3 * RATE  # pauses are dropped only from stretches longer than this
LAYERS = 3
BATCH = 64  # partial windows per pass through the network
HIDDEN = 256

_LEGACY_MAGIC = 0x1950A86A20F9469CFC6C
_DTYPES = {"FloatStorage": np.float32, "DoubleStorage": np.float64, "LongStorage": np.int64}


# -- reading the weights ---------------------------------------------------------------------------


def find_weights() -> Path | None:
    """The installed resemblyzer package's weights file, found without importing the package."""
    try:
        spec = importlib.util.find_spec("resemblyzer")
    except (ImportError, ValueError):
        return None
    for folder in (spec.submodule_search_locations or []) if spec else []:
        path = Path(folder) / WEIGHTS_FILE
        if path.is_file():
            return path
    return None


@dataclass
class _Storage:
    key: str
    dtype: type
    data: np.ndarray | None = None


@dataclass
class _TensorRef:
    storage: _Storage
    offset: int
    shape: tuple[int, ...]
    stride: tuple[int, ...]

    def array(self) -> np.ndarray:
        if self.storage.data is None:
            raise ValueError(f"storage {self.storage.key} has no data")
        base = self.storage.data[self.offset :]
        item = base.itemsize
        view = np.lib.stride_tricks.as_strided(
            base, shape=self.shape, strides=tuple(s * item for s in self.stride)
        )
        return np.array(view, copy=True)


def _rebuild_tensor(storage: _Storage, offset: int, shape: Any, stride: Any, *_: Any) -> _TensorRef:
    return _TensorRef(storage, int(offset), tuple(int(s) for s in shape), tuple(int(s) for s in stride))


class _WeightsUnpickler(pickle.Unpickler):
    """Builds tensors (as references to raw storages) and dicts; refuses every other class."""

    def __init__(self, f: BinaryIO, storages: dict[str, _Storage]) -> None:
        super().__init__(f)
        self._storages = storages

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) in (("torch._utils", "_rebuild_tensor_v2"), ("torch._utils", "_rebuild_tensor")):
            return _rebuild_tensor
        if module == "torch" and name in _DTYPES:
            return name
        if (module, name) == ("collections", "OrderedDict"):
            return OrderedDict
        raise pickle.UnpicklingError(f"refusing to build {module}.{name} from a weights file")

    def persistent_load(self, pid: Any) -> _Storage:
        if not (isinstance(pid, tuple) and pid and pid[0] == "storage" and len(pid) >= 5):
            raise pickle.UnpicklingError(f"unexpected persistent id {pid!r}")
        dtype_name, key = pid[1], str(pid[2])
        if dtype_name not in _DTYPES:
            raise pickle.UnpicklingError(f"unsupported storage type {dtype_name!r}")
        return self._storages.setdefault(key, _Storage(key, _DTYPES[dtype_name]))


def read_legacy_torch(path: Path) -> dict[str, Any]:
    """Read a file saved by `torch.save` in the legacy (pre-1.6, non-zip) format; tensors as arrays."""
    storages: dict[str, _Storage] = {}
    with open(path, "rb") as f:
        if _WeightsUnpickler(f, storages).load() != _LEGACY_MAGIC:
            raise ValueError(f"{path} is not a legacy torch file")
        _WeightsUnpickler(f, storages).load()  # protocol version
        _WeightsUnpickler(f, storages).load()  # system info
        obj = _WeightsUnpickler(f, storages).load()
        keys = _WeightsUnpickler(f, storages).load()
        for key in keys:
            storage = storages[str(key)]
            head = f.read(8)
            if len(head) != 8:
                raise ValueError(f"{path} ends before storage {key}")
            (count,) = struct.unpack("<q", head)
            size = count * np.dtype(storage.dtype).itemsize
            raw = f.read(size)
            if len(raw) != size:
                raise ValueError(f"{path} ends inside storage {key}")
            storage.data = np.frombuffer(raw, dtype=storage.dtype)
    return _materialise(obj)


def _materialise(obj: Any) -> Any:
    if isinstance(obj, _TensorRef):
        return obj.array()
    if isinstance(obj, dict):
        return {k: _materialise(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return type(obj)(_materialise(v) for v in obj)
    return obj


# -- features --------------------------------------------------------------------------------------


def _slaney_mel(hz: np.ndarray) -> np.ndarray:
    hz = np.asarray(hz, dtype=np.float64)
    linear = hz * 3.0 / 200.0
    log_part = 15.0 + np.log(np.maximum(hz, 1e-10) / 1000.0) / (np.log(6.4) / 27.0)
    return np.where(hz >= 1000.0, log_part, linear)


def _slaney_hz(mel: np.ndarray) -> np.ndarray:
    mel = np.asarray(mel, dtype=np.float64)
    linear = mel * 200.0 / 3.0
    log_part = 1000.0 * np.exp((np.log(6.4) / 27.0) * (mel - 15.0))
    return np.where(mel >= 15.0, log_part, linear)


def mel_filterbank() -> np.ndarray:
    """(40 x 201) triangular filters on the Slaney mel scale, area-normalised, 0 Hz to 8 kHz."""
    fft_hz = np.linspace(0.0, RATE / 2, 1 + N_FFT // 2)
    edges = _slaney_hz(np.linspace(_slaney_mel(0.0), _slaney_mel(RATE / 2), N_MELS + 2))
    widths = np.diff(edges)
    ramps = edges[:, None] - fft_hz[None, :]
    bank = np.empty((N_MELS, fft_hz.size))
    for i in range(N_MELS):
        rising = -ramps[i] / widths[i]
        falling = ramps[i + 2] / widths[i + 1]
        bank[i] = np.maximum(0.0, np.minimum(rising, falling))
    bank *= (2.0 / (edges[2 : N_MELS + 2] - edges[:N_MELS]))[:, None]
    return bank.astype(np.float32)


_BANK = mel_filterbank()
_WINDOW = (0.5 - 0.5 * np.cos(2.0 * np.pi * np.arange(N_FFT) / N_FFT)).astype(np.float32)  # periodic


def mel_frames(wav16k: np.ndarray) -> np.ndarray:
    """(frames x 40) mel power spectrogram; frame i is centred on sample i * 160."""
    x = np.pad(np.asarray(wav16k, dtype=np.float32), (N_FFT // 2, N_FFT // 2))
    frames = np.lib.stride_tricks.sliding_window_view(x, N_FFT)[::HOP] * _WINDOW
    power = np.abs(np.fft.rfft(frames, axis=1)).astype(np.float32) ** 2
    return power @ _BANK.T


def partial_windows(n_samples: int) -> list[tuple[int, int]]:
    """Frame ranges of the 1.6 s partial windows covering `n_samples` (at least one)."""
    n_frames = int(np.ceil((n_samples + 1) / HOP))
    step = int(np.round(RATE / PARTIALS_PER_SECOND / HOP))
    starts = range(0, max(1, n_frames - PARTIAL_FRAMES + step + 1), step)
    windows = [(s, s + PARTIAL_FRAMES) for s in starts]
    last = windows[-1][0] * HOP
    if len(windows) > 1 and (n_samples - last) / (PARTIAL_FRAMES * HOP) < MIN_COVERAGE:
        windows.pop()
    return windows


def _raise_volume(x: np.ndarray) -> np.ndarray:
    rms = float(np.sqrt(np.mean(np.square(x, dtype=np.float64))))
    if rms <= 0.0:
        return x
    gain_db = TARGET_DBFS - 20.0 * np.log10(rms)
    return x * np.float32(10.0 ** (gain_db / 20.0)) if gain_db > 0 else x


def _drop_pauses(x: np.ndarray) -> np.ndarray:
    """Keep the 30 ms blocks the energy gate calls speech, with a little context on each side."""
    block = 480
    n = x.size // block
    if n < 10:
        return x
    energy = np.log(np.sum(np.square(x[: n * block].reshape(n, block), dtype=np.float64), axis=1) + 1e-10)
    keep = speech_frames(energy)
    widened = keep.copy()  # keep one block either side: consonants at the edges of words are quiet
    widened[1:] |= keep[:-1]
    widened[:-1] |= keep[1:]
    return x[: n * block].reshape(n, block)[widened].reshape(-1)


# -- the network -----------------------------------------------------------------------------------


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 0.5 * (np.tanh(0.5 * x) + 1.0)


class GE2ENetwork:
    """The forward pass: LSTM(40, 256, 3 layers) -> last hidden state -> Linear(256, 256) -> ReLU -> L2."""

    def __init__(self, state: dict[str, np.ndarray]) -> None:
        try:
            self._layers = [
                (
                    np.ascontiguousarray(state[f"lstm.weight_ih_l{k}"].T, dtype=np.float32),
                    np.ascontiguousarray(state[f"lstm.weight_hh_l{k}"].T, dtype=np.float32),
                    (state[f"lstm.bias_ih_l{k}"] + state[f"lstm.bias_hh_l{k}"]).astype(np.float32),
                )
                for k in range(LAYERS)
            ]
            self._out_w = np.ascontiguousarray(state["linear.weight"].T, dtype=np.float32)
            self._out_b = state["linear.bias"].astype(np.float32)
        except KeyError as exc:
            raise ValueError(f"the weights file has no {exc.args[0]}") from exc
        if self._layers[0][0].shape != (N_MELS, 4 * HIDDEN) or self._out_w.shape[0] != HIDDEN:
            raise ValueError("the weights file does not hold a 40-band, 256-unit GE2E network")

    def __call__(self, mels: np.ndarray) -> np.ndarray:
        """(batch x frames x 40) -> (batch x 256) L2-normalised embeddings."""
        seq = np.asarray(mels, dtype=np.float32)
        batch, steps, _ = seq.shape
        h = np.zeros((batch, HIDDEN), dtype=np.float32)
        for w_in, w_rec, bias in self._layers:
            gates_in = seq @ w_in + bias  # every time step's input part at once
            h = np.zeros((batch, HIDDEN), dtype=np.float32)
            c = np.zeros((batch, HIDDEN), dtype=np.float32)
            outputs = np.empty((batch, steps, HIDDEN), dtype=np.float32)
            for t in range(steps):
                gates = gates_in[:, t] + h @ w_rec
                i = _sigmoid(gates[:, :HIDDEN])
                f = _sigmoid(gates[:, HIDDEN : 2 * HIDDEN])
                g = np.tanh(gates[:, 2 * HIDDEN : 3 * HIDDEN])
                o = _sigmoid(gates[:, 3 * HIDDEN :])
                c = f * c + i * g
                h = o * np.tanh(c)
                outputs[:, t] = h
            seq = outputs
        out = np.maximum(h @ self._out_w + self._out_b, 0.0)
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.maximum(norms, 1e-9)


def load_network(path: Path | None = None) -> GE2ENetwork:
    path = path or find_weights()
    if path is None:
        raise MissingDependency(f"GE2E speaker embeddings need Resemblyzer's weights: {INSTALL}")
    checkpoint = read_legacy_torch(path)
    state = checkpoint.get("model_state", checkpoint) if isinstance(checkpoint, dict) else None
    if not isinstance(state, dict):
        raise ValueError(f"{path} holds no model state")
    return GE2ENetwork(state)


class GE2ESpeakerEmbedder:
    """Neural speaker embedder without torch; about 0.1 s of CPU per second of audio."""

    name = "ge2e-numpy"
    dim = HIDDEN
    # As ResemblyzerSpeakerEmbedder (the same network): one LibriSpeech reader split in two gives up
    # to ~0.5, two readers >= 1.0 (see echome.media.speakers).
    min_separation = 0.7
    window_seconds = PARTIAL_FRAMES * HOP / RATE  # what one partial hears; shorter input is padded

    def __init__(
        self, weights: Path | None = None, *, network: Callable[[np.ndarray], np.ndarray] | None = None
    ) -> None:
        self._network = network or load_network(weights)

    def embed(self, wav: np.ndarray, sample_rate: int) -> np.ndarray:
        return self.embed_many([wav], sample_rate)[0]

    def embed_many(self, wavs: Sequence[np.ndarray], sample_rate: int) -> np.ndarray:
        """(len(wavs) x 256): every stretch's partial windows go through the network together, which
        is about ten times faster than one stretch at a time (the LSTM's steps are sequential)."""
        out = np.zeros((len(wavs), self.dim), dtype=np.float32)
        mels: list[np.ndarray] = []
        owner: list[int] = []
        for i, wav in enumerate(wavs):
            partials = self._partials(wav, sample_rate)
            if not partials:  # digital silence has no voice: a fixed unit vector
                out[i, 0] = 1.0
                continue
            mels.extend(partials)
            owner.extend([i] * len(partials))
        if mels:
            batch = np.stack(mels)
            embedded = np.concatenate(
                [self._network(batch[k : k + BATCH]) for k in range(0, len(batch), BATCH)]
            )
            sums = np.zeros_like(out)
            np.add.at(sums, np.array(owner), embedded)
            rows = np.unique(owner)
            out[rows] = sums[rows] / np.maximum(np.linalg.norm(sums[rows], axis=1, keepdims=True), 1e-9)
        return out

    @staticmethod
    def _partials(wav: np.ndarray, sample_rate: int) -> list[np.ndarray]:
        x = to_16k(wav, sample_rate).astype(np.float32)
        if x.size < MIN_SAMPLES:
            x = np.pad(x, (0, MIN_SAMPLES - x.size))
        if not x.size or float(np.max(np.abs(x))) < 1e-6:
            return []
        x = _raise_volume(x)
        if x.size > TRIM_ABOVE_SAMPLES:
            trimmed = _drop_pauses(x)
            if trimmed.size >= MIN_SAMPLES:
                x = trimmed
        windows = partial_windows(x.size)
        needed = windows[-1][1] * HOP
        if needed >= x.size:
            x = np.pad(x, (0, needed - x.size))
        mel = mel_frames(x)
        return [mel[a:b] for a, b in windows]
