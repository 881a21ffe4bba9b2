"""The local voice's shortcuts give what the full computations give: Harvest at a coarser step,
aperiodicity on every other frame, matrix interpolation, the once-per-voice codebook, and sentences
reshaped by the pool and the caller's thread together."""

from __future__ import annotations

import numpy as np
import pytest
import pyworld as pw
from media import speaker_clips

from echome.media.audio import load_audio
from echome.voice import local, world

RATE = 22050


def _glide(seconds: float = 1.5, start: float = 100.0, end: float = 200.0) -> tuple[np.ndarray, np.ndarray]:
    """A voiced-like tone (10 harmonics, falling amplitude) gliding from `start` to `end` Hz."""
    n = int(seconds * RATE)
    f0 = np.geomspace(start, end, n)
    phase = 2 * np.pi * np.cumsum(f0) / RATE
    x = sum(np.sin(k * phase) / k for k in range(1, 11))
    return (0.3 * x).astype(np.float64), f0


def test_stretched_harvest_follows_a_known_pitch_glide() -> None:
    x, true_f0 = _glide()
    f0, t = world.track_f0(x, RATE)
    assert f0.size == int(x.size / RATE * 1000 / world.FRAME_MS) + 1
    assert t[1] - t[0] == pytest.approx(world.FRAME_MS / 1000)
    inside = (t > 0.1) & (t < 1.4)
    expected = true_f0[(t[inside] * RATE).astype(int)]
    assert np.all(f0[inside] > 0)
    assert np.max(np.abs(np.log2(f0[inside] / expected))) < 0.05  # under a semitone everywhere


def test_stretched_harvest_agrees_with_full_harvest_on_a_real_voice() -> None:
    x = load_audio(speaker_clips("2414")[1], sample_rate=RATE, max_seconds=6).astype(np.float64)
    full, _ = world.track_f0(x, RATE, stretch=1)
    fast, _ = world.track_f0(x, RATE)
    both = (full > 0) & (fast > 0)
    # Harvest's own voicing moves on ~5% of frames when the audio is shifted by one sample; the
    # coarser step voices ~5% more frames (mostly at the edges of voiced stretches).
    assert np.mean((full > 0) == (fast > 0)) > 0.75
    assert abs(np.log2(np.median(fast[both]) / np.median(full[both]))) < 0.03
    assert np.mean(np.abs(np.log2(fast[both] / full[both])) > 0.5) < 0.05  # octave errors


def test_aperiodicity_on_every_other_frame_is_close_to_every_frame() -> None:
    x = load_audio(speaker_clips("367")[0], sample_rate=RATE, max_seconds=4).astype(np.float64)
    f0, t = world.track_f0(x, RATE)
    full = pw.d4c(x, f0, t, RATE)
    coarse = world.aperiodicity(x, f0, t, RATE, step=2)
    assert coarse.shape == full.shape
    # The frames D4C ran on (its estimate of a frame barely depends on which others it is given).
    np.testing.assert_allclose(coarse[::2], full[::2], atol=0.02)
    np.testing.assert_allclose(coarse[-1], full[-1], atol=0.02)
    voiced = f0 > 0
    db = np.abs(
        20 * np.log10(np.clip(coarse[voiced], 1e-4, 1)) - 20 * np.log10(np.clip(full[voiced], 1e-4, 1))
    )
    assert np.median(db) < 1.5


@pytest.mark.parametrize("sr", [16000, 22050, 24000])
def test_interpolating_all_rows_at_once_equals_np_interp(sr: int) -> None:
    rng = np.random.default_rng(1)
    n_bins = 513
    bins = np.linspace(0.0, sr / 2.0, n_bins)
    rows = rng.normal(size=(7, n_bins))
    to_grid = np.stack([np.interp(world.MATCH_GRID_HZ, bins, r) for r in rows])
    np.testing.assert_allclose(world.interpolate_rows(rows, sr, n_bins, to_grid=True), to_grid, atol=1e-12)
    grid_rows = rng.normal(size=(7, len(world.MATCH_GRID_HZ)))
    back = np.stack([np.interp(bins, world.MATCH_GRID_HZ, r) for r in grid_rows])
    np.testing.assert_allclose(world.interpolate_rows(grid_rows, sr, n_bins, to_grid=False), back, atol=1e-12)


def _codebook_settings(seed: int) -> dict[str, object]:
    rng = np.random.default_rng(seed)
    frames = -40 + 10 * rng.normal(size=(400, len(world.MATCH_GRID_HZ)))
    return world.build_codebook(frames, size=64)


