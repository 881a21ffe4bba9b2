"""The GE2E speaker network in numpy: its weights read without torch (and nothing else built from the
file), the features, and real voices told apart. Parity with Resemblyzer's torch code was measured
outside the suite (a torch venv; cosine 1.000000 on 24 LibriSpeech clips)."""

from __future__ import annotations

import logging
import pickle
import re
from pathlib import Path

import numpy as np
import pytest

from echome.media.audio import load_audio
from echome.providers import speaker_ge2e
from echome.providers.base import MissingDependency
from echome.providers.registry import make_speaker_embedder
from echome.providers.speaker_ge2e import (
    GE2ESpeakerEmbedder,
    find_weights,
    mel_filterbank,
    partial_windows,
    read_legacy_torch,
)

from ..support.media import SPEAKERS, speaker_clips
from ..support.speakers import ge2e_embedder

SR = 16_000
MAGIC = 0x1950A86A20F9469CFC6C


def _legacy_file(path: Path, *objects: object) -> Path:
    path.write_bytes(b"".join(pickle.dumps(o, protocol=2) for o in (MAGIC, 1001, {}, *objects)))
    return path


class _Evil:
    def __reduce__(self) -> tuple[object, tuple[str]]:
        import os

        return (os.system, ("echo owned",))


def test_the_weights_are_read_without_torch() -> None:
    ge2e_embedder()  # skips (fails in CI) when the weights are not installed
    path = find_weights()
    assert path is not None and path.name == "pretrained.pt"
    state = read_legacy_torch(path)["model_state"]
    assert state["lstm.weight_ih_l0"].shape == (1024, 40)
    assert state["lstm.weight_hh_l2"].shape == (1024, 256)
    assert state["linear.weight"].shape == (256, 256)
    assert all(np.isfinite(v).all() for v in state.values())


def test_a_weights_file_that_would_run_code_is_refused(tmp_path: Path) -> None:
    with pytest.raises(pickle.UnpicklingError, match="refusing to build"):
        read_legacy_torch(_legacy_file(tmp_path / "evil.pt", _Evil()))
    other = tmp_path / "other.pt"
    other.write_bytes(pickle.dumps(12345))
    with pytest.raises(ValueError, match="not a legacy torch file"):
        read_legacy_torch(other)


def test_a_cut_weights_file_is_an_error_not_garbage(tmp_path: Path) -> None:
    ge2e_embedder()
    path = find_weights()
    assert path is not None
    cut = tmp_path / "cut.pt"
    cut.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    with pytest.raises(ValueError, match="ends"):
        read_legacy_torch(cut)


def test_without_weights_it_says_how_to_install_and_auto_falls_back(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(speaker_ge2e, "find_weights", lambda: None)
    with pytest.raises(MissingDependency, match=re.escape(speaker_ge2e.INSTALL)):
        GE2ESpeakerEmbedder()
    with caplog.at_level(logging.WARNING):
        assert make_speaker_embedder("local:auto").name == "mfcc-stats"
    assert "MFCC" in caplog.text


def test_the_mel_filters_follow_the_slaney_scale() -> None:
    bank = mel_filterbank()
    assert bank.shape == (40, 201) and (bank >= 0).all()
    peaks = bank.argmax(axis=1)
    assert (np.diff(peaks) > 0).all()
    assert bank[0, 0] == 0 and bank[-1, -2] > 0  # from 0 Hz to just below 8 kHz
    # the scale: linear below 1 kHz (15 mels, 200/3 Hz each), logarithmic above
    assert np.allclose(np.diff(speaker_ge2e._slaney_hz(np.arange(16.0))), 200 / 3)
    assert float(speaker_ge2e._slaney_mel(1000.0)) == pytest.approx(15.0)
    hz = np.array([50.0, 700.0, 1500.0, 7900.0])
    assert np.allclose(speaker_ge2e._slaney_hz(speaker_ge2e._slaney_mel(hz)), hz)
    # area normalisation: wider (higher) filters are lower
    assert bank[35].max() < bank[5].max()


def test_partial_windows_cover_the_stretch() -> None:
    assert partial_windows(SR // 2) == [(0, 160)]
    two = partial_windows(2 * SR)
    assert two == [(0, 160), (77, 237)]  # 1.3 windows a second; the last covers >= 75 %
    assert partial_windows(int(1.7 * SR)) == [(0, 160)]  # a second window would cover too little


def test_silence_and_tiny_input_give_unit_vectors() -> None:
    emb = ge2e_embedder()
    silent = emb.embed(np.zeros(SR, np.float32), SR)
    assert silent[0] == 1.0 and np.count_nonzero(silent) == 1
    short = emb.embed(np.random.default_rng(1).standard_normal(800).astype(np.float32) * 0.1, 8000)
    assert np.isfinite(short).all() and abs(float(np.linalg.norm(short)) - 1.0) < 1e-5


@pytest.mark.skipif(not SPEAKERS.is_dir(), reason=f"no evaluation speech at {SPEAKERS}")
def test_real_voices_are_told_apart_and_batching_changes_nothing() -> None:
    emb = ge2e_embedder()
    readers = ("1688", "2033", "3080", "367")  # two men, two women
    clips = {r: [load_audio(p)[: 4 * SR] for p in speaker_clips(r)[:3]] for r in readers}
    flat = [(r, c) for r in readers for c in clips[r]]
    batched = emb.embed_many([c for _, c in flat], SR)
    one_by_one = np.stack([emb.embed(c, SR) for _, c in flat])
    assert np.abs(batched - one_by_one).max() < 1e-5
    sims = batched @ batched.T
    who = np.array([r for r, _ in flat])
    same = sims[(who[:, None] == who[None, :]) & ~np.eye(len(flat), dtype=bool)]
    different = sims[who[:, None] != who[None, :]]
    assert same.min() > different.max() - 0.05
    assert same.mean() - different.mean() > 0.25  # measured on 6 readers: 0.87 vs 0.54 (whole clips)
