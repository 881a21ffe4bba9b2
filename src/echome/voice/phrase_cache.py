"""The short sentences a voice says again and again, kept as the audio it said them with.

Replies repeat themselves: a greeting ("Hi!"), a closing question ("Anything else I can help
with?"), a seller's catchphrase or sign-off. Each costs a Piper pass and, in the seller's voice, a
WORLD reshaping. `PhraseCache` keeps the finished audio of short sentences (at most `max_seconds`
long, the kind that repeats), keyed by the voice (model, every setting that shapes it, speaking
rate) and the sentence's phonemes, so a reply that says one again costs nothing for it. Longer
sentences (the facts of an answer) are always said afresh.

Bounded: at most `max_entries` sentences (least recently used go first), about 350 KB each at
22 kHz, so 128 entries stay under 50 MB. Audio is stored read-only and shared. Thread-safe.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any

import numpy as np


def voice_key(model: str, settings: dict[str, Any], length_scale: float | None) -> str:
    """One voice: its model, the settings that shape it and its speaking rate."""
    blob = json.dumps([model, settings, length_scale], sort_keys=True, default=str)
    return hashlib.blake2b(blob.encode(), digest_size=16).hexdigest()


class PhraseCache:
    """Finished audio of short sentences, per voice (see the module docstring)."""

    def __init__(self, *, max_entries: int = 128, max_seconds: float = 4.0) -> None:
        self.max_entries, self.max_seconds = max_entries, max_seconds
        self._items: OrderedDict[tuple[str, tuple[str, ...]], np.ndarray] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def get(self, voice: str, phonemes: Sequence[str]) -> np.ndarray | None:
        key = (voice, tuple(phonemes))
        with self._lock:
            audio = self._items.get(key)
            if audio is None:
                self.misses += 1
                return None
            self._items.move_to_end(key)
            self.hits += 1
            return audio

    def put(self, voice: str, phonemes: Sequence[str], audio: np.ndarray, sample_rate: int) -> None:
        if audio.size == 0 or audio.size > self.max_seconds * sample_rate or self.max_entries <= 0:
            return
        stored = np.array(audio, dtype=np.float32, copy=True)
        stored.flags.writeable = False
        with self._lock:
            self._items[(voice, tuple(phonemes))] = stored
            self._items.move_to_end((voice, tuple(phonemes)))
            while len(self._items) > self.max_entries:
                self._items.popitem(last=False)

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)