def test_a_voices_codebook_is_decoded_once_and_follows_edits() -> None:
    settings = _codebook_settings(0)
    book, feats = world.seller_codebook(settings)
    np.testing.assert_array_equal(book, world.decode_codebook(settings))
    assert not book.flags.writeable and not feats.flags.writeable
    again, _ = world.seller_codebook(dict(settings))  # an equal copy, as read again from the database
    assert again is book
    other = _codebook_settings(1)
    other_book, _ = world.seller_codebook(other)
    assert other_book is not book
    np.testing.assert_array_equal(other_book, world.decode_codebook(other))
    shifted = {**settings, "envelope_codebook_min_db": settings["envelope_codebook_min_db"] - 3.0}
    np.testing.assert_allclose(world.seller_codebook(shifted)[0], book - 3.0)


def test_matching_moves_envelopes_toward_the_codebook() -> None:
    settings = {**_codebook_settings(2), "envelope_match": 1.0}
    x, _ = _glide(seconds=1.0)
    f0, _t, sp, _ap = world.analyse(x, RATE)
    matched = world._apply_matching(sp, f0, RATE, settings)
    voiced = f0 > 0
    book, _ = world.seller_codebook(settings)

    def distance(s: np.ndarray) -> float:
        env = world.interpolate_rows(
            10 * np.log10(np.maximum(s[voiced], 1e-16)), RATE, s.shape[1], to_grid=True
        )
        env = env - env.mean(axis=1, keepdims=True)
        ref = book - book.mean(axis=1, keepdims=True)
        return float(np.mean(np.min(((env[:, None, :] - ref[None]) ** 2).mean(axis=2), axis=1)))

    assert matched.shape == sp.shape and np.all(np.isfinite(matched))
    assert distance(matched) < 0.8 * distance(sp)


def test_sentences_reshaped_in_parallel_come_back_in_order() -> None:
    """The pool and the calling thread share the pieces; each comes back where it was said."""
    settings = {"f0_median_hz": 180.0, "formant_ratio": 1.1}
    sentences = [
        ((_glide(seconds=s, start=a, end=b)[0]).astype(np.float32), RATE)
        for s, a, b in [(0.6, 90, 120), (3.5, 100, 160), (0.4, 140, 110), (1.0, 120, 90), (4.2, 80, 130)]
    ]
    pieces = [(p, sr) for wav, sr in sentences for p in local.split_at_pauses(wav, sr)]
    assert len(pieces) > len(sentences)  # the long ones are cut
    parts = local.reshape_while_speaking(iter(sentences), settings)
    assert [sr for _, sr in parts] == [RATE] * len(pieces)
    for (got, _), (piece, sr) in zip(parts, pieces, strict=True):
        np.testing.assert_array_equal(got, world.transform(piece, sr, settings))
    assert local.reshape_while_speaking(iter([]), settings) == []


def test_sentences_said_side_by_side_are_the_ones_piper_says_in_turn() -> None:
    """The voice pool's sentences are Piper's own, in order. (Piper samples its durations and
    noise, so two runs of Piper itself differ: lengths are compared, not samples.)"""
    text = "The tote is 49 dollars. It comes in navy, sand and olive! Want one? Order before noon."
    voice = local.load_piper()
    expected = [chunk.audio_float_array for chunk in voice.synthesize(text)]
    got = list(local.piper_sentences(text))
    assert len(got) == len(expected) == 4
    for (wav, sr), want in zip(got, expected, strict=True):
        assert sr == voice.config.sample_rate and wav.dtype == np.float32
        assert abs(wav.size - want.size) < 0.15 * want.size
        assert float(np.max(np.abs(wav))) == pytest.approx(1.0, abs=1e-3)  # peak-normalised as Piper does
    abandoned = local.piper_sentences(text)
    next(abandoned)
    abandoned.close()  # a caller that stops early: the rest are cancelled or finish, nothing hangs
    assert len(list(local.piper_sentences("One. Two."))) == 2


def test_piper_runs_on_the_threads_it_is_given() -> None:
    """Piper's network keeps to PIPER_THREADS per sentence; sentences share the voice pool."""
    voice = local.load_piper()
    assert voice.session.get_session_options().intra_op_num_threads == local.PIPER_THREADS
    audio = np.concatenate([w for w, _ in local.piper_sentences("One. Two.")])
    assert audio.size > 0.3 * voice.config.sample_rate
